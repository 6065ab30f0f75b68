#!/usr/bin/env bash
# Sanitizer runs of the vpndns test suite.
#
#   bash test/sanitize.sh asan       # ASan+UBSan build; unit, replay, e2e, core
#   bash test/sanitize.sh tsan       # TSan build; e2e suite and test/tsan_stress.sh
#   bash test/sanitize.sh valgrind   # e2e suite with unbound under valgrind
#   bash test/sanitize.sh            # all three, in that order
#
# asan and tsan build copies of the configured Unbound tree under
# $SAN_DIR/<mode>/ (unbound/, unbound-testhooks/, test/unit/), configured
# with the main build's configure arguments plus the sanitizer CFLAGS and
# LDFLAGS; a later run rebuilds incrementally (only changed module files).
# valgrind uses the main build (unbound/ and unbound-testhooks/).
#
# Every sanitizer report goes to a file of its own under
# $SAN_DIR/<mode>/logs/<run>/ (log_path), whatever program wrote it
# (unbound, unbound-control, unbound-checkconf, testbound, unittest, the
# Check suites), so reports are found even where a suite discards the
# program's output. Those files are the "logs" that are checked.
#
# The suites run with VPNDNS_SANITIZER=asan|tsan|valgrind in the
# environment, so that a test can skip what a sanitizer makes meaningless
# (RSS after freeing under ASan's quarantine, rates under a 10x slowdown).
#
# Each build, suite run and report check is one entry; the last line is
# "N passed, N failed" and the exit status is non-zero if anything failed.
#
# Env:
#   VPNDNS_SRCDIR, VPNDNS_BUILDDIR  as for test/run-all.sh
#   SAN_DIR        build and log directory (default $VPNDNS_BUILDDIR/sanitize)
#   SAN_JOBS       make -j (default: number of CPUs)
#   SAN_NICE       nice level of builds and runs (default 10)
#   SAN_CLEAN=1    rebuild the sanitizer trees from scratch
#   SAN_ASAN_SUITES   suites of the asan run (default "unit replay e2e core")
#   SAN_TSAN_SUITES   suites of the tsan run (default "e2e"); the stress
#                     script always runs (SAN_TSAN_STRESS=0 skips it)
#   SAN_E2E_TIMEOUT   per-script e2e timeout under a sanitizer (default 600)
#   SAN_E2E_SCRIPTS   valgrind: only these e2e scripts (default: all)
#   SAN_VG_EXTRA      more valgrind options (e.g. --track-origins=yes)
#   SAN_ASAN_EXTRA, SAN_TSAN_EXTRA  more ASAN_OPTIONS / TSAN_OPTIONS
#   E2E_KEEP, E2E_VERBOSE  passed on to the e2e scripts

set -u

src=${VPNDNS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${VPNDNS_BUILDDIR:-$src}
san=${SAN_DIR:-$build/sanitize}
jobs=${SAN_JOBS:-$(nproc 2>/dev/null || echo 2)}
NICE=(nice -n "${SAN_NICE:-10}")

ASAN_CFLAGS="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer"
ASAN_LDFLAGS="-fsanitize=address,undefined"
TSAN_CFLAGS="-g -O1 -fsanitize=thread -fno-omit-frame-pointer"
TSAN_LDFLAGS="-fsanitize=thread"

# what counts as vpndns in a stack: the module's sources (compiled as
# vpndns/*.c inside the Unbound tree) and its functions
VPNDNS_FRAME='(^|[ /(])(vpndns|module)/[a-z_]+\.[ch]:| vpndns_[A-Za-z0-9_]+ '

total_pass=0
total_fail=0
entries=()

# entry ok|fail NAME [DETAIL]: one line of the final summary
entry() {
	local st=$1 name=$2 detail=${3:-}
	if [[ $st == ok ]]; then
		total_pass=$((total_pass + 1))
		st="ok  "
	else
		total_fail=$((total_fail + 1))
		st="FAIL"
	fi
	entries+=("$(printf '%s %-26s %s' "$st" "$name" "$detail")")
	printf '%s %-26s %s\n' "$st" "$name" "$detail"
}

log() { printf '[sanitize %s] %s\n' "$(date +%T)" "$*"; }

## ---- builds -------------------------------------------------------------------

# The main build's configure arguments (quoted by config.status), without
# CFLAGS and LDFLAGS, NUL-separated.
# shellcheck disable=SC2120 # "$@" is set from config.status's output
ub_config_args() {
	local line a
	line=$(cd "$build/unbound" && ./config.status --config) || return 1
	eval "set -- $line"
	for a in "$@"; do
		case $a in
		CFLAGS=* | LDFLAGS=*) ;;
		*) printf '%s\0' "$a" ;;
		esac
	done
}

