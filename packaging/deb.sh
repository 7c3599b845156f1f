#!/usr/bin/env bash
# make deb: a Debian package of this tree, bin/dropwatch-go_VERSION_ARCH.deb,
# that replaces Debian's dropwatch package: the same paths (/usr/bin/dropwatch,
# /usr/bin/dwdump, their man pages in section 1), plus shell completion and,
# when the tree has it, the exporter with its systemd unit (installed, not
# enabled) and defaults file.
#
# No debhelper and no network: "make install DESTDIR=<stage> PREFIX=/usr",
# then the files Debian wants (compressed man pages, copyright, changelog,
# control, md5sums, conffiles) and dpkg-deb. Two runs on one commit give the
# same bytes: every time in the package is the commit's (SOURCE_DATE_EPOCH).
#
# Settings: DEB_VERSION (default: vX.Y.Z's X.Y.Z when HEAD is tagged so, else
# 0~gitYYYYMMDD.HASH), DEB_ARCH (this machine's), DEB_MAINTAINER
# (the commit's author), DEB_OUT (bin), UNITS and DEFAULTS (the Makefile's).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "packaging/deb.sh: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "needs dpkg-deb (apt-get install dpkg)"

PKG=dropwatch-go
# The C package's version whose commands, options and output this one keeps.
C_VERSION=1.5.4

if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) || die "not a git checkout: set SOURCE_DATE_EPOCH and DEB_VERSION"
fi
export SOURCE_DATE_EPOCH
if [[ -z ${DEB_VERSION:-} ]]; then
	if tag=$(git describe --tags --exact-match 2>/dev/null) && [[ $tag =~ ^v?([0-9][0-9A-Za-z.+~]*)$ ]]; then
		DEB_VERSION=${BASH_REMATCH[1]}
	else
		DEB_VERSION=0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$(git rev-parse --short=12 HEAD)
	fi
fi
[[ $DEB_VERSION =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "DEB_VERSION '$DEB_VERSION' is not a Debian native version (a digit first; letters, digits, . + ~)"
DEB_ARCH=${DEB_ARCH:-$(dpkg --print-architecture)}
DEB_MAINTAINER=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>')}
DEB_OUT=${DEB_OUT:-bin}
# The completion scripts come from running the built dropwatch: the
# package is of this machine's architecture.
[[ $DEB_ARCH == "$(dpkg --print-architecture)" ]] || die "DEB_ARCH $DEB_ARCH: only this machine's architecture can be built"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
doc=$root/usr/share/doc/$PKG

# Fresh binaries that --version names with the package's version.
rm -f bin/dropwatch bin/dwdump bin/completion/*
make --no-print-directory build VERSION="$DEB_VERSION" >/dev/null
# UNITS and DEFAULTS (deploy/systemd/*.service and *.default unless set) let
# test/pkg/run.sh package a unit before the exporter has one.
make --no-print-directory install DESTDIR="$root" PREFIX=/usr \
	${UNITS+UNITS="$UNITS"} ${DEFAULTS+DEFAULTS="$DEFAULTS"} >/dev/null

find "$root/usr/share/man" -type f -name '*.[1-8]' -exec gzip -9n {} +

install -d "$doc"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: dropwatch (Go)
Comment: A Go rewrite of dropwatch and dwdump by Neil Horman, Ido Schimmel
 and others (https://github.com/nhorman/dropwatch), under the same license.

Files: *
Copyright: 2026-$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y) the dropwatch (Go) authors
License: GPL-2
 This program is free software; you can redistribute it and/or modify it
 under the terms of the GNU General Public License version 2 as published
 by the Free Software Foundation.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in /usr/share/common-licenses/GPL-2.
EOF
{
	echo "$PKG ($DEB_VERSION) unstable; urgency=medium"
	echo
	echo "  * Built from commit $(git rev-parse HEAD 2>/dev/null || echo unknown)."
	echo
	echo " -- $DEB_MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"

# The binaries are static on purpose (CGO_ENABLED=0: no libnl, readline
# or libpcap to install). lintian exempts Go binaries only when it sees a
# source package that build-depends on golang-go, which this binary-only
# build has not, so say so with an override, the only one.
install -d "$root/usr/share/lintian/overrides"
for b in "$root"/usr/bin/*; do
	echo "$PKG: statically-linked-binary [usr/bin/${b##*/}]"
done >"$root/usr/share/lintian/overrides/$PKG"

# Files and directories: root's, 0755 and 0644, at the commit's time.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root"/usr/bin/*
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

install -d "$root/DEBIAN"
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0r md5sum) >"$root/DEBIAN/md5sums"
if [[ -d $root/etc ]]; then
	(cd "$root" && find etc -type f | LC_ALL=C sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
fi
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $PKG
Version: $DEB_VERSION
Architecture: $DEB_ARCH
Maintainer: $DEB_MAINTAINER
Installed-Size: $size
Section: net
Priority: optional
Provides: dropwatch (= $C_VERSION)
Conflicts: dropwatch
Replaces: dropwatch
Description: report where and why the kernel drops packets (Go dropwatch)
 A drop-in replacement for dropwatch $C_VERSION and dwdump: the same
 commands, options and output, as static binaries. dropwatch asks the
 kernel's drop monitor (NET_DM) where, and in packet mode why, packets
 are dropped, in an interactive shell or for a set time (--once) with
 text, JSON or pcap output; it falls back to the skb:kfree_skb tracepoint
 on kernels without the drop monitor. dwdump captures dropped packets
 into a pcap file that Wireshark decodes.
 .
 It replaces Debian's dropwatch package, whose paths it uses, and adds
 shell completion for bash, zsh and fish.
EOF
find "$root/DEBIAN" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
chmod 0644 "$root"/DEBIAN/*

mkdir -p "$DEB_OUT"
out=$DEB_OUT/${PKG}_${DEB_VERSION}_${DEB_ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
