package getopt

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step is one return of Next, written as a string: "w=ARG" for an option
// with its short form, "--name=ARG" for one without, "end", or the error.
func walk(p *Parser) []string {
	var got []string
	for len(got) < 20 {
		o, arg, more, err := p.Next()
		switch {
		case !more:
			return append(got, "end")
		case err != nil:
			got = append(got, "error: "+err.Error())
		case o.Short != 0:
			got = append(got, fmt.Sprintf("%c=%s", o.Short, arg))
		default:
			got = append(got, fmt.Sprintf("--%s=%s", o.Name, arg))
		}
	}
	return got
}

var table = []Option{
	{Name: "write", Short: 'w', HasArg: true},
	{Name: "query", Short: 'q'},
	{Name: "passive", Short: 'p'},
	{Name: "explain", HasArg: true, OptArg: true},
	{Name: "lmethod", Short: 'l', HasArg: true},
	{Name: "limit", HasArg: true},
}

func TestNext(t *testing.T) {
	tests := []struct {
		args     []string
		want     []string
		operands []string
	}{
		{[]string{"-w", "f", "-qp"}, []string{"w=f", "q=", "p=", "end"}, nil},
		{[]string{"-wfile", "-w", "-x"}, []string{"w=file", "w=-x", "end"}, nil},
		{[]string{"-qwf"}, []string{"q=", "w=f", "end"}, nil},
		// Operands are set aside, and "--" ends the options.
		{[]string{"a", "-q", "b", "--", "-p", "c"}, []string{"q=", "end"}, []string{"a", "b", "-p", "c"}},
		{[]string{"-"}, []string{"end"}, []string{"-"}},
		{[]string{"--wr=x", "--write", "y", "--q"}, []string{"w=x", "w=y", "q=", "end"}, nil},
		// An optional argument: after '=', or the next word unless it
		// is an option.
		{[]string{"--explain", "--explain", "X", "--explain=Y", "--explain"}, []string{"--explain=", "--explain=X", "--explain=Y", "--explain=", "end"}, nil},
		{[]string{"--ex", "-q"}, []string{"--explain=", "q=", "end"}, nil},
		{[]string{"-x", "-q"}, []string{"error: invalid option -- 'x'", "q=", "end"}, nil},
		{[]string{"-w"}, []string{"error: option requires an argument -- 'w'", "end"}, nil},
		{[]string{"--write"}, []string{"error: option '--write' requires an argument", "end"}, nil},
		{[]string{"--query=1"}, []string{"error: option '--query' doesn't allow an argument", "end"}, nil},
		{[]string{"--nope=1"}, []string{"error: unrecognized option '--nope=1'", "end"}, nil},
		{[]string{"--l=3"}, []string{"error: option '--l=3' is ambiguous; possibilities: '--lmethod' '--limit'", "end"}, nil},
		// glibc matches the empty name as a prefix of every option.
		{[]string{"--=3"}, []string{"error: option '--=3' is ambiguous; possibilities: '--write' '--query' '--passive' '--explain' '--lmethod' '--limit'", "end"}, nil},
	}
	for _, tt := range tests {
		p := &Parser{Args: tt.args, Long: table}
		if diff := cmp.Diff(tt.want, walk(p)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
		if diff := cmp.Diff(tt.operands, p.Operands()); diff != "" {
			t.Errorf("%q: operands (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestPreferAndMinAbbrev(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--l", "kas"}, []string{"l=kas", "end"}},
		{[]string{"--li", "5"}, []string{"--limit=5", "end"}},
		{[]string{"--=3"}, []string{"error: unrecognized option '--=3'", "end"}},
	}
	for _, tt := range tests {
		p := &Parser{Args: tt.args, Long: table, MinAbbrev: 1, Prefer: "lmethod"}
		if diff := cmp.Diff(tt.want, walk(p)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
}

// The texts are glibc 2.36's for the same table (they were dwdump's
// tests, with the program name that dwdump puts before them).
func TestGlibcDiagnostics(t *testing.T) {
	longs := []Option{{Name: "write", HasArg: true, Short: 'w'}, {Name: "wrong", Short: 'x'}, {Name: "abc", HasArg: true, Short: 'a'}}
	tests := []struct {
		args []string
		diag string
	}{
		{[]string{"--wr"}, "option '--wr' is ambiguous; possibilities: '--write' '--wrong'"},
		{[]string{"--wr=1"}, "option '--wr=1' is ambiguous; possibilities: '--write' '--wrong'"},
		{[]string{"--w", "x"}, "option '--w' is ambiguous; possibilities: '--write' '--wrong'"},
		{[]string{"--ab"}, "option '--abc' requires an argument"},
		{[]string{"--wrong=3"}, "option '--wrong' doesn't allow an argument"},
		{[]string{"-a"}, "option requires an argument -- 'a'"},
	}
	for _, tt := range tests {
		p := Parser{Args: tt.args, Long: longs}
		_, _, _, err := p.Next()
		var e *Error
		if !errors.As(err, &e) || e.Error() != tt.diag {
			t.Errorf("%q: error %v, want %q", tt.args, err, tt.diag)
		}
	}
	// An exact name wins over longer names it prefixes.
	p := Parser{Args: []string{"--wr"}, Long: []Option{{Name: "wr", Short: 'r'}, {Name: "write", HasArg: true, Short: 'w'}}}
	if o, _, _, err := p.Next(); o.Short != 'r' || err != nil {
		t.Errorf("--wr with an option named wr: got %q %v", o.Short, err)
	}
}
