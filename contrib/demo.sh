#!/bin/sh
# The vpndns demo: two fake upstreams, one resolver, on loopback.
# With VPNDNS_DEMO_SELFTEST=1 it runs the dig lines itself and exits.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VPNDNS_BUILDDIR:-$top}
dir=$(mktemp -d /tmp/vpndns-demo.XXXXXX)
pids=""

stop() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 0' INT TERM

fake() { # name addr a-record
	/usr/bin/python3 "$top/test/e2e/fakedns.py" --name "$1" --addr "$2" \
		--port 5301 --a "$3" --log "$dir/$1.log" --pidfile "$dir/$1.pid" &
	pids="$pids $!"
}
fake vpn-a 127.0.0.2 198.51.100.1
fake vpn-b 127.0.0.3 203.0.113.1
fake container 127.0.0.20 192.0.2.20
sed "s|@DIR@|$dir|g" "$top/conf/demo/unbound.conf" > "$dir/unbound.conf"
cp "$top/conf/demo/vpndns.conf" "$dir/vpndns.conf"
"$build/unbound/unbound-checkconf" "$dir/unbound.conf"
"$build/unbound/unbound" -d -c "$dir/unbound.conf" > "$dir/unbound.log" 2>&1 &
pids="$pids $!"
i=0
until dig +time=1 +tries=1 @127.0.0.1 -p 5353 id.server CH TXT >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 20 ] || { cat "$dir/unbound.log"; exit 1; }
	sleep 0.5
done

cat <<EOT
vpndns demo resolver on 127.0.0.1 port 5353 (logs in $dir)
Same name, different client, different answer:
  dig +short -b 127.0.0.10 @127.0.0.1 -p 5353 www.example.com   # vpn-a: 198.51.100.1
  dig +short -b 127.0.0.11 @127.0.0.1 -p 5353 www.example.com   # vpn-b: 203.0.113.1
  dig +short -b 127.0.0.20 @127.0.0.1 -p 5353 www.example.com   # reflected: 192.0.2.20
  dig -b 127.0.0.99 @127.0.0.1 -p 5353 www.example.com          # unmapped: REFUSED, EDE 18
  unbound-control -c $dir/unbound.conf vpndns_list
EOT
if [ "${VPNDNS_DEMO_SELFTEST:-0}" = 1 ]; then
	for c in 127.0.0.10 127.0.0.11 127.0.0.20; do
		printf '%s -> %s\n' "$c" "$(dig +short -b $c @127.0.0.1 -p 5353 www.example.com)"
	done
	exit 0
fi
echo "Press Ctrl-C to stop."
while :; do sleep 3600; done
