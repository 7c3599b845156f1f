#!/bin/sh
# /init of the test VM (busybox sh, PID 1). Runs every test binary under
# /tests, prints its output on the serial console between markers that
# test/vm/vmreport reads on the host, sends /out back as a base64'd tarball
# and powers off. qemu's exit status says nothing about the guest's, so the
# last marker carries it.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /out
ip link set lo up

# Written by run.sh: VM_KERNEL, VM_MODE, VM_RUN, VM_BOOT_TIMEOUT, VM_BENCHTIME, VM_COUNT,
# VM_BENCH_DROPS, VM_BENCH_IDLE, VM_BENCH_PROFILE.
. /etc/vmtest.env

uptime_s() { cut -d' ' -f1 /proc/uptime; }

echo "@@VM begin $(uname -r) up=$(uptime_s)s"
# Under emulation the kernel may leave the TSC for a clock that the vDSO
# cannot read, and then every clock_gettime is a system call: worth
# knowing when reading CPU times (docs/benchmarks.md).
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>&1)"
status=0
# drop_monitor has no module dependencies (modinfo: depends= empty) in
# Debian's 6.1 and 6.12 builds, so insmod is enough; modprobe would need a
# modules.dep.
if insmod /lib/modules/drop_monitor.ko; then
	echo "@@VM insmod ok"
else
	echo "@@VM insmod FAILED"
	status=1
fi

# The modules pkg/counters' tests need (veth, sch_tbf, nf_tables
# and its dependencies), in the order run.sh lists them, each only if
# run.sh found it in the kernel package. A failure is reported, not
# fatal: the tests that need the module fail with their own message.
if [ -f /lib/modules/extra/order ]; then
	loaded=
	while read -r m; do
		[ -e "/lib/modules/extra/$m.ko" ] || continue
		if insmod "/lib/modules/extra/$m.ko"; then
			loaded="$loaded $m"
		else
			echo "insmod $m FAILED"
		fi
	done </lib/modules/extra/order
	echo "modules loaded:$loaded"
fi

export DROPWATCH_VM=1 DROPWATCH_VM_KERNEL="$VM_KERNEL" DROPWATCH_VM_MODE="$VM_MODE"
[ -z "$VM_BENCH_DROPS" ] || export DROPWATCH_BENCH_DROPS="$VM_BENCH_DROPS"
[ -z "$VM_BENCH_IDLE" ] || export DROPWATCH_BENCH_IDLE="$VM_BENCH_IDLE"
[ -z "$VM_BENCH_PROFILE" ] || export DROPWATCH_BENCH_PROFILE="$VM_BENCH_PROFILE"
export DROPWATCH_VM_OUT_DIR=/out
export DROPWATCH_BIN=/bin/dropwatch DWDUMP_BIN=/bin/dwdump DROPGEN_BIN=/bin/dropgen EXPORTER_BIN=/bin/dropwatch_exporter
export C_DROPWATCH_BIN=/c/dropwatch C_DWDUMP_BIN=/c/dwdump
# run.sh's DROPWATCH_VM_BASELINE: our tools of another revision.
[ ! -x /base/dropwatch ] || export BASE_DROPWATCH_BIN=/base/dropwatch BASE_DWDUMP_BIN=/base/dwdump

for t in /tests/*.test; do
	[ -e "$t" ] || break
	name=${t##*/}
	name=${name%.test}
	# Like go test, run each package's tests in its source directory
	# (run.sh copies its testdata there).
	dir=/src/$(cat "/tests/$name.dir")
	mkdir -p "$dir"
	echo "@@VM test $name up=$(uptime_s)s"
	# Whatever time the host's limit on this boot leaves, less a margin
	# for sending /out: a hung test then ends in go test's panic with
	# every goroutine's stack rather than in a killed VM.
	left=$((VM_BOOT_TIMEOUT - 30 - $(cut -d. -f1 /proc/uptime)))
	if [ "$left" -lt 10 ]; then
		echo "no time left for $name (limit ${VM_BOOT_TIMEOUT}s, DROPWATCH_VM_TIMEOUT)"
		rc=124
	elif [ "$VM_MODE" = bench ]; then
		(cd "$dir" && "$t" -test.v -test.run='^$' -test.bench="${VM_RUN:-.}" \
			-test.benchtime="$VM_BENCHTIME" -test.count="${VM_COUNT:-1}" -test.timeout="${left}s" 2>&1)
		rc=$?
	else
		# -test.count repeats every test (DROPWATCH_VM_COUNT), to find
		# the ones that fail only sometimes.
		(cd "$dir" && "$t" -test.v -test.run="${VM_RUN:-.}" -test.count="${VM_COUNT:-1}" -test.timeout="${left}s" 2>&1)
		rc=$?
	fi
	echo "@@VM done $name rc=$rc up=$(uptime_s)s"
	[ "$rc" = 0 ] || status=1
done

dmesg >/out/dmesg.txt
# Keep kernel messages from splitting the base64 lines below.
echo 1 >/proc/sys/kernel/printk
echo "@@VM out-begin"
tar -C /out -czf - . | base64 | sed 's/^/@@B64 /'
echo "@@VM out-end"
echo "@@VM end status=$status up=$(uptime_s)s"
poweroff -f
