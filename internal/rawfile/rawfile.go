// Package rawfile writes to regular files with write(2) as a raw system
// call, outside the Go runtime's system call path.
//
// A system call entered through that path while every P is idle, as when
// a monitoring command has waited for its next alert, wakes sysmon from
// its deep sleep (reentersyscall and entersyscallWakeSysmon in
// runtime/proc.go); sysmon then naps 20 µs at a time until every P is idle
// again. dropwatch and dwdump write their output once per tenth of a
// second while alerts come, so each write cost a few context switches of
// sysmon's besides its own. A write to a regular file does not wait for a
// reader, so it needs none of the path's bookkeeping: the scheduler may
// keep the P for its few microseconds. Pipes, terminals and sockets, which
// can block for as long as their reader likes, keep the runtime's write.
package rawfile

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Writer returns w itself unless it is an *os.File open on a regular file,
// for which it returns a writer that writes with raw write(2) calls. The
// *os.File stays referenced (its finalizer would close the descriptor) and
// in charge: the writer fails with os.ErrClosed once it is closed.
func Writer(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return w
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return w
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return w
	}
	return &fileWriter{f: f, rc: rc}
}

type fileWriter struct {
	f  *os.File
	rc syscall.RawConn
	// The result of the write function, which is made once so that a
	// write allocates nothing.
	fn  func(fd uintptr) bool
	buf []byte
	n   int
	err error
}

// Write writes all of p, as os.File.Write does: a short write is
// continued, and an error is an *os.PathError.
func (w *fileWriter) Write(p []byte) (int, error) {
	if w.fn == nil {
		w.fn = func(fd uintptr) bool {
			w.n, w.err = writeAll(int(fd), w.buf)
			return true
		}
	}
	w.buf = p
	err := w.rc.Write(w.fn)
	n, werr := w.n, w.err
	w.buf, w.n, w.err = nil, 0, nil
	if err != nil {
		// RawConn.Write fails only on a closed file.
		return 0, &os.PathError{Op: "write", Path: w.f.Name(), Err: os.ErrClosed}
	}
	if werr != nil {
		return n, &os.PathError{Op: "write", Path: w.f.Name(), Err: werr}
	}
	return n, nil
}

// writeAll writes b to fd with raw write(2) calls until all of it is
// written or one fails.
func writeAll(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n))
		switch {
		case e == unix.EINTR:
		case e != 0:
			return n, e
		case r == 0:
			return n, io.ErrShortWrite
		default:
			n += int(r)
		}
	}
	return n, nil
}
