#!/bin/sh
# Integrate vpndns into an Unbound source tree.
#
# usage: integrate.sh UNBOUND_TREE MODULE_DIR
#
# Every change is an insertion at an anchor line that has been stable across
# Unbound releases.  An anchor must occur exactly once in its file, otherwise
# the integration stops with a message naming the file and the anchor, so an
# Unbound release that moved code fails loudly instead of building something
# half-integrated.  Object lists are injected with sed, never by context diff.
set -eu

tree=${1:?usage: integrate.sh UNBOUND_TREE MODULE_DIR}
moddir=${2:?usage: integrate.sh UNBOUND_TREE MODULE_DIR}
stamp="$tree/.vpndns-integrated"

die() {
	echo "vpndns integrate: $*" >&2
	exit 1
}

[ -f "$tree/services/modstack.c" ] || die "$tree is not an Unbound source tree"
if [ -f "$stamp" ]; then
	echo "vpndns integrate: $tree already integrated"
	exit 0
fi

# ins FILE before|after ANCHOR TEXT: insert TEXT (awk escapes: \n \t) next
# to the single line containing the fixed string ANCHOR.
ins() {
	f="$tree/$1"
	n=$(grep -cF -- "$3" "$f" || true)
	[ "$n" = 1 ] || die "$1: anchor '$3' found $n times, need exactly 1"
	awk -v a="$3" -v w="$2" -v t="$4" '
		index($0, a) { if(w == "before") print t; print;
			if(w == "after") print t; next }
		{ print }' "$f" > "$f.vpndns.tmp"
	mv "$f.vpndns.tmp" "$f"
}

# sub FILE SED-EXPR LITERAL: apply a one-line sed substitution to the line
# starting with LITERAL, which must exist exactly once.
sub() {
	f="$tree/$1"
	n=$(grep -c -- "^$3" "$f" || true)
	[ "$n" = 1 ] || die "$1: line '$3' found $n times, need exactly 1"
	sed -e "$2" "$f" > "$f.vpndns.tmp"
	mv "$f.vpndns.tmp" "$f"
}

inc='#ifdef USE_VPNDNS\n#include "vpndns/vpndns.h"\n#endif'

# --- module stack: name and function block, matched by position ---
ins services/modstack.c after '#include "services/modstack.h"' "$inc"
ins services/modstack.c before '"respip",' '#ifdef USE_VPNDNS\n\t\t"vpndns",\n#endif'
ins services/modstack.c before '&respip_get_funcblock,' \
	'#ifdef USE_VPNDNS\n\t\t&vpndns_get_funcblock,\n#endif'

# --- function pointer whitelist: module functions and callbacks ---
ins util/fptr_wlist.c after '#include "util/fptr_wlist.h"' "$inc"
for fn in init deinit operate inform_super clear get_mem; do
	ins util/fptr_wlist.c after "if(fptr == &iter_$fn) return 1;" \
		"#ifdef USE_VPNDNS\n\telse if(fptr == &vpndns_$fn) return 1;\n#endif"
done
ins util/fptr_wlist.c after '} else if(type == inplace_cb_reply_servfail) {' \
	'#ifdef USE_VPNDNS\n\t\tif(fptr == &vpndns_servfail_cb) return 1;\n#endif'

# --- config: one option, vpndns-config: <file>, in the server clause ---
ins util/config_file.h after '	char* module_conf;' \
	'\t/** vpndns module configuration file */\n\tchar* vpndns_config;'
ins util/config_file.c after '	free(cfg->module_conf);' '\tfree(cfg->vpndns_config);'
ins util/configlexer.lex before 'num-threads{COLON}' \
	'vpndns-config{COLON}\t\t{ YDVAR(1, VAR_VPNDNS_CONFIG) }'
ins util/configparser.y before '%token VAR_FORCE_TOPLEVEL' '%token VAR_VPNDNS_CONFIG'
sub util/configparser.y \
	's/^content_server: server_num_threads |/content_server: server_vpndns_config | server_num_threads |/' \
	'content_server: server_num_threads |'
ins util/configparser.y before 'server_num_threads: VAR_NUM_THREADS STRING_ARG' \
	'server_vpndns_config: VAR_VPNDNS_CONFIG STRING_ARG\n\t{\n\t\tOUTYY(("P(server_vpndns_config:%s)\\n", $2));\n\t\tfree(cfg_parser->cfg->vpndns_config);\n\t\tcfg_parser->cfg->vpndns_config = $2;\n\t}\n\t;'

