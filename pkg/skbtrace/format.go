package skbtrace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// maxFormatSize bounds what ParseFormat reads: real format files are a few
// kilobytes (the 6.18 kfree_skb one is 4 KiB with 127 reasons).
const maxFormatSize = 1 << 20

// maxRecordOffset bounds field offsets and sizes: a trace record is at most
// a page.
const maxRecordOffset = 1 << 16

// Field is one field of a trace event record, from a line of the format
// file such as
//
//	field:void * location;	offset:16;	size:8;	signed:0;
type Field struct {
	// Name is the field's C name ("location").
	Name string
	// Type is the C declaration without the name ("void *"), with any
	// array suffix appended ("char[16]").
	Type string
	// Offset and Size locate the field in the raw record, in bytes.
	Offset int
	Size   int
	// Signed is the format's signed flag (false if the line has none).
	Signed bool
}

// Format is a parsed tracefs event format file (events/SYSTEM/EVENT/format).
type Format struct {
	// Name is the event name ("kfree_skb").
	Name string
	// ID is the event id, the perf config value for PERF_TYPE_TRACEPOINT.
	ID uint32
	// Fields lists the fields in file order, common fields first.
	Fields []Field
	// PrintFmt is the text after "print fmt: ".
	PrintFmt string
	// Reasons maps drop reason codes to names, from the print format's
	// __print_symbolic(REC->reason, ...) table; empty if there is none.
	Reasons map[uint32]string
	// UnresolvedReasons lists names in that table whose code the kernel
	// left symbolic (an enum without TRACE_DEFINE_ENUM); they cannot be
	// matched against a code.
	UnresolvedReasons []string
}

// Field returns the field with the given name.
func (f *Format) Field(name string) (Field, bool) {
	for _, fd := range f.Fields {
		if fd.Name == name {
			return fd, true
		}
	}
	return Field{}, false
}

// ConsumedReason returns the reason code that marks a consumed (not dropped)
// packet: the table's entry named CONSUMED or SKB_CONSUMED, else 1 if the
// table puts NOT_SPECIFIED at 2 (enum skb_drop_reason starts
// SKB_NOT_DROPPED_YET, SKB_CONSUMED, SKB_DROP_REASON_NOT_SPECIFIED on every
// kernel that has SKB_CONSUMED). ok is false if the format has no reason
// field or neither rule applies.
func (f *Format) ConsumedReason() (code uint32, ok bool) {
	if _, has := f.Field("reason"); !has {
		return 0, false
	}
	for c, name := range f.Reasons {
		if name == "CONSUMED" || name == "SKB_CONSUMED" {
			return c, true
		}
	}
	if f.Reasons[2] == "NOT_SPECIFIED" {
		return 1, true
	}
	return 0, false
}

// ParseFormat parses a tracefs event format file. It needs at least one
// field line; the name, ID and print format are optional, and a missing or
// unparsable __print_symbolic table leaves Reasons empty. It never panics
// on malformed input.
func ParseFormat(r io.Reader) (*Format, error) {
	f := &Format{Reasons: map[uint32]string{}}
	sc := bufio.NewScanner(io.LimitReader(r, maxFormatSize))
	sc.Buffer(make([]byte, 0, 4096), maxFormatSize)
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		var err error
		switch {
		case strings.HasPrefix(line, "name:"):
			f.Name = strings.TrimSpace(strings.TrimPrefix(line, "name:"))
		case strings.HasPrefix(line, "ID:"):
			var id uint64
			id, err = strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "ID:")), 10, 32)
			f.ID = uint32(id)
		case strings.HasPrefix(line, "field:"):
			var fd Field
			fd, err = parseField(line)
			if err == nil && seen[fd.Name] {
				err = fmt.Errorf("duplicate field %q", fd.Name)
			}
			seen[fd.Name] = true
			f.Fields = append(f.Fields, fd)
		case strings.HasPrefix(line, "print fmt:"):
			f.PrintFmt = strings.TrimSpace(strings.TrimPrefix(line, "print fmt:"))
		}
		if err != nil {
			return nil, fmt.Errorf("skbtrace: format line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("skbtrace: reading format: %w", err)
	}
	if len(f.Fields) == 0 {
		return nil, errors.New("skbtrace: format has no field lines")
	}
	f.Reasons, f.UnresolvedReasons = parseSymbolic(f.PrintFmt, "REC->reason")
	return f, nil
}

