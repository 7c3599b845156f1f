package counters

import (
	"bytes"
	"strconv"
)

// The MIB files come in two layouts, and iproute2's misc/nstat.c names the
// counters of both; we name them the same way.
//
// /proc/net/snmp and /proc/net/netstat (net/ipv4/proc.c snmp_seq_show,
// netstat_seq_show) hold pairs of lines, a header and its values:
//
//	Udp: InDatagrams NoPorts InErrors ...
//	Udp: 69 1441 0 ...
//
// nstat's load_ugly_table joins the prefix before ':' to each field:
// "Udp" + "NoPorts" = UdpNoPorts, "TcpExt" + "ListenDrops" =
// TcpExtListenDrops. A prefix may occur in several pairs: icmpmsg_put
// prints the IcmpMsg pair once per 16 non-zero message types.
//
// /proc/net/snmp6 (net/ipv6/proc.c snmp6_seq_show) holds one "Name value"
// line per counter, and the names are taken as they are (Ip6InDiscards,
// Udp6InErrors), as nstat's load_good_table does.
//
// The kernel prints every value with %lu (snmp_seq_show_item and friends)
// except Tcp's MaxConn, which it prints as a signed -1; a leading '-' is
// accepted and the value kept as its two's complement, which is what
// nstat's "%llu" makes of it.

// uselessMIB lists what nstat's useless_number leaves out: configuration
// values and the one gauge, which are no counters.
var uselessMIB = map[string]bool{
	"IpForwarding":    true,
	"IpDefaultTTL":    true,
	"TcpRtoAlgorithm": true,
	"TcpRtoMin":       true,
	"TcpRtoMax":       true,
	"TcpMaxConn":      true,
	"TcpCurrEstab":    true,
}

// interner returns one string for each distinct name, so that repeated
// snapshots do not allocate the same names again. It forgets everything
// when it holds more than maxInterned names, which bounds its memory on a
// host whose interfaces come and go.
type interner struct {
	m map[string]string
}

