#!/bin/bash
# Run the end-to-end test scripts and aggregate their results.
#
#   bash test/e2e/run.sh            # every t_*.sh, sorted
#   bash test/e2e/run.sh t_foo.sh   # only the named scripts
#
# Env: E2E_TIMEOUT (seconds per script, default 300), E2E_VERBOSE=1 (show
# every script's output, not only failing ones), plus whatever lib.sh
# reads (UNBOUND, UNBOUND_CONTROL, UB_PORT, FAKE_PORT, E2E_KEEP, ...).
#
# The last line of output is always "N passed, N failed". A script that
# crashes, times out or prints no summary adds one failure to whatever it
# had reported so far.

set -u

dir=$(cd "$(dirname "$0")" && pwd)
timeout_s=${E2E_TIMEOUT:-300}

scripts=()
if [[ $# -gt 0 ]]; then
	for s in "$@"; do
		[[ -f $s ]] || s="$dir/$(basename "$s")"
		scripts+=("$s")
	done
else
	while IFS= read -r s; do
		scripts+=("$s")
	done < <(find "$dir" -maxdepth 1 -name 't_*.sh' -type f | LC_ALL=C sort)
fi

total_pass=0
total_fail=0
out=$(mktemp /tmp/vpndns-e2e-run.XXXXXX)
trap 'rm -f -- "$out"' EXIT

for s in "${scripts[@]}"; do
	name=$(basename "$s")
	if [[ ! -f $s ]]; then
		echo "$name: MISSING"
		total_fail=$((total_fail + 1))
		continue
	fi
	start=$SECONDS
	rc=0
	timeout -k 10 "$timeout_s" bash "$s" >"$out" 2>&1 </dev/null || rc=$?
	secs=$((SECONDS - start))

	pass=0 fail=0 summary=0
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		pass=${BASH_REMATCH[1]}
		fail=${BASH_REMATCH[2]}
		summary=1
	else
		# No summary: keep what the script reported before dying.
		pass=$(grep -c '^ok   - ' "$out")
		fail=$(grep -c '^FAIL - ' "$out")
	fi

	status=""
	if ((rc == 124 || rc == 137)); then
		status="TIMEOUT after ${timeout_s}s"
	elif ((summary == 0)); then
		status="CRASHED (exit $rc, no summary)"
	elif ((rc != 0 && fail == 0)); then
		status="CRASHED (exit $rc)"
	fi
	if [[ -n $status ]]; then
		fail=$((fail + 1))
	fi

	if [[ ${E2E_VERBOSE:-0} == 1 ]] || ((fail > 0)); then
		sed "s/^/  [$name] /" "$out"
	fi
	printf '%-32s %3d passed, %3d failed  (%ds)%s\n' \
		"$name" "$pass" "$fail" "$secs" "${status:+  $status}"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done

echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
