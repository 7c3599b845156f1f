package kallsyms

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestProcKallsyms loads this machine's /proc/kallsyms and checks a few
// symbols whose address is not shared with another symbol.
func TestProcKallsyms(t *testing.T) {
	tab, err := Load()
	switch {
	case errors.Is(err, ErrRestricted):
		t.Skipf("%s: addresses are hidden by kernel.kptr_restrict; run the test as root", DefaultPath)
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		t.Skipf("cannot read %s: %v", DefaultPath, err)
	case err != nil:
		t.Fatal(err)
	}
	data, err := os.ReadFile(DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	count := make(map[uint64]int)
	type line struct {
		addr      uint64
		name, mod string
	}
	var globals []line
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		a, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			t.Fatalf("bad line %q", l)
		}
		count[a]++
		if f[1] == "T" && !strings.HasSuffix(f[2], "_end") && !strings.HasPrefix(f[2], "_e") {
			mod := ""
			if len(f) == 4 {
				mod = strings.Trim(f[3], "[]")
			}
			globals = append(globals, line{a, f[2], mod})
		}
	}
	want := make(map[uint64]lookupResult)
	for _, g := range globals {
		if count[g.addr] == 1 {
			want[g.addr+1] = sym(g.name, g.mod, g.addr, 1)
		}
		if len(want) == 100 {
			break
		}
	}
	if len(want) == 0 {
		t.Fatalf("no global text symbol with a unique address in %s", DefaultPath)
	}
	checkLookups(t, tab, want)
}
