#!/usr/bin/env bash
# Real-kernel tests: boots Debian's 6.1 and 6.12 kernels (both build
# net/core/drop_monitor.c as a module) under qemu with a busybox initramfs
# and runs every vmtest-tagged test binary there, next to the C dropwatch
# and dwdump. This machine's own kernel has no NET_DM family at all.
#
#   bash test/vm/run.sh            # make vmtest
#   bash test/vm/run.sh --bench    # make bench-vm: benchmarks instead of tests
#
# Settings (environment):
#   DROPWATCH_VM_CACHE    kernel downloads   (default ~/.cache/dropwatch-vm)
#   DROPWATCH_VM_OUT      results: console logs, files from the guest's /out
#                         (default /tmp/dropwatch-vm)
#   DROPWATCH_VM_ACCEL    tcg (default) or kvm
#   DROPWATCH_VM_TIMEOUT  seconds each boot may take (default 900; a boot
#                         takes about 250 s on an idle 2-core host)
#   DROPWATCH_VM_KERNELS  Debian meta packages to boot
#                         (default "linux-image-amd64 linux-image-6.12-amd64")
#   DROPWATCH_VM_RUN      -test.run (or -test.bench) pattern for the guest
#   DROPWATCH_VM_PACKAGES test packages to build, e.g. "test/e2e" (default:
#                         every package with //go:build vmtest tests)
#   DROPWATCH_VM_PARALLEL 1 (default): boot the kernels at the same time;
#                         0: one after the other. The guests mostly wait
#                         for the kernel's once-a-second alerts, so two at a
#                         time finish sooner even on 2 cores (measured: 58 s
#                         against 37 + 42 s for the e2e tests).
#   DROPWATCH_VM_BENCHTIME -test.benchtime in --bench mode (default 1x)
#   DROPWATCH_VM_COUNT    -test.count (default 1): repeat every test (a
#                         test that fails one run in thirty is a failing
#                         test), or in --bench mode each row, to see how
#                         much CPU times vary; raise DROPWATCH_VM_TIMEOUT
#                         with it (test/e2e takes about 2 minutes a run)
#   --bench defaults: DROPWATCH_VM_PACKAGES=test/e2e, DROPWATCH_VM_RUN=
#   BenchmarkTools|BenchmarkExporter, DROPWATCH_VM_PARALLEL=0 (each guest has the host's two
#   cores to itself, so that CPU times are comparable), TIMEOUT 600;
#   DROPWATCH_BENCH_DROPS sets the burst's size (default 20000),
#   DROPWATCH_BENCH_IDLE the idle row's seconds (default 60),
#   DROPWATCH_BENCH_PROFILE=1 has each of our rows write a Go CPU profile
#   (DROPWATCH_CPUPROFILE) to $DROPWATCH_VM_OUT/<kernel>/out/bench/
#   profiles/ (the binaries are in $DROPWATCH_VM_OUT/build/common). The
#   tables end up in $DROPWATCH_VM_OUT/bench-tables.md.
#   DROPWATCH_VM_BASELINE a git revision (e.g. main): its dropwatch and
#                         dwdump are built too, and the benchmark adds a
#                         "(baseline)" row after each of our default rows,
#                         so that a change is measured before and after in
#                         the same boot
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${DROPWATCH_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/dropwatch-vm}
OUT=${DROPWATCH_VM_OUT:-/tmp/dropwatch-vm}
ACCEL=${DROPWATCH_VM_ACCEL:-tcg}
BOOT_TIMEOUT=${DROPWATCH_VM_TIMEOUT:-900}
KERNELS=${DROPWATCH_VM_KERNELS:-linux-image-amd64 linux-image-6.12-amd64}
RUN=${DROPWATCH_VM_RUN:-}
PACKAGES=${DROPWATCH_VM_PACKAGES:-}
PARALLEL=${DROPWATCH_VM_PARALLEL:-1}
BENCHTIME=${DROPWATCH_VM_BENCHTIME:-1x}
COUNT=${DROPWATCH_VM_COUNT:-1}
BASELINE=${DROPWATCH_VM_BASELINE:-}
MODE=test
GO=${GO:-go}

