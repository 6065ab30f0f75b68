#!/bin/sh
# Set up everything vpndns needs on Debian 12, build it, then run the demo
# resolver or the whole test suite (on Debian's Unbound 1.17.1, then on
# 1.26.0 when its tarball is at ../shared/unbound/, see
# test/run-releases.sh).
#
# usage: contrib/vpndns-debian.sh demo|test|build
set -eu
cmd=${1:-test}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

deps="build-essential autoconf automake libtool pkg-config flex bison
libssl-dev libevent-dev libexpat1-dev libldns-dev ldnsutils bind9-dnsutils
check dnsperf python3 python3-dnspython python3-yaml dpkg-dev iproute2
procps dnsdist mandoc clang libclang-rt-14-dev valgrind curl prometheus
python3-matplotlib"

missing=""
for p in $deps; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "vpndns: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	[ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ ! -d unbound ]; then
	./configure ${VPNDNS_CONFIGURE_ARGS:-}
fi
make -j"$(nproc 2>/dev/null || echo 2)"

case "$cmd" in
demo) exec sh "$top/contrib/demo.sh" ;;
test) exec bash "$top/test/run-releases.sh" ;;
build) ;;
*) echo "usage: $0 demo|test|build" >&2; exit 1 ;;
esac
