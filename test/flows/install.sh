#!/usr/bin/env bash
# install.sh: what the flow and filter tests need beyond Go. The
# differential test of pkg/pcapfilter (TestDifferential) runs Debian's
# tcpdump (package "tcpdump") as the oracle and skips, saying so, when it
# is missing. Run as root before the unit tests in CI.
set -euo pipefail
if ! command -v tcpdump >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump
fi
tcpdump --version
