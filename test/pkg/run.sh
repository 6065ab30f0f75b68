#!/bin/bash
# Packaging and deployment checks; ends with "N passed, N failed".
#
#   bash test/pkg/run.sh
#
# - shell syntax (sh -n, bash -n; shellcheck when installed) of every
#   script the packaging adds;
# - the FreeBSD rc.d script, run on this system against a stub rc.subr
#   with the built unbound: pidfile from unbound-checkconf, configtest,
#   start, reload through unbound-control and through SIGHUP, a broken
#   configuration refused before reload; the ports copy is identical;
# - the example configurations pass unbound-checkconf;
# - the man pages (mandoc -Tlint, or groff -ww);
# - the systemd units (systemd-analyze verify), when systemd-analyze exists;
# - the Grafana dashboard (test/pkg/check-dashboard.py) and negative controls;
# - the FreeBSD stage: contrib/freebsd/pkg-stage.sh into a temporary
#   directory, test/pkg/check-manifest.py on it, and negative controls
#   (a changed, an extra and a missing file, a broken manifest);
#   VPNDNS_PKG_STAGE=0 skips it;
# - test/pkg/test_migrate.py;
# - the module's layers: test/pkg/check-layers.py finds no cycle in the
#   include graph of module/, and finds the one a negative control adds.
#
# Env: VPNDNS_SRCDIR, VPNDNS_BUILDDIR (a built tree; default: the source).
# Loopback only: 127.0.9.40, ports 5680-5681.  Every process started is
# stopped by its PID.
set -u

src=${VPNDNS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VPNDNS_BUILDDIR:-$src}
ub=$build/unbound
PY=${E2E_PYTHON:-/usr/bin/python3}
pass=0
fail=0
tmp=$(mktemp -d /tmp/vpndns-pkg.XXXXXX)
daemon_pidfile=""

cleanup() {
	local pid
	if [[ -n $daemon_pidfile && -s $daemon_pidfile ]]; then
		pid=$(cat "$daemon_pidfile")
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -rf -- "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() {
	fail=$((fail + 1))
	echo "FAIL - $1"
	[[ -n ${2:-} ]] && printf '%s\n' "$2" | sed 's/^/       | /' | head -n 30
}
# t DESC CMD...: CMD succeeds
t() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else bad "$desc" "$out"; fi
}
# tf DESC CMD...: CMD fails
tf() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then bad "$desc" "unexpectedly succeeded: $out"; else ok "$desc"; fi
}
skip() { echo "skip - $1"; }

## shell syntax -----------------------------------------------------------------

sh_scripts=(contrib/freebsd/vpndns.in contrib/freebsd/port/files/vpndns.in
	contrib/prometheus/vpndns_exporter.in
	contrib/freebsd/pkg-stage.sh conf/ipfw/vpn-container.ipfw.sh
	conf/jail/vpn-tunnel-dns.sh)
bash_scripts=(test/pkg/run.sh test/e2e/t_dnsdist.sh test/e2e/t_prometheus.sh
	test/e2e/t_health.sh)
for f in "${sh_scripts[@]}"; do
	t "sh -n $f" sh -n "$src/$f"
done
for f in "${bash_scripts[@]}"; do
	t "bash -n $f" bash -n "$src/$f"
done
if command -v shellcheck >/dev/null 2>&1; then
	for f in "${sh_scripts[@]}"; do
		# rc.d variables are read by rc.subr, which shellcheck can't see
		t "shellcheck $f" shellcheck -s sh -e SC2034,SC1091 "$src/$f"
	done
else
	skip "shellcheck not installed"
fi
t "python3 compiles the packaging scripts" "$PY" -m py_compile \
	"$src/contrib/migrate/vpndns-migrate.py" "$src/test/pkg/check-manifest.py" \
	"$src/test/pkg/test_migrate.py" "$src/contrib/prometheus/vpndns_exporter.py" \
	"$src/contrib/prometheus/render-dashboard.py" "$src/test/pkg/check-dashboard.py" \
	"$src/test/pkg/check-layers.py"
