/*
 * vpndns/control.c - vpndns_* commands of unbound-control.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The vpndns_* remote control commands.  Unbound's remote.c hands the
 * command line here and prints the returned text, so this file needs
 * nothing from the daemon.  Every command checks its arguments before it
 * changes anything and answers "error ..." on bad input.
 */
#include "config.h"
#include <ctype.h>
#include <stdarg.h>
#include "vpndns/vpndns.h"
#include "vpndns/out.h"
#include "vpndns/view.h"
#include "vpndns/conf.h"
#include "vpndns/reload.h"
#include "vpndns/live.h"
#include "vpndns/health.h"
#include "vpndns/reloadcheck.h"
#include "util/module.h"
#include "util/data/dname.h"
#include "util/data/packed_rrset.h"
#include "util/data/msgreply.h"
#include "services/cache/dns.h"
#include "validator/val_kcache.h"
#include "sldns/str2wire.h"
#include "sldns/rrdef.h"
#include "vpndns/policy.h"
#include "util/net_help.h"
#include "util/storage/slabhash.h"
#include "services/cache/rrset.h"

/** Most words in a command line. */
#define CTL_MAX_ARGS 64

/** Print a server list on one line. */
static void
ctl_print_servers(struct vpndns_out* out, struct vpndns_server* s)
{
	for(; s; s = s->next)
		vpndns_out_printf(out, " %s", s->str);
}

/** Arguments of the per-view printers of vpndns_list and vpndns_status. */
struct ctl_walk {
	/** the output */
	struct vpndns_out* out;
	/** the calling thread's environment, for the infrastructure cache;
	 * may be NULL */
	struct module_env* env;
	/** the time */
	time_t now;
	/** health-down-after of the configuration */
	time_t down_after;
};

/** Start a walk over the views of a snapshot. */
static void
ctl_walk_init(struct ctl_walk* w, struct vpndns_snap* snap,
	struct vpndns_out* out, struct module_env* env)
{
	w->out = out;
	w->env = env;
	w->now = env && env->now ? *env->now : time(NULL);
	w->down_after = (time_t)snap->views->conf->health_down_after;
}

/** Print one view for vpndns_list. */
static void
ctl_list_view(struct vpndns_view* view, void* arg)
{
	struct ctl_walk* w = (struct ctl_walk*)arg;
	struct vpndns_out* out = w->out;
	vpndns_out_printf(out, "view %s forwarders", view->name);
	ctl_print_servers(out, view->servers);
	vpndns_out_printf(out, " last_ok=%lld last_fail=%lld",
		(long long)VPNDNS_READ(view->last_ok),
		(long long)VPNDNS_READ(view->last_fail));
	vpndns_out_printf(out, " msg_cache_count=%u rrset_cache_count=%u "
		"msg_cache_mem=%u rrset_cache_mem=%u\n",
		(unsigned)vpndns_cache_count(view->msg_cache),
		(unsigned)vpndns_cache_count(&view->rrset_cache->table),
		(unsigned)slabhash_get_mem(view->msg_cache),
		(unsigned)slabhash_get_mem(&view->rrset_cache->table));
	vpndns_health_print(out, view, w->env, w->now, w->down_after);
}

/** Print the health of one view for vpndns_status. */
static void
ctl_status_view(struct vpndns_view* view, void* arg)
{
	struct ctl_walk* w = (struct ctl_walk*)arg;
	vpndns_health_print(w->out, view, w->env, w->now, w->down_after);
}

/** vpndns_list: views, clients and forwarders. */
static void
ctl_list(struct vpndns_snap* snap, struct vpndns_out* out,
	struct module_env* env)
{
	struct vpndns_client_rule* r;
	struct vpndns_conf* conf = snap->views->conf;
	struct ctl_walk w;
	ctl_walk_init(&w, snap, out, env);
	vpndns_views_foreach(snap->views, ctl_list_view, &w);
	RBTREE_FOR(r, struct vpndns_client_rule*, &conf->clients) {
		if(r->kind == vpndns_rule_reflect)
			vpndns_out_printf(out, "client %s reflect port %d\n",
				r->str, r->reflect_port);
		else	vpndns_out_printf(out, "client %s view %s\n", r->str,
				r->view->name);
	}
	if(conf->default_view)
		vpndns_out_printf(out, "default view %s\n",
			conf->default_view->name);
	else	vpndns_out_printf(out, "default refuse\n");
}

