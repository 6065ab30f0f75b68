/*
 * vpndns/view.c - runtime views: forwarders, caches and environments.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Builds the runtime views of a configuration, classifies clients into
 * them, and hands out per-thread environments.  Reflect views are made on
 * first use, one per client address, up to max-reflect-views.
 */
#include "config.h"
#include <ctype.h>
#ifdef HAVE_GETIFADDRS
#include <ifaddrs.h>
#endif
#include <net/if.h>
#include "vpndns/view.h"
#include "vpndns/guard.h"
#include "vpndns/conf.h"
#include "vpndns/compat.h"
#include "util/module.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/alloc.h"
#include "util/config_file.h"
#include "util/storage/slabhash.h"
#include "util/data/msgreply.h"
#include "util/data/dname.h"
#include "services/cache/rrset.h"
#include "iterator/iter_fwd.h"
#include "iterator/iter_hints.h"
#include "iterator/iter_delegpt.h"
#include "validator/val_kcache.h"
#include "validator/val_neg.h"
#include "sldns/rrdef.h"

/** Initial hash bins of a reflect view's cache table; it grows on
 * demand, so the many reflect views of idle clients cost little.  A
 * configured view starts with Unbound's own size: growing the table
 * while its cache fills costs its first misses more. */
#define VIEW_CACHE_STARTARRAY_REFLECT 64

/** A per-thread environment of a view. */
struct vpndns_tenv {
	/** the environment handed to queries, must be first */
	struct module_env env;
	/** the view it belongs to */
	struct vpndns_view* view;
	/** the worker environment it was copied from */
	struct module_env* wenv;
};

/** Counters for threads out of range; never reported. */
struct vpndns_view_stats vpndns_view_stats_dummy;

/** Make a delegation point for a zone served by a server list. */
static struct delegpt*
view_make_dp(uint8_t* zone, struct vpndns_server* servers, int tls,
	struct config_file* cfg)
{
	struct vpndns_server* s;
	struct delegpt* dp = delegpt_create_mlc(zone);
	if(!dp)
		return NULL;
	for(s = servers; s; s = s->next) {
		if(!delegpt_add_addr_mlc(dp, &s->addr, s->addrlen, 0, 0,
			s->tls_name, -1)) {
			delegpt_free_mlc(dp);
			return NULL;
		}
	}
	dp->ssl_upstream = (uint8_t)(tls || (cfg && cfg->ssl_upstream));
	/* forward-first off: Unbound marks it this way, and the iterator
	 * then never falls back to the parent (for a domain forward, the
	 * view's "." forwarders) when these servers fail */
	dp->has_parent_side_NS = 1;
	dp->tcp_upstream = (uint8_t)(cfg && cfg->tcp_upstream);
	return dp;
}

/** Build the forward tree of a view: "." and every domain forward. */
static struct iter_forwards*
view_make_fwds(struct vpndns_view* view, struct vpndns_conf* conf,
	int tls, struct config_file* cfg)
{
	struct vpndns_domain_fwd* d;
	struct delegpt* dp;
	uint8_t root[1] = {0};
	struct iter_forwards* fwds = forwards_create();
	if(!fwds || !(fwds->tree = rbtree_create(fwd_cmp))) {
		forwards_delete(fwds);
		return NULL;
	}
	if(!(dp = view_make_dp(root, view->servers, tls, cfg)) ||
		!VPNDNS_FORWARDS_ADD_ZONE(fwds, LDNS_RR_CLASS_IN, dp)) {
		forwards_delete(fwds);
		return NULL;
	}
	for(d = conf->domain_fwds; d; d = d->next) {
		if(!(dp = view_make_dp(d->dname, d->servers, d->tls, cfg)) ||
			!VPNDNS_FORWARDS_ADD_ZONE(fwds, LDNS_RR_CLASS_IN, dp)) {
			forwards_delete(fwds);
			return NULL;
		}
	}
	return fwds;
}

/** Free the caches and counters of a view. */
static void
view_delete_caches(struct vpndns_view* view)
{
	free(view->stats);
	if(view->msg_cache)
		slabhash_delete(view->msg_cache);
	rrset_cache_delete(view->rrset_cache);
	key_cache_delete(view->key_cache);
	neg_cache_delete(view->neg_cache);
}