rm -rf "$src"/contrib/migrate/__pycache__ "$src"/test/pkg/__pycache__ \
	"$src"/contrib/prometheus/__pycache__

t "the ports copy of the rc.d script is the same as contrib/freebsd/vpndns.in" \
	cmp "$src/contrib/freebsd/vpndns.in" "$src/contrib/freebsd/port/files/vpndns.in"

## the module's layers ------------------------------------------------------------

# The unit-level include graph of module/ has no cycle; and a copy of the
# sources with one upward include (a leaf that includes vpndns.h) is caught.
t "check-layers.py: the module's include graph has no cycle" \
	"$PY" "$src/test/pkg/check-layers.py" "$src/module"
mkdir -p "$tmp/layers"
cp "$src"/module/*.[ch] "$tmp/layers/"
echo '#include "vpndns/vpndns.h"' >>"$tmp/layers/nametext.c"
out=$("$PY" "$src/test/pkg/check-layers.py" "$tmp/layers" 2>&1)
if [[ $? -eq 1 && $out == *"cycle: "*"nametext.c includes vpndns.h"* ]]; then
	ok "check-layers.py negative control: an upward include is a cycle"
else
	bad "check-layers.py negative control: an upward include is a cycle" "$out"
fi

## example configurations -------------------------------------------------------

if [[ -x $ub/unbound-checkconf ]]; then
	mkdir -p "$tmp/ex"
	cp "$src/conf/vpndns.conf.example" "$tmp/ex/vpndns.conf"
	sed -e 's|username: "unbound"|username: ""|' \
		-e "s|directory: \"/usr/local/etc/unbound\"|directory: \"$tmp/ex\"|" \
		-e "s|/usr/local/etc/unbound/vpndns.conf|$tmp/ex/vpndns.conf|" \
		"$src/conf/jail/vpndns-unbound.conf.example" > "$tmp/ex/vpndns-unbound.conf"
	t "conf/jail/vpndns-unbound.conf.example with conf/vpndns.conf.example passes unbound-checkconf" \
		"$ub/unbound-checkconf" "$tmp/ex/vpndns-unbound.conf"
	t "the example's pidfile is /var/run/vpndns.pid (not local_unbound's)" \
		grep -qx '/var/run/vpndns.pid' <("$ub/unbound-checkconf" -o pidfile "$tmp/ex/vpndns-unbound.conf")
else
	bad "no $ub/unbound-checkconf: build first"
fi

## the rc.d script ----------------------------------------------------------------

# A stub of FreeBSD's rc.subr: enough of run_rc_command to run the script's
# own parts (precmds, reload, configtest) and show its settings.
rc_stub() {
	cat <<'EOF'
load_rc_config() { :; }
err() { _c=$1; shift; echo "rc.subr: $*" >&2; exit "$_c"; }
run_rc_command() {
	echo "name=$name rcvar=$rcvar"
	echo "command=$command $command_args"
	echo "pidfile=$pidfile"
	echo "required_files=$required_files"
	echo "extra_commands=$extra_commands"
	for _f in $required_files; do
		[ -r "$_f" ] || { echo "rc.subr: $_f is not readable" >&2; return 1; }
	done
	rc_pid=""
	if [ -n "$pidfile" ] && [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		rc_pid=$(cat "$pidfile")
	fi
	case $1 in
	start)
		[ -z "$rc_pid" ] || { echo "already running"; return 1; }
		$start_precmd || return 1
		$command $command_args ${vpndns_flags:-}
		;;
	restart) $restart_precmd || return 1; echo "restart: checked" ;;
	reload) $reload_precmd || return 1; $reload_cmd ;;
	configtest) $configtest_cmd ;;
	*) echo "stub: $1 not supported"; return 1 ;;
	esac
}
EOF
}

rc_conf() { # FILE CONTROL(yes|no)
	cat > "$1" <<EOF
server:
	interface: 127.0.9.40@5680
	port: 5680
	username: ""
	chroot: ""
	directory: "$tmp/rc"
	pidfile: "$tmp/rc/run/vpndns.pid"
	use-syslog: no
	logfile: "$tmp/rc/unbound.log"
	verbosity: 1
	num-threads: 1
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	module-config: "vpndns iterator"
	vpndns-config: "$tmp/rc/vpndns.conf"
remote-control:
	control-enable: $2
	control-interface: "$tmp/rc/run/vpndns.ctl"
EOF
}

probe() { dig +time=1 +tries=1 @127.0.9.40 -p 5680 id.server CH TXT >/dev/null 2>&1; }
wait_serving() {
	for _ in $(seq 100); do probe && return 0; sleep 0.1; done
	return 1
}
starts() { grep -c 'start of service' "$tmp/rc/unbound.log" 2>/dev/null || echo 0; }

if [[ -x $ub/unbound && -x $ub/unbound-control && -x $ub/unbound-checkconf ]]; then
	rcd=$tmp/rc
	mkdir -p "$rcd/prefix/sbin" "$rcd/prefix/etc/unbound" "$rcd/run"
	for p in unbound unbound-checkconf unbound-control; do
		ln -s "$ub/$p" "$rcd/prefix/sbin/$p"
	done
	rc_stub > "$rcd/rc.subr"
	sed -e "s|%%PREFIX%%|$rcd/prefix|g" -e "s|^\. /etc/rc.subr\$|. $rcd/rc.subr|" \
		"$src/contrib/freebsd/vpndns.in" > "$rcd/vpndns"
	printf 'view: a 127.0.9.41@5681\nclient: 127.0.9.42/32 a\ndefault: refuse\n' > "$rcd/vpndns.conf"
	conf=$rcd/prefix/etc/unbound/vpndns-unbound.conf
	rc_conf "$conf" yes
	daemon_pidfile=$rcd/run/vpndns.pid

	out=$(sh "$rcd/vpndns" configtest 2>&1)
	rc=$?
	if ((rc == 0)); then ok "rc.d configtest: a valid configuration passes"; else bad "rc.d configtest" "$out"; fi
	[[ $out == *"name=vpndns rcvar=vpndns_enable"* ]] && ok "rc.d: name=vpndns, rcvar=vpndns_enable" || bad "rc.d: name/rcvar" "$out"
	[[ $out == *"command=$rcd/prefix/sbin/unbound -c $conf"* ]] && ok "rc.d: command and command_args use the default vpndns_config" || bad "rc.d: command" "$out"
	[[ $out == *"pidfile=$rcd/run/vpndns.pid"* ]] && ok "rc.d: pidfile comes from unbound-checkconf -o pidfile" || bad "rc.d: pidfile" "$out"
	[[ $out == *"required_files=$conf"* ]] && ok "rc.d: required_files is vpndns_config" || bad "rc.d: required_files" "$out"
	[[ $out == *"extra_commands=reload configtest"* ]] && ok "rc.d: extra_commands reload configtest" || bad "rc.d: extra_commands" "$out"

	out=$(vpndns_config=$rcd/other.conf sh "$rcd/vpndns" start 2>&1)
	[[ $? -ne 0 && $out == *"not readable"* ]] && ok "rc.d: a missing vpndns_config is refused (required_files)" || bad "rc.d: missing config" "$out"

	out=$(sh "$rcd/vpndns" start 2>&1)
	if wait_serving; then ok "rc.d start: unbound runs and answers"; else bad "rc.d start" "$out$(tail -n 5 "$rcd/unbound.log" 2>/dev/null)"; fi
	pid1=$(cat "$daemon_pidfile" 2>/dev/null)

	n=$(starts)
	out=$(sh "$rcd/vpndns" reload 2>&1)
	[[ $out == *ok* ]] && wait_serving && [[ $(cat "$daemon_pidfile") == "$pid1" ]] &&
		ok "rc.d reload with remote-control: unbound-control reload, same process" ||
		bad "rc.d reload via unbound-control" "$out"
	for _ in $(seq 30); do (($(starts) > n)) && break; sleep 0.1; done
	(($(starts) > n)) && ok "rc.d reload: Unbound restarted its service (log)" || bad "rc.d reload: no restart in the log" "$(tail -n 5 "$rcd/unbound.log")"

	echo 'frobnicate: 1' >> "$rcd/vpndns.conf"
	out=$(sh "$rcd/vpndns" configtest 2>&1)
	[[ $? -ne 0 && $out == *"unknown keyword 'frobnicate:'"* ]] &&
		ok "rc.d configtest: a broken vpndns.conf fails, with the error" || bad "rc.d configtest broken" "$out"
	n=$(starts)
	out=$(sh "$rcd/vpndns" reload 2>&1)
	sleep 0.5
	[[ $out == *"configuration check failed"* ]] && (($(starts) == n)) && probe &&
		ok "rc.d reload: refused on a broken configuration, the daemon keeps serving" ||
		bad "rc.d reload broken" "$out"
	out=$(sh "$rcd/vpndns" restart 2>&1)
	[[ $out != *"restart: checked"* ]] && ok "rc.d restart: checked before stopping, refused" || bad "rc.d restart broken" "$out"
	sed -i '/frobnicate/d' "$rcd/vpndns.conf"

	rc_conf "$conf" no
	n=$(starts)
	out=$(sh "$rcd/vpndns" reload 2>&1)
	for _ in $(seq 50); do (($(starts) > n)) && break; sleep 0.1; done
	(($(starts) > n)) && wait_serving && [[ $(cat "$daemon_pidfile") == "$pid1" ]] &&
		ok "rc.d reload without remote-control: SIGHUP, same process" ||
		bad "rc.d reload via SIGHUP" "$out$(tail -n 5 "$rcd/unbound.log")"

	if [[ -n $pid1 ]]; then
		kill "$pid1" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.1; done
	fi
	daemon_pidfile=""
else
	bad "rc.d script: no built unbound in $ub"
fi

## man pages ---------------------------------------------------------------------

mans=("$src/docs/man/vpndns.conf.5" "$src/docs/man/vpndns-control.8")
if command -v mandoc >/dev/null 2>&1; then
	for m in "${mans[@]}"; do
		t "mandoc -Tlint -Wwarning $(basename "$m")" mandoc -Tlint -Wwarning "$m"
	done
elif command -v groff >/dev/null 2>&1; then
	for m in "${mans[@]}"; do
		out=$(groff -mandoc -ww -z "$m" 2>&1)
		[[ -z $out ]] && ok "groff -ww $(basename "$m")" || bad "groff -ww $(basename "$m")" "$out"
	done
else
	skip "neither mandoc nor groff installed"
fi
# every keyword of the parser is in vpndns.conf(5), every command in
# vpndns-control(8)
man_lists() { # MAN ITEM-PREFIX ITEM-SUFFIX WHAT NAMES...: an item for every name
	local man=$1 pre=$2 post=$3 what=$4 n missing=""
	shift 4
	for n; do
		grep -q "$pre$n$post" "$man" || missing="$missing $n"
	done
	# no names at all means the source scan broke, not a complete page
	(($# > 0)) && [[ -z $missing ]] && ok "$(basename "$man") documents every $what" ||
		bad "$(basename "$man") lacks an item for a $what:$missing"
}
man_lists "${mans[0]}" '^\.It Ic ' '\\&:' "keyword of conf.c and policy_conf.c" \
	$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]* },$/\1/p' "$src/module/conf.c" "$src/module/policy_conf.c")
man_lists "${mans[1]}" '^\.It Cm ' '\b' "command of control.c" \
	$(sed -n 's/^[[:space:]]*{ "\(vpndns_[a-z_]*\)",.*/\1/p' "$src/module/control.c")

