package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// Backend names accepted by --backend.
const (
	backendAuto       = drops.BackendAuto
	backendNetDM      = drops.BackendNetDM
	backendTracepoint = drops.BackendTracepoint
)

var backendNames = []string{backendAuto, backendNetDM, backendTracepoint}

// selectBackend opens the engine on the backend o.Backend names, or prints
// why none can run and returns the exit status.
//
// auto is NET_DM when the family exists, as the C tool, else the
// tracepoint, with one line on stderr saying so. netdm keeps the C tool's
// failure: its two lines on stdout and exit 1, which scripts test for.
func selectBackend(o drops.Options, stdout, stderr io.Writer) (*drops.Engine, int) {
	e, err := drops.Open(o)
	var nerr *drops.NoNetDMError
	switch {
	case err == nil:
		if d, ok := e.Diagnosis(); ok {
			fmt.Fprintf(stderr, "dropwatch: no NET_DM family (%s); using the skb:kfree_skb tracepoint\n", report.ShortCause(d))
		}
		return e, 0
	case o.Backend == backendTracepoint:
		fmt.Fprintln(stderr, report.TracepointUnusable(err))
		return nil, 1
	case !errors.As(err, &nerr):
		fmt.Fprintf(stderr, "dropwatch: %v\n", err)
		return nil, 1
	}
	fmt.Fprintln(stdout, msgNoFamily)
	fmt.Fprintln(stdout, msgSocketCleanup)
	fmt.Fprint(stderr, report.NoFamilyHelp(nerr.Diagnosis))
	if nerr.Tracepoint != nil {
		fmt.Fprintln(stderr, report.TracepointUnusable(nerr.Tracepoint))
	} else {
		fmt.Fprint(stderr, report.TryTracepoint)
	}
	return nil, 1
}
