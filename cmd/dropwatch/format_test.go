package main

import (
	"strings"
	"testing"
	_ "time/tzdata" // the local-time test must not depend on the machine's zoneinfo

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"
	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// The alert texts' tests are in internal/report/ctext_test.go.

func testSymbols() drops.Resolver { return fixtures.Table() }

func TestHelpText(t *testing.T) {
	want := helpForTest()
	var b strings.Builder
	repl.WriteHelp(&b, helpFormat, commands)
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("help text (-want +got):\n%s", diff)
	}
}
