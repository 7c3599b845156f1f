package completion

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/getopt"
)

// The scripts themselves are run in real shells by cmd/dropwatch's tests
// (TestBashCompletion, TestFishCompletion, TestCompletionSyntax); these
// check the pieces a new command would rely on.

func TestDescriptions(t *testing.T) {
	help := `Usage: x
Options:
  -l, --lmethod METHOD  how summary alerts name drop locations:
                          none  raw addresses
      --force           send STOP before each START; ending monitoring
      --sw, --hw        monitor software / hardware drops (default: the
                        kernel's, software only)
      --completion SHELL
                        print the completion script. And exit
`
	want := map[string]string{
		"lmethod":    "how summary alerts name drop locations",
		"force":      "send STOP before each START",
		"sw":         "monitor software / hardware drops (default: the kernel's, software only)",
		"hw":         "monitor software / hardware drops (default: the kernel's, software only)",
		"completion": "print the completion script",
	}
	if diff := cmp.Diff(want, Descriptions(help)); diff != "" {
		t.Errorf("Descriptions (-want +got):\n%s", diff)
	}
}

func TestScript(t *testing.T) {
	s := Spec{Options: []Option{
		{Name: "mode", HasArg: true, Arg: Arg{Words: []string{"summary", "packet"}}, Desc: "alert mode"},
		{Name: "help", Short: 'h'},
	}}
	if got := Script("ksh", s); got != "" {
		t.Errorf("Script(ksh) = %q, want nothing", got)
	}
	for shell, want := range map[string][]string{
		"bash": {"\t--mode)\n", "compgen -W 'summary packet'", "'--mode --help -h'"},
		"zsh":  {"'--mode=[alert mode]:mode:(summary packet)'", "'(-h --help)'{-h,--help}'[]'"},
		"fish": {"complete -c dropwatch -l mode -x -a 'summary packet' -d 'alert mode'", "complete -c dropwatch -s h -l help\n"},
	} {
		got := Script(shell, s)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s script lacks %q:\n%s", shell, w, got)
			}
		}
	}
}

func TestFromFlags(t *testing.T) {
	type opts struct{}
	flags := []getopt.Flag[opts]{{Name: "write", Short: 'w', HasArg: true}, {Name: "force"}}
	help := "Usage: x [OPTIONS]\n  -w, --write FILE    write the capture. More words.\n      --force         send STOP first\n"
	got := FromFlags(flags, map[string]Arg{"write": {Files: true}}, help)
	want := []Option{
		{Name: "write", Short: 'w', HasArg: true, Arg: Arg{Files: true}, Desc: Descriptions(help)["write"]},
		{Name: "force", Desc: Descriptions(help)["force"]},
	}
	if diff := cmp.Diff(want, got); diff != "" || want[0].Desc == "" {
		t.Errorf("FromFlags (-want +got):\n%s", diff)
	}
}
