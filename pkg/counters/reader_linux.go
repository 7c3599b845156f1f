package counters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/safchain/ethtool"
	"golang.org/x/sys/unix"
)

// Reader takes snapshots. It keeps its sockets and buffers from one
// snapshot to the next; it is safe for use by one goroutine at a time
// (Snapshot serialises concurrent callers).
type Reader struct {
	cfg Config

	mu     sync.Mutex
	closed bool
	nl     *netlink.Conn
	nlErr  error
	et     *ethtool.Ethtool
	etErr  error
	// The ethtool generic-netlink family, for the standard statistics
	// groups, and the string sets naming them (global, read once).
	gn    *genetlink.Conn
	gnErr error
	fam   genetlink.Family
	sets  map[uint32][]string
	std   []stdStat
	stdAt map[uint32][2]int // ifindex: range of std
	// ethtool's ioctl buffers, about 1.3 MiB, allocated once.
	gs *ethtool.EthtoolGStrings
	st *ethtool.EthtoolStats

	in      interner
	file    []byte // the MIB or softnet file being parsed, reused
	softnet []softnetStat
	names   []string
	ifs     map[uint32]string
	// lastLen is the previous snapshot's number of counters, to size the
	// next one's slice.
	lastLen int
	obj     []byte

	// capture and gcapture, if set (by tests), see every reply.
	capture  func(typ netlink.HeaderType, msgs []netlink.Message)
	gcapture func(cmd uint8, msgs []genetlink.Message)
}

// New returns a Reader for cfg. Sockets that cannot be opened are not an
// error here: each snapshot reports the sources they serve in its Errors.
func New(cfg Config) (*Reader, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("counters: negative timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	r := &Reader{cfg: cfg, ifs: make(map[uint32]string)}

	if cfg.wants(Link) || cfg.wants(Ethtool) || cfg.wants(Qdisc) {
		// netlink.Config.NetNS makes mdlayher/netlink open the socket
		// in that namespace.
		r.nl, r.nlErr = netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: cfg.NetNS})
	}
	if cfg.wants(Ethtool) {
		// The ioctl socket resolves interface names in the namespace it
		// was created in (sock_net in dev_ethtool), so create it there.
		r.etErr = inNetNS(cfg.NetNS, func() error {
			var err error
			r.et, err = ethtool.NewEthtool()
			return err
		})
		if r.etErr == nil {
			r.gs = new(ethtool.EthtoolGStrings)
			r.st = new(ethtool.EthtoolStats)
		}
		r.sets = make(map[uint32][]string)
		r.stdAt = make(map[uint32][2]int)
		r.gn, r.gnErr = genetlink.Dial(&netlink.Config{NetNS: cfg.NetNS})
		if r.gnErr == nil {
			_ = r.gn.SetDeadline(time.Now().Add(cfg.Timeout))
			// A kernel without ethtool netlink (before 5.6, or
			// CONFIG_ETHTOOL_NETLINK=n) has no such family:
			// os.ErrNotExist.
			r.fam, r.gnErr = r.gn.GetFamily(unix.ETHTOOL_GENL_NAME)
		}
	}
	return r, nil
}