/** Free a view and everything it owns. */
static void
view_delete(struct vpndns_view* view)
{
	int i;
	if(!view)
		return;
	if(view->tenv) {
		for(i = 0; i < view->nthreads; i++)
			free(view->tenv[i]);
		free(view->tenv);
	}
	forwards_delete(view->fwds);
	if(!view->moved)
		view_delete_caches(view);
	if(view->own_servers)
		vpndns_server_list_delete(view->servers);
	free(view->name);
	free(view);
}

/** The highest NSEC3 iteration count the validator accepts, the last
 * number of val-nsec3-keysize-iterations, as the validator computes it
 * for its own negative cache. */
static size_t
view_nsec3_maxiter(struct config_file* cfg)
{
	const char* s = cfg->val_nsec3_key_iterations;
	const char* last = NULL;
	while(s && *s) {
		while(*s == ' ' || *s == '\t')
			s++;
		if(*s)
			last = s;
		while(*s && *s != ' ' && *s != '\t')
			s++;
	}
	return last ? (size_t)atol(last) : 150;
}

/** Create the caches of a view. */
static int
view_make_caches(struct vpndns_view* view, struct vpndns_views* vs,
	size_t msg_size, size_t rrset_size, int reflect)
{
	struct config_file sized = *vs->cfg;
	size_t slabs = vs->conf->cache_slabs;
	view->msg_cache = slabhash_create(slabs, reflect ?
		VIEW_CACHE_STARTARRAY_REFLECT : HASH_DEFAULT_STARTARRAY,
		msg_size, msgreply_sizefunc, query_info_compare,
		query_entry_delete, reply_info_delete, NULL);
	/* rrset_cache_create reads its sizes from a config */
	sized.rrset_cache_slabs = slabs;
	sized.rrset_cache_size = rrset_size;
	view->rrset_cache = rrset_cache_create(&sized, vs->alloc);
	if(!view->msg_cache || !view->rrset_cache)
		return 0;
	if(!vs->validate)
		return 1;
	/* the validator's caches hold what a view's forwarders said about
	 * keys and denials; a tampering forwarder must not poison them for
	 * other views */
	sized.key_cache_slabs = slabs;
	sized.key_cache_size = vs->conf->key_cache_size;
	sized.neg_cache_size = vs->conf->neg_cache_size;
	view->key_cache = key_cache_create(&sized);
	view->neg_cache = val_neg_create(&sized, view_nsec3_maxiter(vs->cfg));
	return view->key_cache && view->neg_cache;
}

/** Create a view with the given name and servers; reflect: a reflect
 * view (its cache table starts small). */
static struct vpndns_view*
view_create(struct vpndns_views* vs, const char* name,
	struct vpndns_server* servers, int tls, size_t msg_size,
	size_t rrset_size, int reflect)
{
	struct vpndns_view* view = calloc(1, sizeof(*view));
	if(!view)
		return NULL;
	view->servers = servers;
	view->hints = vs->hints;
	view->set = vs;
	view->msg_size = msg_size ? msg_size : vs->conf->msg_cache_size;
	view->rrset_size = rrset_size ? rrset_size : vs->conf->rrset_cache_size;
	view->def_index = -1;
	view->nthreads = vs->nthreads;
	if(!(view->name = strdup(name)) ||
		!(view->tenv = calloc((size_t)vs->nthreads,
			sizeof(*view->tenv))) ||
		!(view->stats = calloc((size_t)vs->nthreads + 1,
			sizeof(*view->stats))) ||
		!(view->fwds = view_make_fwds(view, vs->conf, tls, vs->cfg)) ||
		!view_make_caches(view, vs, view->msg_size,
			view->rrset_size, reflect)) {
		view_delete(view);
		return NULL;
	}
	return view;
}

