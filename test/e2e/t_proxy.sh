#!/bin/bash
# PROXYv2: behind a proxy (proxy-protocol-port) the view is chosen from the
# proxied client address in the PROXYv2 header, not from the packet's real
# source. A client really at 127.0.0.10 (view A) claiming 127.0.0.11
# (view B) gets view B's answer and view A's forwarder sees nothing, over
# UDP and TCP; the reverse too; an unmapped claimed address is refused.

UB_PORT=5451
PROXY_PORT=5453
FAKE_PORT=5452
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpnlib.sh"

FA=127.0.0.2   # view A (client 127.0.0.10): 192.0.2.2
FB=127.0.0.3   # view B (client 127.0.0.11): 192.0.2.3

fake_start fa "$FA" "$FAKE_PORT" || exit 1
fake_start fb "$FB" "$FAKE_PORT" || exit 1

write_two_views_conf "$E2E_TMP/vpndns.conf"
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	interface: 127.0.0.1@$PROXY_PORT" \
	"	proxy-protocol-port: $PROXY_PORT"
unbound_start "$E2E_TMP/ub.conf" || exit 1

# pp REAL_SRC CLAIMED_SRC NAME [dnsq options]: query via the proxy port
pp() {
	local real=$1 claimed=$2 name=$3
	shift 3
	"$E2E_PYTHON" "$DNSQ" --port "$PROXY_PORT" --src "$real" \
		--proxy-src "$claimed#41000" "$@" "$name"
}
both() { echo "$(r_status "$1") $(r_ans "$1")"; }

## control: without a proxy the real source decides ---------------------------

assert_eq "no proxy: 127.0.0.10 gets view A" 192.0.2.2 "$(q 127.0.0.10 direct.example.com)"
assert_eq "no proxy: 127.0.0.11 gets view B" 192.0.2.3 "$(q 127.0.0.11 direct.example.com)"

## UDP with PROXYv2 ---------------------------------------------------------------

out=$(pp 127.0.0.10 127.0.0.11 udp.example.com)
assert_eq "PROXYv2 UDP: real .10 claiming .11 gets view B's answer" "NOERROR 192.0.2.3" "$(both "$out")"
assert_eq "PROXYv2 UDP: reply ID matches" ok "$(r_id "$out")"
assert_eq "PROXYv2 UDP: view B's fake asked" 1 "$(fake_log_count fb ' udp\.example\.com\. ')"
assert_eq "PROXYv2 UDP: view A's fake asked nothing" 0 "$(fake_log_count fa ' udp\.example\.com\. ')"

out=$(pp 127.0.0.11 127.0.0.10 rev.example.com)
assert_eq "PROXYv2 UDP: real .11 claiming .10 gets view A's answer" "NOERROR 192.0.2.2" "$(both "$out")"
assert_eq "PROXYv2 UDP reverse: only view A's fake asked" "1 0" \
	"$(fake_log_count fa ' rev\.example\.com\. ') $(fake_log_count fb ' rev\.example\.com\. ')"

out=$(pp 127.0.0.10 127.0.1.1 unmapped.example.com)
assert_eq "PROXYv2 UDP: mapped real source claiming unmapped .1.1 is REFUSED (EDE 18)" \
	"REFUSED ede=18" "$(r_status "$out") ede=$(r_ede "$out")"
out=$(pp 127.0.1.1 127.0.0.11 mapped.example.com)
assert_eq "PROXYv2 UDP: unmapped real source claiming .11 gets view B" "NOERROR 192.0.2.3" "$(both "$out")"
assert_eq "PROXYv2 UDP: unmapped/mapped: view A's fake asked nothing" 0 \
	"$(fake_log_count fa 'unmapped\.example|mapped\.example')"

# cached: the repeat comes from view B's cache, still B's answer
out=$(pp 127.0.0.10 127.0.0.11 udp.example.com)
assert_eq "PROXYv2 UDP cached: view B's answer" "NOERROR 192.0.2.3" "$(both "$out")"
assert_eq "PROXYv2 UDP cached: no upstream query" "0 1" \
	"$(fake_log_count fa ' udp\.example\.com\. ') $(fake_log_count fb ' udp\.example\.com\. ')"

## TCP with PROXYv2 ---------------------------------------------------------------

out=$(pp 127.0.0.10 127.0.0.11 tcp.example.com --tcp)
assert_eq "PROXYv2 TCP: real .10 claiming .11 gets view B's answer" "NOERROR 192.0.2.3" "$(both "$out")"
assert_eq "PROXYv2 TCP: reply ID matches" ok "$(r_id "$out")"
assert_eq "PROXYv2 TCP: only view B's fake asked" "0 1" \
	"$(fake_log_count fa ' tcp\.example\.com\. ') $(fake_log_count fb ' tcp\.example\.com\. ')"
out=$(pp 127.0.0.11 127.0.0.10 tcprev.example.com --tcp)
assert_eq "PROXYv2 TCP: real .11 claiming .10 gets view A's answer" "NOERROR 192.0.2.2" "$(both "$out")"
assert_eq "PROXYv2 TCP reverse: only view A's fake asked" "1 0" \
	"$(fake_log_count fa ' tcprev\.example\.com\. ') $(fake_log_count fb ' tcprev\.example\.com\. ')"

## no header on the proxy port: dropped --------------------------------------------

out=$("$E2E_PYTHON" "$DNSQ" --port "$PROXY_PORT" --src 127.0.0.10 --timeout 1 noheader.example.com)
assert_eq "proxy port without PROXYv2 header: no reply" NOREPLY "$(r_status "$out")"
assert_eq "proxy port without header: no upstream query" "0 0" \
	"$(fake_log_count fa noheader) $(fake_log_count fb noheader)"

e2e_finish
