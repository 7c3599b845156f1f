package skbtrace

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// formatCase describes what a real format file in testdata must parse to.
// The expectations are written from reading the file's text.
type formatCase struct {
	file   string
	name   string
	id     uint32
	fields []Field
	// reasons are spot checks of the reason table; nReasons its size.
	reasons  map[uint32]string
	nReasons int
	// consumed is ConsumedReason's answer.
	consumed    uint32
	hasConsumed bool
}

// commonFields are the four fields every event starts with on 64-bit
// kernels (include/linux/trace_events.h, struct trace_entry).
var commonFields = []Field{
	{Name: "common_type", Type: "unsigned short", Offset: 0, Size: 2},
	{Name: "common_flags", Type: "unsigned char", Offset: 2, Size: 1},
	{Name: "common_preempt_count", Type: "unsigned char", Offset: 3, Size: 1},
	{Name: "common_pid", Type: "int", Offset: 4, Size: 4, Signed: true},
}

// formatCases: adding a captured kernel is adding one entry.
var formatCases = []formatCase{
	{
		file: "kfree_skb-6.18.44-fc-v782.format",
		name: "kfree_skb",
		id:   2310,
		fields: append(append([]Field(nil), commonFields...),
			Field{Name: "skbaddr", Type: "void *", Offset: 8, Size: 8},
			Field{Name: "location", Type: "void *", Offset: 16, Size: 8},
			Field{Name: "rx_sk", Type: "void *", Offset: 24, Size: 8},
			Field{Name: "protocol", Type: "unsigned short", Offset: 32, Size: 2},
			Field{Name: "reason", Type: "enum skb_drop_reason", Offset: 36, Size: 4},
		),
		reasons: map[uint32]string{
			2: "NOT_SPECIFIED", 3: "NO_SOCKET", 11: "UDP_CSUM", 71: "CPU_BACKLOG",
			127: "RECURSION_LIMIT", 128: "MAX",
		},
		nReasons:    127, // 2 through 128
		consumed:    1,   // no CONSUMED entry; NOT_SPECIFIED is 2
		hasConsumed: true,
	},
	{
		// Before SKB_CONSUMED (6.2): NOT_SPECIFIED is 1, and the
		// location is printed with %p.
		file: "kfree_skb-6.1.0-56-amd64.format",
		name: "kfree_skb",
		id:   1319,
		fields: append(append([]Field(nil), commonFields...),
			Field{Name: "skbaddr", Type: "void *", Offset: 8, Size: 8},
			Field{Name: "location", Type: "void *", Offset: 16, Size: 8},
			Field{Name: "protocol", Type: "unsigned short", Offset: 24, Size: 2},
			Field{Name: "reason", Type: "enum skb_drop_reason", Offset: 28, Size: 4},
		),
		reasons: map[uint32]string{
			1: "NOT_SPECIFIED", 2: "NO_SOCKET", 6: "UDP_CSUM", 46: "CPU_BACKLOG",
			65: "TC_CHAIN_NOTFOUND", 66: "MAX",
		},
		nReasons:    66, // 1 through 66
		consumed:    0,  // no CONSUMED entry, and NOT_SPECIFIED is 1
		hasConsumed: false,
	},
	{
		file: "kfree_skb-6.12.117+deb12-amd64.format",
		name: "kfree_skb",
		id:   1461,
		fields: append(append([]Field(nil), commonFields...),
			Field{Name: "skbaddr", Type: "void *", Offset: 8, Size: 8},
			Field{Name: "location", Type: "void *", Offset: 16, Size: 8},
			Field{Name: "rx_sk", Type: "void *", Offset: 24, Size: 8},
			Field{Name: "protocol", Type: "unsigned short", Offset: 32, Size: 2},
			Field{Name: "reason", Type: "enum skb_drop_reason", Offset: 36, Size: 4},
		),
		reasons: map[uint32]string{
			2: "NOT_SPECIFIED", 3: "NO_SOCKET", 10: "UDP_CSUM", 61: "CPU_BACKLOG",
			103: "LOCAL_MAC", 104: "MAX",
		},
		nReasons:    103, // 2 through 104
		consumed:    1,   // no CONSUMED entry; NOT_SPECIFIED is 2
		hasConsumed: true,
	},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFormatFiles(t *testing.T) {
	for _, tc := range formatCases {
		t.Run(tc.file, func(t *testing.T) {
			text := readTestdata(t, tc.file)
			f, err := ParseFormat(strings.NewReader(string(text)))
			if err != nil {
				t.Fatalf("ParseFormat: %v", err)
			}
			if f.Name != tc.name || f.ID != tc.id {
				t.Errorf("name, ID = %q, %d, want %q, %d", f.Name, f.ID, tc.name, tc.id)
			}
			if diff := cmp.Diff(tc.fields, f.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if len(f.Reasons) != tc.nReasons {
				t.Errorf("%d reasons, want %d", len(f.Reasons), tc.nReasons)
			}
			// The table must hold exactly the pairs of the print format,
			// counted here with a regular expression instead of the parser.
			pairs := regexp.MustCompile(`\{ (\d+), "([A-Z0-9_]+)" \}`).FindAllStringSubmatch(f.PrintFmt, -1)
			if len(pairs) != tc.nReasons {
				t.Errorf("print fmt has %d pairs, want %d", len(pairs), tc.nReasons)
			}
			for _, p := range pairs {
				if got := f.Reasons[parseU32(t, p[1])]; got != p[2] {
					t.Errorf("Reasons[%s] = %q, want %q", p[1], got, p[2])
				}
			}
			spot := map[uint32]string{}
			for code := range tc.reasons {
				spot[code] = f.Reasons[code]
			}
			if diff := cmp.Diff(tc.reasons, spot); diff != "" {
				t.Errorf("reason spot checks (-want +got):\n%s", diff)
			}
			if len(f.UnresolvedReasons) != 0 {
				t.Errorf("UnresolvedReasons = %v, want none", f.UnresolvedReasons)
			}
			code, ok := f.ConsumedReason()
			if code != tc.consumed || ok != tc.hasConsumed {
				t.Errorf("ConsumedReason() = %d, %v, want %d, %v", code, ok, tc.consumed, tc.hasConsumed)
			}
		})
	}
}

func parseU32(t *testing.T, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n)
}

// withoutReason returns the 6.18 format with its reason field and reason
// table removed: the shape of the tracepoint before Linux 5.17.
func withoutReason(t testing.TB) string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(string(readTestdata(t, formatCases[0].file)), "\n") {
		if strings.Contains(line, "field:enum skb_drop_reason reason;") {
			continue
		}
		if strings.HasPrefix(line, "print fmt:") {
			line = `print fmt: "skbaddr=%p protocol=%u location=%pS", REC->skbaddr, REC->protocol, REC->location`
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestParseFormatWithoutReason(t *testing.T) {
	f, err := ParseFormat(strings.NewReader(withoutReason(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Field("reason"); ok {
		t.Error("reason field found")
	}
	if len(f.Reasons) != 0 {
		t.Errorf("Reasons = %v, want empty", f.Reasons)
	}
	if code, ok := f.ConsumedReason(); ok {
		t.Errorf("ConsumedReason() = %d, true without a reason field", code)
	}
}

// TestParseSymbolic covers print format shapes the captured files do not
// show: unresolved enum names, hex values, escapes, an explicit CONSUMED
// entry, a broken table.
func TestParseSymbolic(t *testing.T) {
	tests := []struct {
		name           string
		printFmt       string
		want           map[uint32]string
		wantUnresolved []string
	}{
		{
			name:     "decimal and hex",
			printFmt: `"reason: %s", __print_symbolic(REC->reason, { 1, "CONSUMED" }, { 0x2, "NOT_SPECIFIED" })`,
			want:     map[uint32]string{1: "CONSUMED", 2: "NOT_SPECIFIED"},
		},
		{
			name:           "unresolved enum name",
			printFmt:       `"%s", __print_symbolic(REC->reason, { SKB_DROP_REASON_FOO, "FOO" }, { 3, "NO_SOCKET" })`,
			want:           map[uint32]string{3: "NO_SOCKET"},
			wantUnresolved: []string{"FOO"},
		},
		{
			name:     "escaped quote",
			printFmt: `"%s", __print_symbolic(REC->reason, { 4, "A\"B" })`,
			want:     map[uint32]string{4: `A"B`},
		},
		{
			name:     "other field's table ignored",
			printFmt: `"%s %s", __print_symbolic(REC->other, { 9, "X" }), __print_symbolic(REC->reason, { 5, "Y" })`,
			want:     map[uint32]string{5: "Y"},
		},
		{
			name:     "broken table keeps the pairs before the break",
			printFmt: `"%s", __print_symbolic(REC->reason, { 6, "OK" }, { 7, "CUT`,
			want:     map[uint32]string{6: "OK"},
		},
		{
			name:     "no table",
			printFmt: `"reason=%u", REC->reason`,
			want:     map[uint32]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, unresolved := parseSymbolic(tc.printFmt, "REC->reason")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantUnresolved, unresolved); diff != "" {
				t.Errorf("unresolved (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConsumedReasonExplicitEntry(t *testing.T) {
	f := &Format{
		Fields:  []Field{{Name: "reason", Offset: 0, Size: 4}},
		Reasons: map[uint32]string{5: "SKB_CONSUMED", 6: "NOT_SPECIFIED"},
	}
	if code, ok := f.ConsumedReason(); code != 5 || !ok {
		t.Errorf("ConsumedReason() = %d, %v, want 5, true", code, ok)
	}
	f.Reasons = map[uint32]string{1: "NOT_SPECIFIED"}
	if code, ok := f.ConsumedReason(); ok {
		t.Errorf("ConsumedReason() = %d, true for a table with NOT_SPECIFIED at 1", code)
	}
}

func TestParseFormatErrors(t *testing.T) {
	tests := []struct {
		name, text, wantErr string
	}{
		{"empty", "", "no field lines"},
		{"no fields", "name: x\nID: 3\nformat:\n", "no field lines"},
		{"bad id", "ID: x\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n", "line 1"},
		{"bad offset", "\tfield:int a;\toffset:z;\tsize:4;\tsigned:1;\n", "offset"},
		{"no size", "\tfield:int a;\toffset:0;\tsigned:1;\n", "no offset or size"},
		{"no name", "\tfield:;\toffset:0;\tsize:4;\n", "no field name"},
		{"negative", "\tfield:int a;\toffset:-4;\tsize:4;\n", "out of range"},
		{"huge", "\tfield:int a;\toffset:70000;\tsize:4;\n", "out of range"},
		{"duplicate", "\tfield:int a;\toffset:0;\tsize:4;\n\tfield:int a;\toffset:4;\tsize:4;\n", "duplicate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFormat(strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseFormat = %+v, %v, want error containing %q", f, err, tc.wantErr)
			}
		})
	}
}

func TestParseFieldArray(t *testing.T) {
	f, err := ParseFormat(strings.NewReader("\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:1;\n\tfield:__data_loc char[] name;\toffset:24;\tsize:4;\tsigned:1;\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{Name: "comm", Type: "char[16]", Offset: 8, Size: 16, Signed: true},
		{Name: "name", Type: "__data_loc char[]", Offset: 24, Size: 4, Signed: true},
	}
	if diff := cmp.Diff(want, f.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestEventFilter(t *testing.T) {
	fields := []Field{{Name: "protocol", Type: "unsigned short"}, {Name: "reason", Type: "enum skb_drop_reason"}}
	full := &Format{Fields: fields, Reasons: map[uint32]string{2: "NOT_SPECIFIED", 3: "NO_SOCKET", 10: "TCP_CSUM"}}
	// The tracepoint has had its protocol field since it was added, so no
	// kernel lacks it; the case stands for a format that does.
	noProto := &Format{Fields: fields[1:], Reasons: full.Reasons}
	real, err := ParseFormat(strings.NewReader(string(readTestdata(t, formatCases[0].file))))
	if err != nil {
		t.Fatal(err)
	}
	old, err := ParseFormat(strings.NewReader(withoutReason(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		f         *Format
		reasons   []string
		protocols []uint16
		want      string
		wantErr   bool
	}{
		{name: "nothing", f: full},
		{name: "reasons", f: full, reasons: []string{"TCP_CSUM", "NO_SOCKET"}, want: "reason == 3 || reason == 10"},
		{name: "repeated reason", f: full, reasons: []string{"NO_SOCKET", "NO_SOCKET"}, want: "reason == 3"},
		{name: "protocols", f: full, protocols: []uint16{0x86dd, 0x0800}, want: "protocol == 2048 || protocol == 34525"},
		{name: "both", f: full, reasons: []string{"NO_SOCKET", "NOT_SPECIFIED"}, protocols: []uint16{0x0800},
			want: "(reason == 2 || reason == 3) && (protocol == 2048)"},
		{name: "unknown reason", f: full, reasons: []string{"NO_SOCKET", "NOPE"}, protocols: []uint16{0x0800}, wantErr: true},
		{name: "no protocol field", f: noProto, protocols: []uint16{0x0800}},
		{name: "no protocol field, reasons", f: noProto, reasons: []string{"NO_SOCKET"}, protocols: []uint16{0x0800}, want: "reason == 3"},
		{name: "6.18 format", f: real, reasons: []string{"NO_SOCKET"}, protocols: []uint16{0x86dd}, want: "(reason == 3) && (protocol == 34525)"},
		{name: "no reason table", f: old, reasons: []string{"NO_SOCKET"}, wantErr: true},
		{name: "no reason table, protocols", f: old, protocols: []uint16{0x0806}, want: "protocol == 2054"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f.EventFilter(tc.reasons, tc.protocols)
			if (err != nil) != tc.wantErr {
				t.Fatalf("EventFilter(%q, %v) error %v, want error %v", tc.reasons, tc.protocols, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("EventFilter(%q, %v) (-want +got):\n%s", tc.reasons, tc.protocols, diff)
			}
		})
	}
}
