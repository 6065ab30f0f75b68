#!/bin/sh
# Show the changes integrate.sh made to an Unbound tree, as a diff against
# a fresh copy of the same source.  usage: show-diff.sh UNBOUND_TREE
set -eu
tree=${1:?usage: show-diff.sh UNBOUND_TREE}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$here/get-source.sh" "$tmp/orig" ${VPNDNS_UNBOUND_SRC:+--src "$VPNDNS_UNBOUND_SRC"} >/dev/null
for f in services/modstack.c util/fptr_wlist.c util/config_file.h \
	util/config_file.c util/configlexer.lex util/configparser.y \
	smallapp/unbound-checkconf.c daemon/remote.c daemon/worker.c \
	services/outside_network.c testcode/fake_event.c services/mesh.c \
	services/mesh.h validator/validator.c Makefile.in; do
	diff -u "$tmp/orig/$f" "$tree/$f" | sed -e "s|$tmp/orig/|a/|" -e "s|$tree/|b/|" || true
done