## systemd unit ------------------------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1 && [[ -x $ub/unbound ]]; then
	mkdir -p "$tmp/sd"
	sed -e "s|/usr/local/sbin/|$ub/|g" "$src/contrib/systemd/vpndns.service" > "$tmp/sd/vpndns.service"
	out=$(systemd-analyze verify --man=no "$tmp/sd/vpndns.service" 2>&1)
	rc=$?
	((rc == 0)) && [[ -z $out ]] && ok "systemd-analyze verify vpndns.service: no warnings" ||
		bad "systemd-analyze verify vpndns.service" "$out"
	sed -e "s|/usr/local/bin/vpndns_exporter|$src/contrib/prometheus/vpndns_exporter.py|" \
		"$src/contrib/prometheus/vpndns-exporter.service" > "$tmp/sd/vpndns-exporter.service"
	out=$(systemd-analyze verify --man=no "$tmp/sd/vpndns-exporter.service" 2>&1)
	rc=$?
	((rc == 0)) && [[ -z $out ]] && ok "systemd-analyze verify vpndns-exporter.service: no warnings" ||
		bad "systemd-analyze verify vpndns-exporter.service" "$out"
else
	skip "systemd-analyze not available"
fi

## the FreeBSD stage -------------------------------------------------------------

if [[ ${VPNDNS_PKG_STAGE:-1} == 0 ]]; then
	skip "FreeBSD stage (VPNDNS_PKG_STAGE=0)"