// Close closes the Reader's sockets.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.nl != nil {
		err = r.nl.Close()
	}
	if r.et != nil {
		r.et.Close()
	}
	if r.gn != nil {
		if e := r.gn.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Snapshot reads every configured source. It returns an error only when
// ctx is done or the Reader is closed; a source that cannot be read is
// listed in the snapshot's Errors and the others are read all the same.
func (r *Reader) Snapshot(ctx context.Context) (*Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Snapshot{Time: time.Now(), Counters: make([]Counter, 0, max(256, r.lastLen+r.lastLen/8))}
	defer func() { r.lastLen = len(s.Counters) }()
	deadline := s.Time.Add(r.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	fail := func(src Source, obj, path string, err error) {
		s.Errors = append(s.Errors, &SourceError{Source: src, Object: obj, Path: path, Err: err})
	}

	var links []link
	var linkErr error
	if r.cfg.wants(Link) || r.cfg.wants(Ethtool) || r.cfg.wants(Qdisc) {
		var err error
		links, err = r.dumpLinks(deadline)
		linkErr = err
		clear(r.ifs)
		for _, l := range links {
			r.ifs[l.index] = l.name
		}
		// Without Link, a failed dump shows in the ethtool error, and
		// qdiscs are named by ifindex ("if3").
		switch {
		case err == nil || !r.cfg.wants(Link):
		case links != nil:
			// Some messages of the dump could not be decoded.
			fail(Link, "", "RTM_GETLINK", err)
		default:
			fail(Link, "", "", err)
		}
		if r.cfg.wants(Link) && len(links) > 0 {
			for _, l := range links {
				s.Counters = linkCounters(l, s.Counters)
			}
			s.Read = append(s.Read, Link)
		}
	}
	if r.cfg.wants(Ethtool) {
		if r.readEthtool(ctx, links, linkErr, deadline, s, fail) {
			s.Read = append(s.Read, Ethtool)
		}
	}
	if r.cfg.wants(Softnet) {
		path := filepath.Join(r.procRoot(), "net/softnet_stat")
		var err error
		r.file, err = readFile(path, r.file)
		if err == nil {
			r.softnet, err = parseSoftnet(r.file, r.softnet[:0])
		}
		if err != nil {
			fail(Softnet, "", path, err)
		} else {
			s.Counters = softnetCounters(r.softnet, s.Counters)
			s.Read = append(s.Read, Softnet)
		}
	}
	if r.cfg.wants(SNMP) {
		if r.readSNMP(s, fail) {
			s.Read = append(s.Read, SNMP)
		}
	}
	if r.cfg.wants(Qdisc) {
		qs, err := r.dumpQdiscs(deadline, s)
		switch {
		case err != nil && qs:
			fail(Qdisc, "", "RTM_GETQDISC", err)
		case err != nil:
			fail(Qdisc, "", "", err)
		}
		if qs {
			s.Read = append(s.Read, Qdisc)
		}
	}
	return s, nil
}

func (r *Reader) procRoot() string {
	if r.cfg.ProcRoot == "" {
		return "/proc"
	}
	return r.cfg.ProcRoot
}

// dump sends one dump request of type typ with the fixed header hdr and
// returns the replies, within the deadline.
func (r *Reader) dump(typ netlink.HeaderType, hdr []byte, deadline time.Time) ([]netlink.Message, error) {
	if r.nlErr != nil {
		return nil, r.nlErr
	}
	if err := r.nl.SetDeadline(deadline); err != nil {
		return nil, err
	}
	msgs, err := r.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: typ, Flags: netlink.Request | netlink.Dump},
		Data:   hdr,
	})
	if err != nil {
		return nil, err
	}
	if r.capture != nil {
		r.capture(typ, msgs)
	}
	return msgs, nil
}

func (r *Reader) dumpLinks(deadline time.Time) ([]link, error) {
	var hdr [sizeofIfinfomsg]byte
	msgs, err := r.dump(unix.RTM_GETLINK, hdr[:], deadline)
	if err != nil {
		return nil, err
	}
	links := make([]link, 0, len(msgs))
	var bad error
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := decodeLink(m.Data, &r.in)
		if err != nil {
			if bad == nil {
				bad = err
			}
			continue
		}
		links = append(links, l)
	}
	return links, bad
}

func (r *Reader) dumpQdiscs(deadline time.Time, s *Snapshot) (bool, error) {
	var hdr [sizeofTcmsg]byte
	msgs, err := r.dump(unix.RTM_GETQDISC, hdr[:], deadline)
	if err != nil {
		return false, err
	}
	var bad error
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWQDISC {
			continue
		}
		q, err := decodeQdisc(m.Data, &r.in)
		if err != nil {
			if bad == nil {
				bad = err
			}
			continue
		}
		r.obj = appendQdiscObject(r.obj[:0], q, ifName(r.ifs, q.ifindex))
		s.Counters = qdiscCounters(q, r.in.get(r.obj), s.Counters)
	}
	return true, bad
}

