#!/bin/sh
# Print the vpndns patch series that applies to an Unbound tree, each
# patch with its header.  usage: show-diff.sh UNBOUND_TREE
set -eu
tree=${1:?usage: show-diff.sh UNBOUND_TREE}
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n "s/^PACKAGE_VERSION='\([0-9.]*\)'.*/\1/p" "$tree/configure" |
	head -n 1)
family=$(grep -v '^#' "$here/versions" | awk -v v="$version" \
	'$1 == v { print $2; exit }')
[ -n "$family" ] || { echo "show-diff: Unbound $version has no series" >&2; exit 1; }
echo "# vpndns patch series for Unbound $version: contrib/unbound/patches/$family"
for p in $(grep -v '^#' "$here/patches/$family/series"); do
	echo
	echo "#### $p"
	cat "$here/patches/$family/$p"
done