# --- unbound-checkconf: known orderings and the module own validation ---
ins smallapp/unbound-checkconf.c after '#include "util/config_file.h"' "$inc"
ins smallapp/unbound-checkconf.c before '/* Respip is known to *not* work with dns64. */' \
	'#ifdef USE_VPNDNS\n\tif(vpndns_module_conf_known(cfg->module_conf)) {\n\t\t/* an ordering vpndns supports */\n\t} else\n#endif'
ins smallapp/unbound-checkconf.c after 'check_mod(cfg, val_get_funcblock());' \
	'#ifdef USE_VPNDNS\n\tif(strstr(cfg->module_conf, "vpndns"))\n\t\tcheck_mod(cfg, vpndns_get_funcblock());\n#endif'

# --- unbound-control: vpndns_* commands are answered by the module ---
ins daemon/remote.c after '#include "daemon/remote.h"' "$inc"
ins daemon/remote.c before '/* compare command */' \
	'#ifdef USE_VPNDNS\n\t/* vpndns_ is a prefix here, not a whole command word */\n\tif(strncmp(p, "vpndns_", 7) == 0) {\n\t\tchar* vpndns_out = vpndns_remote_cmd(worker ? &worker->env : NULL, p);\n\t\t/* ssl_printf cuts at 1024 bytes; the output can be longer */\n\t\t(void)ssl_print_text(ssl, vpndns_out ? vpndns_out : "error out of memory\\n");\n\t\tfree(vpndns_out);\n\t\treturn;\n\t}\n#endif'

# --- unbound-control stats: vpndns lines after the totals ---
ins daemon/remote.c before 'if(!print_uptime(ssl, worker, reset))' \
	'#ifdef USE_VPNDNS\n\t{\n\t\tchar* vpndns_stats = vpndns_stats_text(&worker->env, reset);\n\t\tif(vpndns_stats && !ssl_print_text(ssl, vpndns_stats)) {\n\t\t\tfree(vpndns_stats);\n\t\t\treturn;\n\t\t}\n\t\tfree(vpndns_stats);\n\t}\n#endif'

# --- worker: the front hook replaces the global cache stage ---
ins daemon/worker.c after '#include "daemon/worker.h"' "$inc"
ins daemon/worker.c before 'lookup_cache:' \
	'#ifdef USE_VPNDNS\n\tswitch(vpndns_worker_front(&worker->env, &qinfo, &edns, repinfo,\n\t\tc->buffer, worker->scratchpad)) {\n\tcase vpndns_front_reply:\n\t\tregional_free_all(worker->scratchpad);\n\t\tgoto send_reply;\n\tcase vpndns_front_sent:\n\t\tregional_free_all(worker->scratchpad);\n\t\trc = 0;\n\t\tgoto send_reply_rc;\n\tcase vpndns_front_drop:\n\t\tregional_free_all(worker->scratchpad);\n\t\tcomm_point_drop_reply(repinfo);\n\t\treturn 0;\n\tcase vpndns_front_mesh:\n\t\tsldns_buffer_rewind(c->buffer);\n\t\tgoto vpndns_mesh;\n\tdefault:\n\t\tbreak;\n\t}\n#endif'
ins daemon/worker.c before 'server_stats_querymiss(&worker->stats, worker);' \
	'#ifdef USE_VPNDNS\nvpndns_mesh:\n#endif'

# --- mesh: subqueries of different views are never merged ---
# A state created for a subquery carries an isolation tag (vpndns: the
# querying view's environment); lookups for subqueries and cycles match
# only states with the same tag.  Without vpndns the tag is always NULL
# and the mesh behaves as before.
ins services/mesh.h after '	struct module_qstate s;' \
	'#ifdef USE_VPNDNS\n\t/** isolation tag: states with different tags are never merged */\n\tvoid* isolate;\n#endif'
ins services/mesh.h after '	struct module_env* env;' \
	'#ifdef USE_VPNDNS\n\t/** isolation tag for the next lookup and the state it creates */\n\tvoid* find_isolate;\n#endif'
ins services/mesh.c after '#include "services/mesh.h"' "$inc"
ins services/mesh.c before 'cmp = query_info_compare(&a->s.qinfo, &b->s.qinfo);' \
	'#ifdef USE_VPNDNS\n\tif(a->isolate != b->isolate)\n\t\treturn a->isolate < b->isolate ? -1 : 1;\n#endif'
