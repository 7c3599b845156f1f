package nlpcap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// littleEndian reports whether this host writes pcap headers little-endian.
func littleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// The bytes below are written down from the pcap and LINKTYPE_LINUX_SLL
// formats and from dwdump (nhorman/dropwatch src/dwdump.c): magic
// 0xa1b2c3d4 in host order, version 2.4, thiszone 0, sigfigs 0, snaplen,
// linktype 253; cooked header pkttype 4 (PACKET_OUTGOING), hatype 824
// (ARPHRD_NETLINK), halen 0, 8 zero address bytes, protocol 16, big-endian.

func TestFileHeader(t *testing.T) {
	// snaplen 67583 = 0x000107ff, dwdump's default 0xffff + 2048.
	want := []byte{
		0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xff, 0x07, 0x01, 0x00, 0xfd, 0x00, 0x00, 0x00,
	}
	if !littleEndian() {
		want = []byte{
			0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x02, 0x00, 0x04,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x01, 0x07, 0xff, 0x00, 0x00, 0x00, 0xfd,
		}
	}
	if diff := cmp.Diff(want, FileHeader(DefaultSnapLen)); diff != "" {
		t.Errorf("FileHeader(DefaultSnapLen) (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	if _, err := NewWriter(&buf, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, buf.Bytes()); diff != "" {
		t.Errorf("NewWriter with zero Options wrote (-want +got):\n%s", diff)
	}
}

func TestCookedHeader(t *testing.T) {
	want := []byte{
		0x00, 0x04, // PACKET_OUTGOING
		0x03, 0x38, // ARPHRD_NETLINK = 824
		0x00, 0x00, // halen
		0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x10, // NETLINK_GENERIC = 16
	}
	if diff := cmp.Diff(want, CookedHeader()); diff != "" {
		t.Errorf("CookedHeader() (-want +got):\n%s", diff)
	}
}

func TestWriteDatagram(t *testing.T) {
	if !littleEndian() {
		t.Skip("the expected record headers are written down for little-endian hosts")
	}
	// 2026-11-25 12:38:38.730595860 UTC: seconds 0x6926a3be, microseconds
	// 730595 = 0x000b25e3 (the nanoseconds are cut, not rounded).
	ts := time.Unix(0x6926a3be, 730595860)
	cooked := []byte{0x00, 0x04, 0x03, 0x38, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10}
	record := func(caplen, origLen byte, data ...byte) []byte {
		b := []byte{
			0xbe, 0xa3, 0x26, 0x69, 0xe3, 0x25, 0x0b, 0x00,
			caplen, 0, 0, 0, origLen, 0, 0, 0,
		}
		b = append(b, cooked...)
		return append(b, data...)
	}
	tests := []struct {
		name     string
		snaplen  uint32
		datagram []byte
		want     []byte
	}{
		{
			name:     "whole",
			snaplen:  DefaultSnapLen,
			datagram: []byte("abcd"),
			want:     record(20, 20, 'a', 'b', 'c', 'd'),
		},
		{
			name:     "exactly the snapshot length",
			snaplen:  20,
			datagram: []byte("abcd"),
			want:     record(20, 20, 'a', 'b', 'c', 'd'),
		},
		{
			// dwdump would write caplen = len = snaplen-16 = 8 here.
			name:     "cut to the snapshot length, original length kept",
			snaplen:  24,
			datagram: []byte("0123456789ab"),
			want:     record(24, 28, '0', '1', '2', '3', '4', '5', '6', '7'),
		},
		{
			name:     "empty datagram",
			snaplen:  DefaultSnapLen,
			datagram: nil,
			want:     record(16, 16),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, Options{SnapLen: tt.snaplen, Now: func() time.Time { return ts }})
			if err != nil {
				t.Fatal(err)
			}
			buf.Reset() // drop the file header
			if err := w.WriteDatagram(tt.datagram); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.Bytes()); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewWriterSnapLenTooShort(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, Options{SnapLen: CookedHeaderLen - 1}); err == nil {
		t.Fatal("NewWriter accepted a snapshot length shorter than the cooked header")
	}
	if buf.Len() != 0 {
		t.Errorf("NewWriter wrote %d bytes before failing", buf.Len())
	}
}

// countingWriter records the size of every Write it gets.
type countingWriter struct {
	bytes.Buffer
	writes []int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.writes = append(c.writes, len(b))
	return c.Buffer.Write(b)
}

func TestWriterUnbufferedWritesEachRecordOnce(t *testing.T) {
	var cw countingWriter
	w, err := NewWriter(&cw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range [][]byte{make([]byte, 100), make([]byte, 7)} {
		if err := w.WriteDatagram(d); err != nil {
			t.Fatal(err)
		}
	}
	// A reader at the end of a pipe must see each record as soon as it is
	// written: the header, then one Write per whole record.
	want := []int{24, 16 + 16 + 100, 16 + 16 + 7}
	if diff := cmp.Diff(want, cw.writes); diff != "" {
		t.Errorf("Write sizes (-want +got):\n%s", diff)
	}
}

func TestWriterBuffered(t *testing.T) {
	var cw countingWriter
	under := bufio.NewWriter(&cw) // a caller's own buffer, flushed by Flush too
	w, err := NewWriter(under, Options{BufferSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteDatagram([]byte("abcd")); err != nil {
		t.Fatal(err)
	}
	if cw.Len() != 0 {
		t.Fatalf("buffered Writer passed on %d bytes before Flush", cw.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := cw.Len(), 24+16+16+4; got != want {
		t.Errorf("after Flush the underlying writer has %d bytes, want %d", got, want)
	}
}

func TestWriterErrors(t *testing.T) {
	broken := errors.New("broken pipe")
	w, err := NewWriter(failWriter{passHeader: true, err: broken}, Options{})
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	if err := w.WriteDatagram([]byte("x")); !errors.Is(err, broken) {
		t.Errorf("WriteDatagram error = %v, want one wrapping %v", err, broken)
	}
	if _, err := NewWriter(failWriter{err: broken}, Options{}); !errors.Is(err, broken) {
		t.Errorf("NewWriter error = %v, want one wrapping %v", err, broken)
	}
}

// failWriter fails every write, except the file header's if passHeader.
type failWriter struct {
	passHeader bool
	err        error
}

func (f failWriter) Write(b []byte) (int, error) {
	if f.passHeader && len(b) == fileHeaderLen {
		return len(b), nil
	}
	return 0, f.err
}

func TestReaderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{SnapLen: 40})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 123456000)
	long := bytes.Repeat([]byte{0xaa}, 30)
	for i, d := range [][]byte{[]byte("first"), long} {
		if err := w.WriteDatagramAt(t0.Add(time.Duration(i)*time.Second), d); err != nil {
			t.Fatal(err)
		}
	}

	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != LinkTypeNetlink || r.SnapLen() != 40 || r.ByteOrder().Uint32([]byte{1, 2, 3, 4}) != binary.NativeEndian.Uint32([]byte{1, 2, 3, 4}) {
		t.Errorf("header: link type %d, snaplen %d, %v", r.LinkType(), r.SnapLen(), r.ByteOrder())
	}
	var got []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	want := []Record{
		{Time: t0, OrigLen: 16 + 5, Cooked: CookedHeader(), Datagram: []byte("first")},
		{Time: t0.Add(time.Second), OrigLen: 16 + 30, Cooked: CookedHeader(), Datagram: long[:24]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if got[0].Truncated() || !got[1].Truncated() {
		t.Errorf("Truncated() = %v, %v; want false, true", got[0].Truncated(), got[1].Truncated())
	}
}

func TestReaderErrors(t *testing.T) {
	if _, err := NewReader(bytes.NewReader(make([]byte, 24))); !errors.Is(err, ErrNotPcap) {
		t.Errorf("zero header: err = %v, want ErrNotPcap", err)
	}
	if _, err := NewReader(bytes.NewReader(FileHeader(100)[:10])); err == nil {
		t.Error("short header: no error")
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Options{})
	_ = w.WriteDatagram([]byte("abcdef"))
	r, err := NewReader(bytes.NewReader(buf.Bytes()[:buf.Len()-2]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.ErrUnexpectedEOF {
		t.Errorf("record cut by the end of file: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestSnapLenFor(t *testing.T) {
	for trunc, want := range map[uint32]uint32{0: DefaultSnapLen, 1: 1 + SnapLenSlack, 1500: 1500 + SnapLenSlack, 0xffff: DefaultSnapLen, 0x10000: DefaultSnapLen, 1 << 31: DefaultSnapLen} {
		if got := SnapLenFor(trunc); got != want {
			t.Errorf("SnapLenFor(%d) = %d, want %d", trunc, got, want)
		}
	}
}