# ub_fingerprint: checksum of the main tree's Unbound sources (not the
# module, not the files configure writes)
ub_fingerprint() {
	(cd "$build/unbound" && find . -path ./vpndns -prune -o -type f \
		\( -name '*.[ch]' -o -name '*.in' -o -name '*.y' -o -name '*.lex' \
		-o -name configure \) ! -name config.h -print0 |
		LC_ALL=C sort -z | xargs -0 md5sum | md5sum | cut -c1-32)
}

# san_build MODE CFLAGS LDFLAGS: $san/MODE/{unbound,unbound-testhooks,
# test/unit}; output in $san/MODE/build.log
san_build() {
	local mode=$1 cflags=$2 ldflags=$3
	local d=$san/$mode
	local ub=$d/unbound th=$d/unbound-testhooks blog=$d/build.log
	local args=() want t start=$SECONDS

	if [[ ! -x $build/unbound/config.status ]]; then
		log "no configured Unbound tree in $build/unbound (run make first)"
		return 1
	fi
	mapfile -d '' args < <(ub_config_args)
	# only libunbound.a is used (by the Check suites): without the shared
	# library libtool compiles every file once instead of twice
	args+=(--disable-shared)
	# the copy is redone when the flags or arguments change, or when the
	# main tree's Unbound sources do (a new integration of vpndns); the
	# module sources are reached through the vpndns symlink, so changes
	# to them only rebuild their objects
	want="CFLAGS=$cflags LDFLAGS=$ldflags ${args[*]} sources=$(ub_fingerprint)"

	mkdir -p "$d"
	if [[ ${SAN_CLEAN:-0} == 1 || ! -f $ub/Makefile ||
		"$(cat "$ub/.sanitize-config" 2>/dev/null)" != "$want" ]]; then
		log "$mode: copying and configuring $build/unbound -> $ub"
		rm -rf -- "$ub" "$th" "$d/test"
		: >"$blog"
		cp -a "$build/unbound" "$ub" || return 1
		(
			cd "$ub" &&
				make clean &&
				"${NICE[@]}" ./configure "${args[@]}" \
					CFLAGS="$cflags" LDFLAGS="$ldflags"
		) >>"$blog" 2>&1 || {
			log "$mode: configure failed, see $blog"
			tail -n 20 "$blog"
			return 1
		}
		echo "$want" >"$ub/.sanitize-config"
	fi

	log "$mode: building unbound, unbound-control, unbound-checkconf, testbound, unittest"
	"${NICE[@]}" make -C "$ub" -j"$jobs" all testbound unittest >>"$blog" 2>&1 || {
		log "$mode: build failed, see $blog"
		tail -n 30 "$blog"
		return 1
	}

	# the test-hooks daemon, as Makefile.am makes unbound-testhooks/: a
	# copy in which only the module objects, and net_help (whose address
	# comparison has the "scope" guard), are rebuilt
	if [[ ! -f $th/Makefile || $th/.sanitize-config -ot $ub/.sanitize-config ]]; then
		rm -rf -- "$th"
		cp -a "$ub" "$th" || return 1
		rm -f "$th"/vpndns-*.lo "$th"/vpndns-*.o "$th"/.libs/vpndns-* \
			"$th"/net_help.lo "$th"/net_help.o "$th"/.libs/net_help.o
	fi
	log "$mode: building the test-hooks daemon"
	"${NICE[@]}" make -C "$th" -j"$jobs" unbound unbound-control \
		CPPFLAGS="-I. -DUSE_VPNDNS -DVPNDNS_TEST_HOOKS" >>"$blog" 2>&1 || {
		log "$mode: test-hooks build failed, see $blog"
		tail -n 30 "$blog"
		return 1
	}

	# the Check suites, linked against this tree's libunbound.a
	if pkg-config --exists check 2>/dev/null; then
		mkdir -p "$d/test/unit"
		for t in check_conf check_blockset check_policy check_health check_nametext; do
			[[ -f $src/test/unit/$t.c ]] || continue
			# shellcheck disable=SC2046 # pkg-config output is word lists
			"${NICE[@]}" ${CC:-gcc} $cflags -I"$ub" -DUSE_VPNDNS \
				$(pkg-config --cflags check) \
				-o "$d/test/unit/$t" "$src/test/unit/$t.c" \
				"$ub/.libs/libunbound.a" -lssl -lcrypto -levent -lpthread \
				$(pkg-config --libs check) $ldflags >>"$blog" 2>&1 || {
				log "$mode: building $t failed, see $blog"
				tail -n 30 "$blog"
				return 1
			}
		done
	else
		log "$mode: Check not installed (libcheck via pkg-config): no unit suite"
	fi
	log "$mode: build done in $((SECONDS - start)) s"
}