STAGE=$OUT/build # binaries and initramfs trees, rebuilt on every run
T0=${EPOCHREALTIME/./}

# log prints progress on stderr (stdout of some functions is their result)
# with the time since the start.
log() {
	local us=$((${EPOCHREALTIME/./} - T0))
	printf '[%4d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&2
}
die() {
	log "ERROR: $*"
	exit 1
}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

parse_args() {
	while (($#)); do
		case $1 in
		--bench) MODE=bench ;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown argument $1 (try --help)" ;;
		esac
		shift
	done
}

as_root() {
	if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# apt_update runs at most once, and only when something apt needs is
# missing from the package lists we have.
APT_UPDATED=0
apt_update() {
	((APT_UPDATED)) && return 0
	log "apt-get update"
	as_root apt-get update -qq >"$OUT/apt-update.log" 2>&1 || {
		cat "$OUT/apt-update.log"
		die "apt-get update failed"
	}
	APT_UPDATED=1
}

ensure_packages() {
	# tshark decodes the guests' pcap files on the host (hostcheck).
	# The C tools themselves come from Debian's dropwatch package in the
	# cache (fetch_c_tools); the host needs the libraries they link.
	# iproute2 (ip, tc), ethtool and nftables (nft) are copied into the
	# guest for pkg/counters, which makes qdisc and netfilter drops there.
	local -a need=(qemu-system-x86 busybox-static xz-utils cpio tshark libnl-3-200 libnl-genl-3-200 libpcap0.8 libreadline8 iproute2 ethtool nftables)
	local -a missing=()
	local p
	for p in "${need[@]}"; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	# Without this, wireshark-common's configuration asks whether
	# non-root users may capture.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
	local -a install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends)
	if ! as_root "${install[@]}" "${missing[@]}" >"$OUT/apt-install.log" 2>&1; then
		apt_update
		as_root "${install[@]}" "${missing[@]}" >"$OUT/apt-install.log" 2>&1 || {
			cat "$OUT/apt-install.log"
			die "could not install ${missing[*]}"
		}
	fi
}

# resolve_image prints the versioned image package a meta package depends on
# (linux-image-amd64 -> linux-image-6.1.0-56-amd64) and its version. The
# numbers change as Debian updates the kernel, hence no fixed name here.
resolve_image() {
	local meta=$1 pkg ver
	pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [[ -z $pkg ]]; then
		apt_update
		pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	fi
	[[ -n $pkg ]] || return 1
	ver=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
	echo "$pkg ${ver//:/%3a}"
}

# The modules pkg/counters needs besides drop_monitor, in load order (no
# modprobe in the guest: each one's dependencies come before it). Debian
# builds them as modules (=m in /boot/config-*) in 6.1 and 6.12: veth
# (CONFIG_VETH), the tbf qdisc (CONFIG_NET_SCH_TBF;
# pfifo_fast, fq_codel and the fifos are built in), and nf_tables
# (CONFIG_NF_TABLES), which depends on nfnetlink and libcrc32c, which
# needs a crc32c implementation at init (crypto_alloc_shash, and no
# modprobe to request one). init.sh loads the ones it finds.
EXTRA_MODULES=(veth sch_tbf crc32c_generic libcrc32c nfnetlink nf_tables)
# Bumped when fetch_kernel extracts more files: an older cache directory
# lacks this marker and is downloaded again.
COMPLETE=complete-2

# fetch_kernel leaves the kernel, drop_monitor.ko and EXTRA_MODULES of a
# meta package in the cache and prints their directory. A cached kernel
# is reused; if apt cannot resolve the package (offline), the newest
# cached one is used. The old "complete" marker is still written, for the
# run.sh of other branches sharing the cache.
fetch_kernel() {
	local meta=$1 pkg ver dir tmp deb ko
	if ! read -r pkg ver < <(resolve_image "$meta"); then
		dir=$(ls -d "$CACHE/kernels/$meta"/*/ 2>/dev/null | tail -n 1)
		[[ -n $dir && -f $dir/$COMPLETE ]] || die "cannot resolve $meta and nothing is cached"
		log "  $meta: apt cannot resolve it, using the cached ${dir%/}"
		echo "${dir%/}"
		return
	fi
	dir=$CACHE/kernels/$meta/${pkg}_$ver
	if [[ -f $dir/$COMPLETE ]]; then
		log "  $meta: $pkg $ver (cached)"
		echo "$dir"
		return
	fi
	tmp=$CACHE/download
	rm -rf "$tmp" "$dir"
	mkdir -p "$tmp" "$dir"
	log "  $meta: downloading $pkg $ver"
	if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/err"); then
		# Lists older than the mirror name a version it no longer has.
		apt_update
		(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/err") || {
			cat "$tmp/err" >&2
			die "apt-get download $pkg failed"
		}
	fi
	deb=$(ls "$tmp"/*.deb)
	log "  $meta: unpacking vmlinuz, drop_monitor.ko and ${EXTRA_MODULES[*]}"
	# Only a few files of the ~400 MB tree are needed: extract just those
	# instead of dpkg-deb -x.
	local -a want=('./boot/vmlinuz-*' '*/kernel/net/core/drop_monitor.ko*') m
	for m in "${EXTRA_MODULES[@]}"; do want+=("*/kernel/*/$m.ko*"); done
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "${want[@]}"
	cp "$tmp"/boot/vmlinuz-* "$dir/vmlinuz"
	ko=$(find "$tmp" -name 'drop_monitor.ko*' | head -n 1)
	[[ -n $ko ]] || die "$pkg has no drop_monitor module (CONFIG_NET_DROP_MONITOR not m?)"
	unpack_module "$ko" "$dir/drop_monitor.ko"
	# A module missing from a future kernel (built in, or not built)
	# only makes the tests that need it fail or skip.
	mkdir -p "$dir/modules"
	for m in "${EXTRA_MODULES[@]}"; do
		ko=$(find "$tmp" -name "$m.ko*" | head -n 1)
		if [[ -n $ko ]]; then
			unpack_module "$ko" "$dir/modules/$m.ko"
		else
			log "  $meta: no $m module in $pkg"
		fi
	done
	echo "$pkg $ver" >"$dir/package"
	touch "$dir/complete" "$dir/$COMPLETE"
	rm -rf "$tmp"
	# Debian has moved on from any other version we cached.
	find "$CACHE/kernels/$meta" -mindepth 1 -maxdepth 1 ! -path "$dir" -exec rm -rf {} +
	echo "$dir"
}

# fetch_c_tools leaves the C dropwatch and dwdump of Debian's dropwatch
# package in the cache and prints their directory. They are taken from the
# package, not from /usr/bin: our own .deb (make deb, make pkgtest) replaces
# /usr/bin/dropwatch, and the differential tests would then compare ours
# with itself (seen: a make vmtest that started while make pkgtest had our
# package installed failed 42 tests of the "C" tool printing our lines).
fetch_c_tools() {
	local ver dir tmp
	ver=$(apt-cache policy dropwatch 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	if [[ -z $ver || $ver == "(none)" ]]; then
		apt_update
		ver=$(apt-cache policy dropwatch 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	fi
	if [[ -z $ver || $ver == "(none)" ]]; then
		dir=$(ls -d "$CACHE"/c-tools/*/ 2>/dev/null | tail -n 1)
		[[ -n $dir && -f $dir/complete ]] || die "cannot resolve Debian's dropwatch package and nothing is cached"
		log "  dropwatch: apt cannot resolve it, using the cached ${dir%/}"
		echo "${dir%/}"
		return
	fi
	dir=$CACHE/c-tools/dropwatch_${ver//:/%3a}
	if [[ -f $dir/complete ]]; then
		log "  C tools: dropwatch $ver (cached)"
		echo "$dir"
		return
	fi
	tmp=$CACHE/download-c
	rm -rf "$tmp" "$dir"
	mkdir -p "$tmp" "$dir"
	log "  C tools: downloading dropwatch $ver"
	if ! (cd "$tmp" && apt-get download -q "dropwatch=$ver" >/dev/null 2>"$tmp/err"); then
		apt_update
		(cd "$tmp" && apt-get download -q "dropwatch=$ver" >/dev/null 2>"$tmp/err") || {
			cat "$tmp/err" >&2
			die "apt-get download dropwatch failed"
		}
	fi
	dpkg-deb -x "$tmp"/dropwatch_*.deb "$tmp/x"
	cp "$tmp/x/usr/bin/dropwatch" "$tmp/x/usr/bin/dwdump" "$dir/"
	echo "dropwatch $ver" >"$dir/package"
	touch "$dir/complete"
	rm -rf "$tmp"
	find "$CACHE/c-tools" -mindepth 1 -maxdepth 1 ! -path "$dir" -exec rm -rf {} +
	echo "$dir"
}

# unpack_module copies a module, uncompressed: busybox insmod reads only
# plain .ko files.
unpack_module() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;; # 6.12 compresses modules
	*.zst) die "zstd-compressed module $1: not handled yet" ;;
	*) cp "$1" "$2" ;;
	esac
}

# vmtest_packages lists the package directories whose tests carry the
# vmtest build tag.
vmtest_packages() {
	if [[ -n $PACKAGES ]]; then
		tr ' ' '\n' <<<"$PACKAGES"
		return
	fi
	(cd "$ROOT" && grep -rlE --include='*_test.go' '^//go:build .*\bvmtest\b' . 2>/dev/null |
		xargs -r -n1 dirname | sed 's|^\./||' | sort -u)
}

# build puts the guest's binaries under $STAGE/common. A package that does
# not build is reported and counted as a failure, and the rest still runs:
# colleagues' work in progress must not hide every other result.
BUILD_FAILURES=0
build_one() {
	local what=$1
	shift
	if ! (cd "$ROOT" && CGO_ENABLED=0 "$GO" "$@" >"$STAGE/build.log" 2>&1); then
		log "  BUILD FAILED: $what"
		sed 's/^/      | /' "$STAGE/build.log"
		BUILD_FAILURES=$((BUILD_FAILURES + 1))
		return 1
	fi
}

build() {
	local c="$STAGE/common" cmd dir name
	mkdir -p "$c/bin" "$c/tests" "$c/src"
	build_one vmreport build -o "$STAGE/vmreport" ./test/vm/vmreport || die "cannot build the report tool"
	build_one dropgen build -trimpath -o "$c/bin/dropgen" ./test/vm/dropgen/cmd/dropgen || true
	for cmd in dropwatch dwdump dropwatch_exporter; do
		if compgen -G "$ROOT/cmd/$cmd/*.go" >/dev/null; then
			build_one "cmd/$cmd" build -trimpath -o "$c/bin/$cmd" "./cmd/$cmd" && log "  built cmd/$cmd" || true
		else
			log "  cmd/$cmd does not exist yet: tests that need it will SKIP"
		fi
	done
	# The top-level testdata and man pages, which tests reach as
	# ../../testdata and ../../man from their package directory (kernel
	# captures, packets; the man page tests of cmd/dropwatch and
	# cmd/dwdump run in the guest too).
	cp -r "$ROOT/testdata" "$ROOT/man" "$c/src/"
	while read -r dir; do
		[[ -n $dir ]] || continue
		name=${dir//\//_}
		if build_one "$dir (tests)" test -c -tags vmtest -o "$c/tests/$name.test" "./$dir"; then
			echo "$dir" >"$c/tests/$name.dir"
			if [[ -d $ROOT/$dir/testdata ]]; then
				mkdir -p "$c/src/$dir"
				cp -r "$ROOT/$dir/testdata" "$c/src/$dir/"
			fi
			log "  built $dir tests"
		fi
	done < <(vmtest_packages)
	[[ -z $BASELINE ]] || build_baseline "$BASELINE"
}

# build_baseline builds dropwatch and dwdump of git revision rev into
# $STAGE/common/base, from a clean export of that revision.
build_baseline() {
	local rev=$1 src="$STAGE/baseline-src" cmd
	rm -rf "$src"
	mkdir -p "$src" "$STAGE/common/base"
	git -C "$ROOT" archive "$rev" | tar -x -C "$src" || die "DROPWATCH_VM_BASELINE: cannot export revision $rev"
	for cmd in dropwatch dwdump; do
		(cd "$src" && CGO_ENABLED=0 "$GO" build -trimpath -o "$STAGE/common/base/$cmd" "./cmd/$cmd") >"$STAGE/build.log" 2>&1 ||
			{ sed 's/^/      | /' "$STAGE/build.log"; die "DROPWATCH_VM_BASELINE: cannot build cmd/$cmd of $rev"; }
	done
	log "  built the baseline's dropwatch and dwdump ($rev, $(git -C "$ROOT" rev-parse --short "$rev"))"
}

# copy_dynamic copies a dynamically linked binary and every library ldd
# names, the loader included, to the same paths under root.
copy_dynamic() {
	local bin=$1 dest=$2 root=$3 lib
	install -D -m 0755 "$bin" "$root$dest"
	while read -r lib; do
		[[ -e $root$lib ]] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done < <(ldd "$bin" | grep -oE '/[^ ]+')
}

# stage_common fills the part of the initramfs shared by every kernel.
stage_common() {
	local c="$STAGE/common" applet
	mkdir -p "$c"/{proc,sys,dev,tmp,out,etc,sbin,c,lib/modules,run,var}
	ln -s ../run "$c/var/run"
	install -m 0755 /bin/busybox "$c/bin/busybox"
	# iproute2's ip and tc replace busybox's, which have no netns, -j or
	# -batch, and no tbf (init.sh's "ip link set lo up" means the same to
	# both); ethtool and nft are not in busybox. pkg/counters' tests make
	# qdisc and netfilter drops with them and compare with their output.
	# All go in /bin: busybox's tc applet there would come first in PATH.
	local tool
	for tool in ip tc ethtool nft; do
		copy_dynamic "$(command -v "$tool")" "/bin/$tool" "$c"
	done
	for applet in $("$c/bin/busybox" --list); do
		[[ -e $c/bin/$applet ]] || ln -s busybox "$c/bin/$applet"
	done
	install -m 0755 "$ROOT/test/vm/init.sh" "$c/init"
	copy_dynamic "$CTOOLS/dropwatch" /c/dropwatch "$c"
	copy_dynamic "$CTOOLS/dwdump" /c/dwdump "$c"
	(cd "$c" && find . | cpio -o -H newc --quiet | gzip -1 >"$STAGE/common.cpio.gz")
}

# stage_kernel writes the initramfs of one kernel: the common archive
# followed by a second one with its module and settings (the kernel
# unpacks concatenated archives one after the other).
stage_kernel() {
	local label=$1 kdir=$2 k="$STAGE/k-$1"
	rm -rf "$k"
	mkdir -p "$k/lib/modules" "$k/etc"
	cp "$kdir/drop_monitor.ko" "$k/lib/modules/"
	if compgen -G "$kdir/modules/*.ko" >/dev/null; then
		mkdir -p "$k/lib/modules/extra"
		cp "$kdir"/modules/*.ko "$k/lib/modules/extra/"
		printf '%s\n' "${EXTRA_MODULES[@]}" >"$k/lib/modules/extra/order"
	fi
	cat >"$k/etc/vmtest.env" <<-EOF
		VM_KERNEL='$label'
		VM_MODE='$MODE'
		VM_RUN='$RUN'
		VM_BOOT_TIMEOUT='$BOOT_TIMEOUT'
		VM_BENCHTIME='$BENCHTIME'
		VM_COUNT='$COUNT'
		VM_BENCH_DROPS='${DROPWATCH_BENCH_DROPS:-}'
		VM_BENCH_IDLE='${DROPWATCH_BENCH_IDLE:-}'
		VM_BENCH_PROFILE='${DROPWATCH_BENCH_PROFILE:-}'
	EOF
	(cd "$k" && find . | cpio -o -H newc --quiet | gzip -1 >"$STAGE/k-$label.cpio.gz")
	cat "$STAGE/common.cpio.gz" "$STAGE/k-$label.cpio.gz" >"$STAGE/initrd-$label.gz"
}

qemu_accel() {
	case $ACCEL in
	tcg) echo "-accel tcg,thread=multi -cpu max" ;;
	kvm) echo "-accel kvm -cpu host" ;;
	*) die "DROPWATCH_VM_ACCEL must be tcg or kvm, not $ACCEL" ;;
	esac
}

# boot runs one VM; its console goes to $OUT/$label/console.log, and the
# progress markers to the terminal as they come.
boot() {
	local label=$1 kdir=$2 dir="$OUT/$1" rc=0 start
	mkdir -p "$dir"
	start=$(date +%s)
	log "booting $label ($(cat "$kdir/package")), limit ${BOOT_TIMEOUT}s"
	# shellcheck disable=SC2046 # the accel flags are meant to split
	timeout --kill-after=10 "$BOOT_TIMEOUT" qemu-system-x86_64 $(qemu_accel) \
		-m 1024 -smp 2 -nographic -no-reboot \
		-kernel "$kdir/vmlinuz" -initrd "$STAGE/initrd-$label.gz" \
		-append "console=ttyS0 quiet panic=-1" \
		</dev/null >"$dir/console.log" 2>&1 || rc=$?
	if ((rc == 124 || rc == 137)); then
		log "$label: TIMEOUT after ${BOOT_TIMEOUT}s"
	elif ((rc != 0)); then
		log "$label: qemu exited $rc"
	fi
	echo "$(($(date +%s) - start))" >"$dir/seconds"
}

# decode_pcaps has tshark (which the guest lacks) read every capture the
# guest sent back, proving Wireshark decodes them as NET_DM.
decode_pcaps() {
	local dir=$1 f frames netdm
	while IFS= read -r f; do
		frames=$(tshark -r "$f" 2>/dev/null | wc -l)
		netdm=$(tshark -r "$f" -Y net_dm 2>/dev/null | wc -l)
		log "  tshark: ${f#"$OUT"/}: $frames records, $netdm decoded as NET_DM"
	done < <(find "$dir" -name '*.pcap' 2>/dev/null | sort)
}

report() {
	local label=$1 dir="$OUT/$1" rc=0
	"$STAGE/vmreport" -log "$dir/console.log" -label "$label" -out "$dir/out" -counts "$dir/counts" || rc=$?
	[[ $MODE != bench ]] || decode_pcaps "$dir/out"
	log "$label: booted and tested in $(cat "$dir/seconds")s; console log $dir/console.log"
	return "$rc"
}

# bench_tables gathers the tables BenchmarkTools and BenchmarkExporter
# left in each guest's /out/bench and prints them.
bench_tables() {
	local label f found
	for label in "$@"; do
		found=
		for f in "$OUT/$label/out/bench/tables.md" "$OUT/$label/out/bench/exporter.md"; do
			[[ -f $f ]] && cat "$f" && echo && found=1
		done
		[[ -n $found ]] || echo "no tables from $label"
	done >"$OUT/bench-tables.md"
	cat "$OUT/bench-tables.md"
	log "tables: $OUT/bench-tables.md"
}

# hostcheck runs test/vm/hostcheck: tshark must decode the pcap files the
# guests' test/e2e TestPcap left in their out/ directories. Only after a
# full test run, which makes them; it prints its own result.
HOSTCHECK_FAILED=0
hostcheck() {
	if [[ $MODE != test || -n $RUN || ( -n $PACKAGES && " $PACKAGES " != *" test/e2e "* ) ]]; then
		log "hostcheck: not run (DROPWATCH_VM_RUN or DROPWATCH_VM_PACKAGES leave out test/e2e's TestPcap)"
		return 0
	fi
	log "hostcheck: tshark decodes the guests' pcap files"
	if ! (cd "$ROOT" && DROPWATCH_VM_OUT=$OUT DROPWATCH_VM_LABELS="$*" \
		"$GO" test -count=1 -v -tags hostcheck -run '^TestPcaps$' ./test/vm/hostcheck >"$OUT/hostcheck.log" 2>&1); then
		sed 's/^/      | /' "$OUT/hostcheck.log"
		log "hostcheck: FAILED (log $OUT/hostcheck.log)"
		HOSTCHECK_FAILED=1
		return 0
	fi
	grep -E '^\s*--- (PASS|FAIL)' "$OUT/hostcheck.log" | sed 's/^ */   /'
}

main() {
	parse_args "$@"
	if [[ $MODE == bench ]]; then
		PACKAGES=${DROPWATCH_VM_PACKAGES:-test/e2e}
		RUN=${DROPWATCH_VM_RUN:-BenchmarkTools|BenchmarkExporter}
		PARALLEL=${DROPWATCH_VM_PARALLEL:-0}
		BOOT_TIMEOUT=${DROPWATCH_VM_TIMEOUT:-600}
	fi
	mkdir -p "$OUT" "$CACHE"
	log "dropwatch VM tests ($MODE), results in $OUT"
	ensure_packages

	log "kernels"
	local -a labels=() kdirs=()
	local meta kdir label
	for meta in $KERNELS; do
		kdir=$(fetch_kernel "$meta")
		label=$(sed -E 's/^linux-image-//; s/_.*//' <<<"$(basename "$kdir")")
		labels+=("$label")
		kdirs+=("$kdir")
	done

	CTOOLS=$(fetch_c_tools)

	log "building (CGO_ENABLED=0)"
	rm -rf "$STAGE"
	mkdir -p "$STAGE"
	build
	stage_common
	local i
	for i in "${!labels[@]}"; do
		rm -rf "${OUT:?}/${labels[i]}"
		stage_kernel "${labels[i]}" "${kdirs[i]}"
	done
	log "initramfs ready ($(du -h "$STAGE/common.cpio.gz" | cut -f1))"

	if [[ $PARALLEL == 1 ]]; then
		for i in "${!labels[@]}"; do boot "${labels[i]}" "${kdirs[i]}" & done
		wait
	fi
	local failed=0 passed_all=0 failed_all=0 skipped_all=0 p f s
	for i in "${!labels[@]}"; do
		[[ $PARALLEL == 1 ]] || boot "${labels[i]}" "${kdirs[i]}"
		report "${labels[i]}" || failed=1
		if read -r p f s <"$OUT/${labels[i]}/counts"; then
			passed_all=$((passed_all + p)) failed_all=$((failed_all + f)) skipped_all=$((skipped_all + s))
		fi
	done
	hostcheck "${labels[@]}"
	failed_all=$((failed_all + BUILD_FAILURES + HOSTCHECK_FAILED))
	[[ $MODE != bench ]] || bench_tables "${labels[@]}"
	((BUILD_FAILURES == 0)) || log "$BUILD_FAILURES build failure(s), see above"
	((skipped_all == 0)) || log "WARNING: $skipped_all test(s) SKIPPED, not passed"
	log "done"
	echo "vmtest: $passed_all passed, $failed_all failed, $skipped_all skipped"
	((failed == 0 && BUILD_FAILURES == 0 && HOSTCHECK_FAILED == 0))
}

main "$@"
