#!/usr/bin/env bash
# Build the vpndns fuzz targets and run each for a bounded time.
#
#   test/fuzz/run.sh [seconds-per-target] [target...]
#
# Defaults: 15 seconds for each of fuzz_conf, fuzz_list, fuzz_control and
# fuzz_answer.  A target passes if it ran its time without a crash, a
# leak, a timeout (one input over FUZZ_TIMEOUT seconds) or running out of
# memory.  A crashing input is kept in test/fuzz/build/crashes/<target>/
# and its report in test/fuzz/build/logs/<target>.log; the script then
# exits 1.  The last line is "N passed, N failed".
#
# Environment:
#   FUZZ_PARALLEL=N  run N targets at once (default 1; the machine has 2
#                    cores)
#   FUZZ_TIMEOUT=S   per-input timeout in seconds (default 10)
#   FUZZ_ARGS="..."  extra libFuzzer flags for every target
#
# Needs the configured Unbound tree in unbound/ (./configure; make), and
# clang with libFuzzer (installed with apt-get when missing).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD="$HERE/build"
SECS=${1:-15}
shift $(( $# > 0 ? 1 : 0 ))
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(fuzz_conf fuzz_list fuzz_control fuzz_answer)
PARALLEL=${FUZZ_PARALLEL:-1}
TIMEOUT=${FUZZ_TIMEOUT:-10}

case $SECS in
	''|*[!0-9]*) echo "usage: $0 [seconds-per-target] [target...]" >&2; exit 2;;
esac

# per target: most bytes of an input
max_len() {
	case $1 in
		fuzz_conf) echo 4096;;
		fuzz_list) echo 8192;;
		fuzz_control) echo 2048;;
		fuzz_answer) echo 4096;;
		*) echo 4096;;
	esac
}

need_pkgs=()
if ! command -v clang >/dev/null 2>&1; then
	need_pkgs+=(clang)
fi
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
	>/dev/null 2>&1; then
	need_pkgs+=(libclang-rt-14-dev)
fi
for p in libssl-dev libevent-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	echo "installing ${need_pkgs[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq "${need_pkgs[@]}" >/dev/null || {
		echo "error: could not install ${need_pkgs[*]}" >&2
		echo "0 passed, ${#TARGETS[@]} failed"
		exit 1
	}
fi
if [ ! -f "$TOP/unbound/config.h" ] || [ ! -e "$TOP/unbound/vpndns" ]; then
	echo "error: $TOP/unbound is not configured; run ./configure && make first" >&2
	echo "0 passed, ${#TARGETS[@]} failed"
	exit 1
fi

echo "building ${TARGETS[*]}"
mkdir -p "$BUILD/logs"
if ! make -C "$HERE" -j"$(nproc)" $(printf "$BUILD/%s " "${TARGETS[@]}") \
	> "$BUILD/logs/build.log" 2>&1; then
	tail -n 30 "$BUILD/logs/build.log"
	echo "error: build failed, see $BUILD/logs/build.log" >&2
	echo "0 passed, ${#TARGETS[@]} failed"
	exit 1
fi

run_target() { # TARGET
	local t=$1 work="$BUILD/corpus/$1" crashes="$BUILD/crashes/$1/"
	local dict=() seeds=()
	mkdir -p "$work" "$crashes"
	[ -f "$HERE/dict/$t.dict" ] && dict=(-dict="$HERE/dict/$t.dict")
	[ -d "$HERE/corpus/$t" ] && seeds=("$HERE/corpus/$t")
	# new inputs go to the working corpus in build/, the seeds in
	# corpus/ are only read
	# shellcheck disable=SC2086
	"$BUILD/$t" -max_total_time="$SECS" -max_len="$(max_len "$t")" \
		-timeout="$TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes" "${dict[@]}" ${FUZZ_ARGS:-} \
		"$work" "${seeds[@]}" > "$BUILD/logs/$t.log" 2>&1
	echo $? > "$BUILD/logs/$t.rc"
}

pids=()
for t in "${TARGETS[@]}"; do
	rm -f "$BUILD/logs/$t.rc"
	echo "running $t for ${SECS}s"
	run_target "$t" &
	pids+=($!)
	if [ ${#pids[@]} -ge "$PARALLEL" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
wait

passed=0
failed=0
printf "\n%-13s %10s %8s %6s %7s %7s  %s\n" target execs exec/s cov ft corpus result
for t in "${TARGETS[@]}"; do
	log="$BUILD/logs/$t.log"
	rc=$(cat "$BUILD/logs/$t.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	if [ "$rc" = 0 ] && grep -q '^Done [0-9]* runs' "$log"; then
		result=passed
		passed=$((passed + 1))
	else
		result="FAILED (rc $rc)"
		failed=$((failed + 1))
	fi
	printf "%-13s %10s %8s %6s %7s %7s  %s\n" "$t" "${execs:--}" \
		"${speed:--}" "${cov:--}" "${ft:--}" "${corp:--}" "$result"
done
for t in "${TARGETS[@]}"; do
	rc=$(cat "$BUILD/logs/$t.rc" 2>/dev/null || echo 1)
	[ "$rc" = 0 ] && continue
	log="$BUILD/logs/$t.log"
	echo
	echo "== $t failed; log: $log"
	grep -E 'FUZZ CHECK FAILED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' -A2 "$log" | head -n 20
	grep -E 'Test unit written to|artifact_prefix' "$log" | tail -n 2
	echo "reproduce: $BUILD/$t <crash-file>"
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