elif [[ ! -x $ub/unbound ]]; then
	bad "FreeBSD stage: no built unbound in $ub"
else
	st=$tmp/stage
	if out=$(sh "$src/contrib/freebsd/pkg-stage.sh" "$build" "$st" 2>&1); then
		ok "pkg-stage.sh stages the build"
	else
		bad "pkg-stage.sh" "$(tail -n 20 <<<"$out")"
	fi
	t "check-manifest.py: the manifest matches the stage" "$PY" "$src/test/pkg/check-manifest.py" "$st"
	P=$st/usr/local
	for f in sbin/unbound sbin/unbound-control sbin/unbound-checkconf sbin/unbound-anchor \
		etc/rc.d/vpndns share/man/man5/vpndns.conf.5 share/man/man8/vpndns-control.8 \
		share/man/man5/unbound.conf.5 etc/unbound/vpndns-unbound.conf.sample \
		etc/unbound/vpndns.conf.sample; do
		[[ -e $P/$f ]] && ok "stage has /usr/local/$f" || bad "stage lacks /usr/local/$f"
	done
	[[ ! -e $P/etc/unbound/unbound.conf ]] && ok "stage installs no live etc/unbound/unbound.conf" ||
		bad "stage has etc/unbound/unbound.conf"
	[[ -x $P/etc/rc.d/vpndns ]] && grep -q '^command="/usr/local/sbin/unbound"$' "$P/etc/rc.d/vpndns" &&
		! grep -q '%%' "$P/etc/rc.d/vpndns" && ok "staged rc.d script is executable, with /usr/local" ||
		bad "staged rc.d script"
	deps=$("$PY" -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["deps"])))' "$st/+MANIFEST" 2>&1)
	[[ $deps == "expat libevent openssl" ]] && ok "manifest deps from the linked libraries: $deps" ||
		bad "manifest deps" "$deps"
	"$PY" - "$st/+MANIFEST" <<'EOF' && ok "manifest: name, origin dns/vpndns, prefix, pre-install creates unbound with pw" || bad "manifest fields"
