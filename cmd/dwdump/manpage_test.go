package main

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestManPageOptions checks that man/dwdump.1 describes, in a paragraph of
// its own, every option that -h prints and every option of the getopt
// table, and no option that dwdump lacks.
func TestManPageOptions(t *testing.T) {
	var stdout, stderr bytes.Buffer
	newApp().run([]string{"dwdump", "-h"}, strings.NewReader(""), &stdout, &stderr)
	flag := regexp.MustCompile(`(?:^|[\s,\[(|])(--?[a-zA-Z][a-z]*)`)
	flagsIn := func(text string) []string {
		var flags []string
		for _, m := range flag.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(flags, m[1]) {
				flags = append(flags, m[1])
			}
		}
		return flags
	}
	help := flagsIn(stdout.String())
	if len(help) < 9 || !slices.Contains(help, "-w") {
		t.Fatalf("flags of -h: %q", help)
	}
	var table []string
	for _, o := range longOptions {
		table = append(table, "--"+o.Name, "-"+string(o.Short))
	}

	b, err := os.ReadFile("../../man/dwdump.1")
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	in := false
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".SH ") {
			in = l == ".SH OPTIONS"
		}
		if in && l == ".TP" && i+1 < len(lines) {
			tags = append(tags, strings.ReplaceAll(lines[i+1], `\-`, "-"))
		}
	}
	documented := flagsIn(strings.Join(tags, "\n"))
	for _, f := range append(help, table...) {
		if !slices.Contains(documented, f) {
			t.Errorf("%s is in -h or the option table but has no paragraph in man/dwdump.1's OPTIONS", f)
		}
	}
	for _, f := range documented {
		if !slices.Contains(table, f) {
			t.Errorf("man/dwdump.1 describes %s, which is no option", f)
		}
	}
}
