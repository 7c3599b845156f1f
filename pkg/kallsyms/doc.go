// Package kallsyms resolves kernel text addresses to symbol names using
// /proc/kallsyms.
//
// The table is loaded once (Load, LoadFile or Parse), is immutable
// afterwards and is safe for concurrent Lookup calls. A program that needs
// only a few addresses can instead find them in one pass over the file
// (Resolve, ResolveFile), with the same answers and without keeping the
// table. It is meant for
// resolving drop locations reported by NET_DM (NET_DM_ATTR_PC) into the
// familiar "__udp4_lib_rcv+0x9a2" form, including symbols of loadable
// modules and BPF programs, which are kept with their "[module]" tag.
//
// # File format
//
// Each line of /proc/kallsyms is written by s_show in kernel/kallsyms.c as
//
//	<address> <type> <name>
//	<address> <type> <name>\t[<module>]
//
// The address is printed with %px, so it is all zeros when the reader may not
// see kernel pointers (kernel.kptr_restrict, or a reader without
// CAP_SYSLOG). Parse reports that case as ErrRestricted.
//
// The vmlinux part is sorted by address (scripts/kallsyms.c sorts it at
// build time), but the module, ftrace/kprobe trampoline and BPF parts that
// follow are listed module by module in symbol-table order, so the file as
// a whole is not sorted; the table is sorted after loading.
//
// # Which symbols own an address
//
// Only text symbols (types T, t, W and w) are returned by Lookup. Data
// symbols (b B d D r R g G s S v V) are kept only as anonymous end
// markers: a data symbol never lies inside a function, so an address at or
// after it and before the next function is reported as not found instead
// of as an absurd offset from the last function before the data section.
// The linker-script markers that close a text section of vmlinux (_etext,
// _einittext and the __*_text_end symbols of include/asm-generic/vmlinux.lds.h
// and arch/*/kernel/vmlinux.lds.S) are treated the same way. Absolute,
// undefined and other symbol types, symbols at address zero, and ARM/RISC-V
// mapping symbols ($x, $d, ...) are ignored.
//
// When several text symbols share an address, the first one in file order
// wins. That is the symbol the kernel's own %pS picks (get_symbol_pos in
// kernel/kallsyms.c walks back to the first alias; find_kallsyms_symbol in
// kernel/module/kallsyms.c keeps the first match in symbol-table order), and
// it is what dropwatch 1.5.5 prints as well.
//
// No symbol is assumed to be larger than 1 MiB: an address further than that
// beyond the closest symbol below it is reported as not found.
//
// # Rust
//
// Names are stored raw. Symbol.DisplayName demangles Rust v0 (_R...) and
// legacy Rust (_ZN...17h<hash>E) names on demand.
package kallsyms