/** vpndns_lookup <client-address> [name]: which view and forwarder a
 * client gets, and what the policy says about a name. */
static void
ctl_lookup(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** argv)
{
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct vpndns_client_rule* rule;
	struct vpndns_view* view;
	uint8_t* nm = NULL;
	size_t nmlen = 0;
	if(argc < 1 || argc > 2) {
		vpndns_out_printf(out, "error usage: vpndns_lookup "
			"<client-address> [name]\n");
		return;
	}
	if(!ipstrtoaddr(argv[0], 0, &addr, &addrlen)) {
		vpndns_out_printf(out, "error '%s' is not an IP address\n",
			argv[0]);
		return;
	}
	if(argc == 2 && !(nm = sldns_str2wire_dname(argv[1], &nmlen))) {
		vpndns_out_printf(out, "error '%s' is not a domain name\n",
			argv[1]);
		return;
	}
	view = vpndns_views_peek(snap->views, &addr, addrlen, &rule);
	if(rule)
		vpndns_out_printf(out, "client %s rule %s (line %d)\n", argv[0],
			rule->str, rule->line);
	if(!view && rule && rule->kind == vpndns_rule_reflect)
		vpndns_out_printf(out, "client %s reflect to its own address "
			"port %d (%s)\n", argv[0], rule->reflect_port,
			snap->views->nreflect >= snap->views->conf->max_reflect_views
			? "no view: max-reflect-views reached, its queries get "
			"SERVFAIL" : "no view yet");
	else if(!view)
		vpndns_out_printf(out, "client %s: refused (no rule, default "
			"refuse)\n", argv[0]);
	else {
		vpndns_out_printf(out, "client %s view %s forwarders", argv[0],
			view->name);
		ctl_print_servers(out, view->servers);
		vpndns_out_printf(out, "\n");
	}
	if(nm) {
		vpndns_policy_explain(snap->policy, snap->views->conf, view,
			&addr, addrlen, nm, nmlen, out);
		free(nm);
	}
}

/** Arguments to find a view by name. */
struct ctl_find {
	/** the name */
	const char* name;
	/** the view found */
	struct vpndns_view* view;
};

/** Match a view by name. */
static void
ctl_find_name(struct vpndns_view* view, void* arg)
{
	struct ctl_find* f = (struct ctl_find*)arg;
	if(!f->view && strcmp(view->name, f->name) == 0)
		f->view = view;
}

/** The view named, or the view of the client address; NULL with an
 * error printed. */
static struct vpndns_view*
ctl_view_arg(struct vpndns_snap* snap, const char* arg,
	struct vpndns_out* out)
{
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct ctl_find f;
	f.name = arg;
	f.view = NULL;
	vpndns_views_foreach(snap->views, ctl_find_name, &f);
	if(f.view)
		return f.view;
	if(ipstrtoaddr(arg, 0, &addr, &addrlen)) {
		struct vpndns_client_rule* rule;
		struct vpndns_view* v = vpndns_views_peek(snap->views, &addr,
			addrlen, &rule);
		if(v)
			return v;
		vpndns_out_printf(out, "error client %s has no view\n", arg);
		return NULL;
	}
	vpndns_out_printf(out, "error '%s' is neither a view nor an IP "
		"address\n", arg);
	return NULL;
}

/** vpndns_flush <view|client-address>: empty one view's caches. */
static void
ctl_flush(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** argv)
{
	struct vpndns_view* view;
	if(argc != 1) {
		vpndns_out_printf(out, "error usage: vpndns_flush "
			"<view|client-address>\n");
		return;
	}
	if(!(view = ctl_view_arg(snap, argv[0], out)))
		return;
	slabhash_clear(view->msg_cache);
	slabhash_clear(&view->rrset_cache->table);
	/* keys marked bad after a forwarder misbehaved, too: the operator
	 * flushes after fixing the forwarder */
	if(view->key_cache)
		slabhash_clear(view->key_cache->slab);
	vpndns_out_printf(out, "ok flushed view %s\n", view->name);
}

