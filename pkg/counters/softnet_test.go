package counters

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type nv struct {
	Object, Name string
	Value        uint64
	Gauge        bool
}

func softnetOf(t *testing.T, root string) ([]nv, []*SourceError) {
	t.Helper()
	r, err := New(Config{ProcRoot: root, Sources: []Source{Softnet}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := r.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []nv
	for _, c := range s.Counters {
		if c.Source != Softnet || c.Bits != 32 {
			t.Errorf("%+v: want a 32-bit softnet counter", c)
		}
		got = append(got, nv{c.Object, c.Name, c.Value, c.Gauge})
	}
	return got, s.Errors
}

// TestSoftnetCapture reads this machine's softnet_stat (6.18, 15 columns,
// 2 CPUs). The expected values were read off the file by hand:
// cpu0 processed 0x141a, cpu1 processed 0x1765, cpu index 0 and 1 in
// column 13, everything else 0.
func TestSoftnetCapture(t *testing.T) {
	got, errs := softnetOf(t, filepath.Join("..", "..", "testdata", "6.18.44-fc-v1098", "proc"))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []nv{
		{"cpu0", "processed", 0x141a, false}, {"cpu0", "dropped", 0, false}, {"cpu0", "time_squeeze", 0, false},
		{"cpu0", "received_rps", 0, false}, {"cpu0", "flow_limit_count", 0, false}, {"cpu0", "backlog_len", 0, true},
		{"cpu1", "processed", 0x1765, false}, {"cpu1", "dropped", 0, false}, {"cpu1", "time_squeeze", 0, false},
		{"cpu1", "received_rps", 0, false}, {"cpu1", "flow_limit_count", 0, false}, {"cpu1", "backlog_len", 0, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSoftnetCaptureDebian reads the VM guests' softnet_stat (2 CPUs
// each): 6.1's lines have 13 columns, 6.12's 15, as 6.18's. The values,
// read off the files by hand: 6.1 cpu0 processed 0xb7 and time_squeeze
// 4, cpu1 processed 0x11; 6.12 cpu0 processed 0xc2 and time_squeeze 2,
// cpu1 processed 6; the CPU index (column 13) 0 and 1, all else 0.
func TestSoftnetCaptureDebian(t *testing.T) {
	cpu := func(n string, processed, squeeze uint64) []nv {
		return []nv{
			{n, "processed", processed, false}, {n, "dropped", 0, false}, {n, "time_squeeze", squeeze, false},
			{n, "received_rps", 0, false}, {n, "flow_limit_count", 0, false}, {n, "backlog_len", 0, true},
		}
	}
	for kernel, want := range map[string][]nv{
		"6.1.0-57-amd64":       append(cpu("cpu0", 0xb7, 4), cpu("cpu1", 0x11, 0)...),
		"6.12.118+deb12-amd64": append(cpu("cpu0", 0xc2, 2), cpu("cpu1", 6, 0)...),
	} {
		t.Run(kernel, func(t *testing.T) {
			got, errs := softnetOf(t, filepath.Join("..", "..", "testdata", kernel, "proc"))
			if len(errs) != 0 {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSoftnetColumns(t *testing.T) {
	row := func(cols ...string) string { return strings.Join(cols, " ") + "\n" }
	z := "00000000"
	tests := []struct {
		name     string
		file     string
		want     []nv
		notExist bool
		bad      bool
	}{
		{
			name: "9 columns (the oldest layout): no rps, flow limit or backlog",
			file: row("0000000a", "00000002", "00000003", z, z, z, z, z, z),
			want: []nv{{"cpu0", "processed", 10, false}, {"cpu0", "dropped", 2, false}, {"cpu0", "time_squeeze", 3, false}},
		},
		{
			name: "11 columns: rps and flow limit",
			file: row("0000000a", "00000002", "00000003", z, z, z, z, z, z, "00000004", "00000005"),
			want: []nv{
				{"cpu0", "processed", 10, false}, {"cpu0", "dropped", 2, false}, {"cpu0", "time_squeeze", 3, false},
				{"cpu0", "received_rps", 4, false}, {"cpu0", "flow_limit_count", 5, false},
			},
		},
		{
			name: "13 columns: the CPU index names the line (CPU 1 offline)",
			file: row("00000001", z, z, z, z, z, z, z, z, z, z, "00000007", "00000002"),
			want: []nv{
				{"cpu2", "processed", 1, false}, {"cpu2", "dropped", 0, false}, {"cpu2", "time_squeeze", 0, false},
				{"cpu2", "received_rps", 0, false}, {"cpu2", "flow_limit_count", 0, false}, {"cpu2", "backlog_len", 7, true},
			},
		},
		{
			name: "17 columns (a future kernel): the known ones are read",
			file: row("ffffffff", z, z, z, z, z, z, z, z, z, z, z, "00000000", z, z, "00000009", "00000009"),
			want: []nv{
				{"cpu0", "processed", 0xffffffff, false}, {"cpu0", "dropped", 0, false}, {"cpu0", "time_squeeze", 0, false},
				{"cpu0", "received_rps", 0, false}, {"cpu0", "flow_limit_count", 0, false}, {"cpu0", "backlog_len", 0, true},
			},
		},
		{name: "a truncated line", file: row("0000000a", "00000002"), bad: true},
		{name: "not hex", file: row("0000000g", z, z, z, z, z, z, z, z), bad: true},
		{name: "missing file", notExist: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "net"), 0o755); err != nil {
				t.Fatal(err)
			}
			if !tt.notExist {
				if err := os.WriteFile(filepath.Join(root, "net", "softnet_stat"), []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, errs := softnetOf(t, root)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			switch {
			case !tt.bad && !tt.notExist:
				if len(errs) != 0 {
					t.Errorf("errors: %v", errs)
				}
			case len(errs) != 1:
				t.Fatalf("want one error, got %v", errs)
			case tt.bad && !errors.Is(errs[0], ErrMalformed):
				t.Errorf("%v does not match ErrMalformed", errs[0])
			case tt.notExist && !errors.Is(errs[0], os.ErrNotExist):
				t.Errorf("%v does not match os.ErrNotExist", errs[0])
			}
		})
	}
}
