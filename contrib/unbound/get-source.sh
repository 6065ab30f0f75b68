#!/bin/sh
# Put an Unbound source tree at DEST, checked and ready for integration.
#
# usage: get-source.sh DEST [--src DIR] [--tarball FILE]
#
# The source comes from, in this order:
#   1. --src DIR: a tree the user names (copied, never modified);
#   2. --tarball FILE: a release tarball, checked against the SHA-256
#      pinned in contrib/unbound/versions;
#   3. on Debian: apt-get source unbound, which applies Debian's security
#      patches (a deb-src entry mirroring the deb one is added if missing).
# The version must be listed in contrib/unbound/versions.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: get-source.sh DEST [--src DIR] [--tarball FILE]}
shift
src=""
tarball=""
while [ $# -gt 0 ]; do
	case "$1" in
	--src) src=$2; shift 2 ;;
	--tarball) tarball=$2; shift 2 ;;
	*) echo "get-source.sh: unknown option $1" >&2; exit 1 ;;
	esac
done

die() {
	echo "vpndns: $*" >&2
	exit 1
}

# tree_version DIR: the Unbound version a source tree declares
tree_version() {
	sed -n "s/^PACKAGE_VERSION='\\([0-9.]*\\)'.*/\\1/p" \
		"$1/configure" 2>/dev/null | head -n 1
}

check_supported() {
	v=$1
	[ -n "$v" ] || die "cannot tell the Unbound version of the source"
	grep -q "^$v " "$here/versions" || die "Unbound $v is not supported; \
supported versions: $(grep -v '^#' "$here/versions" | cut -d' ' -f1 | sort -u | tr '\n' ' ')"
}

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		sha256 -q "$1"
	fi
}

from_tarball() {
	sum=$(sha256 "$1")
	line=$(grep -v '^#' "$here/versions" | grep " $sum\( \|\$\)" || true)
	[ -n "$line" ] || die "$1: SHA-256 $sum matches no supported \
release in contrib/unbound/versions"
	tmp=$(mktemp -d)
	tar -xzf "$1" -C "$tmp"
	mv "$tmp"/unbound-* "$dest"
	rmdir "$tmp"
}

ensure_deb_src() {
	if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1 &&
		! grep -qs 'deb-src' /etc/apt/sources.list.d/*.sources \
			/etc/apt/sources.list; then
		sed -e 's/^Types: deb$/Types: deb-src/' \
			/etc/apt/sources.list.d/debian.sources \
			> /etc/apt/sources.list.d/vpndns-deb-src.sources
		apt-get update -qq
	elif [ -f /etc/apt/sources.list ] && ! grep -qs '^deb-src' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
			> /etc/apt/sources.list.d/vpndns-deb-src.list
		apt-get update -qq
	fi
}

from_apt() {
	command -v apt-get >/dev/null 2>&1 || die "no Unbound source: give \
--with-unbound-src=DIR or --with-unbound-tarball=FILE"
	command -v dpkg-source >/dev/null 2>&1 || apt-get install -y -qq dpkg-dev
	ensure_deb_src
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get source -qq unbound >/dev/null) || {
		apt-get update -qq
		(cd "$tmp" && apt-get source -qq unbound >/dev/null)
	} || die "apt-get source unbound failed"
	mv "$tmp"/unbound-[0-9]* "$dest"
	rm -rf "$tmp"
}

rm -rf "$dest"
if [ -n "$src" ]; then
	[ -f "$src/services/modstack.c" ] || die "$src is not an Unbound source tree"
	cp -R "$src" "$dest"
	rm -rf "$dest/vpndns" "$dest/.vpndns-integrated"
elif [ -n "$tarball" ]; then
	from_tarball "$tarball"
else
	from_apt
fi
check_supported "$(tree_version "$dest")"
echo "vpndns: Unbound $(tree_version "$dest") source in $dest"