// readEthtool reads the driver statistics (ethtool -S) and the standard
// statistics groups (ethtool -S --all-groups) of every interface. It
// reports true if the source was read (even if some interfaces failed).
func (r *Reader) readEthtool(ctx context.Context, links []link, linkErr error, deadline time.Time, s *Snapshot, fail func(Source, string, string, error)) bool {
	if r.etErr != nil {
		fail(Ethtool, "", "", r.etErr)
		return false
	}
	if links == nil {
		fail(Ethtool, "", "", fmt.Errorf("no interface list: %w", linkErr))
		return false
	}
	if err := r.dumpStdStats(deadline); err != nil {
		fail(Ethtool, "", "ETHTOOL_MSG_STATS_GET", err)
	}
	for i, l := range links {
		if time.Now().After(deadline) || ctx.Err() != nil {
			fail(Ethtool, "", "", fmt.Errorf("%w: %d of %d interfaces not read", os.ErrDeadlineExceeded, len(links)-i, len(links)))
			break
		}
		stats, err := r.et.StatsWithBuffer(l.name, r.gs, r.st)
		switch {
		case errors.Is(err, unix.EOPNOTSUPP):
			// The driver has no statistics (lo: "no stats available").
		case errors.Is(err, unix.ENODEV):
			// Deleted since the link dump.
			continue
		case err != nil:
			fail(Ethtool, l.name, "", err)
			continue
		default:
			// safchain/ethtool returns a map, which loses the driver's
			// order (and folds duplicate names): sort for a stable
			// order.
			r.names = r.names[:0]
			for name := range stats {
				r.names = append(r.names, name)
			}
			slices.Sort(r.names)
			for _, name := range r.names {
				s.Counters = append(s.Counters, Counter{
					Source: Ethtool, Object: l.name, Name: r.in.get([]byte(name)), Value: stats[name], Bits: 64, Gen: l.index,
					Gauge: ethtoolGauges[name],
				})
			}
		}
		if at, ok := r.stdAt[l.index]; ok {
			for _, st := range r.std[at[0]:at[1]] {
				if name := stdStatName(r.sets, st); name != "" {
					s.Counters = append(s.Counters, Counter{
						Source: Ethtool, Object: l.name, Name: r.in.get([]byte(name)), Value: st.value, Bits: 64, Gen: l.index,
					})
				}
			}
		}
	}
	return true
}

// ethtoolGauges are driver "statistics" that count nothing: veth's
// peer_ifindex (drivers/net/veth.c veth_get_ethtool_stats) is the peer's
// ifindex.
var ethtoolGauges = map[string]bool{"peer_ifindex": true}

// dumpStdStats asks for every standard statistics group of every device
// (one dump, as ethtool --all-groups asks for one device: a NOMASK
// bitset of all of ETH_SS_STATS_STD's bits) and keeps the statistics by
// device in r.std and r.stdAt. A kernel without ETHTOOL_MSG_STATS_GET
// (before 5.13) answers EOPNOTSUPP: there are no groups to read then.
func (r *Reader) dumpStdStats(deadline time.Time) error {
	r.std = r.std[:0]
	clear(r.stdAt)
	if r.gnErr != nil {
		return r.gnErr
	}
	if err := r.gn.SetDeadline(deadline); err != nil {
		return err
	}
	if r.sets[ethSSStatsStd] == nil {
		if err := r.loadStringSets([]uint32{ethSSStatsStd}); err != nil {
			return err
		}
	}
	nbits := len(r.sets[ethSSStatsStd])
	if nbits == 0 {
		return nil
	}
	data, err := stdStatsRequest(nbits)
	if err != nil {
		return err
	}
	msgs, err := r.gn.Execute(genetlink.Message{
		Header: genetlink.Header{Command: unix.ETHTOOL_MSG_STATS_GET, Version: r.fam.Version},
		Data:   data,
	}, r.fam.ID, netlink.Request|netlink.Dump)
	if errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.gcapture != nil {
		r.gcapture(unix.ETHTOOL_MSG_STATS_GET, msgs)
	}
	var bad error
	var missing []uint32
	for _, m := range msgs {
		start := len(r.std)
		var ifindex uint32
		ifindex, r.std, err = decodeStdStats(m.Data, r.std)
		if err != nil {
			r.std = r.std[:start]
			if bad == nil {
				bad = err
			}
			continue
		}
		r.stdAt[ifindex] = [2]int{start, len(r.std)}
		for _, st := range r.std[start:] {
			if _, ok := r.sets[st.ss]; !ok && !slices.Contains(missing, st.ss) {
				missing = append(missing, st.ss)
			}
		}
	}
	if len(missing) > 0 {
		if err := r.loadStringSets(missing); err != nil && bad == nil {
			bad = err
		}
	}
	return bad
}

