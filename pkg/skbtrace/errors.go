package skbtrace

// Error is a failure to set up or read the tracer. It matches
// os.ErrPermission (no privilege for tracefs or perf_event_open),
// os.ErrNotExist (no tracefs, no skb:kfree_skb tracepoint) and
// errors.ErrUnsupported (not Linux, no perf events) through its Err.
type Error struct {
	// Op is what failed: "find tracefs", "mount tracefs", "read format",
	// "perf_event_open", "mmap", "enable", "epoll", "wait".
	Op string
	// Path is the file involved, if any.
	Path string
	// Hint says what the user can do about it, if anything is known.
	Hint string
	// Err is the underlying error (often a syscall.Errno or *fs.PathError).
	Err error
}

func (e *Error) Error() string {
	s := "skbtrace: " + e.Op
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