// parseField parses "field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;".
func parseField(line string) (Field, error) {
	var fd Field
	parts := strings.Split(line, ";")
	decl := strings.TrimSpace(strings.TrimPrefix(parts[0], "field:"))
	// Split off an array suffix ("char comm[16]"), then the identifier.
	suffix := ""
	if strings.HasSuffix(decl, "]") {
		if i := strings.LastIndexByte(decl, '['); i >= 0 {
			decl, suffix = strings.TrimSpace(decl[:i]), decl[i:]
		}
	}
	i := len(decl)
	for i > 0 && isIdentByte(decl[i-1]) {
		i--
	}
	fd.Name = decl[i:]
	fd.Type = strings.TrimSpace(decl[:i]) + suffix
	if fd.Name == "" {
		return fd, fmt.Errorf("no field name in %q", parts[0])
	}
	have := 0
	for _, p := range parts[1:] {
		key, val, ok := strings.Cut(strings.TrimSpace(p), ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(val)
		if err != nil {
			return fd, fmt.Errorf("field %s: %s: %w", fd.Name, key, err)
		}
		switch key {
		case "offset":
			fd.Offset = n
			have |= 1
		case "size":
			fd.Size = n
			have |= 2
		case "signed":
			fd.Signed = n != 0
		}
	}
	if have != 3 {
		return fd, fmt.Errorf("field %s: no offset or size", fd.Name)
	}
	if fd.Offset < 0 || fd.Size < 0 || fd.Offset+fd.Size > maxRecordOffset {
		return fd, fmt.Errorf("field %s: offset %d size %d out of range", fd.Name, fd.Offset, fd.Size)
	}
	return fd, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// parseSymbolic finds "__print_symbolic(ARG," in a print format and parses
// the { VALUE, "NAME" } pairs that follow, up to the closing parenthesis.
// Pairs whose value is not a number go to unresolved. Parsing stops quietly
// at the first thing that is not a pair.
func parseSymbolic(printFmt, arg string) (codes map[uint32]string, unresolved []string) {
	codes = map[uint32]string{}
	const fn = "__print_symbolic("
	i := strings.Index(printFmt, fn+arg)
	if i < 0 {
		return codes, nil
	}
	s := printFmt[i+len(fn)+len(arg):]
	for {
		s = strings.TrimLeft(s, " \t,")
		if !strings.HasPrefix(s, "{") {
			return codes, unresolved
		}
		val, rest, ok := strings.Cut(s[1:], ",")
		if !ok {
			return codes, unresolved
		}
		name, rest, ok := cutCString(strings.TrimLeft(rest, " \t"))
		if !ok {
			return codes, unresolved
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "}") {
			return codes, unresolved
		}
		s = rest[1:]
		val = strings.TrimSpace(val)
		if n, err := strconv.ParseUint(val, 0, 32); err == nil {
			codes[uint32(n)] = name
		} else {
			unresolved = append(unresolved, name)
		}
	}
}

// cutCString reads a double-quoted C string literal at the start of s and
// returns its text (backslash escapes resolved to the escaped byte) and the
// rest of s.
func cutCString(s string) (text, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// EventFilter returns an event filter (Options.Filter) in the kernel's
// syntax (Documentation/trace/events.rst, "Event filtering";
// kernel/trace/trace_events_filter.c parses it) that keeps the drops with
// one of these reason names ("NO_SOCKET") and one of these protocols,
// each kind only if given: "(reason == 2 || reason == 3) && (protocol ==
// 2048)". A reason name the format's table lacks is an error. Protocols
// are EtherTypes in host order, as skb:kfree_skb's protocol field holds
// them (include/trace/events/skb.h: ntohs(skb->protocol)); a format
// without that field gets no protocol term, so that the caller's own
// filter is the only one. The result is empty when nothing is filtered.
func (f *Format) EventFilter(reasons []string, protocols []uint16) (string, error) {
	var terms []string
	if len(reasons) > 0 {
		var codes []uint32
		for _, n := range reasons {
			found := false
			for code, name := range f.Reasons {
				if name == n {
					codes, found = append(codes, code), true
				}
			}
			if !found {
				return "", fmt.Errorf("skbtrace: no drop reason %q in the tracepoint's format", n)
			}
		}
		terms = append(terms, equalsAny("reason", codes))
	}
	if _, ok := f.Field("protocol"); ok && len(protocols) > 0 {
		codes := make([]uint32, len(protocols))
		for i, p := range protocols {
			codes[i] = uint32(p)
		}
		terms = append(terms, equalsAny("protocol", codes))
	}
	if len(terms) < 2 {
		return strings.Join(terms, ""), nil
	}
	return "(" + strings.Join(terms, ") && (") + ")", nil
}

// equalsAny returns "field == v1 || field == v2 ...", in increasing order
// without repeats.
func equalsAny(field string, values []uint32) string {
	values = slices.Clone(values)
	slices.Sort(values)
	values = slices.Compact(values)
	terms := make([]string, len(values))
	for i, v := range values {
		terms[i] = field + " == " + strconv.FormatUint(uint64(v), 10)
	}
	return strings.Join(terms, " || ")
}
