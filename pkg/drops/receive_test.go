package drops

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// scriptedSource returns its results in turn, then waits for the end of
// the context.
type scriptedSource struct {
	results []scripted
	idle    bool
}

type scripted struct {
	evs []dropmon.Event
	err error
}

func (s *scriptedSource) Receive(ctx context.Context) ([]dropmon.Event, error) {
	if len(s.results) == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	r := s.results[0]
	s.results = s.results[1:]
	return r.evs, r.err
}

func (s *scriptedSource) Stats() dropmon.MonitorStats  { return dropmon.MonitorStats{} }
func (s *scriptedSource) SocketDrops() (uint64, error) { return 0, nil }
func (s *scriptedSource) Close() error                 { return nil }

// idleScriptedSource says when it is idle, as a NET_DM monitor does.
type idleScriptedSource struct{ scriptedSource }

func (*idleScriptedSource) Idles() {}

// TestReceiveHolds: from a source that says when it is idle, the
// receiving goroutine hands Run the datagrams that came before
// the idle time in one batch; from any other source, or while the printer
// is eager, one batch a datagram.
func TestReceiveHolds(t *testing.T) {
	idle := scripted{err: &dropmon.Error{Op: "receive", Err: os.ErrDeadlineExceeded}}
	alert := func(i int) scripted { return scripted{evs: packetAlert(i)} }
	script := []scripted{alert(0), alert(1), alert(2), idle, idle, alert(3), idle}
	tests := []struct {
		name  string
		src   Events
		eager bool
		want  [][]int // the alerts' timestamps' nanoseconds, a batch a row
	}{
		{name: "idle source", src: &idleScriptedSource{scriptedSource{results: script}}, want: [][]int{{0, 1, 2}, {3}}},
		{name: "idle source, eager", src: &idleScriptedSource{scriptedSource{results: script}}, eager: true, want: [][]int{{0}, {1}, {2}, {3}}},
		// A source that never idles would keep a held batch forever.
		{name: "other source", src: &scriptedSource{results: []scripted{alert(0), alert(1)}}, want: [][]int{{0}, {1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			out := make(chan *Batch, 16)
			var st receiverState
			st.eager.Store(tc.eager)
			go receive(ctx, tc.src, nil, false, out, &st)
			var got [][]int
			for len(got) < len(tc.want) {
				select {
				case b := <-out:
					if b.err != nil {
						t.Fatalf("batch with error %v", b.err)
					}
					var ns []int
					for _, r := range b.Records {
						ns = append(ns, r.Packet.Timestamp.Nanosecond())
					}
					got = append(got, ns)
				case <-time.After(10 * time.Second):
					t.Fatalf("got batches %v, then nothing for 10 s; want %v", got, tc.want)
				}
			}
			cancel()
			for b := range out {
				t.Errorf("batch after the last expected one: %d records", len(b.Records))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
}
