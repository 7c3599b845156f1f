package repl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// env records what the test table's commands were given.
type env struct {
	ran     []string
	refused bool
}

func record(e *env, args []string) error {
	e.ran = append(e.ran, strings.Join(args, ","))
	return nil
}

func refuse(e *env, name string) error {
	if e.refused {
		return fmt.Errorf("%s refused", name)
	}
	return nil
}

var testTable = []Command[*env]{
	{Name: "go", Usage: "go", Help: "go on", Run: record},
	{Name: "set", Sub: []Command[*env]{
		{Name: "speed", Usage: "speed <n>", Help: "how fast", Checks: []func(*env, string) error{refuse}, Run: record},
		{Name: "on", Usage: "on <true | false>", Help: "a switch", Values: []string{"true", "false"}, Run: record},
	}},
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		line    string
		refused bool
		ran     []string
		err     string
	}{
		{line: "", ran: nil},
		{line: " \t ", ran: nil},
		{line: " go  a\tb ", ran: []string{"a,b"}},
		{line: "set speed 3", ran: []string{"3"}},
		{line: "set speed 3", refused: true, err: "speed refused"},
		{line: "set on", ran: []string{""}},
		{line: "set", err: "set needs one of: speed, on"},
		{line: "set fast", err: `unknown set setting "fast"; type help`},
		{line: "stop", err: `unknown command "stop"; type help`},
	}
	for _, tt := range tests {
		e := &env{refused: tt.refused}
		err := Dispatch(testTable, e, tt.line)
		if (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("%q: error %v, want %q", tt.line, err, tt.err)
		}
		if diff := cmp.Diff(tt.ran, e.ran); diff != "" {
			t.Errorf("%q: runs (-want +got):\n%s", tt.line, diff)
		}
	}
	var ue UnknownCommandError
	if err := Exec(testTable, &env{}, []string{"set", "x"}); !errors.As(err, &ue) || ue != (UnknownCommandError{Name: "x", Within: "set"}) {
		t.Errorf("Exec set x: %#v", err)
	}
}

func TestArgs(t *testing.T) {
	if err := NoArgs("go", []string{"a", "b"}); err == nil || err.Error() != `go takes no argument (got "a b")` {
		t.Errorf("NoArgs: %v", err)
	}
	if err := NoArgs("go", nil); err != nil {
		t.Errorf("NoArgs without arguments: %v", err)
	}
	if _, err := OneArg("set speed <n>", nil); err == nil || err.Error() != "usage: set speed <n>" {
		t.Errorf("OneArg: %v", err)
	}
	if a, err := OneArg("set speed <n>", []string{"7"}); a != "7" || err != nil {
		t.Errorf("OneArg = %q, %v", a, err)
	}
	for _, tt := range []struct {
		arg  string
		bits int
		n    uint64
		err  string
	}{
		{"42", 32, 42, ""},
		{"4294967295", 32, 1<<32 - 1, ""},
		{"4294967296", 32, 0, `invalid number "4294967296": usage: u, a number from 0 to 4294967295`},
		{"-1", 64, 0, `invalid number "-1": usage: u, a number from 0 to 18446744073709551615`},
		{"x", 32, 0, `invalid number "x": usage: u, a number from 0 to 4294967295`},
	} {
		n, err := ParseCount("u", tt.arg, tt.bits)
		if n != tt.n || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("ParseCount(%q, %d) = %d, %v; want %d, %q", tt.arg, tt.bits, n, err, tt.n, tt.err)
		}
	}
	for arg, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false} {
		if b, err := ParseBool("u", arg); b != want || err != nil {
			t.Errorf("ParseBool(%q) = %v, %v", arg, b, err)
		}
	}
	if _, err := ParseBool("u", "yes"); err == nil || err.Error() != `invalid boolean value "yes": usage: u` {
		t.Errorf("ParseBool(yes): %v", err)
	}
}

func TestHelp(t *testing.T) {
	var b strings.Builder
	WriteHelp(&b, HelpFormat{Header: "Commands:\n", Column: 16, TabWidth: 8}, testTable)
	want := "Commands:\n" +
		"go\t\t - go on\n" +
		"set:\n" +
		"\tspeed <n> - how fast\n" +
		"\ton <true | false> - a switch\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("help (-want +got):\n%s", diff)
	}
}

func TestCompleter(t *testing.T) {
	c := Completer(testTable)
	for line, want := range map[string][]string{
		"":        {"go ", "set "},
		"set ":    {"speed ", "on "},
		"set on":  {" "},
		"set on ": {"true ", "false "},
	} {
		got, _ := c.Do([]rune(line), len(line))
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if diff := cmp.Diff(want, gs); diff != "" {
			t.Errorf("completions of %q (-want +got):\n%s", line, diff)
		}
	}
}

func TestValues(t *testing.T) {
	if got := Values(testTable, "set", "on"); !slices.Equal(got, []string{"true", "false"}) {
		t.Errorf("Values(set on) = %q", got)
	}
	if got := Values(testTable, "set", "off"); got != nil {
		t.Errorf("Values(set off) = %q, want nil", got)
	}
	if got := Values(testTable, "go"); got != nil {
		t.Errorf("Values(go) = %q, want nil", got)
	}
}
