package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The markers init.sh prints on the guest's console.
const (
	markBegin    = "@@VM begin "
	markInsmod   = "@@VM insmod "
	markTest     = "@@VM test "
	markDone     = "@@VM done "
	markOutBegin = "@@VM out-begin"
	markOutEnd   = "@@VM out-end"
	markB64      = "@@B64 "
	markEnd      = "@@VM end status="
)

// Result is one test's outcome as go test -v printed it.
type Result struct {
	Name     string
	Status   string // PASS, FAIL, SKIP or BENCH (a benchmark's result line)
	Duration string
	Output   []string // the lines the test logged
	Line     string   // a benchmark's result line
	leaf     bool
}

// Binary is what one test binary printed between its markers.
type Binary struct {
	Name    string
	RC      int  // exit status; -1 when its done marker never came
	Done    bool // the done marker came
	Results []Result
	Lines   []string // everything it printed
}

// Report is everything read from one guest's console.
type Report struct {
	Kernel    string // uname -r in the guest
	InsmodOK  bool
	Binaries  []*Binary
	Ended     bool // the end marker came
	Status    int  // the guest's exit status from the end marker
	OutB64    []string
	outBegun  bool
	outEnded  bool
	lastLines []string
}

var (
	resultRe = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+s)\)$`)
	headerRe = regexp.MustCompile(`^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)$`)
	doneRe   = regexp.MustCompile(`^(\S+) rc=(-?\d+)`)
	benchRe  = regexp.MustCompile(`^(Benchmark\S+)\s+\d+\s+.*\bns/op\b`)
)

// Parse reads a console log.
func Parse(r io.Reader) (*Report, error) {
	rep := &Report{}
	var cur *Binary
	var test string              // the test whose output lines come now
	out := map[string][]string{} // per binary, reset for each
	finish := func() {
		if cur == nil {
			return
		}
		for i := range cur.Results {
			res := &cur.Results[i]
			res.Output = out[res.Name]
			res.leaf = true
			for _, o := range cur.Results {
				if strings.HasPrefix(o.Name, res.Name+"/") {
					res.leaf = false
				}
			}
		}
		cur, test, out = nil, "", map[string][]string{}
	}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := strings.TrimRight(s.Text(), "\r")
		// The firmware's terminal resets can share a line with the
		// first marker.
		if i := strings.Index(line, "@@"); i > 0 && strings.HasPrefix(line[i:], "@@VM ") {
			line = line[i:]
		}
		rep.lastLines = append(rep.lastLines, line)
		if len(rep.lastLines) > 60 {
			rep.lastLines = rep.lastLines[1:]
		}
		switch {
		case strings.HasPrefix(line, markB64):
			if rep.outBegun && !rep.outEnded {
				rep.OutB64 = append(rep.OutB64, strings.TrimPrefix(line, markB64))
			}
			continue
		case strings.HasPrefix(line, markBegin):
			rep.Kernel, _, _ = strings.Cut(strings.TrimPrefix(line, markBegin), " ")
			continue
		case strings.HasPrefix(line, markInsmod):
			rep.InsmodOK = strings.TrimPrefix(line, markInsmod) == "ok"
			continue
		case strings.HasPrefix(line, markTest):
			finish()
			name, _, _ := strings.Cut(strings.TrimPrefix(line, markTest), " ")
			cur = &Binary{Name: name, RC: -1}
			rep.Binaries = append(rep.Binaries, cur)
			continue
		case strings.HasPrefix(line, markDone):
			if m := doneRe.FindStringSubmatch(strings.TrimPrefix(line, markDone)); m != nil && cur != nil && m[1] == cur.Name {
				cur.RC, _ = strconv.Atoi(m[2])
				cur.Done = true
			}
			finish()
			continue
		case line == markOutBegin:
			finish()
			rep.outBegun = true
			continue
		case line == markOutEnd:
			rep.outEnded = true
			continue
		case strings.HasPrefix(line, markEnd):
			finish()
			st, _, _ := strings.Cut(strings.TrimPrefix(line, markEnd), " ")
			rep.Status, _ = strconv.Atoi(st)
			rep.Ended = true
			continue
		}
		if cur == nil {
			continue
		}
		cur.Lines = append(cur.Lines, line)
		if m := headerRe.FindStringSubmatch(line); m != nil {
			test = m[1]
			continue
		}
		if m := resultRe.FindStringSubmatch(line); m != nil {
			cur.Results = append(cur.Results, Result{Name: m[2], Status: m[1], Duration: m[3]})
			continue
		}
		if m := benchRe.FindStringSubmatch(line); m != nil {
			cur.Results = append(cur.Results, Result{Name: m[1], Status: "BENCH", Line: line})
			continue
		}
		if test != "" && strings.HasPrefix(line, "    ") {
			out[test] = append(out[test], line)
		}
	}
	finish()
	return rep, s.Err()
}

// Counts are leaf tests (a test with subtests counts through them) plus
// one failure per binary that died without reporting a failed test.
type Counts struct{ Passed, Failed, Skipped int }

// Write prints the report for a person and returns the counts; the caller
// prints the totals, once it has added what else failed.
func (rep *Report) Write(w io.Writer, label string) Counts {
	var c Counts
	kernel := rep.Kernel
	if kernel == "" {
		kernel = "(kernel never started /init)"
	}
	fmt.Fprintf(w, "== %s: %s\n", label, kernel)
	if rep.Kernel != "" && !rep.InsmodOK {
		fmt.Fprintf(w, "   FAIL insmod drop_monitor.ko (see the console log)\n")
		c.Failed++
	}
	for _, b := range rep.Binaries {
		fmt.Fprintf(w, "   %s:\n", b.Name)
		failedTests := 0
		for _, res := range b.Results {
			if res.Status == "BENCH" {
				fmt.Fprintf(w, "     %s\n", res.Line)
				c.Passed++
				continue
			}
			fmt.Fprintf(w, "     %s %s (%s)\n", res.Status, res.Name, res.Duration)
			if res.Status != "PASS" {
				for _, l := range res.Output {
					// go test indents log lines by 4 spaces.
					fmt.Fprintf(w, "       %s\n", strings.TrimPrefix(l, "    "))
				}
			}
			if !res.leaf {
				continue
			}
			switch res.Status {
			case "PASS":
				c.Passed++
			case "FAIL":
				c.Failed++
				failedTests++
			case "SKIP":
				c.Skipped++
			}
		}
		switch {
		case !b.Done:
			fmt.Fprintf(w, "     FAIL %s never finished (guest died or timed out); its last lines:\n", b.Name)
			c.Failed++
			writeTail(w, b.Lines, 40)
		case b.RC != 0 && failedTests == 0:
			fmt.Fprintf(w, "     FAIL %s exited %d without a failed test (panic, timeout, flag error?); its last lines:\n", b.Name, b.RC)
			c.Failed++
			writeTail(w, b.Lines, 40)
		}
	}
	if !rep.Ended {
		fmt.Fprintf(w, "   FAIL no end marker: the guest crashed, hung or timed out. Last console lines:\n")
		writeTail(w, rep.lastLines, 60)
		c.Failed++
	} else if rep.Status != 0 && c.Failed == 0 {
		fmt.Fprintf(w, "   FAIL the guest reported status %d\n", rep.Status)
		c.Failed++
	}
	if c.Skipped > 0 {
		fmt.Fprintf(w, "   NOTE %d test(s) SKIPPED: they did not run, see the reasons above\n", c.Skipped)
	}
	return c
}

func writeTail(w io.Writer, lines []string, n int) {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for _, l := range lines {
		fmt.Fprintf(w, "       | %s\n", l)
	}
}

// ExtractOut unpacks the guest's /out into dir.
func (rep *Report) ExtractOut(dir string) error {
	if !rep.outEnded {
		return errors.New("the guest sent no complete /out archive")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(rep.OutB64, ""))
	if err != nil {
		return fmt.Errorf("decoding /out: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("decompressing /out: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading /out: %w", err)
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			if name == "." {
				continue
			}
			return fmt.Errorf("/out holds %q, which is outside it", h.Name)
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
