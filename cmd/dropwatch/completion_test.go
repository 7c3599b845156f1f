package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A kernel's format file, whose reason table the scripts read.
const testFormat = "../../pkg/skbtrace/testdata/kfree_skb-6.1.0-56-amd64.format"

// TestCompletionCoversOptions checks that the completion table names every
// option that takes an argument, and no other.
func TestCompletionCoversOptions(t *testing.T) {
	args := optionArgs()
	for _, o := range longOptions {
		if _, ok := args[o.Name]; ok != o.HasArg {
			t.Errorf("--%s: takes an argument %v, in optionArgs %v", o.Name, o.HasArg, ok)
		}
		delete(args, o.Name)
	}
	for name := range args {
		t.Errorf("optionArgs has %q, which is no option", name)
	}
}

// TestOptionDescriptions checks that every option gets its --help
// description.
func TestOptionDescriptions(t *testing.T) {
	descs := optionDescriptions()
	for _, o := range longOptions {
		d := descs[o.Name]
		if d == "" || len(d) > maxDescription || strings.Count(d, "(") != strings.Count(d, ")") {
			t.Errorf("--%s: description %q", o.Name, d)
		}
	}
	if got, want := descs["lmethod"], "how summary alerts name drop locations"; got != want {
		t.Errorf("--lmethod: description %q, want %q", got, want)
	}
}

func TestCompletionFlag(t *testing.T) {
	for _, sh := range completionShells {
		h := newHarness("")
		if code := h.run(t, "--completion", sh); code != 0 {
			t.Errorf("--completion %s: exit status %d, stderr %q", sh, code, h.stderr)
		}
		if got, want := h.stdout.String(), completionScript(sh, kfreeSkbFormats); got != want || !strings.Contains(got, "dropwatch") {
			t.Errorf("--completion %s printed %q", sh, got)
		}
		if calls := h.be.recorded(); len(calls) != 0 {
			t.Errorf("--completion %s made kernel requests %v", sh, calls)
		}
	}
	h := newHarness("")
	if code := h.run(t, "--completion", "tcsh"); code != 2 {
		t.Errorf("--completion tcsh: exit status %d, want 2", code)
	}
	if want := "dropwatch: invalid --completion shell 'tcsh': want bash, zsh, fish"; !strings.HasPrefix(h.stderr.String(), want) {
		t.Errorf("stderr %q, want %q", h.stderr, want)
	}
}

// needShell returns the path of a shell, or skips the test without it
// (unless DROPWATCH_REQUIRE_SHELLS is set, as test/pkg/run.sh does after
// installing them).
func needShell(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("DROPWATCH_REQUIRE_SHELLS") != "" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// writeScript writes the script for shell, with reasons read from format.
func writeScript(t *testing.T, shell, format string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dropwatch."+shell)
	if err := os.WriteFile(p, []byte(completionScript(shell, []string{"/nonexistent/format", format})), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBashCompletion completes words with the function that the script
// registers for dropwatch, as bash does on TAB.
func TestBashCompletion(t *testing.T) {
	bash := needShell(t, "bash")
	script := writeScript(t, "bash", testFormat)
	dir := t.TempDir()
	for _, f := range []string{"kallsyms.txt", "drops.pcap"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	allOptions := optionWords()
	tests := []struct {
		words []string // after "dropwatch"; the last is the one completed
		want  []string
	}{
		{[]string{"--ba"}, []string{"--backend"}},
		{[]string{"--backend", ""}, []string{"auto", "netdm", "tracepoint"}},
		{[]string{"--backend", "=", ""}, []string{"auto", "netdm", "tracepoint"}},
		{[]string{"--backend", "=", "n"}, []string{"netdm"}},
		{[]string{"-l", ""}, []string{"kas", "none", "list"}},
		{[]string{"--lmethod", "k"}, []string{"kas"}},
		{[]string{"--once", "10s", "--mode", ""}, []string{"summary", "packet"}},
		{[]string{"--s"}, []string{"--stack", "--sw", "--symbol"}},
		{[]string{"--comp"}, []string{"--completion"}},
		{[]string{"--completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"--proto", "ipv"}, []string{"ipv4", "ipv6"}},
		{[]string{"--reason", "NO_S"}, []string{"NO_SOCKET"}},
		{[]string{"--reason", "NO_SOCKET,TCP_CS"}, []string{"NO_SOCKET,TCP_CSUM"}},
		{[]string{"--kallsyms", dir + "/k"}, []string{dir + "/kallsyms.txt"}},
		{[]string{"-w", dir + "/d"}, []string{dir + "/drops.pcap"}},
		{[]string{"--once", ""}, nil}, // a duration: nothing to offer
		{[]string{"-l", "kas", ""}, allOptions},
		{[]string{""}, allOptions},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			words := append([]string{"dropwatch"}, tt.words...)
			// The function complete -p names, called as bash calls it.
			prog := `source "$1"; shift
spec=$(complete -p dropwatch) || exit 1
fn=${spec#*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" dropwatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"`
			out, err := exec.Command(bash, append([]string{"--norc", "-c", prog, "bash", script}, words...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			if diff := cmp.Diff(sorted(tt.want), sorted(got)); diff != "" {
				t.Errorf("completions (-want +got):\n%s", diff)
			}
		})
	}
	// Without a readable format file, --reason offers nothing.
	script = writeScript(t, "bash", "/nonexistent/too")
	out, err := exec.Command(bash, "--norc", "-c", `source "$1"; COMP_WORDS=(dropwatch --reason ""); COMP_CWORD=2; _dropwatch; echo "${#COMPREPLY[@]}"`, "bash", script).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("--reason without a format file: %v, %q, want 0 completions", err, out)
	}
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestFishCompletion asks fish for the completions of command lines.
func TestFishCompletion(t *testing.T) {
	fish := needShell(t, "fish")
	script := writeScript(t, "fish", testFormat)
	tests := []struct {
		line string
		want []string
	}{
		{"dropwatch --ba", []string{"--backend"}},
		{"dropwatch --backend ", []string{"auto", "netdm", "tracepoint"}},
		{"dropwatch -l ", []string{"kas", "none", "list"}},
		{"dropwatch --mode ", []string{"summary", "packet"}},
		{"dropwatch --reason NO_SO", []string{"NO_SOCKET"}},
		{"dropwatch --completion z", []string{"zsh"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			out, err := exec.Command(fish, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, tt.line).CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if w, _, _ := strings.Cut(l, "\t"); w != "" {
					got = append(got, w)
				}
			}
			if diff := cmp.Diff(sorted(tt.want), sorted(got)); diff != "" {
				t.Errorf("completions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompletionSyntax has each shell parse its script without running it.
func TestCompletionSyntax(t *testing.T) {
	for _, sh := range completionShells {
		t.Run(sh, func(t *testing.T) {
			path := needShell(t, sh)
			script := writeScript(t, sh, testFormat)
			if out, err := exec.Command(path, "-n", script).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, out)
			}
		})
	}
}