/** Add an address to the resolver's own; false on malloc failure. */
static int
view_own_add(struct vpndns_views* vs, struct sockaddr* sa, socklen_t len)
{
	struct vpndns_addr_key* n;
	if(len > (socklen_t)sizeof(n->addr))
		return 1;
	if(!(n = realloc(vs->own, (vs->nown+1)*sizeof(*n))))
		return 0;
	vs->own = n;
	memset(&n[vs->nown], 0, sizeof(*n));
	memcpy(&n[vs->nown].addr, sa, len);
	n[vs->nown].addrlen = len;
	vs->nown++;
	return 1;
}

/** Add every address of the host (a wildcard or named interface). */
static int
view_own_host(struct vpndns_views* vs)
{
#ifdef HAVE_GETIFADDRS
	struct ifaddrs* ifa, *i;
	int ok = 1;
	if(getifaddrs(&ifa) != 0)
		return 1;
	for(i = ifa; i && ok; i = i->ifa_next) {
		if(!i->ifa_addr)
			continue;
		if(i->ifa_addr->sa_family == AF_INET)
			ok = view_own_add(vs, i->ifa_addr,
				(socklen_t)sizeof(struct sockaddr_in));
		else if(i->ifa_addr->sa_family == AF_INET6)
			ok = view_own_add(vs, i->ifa_addr,
				(socklen_t)sizeof(struct sockaddr_in6));
	}
	freeifaddrs(ifa);
	return ok;
#else
	(void)vs;
	return 1;
#endif
}

/**
 * Collect the resolver's own addresses: interface: and
 * outgoing-interface: (Unbound's defaults, 127.0.0.1 and ::1, when no
 * interface: is given); every address of the host when an interface is
 * a wildcard or a name.
 */
static int
view_own_addrs(struct vpndns_views* vs, struct config_file* cfg)
{
	struct sockaddr_storage a;
	socklen_t len;
	int i, host = 0;
	char** lists[2] = { cfg->ifs, cfg->out_ifs };
	int counts[2] = { cfg->num_ifs, cfg->num_out_ifs };
	int l;
	if(cfg->num_ifs == 0) {
		if((ipstrtoaddr("127.0.0.1", 0, &a, &len) &&
			!view_own_add(vs, (struct sockaddr*)&a, len)) ||
			(ipstrtoaddr("::1", 0, &a, &len) &&
			!view_own_add(vs, (struct sockaddr*)&a, len)))
			return 0;
	}
	for(l = 0; l < 2; l++) {
		for(i = 0; i < counts[l]; i++) {
			if(!extstrtoaddr(lists[l][i], &a, &len, 0)) {
				host = 1; /* an interface name */
				continue;
			}
			if(addr_is_any(&a, len))
				host = 1;
			else if(!view_own_add(vs, (struct sockaddr*)&a, len))
				return 0;
		}
	}
	return host ? view_own_host(vs) : 1;
}

/** Warn about reflect netblocks that hold one of the resolver's own
 * addresses: queries from it are answered SERVFAIL. */
static void
view_warn_self_reflect(struct vpndns_views* vs)
{
	struct vpndns_client_rule* r;
	size_t i;
	char a[128];
	RBTREE_FOR(r, struct vpndns_client_rule*, &vs->conf->clients) {
		if(r->kind != vpndns_rule_reflect)
			continue;
		for(i = 0; i < vs->nown; i++) {
			if(vs->own[i].addrlen != r->node.addrlen ||
				addr_in_common(&vs->own[i].addr, 128,
				&r->node.addr, r->node.net,
				vs->own[i].addrlen) < r->node.net)
				continue;
			addr_to_str(&vs->own[i].addr, vs->own[i].addrlen, a,
				sizeof(a));
			log_warn("vpndns: %s:%d: reflect netblock %s holds the "
				"resolver's own address %s (interface: or "
				"outgoing-interface:); its queries are answered "
				"SERVFAIL, never reflected", vs->conf->file,
				r->line, r->str, a);
		}
	}
}

