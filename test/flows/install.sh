#!/usr/bin/env bash
# install.sh (make testdeps): what the unit tests run beyond Go, installed
# as root before them so that none of them skips in CI.
#  - tcpdump: the oracle of pkg/pcapfilter's TestDifferential and of
#    pkg/flow's tcpdump test;
#  - ethtool: pkg/counters compares its driver statistics with ethtool -S.
# (iproute2's ip and tc, which pkg/counters also runs, are on every machine
# of ours; test/vm/run.sh installs them too.)
set -euo pipefail
missing=()
for cmd in tcpdump ethtool; do
	command -v "$cmd" >/dev/null || missing+=("$cmd")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
		apt-get update -qq
		apt-get install -y -qq "${missing[@]}"
	}
fi
tcpdump --version 2>&1 | head -1
ethtool --version
