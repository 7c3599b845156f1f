package kallsyms

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func loadFixture(t testing.TB, name string) *Table {
	t.Helper()
	tab, err := LoadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("LoadFile(%q): %v", name, err)
	}
	return tab
}

// lookupResult is what a test expects from Lookup.
type lookupResult struct {
	Sym Symbol
	OK  bool
}

func sym(name, mod string, addr, off uint64) lookupResult {
	return lookupResult{Sym: Symbol{Name: name, Module: mod, Addr: addr, Offset: off}, OK: true}
}

var notFound = lookupResult{}

// checkLookups looks up every pc in want and diffs the results.
func checkLookups(t *testing.T, tab *Table, want map[uint64]lookupResult) {
	t.Helper()
	got := make(map[uint64]lookupResult, len(want))
	for pc := range want {
		s, ok := tab.Lookup(pc)
		got[pc] = lookupResult{Sym: s, OK: ok}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lookup mismatch (-want +got):\n%s", diff)
	}
}

func TestLookupFixtures(t *testing.T) {
	tests := []struct {
		file string
		pcs  map[uint64]lookupResult
	}{
		{
			file: "modules.txt",
			pcs: map[uint64]lookupResult{
				0xffffffff81b08412: sym("__udp4_lib_rcv", "", 0xffffffff81b07a70, 0x9a2),
				0xffffffff81b07a70: sym("__udp4_lib_rcv", "", 0xffffffff81b07a70, 0),
				0xffffffff81b07a6f: sym("__pfx___udp4_lib_rcv", "", 0xffffffff81b07a60, 0xf),
				0xffffffff81a1b660: sym("ip_rcv_finish", "", 0xffffffff81a1b650, 0x10),
				0xffffffff81000004: sym("_stext", "", 0xffffffff81000000, 4),
				// Past _etext, in .rodata, and past _einittext: no function.
				0xffffffff81c00010: notFound,
				0xffffffff82000010: notFound,
				0xffffffff83010004: notFound,
				0xffffffff83000030: sym("inet_init", "", 0xffffffff83000020, 0x10),
				// Module sections and symbols inside a module are unsorted.
				0xffffffffc0a4006c: sym("nf_conntrack_in", "nf_conntrack", 0xffffffffc0a40010, 0x5c),
				0xffffffffc0a40008: sym("__pfx_nf_conntrack_in", "nf_conntrack", 0xffffffffc0a40000, 8),
				0xffffffffc0a41231: sym("__nf_conntrack_find_get", "nf_conntrack", 0xffffffffc0a41230, 1),
				0xffffffffc0a42100: sym("nf_ct_delete", "nf_conntrack", 0xffffffffc0a42000, 0x100),
				0xffffffffc0a4e000: sym("nf_ct_delete", "nf_conntrack", 0xffffffffc0a42000, 0xc000),
				0xffffffffc0a4f010: notFound, // module .rodata
				0xffffffffc0a56010: notFound, // module .data, above everything
				0xffffffffc0a10018: sym("defrag4_net_exit", "nf_defrag_ipv4", 0xffffffffc0a10010, 8),
				0xffffffffc0a10210: sym("ipv4_conntrack_defrag", "nf_defrag_ipv4", 0xffffffffc0a10200, 0x10),
				0xffffffffc0a12008: notFound, // module .bss
				0xffffffffc0a30000: notFound, // between the two modules, after .bss
				0xffffffff80000000: notFound, // below the first symbol
				0:                  notFound,
			},
		},
		{
			file: "bpf.txt",
			pcs: map[uint64]lookupResult{
				0xffffffff811f2f7c: sym("sk_skb_reason_drop", "", 0xffffffff811f2f40, 0x3c),
				0xffffffffc0000000: notFound, // after _etext
				0xffffffffc0000b20: sym("bpf_prog_ee0e253c78993a24_sd_devices", "bpf", 0xffffffffc0000ae0, 0x40),
				0xffffffffc0001b5c: sym("bpf_prog_3b185187f1855c4c", "bpf", 0xffffffffc0001b58, 4),
				0xffffffffc0002a80: sym("bpf_prog_6deef7357e7b4530_sd_fw_ingress", "bpf", 0xffffffffc0002a64, 0x1c),
				0xffffffffc0012010: sym("bpf_trampoline_6442491233", "bpf", 0xffffffffc0012000, 0x10),
				0xffffffffc0301008: sym("ftrace_trampoline", "__builtin__ftrace", 0xffffffffc0301000, 8),
				// The last symbol owns at most 1 MiB.
				0xffffffffc0404fff: sym("kprobe_insn_page", "__builtin__kprobes", 0xffffffffc0305000, 0xfffff),
				0xffffffffc0405000: notFound,
				0xffffffffffffffff: notFound,
			},
		},
		{
			file: "duplicates.txt",
			pcs: map[uint64]lookupResult{
				0xffffffff81000000: sym("srso_alias_untrain_ret", "", 0xffffffff81000000, 0),
				0xffffffff81000005: sym("srso_alias_untrain_ret", "", 0xffffffff81000000, 5),
				0xffffffff82261555: sym("__pfx___memcpy", "", 0xffffffff82261550, 5),
				0xffffffff82261570: sym("memcpy", "", 0xffffffff82261560, 0x10),
				0xffffffff82300004: sym("local_first", "", 0xffffffff82300000, 4),
				0xffffffff82300101: sym("same_line_twice", "", 0xffffffff82300100, 1),
				0xffffffff82400008: sym("text_after_data", "", 0xffffffff82400000, 8),
				0xffffffffc0a00010: sym("dummy_init_module", "dummy", 0xffffffffc0a00000, 0x10),
			},
		},
		{
			file: "garbage.txt",
			pcs: map[uint64]lookupResult{
				0xffffffff81000005: sym("_stext", "", 0xffffffff81000000, 5),
				// The truncated and broken lines in between are skipped.
				0xffffffff81000095: sym("_stext", "", 0xffffffff81000000, 0x95),
				0xffffffff810000a1: sym("valid_two", "", 0xffffffff810000a0, 1),
				0xffffffff810000b2: sym("UPPER_HEX_OK", "", 0xffffffff810000b0, 2),
				0xffffffff810000c3: sym("valid_tabs", "", 0xffffffff810000c0, 3),
				0xffffffff810000d4: sym("trailing_cr", "", 0xffffffff810000d0, 4),
				0xffffffff810000e5: sym("valid_last_no_newline", "", 0xffffffff810000e0, 5),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			checkLookups(t, loadFixture(t, tt.file), tt.pcs)
		})
	}
}