struct vpndns_views*
vpndns_views_create(struct vpndns_conf* conf, struct config_file* cfg,
	struct alloc_cache* alloc, struct iter_hints* hints)
{
	struct vpndns_viewdef* d;
	size_t i = 0;
	struct vpndns_views* vs = calloc(1, sizeof(*vs));
	if(!vs)
		return NULL;
	vs->cfg = cfg;
	vs->alloc = alloc;
	vs->nthreads = cfg->num_threads > 0 ? cfg->num_threads : 1;
	vs->validate = cfg->module_conf && strstr(cfg->module_conf,
		"validator") != NULL;
	rbtree_init(&vs->reflect, &vpndns_reflect_cmp);
	lock_rw_init(&vs->reflect_lock);
	vs->conf = conf;
	for(d = conf->views; d; d = d->next)
		vs->nfixed++;
	vs->hints = hints;
	if(!view_own_addrs(vs, cfg)) {
		log_err("vpndns: out of memory");
		vs->conf = NULL;
		vpndns_views_delete(vs);
		return NULL;
	}
	view_warn_self_reflect(vs);
	if(vs->nfixed && !(vs->fixed = calloc(vs->nfixed,
		sizeof(*vs->fixed)))) {
		log_err("vpndns: out of memory");
		vs->conf = NULL;
		vpndns_views_delete(vs);
		return NULL;
	}
	for(d = conf->views; d; d = d->next, i++) {
		if(!(vs->fixed[i] = view_create(vs, d->name, d->servers,
			d->tls, d->msg_cache_size, d->rrset_cache_size, 0))) {
			log_err("vpndns: out of memory creating view %s",
				d->name);
			vs->conf = NULL;
			vpndns_views_delete(vs);
			return NULL;
		}
		vs->fixed[i]->def_index = (int)i;
		vs->fixed[i]->novalidate = d->novalidate;
	}
	return vs;
}

/** Free a reflect view from the tree. */
static void
view_reflect_free(rbnode_type* n, void* ATTR_UNUSED(arg))
{
	view_delete((struct vpndns_view*)n);
}

void
vpndns_views_delete(struct vpndns_views* vs)
{
	size_t i;
	if(!vs)
		return;
	traverse_postorder(&vs->reflect, view_reflect_free, NULL);
	lock_rw_destroy(&vs->reflect_lock);
	for(i = 0; vs->fixed && i < vs->nfixed; i++)
		view_delete(vs->fixed[i]);
	free(vs->fixed);
	free(vs->own);
	vpndns_conf_delete(vs->conf);
	free(vs);
}

/** Find the fixed view of a view definition. */
static struct vpndns_view*
view_of_def(struct vpndns_views* vs, struct vpndns_viewdef* def)
{
	struct vpndns_viewdef* d;
	size_t i = 0;
	for(d = vs->conf->views; d; d = d->next, i++) {
		if(d == def)
			return vs->fixed[i];
	}
	return NULL;
}

/** Text of a forwarder address with its interface, "fe80::2%vs1", so
 * that reflect views of one link-local address on two links have
 * different names. */
static void
view_addr_str(struct sockaddr_storage* addr, socklen_t addrlen, char* buf,
	size_t len)
{
	struct sockaddr_in6* a6 = (struct sockaddr_in6*)addr;
	char ifname[IF_NAMESIZE];
	size_t n;
	addr_to_str(addr, addrlen, buf, len);
	if(!addr_is_ip6(addr, addrlen) || !a6->sin6_scope_id)
		return;
	n = strlen(buf);
	if(if_indextoname(a6->sin6_scope_id, ifname))
		snprintf(buf+n, len-n, "%%%s", ifname);
	else	snprintf(buf+n, len-n, "%%%u", (unsigned)a6->sin6_scope_id);
}