/** The types vpndns_flush_name removes, as Unbound's flush does. */
static const uint16_t ctl_flush_types[] = { LDNS_RR_TYPE_A,
	LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_SOA,
	LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_DNAME, LDNS_RR_TYPE_MX,
	LDNS_RR_TYPE_PTR, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_NAPTR,
	LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_SVCB, LDNS_RR_TYPE_HTTPS, 0 };

/** vpndns_flush_name <view|client-address> <name>. */
static void
ctl_flush_name(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** argv, struct module_env* env)
{
	struct vpndns_view* view;
	struct module_env* venv;
	uint8_t* nm;
	size_t nmlen;
	int i;
	if(argc != 2) {
		vpndns_out_printf(out, "error usage: vpndns_flush_name "
			"<view|client-address> <name>\n");
		return;
	}
	if(!(view = ctl_view_arg(snap, argv[0], out)))
		return;
	if(!(nm = sldns_str2wire_dname(argv[1], &nmlen))) {
		vpndns_out_printf(out, "error '%s' is not a domain name\n",
			argv[1]);
		return;
	}
	if(!env || !(venv = vpndns_view_env(view, env))) {
		free(nm);
		vpndns_out_printf(out, "error no environment for the view\n");
		return;
	}
	for(i = 0; ctl_flush_types[i]; i++) {
		rrset_cache_remove(view->rrset_cache, nm, nmlen,
			ctl_flush_types[i], LDNS_RR_CLASS_IN, 0);
		msg_cache_remove(venv, nm, nmlen, ctl_flush_types[i],
			LDNS_RR_CLASS_IN, 0);
		msg_cache_remove(venv, nm, nmlen, ctl_flush_types[i],
			LDNS_RR_CLASS_IN, BIT_CD);
	}
	free(nm);
	vpndns_out_printf(out, "ok flushed %s in view %s\n", argv[1],
		view->name);
}

/** Print the rrsets of a view's cache. */
static void
ctl_dump_table(struct lruhash* table, struct vpndns_out* out, time_t now)
{
	struct lruhash_entry* e;
	lock_quick_lock(&table->lock);
	for(e = table->lru_start; e; e = e->lru_next) {
		struct ub_packed_rrset_key* k = (struct ub_packed_rrset_key*)
			e->key;
		struct packed_rrset_data* d;
		size_t i;
		lock_rw_rdlock(&e->lock);
		d = (struct packed_rrset_data*)e->data;
		for(i = 0; d && i < d->count + d->rrsig_count; i++) {
			char buf[65535];
			if(packed_rr_to_string(k, i, now, buf, sizeof(buf)))
				vpndns_out_printf(out, "%s", buf);
		}
		lock_rw_unlock(&e->lock);
	}
	lock_quick_unlock(&table->lock);
}

/** vpndns_dump_cache <view|client-address>: the view's rrsets. */
static void
ctl_dump_cache(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** argv, struct module_env* env)
{
	struct vpndns_view* view;
	size_t i;
	if(argc != 1) {
		vpndns_out_printf(out, "error usage: vpndns_dump_cache "
			"<view|client-address>\n");
		return;
	}
	if(!(view = ctl_view_arg(snap, argv[0], out)))
		return;
	vpndns_out_printf(out, ";view %s\n", view->name);
	for(i = 0; i < view->rrset_cache->table.size; i++)
		ctl_dump_table(view->rrset_cache->table.array[i], out,
			env ? *env->now : 0);
	vpndns_out_printf(out, ";end\n");
}

/** Split a command line in place into words. */
static int
ctl_split(char* s, char** argv, int max)
{
	int argc = 0;
	while(*s) {
		while(*s && isspace((unsigned char)*s))
			*s++ = 0;
		if(!*s)
			break;
		if(argc == max)
			return -1;
		argv[argc++] = s;
		while(*s && !isspace((unsigned char)*s))
			s++;
	}
	return argc;
}

