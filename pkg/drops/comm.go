package drops

import (
	"os"
	"strconv"
	"strings"
)

// maxComms bounds the thread names a comms cache holds.
const maxComms = 4096

// comms names thread ids from /proc/TID/comm (proc(5): the thread's
// comm, which a thread id opens although it is not listed in /proc), each
// read once: a thread renamed later, or an id reused by a new thread, keeps
// the first name read. The zero value reads /proc.
type comms struct {
	proc  string // "" is /proc
	names map[int32]string
}

// of returns tid's name; the idle task, tid 0 on each CPU, is named as the
// kernel names it ("swapper/1", init/init_task.c and
// kernel/sched/core.c init_idle).
func (c *comms) of(tid int32, cpu uint32) string {
	key := tid
	if tid == 0 {
		key = -1 - int32(cpu) // no thread has a negative id
	}
	if name, ok := c.names[key]; ok {
		return name
	}
	if c.names == nil || len(c.names) >= maxComms {
		c.names = make(map[int32]string)
	}
	if tid == 0 {
		c.names[key] = "swapper/" + strconv.FormatUint(uint64(cpu), 10)
		return c.names[key]
	}
	dir := c.proc
	if dir == "" {
		dir = "/proc"
	}
	b, err := os.ReadFile(dir + "/" + strconv.FormatInt(int64(tid), 10) + "/comm")
	name := ""
	if err == nil {
		name = strings.TrimSuffix(string(b), "\n")
	}
	c.names[tid] = name
	return name
}