/** Make a reflect view for a forwarder address. */
static struct vpndns_view*
view_reflect_create(struct vpndns_views* vs, struct sockaddr_storage* fwd,
	socklen_t fwdlen)
{
	char addrbuf[128], name[160];
	struct vpndns_view* view;
	struct vpndns_server* s = calloc(1, sizeof(*s));
	size_t i;
	if(!s)
		return NULL;
	memcpy(&s->addr, fwd, fwdlen);
	s->addrlen = fwdlen;
	view_addr_str(fwd, fwdlen, addrbuf, sizeof(addrbuf));
	snprintf(name, sizeof(name), "reflect_%s_%d", addrbuf,
		ntohs(((struct sockaddr_in*)fwd)->sin_port));
	for(i = 0; name[i]; i++) {
		if(!isalnum((unsigned char)name[i]) && name[i] != '-')
			name[i] = '_';
	}
	if(!(s->str = strdup(addrbuf))) {
		free(s);
		return NULL;
	}
	if(!(view = view_create(vs, name, s, 0, 0, 0, 1))) {
		vpndns_server_list_delete(s);
		return NULL;
	}
	view->own_servers = 1;
	return view;
}

int
vpndns_reflect_cmp(const void* a, const void* b)
{
	struct vpndns_addr_key* x = (struct vpndns_addr_key*)a;
	struct vpndns_addr_key* y = (struct vpndns_addr_key*)b;
	/* with vpndns, Unbound compares the interface of IPv6 addresses too
	 * (patch 0011-ipv6-scope) */
	return sockaddr_cmp_addr(&x->addr, x->addrlen, &y->addr, y->addrlen);
}

/** Make the key of a client address. */
static void
view_key(struct vpndns_addr_key* key, struct sockaddr_storage* addr,
	socklen_t addrlen)
{
	memset(key, 0, sizeof(*key));
	memcpy(&key->addr, addr, addrlen);
	key->addrlen = addrlen;
}

/** Find the reflect view of a client; take the reflect lock. */
static struct vpndns_view*
view_reflect_find(struct vpndns_views* vs, struct vpndns_addr_key* key)
{
	return (struct vpndns_view*)rbtree_search(&vs->reflect, key);
}

/** Is an address one of the resolver's own (any port)? */
static int
view_is_own(struct vpndns_views* vs, struct vpndns_addr_key* key)
{
	size_t i;
	if(vpndns_guard_off("selfreflect"))
		return 0;
	for(i = 0; i < vs->nown; i++)
		if(vpndns_reflect_cmp(&vs->own[i], key) == 0)
			return 1;
	return 0;
}

/** Find or make the reflect view of a client. */
static struct vpndns_view*
view_reflect_get(struct vpndns_views* vs, struct sockaddr_storage* addr,
	socklen_t addrlen, int port, enum vpndns_classify_fail* fail)
{
	struct sockaddr_storage fwd;
	struct vpndns_view* view;
	struct vpndns_addr_key key;
	view_key(&key, addr, addrlen);
	lock_rw_rdlock(&vs->reflect_lock);
	view = view_reflect_find(vs, &key);
	lock_rw_unlock(&vs->reflect_lock);
	if(view)
		return view;
	if(view_is_own(vs, &key)) {
		/* its view would send the query back to this resolver */
		*fail = vpndns_classify_self;
		return NULL;
	}
	memcpy(&fwd, addr, addrlen);
	/* sin_port and sin6_port share their offset */
	((struct sockaddr_in*)&fwd)->sin_port = htons((uint16_t)port);
	lock_rw_wrlock(&vs->reflect_lock);
	if(!(view = view_reflect_find(vs, &key))) {
		if(vs->nreflect >= vs->conf->max_reflect_views) {
			*fail = vpndns_classify_nomem;
			log_warn("vpndns: max-reflect-views (%u) reached",
				(unsigned)vs->conf->max_reflect_views);
		} else if((view = view_reflect_create(vs, &fwd, addrlen))) {
			view->client = key;
			view->node.key = &view->client;
			(void)rbtree_insert(&vs->reflect, &view->node);
			vs->nreflect++;
			verbose(VERB_OPS, "vpndns: new reflect view %s",
				view->name);
		} else {
			*fail = vpndns_classify_nomem;
			log_err("vpndns: out of memory for a reflect view");
		}
	}
	lock_rw_unlock(&vs->reflect_lock);
	return view;
}

