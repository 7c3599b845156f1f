#!/usr/bin/env bash
# make pkgtest: what a system package gives, tested.
#
#   1. the man pages render without a warning (mandoc -Tlint, groff -ww);
#   2. the completion, man page, history and version tests with every shell
#      installed (they skip zsh and fish where those are missing);
#   3. make install DESTDIR=... puts each file where it belongs (with a
#      stand-in systemd unit and defaults file until the exporter has its
#      own), and make uninstall leaves no file behind;
#   4. two builds give the same bytes: the binaries (one with a fresh Go
#      build cache) and the .deb;
#   5. make deb: the files and control fields, lintian with no error or
#      warning;
#   6. dpkg -i of the .deb over Debian's dropwatch: the commands, man pages,
#      completion and units in place, then dpkg -P leaves nothing behind.
#      Debian's dropwatch is put back whatever happens (a trap): the VM
#      tests run the C tool from /usr/bin.
#
# Needs root (apt-get, dpkg); installs what it uses with apt-get.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
die() { echo "test/pkg: $*" >&2; exit 1; }
# check NAME COMMAND...: one result line for a command's success.
check() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name"; printf '%s\n' "$out" | sed 's/^/    /'; fi
}

[[ $(id -u) == 0 ]] || die "run as root: it installs packages and the .deb"

tmp=$(mktemp -d)
c_deb= orig_ver=
# restore_c purges ours and puts back Debian's dropwatch orig_ver from
# c_deb, as it was before step 6.
restore_c() {
	if dpkg-query -W -f='${Status}' dropwatch-go 2>/dev/null | grep -q 'ok installed'; then
		dpkg -P dropwatch-go >/dev/null 2>&1 || echo "test/pkg: dpkg -P dropwatch-go failed" >&2
	fi
	if [[ $(dpkg-query -W -f='${Status} ${Version}' dropwatch 2>/dev/null) != "install ok installed $orig_ver" ]]; then
		dpkg -i "$c_deb" >/dev/null 2>&1 || echo "test/pkg: dpkg -i $c_deb failed" >&2
	fi
	if [[ $(dpkg-query -W -f='${Status} ${Version}' dropwatch 2>/dev/null) == "install ok installed $orig_ver" ]] &&
		file -L /usr/bin/dropwatch | grep -q 'dynamically linked'; then
		echo "Debian's dropwatch $orig_ver is back at /usr/bin/dropwatch"
	else
		echo "test/pkg: COULD NOT PUT BACK Debian's dropwatch $orig_ver: apt-get install --reinstall dropwatch" >&2
		return 1
	fi
}

