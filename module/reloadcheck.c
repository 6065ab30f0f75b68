/*
 * vpndns/reloadcheck.c - vpndns_reload check: what a reload would change.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Compares the configuration on disk with the running one.  The decision
 * which views keep their caches follows vpndns_views_adopt_caches: same
 * name, forwarders, validation and cache sizes, and the same domain
 * forwards and cache slabs in the whole file.  The lists are read into a
 * policy that is never published, so a list that changed on disk shows
 * as a changed count; it costs the memory and time of loading them once.
 */
#include "config.h"
#include "vpndns/reloadcheck.h"
#include "vpndns/reload.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/out.h"
#include "util/net_help.h"

/** Print a server list as " S1 S2", or " none". */
static void
rc_servers(struct vpndns_out* out, struct vpndns_server* s)
{
	if(!s)
		vpndns_out_printf(out, " none");
	for(; s; s = s->next)
		vpndns_out_printf(out, " %s", s->str);
}

/** The running view of a definition name, or NULL. */
static struct vpndns_view*
rc_old_view(struct vpndns_views* vs, const char* name)
{
	size_t i;
	for(i = 0; i < vs->nfixed; i++)
		if(strcmp(vs->fixed[i]->name, name) == 0)
			return vs->fixed[i];
	return NULL;
}

/** Would a view of the new file keep the running view's cache?  The
 * same test as vpndns_views_adopt_caches, on the definition. */
static int
rc_keeps_cache(struct vpndns_conf* nc, struct vpndns_viewdef* d,
	struct vpndns_view* o, int global_same)
{
	size_t msg = d->msg_cache_size ? d->msg_cache_size : nc->msg_cache_size;
	size_t rrset = d->rrset_cache_size ? d->rrset_cache_size :
		nc->rrset_cache_size;
	return global_same && vpndns_servers_equal(d->servers, o->servers) &&
		d->novalidate == o->novalidate && msg == o->msg_size &&
		rrset == o->rrset_size;
}

/** Print the views added, changed, kept and removed; returns the number
 * of changes. */
static int
rc_views(struct vpndns_out* out, struct vpndns_views* vs,
	struct vpndns_conf* nc)
{
	struct vpndns_viewdef* d;
	int changes = 0;
	size_t i;
	int global_same = vpndns_domains_equal(nc, vs->conf) &&
		nc->cache_slabs == vs->conf->cache_slabs;
	for(d = nc->views; d; d = d->next) {
		struct vpndns_view* o = rc_old_view(vs, d->name);
		if(!o) {
			vpndns_out_printf(out, "view added %s forwarders",
				d->name);
			rc_servers(out, d->servers);
			vpndns_out_printf(out, " (fresh cache)\n");
			changes++;
		} else if(!vpndns_servers_equal(d->servers, o->servers)) {
			vpndns_out_printf(out, "view changed %s forwarders",
				d->name);
			rc_servers(out, o->servers);
			vpndns_out_printf(out, " ->");
			rc_servers(out, d->servers);
			vpndns_out_printf(out, " (fresh cache)\n");
			changes++;
		} else if(!rc_keeps_cache(nc, d, o, global_same)) {
			vpndns_out_printf(out, "view changed %s (fresh cache: %s)"
				"\n", d->name, global_same ? "cache size or "
				"validation changed" : "domain forwards or "
				"cache-slabs changed");
			changes++;
		} else	vpndns_out_printf(out, "view unchanged %s (cache "
				"kept)\n", d->name);
	}
	for(i = 0; i < vs->nfixed; i++) {
		if(vpndns_conf_find_view(nc, vs->fixed[i]->name))
			continue;
		vpndns_out_printf(out, "view removed %s forwarders",
			vs->fixed[i]->name);
		rc_servers(out, vs->fixed[i]->servers);
		vpndns_out_printf(out, "\n");
		changes++;
	}
	return changes;
}

/** Describe what a client rule maps to. */
static void
rc_rule_target(struct vpndns_client_rule* r, char* buf, size_t len)
{
	if(r->kind == vpndns_rule_reflect)
		snprintf(buf, len, "reflect port %d", r->reflect_port);
	else	snprintf(buf, len, "view %s", r->view->name);
}

/** Print the client rules of one tree missing from the other, or mapped
 * differently; returns the number printed. */
static int
rc_rules_diff(struct vpndns_out* out, rbtree_type* from, rbtree_type* to,
	const char* what, int show_changed)
{
	struct vpndns_client_rule* r;
	int n = 0;
	RBTREE_FOR(r, struct vpndns_client_rule*, from) {
		struct vpndns_client_rule* o = (struct vpndns_client_rule*)
			addr_tree_find(to, &r->node.addr, r->node.addrlen,
			r->node.net);
		char a[128], b[128];
		rc_rule_target(r, a, sizeof(a));
		if(!o) {
			vpndns_out_printf(out, "client %s %s %s\n", what,
				r->str, a);
			n++;
			continue;
		}
		rc_rule_target(o, b, sizeof(b));
		if(show_changed && strcmp(a, b) != 0) {
			vpndns_out_printf(out, "client changed %s %s -> %s\n",
				r->str, b, a);
			n++;
		}
	}
	return n;
}