struct vpndns_view*
vpndns_views_classify(struct vpndns_views* vs, struct sockaddr_storage* addr,
	socklen_t addrlen, enum vpndns_classify_fail* fail)
{
	struct vpndns_client_rule* rule = (struct vpndns_client_rule*)
		addr_tree_lookup(&vs->conf->clients, addr, addrlen);
	if(!rule) {
		if(vs->conf->default_view)
			return view_of_def(vs, vs->conf->default_view);
		*fail = vpndns_classify_refused;
		return NULL;
	}
	if(rule->kind == vpndns_rule_reflect)
		return view_reflect_get(vs, addr, addrlen, rule->reflect_port,
			fail);
	return view_of_def(vs, rule->view);
}

void
vpndns_classify_answer(enum vpndns_classify_fail fail, int* rcode, int* ede,
	const char** text)
{
	switch(fail) {
	case vpndns_classify_refused:
		*rcode = LDNS_RCODE_REFUSED;
		*ede = LDNS_EDE_PROHIBITED;
		*text = "vpndns: client not mapped";
		return;
	case vpndns_classify_self:
		/* forwarding would loop back into this resolver */
		*rcode = LDNS_RCODE_SERVFAIL;
		*ede = LDNS_EDE_NO_REACHABLE_AUTHORITY;
		*text = "vpndns: a reflect client that is the resolver itself";
		return;
	case vpndns_classify_nomem:
	default:
		*rcode = LDNS_RCODE_SERVFAIL;
		*ede = LDNS_EDE_OTHER;
		*text = "vpndns: no view for client";
		return;
	}
}

struct vpndns_view*
vpndns_views_peek(struct vpndns_views* vs, struct sockaddr_storage* addr,
	socklen_t addrlen, struct vpndns_client_rule** rule)
{
	struct vpndns_view* view;
	struct vpndns_addr_key key;
	*rule = (struct vpndns_client_rule*)addr_tree_lookup(
		&vs->conf->clients, addr, addrlen);
	if(!*rule)
		return vs->conf->default_view ? view_of_def(vs,
			vs->conf->default_view) : NULL;
	if((*rule)->kind != vpndns_rule_reflect)
		return view_of_def(vs, (*rule)->view);
	view_key(&key, addr, addrlen);
	lock_rw_rdlock(&vs->reflect_lock);
	view = view_reflect_find(vs, &key);
	lock_rw_unlock(&vs->reflect_lock);
	return view;
}

struct module_env*
vpndns_view_env(struct vpndns_view* view, struct module_env* wenv)
{
	int t = vpndns_thread_num(wenv);
	struct vpndns_tenv* te;
	if(t < 0 || t >= view->nthreads)
		return NULL;
	if(view->tenv[t])
		return view->tenv[t];
	/* only thread t touches slot t, so no lock is needed */
	if(!(te = calloc(1, sizeof(*te))))
		return NULL;
	te->env = *wenv;
	te->env.fwds = view->fwds;
	te->env.hints = view->hints;
	te->env.msg_cache = view->msg_cache;
	te->env.rrset_cache = view->rrset_cache;
	if(view->key_cache)
		te->env.key_cache = view->key_cache;
	if(view->neg_cache)
		te->env.neg_cache = view->neg_cache;
	if(view->novalidate)
		te->env.need_to_validate = 0;
	te->view = view;
	te->wenv = wenv;
	view->tenv[t] = &te->env;
	return &te->env;
}

struct vpndns_view*
vpndns_views_env_owner(struct iter_hints* hints, struct module_env* env)
{
	if(!env || !hints || env->hints != hints)
		return NULL;
	return ((struct vpndns_tenv*)env)->view;
}

struct module_env*
vpndns_view_worker_env(struct module_env* env)
{
	return ((struct vpndns_tenv*)env)->wenv;
}

int
vpndns_servers_equal(struct vpndns_server* a, struct vpndns_server* b)
{
	for(; a && b; a = a->next, b = b->next) {
		if(sockaddr_cmp(&a->addr, a->addrlen, &b->addr, b->addrlen)
			!= 0)
			return 0;
		if((a->tls_name == NULL) != (b->tls_name == NULL) ||
			(a->tls_name && strcmp(a->tls_name, b->tls_name) != 0))
			return 0;
	}
	return a == NULL && b == NULL;
}

