package nlpcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Pcap file constants (https://www.tcpdump.org/linktypes.html and
// libpcap's sf-pcap.c).
const (
	// LinkTypeNetlink is LINKTYPE_NETLINK (DLT_NETLINK).
	LinkTypeNetlink = 253

	// magic is the classic microsecond pcap magic, written in the host's
	// byte order as libpcap's pcap_dump_open does; readers recognise both
	// orders.
	magic = 0xa1b2c3d4

	versionMajor = 2
	versionMinor = 4

	fileHeaderLen   = 24
	recordHeaderLen = 16
)

// Linux cooked header (LINKTYPE_LINUX_SLL) values dwdump writes before each
// datagram. All fields are big-endian.
const (
	// CookedHeaderLen is the length of the cooked header of every record.
	CookedHeaderLen = 16

	// packetOutgoing is PACKET_OUTGOING from linux/if_packet.h.
	packetOutgoing = 4
	// arphrdNetlink is ARPHRD_NETLINK from linux/if_arp.h; Wireshark
	// requires it to dissect the record as netlink.
	arphrdNetlink = 824
	// netlinkGeneric is NETLINK_GENERIC. dwdump writes AF_NETLINK, which
	// has the same value; Wireshark reads the field as the netlink protocol.
	netlinkGeneric = 16
)

// SnapLenSlack is what dwdump adds to the truncation length to make the
// snapshot length: room for the netlink, generic netlink and NET_DM
// attribute headers around a packet alert's payload.
const SnapLenSlack = 2048

// DefaultSnapLen is dwdump's snapshot length without -t: the largest
// truncation length, 0xffff, plus SnapLenSlack.
const DefaultSnapLen = 0xffff + SnapLenSlack

// SnapLenFor is the snapshot length of a capture whose packet alerts are
// truncated to trunc bytes, as dwdump computes it: trunc plus
// SnapLenSlack, where a trunc of 0 (the kernel's "no truncation") or above
// 0xffff counts as 0xffff, the most NET_DM_ATTR_TRUNC_LEN keeps.
func SnapLenFor(trunc uint32) uint32 {
	if trunc == 0 || trunc > 0xffff {
		return DefaultSnapLen
	}
	return trunc + SnapLenSlack
}

// Options configure a Writer.
type Options struct {
	// SnapLen is the file's snapshot length: the most bytes of a record,
	// cooked header included, that are kept. Zero means DefaultSnapLen. It
	// must be at least CookedHeaderLen.
	SnapLen uint32

	// BufferSize, when positive, gathers records in a buffer of that size:
	// they reach the underlying writer when the buffer fills or on Flush.
	// Zero, the default, hands every record to the underlying writer in a
	// single Write as soon as it is complete, as dwdump's fflush after each
	// record does, so that a reader at the other end of a pipe
	// (dwdump | tshark -r -) sees each record at once.
	BufferSize int

	// Now stamps the records written with WriteDatagram. Nil means
	// time.Now.
	Now func() time.Time
}

// A Writer writes a pcap file of netlink datagrams. It is not safe for
// concurrent use.
type Writer struct {
	w       io.Writer
	bw      *bufio.Writer // nil when unbuffered
	snaplen uint32
	now     func() time.Time
	rec     []byte // reused record buffer
}

// NewWriter writes the pcap file header to w and returns a Writer for the
// records.
func NewWriter(w io.Writer, o Options) (*Writer, error) {
	if o.SnapLen == 0 {
		o.SnapLen = DefaultSnapLen
	}
	if o.SnapLen < CookedHeaderLen {
		return nil, fmt.Errorf("nlpcap: snapshot length %d is shorter than the %d-byte cooked header", o.SnapLen, CookedHeaderLen)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	pw := &Writer{w: w, snaplen: o.SnapLen, now: o.Now}
	if o.BufferSize > 0 {
		pw.bw = bufio.NewWriterSize(w, o.BufferSize)
	}
	if err := pw.write(FileHeader(o.SnapLen)); err != nil {
		return nil, err
	}
	return pw, nil
}

// FileHeader returns the 24-byte pcap file header for a LINKTYPE_NETLINK
// file with the given snapshot length, in the host's byte order.
func FileHeader(snaplen uint32) []byte {
	b := make([]byte, fileHeaderLen)
	bo := binary.NativeEndian
	bo.PutUint32(b[0:], magic)
	bo.PutUint16(b[4:], versionMajor)
	bo.PutUint16(b[6:], versionMinor)
	// thiszone (int32) and sigfigs (uint32) stay 0, as libpcap writes them.
	bo.PutUint32(b[16:], snaplen)
	bo.PutUint32(b[20:], LinkTypeNetlink)
	return b
}

// CookedHeader returns the 16-byte Linux cooked header dwdump puts before
// every datagram: packet type PACKET_OUTGOING, ARPHRD_NETLINK, no address,
// protocol NETLINK_GENERIC.
func CookedHeader() []byte {
	var b [CookedHeaderLen]byte
	appendCookedHeader(b[:0])
	return b[:]
}

func appendCookedHeader(b []byte) []byte {
	be := binary.BigEndian
	b = be.AppendUint16(b, packetOutgoing)
	b = be.AppendUint16(b, arphrdNetlink)
	b = be.AppendUint16(b, 0)             // halen
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // addr
	return be.AppendUint16(b, netlinkGeneric)
}

// SnapLen returns the file's snapshot length.
func (w *Writer) SnapLen() uint32 { return w.snaplen }

// WriteDatagram writes one record holding datagram, stamped with the
// current time (the time of writing, as dwdump's gettimeofday; a packet
// alert carries the time of the drop in NET_DM_ATTR_TIMESTAMP).
func (w *Writer) WriteDatagram(datagram []byte) error {
	return w.WriteDatagramAt(w.now(), datagram)
}

// WriteDatagramAt writes one record holding datagram, stamped ts with
// microsecond precision.
//
// A record longer than the snapshot length is cut to it, and its original
// length is kept in the record header, so that readers know it was cut.
// (dwdump instead cuts such a record to snaplen-16 bytes and records that
// as its original length.)
func (w *Writer) WriteDatagramAt(ts time.Time, datagram []byte) error {
	total := uint64(CookedHeaderLen) + uint64(len(datagram))
	if total > 0xffffffff {
		return errors.New("nlpcap: datagram too long for a pcap record")
	}
	caplen := min(uint32(total), w.snaplen)

	bo := binary.NativeEndian
	b := w.rec[:0]
	b = bo.AppendUint32(b, uint32(ts.Unix()))
	b = bo.AppendUint32(b, uint32(ts.Nanosecond()/1000))
	b = bo.AppendUint32(b, caplen)
	b = bo.AppendUint32(b, uint32(total))
	b = appendCookedHeader(b)
	b = append(b, datagram[:caplen-CookedHeaderLen]...)
	w.rec = b
	return w.write(b)
}

func (w *Writer) write(b []byte) error {
	var err error
	if w.bw != nil {
		_, err = w.bw.Write(b)
	} else {
		_, err = w.w.Write(b)
	}
	if err != nil {
		return fmt.Errorf("nlpcap: write: %w", err)
	}
	return nil
}

// Flush hands buffered records to the underlying writer, then flushes that
// writer too if it has a Flush() error method (a *bufio.Writer, say).
func (w *Writer) Flush() error {
	if w.bw != nil {
		if err := w.bw.Flush(); err != nil {
			return fmt.Errorf("nlpcap: flush: %w", err)
		}
	}
	if f, ok := w.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("nlpcap: flush: %w", err)
		}
	}
	return nil
}
