package nlpcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// maxRecordLen bounds the captured length the Reader accepts, so that a
// corrupt header cannot make it allocate gigabytes.
const maxRecordLen = 1 << 20

// Record is one record read back from a pcap file of netlink datagrams.
type Record struct {
	Time time.Time
	// OrigLen is the record's original length, cooked header included.
	OrigLen uint32
	// Cooked is the record's Linux cooked header (shorter if the record
	// was cut inside it).
	Cooked []byte
	// Datagram is the captured part of the netlink datagram.
	Datagram []byte
}

// Truncated reports whether the record was cut to the snapshot length.
func (r *Record) Truncated() bool {
	return uint32(len(r.Cooked)+len(r.Datagram)) < r.OrigLen
}

// A Reader reads classic microsecond pcap files in either byte order, such
// as those Writer and dwdump write. It exists to check files in tests and
// tools; it does not read pcapng or nanosecond pcap.
type Reader struct {
	r        io.Reader
	bo       binary.ByteOrder
	snaplen  uint32
	linkType uint32
	hdr      [recordHeaderLen]byte
}

// ErrNotPcap is returned by NewReader for input that does not begin with a
// classic microsecond pcap header.
var ErrNotPcap = errors.New("nlpcap: not a classic microsecond pcap file")

// NewReader reads the pcap file header from r.
func NewReader(r io.Reader) (*Reader, error) {
	var h [fileHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("nlpcap: file header: %w", err)
	}
	pr := &Reader{r: r}
	switch {
	case binary.LittleEndian.Uint32(h[:]) == magic:
		pr.bo = binary.LittleEndian
	case binary.BigEndian.Uint32(h[:]) == magic:
		pr.bo = binary.BigEndian
	default:
		return nil, ErrNotPcap
	}
	pr.snaplen = pr.bo.Uint32(h[16:])
	pr.linkType = pr.bo.Uint32(h[20:])
	return pr, nil
}

// SnapLen returns the file's snapshot length.
func (r *Reader) SnapLen() uint32 { return r.snaplen }

// LinkType returns the file's link type (LinkTypeNetlink for netlink).
func (r *Reader) LinkType() uint32 { return r.linkType }

// ByteOrder returns the byte order the file was written in.
func (r *Reader) ByteOrder() binary.ByteOrder { return r.bo }

// Next reads the next record. It returns io.EOF after the last one and
// io.ErrUnexpectedEOF for a record cut short by the end of the file.
func (r *Reader) Next() (Record, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return Record{}, err
	}
	sec, usec := r.bo.Uint32(r.hdr[0:]), r.bo.Uint32(r.hdr[4:])
	caplen, origLen := r.bo.Uint32(r.hdr[8:]), r.bo.Uint32(r.hdr[12:])
	if caplen > maxRecordLen {
		return Record{}, fmt.Errorf("nlpcap: record of %d bytes is implausibly long", caplen)
	}
	b := make([]byte, caplen)
	if _, err := io.ReadFull(r.r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Record{}, err
	}
	n := min(len(b), CookedHeaderLen)
	return Record{
		Time:     time.Unix(int64(sec), int64(usec)*1000),
		OrigLen:  origLen,
		Cooked:   b[:n],
		Datagram: b[n:],
	}, nil
}