int
vpndns_domains_equal(struct vpndns_conf* a, struct vpndns_conf* b)
{
	struct vpndns_domain_fwd* x = a->domain_fwds, *y = b->domain_fwds;
	for(; x && y; x = x->next, y = y->next) {
		if(query_dname_compare(x->dname, y->dname) != 0 ||
			!vpndns_servers_equal(x->servers, y->servers))
			return 0;
	}
	return x == NULL && y == NULL;
}

/**
 * Let a new view take over an old view's caches, validator caches,
 * counters and health.  The old view belongs to the published snapshot
 * and workers read it without locks, so none of its fields is written:
 * the new view points to the same objects, and the old view is only
 * marked as no longer owning them.  The new view is not published yet;
 * its own fresh caches are freed here.
 */
static void
view_take_over(struct vpndns_view* v, struct vpndns_view* o)
{
	view_delete_caches(v);
	v->msg_cache = o->msg_cache;
	v->rrset_cache = o->rrset_cache;
	v->key_cache = o->key_cache;
	v->neg_cache = o->neg_cache;
	v->stats = o->stats;
	v->last_ok = VPNDNS_READ(o->last_ok);
	v->last_fail = VPNDNS_READ(o->last_fail);
	/* read only when the old set is freed, on the reload thread that
	 * writes it here */
	o->moved = 1;
}

int
vpndns_views_adopt_caches(struct vpndns_views* vs, struct vpndns_views* old)
{
	size_t i, j;
	int kept = 0;
	if(!vpndns_domains_equal(vs->conf, old->conf) ||
		vs->conf->cache_slabs != old->conf->cache_slabs)
		return 0;
	for(i = 0; i < vs->nfixed; i++) {
		struct vpndns_view* v = vs->fixed[i];
		for(j = 0; j < old->nfixed; j++) {
			struct vpndns_view* o = old->fixed[j];
			if(o->moved || strcmp(v->name, o->name) != 0 ||
				!vpndns_servers_equal(v->servers, o->servers) ||
				v->novalidate != o->novalidate ||
				v->msg_size != o->msg_size ||
				v->rrset_size != o->rrset_size)
				continue;
			view_take_over(v, o);
			kept++;
			break;
		}
	}
	return kept;
}

void
vpndns_views_foreach(struct vpndns_views* vs,
	void (*fn)(struct vpndns_view*, void*), void* arg)
{
	struct vpndns_view* v;
	size_t i;
	for(i = 0; i < vs->nfixed; i++)
		fn(vs->fixed[i], arg);
	lock_rw_rdlock(&vs->reflect_lock);
	RBTREE_FOR(v, struct vpndns_view*, &vs->reflect)
		fn(v, arg);
	lock_rw_unlock(&vs->reflect_lock);
}

void
vpndns_view_stats_sum(struct vpndns_view* view, struct vpndns_view_stats* sum)
{
	int t;
	memset(sum, 0, sizeof(*sum));
	/* counters of other threads are read without a lock, as aligned
	 * words; a sum may miss a query that is being counted */
	for(t = 0; t < view->nthreads; t++) {
		struct vpndns_view_stats* st = &view->stats[t];
		sum->queries += VPNDNS_READ(st->queries);
		sum->cachehits += VPNDNS_READ(st->cachehits);
		sum->blocked += VPNDNS_READ(st->blocked);
		sum->servfail += VPNDNS_READ(st->servfail);
		sum->forwarder_errors += VPNDNS_READ(st->forwarder_errors);
		sum->egress_vetoed += VPNDNS_READ(st->egress_vetoed);
		sum->inflight += VPNDNS_READ(st->inflight);
		sum->inflight_limited += VPNDNS_READ(st->inflight_limited);
		sum->fail_timeouts += VPNDNS_READ(st->fail_timeouts);
	}
}

size_t
vpndns_cache_count(struct slabhash* cache)
{
	size_t i, n = 0;
	for(i = 0; i < cache->size; i++) {
		lock_quick_lock(&cache->array[i]->lock);
		n += cache->array[i]->num;
		lock_quick_unlock(&cache->array[i]->lock);
	}
	return n;
}