import json, sys
m = json.load(open(sys.argv[1]))
s = m["scripts"]["pre-install"]
assert m["name"] == "vpndns" and m["origin"] == "dns/vpndns" and m["prefix"] == "/usr/local"
assert "pw" in s and "groupadd unbound" in s and "useradd unbound" in s
EOF
	t "the staged pre-install script is valid sh" sh -n <("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["scripts"]["pre-install"])' "$st/+MANIFEST")

	# negative controls, on a copy
	neg() { # DESC EXPECTED-TEXT SETUP...
		local desc=$1 want=$2 out
		shift 2
		rm -rf "$tmp/neg"
		cp -a "$st" "$tmp/neg"
		"$@"
		out=$("$PY" "$src/test/pkg/check-manifest.py" "$tmp/neg" 2>&1)
		if [[ $? -ne 0 && $out == *"$want"* ]]; then ok "check-manifest negative control: $desc"; else bad "check-manifest negative control: $desc" "$out"; fi
	}
	neg "a changed file" "/usr/local/sbin/unbound: checksum" sh -c "echo x >> '$tmp/neg/usr/local/sbin/unbound'"
	neg "a file not in the manifest" "/usr/local/sbin/extra: in the stage but not in the manifest" touch "$tmp/neg/usr/local/sbin/extra"
	neg "a listed file missing" "/usr/local/etc/rc.d/vpndns: listed but not in the stage" rm "$tmp/neg/usr/local/etc/rc.d/vpndns"
	neg "a changed symlink" "/usr/local/lib/libunbound.so: checksum" sh -c "ln -sf libunbound.a '$tmp/neg/usr/local/lib/libunbound.so'"
	neg "broken JSON" "is not valid JSON" sh -c "echo '{' >> '$tmp/neg/+MANIFEST'"
	neg "a missing field" "field 'origin' missing" "$PY" -c "import json,sys; p=sys.argv[1]; m=json.load(open(p)); del m['origin']; json.dump(m, open(p,'w'))" "$tmp/neg/+MANIFEST"
	t "pkg-stage.sh refuses a non-empty directory without +MANIFEST" bash -c \
		"mkdir -p '$tmp/notstage' && touch '$tmp/notstage/keep' && ! sh '$src/contrib/freebsd/pkg-stage.sh' '$build' '$tmp/notstage' >/dev/null 2>&1 && test -e '$tmp/notstage/keep'"
fi

## Grafana dashboard ----------------------------------------------------------------

# every panel's query names metrics and labels the exporter serves; the e2e
# test t_prometheus.sh checks it again against a live /metrics
dash=$src/contrib/prometheus/vpndns-dashboard.json
t "dashboard: valid, importable, every query on exported metrics" \
	"$PY" "$src/test/pkg/check-dashboard.py" "$dash" \
	--exporter "$src/contrib/prometheus/vpndns_exporter.py"
sed 's/vpndns_view_blocked_total/vpndns_view_blocks_total/' "$dash" >"$tmp/dash-bad.json"
tf "dashboard check: a misspelled metric fails" \
	"$PY" "$src/test/pkg/check-dashboard.py" "$tmp/dash-bad.json" \
	--exporter "$src/contrib/prometheus/vpndns_exporter.py"
sed 's/"uid": "${DS_PROMETHEUS}"/"uid": "prom1"/' "$dash" >"$tmp/dash-bad.json"
tf "dashboard check: a fixed data source fails (not importable as is)" \
	"$PY" "$src/test/pkg/check-dashboard.py" "$tmp/dash-bad.json" \
	--exporter "$src/contrib/prometheus/vpndns_exporter.py"
head -c 200 "$dash" >"$tmp/dash-bad.json"
tf "dashboard check: truncated JSON fails" \
	"$PY" "$src/test/pkg/check-dashboard.py" "$tmp/dash-bad.json"

## migration converter -----------------------------------------------------------

if "$PY" -c 'import yaml' 2>/dev/null; then
	out=$(VPNDNS_BUILDDIR=$build "$PY" "$src/test/pkg/test_migrate.py" 2>&1)
	echo "$out" | grep -Ev '^ok   - |^[0-9]+ passed, [0-9]+ failed$'
	line=$(tail -n 1 <<<"$out")
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		echo "test_migrate.py: $line"
	else
		bad "test_migrate.py printed no summary" "$out"
	fi
else
	bad "python3-yaml is not installed (apt-get install python3-yaml)"
fi

echo "$pass passed, $fail failed"
((fail == 0))