// loadStringSets reads global string sets (ETHTOOL_MSG_STRSET_GET
// without a device): the names of the groups and of their statistics,
// which do not change while the kernel runs. A set the kernel does not
// return is remembered as empty.
func (r *Reader) loadStringSets(ids []uint32) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.ETHTOOL_A_STRSET_HEADER, func(*netlink.AttributeEncoder) error { return nil })
	ae.Nested(unix.ETHTOOL_A_STRSET_STRINGSETS, func(nae *netlink.AttributeEncoder) error {
		for _, id := range ids {
			nae.Nested(unix.ETHTOOL_A_STRINGSETS_STRINGSET, func(sae *netlink.AttributeEncoder) error {
				sae.Uint32(unix.ETHTOOL_A_STRINGSET_ID, id)
				return nil
			})
		}
		return nil
	})
	data, err := ae.Encode()
	if err != nil {
		return err
	}
	msgs, err := r.gn.Execute(genetlink.Message{
		Header: genetlink.Header{Command: unix.ETHTOOL_MSG_STRSET_GET, Version: r.fam.Version},
		Data:   data,
	}, r.fam.ID, netlink.Request)
	if err != nil {
		return fmt.Errorf("ETHTOOL_MSG_STRSET_GET: %w", err)
	}
	if r.gcapture != nil {
		r.gcapture(unix.ETHTOOL_MSG_STRSET_GET, msgs)
	}
	for _, id := range ids {
		r.sets[id] = []string{}
	}
	for _, m := range msgs {
		if err := decodeStringSets(m.Data, &r.in, r.sets); err != nil {
			return err
		}
	}
	return nil
}

// mibFiles are the files nstat reads, in its order.
var mibFiles = [...]struct {
	name string
	good bool
}{
	{"net/netstat", false},
	{"net/snmp6", true},
	{"net/snmp", false},
}

func (r *Reader) readSNMP(s *Snapshot, fail func(Source, string, string, error)) bool {
	root := r.procRoot()
	inNS := r.cfg.NetNS != 0 && r.cfg.ProcRoot == ""
	if inNS {
		root = "/proc/thread-self"
	}
	read := false
	emit := func(name string, v uint64) {
		s.Counters = append(s.Counters, Counter{Source: SNMP, Name: name, Value: v, Bits: 64})
	}
	for _, f := range mibFiles {
		path := filepath.Join(root, f.name)
		var err error
		if inNS {
			err = inNetNS(r.cfg.NetNS, func() error {
				var err error
				r.file, err = readFile(path, r.file)
				return err
			})
		} else {
			r.file, err = readFile(path, r.file)
		}
		if err != nil {
			fail(SNMP, "", path, err)
			continue
		}
		read = true
		if f.good {
			err = parseGood(r.file, &r.in, emit)
		} else {
			err = parseUgly(r.file, &r.in, emit)
		}
		if err != nil {
			fail(SNMP, "", path, err)
		}
	}
	return read
}

// readFile reads a whole /proc file into buf (procfs files report a size
// of 0, so os.ReadFile's size hint does not help), refusing more than
// 16 MiB.
func readFile(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], err
	}
	defer f.Close()
	buf = buf[:0]
	const limit = 16 << 20
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return buf, err
		}
		if len(buf) > limit {
			return buf, malformed("%s is larger than %d bytes", path, limit)
		}
	}
}

// inNetNS runs fn on an OS thread that has joined the network namespace
// fd, and puts the thread back in its own namespace afterwards; fd 0 runs
// fn as it is. Sockets keep the namespace they were created in, and
// /proc/thread-self/net shows the thread's namespace. If the thread cannot
// go back, it stays locked, and Go ends it when the goroutine returns.
func inNetNS(fd int, fn func() error) error {
	if fd == 0 {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("join network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leave network namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
