// Package drops is the drop engine of dropwatch: it opens a source of the
// kernel's drop reports, starts and stops monitoring, and delivers each
// drop as a resolved Record, with exact accounting of what it could not
// deliver. It never prints; the programs built on it (cmd/dropwatch, an
// exporter, a counters view) format and decide.
//
// # Sources
//
// Open chooses the backend by name. NET_DM is the kernel's drop monitor
// (net/core/drop_monitor.c, through pkg/dropmon); the skb:kfree_skb
// tracepoint (pkg/skbtrace) stands in for it on kernels without the
// drop_monitor module, imitating its summary alerts (counts per location
// over one second from a batch's first drop, as the kernel's dm_delay
// timer) and its packet alerts (location, protocol, reason and time; no
// payload, port or symbol text). auto takes NET_DM when the family exists,
// else the tracepoint, and keeps the dropmon.Diagnosis of why NET_DM is
// missing.
//
// # Ownership of monitoring
//
// The kernel's drop monitor is one global switch, which another tool may
// own. Engine.Watch joins the multicast group before START, so that no
// alert sent after the kernel's reply is missed. With Options.Passive it
// never sends CONFIG, START or STOP; with Options.Force it sends STOP
// before START, ending monitoring left on by another tool or a program
// that crashed. The engine stops only what it started (Engine.StopOwned),
// and a program calls StopOwned however it ends.
//
// # Records and the drains at stop
//
// Watch.Run hands a Handler batches of records, received in a goroutine
// of the engine's and gathered while they come together: until the
// socket has nothing more queued, and at most HoldFor of a stream that
// does not pause (one hand-over, and one write by a consumer that
// prints, per batch). A summary
// record is one location and its count; a packet record is one dropped
// packet with its reason, protocol, input port, times and payload, and on
// the tracepoint with Options.Stacks its call chain. Locations are resolved
// with a Symbols (kallsyms) from their address, or from the kernel's own
// "%pS" text, which NET_DM's packet alerts carry.
//
// A stop request does not stop at once. In summary mode the kernel holds
// each CPU's counts for a second and discards them on STOP, so Run goes on
// for Timing.Drain; in packet mode until alerts stop coming. After STOP,
// Watch.Stop delivers what the kernel sent before its reply. Watch.Losses
// counts what was lost, at any time: the kernel's tail drops, the socket's
// overruns and exact drops, full summaries, malformed messages and the
// tracepoint's lost samples.
package drops
