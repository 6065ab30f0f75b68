#!/bin/sh
# Regenerate the diffs of a patch family from a pristine Unbound tree and
# a worked one (the pristine tree with the family's changes made by hand),
# keeping each patch's header and its list of files.
#
# usage: refresh-patches.sh FAMILY PRISTINE_TREE WORKED_TREE
#
# A patch's header is everything before its first "--- a/" line; its files
# are the "+++ b/" names of its hunks.  After a refresh,
# apply-patches.sh on a fresh copy of PRISTINE_TREE must give WORKED_TREE's
# files back; "git diff contrib/unbound/patches" shows what moved.
set -eu
family=${1:?usage: refresh-patches.sh FAMILY PRISTINE_TREE WORKED_TREE}
a=${2:?usage: refresh-patches.sh FAMILY PRISTINE_TREE WORKED_TREE}
b=${3:?usage: refresh-patches.sh FAMILY PRISTINE_TREE WORKED_TREE}
pdir="$(cd "$(dirname "$0")" && pwd)/patches/$family"
[ -f "$pdir/series" ] || { echo "refresh-patches: no series in $pdir" >&2; exit 1; }

for p in $(grep -v '^#' "$pdir/series"); do
	f="$pdir/$p"
	tmp="$f.new"
	sed -n '/^--- a\//q;p' "$f" > "$tmp"
	for file in $(sed -n 's|^+++ b/\([^	 ]*\).*|\1|p' "$f"); do
		# diff exits 1 when the files differ, which is the point
		diff -u --label "a/$file" --label "b/$file" "$a/$file" \
			"$b/$file" >> "$tmp" || [ $? -eq 1 ]
	done
	if ! grep -q '^+++ b/' "$tmp"; then
		echo "refresh-patches: $p has no changes left in $b" >&2
		rm -f "$tmp"
		exit 1
	fi
	mv "$tmp" "$f"
	echo "refreshed $p"
done
