//go:build linux

package nlpcap

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// recvBufferLen holds any controller reply: the kernel allocates them with
// NLMSG_DEFAULT_SIZE, a little under one page (64 KiB on the largest
// pages).
const recvBufferLen = 64 << 10

// pollSlice is how long one wait for the reply lasts before FetchFamily
// looks at its context again.
const pollSlice = 100 * time.Millisecond

// FetchFamily asks the kernel for the generic netlink family called name,
// with a by-name CTRL_CMD_GETFAMILY request on a socket of its own, and
// returns the kernel's reply datagram, a CTRL_CMD_NEWFAMILY message, byte
// for byte. Written as the first record of a capture, it lets Wireshark map
// the family's ID to its name.
//
// (dwdump instead captures the first datagram of a dump of every family,
// which need not contain the family it monitors.)
//
// If no family has that name the error matches os.ErrNotExist (the
// controller answers ENOENT; for NET_DM, also outside the initial network
// namespace). FetchFamily gives up when ctx is done or, if ctx has no
// deadline, after DefaultFetchTimeout; the error then matches
// os.ErrDeadlineExceeded.
func FetchFamily(ctx context.Context, name string) ([]byte, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("nlpcap: %w", os.NewSyscallError("socket", err))
	}
	defer unix.Close(fd)
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("nlpcap: %w", os.NewSyscallError("bind", err))
	}
	const seq = 1
	if err := unix.Sendto(fd, getFamilyRequest(name, seq), 0, kernel); err != nil {
		return nil, fmt.Errorf("nlpcap: %w", os.NewSyscallError("sendto", err))
	}

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultFetchTimeout)
	}
	buf := make([]byte, recvBufferLen)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("nlpcap: no reply to CTRL_CMD_GETFAMILY %q: %w", name, os.ErrDeadlineExceeded)
		}
		reply, err := receiveReply(fd, buf, seq, min(left, pollSlice))
		if err != nil {
			return nil, fmt.Errorf("nlpcap: family %q: %w", name, err)
		}
		if reply == nil {
			continue
		}
		f, err := ParseFamilyMessage(reply)
		if err != nil {
			return nil, err
		}
		if f.Name != name {
			return nil, fmt.Errorf("%w: asked for family %q, got %q", ErrNotFamilyMessage, name, f.Name)
		}
		return reply, nil
	}
}

// receiveReply waits up to wait for one datagram from the kernel and
// returns a copy of it if it answers request seq, or nil if there was none.
// An NLMSG_ERROR reply becomes its errno.
func receiveReply(fd int, buf []byte, seq uint32, wait time.Duration) ([]byte, error) {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, int(wait.Milliseconds())+1)
	if err == unix.EINTR || n == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, os.NewSyscallError("poll", err)
	}
	n, from, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
	switch {
	case err == unix.EINTR || err == unix.EAGAIN:
		return nil, nil
	case err != nil:
		return nil, os.NewSyscallError("recvfrom", err)
	case n > len(buf):
		return nil, fmt.Errorf("reply of %d bytes exceeds the %d-byte buffer", n, len(buf))
	case n < nlmsgHeaderLen:
		return nil, nil
	}
	if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
		return nil, nil // not from the kernel
	}
	msg := buf[:n]
	bo := binary.NativeEndian
	if bo.Uint32(msg[8:]) != seq {
		return nil, nil
	}
	if bo.Uint16(msg[4:]) == nlmsgError {
		if n < nlmsgHeaderLen+4 {
			return nil, fmt.Errorf("short NLMSG_ERROR of %d bytes", n)
		}
		if errno := -int32(bo.Uint32(msg[nlmsgHeaderLen:])); errno != 0 {
			return nil, syscall.Errno(errno)
		}
		return nil, nil // an acknowledgement, which was not asked for
	}
	return bytes.Clone(msg), nil
}
