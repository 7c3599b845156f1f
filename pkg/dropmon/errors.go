package dropmon

import (
	"errors"
	"os"
	"syscall"
)

// familyNotFound is ErrFamilyNotFound's type: it matches os.ErrNotExist
// without carrying that error's "file does not exist" text.
type familyNotFound struct{}

func (familyNotFound) Error() string        { return "NET_DM generic netlink family not found" }
func (familyNotFound) Is(target error) bool { return target == os.ErrNotExist }

// Error is an error reply from the kernel to a request, or a failure to
// exchange a request with it.
type Error struct {
	// Op names the request: "start", "stop", "config", "config get",
	// "stats get", "resolve family", "join group", "receive".
	Op string
	// Errno is the kernel's error number, 0 if the failure was not an
	// error reply.
	Errno syscall.Errno
	// Message is the kernel's extended acknowledgement text, if it sent one
	// ("Cannot configure drop monitor during monitoring", ...).
	Message string
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	s := "dropmon: " + e.Op + ": "
	if e.Err != nil {
		s += e.Err.Error()
	} else {
		s += e.Errno.Error()
	}
	if e.Message != "" {
		s += " (" + e.Message + ")"
	}
	return s
}

func (e *Error) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return e.Errno
}

// Is maps kernel error numbers to the errors a caller acts on: EPERM and
// EACCES to os.ErrPermission; ENOENT to os.ErrNotExist; EOPNOTSUPP to
// errors.ErrUnsupported (CONFIG before Linux 5.4, hardware drops without
// devlink); EAGAIN on START to ErrAlreadyMonitoring; EBUSY to ErrBusy.
func (e *Error) Is(target error) bool {
	switch target {
	case os.ErrPermission:
		return e.Errno == syscall.EPERM || e.Errno == syscall.EACCES
	case os.ErrNotExist:
		return e.Errno == syscall.ENOENT
	case errors.ErrUnsupported:
		return e.Errno == syscall.EOPNOTSUPP
	case ErrAlreadyMonitoring:
		return e.Op == "start" && e.Errno == syscall.EAGAIN
	case ErrBusy:
		return e.Errno == syscall.EBUSY
	}
	return false
}

var _ error = &Error{}