ins services/mesh.c after '	key.s.client_info = cinfo;' \
	'#ifdef USE_VPNDNS\n\tkey.isolate = mesh->find_isolate;\n#endif'
ins services/mesh.c after '	mstate->s.env = env;' \
	'#ifdef USE_VPNDNS\n\tmstate->isolate = env->mesh ? env->mesh->find_isolate : NULL;\n#endif'
ins services/mesh.c before '	*sub = mesh_area_find(mesh, NULL, qinfo, qflags,' \
	'#ifdef USE_VPNDNS\n\tmesh->find_isolate = vpndns_mesh_isolate(qstate);\n#endif'
ins services/mesh.c before '	dep_m = mesh_area_find(mesh, NULL, qinfo, flags, prime, valrec);' \
	'#ifdef USE_VPNDNS\n\tmesh->find_isolate = vpndns_mesh_isolate(qstate);\n#endif'

# --- validator: keys from the query's environment (a view's key cache) ---
# In stock Unbound env->key_cache is the validator's own cache, so this
# changes nothing without vpndns.
sed -e 's/key_cache_obtain(ve->kcache,/key_cache_obtain(qstate->env->key_cache,/' \
	-e 's/key_cache_insert(ve->kcache,/key_cache_insert(qstate->env->key_cache,/' \
	"$tree/validator/validator.c" > "$tree/validator/validator.c.vpndns.tmp"
n=$(grep -c 'key_cache_\(obtain\|insert\)(qstate->env->key_cache,' \
	"$tree/validator/validator.c.vpndns.tmp" || true)
[ "$n" -ge 2 ] || die "validator/validator.c: key cache calls not found"
mv "$tree/validator/validator.c.vpndns.tmp" "$tree/validator/validator.c"

# --- egress veto: a send that the module does not allow is cancelled ---
veto='#ifdef USE_VPNDNS\n\tif(!vpndns_egress_allowed(env, qinfo, addr, addrlen, zone, zonelen,\n\t\tqstate)) {\n\t\tVPNDNS_VETO_CLEANUP;\n\t\treturn NULL;\n\t}\n#endif'
ins services/outside_network.c after '#include "services/outside_network.h"' "$inc"
ins services/outside_network.c before 'if(!inplace_cb_query_call(env, qinfo, flags, addr, addrlen, zone,' \
	"$(printf '%s' "$veto" | sed 's/VPNDNS_VETO_CLEANUP/alloc_reg_release(env->alloc, region)/')"
ins testcode/fake_event.c after '#include "testcode/fake_event.h"' "$inc"
ins testcode/fake_event.c before 'if(!inplace_cb_query_call(env, qinfo, flags, addr, addrlen,' \
	"$(printf '%s' "$veto" | sed 's/VPNDNS_VETO_CLEANUP/sldns_buffer_free(pend->buffer); free(pend)/')"

# --- build: module objects join the common object list ---
srcs=$(cd "$moddir" && ls *.c | LC_ALL=C sort)
objs=$(for s in $srcs; do printf '%s ' "vpndns-${s%.c}.lo"; done)
ins Makefile.in before 'COMMON_OBJ_WITHOUT_NETCALL=' "VPNDNS_OBJ=$objs"
sub Makefile.in 's/^COMMON_OBJ_WITHOUT_NETCALL=/COMMON_OBJ_WITHOUT_NETCALL=$(VPNDNS_OBJ) /' \
	'COMMON_OBJ_WITHOUT_NETCALL='
{
	echo ""
	echo "# vpndns module objects"
	for s in $srcs; do
		o="vpndns-${s%.c}"
		# the first prerequisite is what Unbound's object rule compiles
		printf '%s.lo %s.o: $(srcdir)/vpndns/%s config.h $(srcdir)/vpndns/*.h\n' "$o" "$o" "$s"
	done
} >> "$tree/Makefile.in"

# the module sources are reached as vpndns/ inside the tree
rm -rf "$tree/vpndns"
ln -s "$(cd "$moddir" && pwd)" "$tree/vpndns"
# regenerate lexer and parser from the edited grammar
rm -f "$tree/util/configlexer.c" "$tree/util/configparser.c" "$tree/util/configparser.h"
touch "$stamp"
echo "vpndns integrate: done ($tree)"
