#!/usr/bin/env bash
# Run the whole suite on every supported Unbound release and print one
# summary line at the end.
#
#   bash test/run-releases.sh
#
# The default build (the configured tree at the top, Debian's 1.17.1 on
# Debian) runs `make check`.  Then, when an Unbound 1.26.0 source tarball
# is at hand ($VPNDNS_UNBOUND_TARBALL, default
# ../shared/unbound/unbound-1.26.0.tar.gz beside the project), a copy of the
# project's sources is configured against it in build-1.26/ and runs
# `make check` too.  Each release's suite ends with its own summary; the
# last line adds them up: "N passed, N failed".
#
# Env:
#   VPNDNS_UNBOUND_TARBALL   the second release's tarball ("" skips it)
#   VPNDNS_SUITES_SECOND     suites of the second run (default: all of
#                            test/run-all.sh's, the same as the first)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tarball=${VPNDNS_UNBOUND_TARBALL-$top/../shared/unbound/unbound-1.26.0.tar.gz}
second=$top/build-1.26
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0
total_fail=0

# summary LOG RELEASE: add the last "N passed, N failed" line of a log
summary() {
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
	else
		p=0
		f=1
		echo "release $2: the suite printed no summary"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	printf '=== Unbound %s: %d passed, %d failed\n' "$2" "$p" "$f"
}

# release_of DIR: the Unbound release a configured build uses
release_of() {
	sed -n "s/^PACKAGE_VERSION='\([0-9.]*\)'.*/\1/p" "$1/unbound/configure" |
		head -n 1
}

# copy_sources DEST: the project's sources, without build output
copy_sources() {
	rm -rf "$1"
	mkdir -p "$1"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard -z |
			grep -zv '^build-1\.26/' |
			tar -C "$top" --null -T - -cf - | tar -C "$1" -xf -
	else
		tar -C "$top" --exclude=./unbound --exclude=./unbound-testhooks \
			--exclude=./sanitize --exclude=./build-1.26 \
			--exclude=./freebsd-stage -cf - . | tar -C "$1" -xf -
	fi
}

log1=$(mktemp /tmp/vpndns-release1.XXXXXX)
log2=$(mktemp /tmp/vpndns-release2.XXXXXX)
trap 'rm -f "$log1" "$log2"' EXIT

echo "=== Unbound $(release_of "$top"): the default build"
make check 2>&1 | tee "$log1"
summary "$log1" "$(release_of "$top")"

if [[ -n $tarball && -f $tarball ]]; then
	echo "=== Unbound from $tarball, built in $second"
	if ! { copy_sources "$second" &&
		(cd "$second" && autoreconf -fi >/dev/null 2>&1 &&
		./configure ${VPNDNS_CONFIGURE_ARGS:-} \
			--with-unbound-tarball="$tarball" >configure.out 2>&1 &&
		make -j"$jobs" >make.out 2>&1); } then
		echo "release build in $second FAILED; last lines:"
		tail -n 30 "$second/configure.out" "$second/make.out" 2>/dev/null
		echo "1 failed" > "$log2"
		summary "$log2" "$(basename "$tarball")"
	else
		(cd "$second" && VPNDNS_SUITES=${VPNDNS_SUITES_SECOND:-${VPNDNS_SUITES:-}} \
			make check) 2>&1 | tee "$log2"
		summary "$log2" "$(release_of "$second")"
	fi
else
	echo "=== no second Unbound release to test (${tarball:-none given})"
fi
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
