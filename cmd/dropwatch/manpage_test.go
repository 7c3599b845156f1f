package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// manSection returns the roff lines of the page's section title, up to the
// next section.
func manSection(t *testing.T, page, title string) []string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, ".SH ") {
			in = strings.Trim(l[4:], `"`) == title
			continue
		}
		if in {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s has no section %s", page, title)
	}
	return lines
}

// manTags returns the tags of a section's .TP paragraphs (the line after
// each .TP), with the roff escape of "-" undone.
func manTags(lines []string) []string {
	var tags []string
	for i, l := range lines {
		if l == ".TP" && i+1 < len(lines) {
			tags = append(tags, strings.ReplaceAll(lines[i+1], `\-`, "-"))
		}
	}
	return tags
}

// flagsIn returns the options named in text: -x and --name.
func flagsIn(text string) []string {
	var flags []string
	for _, m := range regexp.MustCompile(`(?:^|[\s,\[(|])(--?[a-zA-Z][a-z]*(?:-[a-z]+)*)`).FindAllStringSubmatch(text, -1) {
		if !slices.Contains(flags, m[1]) {
			flags = append(flags, m[1])
		}
	}
	return flags
}

// TestManPageOptions checks that man/dropwatch.1 describes, in a paragraph
// of its own, every option that --help prints and every option of the
// table, and no option that dropwatch lacks.
func TestManPageOptions(t *testing.T) {
	h := newHarness("")
	if code := h.run(t, "--help"); code != 0 {
		t.Fatalf("--help: exit status %d", code)
	}
	help := flagsIn(h.stdout.String())
	if !slices.Contains(help, "--lmethod") || !slices.Contains(help, "-w") {
		t.Fatalf("flags of --help: %q", help)
	}
	var table []string
	for _, o := range longOptions {
		table = append(table, "--"+o.Name)
		if o.Short != 0 {
			table = append(table, "-"+string(o.Short))
		}
	}
	documented := flagsIn(strings.Join(manTags(manSection(t, "../../man/dropwatch.1", "OPTIONS")), "\n"))
	for _, f := range append(help, table...) {
		if !slices.Contains(documented, f) {
			t.Errorf("%s is in --help or the option table but has no paragraph in man/dropwatch.1's OPTIONS", f)
		}
	}
	for _, f := range documented {
		if !slices.Contains(table, f) {
			t.Errorf("man/dropwatch.1 describes %s, which is no option", f)
		}
	}
}

// TestManPageCommands checks that man/dropwatch.1 describes every REPL
// command and setting.
func TestManPageCommands(t *testing.T) {
	tags := strings.Join(manTags(manSection(t, "../../man/dropwatch.1", "INTERACTIVE COMMANDS")), "\n")
	words := regexp.MustCompile(`[a-z]+`).FindAllString(tags, -1)
	for _, c := range commands {
		if !slices.Contains(words, c.Name) {
			t.Errorf("command %s has no paragraph in man/dropwatch.1", c.Name)
		}
		for _, s := range c.Sub {
			if !strings.Contains(tags, c.Name+" "+s.Name) {
				t.Errorf("%s %s has no paragraph in man/dropwatch.1", c.Name, s.Name)
			}
		}
	}
}