/** Print the client rule and default changes; returns their number. */
static int
rc_clients(struct vpndns_out* out, struct vpndns_conf* oc,
	struct vpndns_conf* nc)
{
	int n = rc_rules_diff(out, &nc->clients, &oc->clients, "added", 1) +
		rc_rules_diff(out, &oc->clients, &nc->clients, "removed", 0);
	const char* od = oc->default_view ? oc->default_view->name : NULL;
	const char* nd = nc->default_view ? nc->default_view->name : NULL;
	if((od == NULL) != (nd == NULL) || (od && strcmp(od, nd) != 0)) {
		vpndns_out_printf(out, "default changed %s%s -> %s%s\n",
			od ? "view " : "", od ? od : "refuse", nd ? "view " : "",
			nd ? nd : "refuse");
		n++;
	}
	return n;
}

/** Print the domain forwards when they change; returns 1 if so. */
static int
rc_domains(struct vpndns_out* out, struct vpndns_conf* oc,
	struct vpndns_conf* nc)
{
	struct vpndns_domain_fwd* f;
	if(vpndns_domains_equal(oc, nc))
		return 0;
	for(f = nc->domain_fwds; f; f = f->next) {
		vpndns_out_printf(out, "domain-forward %s", f->str);
		rc_servers(out, f->servers);
		vpndns_out_printf(out, "\n");
	}
	vpndns_out_printf(out, "domain-forwards changed (%s): every view "
		"starts with a fresh cache\n", nc->domain_fwds ? "the new ones "
		"above" : "none left");
	return 1;
}

/** Print one list set's count, old and new; returns 1 if it changes. */
static int
rc_list_line(struct vpndns_out* out, const char* scope, const char* name,
	size_t before, size_t after)
{
	if(before == after) {
		if(after)
			vpndns_out_printf(out, "lists unchanged %s%s names=%lu\n",
				scope, name, (unsigned long)after);
		return 0;
	}
	vpndns_out_printf(out, "lists changed %s%s names=%lu -> %lu (%+ld)\n",
		scope, name, (unsigned long)before, (unsigned long)after,
		(long)after - (long)before);
	return 1;
}

/** Read the lists of the new file and compare the names per list set;
 * returns the number of changed sets, or -1 if the lists can't be read. */
static int
rc_lists(struct vpndns_env* ve, struct vpndns_out* out,
	struct vpndns_snap* cur, struct vpndns_conf* nc)
{
	struct vpndns_policy* np = vpndns_policy_create(nc, ve->cfg, NULL);
	struct vpndns_viewdef* d;
	size_t i;
	int n;
	if(!np) {
		vpndns_out_printf(out, "error the lists can't be read, a reload "
			"would fail (see the log)\n");
		return -1;
	}
	n = rc_list_line(out, "global", "", vpndns_policy_scope_names(
		cur->policy, NULL), vpndns_policy_scope_names(np, NULL));
	for(d = nc->views; d; d = d->next)
		n += rc_list_line(out, "view ", d->name,
			vpndns_policy_scope_names(cur->policy, d->name),
			vpndns_policy_scope_names(np, d->name));
	for(i = 0; i < cur->views->nfixed; i++) {
		const char* name = cur->views->fixed[i]->name;
		if(!vpndns_conf_find_view(nc, name))
			n += rc_list_line(out, "view ", name,
				vpndns_policy_scope_names(cur->policy, name), 0);
	}
	vpndns_policy_delete(np);
	return n;
}

/** Compare and print; returns the number of changes, -1 on failure. */
static int
rc_compare(struct vpndns_env* ve, struct vpndns_out* out,
	struct vpndns_snap* cur, struct vpndns_conf* nc)
{
	struct vpndns_conf* oc = cur->views->conf;
	int n = rc_views(out, cur->views, nc) + rc_clients(out, oc, nc) +
		rc_domains(out, oc, nc), l;
	size_t nreflect;
	lock_rw_rdlock(&cur->views->reflect_lock);
	nreflect = cur->views->nreflect;
	lock_rw_unlock(&cur->views->reflect_lock);
	if(nreflect) {
		/* a reload always drops them, even with the same file */
		vpndns_out_printf(out, "reflect views: %lu now, all start "
			"afresh (fresh cache)\n", (unsigned long)nreflect);
		n++;
	}
	if(oc->max_reflect_views != nc->max_reflect_views) {
		vpndns_out_printf(out, "max-reflect-views changed %lu -> %lu\n",
			(unsigned long)oc->max_reflect_views,
			(unsigned long)nc->max_reflect_views);
		n++;
	}
	if((l = rc_lists(ve, out, cur, nc)) < 0)
		return -1;
	return n + l;
}

void
vpndns_reload_check(struct vpndns_env* ve, struct vpndns_out* out)
{
	struct vpndns_snap* cur;
	struct vpndns_conf* nc;
	int n;
	if(!vpndns_reload_claim(ve, out))
		return;
	/* while the slot is held no snapshot is published or retired */
	cur = __atomic_load_n(&ve->snap, __ATOMIC_SEQ_CST);
	if(!(nc = vpndns_conf_read(cur->views->conf->file, ve->cfg, out))) {
		vpndns_out_printf(out, "error vpndns.conf has errors, a reload "
			"would be rejected; nothing changed\n");
		vpndns_reload_release(ve);
		return;
	}
	nc->in_daemon = 1;
	n = rc_compare(ve, out, cur, nc);
	vpndns_conf_delete(nc);
	vpndns_reload_release(ve);
	if(n == 0)
		vpndns_out_printf(out, "ok check: a reload would change "
			"nothing; nothing applied\n");
	else if(n > 0)
		vpndns_out_printf(out, "ok check: %d changes; nothing applied, "
			"vpndns_reload applies them\n", n);
}
