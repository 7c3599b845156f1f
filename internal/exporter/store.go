package exporter

import (
	"hash/maphash"
	"sync"

	dto "github.com/prometheus/client_model/go"
)

// DefaultMaxSeries is the default limit of drop series. A kernel has a few
// hundred call sites of kfree_skb_reason and a few hundred drop reasons
// (include/net/dropreason-core.h), but a host sees a few dozen
// combinations; 1000 leaves room for hardware traps and modules while
// keeping a fleet's series count in check (the Prometheus instrumentation
// guide asks to "investigate alternate solutions" above 100 per metric).
const DefaultMaxSeries = 1000

// Series is one drop series: its site and the number of drops counted there.
type Series struct {
	Site  Site
	Drops uint64

	// labels are the site's label pairs, built once when the site is
	// added and shared, read-only, by every scrape (see dropMetric).
	labels []*dto.LabelPair
}

// entry is a stored series.
type entry struct {
	drops  uint64
	labels []*dto.LabelPair
}

// Store counts drops per site. It keeps at most MaxSeries sites; the drops
// of any further site are counted in one series whose function is
// FunctionOther, and the number of such sites in FoldedSeries. Its memory is
// therefore bounded by MaxSeries+1 series plus a bounded set of hashes of
// folded sites, however many distinct sites the kernel reports over days.
// A Store is safe for concurrent use; the zero value is not usable.
type Store struct {
	mu     sync.Mutex
	max    int
	series map[Site]*entry
	order  []Site // sites in the order they were added, for stable output
	other  *entry

	seed maphash.Seed
	// seen holds hashes of the sites folded so far, so that a site that
	// keeps dropping is counted once in folded. It is cleared when it
	// reaches seenMax entries (8 bytes each): from then on a site folded
	// before may be counted again, an overcount bounded in memory.
	seen    map[uint64]struct{}
	seenMax int
	folded  uint64
}

// NewStore returns a store of at most maxSeries drop series besides the
// folded one; maxSeries < 1 means DefaultMaxSeries.
func NewStore(maxSeries int) *Store {
	if maxSeries < 1 {
		maxSeries = DefaultMaxSeries
	}
	return &Store{
		max:     maxSeries,
		series:  make(map[Site]*entry, min(maxSeries, 1024)),
		seed:    maphash.MakeSeed(),
		seen:    make(map[uint64]struct{}),
		seenMax: max(16*maxSeries, 4096),
	}
}

// MaxSeries returns the store's limit of series (the folded one excluded).
func (s *Store) MaxSeries() int { return s.max }

// Add counts n drops at site, after Site.Normalize. Adding 0 does nothing.
func (s *Store) Add(site Site, n uint64) {
	if n == 0 {
		return
	}
	site = site.Normalize()
	s.mu.Lock()
	s.add(site, n)
	s.mu.Unlock()
}

// AddSeries counts a batch of drops under one lock.
func (s *Store) AddSeries(batch []Series) {
	for i := range batch {
		batch[i].Site = batch[i].Site.Normalize()
	}
	s.mu.Lock()
	for _, b := range batch {
		if b.Drops != 0 {
			s.add(b.Site, b.Drops)
		}
	}
	s.mu.Unlock()
}

func (s *Store) add(site Site, n uint64) {
	if p := s.series[site]; p != nil {
		p.drops += n
		return
	}
	if site.Function != FunctionOther && len(s.series) < s.max {
		s.series[site] = &entry{drops: n, labels: labelPairs(site)}
		s.order = append(s.order, site)
		return
	}
	// A site reported as "other" by a source is counted with the folded
	// ones, but not as a folded series.
	if s.other == nil {
		s.other = &entry{labels: labelPairs(Site{Function: FunctionOther})}
	}
	s.other.drops += n
	if site.Function == FunctionOther {
		return
	}
	h := s.hash(site)
	if _, ok := s.seen[h]; ok {
		return
	}
	if len(s.seen) >= s.seenMax {
		clear(s.seen)
	}
	s.seen[h] = struct{}{}
	s.folded++
}

func (s *Store) hash(site Site) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, v := range [...]string{site.Function, site.Module, site.Reason, site.Origin, site.Trap, site.TrapGroup} {
		h.WriteString(v)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// Snapshot appends the series to dst in the order their sites first
// dropped, the folded series last, and returns it with the number of sites
// folded so far.
func (s *Store) Snapshot(dst []Series) (series []Series, folded uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, site := range s.order {
		e := s.series[site]
		dst = append(dst, Series{Site: site, Drops: e.drops, labels: e.labels})
	}
	if s.other != nil {
		dst = append(dst, Series{Site: Site{Function: FunctionOther}, Drops: s.other.drops, labels: s.other.labels})
	}
	return dst, s.folded
}

// Len returns the number of series, the folded one included.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.series)
	if s.other != nil {
		n++
	}
	return n
}