cleanup() {
	local rc=$?
	if [[ -n $orig_ver ]]; then restore_c || rc=1; fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- what the tests use --------------------------------------------------
need=(lintian mandoc groff-base man-db zsh fish bash-completion file systemd dropwatch)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "installing ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$tmp/apt.log" 2>&1 ||
		{ apt-get update -q >>"$tmp/apt.log" 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$tmp/apt.log" 2>&1; } ||
		{ cat "$tmp/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
fi
export PATH=/usr/local/go/bin:$PATH

# --- 1. man pages --------------------------------------------------------
pages=(man/*.[1-8])
check "mandoc -Tlint: ${pages[*]}" mandoc -Tlint -W warning "${pages[@]}"
for p in "${pages[@]}"; do
	# groff exits 0 on warnings: any line on stderr is a failure.
	check "groff -man -ww: $p" bash -c '[[ -z $(groff -man -ww -z "$1" 2>&1) ]] || { groff -man -ww -z "$1"; exit 1; }' _ "$p"
done

# --- 2. Go tests that use the shells --------------------------------------
check "go test: completion (bash, zsh, fish), man pages, history, --version" \
	env DROPWATCH_REQUIRE_SHELLS=1 go test -count=1 -run 'Completion|ManPage|History|Version|OptionDescriptions' ./cmd/dropwatch ./cmd/dwdump ./internal/report

# --- 3. make install / uninstall ------------------------------------------
make --no-print-directory build >/dev/null
cmds=()
for m in cmd/*/main.go; do
	c=${m#cmd/}
	cmds+=("${c%/main.go}")
done
# A stand-in unit and defaults file, so that their installation is tested
# before the exporter brings its own.
mkdir -p "$tmp/deploy"
cat >"$tmp/deploy/pkgtest.service" <<'EOF'
[Unit]
Description=test/pkg stand-in unit
Documentation=man:dwdump(1)

[Service]
EnvironmentFile=-/etc/default/pkgtest
ExecStart=/usr/bin/dwdump -q

[Install]
WantedBy=multi-user.target
EOF
printf '# test/pkg stand-in defaults\nARGS=\n' >"$tmp/deploy/pkgtest.default"
units=(deploy/systemd/*.service) defaults=(deploy/systemd/*.default)
[[ -e ${units[0]} ]] || units=()
[[ -e ${defaults[0]} ]] || defaults=()
units+=("$tmp/deploy/pkgtest.service") defaults+=("$tmp/deploy/pkgtest.default")
inst=$tmp/inst
make --no-print-directory install DESTDIR="$inst" UNITS="${units[*]}" DEFAULTS="${defaults[*]}" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; die "make install failed"; }
{
	for c in "${cmds[@]}"; do echo "usr/local/bin/$c"; done
	for p in "${pages[@]}"; do echo "usr/local/share/man/man${p##*.}/${p#man/}"; done
	echo usr/local/share/bash-completion/completions/dropwatch
	echo usr/local/share/zsh/site-functions/_dropwatch
	echo usr/local/share/fish/vendor_completions.d/dropwatch.fish
	for u in "${units[@]}"; do echo "usr/local/lib/systemd/system/${u##*/}"; done
	for d in "${defaults[@]}"; do f=${d##*/}; echo "etc/default/${f%.default}"; done
} | sort >"$tmp/want"
(cd "$inst" && find . -type f -printf '%P\n' | sort) >"$tmp/got"
check "make install DESTDIR: every file in its place, no other" diff -u "$tmp/want" "$tmp/got"
check "make install: the unit runs BINDIR's binary" grep -qx 'ExecStart=/usr/local/bin/dwdump -q' "$inst/usr/local/lib/systemd/system/pkgtest.service"
check "make install: installed dropwatch runs" bash -c "'$inst/usr/local/bin/dropwatch' --version | grep -q '^commit: $(git rev-parse HEAD)'"
check "make install: installed man page renders" bash -c "MANWIDTH=80 man -l '$inst/usr/local/share/man/man1/dropwatch.1' | grep -q 'INTERACTIVE COMMANDS'"
echo 'ARGS=--edited' >>"$inst/etc/default/pkgtest"
make --no-print-directory uninstall DESTDIR="$inst" UNITS="${units[*]}" DEFAULTS="${defaults[*]}" >/dev/null
check "make uninstall keeps an edited defaults file" test -f "$inst/etc/default/pkgtest"
cp "$tmp/deploy/pkgtest.default" "$inst/etc/default/pkgtest"
make --no-print-directory uninstall DESTDIR="$inst" UNITS="${units[*]}" DEFAULTS="${defaults[*]}" >/dev/null
check "make uninstall DESTDIR: no file left" bash -c "[[ -z \$(find '$inst' ! -type d) ]] || { find '$inst' ! -type d; exit 1; }"

# --- 4. reproducible builds ----------------------------------------------
make --no-print-directory build BIN="$tmp/build1" >/dev/null
GOCACHE=$tmp/gocache make --no-print-directory build BIN="$tmp/build2" >/dev/null
for c in "${cmds[@]}"; do
	check "two builds of $c, one with a fresh build cache, are the same bytes" cmp "$tmp/build1/$c" "$tmp/build2/$c"
done
rm -rf "$tmp/gocache"
deb1=$(DEB_OUT=$tmp/deb1 bash packaging/deb.sh)
deb2=$(DEB_OUT=$tmp/deb2 bash packaging/deb.sh)
check "two runs of make deb give the same bytes" cmp "$deb1" "$deb2"

# --- 5. the package -------------------------------------------------------
deb=$deb1
ver=$(dpkg-deb -f "$deb" Version)
{
	for c in "${cmds[@]}"; do echo "usr/bin/$c"; done
	for p in "${pages[@]}"; do echo "usr/share/man/man${p##*.}/${p#man/}.gz"; done
	echo usr/share/bash-completion/completions/dropwatch
	echo usr/share/zsh/vendor-completions/_dropwatch
	echo usr/share/fish/vendor_completions.d/dropwatch.fish
	echo usr/share/doc/dropwatch-go/copyright
	echo usr/share/doc/dropwatch-go/changelog.gz
	echo usr/share/lintian/overrides/dropwatch-go
	for u in deploy/systemd/*.service; do if [[ -e $u ]]; then echo "lib/systemd/system/${u##*/}"; fi; done
	for d in deploy/systemd/*.default; do if [[ -e $d ]]; then f=${d##*/}; echo "etc/default/${f%.default}"; fi; done
} | sort >"$tmp/want"
dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\./||' | sort >"$tmp/got"
check "the .deb holds every file, at Debian's dropwatch's paths, no other" diff -u "$tmp/want" "$tmp/got"
check "the .deb provides, conflicts with and replaces dropwatch" bash -c "
	[[ \$(dpkg-deb -f '$deb' Provides) == 'dropwatch (= 1.5.4)' && \$(dpkg-deb -f '$deb' Conflicts) == dropwatch && \$(dpkg-deb -f '$deb' Replaces) == dropwatch ]]"
# Every file is root's, and nothing runs at install time (the units stay
# disabled).
check "the .deb: files root's, no maintainer scripts" bash -c "
	! dpkg-deb --fsys-tarfile '$deb' | tar -tv | grep -v ' root/root ' &&
	[[ \$(dpkg-deb -I '$deb' | grep -cE '^ +[0-9]+ bytes.* (preinst|postinst|prerm|postrm)') == 0 ]]"
lintian --show-overrides "$deb" >"$tmp/lintian" 2>&1 || true
grep -v '^running with root' "$tmp/lintian" | sed 's/^/    lintian: /'
check "lintian: no error, no warning (overrides: statically-linked-binary only)" bash -c "
	! grep -E '^(E|W): ' '$tmp/lintian' && ! grep -E '^O: ' '$tmp/lintian' | grep -v ': statically-linked-binary '"
# The stand-in unit as the package ships one: lintian and systemd accept it.
fake_deb=$(UNITS="$tmp/deploy/pkgtest.service" DEFAULTS="$tmp/deploy/pkgtest.default" DEB_OUT=$tmp/fake bash packaging/deb.sh)
lintian "$fake_deb" >"$tmp/lintian-fake" 2>&1 || true
check "a .deb with a unit: lintian has no error or warning" bash -c "! grep -E '^(E|W): ' '$tmp/lintian-fake'"
check "a .deb with a defaults file lists it as a conffile" bash -c "dpkg-deb -I '$fake_deb' conffiles | grep -qx /etc/default/pkgtest"
mkdir "$tmp/fakeroot" && dpkg-deb -x "$fake_deb" "$tmp/fakeroot"
check "a .deb with a unit: systemd-analyze verify" systemd-analyze verify "$tmp/fakeroot/lib/systemd/system/pkgtest.service"

# --- 6. dpkg -i over Debian's dropwatch -----------------------------------
dpkg-query -W -f='${Status}' dropwatch-go 2>/dev/null | grep -q 'ok installed' && dpkg -P dropwatch-go >/dev/null
orig_ver=$(dpkg-query -W -f='${Version}' dropwatch)
# Debian's package, to put back: fetched before anything is changed.
mkdir -p "$tmp/c" && chmod 0777 "$tmp/c"
(cd "$tmp/c" && apt-get download -q "dropwatch=$orig_ver" >/dev/null 2>&1) ||
	{ apt-get update -q >/dev/null 2>&1 && (cd "$tmp/c" && apt-get download -q "dropwatch=$orig_ver" >/dev/null); } ||
	{ echo "cannot download Debian's dropwatch $orig_ver" >&2; orig_ver=; die "without Debian's package to put back, ours is not installed"; }
c_deb=$(ls "$tmp"/c/dropwatch_*.deb)


check "dpkg -i the .deb over Debian's dropwatch $orig_ver" dpkg -i "$deb"
check "Debian's dropwatch is gone, ours installed" bash -c "
	! dpkg-query -W -f='\${Status}' dropwatch | grep -q 'ok installed' &&
	dpkg-query -W -f='\${Status} \${Version}' dropwatch-go | grep -qx 'install ok installed $ver'"
check "dropwatch --version: the package's version" bash -c "dropwatch --version | head -1 | grep -qx 'dropwatch $ver' && file -L /usr/bin/dropwatch | grep -q 'statically linked'"
check "dwdump -h: dwdump's usage, exit 1" bash -c "out=\$(dwdump -h); [[ \$? == 1 && \$out == Usage:* ]]"
check "man -w dropwatch and dwdump: our pages" bash -c "
	[[ \$(man -w dropwatch) == /usr/share/man/man1/dropwatch.1.gz && \$(man -w dwdump) == /usr/share/man/man1/dwdump.1.gz ]] &&
	zcat /usr/share/man/man1/dropwatch.1.gz | grep -q 'dropwatch (Go)'"
check "bash-completion loads dropwatch's completion" bash -c "
	source /usr/share/bash-completion/bash_completion && __load_completion dropwatch && complete -p dropwatch | grep -q -- '-F _dropwatch dropwatch'"
check "zsh finds _dropwatch in its fpath" zsh -fc 'autoload -Uz compinit && compinit -u -D && [[ -n ${_comps[dropwatch]} ]]'
# fish without --no-config (which leaves fish_complete_path empty), and
# without anyone's configuration.
mkdir -p "$tmp/fishhome"
check "fish completes dropwatch --ba" bash -c "HOME='$tmp/fishhome' XDG_CONFIG_HOME='$tmp/fishhome' fish -c 'complete -C \"dropwatch --ba\"' | grep -q '^--backend'"
units_in=$(dpkg -L dropwatch-go | grep '\.service$' || true)
if [[ -n $units_in ]]; then
	for u in $units_in; do
		check "systemd-analyze verify $u" systemd-analyze verify "$u"
		check "$u is not enabled" bash -c "! systemctl is-enabled '${u##*/}' 2>/dev/null | grep -q enabled"
	done
else
	echo "NOTE: the package has no systemd unit (no exporter in this tree)"
fi
dpkg -L dropwatch-go | sort >"$tmp/files"
check "dpkg -P dropwatch-go" dpkg -P dropwatch-go
check "dpkg -P leaves none of the package's files" bash -c "
	while read -r f; do [[ -d \$f ]] || [[ ! -e \$f ]] || { echo \"left: \$f\"; exit 1; }; done <'$tmp/files'"
restore_c && pass "Debian's dropwatch $orig_ver restored" || fail "Debian's dropwatch $orig_ver restored"
orig_ver=

echo "pkgtest: $passed passed, $failed failed"
((failed == 0))
