#!/usr/bin/env bash
# Prometheus: contrib/prometheus/vpndns_exporter.py reads stats_noreset and
# vpndns_status over the control socket; a real Prometheus (Debian's
# prometheus package) on loopback scrapes it every second while queries go
# through two views.  The counts Prometheus stores under
# vpndns_view_queries_total{view="..."} (and blocked, servfail, health)
# must equal what was sent, and each fake upstream must have seen exactly
# its own view's queries.  Then one tunnel goes silent and Prometheus must
# see that view down and its forwarder down, the other view untouched.
#
# VPNDNS_MONITORING_PNG=FILE also renders the dashboard picture of
# docs/monitoring.md from the series Prometheus stored
# (contrib/prometheus/render-dashboard.py, python3-matplotlib).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5856
FP=5857
EXP_PORT=5858
PROM_PORT=5859
CTL_PORT=5870          # TCP control port with certificates
A=127.0.58.30
B=127.0.58.31
FA=127.0.58.32
FB=127.0.58.33
EXPORTER=$E2E_DIR/../../contrib/prometheus/vpndns_exporter.py
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}

if [[ -z $PROMETHEUS ]]; then
	echo "prometheus not installed (apt-get install prometheus)" >&2
	check "prometheus is installed" false
	e2e_finish
	exit 1
fi

fake_start fa "$FA" "$FP"
fake_start fb "$FB" "$FP"
echo "ads.example" > "$E2E_TMP/alist.txt"
cat > "$E2E_TMP/vpndns.conf" <<CONF
view: tunnel-a $FA@$FP
view: tunnel-b $FB@$FP
client: $A/32 tunnel-a
client: $B/32 tunnel-b
view-blocklist: tunnel-a $E2E_TMP/alist.txt
health-down-after: 2
CONF
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	'	infra-cache-max-rtt: 400' '	infra-keep-probing: no'
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# --- the exporter ---------------------------------------------------------
out=$("$E2E_PYTHON" "$EXPORTER" --control "$E2E_TMP/control.sock" --once)
assert_match "exporter: reads the control socket" '^vpndns_exporter_up 1$' "$out"
assert_match "exporter: view label on the counters" '^vpndns_view_queries_total\{view="tunnel-a"\} 0$' "$out"
assert_match "exporter: health per view" '^vpndns_view_health\{view="tunnel-b",verdict="healthy"\} 1$' "$out"
assert_match "exporter: forwarder per view and server" "^vpndns_forwarder_up\{view=\"tunnel-a\",server=\"$FA@$FP\"\} 1$" "$out"
assert_match "exporter: reflect cap" '^vpndns_reflect_views_max 1024$' "$out"
out=$("$E2E_PYTHON" "$EXPORTER" --control "$E2E_TMP/nosuch.sock" --once)
assert_match "exporter: a dead control socket is vpndns_exporter_up 0" '^vpndns_exporter_up 0$' "$out"

"$E2E_PYTHON" "$EXPORTER" --control "$E2E_TMP/control.sock" \
	--listen "127.0.0.1:$EXP_PORT" >"$E2E_TMP/exporter.log" 2>&1 &
E2E_PIDS+=("$!")
wait_until 5 curl -fs -o /dev/null "http://127.0.0.1:$EXP_PORT/metrics"
check "exporter: serves /metrics" curl -fs -o /dev/null "http://127.0.0.1:$EXP_PORT/metrics"

# --- a real Prometheus scraping it every second ---------------------------
cat > "$E2E_TMP/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vpndns
    static_configs:
      - targets: ['127.0.0.1:$EXP_PORT']
CONF
"$PROMETHEUS" --config.file="$E2E_TMP/prometheus.yml" \
	--storage.tsdb.path="$E2E_TMP/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" \
	>"$E2E_TMP/prometheus.log" 2>&1 &
E2E_PIDS+=("$!")
PROM=http://127.0.0.1:$PROM_PORT
wait_until 20 curl -fs -o /dev/null "$PROM/-/ready"
check "prometheus: ready" curl -fs -o /dev/null "$PROM/-/ready"