## ---- report scanning ----------------------------------------------------------

# split_reports FILE: print each sanitizer/valgrind report of FILE as one
# record, records separated by a line "\x1e" (ASCII RS)
split_reports() {
	awk '
	function flush() { if (n) { print buf; print "\036" } n = 0; buf = "" }
	/WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|^(Direct|Indirect) leak of/ {
		flush()
	}
	/^={10,}$/ { flush(); next }
	/SUMMARY: (AddressSanitizer|ThreadSanitizer|UndefinedBehaviorSanitizer)/ {
		if (n) { buf = buf "\n" $0; flush() } ; next
	}
	{ if (n || /WARNING: ThreadSanitizer|ERROR: |runtime error:|leak of/) { buf = (n ? buf "\n" : "") $0; n++ } }
	' "$1"
}

# symbolize: stdin -> stdout, a report whose frames are "<null> <null>
# (prog+0xOFFSET)" (a chrooted daemon cannot run its symbolizer) with
# those frames resolved by addr2line against the program named in the
# SUMMARY line
symbolize() {
	local rec bin mod line addr fn
	rec=$(cat)
	bin=$(sed -n 's/^SUMMARY: .*(\(\/[^+()]*\)+0x[0-9a-f]*).*/\1/p' <<<"$rec" | head -n 1)
	if [[ $rec != *"<null> <null> ("* || -z $bin || ! -f $bin ]] ||
		! command -v addr2line >/dev/null 2>&1; then
		printf '%s\n' "$rec"
		return
	fi
	mod=$(basename "$bin")
	while IFS= read -r line; do
		if [[ $line =~ ^(\ +#[0-9]+\ )\<null\>\ \<null\>\ \(${mod}\+(0x[0-9a-f]+)\)$ ]]; then
			addr=${BASH_REMATCH[2]}
			fn=$(addr2line -f -e "$bin" "$addr" 2>/dev/null | paste -d' ' - - |
				sed -E 's/ \(discriminator [0-9]+\)//; s|/[^ ]*/unbound(-testhooks)?/||')
			line="${BASH_REMATCH[1]}${fn:-<null>} ($mod+$addr)"
		fi
		printf '%s\n' "$line"
	done <<<"$rec" | awk '
		# the SUMMARY line from the first resolved frame
		!f && /^ +#0 [^<]/ { fn = $2; loc = $3; f = 1 }
		/^SUMMARY: .*\(\/.*\+0x[0-9a-f]+\)/ && f { sub(/\(\/.*\+0x[0-9a-f]+\) *$/, loc " in " fn) }
		{ print }'
}

# scan_reports DIR KIND: count the reports in DIR's log files.
# Sets SCAN_TOTAL, SCAN_VPNDNS (reports with a vpndns frame) and writes a
# digest (first lines of each distinct report) to DIR/digest.txt.
scan_reports() {
	local dir=$1 f rec first key sum order=()
	SCAN_TOTAL=0
	SCAN_VPNDNS=0
	: >"$dir/digest.txt"
	declare -A seen=() title=()
	shopt -s nullglob
	for f in "$dir"/*.[0-9]*; do
		[[ -s $f ]] || continue
		while IFS= read -r -d $'\x1e' rec; do
			rec=${rec#$'\n'}
			[[ -n ${rec//[[:space:]]/} ]] || continue
			grep -qE 'ERROR: AddressSanitizer|runtime error:|leak of|WARNING: ThreadSanitizer' <<<"$rec" || continue
			rec=$(symbolize <<<"$rec")
			SCAN_TOTAL=$((SCAN_TOTAL + 1))
			first=$(grep -m1 -E 'ERROR: |runtime error:|leak of|WARNING: ThreadSanitizer' <<<"$rec")
			local tag=core
			if grep -qE -- "$VPNDNS_FRAME" <<<"$rec"; then
				SCAN_VPNDNS=$((SCAN_VPNDNS + 1))
				tag=VPNDNS
			fi
			# group by the report's first line (minus addresses and
			# pids) and its first three frames
			key=$(printf '%s\n%s' "$first" "$(grep -E '^ +#[0-2] ' <<<"$rec")" |
				sed -E 's/0x[0-9a-f]+//g; s/\(pid=[0-9]+\)//; s/==[0-9]+==//; s/T[0-9]+/T#/g; s/tid=[0-9]+//g')
			if [[ -z ${seen[$key]:-} ]]; then
				seen[$key]=1
				sum=$(grep -m1 '^SUMMARY: ' <<<"$rec")
				if [[ $first == *"leak of"* || -z $sum ]]; then
					# a leak: where it was allocated, past the allocator
					sum="$first $(grep -E '^ +#[0-9]+ ' <<<"$rec" |
						grep -vE 'libsanitizer|libasan|libtsan' | head -n 1 |
						sed -E 's/^ +#[0-9]+ (0x[0-9a-f]+ in )?//')"
				fi
				order+=("$key")
				title[$key]="[$tag] ${sum#SUMMARY: }"
				{
					echo "---- [$tag] $(basename "$f"): ${sum#SUMMARY: }"
					head -n 60 <<<"$rec"
				} >>"$dir/digest.txt"
			else
				seen[$key]=$((seen[$key] + 1))
			fi
		done < <(split_reports "$f"; printf '\036')
	done
	shopt -u nullglob
	SCAN_DISTINCT=${#seen[@]}
	# one line per distinct report, with how often it was seen
	: >"$dir/summary.txt"
	for key in "${order[@]}"; do
		printf '%4dx %s\n' "${seen[$key]}" "${title[$key]}" >>"$dir/summary.txt"
	done
}

## ---- asan ---------------------------------------------------------------------

# run_suites MODE SUITES: one entry per suite of test/run-all.sh against
# $san/MODE, with the sanitizer options in the environment; reports of each
# suite go to $san/MODE/logs/SUITE/
run_suites() {
	local mode=$1 suites=$2 s out p f start logs broken
	san_daemon_wrappers "$mode"
	for s in $suites; do
		logs=$san/$mode/logs/$s
		rm -rf -- "$logs"
		mkdir -p "$logs"
		start=$SECONDS
		log "$mode: suite $s"
		# a copy: bash reads a script as it runs it, and the suites
		# run long enough for someone to edit run-all.sh meanwhile
		cp "$src/test/run-all.sh" "$logs/run-all.sh"
		out=$(san_env "$mode" "$logs" \
			VPNDNS_SRCDIR="$src" VPNDNS_BUILDDIR="$san/$mode" \
			UNBOUND="$san/$mode/bin/unbound" \
			UNBOUND_TH="$san/$mode/bin/unbound-testhooks" \
			VPNDNS_SUITES="$s" E2E_TIMEOUT="${SAN_E2E_TIMEOUT:-600}" \
			"${NICE[@]}" bash "$logs/run-all.sh" 2>&1)
		printf '%s\n' "$out" >"$logs/suite.out"
		p=$(tail -n 1 <<<"$out" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
		f=$(tail -n 1 <<<"$out" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
		grep -E 'FAIL - |FAILED|TIMEOUT after|CRASHED|: MISSING' <<<"$out" |
			grep -v '^ *\[[^]]*\] *|' | head -n 40
		broken=$(grep -vE '^  \[' <<<"$out" | grep -cE 'TIMEOUT after|CRASHED|: MISSING')
		if [[ ${f:-1} == 0 && -n $p ]]; then
			entry ok "$mode $s" "$p passed ($((SECONDS - start)) s)"
		elif [[ $mode == tsan && $s == e2e && -n $p && $broken == 0 ]]; then
			# under TSan the daemon is 5-15x slower: assertions on
			# answers within a client timeout can fail; the verdict
			# of this mode is the race reports (crashes still fail)
			entry ok "$mode $s" "$p passed, $f failed under TSan's slowdown, not counted ($((SECONDS - start)) s; $logs/suite.out)"
		else
			entry fail "$mode $s" "${p:-0} passed, ${f:-?} failed ($((SECONDS - start)) s; $logs/suite.out)"
		fi
		check_reports "$mode" "$s" "$logs"
	done
}

# san_daemon_wrappers MODE: $san/MODE/bin/unbound{,-testhooks}, the
# daemons the e2e scripts start. They add verbosity=1, which makes the
# sanitizer open its log_path file at start-up: a daemon that chroots
# (t_edges.sh) could not open it later, and would die on its first report
# instead of writing it.
san_daemon_wrappers() {
	local mode=$1 bin=$san/$1/bin name real
	mkdir -p "$bin"
	for name in unbound unbound-testhooks; do
		real=$san/$mode/unbound/unbound
		[[ $name == unbound-testhooks ]] && real=$san/$mode/unbound-testhooks/unbound
		cat >"$bin/$name" <<EOF
#!/bin/sh
ASAN_OPTIONS="\${ASAN_OPTIONS:-}:verbosity=1" \\
TSAN_OPTIONS="\${TSAN_OPTIONS:-}:verbosity=1" \\
exec "$real" "\$@"
EOF
		chmod +x "$bin/$name"
	done
}

# san_env MODE LOGDIR CMD...: run CMD with the sanitizer options of MODE,
# reports written to LOGDIR/<tool>.<exe>.<pid>
san_env() {
	local mode=$1 logs=$2
	shift 2
	case $mode in
	asan)
		env VPNDNS_SANITIZER=asan ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/asan:log_exe_name=1:${SAN_ASAN_EXTRA:-}" \
			UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:log_exe_name=1" \
			LSAN_OPTIONS="${LSAN_SUPP:+suppressions=$LSAN_SUPP}" \
			"$@"
		;;
	tsan)
		# exitcode=0: a race is judged from the reports, not by making
		# unbound-control or a Check suite fail at exit
		env VPNDNS_SANITIZER=tsan TSAN_OPTIONS="halt_on_error=0:exitcode=0:second_deadlock_stack=1:log_path=$logs/tsan:log_exe_name=1:suppressions=$src/test/tsan.supp${SAN_TSAN_EXTRA:+:$SAN_TSAN_EXTRA}" \
			"$@"
		;;
	esac
}

# check_reports MODE RUN DIR: the report entry of one run.
# asan: any report fails. tsan: only races with a vpndns frame fail; the
# others are listed as Unbound-core findings.
check_reports() {
	local mode=$1 run=$2 dir=$3
	scan_reports "$dir"
	if [[ $mode == asan ]]; then
		if ((SCAN_TOTAL == 0)); then
			entry ok "$mode $run reports" "no sanitizer report"
		else
			entry fail "$mode $run reports" "$SCAN_TOTAL reports ($SCAN_VPNDNS with vpndns frames, $SCAN_DISTINCT distinct): $dir/digest.txt"
			sed 's/^/    /' "$dir/summary.txt"
		fi
	else
		if ((SCAN_VPNDNS == 0)); then
			entry ok "$mode $run reports" "no vpndns race; $SCAN_TOTAL Unbound-core reports ($SCAN_DISTINCT distinct)"
		else
			entry fail "$mode $run reports" "$SCAN_VPNDNS reports with vpndns frames, $SCAN_TOTAL in all ($SCAN_DISTINCT distinct): $dir/digest.txt"
		fi
		((SCAN_TOTAL == 0)) || sed 's/^/    /' "$dir/summary.txt"
	fi
}

mode_asan() {
	local start=$SECONDS
	if san_build asan "$ASAN_CFLAGS" "$ASAN_LDFLAGS"; then
		entry ok "asan build" "$((SECONDS - start)) s"
	else
		entry fail "asan build" "see $san/asan/build.log"
		return
	fi
	run_suites asan "${SAN_ASAN_SUITES:-unit replay e2e core}"
}

## ---- tsan ---------------------------------------------------------------------

mode_tsan() {
	local start=$SECONDS logs out p f ctl
	if san_build tsan "$TSAN_CFLAGS" "$TSAN_LDFLAGS"; then
		entry ok "tsan build" "$((SECONDS - start)) s"
	else
		entry fail "tsan build" "see $san/tsan/build.log"
		return
	fi
	run_suites tsan "${SAN_TSAN_SUITES-e2e}"
	[[ ${SAN_TSAN_STRESS:-1} == 1 ]] || return
	logs=$san/tsan/logs/stress
	rm -rf -- "$logs"
	mkdir -p "$logs"
	start=$SECONDS
	log "tsan: stress (test/tsan_stress.sh)"
	# the command loop's client need not be instrumented: the main
	# build's keeps up with one command every 100 ms
	ctl=$san/tsan/unbound/unbound-control
	[[ -x $build/unbound/unbound-control ]] && ctl=$build/unbound/unbound-control
	out=$(san_env tsan "$logs" VPNDNS_BUILDDIR="$san/tsan" STRESS_CONTROL="$ctl" \
		timeout -k 10 900 "${NICE[@]}" bash "$src/test/tsan_stress.sh" 2>&1)
	printf '%s\n' "$out" >"$logs/stress.out"
	p=$(tail -n 1 <<<"$out" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(tail -n 1 <<<"$out" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	grep -E '^FAIL|^ok|dnsperf' <<<"$out" | head -n 40
	if [[ ${f:-1} == 0 && -n $p ]]; then
		entry ok "tsan stress" "$p passed ($((SECONDS - start)) s)"
	else
		entry fail "tsan stress" "${p:-0} passed, ${f:-?} failed ($((SECONDS - start)) s; $logs/stress.out)"
	fi
	check_reports tsan stress "$logs"
}

## ---- valgrind -----------------------------------------------------------------

# valgrind errors: one record per error block of a valgrind log
vg_split() {
	awk '
	/^==[0-9]+== *$/ { if (n) { print buf; print "\036" } n = 0; buf = ""; next }
	{ sub(/^==[0-9]+== /, ""); buf = (n ? buf "\n" : "") $0; n++ }
	END { if (n) { print buf; print "\036" } }
	' "$1"
}

mode_valgrind() {
	local d=$san/valgrind logs bin start=$SECONDS out p f real name
	local nerr=0 nvp=0 nleak=0 nleakvp=0 npos=0 incomplete=0 nlogs=0 rec kind
	logs=$d/logs
	bin=$d/bin
	if ! command -v valgrind >/dev/null 2>&1; then
		entry fail "valgrind e2e" "valgrind is not installed (apt-get install valgrind)"
		return
	fi
	rm -rf -- "$logs" "$bin"
	mkdir -p "$logs" "$bin"
	for real in "$build/unbound/unbound" "$build/unbound/unbound-checkconf" \
		"$build/unbound-testhooks/unbound"; do
		[[ -x $real ]] || {
			entry fail "valgrind e2e" "missing $real (run make check's builds first)"
			return
		}
	done
	# wrappers: exec keeps the PID, so the e2e library stops valgrind (and
	# the daemon in it) by the PID it started
	mkwrap() { # NAME REAL
		cat >"$bin/$1" <<EOF
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full \\
	--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect \\
	--num-callers=30 --fullpath-after= --log-file=$logs/vg.$1.%p.log \\
	${SAN_VG_EXTRA:-} "$2" "\$@"
EOF
		chmod +x "$bin/$1"
	}
	mkwrap unbound "$build/unbound/unbound"
	mkwrap unbound-checkconf "$build/unbound/unbound-checkconf"
	mkwrap unbound-testhooks "$build/unbound-testhooks/unbound"

	log "valgrind: e2e suite"
	out=$(VPNDNS_SANITIZER=valgrind UNBOUND="$bin/unbound" UNBOUND_CHECKCONF="$bin/unbound-checkconf" \
		UNBOUND_CONTROL="$build/unbound/unbound-control" \
		UNBOUND_TH="$bin/unbound-testhooks" \
		UNBOUND_CONTROL_TH="$build/unbound-testhooks/unbound-control" \
		VPNDNS_BUILDDIR="$build" E2E_TIMEOUT="${SAN_E2E_TIMEOUT:-600}" \
		"${NICE[@]}" bash "$src/test/e2e/run.sh" ${SAN_E2E_SCRIPTS:-} 2>&1)
	printf '%s\n' "$out" >"$logs/suite.out"
	p=$(tail -n 1 <<<"$out" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(tail -n 1 <<<"$out" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	grep -E 'FAIL - |TIMEOUT|CRASHED|MISSING' <<<"$out" | head -n 40
	# The verdict of this mode is valgrind's. Under valgrind the daemon is
	# 10-50x slower, and assertions whose client gives up after 2 s (dig)
	# or 8 s (bursts) can fail; those are listed, not counted. A script
	# that crashed or timed out, or a suite that printed no summary, fails.
	local broken
	broken=$(grep -vE '^  \[' <<<"$out" | grep -cE 'TIMEOUT after|CRASHED|: MISSING')
	if [[ -n $p && $broken == 0 ]]; then
		entry ok "valgrind e2e" "$p passed, ${f:-?} failed under valgrind's slowdown, not counted ($((SECONDS - start)) s; $logs/suite.out)"
	else
		entry fail "valgrind e2e" "${p:-0} passed, ${f:-?} failed, $broken scripts crashed or timed out ($((SECONDS - start)) s; $logs/suite.out)"
	fi

	# summarise: errors and leaks, and those with a vpndns frame
	: >"$logs/digest.txt"
	declare -A seen=()
	shopt -s nullglob
	for name in "$logs"/vg.*.log; do
		nlogs=$((nlogs + 1))
		# a daemon killed (SIGKILL) before its exit checks finished
		grep -q 'ERROR SUMMARY' "$name" || incomplete=$((incomplete + 1))
		while IFS= read -r -d $'\x1e' rec; do
			rec=${rec#$'\n'}
			kind=""
			if grep -qE '^[0-9,]+ (\([0-9,]+ direct, [0-9,]+ indirect\) )?bytes in [0-9,]+ blocks are (definitely|indirectly) lost' <<<"$rec"; then
				kind=leak
			elif grep -qE '^[0-9,]+ bytes in [0-9,]+ blocks are possibly lost' <<<"$rec"; then
				# listed, not counted: interior pointers, thread stacks
				kind="possible leak"
			elif grep -qE '^(Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function)' <<<"$rec"; then
				kind=error
			else
				continue
			fi
			local vp=0
			grep -qE -- "$VPNDNS_FRAME|\((vpndns/|module/)[a-z_]+\.[ch]:| vpndns_[A-Za-z0-9_]+ \(" <<<"$rec" && vp=1
			if [[ $kind == "possible leak" ]]; then
				npos=$((npos + 1))
			elif [[ $kind == leak ]]; then
				nleak=$((nleak + 1))
				nleakvp=$((nleakvp + vp))
			else
				nerr=$((nerr + 1))
				nvp=$((nvp + vp))
			fi
			local key
			key=$(sed -E 's/0x[0-9A-F]+//gi; s/[0-9,]+ (\([0-9, a-z]+\) )?bytes in [0-9,]+ blocks/N bytes/; s/loss record [0-9,]+ of [0-9,]+//' <<<"$rec" | head -n 8)
			if [[ -z ${seen[$key]:-} ]]; then
				seen[$key]=1
				{
					echo "---- [$kind$( ((vp)) && echo ', VPNDNS')] $(basename "$name")"
					head -n 35 <<<"$rec"
				} >>"$logs/digest.txt"
			fi
		done < <(vg_split "$name")
	done
	shopt -u nullglob
	local detail="$nlogs processes; errors $nerr (vpndns $nvp), definite/indirect leaks $nleak (vpndns $nleakvp), possible leaks $npos; $incomplete logs without exit summary"
	if ((nvp == 0 && nleakvp == 0)); then
		entry ok "valgrind vpndns errors" "$detail"
	else
		entry fail "valgrind vpndns errors" "$detail: $logs/digest.txt"
	fi
	[[ -s $logs/digest.txt ]] && sed 's/^/    /' "$logs/digest.txt" | head -n 200
}

## ---- main ---------------------------------------------------------------------

main() {
	local m start modes=("$@")
	((${#modes[@]})) || modes=(asan tsan valgrind)
	for m in "${modes[@]}"; do
		case $m in
		asan | tsan | valgrind) ;;
		*)
			echo "usage: $0 [asan|tsan|valgrind]..." >&2
			return 2
			;;
		esac
	done

	# one run at a time per SAN_DIR: runs share the builds and log dirs
	mkdir -p "$san"
	exec 9>"$san/.lock"
	if ! flock -n 9; then
		log "another test/sanitize.sh run uses $san; waiting for it"
		flock 9
	fi

	# LeakSanitizer suppressions for known leaks in Unbound itself (none
	# are needed at present; the file is used if it exists)
	[[ -f $src/test/lsan.supp ]] && LSAN_SUPP=$src/test/lsan.supp

	for m in "${modes[@]}"; do
		start=$SECONDS
		log "== $m"
		"mode_$m"
		log "== $m took $((SECONDS - start)) s"
	done

	echo
	echo "== sanitize summary"
	printf '%s\n' "${entries[@]}"
	echo "$total_pass passed, $total_fail failed"
	((total_fail == 0))
}

# one line: bash has read all of it before running it, so an edit of this
# file during a (long) run does not disturb that run (sourcing the file
# only defines the functions)
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; exit; fi
