#!/usr/bin/env bash
# Real-parts test of dropwatch_exporter on this machine (issue 13):
#  - installs Debian's prometheus package (prometheus, promtool) if missing,
#    without letting the package start its own service;
#  - builds the exporter statically (CGO_ENABLED=0);
#  - runs the //go:build exportertest tests as root: a real Prometheus
#    scraping the exporter while dropgen makes drops, promtool check
#    metrics, TLS and basic auth, startup errors, the dashboard's queries;
#  - checks the deploy files: systemd-analyze verify of the unit,
#    promtool check rules and promtool test rules.
# Everything listens on 127.0.0.1 only. Exit status 0 only if all passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${DROPWATCH_EXPORTER_OUT:-$(mktemp -d /tmp/dropwatch-exporter.XXXXXX)}
mkdir -p "$out"

if [ "$(id -u)" != 0 ]; then
	echo "test/exporter: needs root (perf events on the skb:kfree_skb tracepoint)" >&2
	exit 1
fi

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	# A package's postinst starts its service through invoke-rc.d; a
	# policy-rc.d that exits 101 forbids it. Keep one that exists.
	made_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends prometheus >"$out/apt.log" 2>&1 ||
		{ apt-get update >>"$out/apt.log" 2>&1 && apt-get install -y --no-install-recommends prometheus >>"$out/apt.log" 2>&1; } ||
		{ [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d; echo "test/exporter: apt-get install prometheus failed, see $out/apt.log" >&2; exit 1; }
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
# Where systemd runs, the package enabled prometheus.service: the test runs
# its own server and wants no other.
if [ -d /run/systemd/system ] && systemctl is-active --quiet prometheus.service 2>/dev/null; then
	systemctl disable --now prometheus.service
fi

version=$(git describe --tags --always --dirty 2>/dev/null || echo unknown)
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/dropwatch_exporter" ./cmd/dropwatch_exporter
# An admin's dropwatch, to run beside the exporter.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/dropwatch" ./cmd/dropwatch
if ldd "$out/dropwatch_exporter" >/dev/null 2>&1; then
	echo "test/exporter: dropwatch_exporter is not static" >&2
	exit 1
fi

fail=0
passed=0
failed=0
check() { # name command...
	local name=$1
	shift
	if "$@"; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		failed=$((failed + 1))
		fail=1
	fi
}

verify_unit() {
	if ! command -v systemd-analyze >/dev/null; then
		echo "skip systemd-analyze verify: systemd-analyze not installed (apt-get install systemd)"
		return 0
	fi
	local d
	d=$(mktemp -d)
	# verify wants ExecStart's binary to exist: point it at the one just built.
	sed "s#/usr/bin/dropwatch_exporter#$out/dropwatch_exporter#" deploy/systemd/dropwatch_exporter.service >"$d/dropwatch_exporter.service"
	local msgs
	msgs=$(systemd-analyze verify "$d/dropwatch_exporter.service" 2>&1) || { echo "$msgs"; return 1; }
	# It only warns about unknown keys and bad values: any message fails.
	if [ -n "$msgs" ]; then
		echo "$msgs"
		return 1
	fi
}

check "systemd-analyze verify deploy/systemd/dropwatch_exporter.service" verify_unit
check "promtool check rules" promtool check rules deploy/prometheus/dropwatch.rules.yml
check "promtool test rules" promtool test rules deploy/prometheus/dropwatch.rules.test.yml

export DROPWATCH_EXPORTER="$out/dropwatch_exporter" DROPWATCH_CLI="$out/dropwatch" DROPWATCH_ROOT="$root"
check "go test -tags exportertest ./test/exporter" \
	go test -tags exportertest -count=1 -v -timeout 10m ./test/exporter
echo "test/exporter: $passed passed, $failed failed"
exit $fail