const maxInterned = 1 << 16

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if in.m == nil || len(in.m) >= maxInterned {
		in.m = make(map[string]string, 1024)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// parseUgly parses the paired-line layout of /proc/net/snmp and
// /proc/net/netstat, calling emit for each counter. It parses every pair it
// can and returns an error matching ErrMalformed for the first one it could
// not: a header without a value line, a value line of another prefix, a
// different number of names and values, a value that is not a number.
func parseUgly(data []byte, in *interner, emit func(name string, v uint64)) error {
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	var name []byte
	lineNo := 0
	next := func() ([]byte, bool) {
		for len(data) > 0 {
			var line []byte
			line, data, _ = bytes.Cut(data, []byte{'\n'})
			lineNo++
			if len(bytes.TrimSpace(line)) > 0 {
				return line, true
			}
		}
		return nil, false
	}
	var pending []byte // a line read as a value line that turned out to be a header
	for {
		header := pending
		pending = nil
		if header == nil {
			var ok bool
			if header, ok = next(); !ok {
				break
			}
		}
		hLine := lineNo
		prefix, names, ok := bytes.Cut(header, []byte{':'})
		if !ok || !isName(prefix) {
			fail(malformed("line %d: no \"Prefix:\" at the start: %q", hLine, clip(header)))
			continue
		}
		values, ok := next()
		if !ok {
			fail(malformed("line %d: %s header has no value line (truncated file?)", hLine, prefix))
			break
		}
		vPrefix, vals, ok := bytes.Cut(values, []byte{':'})
		if !ok || !bytes.Equal(vPrefix, prefix) {
			fail(malformed("line %d: %s header is followed by %q, not its values", hLine, prefix, clip(values)))
			pending = values
			continue
		}
		nNames, nVals := countFields(names), countFields(vals)
		if nNames != nVals {
			fail(malformed("line %d: %s has %d names but %d values", hLine, prefix, nNames, nVals))
			continue
		}
		if nNames == 0 {
			fail(malformed("line %d: %s has no names", hLine, prefix))
			continue
		}
		if err := checkNames(names); err != nil {
			fail(malformed("line %d: %s: %v", hLine, prefix, err))
			continue
		}
		// Check every value before emitting any, so that a bad pair
		// gives nothing rather than a part of itself.
		if err := checkValues(vals); err != nil {
			fail(malformed("line %d: %s: %v", lineNo, prefix, err))
			continue
		}
		for {
			var f, v []byte
			f, names = nextField(names)
			v, vals = nextField(vals)
			if f == nil {
				break
			}
			name = append(append(name[:0], prefix...), f...)
			n, _ := parseValue(v)
			if uselessMIB[string(name)] {
				continue
			}
			emit(in.get(name), n)
		}
	}
	return first
}

// parseGood parses the one-counter-a-line layout of /proc/net/snmp6. It
// parses every line it can and returns an error matching ErrMalformed for
// the first one it could not.
func parseGood(data []byte, in *interner, emit func(name string, v uint64)) error {
	var first error
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		name, rest := nextField(line)
		v, rest := nextField(rest)
		extra, _ := nextField(rest)
		n, err := parseValue(v)
		switch {
		case !isName(name):
			err = malformed("line %d: %q is not a counter name", lineNo, clip(name))
		case v == nil:
			err = malformed("line %d: %q has no value", lineNo, clip(line))
		case extra != nil:
			err = malformed("line %d: %q has more than a name and a value", lineNo, clip(line))
		case err != nil:
			err = malformed("line %d: %s: %v", lineNo, name, err)
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if uselessMIB[string(name)] {
			continue
		}
		emit(in.get(name), n)
	}
	return first
}

// isName reports whether b looks like a MIB prefix or counter name: the
// kernel's are made of ASCII letters and digits (include/uapi/linux/snmp.h
// and the SNMP_MIB_ITEM names in net/ipv4/proc.c, net/ipv6/proc.c).
func isName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkNames(names []byte) error {
	for {
		var f []byte
		f, names = nextField(names)
		if f == nil {
			return nil
		}
		if !isName(f) {
			return valueError{f, "not a counter name"}
		}
	}
}

func checkValues(vals []byte) error {
	for {
		var v []byte
		v, vals = nextField(vals)
		if v == nil {
			return nil
		}
		if _, err := parseValue(v); err != nil {
			return err
		}
	}
}

// nextField returns the first blank-separated field of b and the rest, or
// nil when b has no more fields.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	if i == len(b) {
		return nil, nil
	}
	j := i
	for j < len(b) && !isBlank(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

func countFields(b []byte) int {
	n := 0
	for {
		var f []byte
		if f, b = nextField(b); f == nil {
			return n
		}
		n++
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

type valueError struct {
	v    []byte
	what string
}

func (e valueError) Error() string { return e.what + ": " + strconvQuote(clip(e.v)) }

// strconvQuote quotes b if it has anything but printable ASCII.
func strconvQuote(b []byte) string {
	for _, c := range b {
		if c < 0x21 || c > 0x7e {
			return strconv.Quote(string(b))
		}
	}
	return string(b)
}

// parseValue parses a decimal counter; a leading '-' gives the two's
// complement, as C's strtoull does.
func parseValue(b []byte) (uint64, error) {
	neg := len(b) > 0 && b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || len(d) > 20 {
		return 0, valueError{b, "not a number"}
	}
	var n uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, valueError{b, "not a number"}
		}
		m := n*10 + uint64(c-'0')
		if n > (1<<64-1)/10 || m < n*10 {
			return 0, valueError{b, "not a number"}
		}
		n = m
	}
	if neg {
		n = -n
	}
	return n, nil
}

// clip shortens text quoted in an error message.
func clip(b []byte) []byte {
	if len(b) > 60 {
		return append(b[:60:60], "..."...)
	}
	return b
}
