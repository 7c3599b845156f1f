package main

import (
	"io"
	"strings"

	"github.com/dropwatch-go/dropwatch/internal/completion"
	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/internal/report"
)

// Shell completion: "dropwatch --completion bash|zsh|fish" prints a script
// built (internal/completion) from the option table (longOptions), the
// descriptions of the --help text and the REPL's command table.

// completionShells are the shells --completion writes a script for.
var completionShells = completion.Shells

// kfreeSkbFormats are where the scripts read --reason's names from.
var kfreeSkbFormats = completion.KfreeSkbFormats

// optionArgs says how the argument of each option that takes one
// completes; an empty entry completes nothing (a number, a duration, a
// regular expression). TestCompletionCoversOptions checks that every
// option with an argument has an entry.
func optionArgs() map[string]completion.Arg {
	return map[string]completion.Arg{
		"lmethod":    {Words: []string{lookupKas, lookupNone, "list"}},
		"kallsyms":   {Files: true},
		"backend":    {Words: backendNames},
		"once":       {},
		"mode":       {Words: repl.Values(commands, "set", "alertmode")},
		"limit":      {},
		"trunc":      {},
		"queue":      {},
		"write":      {Files: true},
		"reason":     {Reasons: true},
		"symbol":     {},
		"proto":      {Words: report.ProtoNames()},
		"ifindex":    {},
		"completion": {Words: completionShells},
		"filter":     {},
		"host":       {},
		"port":       {},
		"top-by":     {Words: report.GroupNames()},
		"interval":   {},
		"explain":    {},
	}
}

// setCompletion is --completion SHELL.
func setCompletion(o *options, arg string) error {
	for _, sh := range completionShells {
		if arg == sh {
			o.completion = arg
			return nil
		}
	}
	return usageErrorf("invalid --completion shell '%s': want %s", arg, strings.Join(completionShells, ", "))
}

// printCompletion writes the completion script for shell.
func printCompletion(w io.Writer, shell string) int {
	if _, err := io.WriteString(w, completionScript(shell, kfreeSkbFormats)); err != nil {
		return 1
	}
	return 0
}

// completionSpec is what the scripts complete, reading reason names from
// the first readable file of formats.
func completionSpec(formats []string) completion.Spec {
	return completion.Spec{Options: completion.FromFlags(longOptions, optionArgs(), usageText), ReasonFormats: formats}
}

// completionScript returns the script for shell.
func completionScript(shell string, formats []string) string {
	return completion.Script(shell, completionSpec(formats))
}

// optionDescriptions are the options' descriptions in the --help text.
func optionDescriptions() map[string]string { return completion.Descriptions(usageText) }

// maxDescription is the longest description a script shows for an option.
const maxDescription = completion.MaxDescription

// optionWords are the words that complete an option's name.
func optionWords() []string { return completion.Words(completionSpec(nil).Options) }
