#!/usr/bin/env bash
# Forwarders over TLS: a view whose forwarder is addr@port#auth-name is
# resolved over DNS-over-TLS, checked against Unbound's tls-cert-bundle,
# and a forwarder whose certificate doesn't match the name gets nothing
# in plain text and fails closed.
. "$(dirname "$0")/vpnlib.sh"

UB_PORT=5500
FP=5501
TP=5502
T=127.0.5.10         # client of the TLS view
W=127.0.5.11         # client of the view with the wrong auth name

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dns.example" \
	-addext "subjectAltName=DNS:dns.example" -keyout "$E2E_TMP/key.pem" \
	-out "$E2E_TMP/cert.pem" >/dev/null 2>&1
fake_start tls 127.0.5.2 "$FP" --tls-port "$TP" --tls-cert "$E2E_TMP/cert.pem" \
	--tls-key "$E2E_TMP/key.pem"
# the same certificate on another address, for the view that names the
# wrong host: Unbound keeps per-address state (and TLS connections) for
# all views, so that view must not share the address
fake_start tls2 127.0.5.3 "$FP" --tls-port "$TP" --tls-cert "$E2E_TMP/cert.pem" \
	--tls-key "$E2E_TMP/key.pem"
cat > "$E2E_TMP/vpndns.conf" <<EOF2
view: dot 127.0.5.2@$TP#dns.example
client: $T/32 dot
view: wrong 127.0.5.3@$TP#other.example
client: $W/32 wrong
EOF2
write_vpndns_unbound_conf "$E2E_TMP/ub.conf" "$E2E_TMP/vpndns.conf" \
	"	tls-cert-bundle: \"$E2E_TMP/cert.pem\"" \
	'	infra-cache-max-rtt: 400'
unbound_start "$E2E_TMP/ub.conf" || { e2e_finish; exit 1; }

# the view with the wrong name asks first, so no TLS connection exists
# that it could reuse
out=$(qfull $W www.example.com)
assert_match "wrong auth name: SERVFAIL" "status: SERVFAIL" "$out"
assert_match "wrong auth name: EDE 22" "EDE: 22" "$out"
assert_eq "wrong auth name: no query reached the forwarder" 0 "$(fake_log_count tls2 ' www\.example\.com\. ')"

assert_eq "answer over TLS" "192.0.2.2" "$(q $T www.example.com)"
assert_eq "the forwarder saw it over TLS" 1 "$(fake_log_count tls '^[0-9.]+ tls .* www\.example\.com\. ')"
assert_eq "nothing in plain text" 0 "$(fake_log_count tls '^[0-9.]+ (udp|tcp) ')"
assert_eq "wrong view's forwarder still saw nothing" 0 "$(fake_log_count tls2 ' www\.example\.com\. ')"

# the same forwarder address under two TLS names is refused at load
cat > "$E2E_TMP/bad.conf" <<EOF2
view: x 127.0.5.2@$TP#dns.example
view: y 127.0.5.2@$TP#other.example
EOF2
sed "s|$E2E_TMP/vpndns.conf|$E2E_TMP/bad.conf|" "$E2E_TMP/ub.conf" > "$E2E_TMP/ub-bad.conf"
out=$("$UNBOUND_CHECKCONF" "$E2E_TMP/ub-bad.conf" 2>&1)
assert_match "one address, two TLS names: rejected with line" "bad.conf:2: .*127\.0\.5\.2@$TP#other\.example" "$out"

e2e_finish
