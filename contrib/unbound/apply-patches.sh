#!/bin/sh
# Apply the vpndns patch series to an Unbound source tree.
#
# usage: apply-patches.sh UNBOUND_TREE MODULE_DIR
#
# The series is chosen by the tree's version (contrib/unbound/versions
# names the family: patches/<family>/series).  Every patch must apply with
# zero fuzz: a release that moved the code around a hunk stops here with
# the patch's name, instead of building something half-integrated.  The
# script then writes what the patches refer to:
#   vpndns            a link to the module's sources;
#   vpndns.mk         the module's objects and compile rules (Makefile.in
#                     includes it), from the module's *.c files;
#   vpndns-unbound.h  VPNDNS_UNBOUND_VERSION, for module/compat.h.
set -eu

tree=${1:?usage: apply-patches.sh UNBOUND_TREE MODULE_DIR}
moddir=${2:?usage: apply-patches.sh UNBOUND_TREE MODULE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
stamp="$tree/.vpndns-integrated"

die() {
	echo "vpndns apply-patches: $*" >&2
	exit 1
}

[ -f "$tree/services/modstack.c" ] || die "$tree is not an Unbound source tree"
if [ -f "$stamp" ]; then
	echo "vpndns apply-patches: $tree already patched"
	exit 0
fi
version=$(sed -n "s/^PACKAGE_VERSION='\([0-9.]*\)'.*/\1/p" "$tree/configure" |
	head -n 1)
family=$(grep -v '^#' "$here/versions" | awk -v v="$version" \
	'$1 == v { print $2; exit }')
[ -n "$family" ] || die "Unbound $version is not supported; supported \
versions: $(grep -v '^#' "$here/versions" | cut -d' ' -f1 | sort -u | tr '\n' ' ')"
pdir="$here/patches/$family"
[ -f "$pdir/series" ] || die "no patch series in $pdir"

# GNU patch keeps .orig files of hunks applied at an offset unless told not
# to; BSD patch has no such option and keeps none
popt="-p1 -F0 -N -s"
if patch --version 2>/dev/null | grep -q GNU; then
	popt="$popt --no-backup-if-mismatch"
fi
for p in $(grep -v '^#' "$pdir/series"); do
	[ -f "$pdir/$p" ] || die "$pdir/series names $p, which is missing"
	# shellcheck disable=SC2086
	patch -d "$tree" $popt --dry-run < "$pdir/$p" >/dev/null 2>&1 ||
		die "$p does not apply to Unbound $version with zero fuzz \
(patch -d $tree -p1 -F0 --dry-run < $pdir/$p shows where)"
	# shellcheck disable=SC2086
	patch -d "$tree" $popt < "$pdir/$p" || die "$p failed"
done

# the module sources are reached as vpndns/ inside the tree
rm -rf "$tree/vpndns"
ln -s "$(cd "$moddir" && pwd)" "$tree/vpndns"

srcs=$(cd "$moddir" && ls ./*.c | sed 's|^\./||' | LC_ALL=C sort)
{
	echo "# vpndns module objects, written by apply-patches.sh from the"
	echo "# module's sources.  Makefile.in reads this before its first rule,"
	echo "# so \"all\" is named here to stay the default goal."
	echo "all:"
	printf 'VPNDNS_OBJ='
	for s in $srcs; do printf '%s ' "vpndns-${s%.c}.lo"; done
	echo
	for s in $srcs; do
		o="vpndns-${s%.c}"
		# the first prerequisite is what Unbound's object rule compiles
		printf '%s.lo %s.o: $(srcdir)/vpndns/%s config.h $(srcdir)/vpndns/*.h\n' \
			"$o" "$o" "$s"
	done
} > "$tree/vpndns.mk"

num=$(echo "$version" | awk -F. '{ printf "%d", $1*10000 + $2*100 + $3 }')
{
	echo "/* Written by vpndns's apply-patches.sh: the Unbound release of"
	echo " * this tree, for vpndns/compat.h. */"
	echo "#define VPNDNS_UNBOUND_VERSION $num"
} > "$tree/vpndns-unbound.h"

# regenerate the lexer and the parser from the edited grammar
rm -f "$tree/util/configlexer.c" "$tree/util/configparser.c" \
	"$tree/util/configparser.h"
touch "$stamp"
echo "vpndns apply-patches: Unbound $version, series $family applied ($tree)"