func TestLen(t *testing.T) {
	// Counted by hand: distinct addresses of text symbols that are not
	// section end markers.
	want := map[string]int{
		"modules.txt":    20,
		"bpf.txt":        9,
		"duplicates.txt": 7,
		"rust.txt":       13,
		"garbage.txt":    6,
	}
	got := make(map[string]int)
	for name := range want {
		got[name] = loadFixture(t, name).Len()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Len mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want error
	}{
		{"empty.txt", ErrNoSymbols},
		{"garbage-only.txt", ErrNoSymbols},
		{"restricted.txt", ErrRestricted},
		{"does-not-exist.txt", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tab, err := LoadFile(filepath.Join("testdata", tt.file))
			if diff := cmp.Diff(tt.want, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("LoadFile error mismatch (-want +got):\n%s", diff)
			}
			if tab != nil {
				t.Errorf("LoadFile returned a table with error %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadPermission(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kallsyms")
	if err := os.WriteFile(path, []byte("ffffffff81000000 T _stext\n"), 0); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// Root opens a mode-0 file, but kernfs refuses to open a
		// write-only attribute for reading with EACCES, even for root
		// (kernfs_fop_open in fs/kernfs/file.c).
		path = "/sys/bus/pci/rescan"
		if _, err := os.Stat(path); err != nil {
			t.Skipf("running as root and %s is missing: no unreadable file to test with", path)
		}
	}
	_, err := LoadFile(path)
	if diff := cmp.Diff(os.ErrPermission, err, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("LoadFile(%q) error mismatch (-want +got):\n%s", path, diff)
	}
}

func TestRestrictedMessage(t *testing.T) {
	for _, want := range []string{"run as root", "kernel.kptr_restrict=0"} {
		if !strings.Contains(ErrRestricted.Error(), want) {
			t.Errorf("ErrRestricted %q does not say %q", ErrRestricted, want)
		}
	}
}

func TestParseReadError(t *testing.T) {
	errBoom := errors.New("boom")
	_, err := Parse(iotest.ErrReader(errBoom))
	if diff := cmp.Diff(errBoom, err, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("Parse error mismatch (-want +got):\n%s", diff)
	}
	// The error also stops a read that already produced symbols.
	r := strings.NewReader("ffffffff81000000 T _stext\n")
	_, err = Parse(&failAfter{r: r, err: errBoom})
	if diff := cmp.Diff(errBoom, err, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("Parse error mismatch (-want +got):\n%s", diff)
	}
}

// failAfter returns err instead of io.EOF.
type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil {
		err = f.err
	}
	return n, err
}

func TestParseInline(t *testing.T) {
	long := "ffffffff81000100 T " + strings.Repeat("x", 100<<10) + "\n"
	tests := []struct {
		name  string
		input string
		pcs   map[uint64]lookupResult
	}{
		{
			// x86_64 percpu symbols and absolute symbols sit at 0 while
			// everything else has its address.
			name: "partially zero",
			input: "0000000000000000 A __per_cpu_start\n" +
				"0000000000000000 D fixed_percpu_data\n" +
				"ffffffff81000000 T _stext\n",
			pcs: map[uint64]lookupResult{
				0x10:               notFound,
				0xffffffff81000010: sym("_stext", "", 0xffffffff81000000, 0x10),
			},
		},
		{
			name:  "line longer than the read buffer is skipped",
			input: "ffffffff81000000 T _stext\n" + long + "ffffffff81000200 t after_long\n",
			pcs: map[uint64]lookupResult{
				0xffffffff81000100: sym("_stext", "", 0xffffffff81000000, 0x100),
				0xffffffff81000201: sym("after_long", "", 0xffffffff81000200, 1),
			},
		},
		{
			name: "mapping symbols are ignored",
			input: "ffff800080010000 T el1_sync\n" +
				"ffff800080010040 t $d\n" +
				"ffff800080010080 t $x.12\n",
			pcs: map[uint64]lookupResult{
				0xffff800080010044: sym("el1_sync", "", 0xffff800080010000, 0x44),
				0xffff800080010084: sym("el1_sync", "", 0xffff800080010000, 0x84),
			},
		},
		{
			name: "weak symbols are text, weak objects are data",
			input: "ffffffff81000000 W arch_cpu_idle\n" +
				"ffffffff81000100 V weak_object\n" +
				"ffffffff81000200 w weak_local\n",
			pcs: map[uint64]lookupResult{
				0xffffffff81000001: sym("arch_cpu_idle", "", 0xffffffff81000000, 1),
				0xffffffff81000101: notFound,
				0xffffffff81000201: sym("weak_local", "", 0xffffffff81000200, 1),
			},
		},
		{
			// A module function may be called __foo_text_end; only
			// vmlinux markers end a section.
			name: "text end names in modules are functions",
			input: "ffffffffc0000000 t __my_text_end\t[mymod]\n" +
				"ffffffffc0000100 t _etext\t[mymod]\n",
			pcs: map[uint64]lookupResult{
				0xffffffffc0000001: sym("__my_text_end", "mymod", 0xffffffffc0000000, 1),
				0xffffffffc0000101: sym("_etext", "mymod", 0xffffffffc0000100, 1),
			},
		},
		{
			name: "text end marker sharing an address with a function",
			input: "ffffffff81000000 T first\n" +
				"ffffffff81000100 T __irqentry_text_end\n" +
				"ffffffff81000100 T second\n" +
				"ffffffff81000200 T __softirqentry_text_end\n",
			pcs: map[uint64]lookupResult{
				0xffffffff81000101: sym("second", "", 0xffffffff81000100, 1),
				0xffffffff81000201: notFound,
			},
		},
		{
			name:  "mixed case hex and separators",
			input: "FfFfFfFf8100AbC0 \t t  \tMixed\t \t[Mod_1]  \r\n",
			pcs: map[uint64]lookupResult{
				0xffffffff8100abc2: sym("Mixed", "Mod_1", 0xffffffff8100abc0, 2),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Parse(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkLookups(t, tab, tt.pcs)
		})
	}
}

func TestNilTable(t *testing.T) {
	var tab *Table
	got := []any{tab.Len()}
	s, ok := tab.Lookup(0xffffffff81000000)
	got = append(got, s, ok)
	if diff := cmp.Diff([]any{0, Symbol{}, false}, got); diff != "" {
		t.Errorf("nil Table mismatch (-want +got):\n%s", diff)
	}
}

func TestConcurrentLookup(t *testing.T) {
	tab := loadFixture(t, "modules.txt")
	want := sym("nf_conntrack_in", "nf_conntrack", 0xffffffffc0a40010, 0x5c)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				s, ok := tab.Lookup(0xffffffffc0a4006c)
				if diff := cmp.Diff(want, lookupResult{s, ok}); diff != "" {
					errs <- diff
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for diff := range errs {
		t.Errorf("concurrent Lookup mismatch (-want +got):\n%s", diff)
	}
}

func TestSymbolString(t *testing.T) {
	got := []string{
		Symbol{Name: "__udp4_lib_rcv", Addr: 0xffffffff81b07a70, Offset: 0x9a2}.String(),
		Symbol{Name: "nf_conntrack_in", Module: "nf_conntrack", Offset: 0}.String(),
		Symbol{Name: "_RNvCs5QNXhD7M2Fd_5rnull10rnull_init", Module: "rnull_mod", Offset: 0x10}.String(),
	}
	want := []string{
		"__udp4_lib_rcv+0x9a2",
		"nf_conntrack_in+0x0 [nf_conntrack]",
		"rnull::rnull_init+0x10 [rnull_mod]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String mismatch (-want +got):\n%s", diff)
	}
}
