package getopt

// Flag is an option of a command's table together with what it does: Set
// is given the option's argument ("" without one), and Values says what
// the argument may be, for the message of a missing one.
type Flag[T any] struct {
	Name   string
	Short  byte // 0 when the option has no short form
	HasArg bool
	OptArg bool // see Option
	Set    func(o *T, arg string) error
	Values string
}

// FindFlag returns the flag of flags named name.
func FindFlag[T any](flags []Flag[T], name string) (Flag[T], bool) {
	for _, f := range flags {
		if f.Name == name {
			return f, true
		}
	}
	return Flag[T]{}, false
}

// Parse walks p.Args over the options of flags (p.Long is made from them)
// and calls each option's Set on o, in the order given, as the C tools act
// on each option as getopt_long returns it. It ends when the options are
// exhausted, at a bad option (its *Error) or a failed Set (its error), or
// when stop(o) is true after an option, for an option that ends the
// program at once (-h); then the rest is not parsed. It returns the
// operands, and whether stop ended the parse.
func Parse[T any](p Parser, flags []Flag[T], o *T, stop func(*T) bool) (operands []string, stopped bool, err error) {
	p.Long = make([]Option, len(flags))
	for i, f := range flags {
		p.Long[i] = Option{Name: f.Name, Short: f.Short, HasArg: f.HasArg, OptArg: f.OptArg}
	}
	for {
		opt, arg, more, err := p.Next()
		switch {
		case !more:
			return p.Operands(), false, nil
		case err != nil:
			return nil, false, err
		}
		f, _ := FindFlag(flags, opt.Name)
		if err := f.Set(o, arg); err != nil {
			return nil, false, err
		}
		if stop(o) {
			return nil, true, nil
		}
	}
}
