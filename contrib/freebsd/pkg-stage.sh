#!/bin/sh
# Stage vpndns for a FreeBSD package and write the package manifest.
#
# usage: contrib/freebsd/pkg-stage.sh BUILDDIR STAGEDIR
#
# BUILDDIR  a built vpndns tree, configured for the package's prefix:
#               ./configure --prefix=/usr/local --sysconfdir=/usr/local/etc \
#                   [--with-unbound-tarball=unbound-1.26.0.tar.gz]
#               gmake
#           (the defaults of configure; Unbound's compiled-in paths, such
#           as /usr/local/etc/unbound, follow from them).  The script
#           checks both and stops if they differ.
# STAGEDIR  the staging root; created.  An existing STAGEDIR is emptied
#           only when it holds an earlier stage (a +MANIFEST); any other
#           non-empty directory is refused.
#
# What it does:
#   1. make install DESTDIR=STAGEDIR in BUILDDIR (Unbound's programs,
#      libunbound, Unbound's man pages, and whatever the vpndns Makefile
#      installs);
#   2. adds the rc.d script (etc/rc.d/vpndns), the vpndns man pages,
#      the example configurations as .sample files under etc/unbound/,
#      the documentation and the jail/pf/ipfw examples; moves Unbound's own
#      example unbound.conf to share/examples/vpndns/ and drops libtool
#      .la files;
#   3. writes STAGEDIR/+MANIFEST (JSON, which pkg reads as UCL): name,
#      version, origin dns/vpndns, comment, desc, maintainer, www, prefix,
#      deps, files with their SHA-256 ("1$<hex>", pkg's sha256_hex form;
#      for a symlink, the hash of its target, as pkg computes it) and the
#      install scripts (the unbound user and group, the .sample copies).
#
# deps are computed from the shared libraries the staged programs link:
# readelf gives each program's own NEEDED libraries (not those of its
# libraries), ldd where they are, and each library is mapped to the
# package that provides it.  On FreeBSD "pkg which" names the package of a library under
# /usr/local, and libraries of the base system (/lib, /usr/lib, such as
# the base OpenSSL) are no dependency.  Elsewhere (a trial stage on
# another system) the sonames are mapped by name: libssl/libcrypto ->
# openssl (security/openssl), libevent -> libevent (devel/libevent),
# libexpat -> expat (textproc/expat2), and a few more; the version is then
# the library's soname version.
#
# Then, on FreeBSD:
#   pkg create -M STAGEDIR/+MANIFEST -r STAGEDIR -o OUTDIR
#   pkg add OUTDIR/vpndns-VERSION.pkg
# and test/pkg/check-manifest.py STAGEDIR checks the manifest anywhere.
#
# Environment:
#   MAKE            make for BUILDDIR (default: gmake when found, else make)
#   LDD             ldd (default: ldd)
#   PKG_VERSION     package version (default: the version of BUILDDIR)
#   PKG_MAINTAINER  maintainer address (default: ports@FreeBSD.org, the
#                   ports convention for "no maintainer")
#   PKG_WWW         project web page (default: https://example.org/vpndns/,
#                   a placeholder)
set -eu

prefix=/usr/local

