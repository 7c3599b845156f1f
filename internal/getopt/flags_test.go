package getopt

import (
	"errors"
	"slices"
	"testing"
)

type settings struct {
	verbose bool
	out     string
	help    bool
	log     []string
}

var testFlags = []Flag[settings]{
	{Name: "verbose", Short: 'v', Set: func(s *settings, _ string) error { s.verbose = true; s.log = append(s.log, "v"); return nil }},
	{Name: "out", Short: 'o', HasArg: true, Values: "a file", Set: func(s *settings, arg string) error {
		if arg == "" {
			return errors.New("empty out")
		}
		s.out = arg
		s.log = append(s.log, "o="+arg)
		return nil
	}},
	{Name: "help", Short: 'h', Set: func(s *settings, _ string) error { s.help = true; return nil }},
}

func stopAtHelp(s *settings) bool { return s.help }

func TestParse(t *testing.T) {
	var s settings
	ops, stopped, err := Parse(Parser{Args: []string{"a", "-v", "--out=x", "b", "--", "-v"}}, testFlags, &s, stopAtHelp)
	if err != nil || stopped || !slices.Equal(ops, []string{"a", "b", "-v"}) || !slices.Equal(s.log, []string{"v", "o=x"}) {
		t.Errorf("Parse = %q, %v, %v; settings %+v", ops, stopped, err, s)
	}
	s = settings{}
	ops, stopped, err = Parse(Parser{Args: []string{"-o", "y", "-h", "--bogus", "z"}}, testFlags, &s, stopAtHelp)
	if err != nil || !stopped || ops != nil || s.out != "y" {
		t.Errorf("Parse with -h = %q, %v, %v; settings %+v; want it stopped at -h", ops, stopped, err, s)
	}
	var e *Error
	if _, _, err := Parse(Parser{Args: []string{"--bogus"}}, testFlags, &settings{}, stopAtHelp); !errors.As(err, &e) || e.Kind != Unrecognized {
		t.Errorf("Parse --bogus: %v, want an Unrecognized *Error", err)
	}
	if _, _, err := Parse(Parser{Args: []string{"--out="}}, testFlags, &settings{}, stopAtHelp); err == nil || err.Error() != "empty out" {
		t.Errorf("Parse --out=: %v, want Set's error", err)
	}
	if f, ok := FindFlag(testFlags, "out"); !ok || f.Values != "a file" {
		t.Errorf("FindFlag(out) = %+v, %v", f, ok)
	}
	if _, ok := FindFlag(testFlags, "in"); ok {
		t.Error("FindFlag(in) found a flag")
	}
}
