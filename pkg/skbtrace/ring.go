package skbtrace

import (
	"encoding/binary"
	"fmt"
)

// ringReader walks the records of a perf ring buffer's data area
// (include/uapi/linux/perf_event.h, struct perf_event_mmap_page: data_head,
// data_tail, data_offset, data_size). It does no atomics itself: the caller
// loads data_head (acquire) before calling read and stores the returned tail
// into data_tail (release) after it, when it no longer needs the records.
type ringReader struct {
	data    []byte // the data area; its length is a power of two
	scratch []byte // a record that wraps around the end is copied here
}

// read calls fn with each record between tail and head, free-running byte
// counters as in data_tail and data_head, and returns the position it
// reached. The slice given to fn is valid only during the call. A record
// whose header is impossible (size below 8, or past head) cannot be stepped
// over: read then returns head, skipping the rest, and an error matching
// ErrMalformed.
func (r *ringReader) read(tail, head uint64, fn func(rec []byte)) (uint64, error) {
	size := uint64(len(r.data))
	mask := size - 1
	if head-tail > size {
		return head, fmt.Errorf("%w: ring buffer head %d is %d bytes past tail %d, more than its %d bytes", ErrMalformed, head, head-tail, tail, size)
	}
	for tail < head {
		off := tail & mask
		// Records are 8-byte aligned and the data area a multiple of 8
		// bytes, so a header never wraps; check anyway.
		if size-off < headerSize || head-tail < headerSize {
			return head, fmt.Errorf("%w: ring buffer header at %d split or cut", ErrMalformed, tail)
		}
		n := uint64(binary.NativeEndian.Uint16(r.data[off+6:]))
		if n < headerSize || n > head-tail {
			return head, fmt.Errorf("%w: ring buffer record at %d has size %d, %d bytes left", ErrMalformed, tail, n, head-tail)
		}
		if off+n <= size {
			fn(r.data[off : off+n])
		} else {
			r.scratch = append(append(r.scratch[:0], r.data[off:]...), r.data[:off+n-size]...)
			fn(r.scratch)
		}
		tail += n
	}
	return tail, nil
}
