// Package report aggregates, filters and renders the drops dropwatch
// receives: a text "top" table for people and JSON lines for programs.
//
// The package is pure: it does no I/O of its own beyond the io.Writer it is
// given, and it does not depend on the operating system.
package report
