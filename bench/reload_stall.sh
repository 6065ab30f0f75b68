#!/usr/bin/env bash
# Query latency while a 1M-name blocklist is reloaded.
#
# A paced client asks a cached name at a fixed rate from one view and
# records every answer's latency; halfway through, vpndns_blocklist_reload
# reads a 1,000,000-name list again on the reload thread.  The run
# compares latency while the reload runs with latency before it.  Bounded:
# about 12 s of load at 400 queries/s, loopback only.
#
# usage: bench/reload_stall.sh [RESULT_CSV]
. "$(dirname "$0")/../test/e2e/lib.sh"

UB_PORT=5710
FP=5711
C=127.0.10.10
OUT=${1:-$E2E_DIR/../../bench/results/reload_stall.csv}
NAMES=${RELOAD_STALL_NAMES:-1000000}

awk -v n="$NAMES" 'BEGIN { for (i = 1; i <= n; i++)
	printf "r%d-%d.stall%d.example\n", i, (i * 7919) % 1000003, i % 97 }' \
	> "$E2E_TMP/list.txt"
fake_start up 127.0.10.2 "$FP"
cat > "$E2E_TMP/vpndns.conf" <<EOF
view: a 127.0.10.2@$FP
client: $C/32 a
blocklist: $E2E_TMP/list.txt
EOF
write_unbound_conf "$E2E_TMP/ub.conf" \
	'	module-config: "vpndns iterator"' \
	"	vpndns-config: \"$E2E_TMP/vpndns.conf\""
unbound_start "$E2E_TMP/ub.conf" || exit 1
q $C www.example.com >/dev/null

# the prober: fixed rate, one outstanding query at a time, latency in ms
cat > "$E2E_TMP/probe.py" <<'EOF'
import socket, struct, sys, time
src, port, secs, rate, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
q = bytes.fromhex("123401000001000000000000") + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(2.0)
t0 = time.monotonic()
n = 0
with open(out, "w") as f:
    while time.monotonic() - t0 < secs:
        due = t0 + n / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        start = time.monotonic()
        s.sendto(q, ("127.0.0.1", port))
        try:
            s.recv(512)
            f.write("%.6f %.3f\n" % (start - t0, (time.monotonic() - start) * 1000))
        except socket.timeout:
            f.write("%.6f lost\n" % (start - t0))
        n += 1
EOF
/usr/bin/python3 "$E2E_TMP/probe.py" $C $UB_PORT 12 400 "$E2E_TMP/lat.txt" &
pp=$!
E2E_PIDS+=("$pp")
sleep 5
t_start=$(date +%s.%N)
uctl vpndns_blocklist_reload >/dev/null
wait_until 30 sh -c "'$UNBOUND_CONTROL' -c '$UB_CONF' vpndns_status | grep -q 'reload=idle'"
t_end=$(date +%s.%N)
wait "$pp"
reload_ms=$(echo "($t_end - $t_start) * 1000" | bc)

# latency before the reload (from 1 s to the reload) and while it ran
/usr/bin/python3 - "$E2E_TMP/lat.txt" "$(echo "$t_start" | cut -c1-20)" \
	"$reload_ms" "$OUT" "$NAMES" <<'EOF'
import sys
path, _, reload_ms, out, names = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = [l.split() for l in open(path)]
# the reload started 5 s after the prober (sleep 5), give or take the
# command's start-up; the window is its measured duration plus 0.5 s
start = 5.0
base = [float(v) for t, v in rows if v != "lost" and 1.0 <= float(t) < start]
during = [float(v) for t, v in rows if v != "lost" and start <= float(t) < start + reload_ms / 1000 + 0.5]
lost = sum(1 for r in rows if r[1] == "lost")
def pct(a, p):
    a = sorted(a)
    return a[min(len(a) - 1, int(len(a) * p))] if a else float("nan")
line = "%s,%d,%.0f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d" % (names, len(rows), reload_ms,
    pct(base, 0.5), pct(base, 0.999), max(base), pct(during, 0.5), pct(during, 0.999), max(during), lost)
with open(out, "w") as f:
    f.write("names,queries,reload_ms,base_p50_ms,base_p999_ms,base_max_ms,reload_p50_ms,reload_p999_ms,reload_max_ms,lost\n")
    f.write(line + "\n")
print("reload_stall: " + line)
EOF
e2e_finish