# promq EXPR: the value of an instant query with one result, else "none"
# (no result) or "many"
promq() {
	curl -fs --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
	"$E2E_PYTHON" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except Exception:
    r = []
print("none" if not r else "many" if len(r) > 1 else
      "%g" % float(r[0]["value"][1]))'
}
# prom_is EXPR VALUE: wait (up to 15 s of 1 s scrapes) for the value
prom_is() { [[ $(promq "$1") == "$2" ]]; }
prom_wait() { wait_until 15 prom_is "$1" "$2"; promq "$1"; }

wait_until 15 prom_is 'vpndns_exporter_up' 1
assert_eq "prometheus: scraped the exporter" 1 "$(promq 'up{job="vpndns"}')"

# --- traffic through two views --------------------------------------------
NA=7 NB=4
for ((i = 1; i <= NA; i++)); do q $A "a$i.example" >/dev/null; sleep 0.2; done
q $A ads.example >/dev/null
for ((i = 1; i <= NB; i++)); do q $B "b$i.example" >/dev/null; sleep 0.2; done
q $A a1.example >/dev/null   # a cache hit

# (a name counts once: a loaded host may see Unbound retry a query)
assert_eq "upstream a saw each of a's names" "$NA" "$(fake_log_names fa 'a[0-9]+\.example')"
assert_eq "upstream b saw each of b's names" "$NB" "$(fake_log_names fb 'b[0-9]+\.example')"
assert_eq "upstream a saw none of b's names" 0 "$(fake_log_count fa 'b[0-9]+\.example')"
assert_eq "upstream b saw none of a's names" 0 "$(fake_log_count fb 'a[0-9]+\.example|ads\.example')"
assert_eq "no upstream saw the blocked name" 0 "$(( $(fake_log_count fa 'ads\.example') + $(fake_log_count fb 'ads\.example') ))"

assert_eq "prometheus: queries of tunnel-a = sent" $((NA + 2)) "$(prom_wait 'vpndns_view_queries_total{view="tunnel-a"}' $((NA + 2)))"
assert_eq "prometheus: queries of tunnel-b = sent" "$NB" "$(prom_wait 'vpndns_view_queries_total{view="tunnel-b"}' "$NB")"
assert_eq "prometheus: blocked in tunnel-a" 1 "$(promq 'vpndns_view_blocked_total{view="tunnel-a"}')"
assert_eq "prometheus: nothing blocked in tunnel-b" 0 "$(promq 'vpndns_view_blocked_total{view="tunnel-b"}')"
assert_eq "prometheus: cache hit in tunnel-a" 1 "$(promq 'vpndns_view_cachehits_total{view="tunnel-a"}')"
assert_eq "prometheus: tunnel-a cache entries" "$NA" "$(promq 'vpndns_view_cache_entries{view="tunnel-a",cache="msg"}')"
assert_eq "prometheus: tunnel-a own list names" 1 "$(promq 'vpndns_view_list_names{view="tunnel-a"}')"
assert_eq "prometheus: no third view" none "$(promq 'vpndns_view_queries_total{view="tunnel-c"}')"
assert_eq "prometheus: two views, one series each" 2 "$(promq 'count(vpndns_view_queries_total)')"

# --- tunnel-b goes silent -------------------------------------------------
fake_mode fb silent
for i in 1 2; do
	assert_eq "tunnel-b silent: SERVFAIL ($i)" SERVFAIL "$(qstatus $B "down$i.example" A +time=8)"
