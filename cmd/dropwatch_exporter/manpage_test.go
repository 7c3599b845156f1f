package main

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestManPageFlags checks that man/dropwatch_exporter.1 describes, in a .TP
// paragraph of its OPTIONS, every flag that --help prints, and no flag that
// --help lacks.
func TestManPageFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help: exit status %d", code)
	}
	flag := regexp.MustCompile(`(?:^|[\s,])(-h|--(?:\[no-\])?[a-z][a-z.-]*[a-z])`)
	flagsIn := func(text string) []string {
		var flags []string
		for _, m := range flag.FindAllStringSubmatch(text, -1) {
			f := strings.Replace(m[1], "[no-]", "", 1)
			if !slices.Contains(flags, f) {
				flags = append(flags, f)
			}
		}
		return flags
	}
	var help []string
	for _, f := range flagsIn(stdout.String()) {
		if f != "--help-long" && f != "--help-man" {
			help = append(help, f)
		}
	}
	if len(help) < 15 || !slices.Contains(help, "--max-series") {
		t.Fatalf("flags of --help: %q", help)
	}
	b, err := os.ReadFile("../../man/dropwatch_exporter.1")
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
	for _, f := range help {
		if !slices.Contains(documented, f) {
			t.Errorf("%s is in --help but has no paragraph in man/dropwatch_exporter.1's OPTIONS", f)
		}
	}
	for _, f := range documented {
		if !slices.Contains(help, f) {
			t.Errorf("man/dropwatch_exporter.1 describes %s, which is no flag", f)
		}
	}
}
