#!/usr/bin/env bash
# Run the whole vpndns test suite and print one summary line at the end.
#
# Suites: unit (Check), replay (testbound over test/replay/*.rpl), e2e
# (loopback, real unbound and fake upstreams), and Unbound's own unittest
# and testdata/*.rpl on the patched build.  VPNDNS_SUITES selects suites
# (default: "unit replay e2e pkg bench fuzz core asan").
set -u
src=${VPNDNS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${VPNDNS_BUILDDIR:-$src}
ub=$build/unbound
suites=${VPNDNS_SUITES:-unit replay e2e pkg bench fuzz core asan}
total_pass=0
total_fail=0

# add PASS FAIL SUITE: account a suite's result
add() {
	total_pass=$((total_pass + $1))
	total_fail=$((total_fail + $2))
	printf '== %-8s %d passed, %d failed\n' "$3" "$1" "$2"
}

# Check prints "NN%: Checks: N, Failures: F, Errors: E"
run_unit() {
	local p=0 f=0 prog out checks fails errs
	for prog in "$build"/test/unit/check_*; do
		[ -x "$prog" ] || continue
		out=$(cd "$build" && CK_FORK=yes "$prog" 2>&1)
		echo "$out" | grep -v '^Running suite' | tail -n 20
		checks=$(echo "$out" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p' | tail -n 1)
		fails=$(echo "$out" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p' | tail -n 1)
		errs=$(echo "$out" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p' | tail -n 1)
		if [ -z "$checks" ]; then
			echo "unit: $prog printed no Check summary"
			f=$((f + 1))
			continue
		fi
		p=$((p + checks - fails - errs))
		f=$((f + fails + errs))
	done
	add $p $f unit
}

# every replay scenario runs in testbound, like Unbound's own suite
run_replay() {
	local p=0 f=0 rpl tmp file
	tmp=$(mktemp -d)
	# scenarios and their vpndns.conf and list files name each other
	# relative to @REPLAYDIR@, the copy they run from
	for file in "$src"/test/replay/*; do
		sed "s|@REPLAYDIR@|$tmp|g" "$file" > "$tmp/$(basename "$file")"
	done
	for rpl in "$tmp"/*.rpl; do
		[ -f "$rpl" ] || continue
		if (cd "$ub" && ./testbound -p "$rpl" > "$build/test-replay.log" 2>&1); then
			p=$((p + 1))
			echo "replay ok     $(basename "$rpl")"
		else
			f=$((f + 1))
			echo "replay FAILED $(basename "$rpl")"
			tail -n 30 "$build/test-replay.log"
		fi
	done
	rm -rf "$tmp"
	add $p $f replay
}

# run_counted NAME SHOWN PREFIX CMD...: run a suite that ends with a line
# "PREFIX N passed, N failed"; show its last SHOWN lines (+1: all) and
# account the last such line.  With an empty PREFIX the summary must be the very last
# line, so a suite that dies before printing one counts as failed.
run_counted() {
	local name=$1 shown=$2 prefix=$3 out line p f
	shift 3
	out=$("$@" 2>&1)
	echo "$out" | tail -n "$shown"
	if [ -n "$prefix" ]; then
		line=$(echo "$out" | sed -n "s/^$prefix//p" | tail -n 1)
	else
		line=$(echo "$out" | tail -n 1)
	fi
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	add "${p:-0}" "${f:-1}" "$name"
}

run_e2e() {
	run_counted e2e +1 "" env VPNDNS_BUILDDIR="$build" \
		bash "$src/test/e2e/run.sh"
}

# packaging: the FreeBSD stage and manifest, rc.d and systemd files, man
# pages, the migration converter
run_pkg() {
	run_counted pkg 15 "" env VPNDNS_BUILDDIR="$build" \
		bash "$src/test/pkg/run.sh"
}

# the benchmark harness in its smoke mode, so it can't rot
run_bench() {
	run_counted bench 6 "smoke: " env VPNDNS_BUILDDIR="$build" \
		bash "$src/bench/run.sh" --smoke
}

# the whole suite again on an ASan+UBSan build (test/sanitize.sh; TSan and
# valgrind runs are `make sanitize-tsan` and `make sanitize-valgrind`)
run_asan() {
	run_counted asan 12 "" env VPNDNS_SRCDIR="$src" \
		VPNDNS_BUILDDIR="$build" bash "$src/test/sanitize.sh" asan
}

# fuzzing: each target for a short bounded time (FUZZ_SECONDS each)
run_fuzz() {
	run_counted fuzz 8 "" bash "$src/test/fuzz/run.sh" "${FUZZ_SECONDS:-15}"
}

# Unbound's unittest and all testdata/*.rpl on the patched build
run_core() {
	local p=0 f=0 rpl
	if (cd "$ub" && ./unittest > "$build/test-core.log" 2>&1); then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "core: unittest FAILED"
		tail -n 30 "$build/test-core.log"
	fi
	for rpl in "$ub"/testdata/*.rpl; do
		if (cd "$ub" && ./testbound -p "$rpl" > /dev/null 2>&1); then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "core: FAILED $(basename "$rpl")"
		fi
	done
	add $p $f core
}

for s in $suites; do
	echo "== suite $s"
	"run_$s"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
