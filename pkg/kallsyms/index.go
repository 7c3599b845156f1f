package kallsyms

import (
	"math"
	"math/bits"
	"sort"
)

// Lookup is bound by memory latency, not by arithmetic. A real kernel has
// about 120,000 symbols, so syms takes about 2 MB, more than the L2 cache,
// and a binary search over it waits for a cache miss at most of its 17
// dependent steps. Its branches also go either way at random for the pcs
// of a drop monitor, so about every other one is mispredicted.
//
// The search therefore narrows the range in two small arrays first and
// reads a single cache line of syms:
//
//   - top holds the address of every topStride-th entry: 15 KB for a real
//     kernel, which stays in the L1 cache.
//   - offs holds, for each block of topStride entries, the addresses of
//     every lineEntries-th entry in it as 32-bit offsets from the block's
//     address in top: one cache line per block, 1/16 of the size of syms.
//   - syms is then read in one line of lineEntries entries.
//
// Each is searched with masks instead of branches, so that nothing is
// mispredicted (see find). Besides top, a lookup reads one line of offs and
// one line of syms, which also leaves room in the caches for the lines of
// other lookups.
//
// A block of topStride entries that spans 4 GiB or more cannot be described
// by 32-bit offsets. It does not occur in a kernel, whose modules and BPF
// programs lie within 2 GiB of its text on x86_64 for relative calls, but
// it is valid input: such a block is marked by a non-zero first offset
// (otherwise always 0) and binary searched in syms.
const (
	lineEntries  = 4  // 16-byte entries in a 64-byte cache line
	offsPerBlock = 16 // 32-bit offsets in a cache line
	topStride    = lineEntries * offsPerBlock

	// noOffset fills the offsets of a wide block and pads the last block.
	// Every real offset is smaller.
	noOffset = math.MaxUint32
)

// buildIndex returns top and offs for syms (see above).
func buildIndex(syms []entry) (top []uint64, offs []uint32) {
	top = make([]uint64, (len(syms)+topStride-1)/topStride)
	offs = make([]uint32, len(top)*offsPerBlock)
	for b := range top {
		block := syms[b*topStride : min((b+1)*topStride, len(syms))]
		o := offs[b*offsPerBlock : (b+1)*offsPerBlock]
		base := block[0].addr
		top[b] = base
		// The last offset of the block is its largest.
		wide := block[(len(block)-1)/lineEntries*lineEntries].addr-base >= noOffset
		for k := range o {
			if wide || k*lineEntries >= len(block) {
				o[k] = noOffset
			} else {
				o[k] = uint32(block[k*lineEntries].addr - base)
			}
		}
	}
	return top, offs
}

// find returns the index of the entry with the largest address not above
// pc, or -1.
//
// Each level is searched four ways at a time: three addresses are loaded
// at once and the masks of those not above pc are added up, which halves
// the chain of loads that depend on each other compared to a binary search.
func (t *Table) find(pc uint64) int {
	top := t.top
	if len(top) == 0 || pc < top[0] {
		return -1
	}
	// top[b] <= pc holds throughout, and the block is one of top[b:b+n].
	// The range kept is n-3q long whichever quarter pc is in, so that the
	// number of steps only depends on len(top).
	b, n := 0, len(top)
	for ; n >= 4; n -= 3 * (n / 4) {
		q := n / 4
		b += q&notAbove(top[b+q], pc) + q&notAbove(top[b+2*q], pc) + q&notAbove(top[b+3*q], pc)
	}
	for ; n > 1; n-- {
		b -= notAbove(top[b+1], pc)
	}
	o := (*[offsPerBlock]uint32)(t.offs[b*offsPerBlock:])
	if o[0] != 0 {
		return t.findWide(b, pc)
	}
	// o[0] is 0, not above rel. Padding is above rel unless pc lies 4 GiB
	// or more past the last entry; lastLine catches that.
	rel := pc - top[b]
	k := 4&notAbove(uint64(o[4]), rel) + 4&notAbove(uint64(o[8]), rel) + 4&notAbove(uint64(o[12]), rel)
	k -= notAbove(uint64(o[k+1]), rel) + notAbove(uint64(o[k+2]), rel) + notAbove(uint64(o[k+3]), rel)
	line := b*offsPerBlock + k
	if lastLine := (len(t.syms) - 1) / lineEntries; line >= lastLine {
		// The last line may be short.
		i := lastLine*lineEntries - 1
		for _, e := range t.syms[lastLine*lineEntries:] {
			i -= notAbove(e.addr, pc)
		}
		return i
	}
	// e[0].addr <= pc, as o[k] <= rel.
	i := line * lineEntries
	e := (*[lineEntries]entry)(t.syms[i:])
	return i - (notAbove(e[1].addr, pc) + notAbove(e[2].addr, pc) + notAbove(e[3].addr, pc))
}

// findWide is find in block b of syms when it is too wide for offs.
func (t *Table) findWide(b int, pc uint64) int {
	block := t.syms[b*topStride : min((b+1)*topStride, len(t.syms))]
	return b*topStride + sort.Search(len(block), func(i int) bool { return block[i].addr > pc }) - 1
}

// notAbove returns -1 if a <= pc, else 0. It takes the borrow of a-pc-1
// because the compiler turns a comparison whose result feeds a load address
// into a branch (Go issue 26306), which would be mispredicted here.
func notAbove(a, pc uint64) int {
	_, le := bits.Sub64(a, pc, 1)
	return -int(le)
}