die() {
	echo "pkg-stage: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: pkg-stage.sh BUILDDIR STAGEDIR"
src=$(cd "$(dirname "$0")/../.." && pwd)
[ -d "$1" ] || die "$1: no such directory"
build=$(cd "$1" && pwd)
stage=$2
case $stage in
/*) ;;
*) stage=$(pwd)/$stage ;;
esac
stage=${stage%/}
case $stage in
""|"$build"|"$src"|"${HOME:-/}") die "refusing $2 as the staging directory" ;;
esac

[ -f "$build/Makefile" ] || die "$build: not a configured vpndns build (no Makefile)"

# mkvar NAME: a variable of BUILDDIR's Makefile, as written
mkvar() {
	sed -n "s/^$1 = //p" "$build/Makefile" | head -n 1
}
bprefix=$(mkvar prefix)
[ "$bprefix" = "$prefix" ] ||
	die "$build is configured with --prefix=$bprefix; the package needs --prefix=$prefix"
conffile=$(sed -n 's/^#define CONFIGFILE "\(.*\)"$/\1/p' "$build/unbound/config.h" 2>/dev/null || true)
[ "$conffile" = "$prefix/etc/unbound/unbound.conf" ] ||
	die "Unbound in $build uses '$conffile' as its configuration file; configure with --sysconfdir=$prefix/etc"

version=${PKG_VERSION:-$(mkvar PACKAGE_VERSION)}
ubversion=$(mkvar UNBOUND_VERSION)
[ -n "$version" ] || die "cannot tell the version of $build"
maintainer=${PKG_MAINTAINER:-ports@FreeBSD.org}
www=${PKG_WWW:-https://example.org/vpndns/}

if [ -z "${MAKE:-}" ]; then
	if command -v gmake >/dev/null 2>&1; then MAKE="gmake"; else MAKE="make"; fi
fi
LDD=${LDD:-ldd}

# sha256_stdin: hex SHA-256 of stdin
sha256_stdin() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum | cut -d' ' -f1
	else
		sha256 -q
	fi
}

## 1. make install -------------------------------------------------------------

if [ -d "$stage" ] && [ -n "$(ls -A "$stage")" ]; then
	[ -f "$stage/+MANIFEST" ] ||
		die "$stage is not empty and holds no earlier stage (+MANIFEST); not touching it"
	rm -rf "$stage"
fi
mkdir -p "$stage"

echo "pkg-stage: $MAKE -C $build install DESTDIR=$stage"
"$MAKE" -C "$build" install DESTDIR="$stage"

P=$stage$prefix
[ -x "$P/sbin/unbound" ] || die "make install put no $prefix/sbin/unbound in $stage"

## 2. the FreeBSD parts ----------------------------------------------------------

# put MODE SOURCE DEST: install one file, creating its directory
put() {
	mkdir -p "$(dirname "$3")"
	cp "$2" "$3"
	chmod "$1" "$3"
}

mkdir -p "$P/etc/rc.d"
sed "s|%%PREFIX%%|$prefix|g" "$src/contrib/freebsd/vpndns.in" > "$P/etc/rc.d/vpndns"
chmod 755 "$P/etc/rc.d/vpndns"

put 644 "$src/docs/man/vpndns.conf.5" "$P/share/man/man5/vpndns.conf.5"
put 644 "$src/docs/man/vpndns-control.8" "$P/share/man/man8/vpndns-control.8"

# Example configurations: copied to the real names by the post-install
# script when those don't exist yet, and removed on deinstall when unchanged.
put 644 "$src/conf/jail/vpndns-unbound.conf.example" "$P/etc/unbound/vpndns-unbound.conf.sample"
put 644 "$src/conf/vpndns.conf.example" "$P/etc/unbound/vpndns.conf.sample"

# Unbound's install adds its annotated example as etc/unbound/unbound.conf
# when none exists; in the package it is documentation, not a live file.
ex=$P/share/examples/vpndns
mkdir -p "$ex"
if [ -f "$P/etc/unbound/unbound.conf" ]; then
	mv "$P/etc/unbound/unbound.conf" "$ex/unbound.conf.full-example"
fi
for f in "$src/conf/jail/jail.conf.example" "$src/conf/jail/vpn-tunnel-dns.sh" \
	"$src"/conf/pf/* "$src"/conf/ipfw/*; do
	if [ -f "$f" ]; then put 644 "$f" "$ex/$(basename "$f")"; fi
done
put 755 "$src/contrib/migrate/vpndns-migrate.py" "$P/share/vpndns/vpndns-migrate.py"

doc=$P/share/doc/vpndns
put 644 "$src/README.md" "$doc/README.md"
for f in "$src"/docs/*.md; do
	if [ -f "$f" ]; then put 644 "$f" "$doc/$(basename "$f")"; fi
done

# libtool archives are not packaged (as in the ports tree), and FreeBSD's
# pkgconf looks for .pc files in libdata/pkgconfig
find "$stage" -name '*.la' -type f -exec rm -f {} +
if [ -d "$P/lib/pkgconfig" ]; then
	mkdir -p "$P/libdata"
	mv "$P/lib/pkgconfig" "$P/libdata/pkgconfig"
fi

## 3. the manifest ---------------------------------------------------------------

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# json_text: stdin as one JSON string; '%' written as %25 because pkg
# URL-decodes desc, message and scripts
json_text() {
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' -e 's/%/%25/g' |
		awk 'BEGIN { printf "\"" }
		{ printf "%s%s", (NR > 1 ? "\\n" : ""), $0 }
		END { printf "\"" }'
}

# is_elf FILE
is_elf() {
	[ "$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')" = 7f454c46 ]
}

# lib_pkg SONAME: "name origin" of the package of a library, by soname
lib_pkg() {
	case $1 in
	libssl.so*|libcrypto.so*) echo "openssl security/openssl" ;;
	libevent*.so*) echo "libevent devel/libevent" ;;
	libexpat.so*) echo "expat textproc/expat2" ;;
	libnghttp2.so*) echo "libnghttp2 www/libnghttp2" ;;
	libsodium.so*) echo "libsodium security/libsodium" ;;
	libhiredis.so*) echo "hiredis databases/hiredis" ;;
	libprotobuf-c.so*) echo "protobuf-c devel/protobuf-c" ;;
	libfstrm.so*) echo "fstrm devel/fstrm" ;;
	libmnl.so*) echo "libmnl net/libmnl" ;;
	esac
}

# soname_version libssl.so.30 -> 30; libevent-2.1.so.7 -> 7
soname_version() {
	v=${1##*.so.}
	if [ "$v" = "$1" ]; then v=0; fi
	echo "$v"
}

onfreebsd=no
if [ "$(uname -s)" = FreeBSD ]; then onfreebsd=yes; fi

: > "$tmp/deps"
: > "$tmp/libs"
# The libraries each program and library needs itself (its NEEDED
# entries, when readelf is there), located by ldd.
find "$P" -type f \( -path "$P/sbin/*" -o -path "$P/bin/*" -o -path "$P/lib/*" \) |
while read -r f; do
	is_elf "$f" || continue
	"$LDD" "$f" 2>/dev/null | awk '$2 == "=>" { print $1, $3 }' > "$tmp/ldd" || true
	if command -v readelf >/dev/null 2>&1; then
		readelf -d "$f" 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' > "$tmp/needed"
		awk 'NR == FNR { need[$1] = 1; next } need[$1]' \
			"$tmp/needed" "$tmp/ldd" >> "$tmp/libs"
	else
		cat "$tmp/ldd" >> "$tmp/libs"
	fi
done
LC_ALL=C sort -u "$tmp/libs" | while read -r soname path; do
	# provided by the package itself (libunbound)
	if [ -e "$P/lib/$soname" ]; then continue; fi
	dep=""
	if [ "$onfreebsd" = yes ]; then
		case $path in
		/lib/*|/usr/lib/*) continue ;;	# base system
		esac
		pkgnv=$(pkg which -q "$path" 2>/dev/null || true)
		if [ -n "$pkgnv" ]; then
			dep=$(pkg query '%n %o %v' "$pkgnv" 2>/dev/null || true)
		fi
		if [ -z "$dep" ]; then
			m=$(lib_pkg "$soname")
			if [ -n "$m" ]; then
				v=$(pkg query '%v' "${m%% *}" 2>/dev/null || true)
				dep="$m ${v:-$(soname_version "$soname")}"
			else
				echo "pkg-stage: warning: no package known for $soname ($path)" >&2
			fi
		fi
	else
		m=$(lib_pkg "$soname")
		if [ -n "$m" ]; then dep="$m $(soname_version "$soname")"; fi
	fi
	if [ -n "$dep" ]; then echo "$dep" >> "$tmp/deps"; fi
	echo "pkg-stage: linked $soname ($path) -> ${dep:-no dependency}"
done

# deps: one entry per package (the first version seen)
LC_ALL=C sort -u -k1,1 "$tmp/deps" | {
	sep=""
	while read -r n o v; do
		printf '%s\n    "%s": { "origin": "%s", "version": "%s" }' "$sep" "$n" "$o" "$v"
		sep=","
	done
} > "$tmp/deps.json"

# files: every regular file and symlink of the stage but the +files at
# its top
(cd "$stage" && find . \( -type f -o -type l \) ! -path './+*' | LC_ALL=C sort) > "$tmp/files"
{
	sep=""
	while read -r rel; do
		path=${rel#.}
		case $path in
		*[\"\\%]*) die "unsupported character in staged path $path" ;;
		esac
		if [ -L "$stage$path" ]; then
			target=$(readlink "$stage$path")
			case $target in
			/*) sum=$(printf '%s\000' "${target#/}" | sha256_stdin) ;;
			*) sum=$(printf '%s' "$target" | sha256_stdin) ;;
			esac
		else
			sum=$(sha256_stdin < "$stage$path")
		fi
		printf '%s\n    "%s": "1$%s"' "$sep" "$path" "$sum"
		sep=","
	done < "$tmp/files"
} > "$tmp/files.json"

# empty directories, if any, are listed so that pkg creates them
(cd "$stage" && find . -type d -empty ! -path . | LC_ALL=C sort) |
{
	sep=""
	while read -r rel; do
		printf '%s\n    "%s": "y"' "$sep" "${rel#.}"
		sep=","
	done
} > "$tmp/dirs.json"

cat > "$tmp/desc" <<EOF
vpndns is Unbound $ubversion with the vpndns module compiled in
(module-config: "vpndns iterator").  Each client's queries are resolved
through that client's own upstream, with its own cache: a client netblock
maps to a view with its own forwarders and its own message and rrset
caches, and "reflect" netblocks send each client's queries back to the
client's own address, as a FreeBSD-jail VPN core needs.  Forwarding fails
closed, an egress check allows only the view's forwarders, and a
blocklist, static records and TTL overrides apply per query.

The package installs Unbound's programs (unbound, unbound-control,
unbound-checkconf, unbound-anchor, unbound-host), libunbound, the rc.d
script "vpndns" (separate from the base system's local_unbound) and
example configurations under $prefix/etc/unbound/.
EOF

cat > "$tmp/pre-install" <<'EOF'
# The unbound user and group (uid/gid 59, as in the ports tree and the
# base system), created when missing.
PW=/usr/sbin/pw
if [ -n "${PKG_ROOTDIR}" ] && [ "${PKG_ROOTDIR}" != "/" ]; then
	PW="${PW} -R ${PKG_ROOTDIR}"
fi
if ! ${PW} groupshow unbound >/dev/null 2>&1; then
	echo "===> Creating group unbound"
	${PW} groupadd unbound -g 59 2>/dev/null || ${PW} groupadd unbound || exit 1
fi
if ! ${PW} usershow unbound >/dev/null 2>&1; then
	echo "===> Creating user unbound"
	${PW} useradd unbound -u 59 -g unbound -c "Unbound DNS Resolver" \
	    -d /var/empty -s /usr/sbin/nologin 2>/dev/null ||
	${PW} useradd unbound -g unbound -c "Unbound DNS Resolver" \
	    -d /var/empty -s /usr/sbin/nologin || exit 1
fi
EOF

cat > "$tmp/post-install" <<'EOF'
# Install the example configurations under their real names, unless the
# files exist already.
d="${PKG_ROOTDIR}${PKG_PREFIX:-/usr/local}/etc/unbound"
for f in vpndns-unbound.conf vpndns.conf; do
	if [ ! -e "$d/$f" ] && [ -f "$d/$f.sample" ]; then
		cp -p "$d/$f.sample" "$d/$f"
	fi
done
EOF

cat > "$tmp/pre-deinstall" <<'EOF'
# Remove the configurations that are still the unchanged examples.
d="${PKG_ROOTDIR}${PKG_PREFIX:-/usr/local}/etc/unbound"
for f in vpndns-unbound.conf vpndns.conf; do
	if [ -f "$d/$f" ] && cmp -s "$d/$f" "$d/$f.sample"; then
		rm -f "$d/$f"
	fi
done
EOF

cat > "$tmp/message" <<EOF
vpndns is installed as the rc.d service "vpndns":

  edit  $prefix/etc/unbound/vpndns-unbound.conf  (Unbound settings)
        $prefix/etc/unbound/vpndns.conf          (views, clients, policy)
  check unbound-checkconf $prefix/etc/unbound/vpndns-unbound.conf
  run   sysrc vpndns_enable=YES && service vpndns start

See vpndns.conf(5), vpndns-control(8) and
$prefix/share/doc/vpndns/deploy-freebsd-jail.md.
EOF

{
	printf '{\n'
	printf '  "name": "vpndns",\n'
	printf '  "version": "%s",\n' "$version"
	printf '  "origin": "dns/vpndns",\n'
	printf '  "comment": "Unbound with per-client forwarding views for a VPN core",\n'
	printf '  "desc": %s,\n' "$(json_text < "$tmp/desc")"
	printf '  "maintainer": "%s",\n' "$maintainer"
	printf '  "www": "%s",\n' "$www"
	printf '  "prefix": "%s",\n' "$prefix"
	printf '  "categories": ["dns"],\n'
	printf '  "licenselogic": "single",\n'
	printf '  "licenses": ["BSD3CLAUSE"],\n'
	printf '  "deps": {%s\n  },\n' "$(cat "$tmp/deps.json")"
	printf '  "files": {%s\n  },\n' "$(cat "$tmp/files.json")"
	if [ -s "$tmp/dirs.json" ]; then
		printf '  "directories": {%s\n  },\n' "$(cat "$tmp/dirs.json")"
	fi
	printf '  "scripts": {\n'
	printf '    "pre-install": %s,\n' "$(json_text < "$tmp/pre-install")"
	printf '    "post-install": %s,\n' "$(json_text < "$tmp/post-install")"
	printf '    "pre-deinstall": %s\n' "$(json_text < "$tmp/pre-deinstall")"
	printf '  },\n'
	printf '  "message": %s\n' "$(json_text < "$tmp/message")"
	printf '}\n'
} > "$stage/+MANIFEST"

nfiles=$(wc -l < "$tmp/files" | tr -d ' ')
echo "pkg-stage: staged vpndns $version (Unbound $ubversion) in $stage: $nfiles files"
echo "pkg-stage: deps: $(cut -d' ' -f1 "$tmp/deps" | LC_ALL=C sort -u | tr '\n' ' ')"
echo "pkg-stage: on FreeBSD: pkg create -M $stage/+MANIFEST -r $stage -o ."