/** A command and its handler. */
struct ctl_command {
	/** name, with the vpndns_ prefix */
	const char* name;
	/** handler for commands that read the snapshot; argv excludes the
	 * command name */
	void (*run)(struct vpndns_snap*, struct vpndns_out*, int, char**);
	/** as run, for commands that need the calling thread's env */
	void (*run_env)(struct vpndns_snap*, struct vpndns_out*, int, char**,
		struct module_env*);
	/** handler for commands that manage the module (reloads); they run
	 * outside vpndns_enter, since they may wait for the reload thread */
	void (*manage)(struct vpndns_env*, struct vpndns_out*, int, char**);
	/** a configuration change, run by vpndns_live_cmd (also outside
	 * vpndns_enter) */
	int live;
};

/** vpndns_list takes no arguments. */
static void
ctl_list_cmd(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** ATTR_UNUSED(argv), struct module_env* env)
{
	if(argc != 0) {
		vpndns_out_printf(out, "error usage: vpndns_list\n");
		return;
	}
	ctl_list(snap, out, env);
}

/** vpndns_reload [check]: re-read vpndns.conf and the lists, or only
 * say what that would change. */
static void
ctl_reload(struct vpndns_env* ve, struct vpndns_out* out, int argc,
	char** argv)
{
	if(argc == 1 && strcmp(argv[0], "check") == 0) {
		vpndns_reload_check(ve, out);
		return;
	}
	if(argc != 0) {
		vpndns_out_printf(out, "error usage: vpndns_reload [check]\n");
		return;
	}
	if(vpndns_reload_start(ve, 1, out))
		vpndns_out_printf(out, "ok reload started; vpndns_status "
			"shows the result\n");
}

/** vpndns_blocklist_reload: re-read the lists and static records. */
static void
ctl_blocklist_reload(struct vpndns_env* ve, struct vpndns_out* out,
	int argc, char** ATTR_UNUSED(argv))
{
	if(argc != 0) {
		vpndns_out_printf(out, "error usage: vpndns_blocklist_reload\n");
		return;
	}
	if(vpndns_reload_start(ve, 0, out))
		vpndns_out_printf(out, "ok blocklist reload started; "
			"vpndns_status shows the result\n");
}

/** vpndns_status: reload state, list size, reflect views in use and
 * the health of every view. */
static void
ctl_status(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** ATTR_UNUSED(argv), struct module_env* env)
{
	struct vpndns_env* ve = vpndns_active();
	struct ctl_walk w;
	size_t nreflect;
	if(argc != 0) {
		vpndns_out_printf(out, "error usage: vpndns_status\n");
		return;
	}
	lock_basic_lock(&ve->reload_lock);
	vpndns_out_printf(out, "reload=%s\nlast_reload=%s\n",
		ve->reload_running ? "running" : "idle",
		ve->reload_status[0] ? ve->reload_status : "none");
	lock_basic_unlock(&ve->reload_lock);
	/* the snapshot stays valid while this thread is inside vpndns */
	lock_rw_rdlock(&snap->views->reflect_lock);
	nreflect = snap->views->nreflect;
	lock_rw_unlock(&snap->views->reflect_lock);
	vpndns_out_printf(out, "views=%u\nblocklist_names=%u\n"
		"reflect_views=%u\nmax_reflect_views=%u\n"
		"health_down_after=%u\n",
		(unsigned)snap->views->nfixed,
		(unsigned)vpndns_policy_names(snap->policy), (unsigned)nreflect,
		(unsigned)snap->views->conf->max_reflect_views,
		(unsigned)snap->views->conf->health_down_after);
	ctl_walk_init(&w, snap, out, env);
	vpndns_views_foreach(snap->views, ctl_status_view, &w);
}

