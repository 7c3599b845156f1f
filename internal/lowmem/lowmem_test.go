package lowmem

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// Setup runs in a child process of the test binary, which starts with or
// without GOGC as a command does. The child writes a line to stderr each
// time it starts (so that a re-execution shows), and prints the GC
// percent and the THP flag Setup left.
func TestMain(m *testing.M) {
	if os.Getenv("LOWMEM_CHILD") != "" {
		fmt.Fprintf(os.Stderr, "start %d thp-disabled=%v\n", os.Getpid(), thpDisabled())
		if p := os.Getenv("LOWMEM_THP_FILE"); p != "" {
			thpEnabledPath = p
		}
		Setup()
		fmt.Printf("%d %v", debug.SetGCPercent(100), thpDisabled())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child runs the test binary as a command, with GOGC set to gogc ("":
// unset), THP reported as thp, and returns its stdout and stderr.
func child(t *testing.T, gogc, thp string) (stdout, stderr string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "enabled")
	if err := os.WriteFile(f, []byte(thp+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"LOWMEM_CHILD=1", "LOWMEM_THP_FILE=" + f}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") {
			env = append(env, kv)
		}
	}
	if gogc != "" {
		env = append(env, "GOGC="+gogc)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	return out.String(), errb.String()
}

func TestSetupGC(t *testing.T) {
	thp := runtime.GOOS == "linux"
	for _, tc := range []struct {
		gogc string // "" leaves GOGC unset
		want string // GC percent, THP disabled
	}{
		{"", fmt.Sprintf("%d %v", GCPercent, thp)},
		{"150", fmt.Sprintf("150 %v", thp)},
		{"off", fmt.Sprintf("-1 %v", thp)},
	} {
		t.Run("GOGC="+tc.gogc, func(t *testing.T) {
			if out, _ := child(t, tc.gogc, "always madvise [never]"); out != tc.want {
				t.Errorf("GC percent and THP flag: got %q, want %q", out, tc.want)
			}
		})
	}
}

// Under THP "always" the command sets the flag and starts again, once, as
// the same process; otherwise it sets the flag and goes on.
func TestSetupTHP(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("PR_SET_THP_DISABLE is Linux's")
	}
	for _, tc := range []struct {
		thp    string
		starts []string
	}{
		{"[always] madvise never", []string{"thp-disabled=false", "thp-disabled=true"}},
		{"always [madvise] never", []string{"thp-disabled=false"}},
		{"always madvise [never]", []string{"thp-disabled=false"}},
	} {
		t.Run(tc.thp, func(t *testing.T) {
			out, errs := child(t, "", tc.thp)
			if want := fmt.Sprintf("%d true", GCPercent); out != want {
				t.Errorf("GC percent and THP flag: got %q, want %q", out, want)
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if len(lines) != len(tc.starts) {
				t.Fatalf("starts: %q, want %d", lines, len(tc.starts))
			}
			pid := ""
			for i, l := range lines {
				f := strings.Fields(l)
				if len(f) != 3 || f[0] != "start" || f[2] != tc.starts[i] {
					t.Fatalf("start %d: %q, want %s", i, l, tc.starts[i])
				}
				if pid != "" && f[1] != pid {
					t.Errorf("started again as PID %s, not %s", f[1], pid)
				}
				pid = f[1]
			}
		})
	}
}
