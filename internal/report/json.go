package report

import (
	"errors"
	"io"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

var errTODO = errors.New("report: JSON output is not implemented yet")

// JSONWriter writes JSON lines: one object per line.
type JSONWriter struct{ w io.Writer }

// NewJSONWriter returns a JSONWriter writing to w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: w} }

// Summary writes one summary entry.
func (j *JSONWriter) Summary(at time.Time, loc Location, count uint64) error { return errTODO }

// Packet writes one packet alert.
func (j *JSONWriter) Packet(p *dropmon.PacketAlert, loc Location, stack []string) error {
	return errTODO
}

// Final writes the final table and losses.
func (j *JSONWriter) Final(d time.Duration, rows []Row, total uint64, l Losses) error {
	return errTODO
}