/** vpndns_static_reload: re-read the static records; lists are kept. */
static void
ctl_static_reload(struct vpndns_env* ve, struct vpndns_out* out, int argc,
	char** ATTR_UNUSED(argv))
{
	if(argc != 0) {
		vpndns_out_printf(out, "error usage: vpndns_static_reload\n");
		return;
	}
	if(vpndns_reload_claim(ve, out) &&
		vpndns_reload_apply(ve, NULL, "static_reload", out))
		vpndns_out_printf(out, "ok\n");
}

/** vpndns_allow_list */
static void
ctl_allow_list(struct vpndns_snap* snap, struct vpndns_out* out, int argc,
	char** ATTR_UNUSED(argv))
{
	if(argc != 0) {
		vpndns_out_printf(out, "error usage: vpndns_allow_list\n");
		return;
	}
	vpndns_live_allow_list(snap, out);
}

/** The commands. */
static const struct ctl_command ctl_commands[] = {
	{ "vpndns_list", NULL, ctl_list_cmd, NULL, 0 },
	{ "vpndns_lookup", ctl_lookup, NULL, NULL, 0 },
	{ "vpndns_flush", ctl_flush, NULL, NULL, 0 },
	{ "vpndns_flush_name", NULL, ctl_flush_name, NULL, 0 },
	{ "vpndns_dump_cache", NULL, ctl_dump_cache, NULL, 0 },
	{ "vpndns_allow_list", ctl_allow_list, NULL, NULL, 0 },
	{ "vpndns_reload", NULL, NULL, ctl_reload, 0 },
	{ "vpndns_blocklist_reload", NULL, NULL, ctl_blocklist_reload, 0 },
	{ "vpndns_static_reload", NULL, NULL, ctl_static_reload, 0 },
	{ "vpndns_status", NULL, ctl_status, NULL, 0 },
	{ "vpndns_forward_add", NULL, NULL, NULL, 1 },
	{ "vpndns_forward_remove", NULL, NULL, NULL, 1 },
	{ "vpndns_reflect_add", NULL, NULL, NULL, 1 },
	{ "vpndns_reflect_remove", NULL, NULL, NULL, 1 },
	{ "vpndns_domain_forward_add", NULL, NULL, NULL, 1 },
	{ "vpndns_domain_forward_remove", NULL, NULL, NULL, 1 },
	{ "vpndns_allow_add", NULL, NULL, NULL, 1 },
	{ "vpndns_allow_remove", NULL, NULL, NULL, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};

/** Run a command from the table. */
static void
ctl_run(struct vpndns_env* ve, struct module_env* env,
	const struct ctl_command* c, struct vpndns_out* out, int argc,
	char** argv)
{
	if(c->live) {
		vpndns_live_cmd(ve, c->name, argc, argv, out);
		return;
	}
	if(c->manage) {
		c->manage(ve, out, argc, argv);
		return;
	}
	if(c->run_env)
		c->run_env(vpndns_enter(ve, env), out, argc, argv, env);
	else	c->run(vpndns_enter(ve, env), out, argc, argv);
	vpndns_leave(ve, env);
}

char*
vpndns_remote_cmd(struct module_env* env, const char* cmd)
{
	struct vpndns_out out;
	struct vpndns_env* ve = vpndns_active();
	const struct ctl_command* c;
	char* argv[CTL_MAX_ARGS];
	char* line = strdup(cmd);
	int argc;
	memset(&out, 0, sizeof(out));
	if(!line)
		return NULL;
	argc = ctl_split(line, argv, CTL_MAX_ARGS);
	if(argc < 0) {
		vpndns_out_printf(&out, "error too many arguments\n");
	} else if(argc == 0) {
		vpndns_out_printf(&out, "error empty command\n");
	} else if(!vpndns_serving(ve)) {
		vpndns_out_printf(&out, "error vpndns is not in module-config\n");
	} else {
		for(c = ctl_commands; c->name; c++) {
			if(strcmp(c->name, argv[0]) == 0)
				break;
		}
		if(c->name)
			ctl_run(ve, env, c, &out, argc-1, argv+1);
		else	vpndns_out_printf(&out, "error unknown command '%s'\n",
				argv[0]);
	}
	free(line);
	if(out.failed) {
		free(out.text);
		return NULL;
	}
	return out.text;
}
