package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// outArchive is what init.sh sends for a /out holding one file.
func outArchive(t *testing.T, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "./" + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(buf.Bytes())
	var lines []string
	for len(enc) > 76 { // busybox base64 wraps at 76 columns
		lines = append(lines, markB64+enc[:76])
		enc = enc[76:]
	}
	return strings.Join(append(lines, markB64+enc), "\r\n")
}

func TestParse(t *testing.T) {
	console := strings.Join([]string{
		"\x1bc\x1b[?7l\x1b[2J@@VM begin 6.1.0-56-amd64 up=3.67s",
		"@@VM insmod ok",
		"@@VM test test_e2e up=3.9s",
		"=== RUN   TestA",
		"--- PASS: TestA (0.01s)",
		"BenchmarkBurst/C",
		"BenchmarkBurst/C-2 \t       1\t5321066650 ns/op\t       100.0 %received",
		"=== RUN   TestB",
		"=== RUN   TestB/C",
		"    x_test.go:1: SKIP: no C tool",
		"=== RUN   TestB/Go",
		"    x_test.go:2: wrong",
		"[   12.3] some kernel warning",
		"=== NAME  TestB",
		"    x_test.go:3: outputs differ",
		"--- FAIL: TestB (1.20s)",
		"    --- SKIP: TestB/C (0.00s)",
		"    --- FAIL: TestB/Go (1.00s)",
		"FAIL",
		"@@VM done test_e2e rc=1 up=9s",
		"@@VM test pkg_dropmon up=9s",
		"panic: boom",
		"@@VM done pkg_dropmon rc=2 up=9.5s",
		"@@VM test pkg_hang up=9.5s",
		"=== RUN   TestHang",
		"@@VM out-begin",
		outArchive(t, "capture/alert.bin", "raw netlink"),
		"@@VM out-end",
		"@@VM end status=1 up=10s",
	}, "\r\n") + "\r\n"
	rep, err := Parse(strings.NewReader(console))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kernel != "6.1.0-56-amd64" || !rep.InsmodOK || !rep.Ended || rep.Status != 1 {
		t.Errorf("kernel %q insmod %v ended %v status %d", rep.Kernel, rep.InsmodOK, rep.Ended, rep.Status)
	}
	type bin struct {
		Name    string
		RC      int
		Done    bool
		Results []Result
	}
	var got []bin
	for _, b := range rep.Binaries {
		got = append(got, bin{b.Name, b.RC, b.Done, b.Results})
	}
	want := []bin{
		{"test_e2e", 1, true, []Result{
			{Name: "TestA", Status: "PASS", Duration: "0.01s", leaf: true},
			{Name: "BenchmarkBurst/C-2", Status: "BENCH", Line: "BenchmarkBurst/C-2 \t       1\t5321066650 ns/op\t       100.0 %received", leaf: true},
			{Name: "TestB", Status: "FAIL", Duration: "1.20s", Output: []string{"    x_test.go:3: outputs differ"}},
			{Name: "TestB/C", Status: "SKIP", Duration: "0.00s", Output: []string{"    x_test.go:1: SKIP: no C tool"}, leaf: true},
			{Name: "TestB/Go", Status: "FAIL", Duration: "1.00s", Output: []string{"    x_test.go:2: wrong"}, leaf: true},
		}},
		{"pkg_dropmon", 2, true, nil},
		{"pkg_hang", -1, false, nil},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Result{})); diff != "" {
		t.Errorf("binaries (-want +got):\n%s", diff)
	}

	var out bytes.Buffer
	c := rep.Write(&out, "6.1")
	// TestA and the benchmark; TestB/C skipped; TestB/Go; pkg_dropmon's
	// panic; pkg_hang.
	if diff := cmp.Diff(Counts{Passed: 2, Failed: 3, Skipped: 1}, c); diff != "" {
		t.Errorf("counts (-want +got):\n%s\nreport:\n%s", diff, out.String())
	}
	for _, s := range []string{"SKIP TestB/C", "SKIP: no C tool", "pkg_dropmon exited 2", "panic: boom", "pkg_hang never finished", "1 test(s) SKIPPED", "100.0 %received"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}

	dir := t.TempDir()
	if err := rep.ExtractOut(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "capture", "alert.bin"))
	if err != nil || string(b) != "raw netlink" {
		t.Errorf("extracted file: %q, %v", b, err)
	}
}

func TestParseNoEnd(t *testing.T) {
	rep, err := Parse(strings.NewReader("SeaBIOS\r\nKernel panic - not syncing: VFS\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if c := rep.Write(&out, "6.12"); c.Failed != 1 {
		t.Errorf("a guest that never started /init: %+v, want one failure", c)
	}
	for _, s := range []string{"never started /init", "no end marker", "Kernel panic"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
	if err := rep.ExtractOut(t.TempDir()); err == nil {
		t.Error("ExtractOut without an archive succeeded")
	}
}

func TestExtractOutRejectsEscapes(t *testing.T) {
	rep, err := Parse(strings.NewReader(strings.Join([]string{
		"@@VM out-begin", outArchive(t, "../evil", "x"), "@@VM out-end", "@@VM end status=0",
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.ExtractOut(t.TempDir()); err == nil {
		t.Error("ExtractOut wrote outside its directory")
	}
}