done
sleep 2.2
assert_eq "tunnel-b still silent: SERVFAIL" SERVFAIL "$(qstatus $B down3.example A +time=8)"
assert_eq "prometheus: servfail of tunnel-b" 3 "$(prom_wait 'vpndns_view_servfail_total{view="tunnel-b"}' 3)"
assert_eq "prometheus: tunnel-b down" 0 "$(prom_wait 'vpndns_view_up{view="tunnel-b"}' 0)"
assert_eq "prometheus: tunnel-b verdict down" 1 "$(promq 'vpndns_view_health{view="tunnel-b",verdict="down"}')"
assert_eq "prometheus: forwarder of tunnel-b not up" 0 "$(prom_wait "vpndns_forwarder_up{view=\"tunnel-b\",server=\"$FB@$FP\"}" 0)"
assert_eq "prometheus: tunnel-a still up" 1 "$(promq 'vpndns_view_up{view="tunnel-a"}')"
assert_eq "prometheus: forwarder of tunnel-a up" 1 "$(promq "vpndns_forwarder_up{view=\"tunnel-a\",server=\"$FA@$FP\"}")"
assert_eq "prometheus: no servfail in tunnel-a" 0 "$(promq 'vpndns_view_servfail_total{view="tunnel-a"}')"
assert_eq "upstream a saw none of the failed names" 0 "$(fake_log_count fa 'down[0-9]\.example')"

# --- the dashboard's queries use only what this exporter served ----------
curl -fs "http://127.0.0.1:$EXP_PORT/metrics" > "$E2E_TMP/metrics.txt"
check "dashboard: every panel's metrics and labels are served" \
	"$E2E_PYTHON" "$E2E_DIR/../pkg/check-dashboard.py" \
	"$E2E_DIR/../../contrib/prometheus/vpndns-dashboard.json" \
	--metrics "$E2E_TMP/metrics.txt"

if [[ -n ${VPNDNS_MONITORING_PNG:-} ]]; then
	sleep 2
	"$E2E_PYTHON" "$E2E_DIR/../../contrib/prometheus/render-dashboard.py" \
		--prometheus "$PROM" --minutes 2 --output "$VPNDNS_MONITORING_PNG"
	check "dashboard picture rendered" test -s "$VPNDNS_MONITORING_PNG"
fi

# --- the control socket over TCP with certificates ------------------------
if [[ -x $VPNDNS_BUILDDIR/unbound/unbound-control-setup ]]; then
	sh "$VPNDNS_BUILDDIR/unbound/unbound-control-setup" -d "$E2E_TMP" >/dev/null 2>&1
	unbound_stop
	write_vpndns_unbound_conf "$E2E_TMP/ub-tls.conf" "$E2E_TMP/vpndns.conf"
	sed -i -e "s|^	control-interface: .*|	control-interface: 127.0.0.1\n	control-port: $CTL_PORT|" \
		-e "s|^	control-use-cert: no|	control-use-cert: yes\n	server-key-file: \"$E2E_TMP/unbound_server.key\"\n	server-cert-file: \"$E2E_TMP/unbound_server.pem\"\n	control-key-file: \"$E2E_TMP/unbound_control.key\"\n	control-cert-file: \"$E2E_TMP/unbound_control.pem\"|" \
		"$E2E_TMP/ub-tls.conf"
	unbound_start "$E2E_TMP/ub-tls.conf" || { e2e_finish; exit 1; }
	q $A tls1.example >/dev/null
	out=$("$E2E_PYTHON" "$EXPORTER" --control "127.0.0.1@$CTL_PORT" \
		--server-cert "$E2E_TMP/unbound_server.pem" \
		--control-cert "$E2E_TMP/unbound_control.pem" \
		--control-key "$E2E_TMP/unbound_control.key" --once)
	assert_match "exporter over TLS: reads the control port" '^vpndns_exporter_up 1$' "$out"
	assert_match "exporter over TLS: the query counted" '^vpndns_view_queries_total\{view="tunnel-a"\} 1$' "$out"
	out=$("$E2E_PYTHON" "$EXPORTER" --control "127.0.0.1@$CTL_PORT" --once 2>/dev/null)
	assert_match "exporter over TLS: no certificates, no metrics" '^vpndns_exporter_up 0$' "$out"
else
	check "unbound-control-setup built" false
fi

e2e_finish
