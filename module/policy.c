/*
 * vpndns/policy.c - query policy: blocklists, static records, overrides.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The runtime policy: the blocklists compiled into blocksets, the static
 * records, and the checks made on queries and answers.
 *
 * A query name is checked in this order: static records (they win over
 * everything, as in the first vpndns), then exempt clients skip the rest,
 * then NXDOMAIN regexes, then the blocklists, where an allow entry in any
 * list wins over every block.  Answers are checked again, every owner name
 * and CNAME/DNAME target, so a chain that reaches a blocked name is
 * blocked, whether it comes from a forwarder or from the view's cache.
 */
#include "config.h"
#include "vpndns/policy.h"
#include "vpndns/queryid.h"
#include "vpndns/policy_conf.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/state.h"
#include "vpndns/guard.h"
#include "vpndns/blockset.h"
#include "vpndns/listparse.h"
#include "vpndns/out.h"
#include "vpndns/compat.h"
#include "vpndns/nametext.h"
#include "util/log.h"
#include "util/regional.h"
#include "util/net_help.h"
#include "util/module.h"
#include "util/config_file.h"
#include "util/storage/dnstree.h"
#include "util/data/dname.h"
#include "util/data/msgreply.h"
#include "util/data/msgencode.h"
#include "util/data/msgparse.h"
#include "util/data/packed_rrset.h"
#include "services/cache/dns.h"
#include "services/mesh.h"
#include "sldns/str2wire.h"
#include "sldns/sbuffer.h"
#include "sldns/rrdef.h"
#include "sldns/pkthdr.h"

/** list id of the allow entries of vpndns.conf, in the allow set */
#define POLICY_ALLOW_LIST 1
/** start of the EDE text of a block by a list */
#define POLICY_EDE_BLOCKED "vpndns: blocked by "
/** most addresses of one static name that are answered */
#define POLICY_MAX_STATIC_ADDRS 32

/** A static name with its addresses. */
struct policy_static {
	/** name tree node, must be first; name is wire format */
	struct name_tree_node node;
	/** IPv4 addresses, 4 bytes each */
	uint8_t v4[POLICY_MAX_STATIC_ADDRS][4];
	/** number of IPv4 addresses */
	int n4;
	/** IPv6 addresses, 16 bytes each */
	uint8_t v6[POLICY_MAX_STATIC_ADDRS][16];
	/** number of IPv6 addresses */
	int n6;
};

/** A static PTR record. */
struct policy_ptr {
	/** name tree node, must be first; name is the reverse name */
	struct name_tree_node node;
	/** target name, wire format */
	uint8_t* target;
	/** length of target */
	size_t target_len;
};

/**
 * A compiled set of lists.  While its list definitions are unchanged, a
 * new policy (after a forwarding change or an allow change) shares it
 * with the old one instead of reading the files again.
 */
struct policy_set {
	/** the compiled names */
	struct blockset* bs;
	/** the list definitions it was built from, to recognise it */
	char* key;
	/** list paths by list id (1..), for EDE text */
	char** names;
	/** EDE text of a block by each list, by list id, made once when the
	 * set is built instead of on every blocked answer */
	char** ede_texts;
	/** number of entries in names */
	size_t nnames;
	/** policies using it; changed under the module's reload lock */
	int refs;
};

/** The runtime policy. */
struct vpndns_policy {
	/** the configuration part it was built from (borrowed) */
	struct vpndns_policy_conf* pc;
	/** the configuration (borrowed), for view definitions */
	struct vpndns_conf* conf;
	/** Unbound's configuration, for file paths under chroot */
	struct config_file* cfg;
	/** global lists */
	struct policy_set* global;
	/** the allow entries of vpndns.conf */
	struct policy_set* allows;
	/** per-view sets, by view definition index; NULL entries */
	struct policy_set** view_sets;
	/** per-view block actions, by view definition index; NULL: global */
	struct vpndns_action** view_actions;
	/** number of view definitions */
	size_t nviews;
	/** static names, a name tree of struct policy_static */
	rbtree_type statics;
	/** static PTR records, a name tree of struct policy_ptr */
	rbtree_type ptrs;
	/** number of static names */
	size_t nstatic;
	/** counts of the last list load */
	struct listparse_stats stats;
	/** whether to log blocked queries */
	int log_blocked;
	/** use EDE in answers */
	int ede;
	/** nothing to decide: no static name, regex or listed name, so
	 * every name passes (the verdict is made without a lookup) */
	int passes_all;
};

/** Free a node of a name tree of statics. */
static void
policy_static_free(rbnode_type* n, void* ATTR_UNUSED(arg))
{
	struct policy_static* s = (struct policy_static*)n;
	free(s->node.name);
	free(s);
}

/** Free a node of a name tree of PTRs. */
static void
policy_ptr_free(rbnode_type* n, void* ATTR_UNUSED(arg))
{
	struct policy_ptr* p = (struct policy_ptr*)n;
	free(p->node.name);
	free(p->target);
	free(p);
}

/** Drop a reference to a set, freeing it with the last one. */
static void
policy_set_release(struct policy_set* set)
{
	size_t i;
	if(!set || --set->refs > 0)
		return;
	blockset_delete(set->bs);
	for(i = 0; set->names && i < set->nnames; i++)
		free(set->names[i]);
	for(i = 0; set->ede_texts && i < set->nnames; i++)
		free(set->ede_texts[i]);
	free(set->names);
	free(set->ede_texts);
	free(set->key);
	free(set);
}

void
vpndns_policy_delete(struct vpndns_policy* policy)
{
	size_t i;
	if(!policy)
		return;
	policy_set_release(policy->global);
	policy_set_release(policy->allows);
	for(i = 0; policy->view_sets && i < policy->nviews; i++)
		policy_set_release(policy->view_sets[i]);
	free(policy->view_sets);
	free(policy->view_actions);
	traverse_postorder(&policy->statics, policy_static_free, NULL);
	traverse_postorder(&policy->ptrs, policy_ptr_free, NULL);
	free(policy);
}

/** Index of a view definition by name, or -1. */
static int
policy_view_index(struct vpndns_conf* conf, const char* name)
{
	struct vpndns_viewdef* d;
	int i = 0;
	for(d = conf->views; d; d = d->next, i++) {
		if(strcmp(d->name, name) == 0)
			return i;
	}
	return -1;
}

/** Does a list definition belong to the set of a view (NULL: global)? */
static int
policy_list_in(struct vpndns_list_def* d, const char* view)
{
	if(view == NULL)
		return d->view == NULL;
	return d->view != NULL && strcmp(view, d->view) == 0;
}

/** The key of a set: its list definitions, one per line. */
static char*
policy_set_key(struct vpndns_policy* policy, const char* view)
{
	struct vpndns_list_def* d;
	size_t len = 16 + (view ? strlen(view) : 0), n;
	char* key;
	for(d = policy->pc->lists; d; d = d->next)
		if(policy_list_in(d, view))
			len += strlen(d->path) + 4;
	if(!(key = malloc(len)))
		return NULL;
	n = (size_t)snprintf(key, len, "%s\n", view ? view : "");
	for(d = policy->pc->lists; d; d = d->next)
		if(policy_list_in(d, view))
			n += (size_t)snprintf(key+n, len-n, "%s\t%d\n", d->path,
				d->exact);
	return key;
}

/** Give the next list id of a set to a list name, with the EDE text of
 * its blocks. */
static void
policy_set_add_name(struct policy_set* set, const char* name)
{
	size_t n = set->nnames++, len = sizeof(POLICY_EDE_BLOCKED) +
		strlen(name);
	set->names[n] = strdup(name);
	if((set->ede_texts[n] = malloc(len)))
		snprintf(set->ede_texts[n], len, "%s%s", POLICY_EDE_BLOCKED,
			name);
}

/** Read the lists of one set into a builder; ids count from 1. */
static int
policy_load_lists(struct vpndns_policy* policy, struct policy_set* set,
	struct blockset_builder* b, const char* view)
{
	struct vpndns_list_def* d;
	struct listparse_cb cb;
	for(d = policy->pc->lists; d; d = d->next) {
		char* path;
		if(!policy_list_in(d, view))
			continue;
		path = vpndns_path(d->path, policy->cfg,
			policy->conf->in_daemon);
		listparse_cb_init(&cb, b, (uint16_t)(set->nnames), d->exact);
		policy_set_add_name(set, d->path);
		if(!path || !listparse_path(path, &cb)) {
			log_err("vpndns: blocklist %s (%s:%d) could not be "
				"loaded", d->path, policy->conf->file, d->line);
			free(path);
			return 0;
		}
		free(path);
		policy->stats.names += cb.stats.names;
		policy->stats.allows += cb.stats.allows;
		policy->stats.skipped += cb.stats.skipped;
		policy->stats.invalid += cb.stats.invalid;
		policy->stats.files += cb.stats.files;
	}
	return 1;
}

/** Build a set: the lists of a view (NULL: global), or the allow
 * entries of vpndns.conf. */
static struct policy_set*
policy_set_build(struct vpndns_policy* policy, const char* view,
	int allows)
{
	struct vpndns_list_def* d;
	struct vpndns_name_def* a;
	struct blockset_builder* b;
	struct policy_set* set = calloc(1, sizeof(*set));
	size_t n = 2;
	for(d = policy->pc->lists; d; d = d->next)
		n++;
	if(!set || !(set->names = calloc(n, sizeof(char*))) ||
		!(set->ede_texts = calloc(n, sizeof(char*))) ||
		!(b = blockset_builder_create())) {
		if(set) {
			free(set->names);
			free(set->ede_texts);
		}
		free(set);
		return NULL;
	}
	set->refs = 1;
	/* id 0 is unused, so a list id is never 0 */
	set->nnames = 1;
	if(allows) {
		policy_set_add_name(set, "allow");
		for(a = policy->pc->allows; a; a = a->next) {
			if(!blockset_builder_add_text(b, a->name,
				BS_ALLOW_DEFAULT, POLICY_ALLOW_LIST))
				goto fail;
		}
	} else if(!(set->key = policy_set_key(policy, view)) ||
		!policy_load_lists(policy, set, b, view))
		goto fail;
	if(!(set->bs = blockset_builder_finish(b))) {
		policy_set_release(set);
		return NULL;
	}
	return set;
fail:
	blockset_builder_delete(b);
	policy_set_release(set);
	return NULL;
}

/** Find a set of the previous policy built from the same lists. */
static struct policy_set*
policy_set_find(struct vpndns_policy* prev, const char* key)
{
	size_t i;
	if(!prev || !key)
		return NULL;
	if(prev->global && strcmp(prev->global->key, key) == 0)
		return prev->global;
	for(i = 0; prev->view_sets && i < prev->nviews; i++)
		if(prev->view_sets[i] && strcmp(prev->view_sets[i]->key,
			key) == 0)
			return prev->view_sets[i];
	return NULL;
}

/** Get the set of a view's lists: shared from prev, or loaded. */
static struct policy_set*
policy_set_get(struct vpndns_policy* policy, struct vpndns_policy* prev,
	const char* view)
{
	struct policy_set* set;
	char* key = policy_set_key(policy, view);
	if(!key)
		return NULL;
	if((set = policy_set_find(prev, key))) {
		set->refs++;
		free(key);
		return set;
	}
	free(key);
	return policy_set_build(policy, view, 0);
}

/** Build the global, allow and per-view sets. */
static int
policy_build_sets(struct vpndns_policy* policy, struct vpndns_policy* prev)
{
	struct vpndns_viewdef* d;
	struct vpndns_list_def* l;
	size_t i = 0;
	if(!(policy->global = policy_set_get(policy, prev, NULL)) ||
		!(policy->allows = policy_set_build(policy, NULL, 1)))
		return 0;
	for(d = policy->conf->views; d; d = d->next, i++) {
		for(l = policy->pc->lists; l; l = l->next) {
			if(l->view && strcmp(l->view, d->name) == 0)
				break;
		}
		if(l && !(policy->view_sets[i] = policy_set_get(policy, prev,
			d->name)))
			return 0;
	}
	return 1;
}

/** Add a PTR record for an address. */
static int
policy_add_ptr(struct vpndns_policy* policy, const uint8_t* name,
	size_t namelen, int family, const uint8_t* addr)
{
	char rev[128];
	size_t len = 0, i;
	struct policy_ptr* p;
	uint8_t* wire;
	if(family == AF_INET) {
		snprintf(rev, sizeof(rev), "%u.%u.%u.%u.in-addr.arpa.",
			addr[3], addr[2], addr[1], addr[0]);
	} else {
		for(i = 0; i < 16; i++) {
			static const char hex[] = "0123456789abcdef";
			rev[len++] = hex[addr[15-i] & 0xf];
			rev[len++] = '.';
			rev[len++] = hex[addr[15-i] >> 4];
			rev[len++] = '.';
		}
		snprintf(rev+len, sizeof(rev)-len, "ip6.arpa.");
	}
	if(!(wire = sldns_str2wire_dname(rev, &len)))
		return 0;
	if(name_tree_find(&policy->ptrs, wire, len, dname_count_labels(wire),
		LDNS_RR_CLASS_IN)) {
		/* the first name listed for an address keeps its PTR */
		free(wire);
		return 1;
	}
	if(!(p = calloc(1, sizeof(*p))) || !(p->target = memdup(
		(void*)name, namelen))) {
		free(p);
		free(wire);
		return 0;
	}
	p->target_len = namelen;
	(void)name_tree_insert(&policy->ptrs, &p->node, wire, len,
		dname_count_labels(wire), LDNS_RR_CLASS_IN);
	return 1;
}

/** Receive one static record from the hosts-format parser. */
static int
policy_static_record(void* arg, const char* name, int family,
	const uint8_t* addr)
{
	struct vpndns_policy* policy = (struct vpndns_policy*)arg;
	struct policy_static* s;
	size_t len;
	uint8_t* wire = sldns_str2wire_dname(name, &len);
	if(!wire)
		return 1; /* the parser validated it; nothing to answer */
	s = (struct policy_static*)name_tree_find(&policy->statics, wire, len,
		dname_count_labels(wire), LDNS_RR_CLASS_IN);
	if(!s) {
		if(!(s = calloc(1, sizeof(*s)))) {
			free(wire);
			return 0;
		}
		(void)name_tree_insert(&policy->statics, &s->node, wire, len,
			dname_count_labels(wire), LDNS_RR_CLASS_IN);
		policy->nstatic++;
	} else
		free(wire);
	if(family == AF_INET && s->n4 < POLICY_MAX_STATIC_ADDRS)
		memcpy(s->v4[s->n4++], addr, 4);
	else if(family == AF_INET6 && s->n6 < POLICY_MAX_STATIC_ADDRS)
		memcpy(s->v6[s->n6++], addr, 16);
	if(policy->pc->static_ptr)
		return policy_add_ptr(policy, s->node.name, s->node.len,
			family, addr);
	return 1;
}

/** Load the static records file. */
static int
policy_load_static(struct vpndns_policy* policy)
{
	struct listparse_cb cb;
	char* path;
	if(!policy->pc->static_file)
		return 1;
	listparse_cb_init(&cb, NULL, 0, 0);
	path = vpndns_path(policy->pc->static_file, policy->cfg,
		policy->conf->in_daemon);
	if(!path || !listparse_hosts_records(path, policy_static_record,
		policy, &cb)) {
		log_err("vpndns: static-records %s (%s:%d) could not be loaded",
			policy->pc->static_file, policy->conf->file,
			policy->pc->static_line);
		free(path);
		return 0;
	}
	free(path);
	name_tree_init_parents(&policy->statics);
	name_tree_init_parents(&policy->ptrs);
	return 1;
}

/** Fill the per-view actions. */
static void
policy_index(struct vpndns_policy* policy)
{
	struct vpndns_view_action* va;
	for(va = policy->pc->view_actions; va; va = va->next) {
		int i = policy_view_index(policy->conf, va->view);
		if(i >= 0)
			policy->view_actions[i] = &va->action;
	}
}

static size_t policy_sets_sum(struct vpndns_policy* policy,
	size_t (*measure)(const struct blockset*), int with_allows);

struct vpndns_policy*
vpndns_policy_create(struct vpndns_conf* conf, struct config_file* cfg,
	struct vpndns_policy* prev)
{
	struct vpndns_viewdef* d;
	struct vpndns_policy* policy = calloc(1, sizeof(*policy));
	if(!policy)
		return NULL;
	policy->conf = conf;
	policy->cfg = cfg;
	policy->pc = conf->policy;
	policy->log_blocked = conf->log_blocked;
	policy->ede = cfg ? cfg->ede : 1;
	name_tree_init(&policy->statics);
	name_tree_init(&policy->ptrs);
	for(d = conf->views; d; d = d->next)
		policy->nviews++;
	if(policy->nviews && (!(policy->view_sets = calloc(policy->nviews,
		sizeof(*policy->view_sets))) || !(policy->view_actions = calloc(
		policy->nviews, sizeof(*policy->view_actions))))) {
		log_err("vpndns: out of memory");
		vpndns_policy_delete(policy);
		return NULL;
	}
	policy_index(policy);
	if(!policy_build_sets(policy, prev) || !policy_load_static(policy)) {
		vpndns_policy_delete(policy);
		return NULL;
	}
	policy->passes_all = policy->nstatic == 0 && !policy->pc->regexes &&
		policy_sets_sum(policy, blockset_count, 0) == 0;
	verbose(VERB_OPS, "vpndns: blocklists: %u names, %u allows, %u "
		"skipped, %u invalid lines, %u files; %u static names",
		(unsigned)policy->stats.names, (unsigned)policy->stats.allows,
		(unsigned)policy->stats.skipped, (unsigned)policy->stats.invalid,
		(unsigned)policy->stats.files, (unsigned)policy->nstatic);
	return policy;
}

/** Sum a measure of the blocksets: global lists and per-view lists,
 * and the allow set when asked. */
static size_t
policy_sets_sum(struct vpndns_policy* policy,
	size_t (*measure)(const struct blockset*), int with_allows)
{
	size_t n = measure(policy->global->bs), i;
	if(with_allows)
		n += measure(policy->allows->bs);
	for(i = 0; policy->view_sets && i < policy->nviews; i++)
		if(policy->view_sets[i])
			n += measure(policy->view_sets[i]->bs);
	return n;
}

size_t
vpndns_policy_get_mem(struct vpndns_policy* policy)
{
	if(!policy)
		return 0;
	return sizeof(*policy) + policy_sets_sum(policy, blockset_get_mem, 1) +
		policy->nstatic * sizeof(struct policy_static);
}

size_t
vpndns_policy_names(struct vpndns_policy* policy)
{
	return policy ? policy_sets_sum(policy, blockset_count, 0) : 0;
}

/**
 * The index of a view's definition in the policy's configuration, or -1
 * (a reflect view, or a view the configuration no longer has).
 */
static int
policy_view_def(struct vpndns_policy* policy, struct vpndns_view* view)
{
	if(!view || view->def_index < 0)
		return -1;
	if(view->set->conf == policy->conf)
		return (size_t)view->def_index < policy->nviews ?
			view->def_index : -1;
	/* a view of another configuration (a query that outlived a reload,
	 * or one checked against a newer policy) keeps its lists by name */
	if(vpndns_guard_off("viewlists"))
		return -1;
	return policy_view_index(policy->conf, view->name);
}

size_t
vpndns_policy_view_names(struct vpndns_policy* policy,
	struct vpndns_view* view)
{
	int d = policy ? policy_view_def(policy, view) : -1;
	if(d < 0 || !policy->view_sets || !policy->view_sets[d])
		return 0;
	return blockset_count(policy->view_sets[d]->bs);
}

size_t
vpndns_policy_scope_names(struct vpndns_policy* policy, const char* name)
{
	int d;
	if(!policy)
		return 0;
	if(!name)
		return blockset_count(policy->global->bs);
	d = policy_view_index(policy->conf, name);
	if(d < 0 || !policy->view_sets || !policy->view_sets[d])
		return 0;
	return blockset_count(policy->view_sets[d]->bs);
}

/** The list set of a view, or NULL. */
static struct policy_set*
policy_view_set(struct vpndns_policy* policy, struct vpndns_view* view)
{
	int i = policy_view_def(policy, view);
	return i < 0 ? NULL : policy->view_sets[i];
}

/** The block action of a view. */
static struct vpndns_action*
policy_action(struct vpndns_policy* policy, struct vpndns_view* view)
{
	int i = policy_view_def(policy, view);
	if(i >= 0 && policy->view_actions[i])
		return policy->view_actions[i];
	return &policy->pc->action;
}

/** Check a name against the blocklists. */
static int
policy_name_blocked(struct vpndns_policy* policy, struct vpndns_view* view,
	uint8_t* name, size_t len, struct vpndns_verdict* m)
{
	const struct blockset* sets[3];
	struct policy_set* ps[3];
	struct blockset_result res;
	int n = 0;
	ps[n] = policy->global;
	sets[n++] = policy->global->bs;
	ps[n] = policy->allows;
	sets[n++] = policy->allows->bs;
	if((ps[n] = policy_view_set(policy, view)))
		sets[n] = ps[n]->bs, n++;
	if(blockset_lookup_multi(sets, n, name, len, &res) != BLOCKSET_BLOCKED)
		return 0;
	m->kind = vpndns_verdict_blocked;
	if(res.list_id < ps[res.set_index]->nnames) {
		m->list_name = ps[res.set_index]->names[res.list_id];
		m->ede_text = ps[res.set_index]->ede_texts[res.list_id];
	} else	m->list_name = "?";
	return 1;
}

/** Check a name against the NXDOMAIN regexes. */
static int
policy_name_regex(struct vpndns_policy* policy, uint8_t* name,
	struct vpndns_verdict* m)
{
	char text[VPNDNS_NAME_TEXT_SIZE];
	struct vpndns_regex_def* r;
	if(!policy->pc->regexes)
		return 0;
	/* the whole name, however long: the patterns see it without the
	 * trailing dot */
	(void)vpndns_name_text(name, text, 0);
	for(r = policy->pc->regexes; r; r = r->next) {
		if(regexec(&r->re, text, 0, NULL, 0) == 0) {
			m->kind = vpndns_verdict_regex;
			m->regex = r;
			return 1;
		}
	}
	return 0;
}

/** Is the client exempt from blocking? */
static int
policy_exempt(struct vpndns_policy* policy, struct sockaddr_storage* addr,
	socklen_t addrlen)
{
	if(!policy->pc->has_exempt || !addr)
		return 0;
	return addr_tree_lookup(&policy->pc->exempt, addr, addrlen) != NULL;
}

/** Check a query against the whole policy. */
static int
policy_check(struct vpndns_policy* policy, struct vpndns_view* view,
	struct sockaddr_storage* addr, socklen_t addrlen,
	struct query_info* qinfo, struct vpndns_verdict* m)
{
	memset(m, 0, sizeof(*m));
	if(policy->nstatic) {
		int labs = dname_count_labels(qinfo->qname);
		if(qinfo->qtype == LDNS_RR_TYPE_PTR && (m->ptr =
			(struct policy_ptr*)name_tree_find(&policy->ptrs,
			qinfo->qname, qinfo->qname_len, labs,
			LDNS_RR_CLASS_IN))) {
			m->kind = vpndns_verdict_static;
			return 1;
		}
		if((m->st = (struct policy_static*)name_tree_find(
			&policy->statics, qinfo->qname, qinfo->qname_len, labs,
			LDNS_RR_CLASS_IN))) {
			m->kind = vpndns_verdict_static;
			return 1;
		}
	}
	if(policy_exempt(policy, addr, addrlen))
		return 0;
	if(policy_name_regex(policy, qinfo->qname, m))
		return 1;
	return policy_name_blocked(policy, view, qinfo->qname,
		qinfo->qname_len, m);
}

/** Allocate a one-rrset packed key of a type for the query name. */
static struct ub_packed_rrset_key*
policy_rrset(struct regional* region, struct query_info* qinfo,
	uint16_t type, uint8_t* name, size_t namelen, size_t count,
	size_t rdlen, uint32_t ttl)
{
	struct ub_packed_rrset_key* k = regional_alloc_zero(region,
		sizeof(*k));
	struct packed_rrset_data* d;
	size_t i;
	if(!k)
		return NULL;
	k->entry.key = k;
	k->rk.dname = regional_alloc_init(region, name, namelen);
	k->rk.dname_len = namelen;
	k->rk.type = htons(type);
	k->rk.rrset_class = htons(qinfo->qclass);
	d = regional_alloc_zero(region, sizeof(*d) + count*(sizeof(size_t) +
		sizeof(uint8_t*) + sizeof(time_t) + 2 + rdlen));
	if(!k->rk.dname || !d)
		return NULL;
	d->ttl = ttl;
	d->count = count;
	d->trust = rrset_trust_prim_noglue;
	d->security = sec_status_insecure;
	d->rr_len = (size_t*)(d+1);
	d->rr_ttl = (time_t*)(d->rr_len + count);
	d->rr_data = (uint8_t**)(d->rr_ttl + count);
	for(i = 0; i < count; i++) {
		d->rr_len[i] = 2 + rdlen;
		d->rr_ttl[i] = ttl;
		d->rr_data[i] = (uint8_t*)(d->rr_data + count) + i*(2+rdlen);
		sldns_write_uint16(d->rr_data[i], (uint16_t)rdlen);
	}
	k->entry.data = d;
	return k;
}

/** Make a reply with the given rcode and at most one answer rrset. */
static struct reply_info*
policy_reply(struct regional* region, int rcode,
	struct ub_packed_rrset_key* rrset, uint32_t ttl)
{
	struct reply_info* rep = VPNDNS_REPLY_INFO_BASE(region,
		(uint16_t)(BIT_QR|BIT_AA|BIT_RA|rcode), 1, ttl, rrset?1:0, 0, 0,
		rrset?1:0, sec_status_insecure);
	if(!rep)
		return NULL;
	if(rrset)
		rep->rrsets[0] = rrset;
	return rep;
}

/** Addresses of the answer: from a static entry or a block action. */
static struct reply_info*
policy_addr_reply(struct regional* region, struct query_info* qinfo,
	const uint8_t* addrs, int n, size_t alen, uint32_t ttl)
{
	struct ub_packed_rrset_key* k;
	struct packed_rrset_data* d;
	int i;
	if(n == 0)
		return policy_reply(region, LDNS_RCODE_NOERROR, NULL, ttl);
	if(!(k = policy_rrset(region, qinfo, qinfo->qtype, qinfo->qname,
		qinfo->qname_len, (size_t)n, alen, ttl)))
		return NULL;
	d = (struct packed_rrset_data*)k->entry.data;
	for(i = 0; i < n; i++)
		memcpy(d->rr_data[i]+2, addrs + (size_t)i*alen, alen);
	return policy_reply(region, LDNS_RCODE_NOERROR, k, ttl);
}

/** The reply for a static hit. */
static struct reply_info*
policy_static_reply(struct vpndns_policy* policy, struct regional* region,
	struct query_info* qinfo, struct vpndns_verdict* m)
{
	uint32_t ttl = policy->pc->static_ttl;
	if(m->ptr) {
		struct ub_packed_rrset_key* k = policy_rrset(region, qinfo,
			LDNS_RR_TYPE_PTR, qinfo->qname, qinfo->qname_len, 1,
			m->ptr->target_len, ttl);
		if(!k)
			return NULL;
		memcpy(((struct packed_rrset_data*)k->entry.data)->rr_data[0]+2,
			m->ptr->target, m->ptr->target_len);
		return policy_reply(region, LDNS_RCODE_NOERROR, k, ttl);
	}
	if(qinfo->qtype == LDNS_RR_TYPE_A)
		return policy_addr_reply(region, qinfo, &m->st->v4[0][0],
			m->st->n4, 4, ttl);
	if(qinfo->qtype == LDNS_RR_TYPE_AAAA)
		return policy_addr_reply(region, qinfo, &m->st->v6[0][0],
			m->st->n6, 16, ttl);
	return policy_reply(region, LDNS_RCODE_NOERROR, NULL, ttl);
}

/** The reply for a block; NULL with *rcode set for REFUSED. */
static struct reply_info*
policy_block_reply(struct vpndns_policy* policy, struct regional* region,
	struct query_info* qinfo, struct vpndns_action* act, int* rcode)
{
	static const uint8_t zero[16] = {0};
	uint32_t ttl = policy->pc->block_ttl;
	*rcode = LDNS_RCODE_NOERROR;
	switch(act->kind) {
	case vpndns_action_refuse:
		*rcode = LDNS_RCODE_REFUSED;
		return NULL;
	case vpndns_action_nodata:
		return policy_reply(region, LDNS_RCODE_NOERROR, NULL, ttl);
	case vpndns_action_null:
	case vpndns_action_ip:
		if(qinfo->qtype == LDNS_RR_TYPE_A)
			return policy_addr_reply(region, qinfo,
				act->kind == vpndns_action_ip ? act->v4 : zero,
				1, 4, ttl);
		if(qinfo->qtype == LDNS_RR_TYPE_AAAA)
			return policy_addr_reply(region, qinfo,
				act->kind == vpndns_action_ip ? act->v6 : zero,
				act->kind == vpndns_action_ip && !act->has_v6 ?
				0 : 1, 16, ttl);
		return policy_reply(region, LDNS_RCODE_NOERROR, NULL, ttl);
	case vpndns_action_nxdomain:
	default:
		return policy_reply(region, LDNS_RCODE_NXDOMAIN, NULL, ttl);
	}
}

/** EDE text for a match, in region. */
static const char*
policy_ede_text(struct vpndns_policy* policy, struct regional* region,
	struct vpndns_verdict* m)
{
	char buf[512];
	if(m->ede_text)
		return m->ede_text; /* the list's, made with its set */
	if(m->kind == vpndns_verdict_regex)
		snprintf(buf, sizeof(buf), "vpndns: nxdomain-regex %s (%s:%d)",
			m->regex->pattern, policy->conf->file, m->regex->line);
	else	snprintf(buf, sizeof(buf), "%s%s", POLICY_EDE_BLOCKED,
			m->list_name ? m->list_name : "?");
	return regional_strdup(region, buf);
}

/** Log a blocked query if enabled. */
static void
policy_log(struct vpndns_policy* policy, struct vpndns_view* view,
	struct sockaddr_storage* addr, socklen_t addrlen,
	struct query_info* qinfo, const char* why)
{
	char name[VPNDNS_NAME_TEXT_SIZE], a[128];
	if(!policy->log_blocked)
		return;
	(void)vpndns_name_text(qinfo->qname, name, 1);
	if(addr)
		addr_to_str(addr, addrlen, a, sizeof(a));
	else	snprintf(a, sizeof(a), "-");
	log_info("vpndns: blocked %s from %s view %s: %s", name, a,
		view ? view->name : "-", why);
}

/**
 * Make the policy's reply for a match.
 * @return the reply, or NULL with *rcode for an rcode-only answer, or
 *	NULL with *rcode = -1 on malloc failure.
 */
static struct reply_info*
policy_match_reply(struct vpndns_policy* policy, struct regional* region,
	struct query_info* qinfo, struct vpndns_view* view,
	struct vpndns_verdict* m, int* rcode)
{
	struct reply_info* rep;
	*rcode = LDNS_RCODE_NOERROR;
	if(m->kind == vpndns_verdict_static)
		rep = policy_static_reply(policy, region, qinfo, m);
	else if(m->kind == vpndns_verdict_regex)
		rep = policy_reply(region, LDNS_RCODE_NXDOMAIN, NULL,
			policy->pc->block_ttl);
	else	rep = policy_block_reply(policy, region, qinfo,
			policy_action(policy, view), rcode);
	if(!rep && *rcode == LDNS_RCODE_NOERROR)
		*rcode = -1;
	return rep;
}

/** The TTL override that applies to a name, or NULL. */
static struct vpndns_ttl_def*
policy_ttl_find(struct vpndns_policy* policy, uint8_t* qname)
{
	struct vpndns_ttl_def* t, *best = NULL;
	for(t = policy->pc->ttls; t; t = t->next) {
		if(dname_subdomain_c(qname, t->dname) &&
			(!best || t->labs > best->labs))
			best = t;
	}
	return best;
}

/** Test builds and unit tests switch the direct block encoder off to
 * compare its bytes with the general encoder's. */
static int policy_wire_off = 0;

void
vpndns_policy_wire_answers(int on)
{
	policy_wire_off = !on;
}

/** The address a block action answers for the query type, if any.
 * @return its length (4 or 16), 0 for none. */
static size_t
policy_block_addr(struct vpndns_action* act, uint16_t qtype,
	const uint8_t** addr)
{
	static const uint8_t zero[16] = {0};
	if(act->kind != vpndns_action_null && act->kind != vpndns_action_ip)
		return 0;
	if(qtype == LDNS_RR_TYPE_A) {
		*addr = act->kind == vpndns_action_ip ? act->v4 : zero;
		return 4;
	}
	if(qtype == LDNS_RR_TYPE_AAAA && (act->kind == vpndns_action_null ||
		act->has_v6)) {
		*addr = act->kind == vpndns_action_ip ? act->v6 : zero;
		return 16;
	}
	return 0;
}

/**
 * Write a block answer straight into the query's packet: the bytes
 * reply_info_answer_encode makes of policy_block_reply's answer, without
 * building the reply and its compression tree.  A flood of listed names
 * is the load a blocking resolver must take best.  Anything unusual (an
 * alias, other EDNS options, padding, REFUSED, a regex, a reply that
 * would not fit) goes to the general encoder.
 * @return false if the general encoder must make this answer.
 */
static int
policy_block_wire(struct vpndns_policy* policy, struct module_env* env,
	struct vpndns_view* view, struct query_info* qinfo,
	struct edns_data* edns, sldns_buffer* pkt, struct vpndns_verdict* m)
{
	struct vpndns_action* act = policy_action(policy, view);
	const uint8_t* addr = NULL;
	size_t alen, tlen = m->ede_text ? strlen(m->ede_text) : 0, need;
	size_t room = sldns_buffer_capacity(pkt);
	uint16_t id = vpndns_query_id(pkt);
	uint16_t flags = (uint16_t)(BIT_QR|BIT_AA|BIT_RA|
		(sldns_buffer_read_u16_at(pkt, 2) & (BIT_RD|BIT_CD)));
	int ede = env->cfg->ede && edns->edns_present;
	if(policy_wire_off || m->kind != vpndns_verdict_blocked ||
		!m->ede_text || qinfo->local_alias || qinfo->qname_len < 2 ||
		edns->opt_list_out || edns->opt_list_inplace_cb_out ||
		edns->padding_block_size || act->kind == vpndns_action_refuse)
		return 0;
	alen = policy_block_addr(act, qinfo->qtype, &addr);
	if(act->kind == vpndns_action_nxdomain)
		flags |= LDNS_RCODE_NXDOMAIN;
	need = LDNS_HEADER_SIZE + qinfo->qname_len + 4 + (alen ? 12 + alen : 0)
		+ (edns->edns_present ? 11 + (ede ? 6 + tlen : 0) : 0);
	if(edns->udp_size < room)
		room = edns->udp_size;
	if(need > room || (ede && tlen > 0xffff - 6))
		return 0;
	sldns_buffer_clear(pkt);
	sldns_buffer_write(pkt, &id, sizeof(id));
	sldns_buffer_write_u16(pkt, flags);
	sldns_buffer_write_u16(pkt, 1);
	sldns_buffer_write_u16(pkt, alen ? 1 : 0);
	sldns_buffer_write_u16(pkt, 0);
	sldns_buffer_write_u16(pkt, edns->edns_present ? 1 : 0);
	/* the question's name is in place already, where the query had it */
	memmove(sldns_buffer_current(pkt), qinfo->qname, qinfo->qname_len);
	sldns_buffer_skip(pkt, (ssize_t)qinfo->qname_len);
	sldns_buffer_write_u16(pkt, qinfo->qtype);
	sldns_buffer_write_u16(pkt, qinfo->qclass);
	if(alen) {
		/* the owner compressed to the question's name */
		sldns_buffer_write_u16(pkt, 0xc000 | LDNS_HEADER_SIZE);
		sldns_buffer_write_u16(pkt, qinfo->qtype);
		sldns_buffer_write_u16(pkt, qinfo->qclass);
		sldns_buffer_write_u32(pkt, policy->pc->block_ttl);
		sldns_buffer_write_u16(pkt, (uint16_t)alen);
		sldns_buffer_write(pkt, addr, alen);
	}
	if(edns->edns_present) {
		sldns_buffer_write_u8(pkt, 0); /* the root, owner of OPT */
		sldns_buffer_write_u16(pkt, LDNS_RR_TYPE_OPT);
		sldns_buffer_write_u16(pkt, EDNS_ADVERTISED_SIZE);
		sldns_buffer_write_u8(pkt, 0); /* extended rcode */
		sldns_buffer_write_u8(pkt, EDNS_ADVERTISED_VERSION);
		sldns_buffer_write_u16(pkt, edns->bits & EDNS_DO);
		sldns_buffer_write_u16(pkt, (uint16_t)(ede ? 6 + tlen : 0));
		if(ede) {
			sldns_buffer_write_u16(pkt, LDNS_EDNS_EDE);
			sldns_buffer_write_u16(pkt, (uint16_t)(2 + tlen));
			sldns_buffer_write_u16(pkt, LDNS_EDE_BLOCKED);
			sldns_buffer_write(pkt, m->ede_text, tlen);
		}
	}
	sldns_buffer_flip(pkt);
	return 1;
}

/** Encode the policy's answer into the packet for the front hook. */
static void
policy_encode(struct vpndns_policy* policy, struct module_env* env,
	struct vpndns_view* view, struct query_info* asked,
	struct edns_data* edns, sldns_buffer* pkt, struct regional* scratch,
	struct vpndns_verdict* m)
{
	uint16_t id = vpndns_query_id(pkt);
	uint16_t flags = sldns_buffer_read_u16_at(pkt, 2);
	uint16_t udpsize = edns->udp_size;
	int rcode;
	struct query_info client_q, *qinfo = asked;
	struct reply_info* rep;
	if(policy_block_wire(policy, env, view, asked, edns, pkt, m))
		return;
	if(asked->local_alias) {
		/* Unbound's local data or RPZ made the client's name an alias
		 * of the blocked one: the block answer is for the name the
		 * client asked, without the alias leading to the block */
		client_q = *asked;
		client_q.qname = asked->local_alias->rrset->rk.dname;
		client_q.qname_len = asked->local_alias->rrset->rk.dname_len;
		client_q.local_alias = NULL;
		qinfo = &client_q;
	}
	rep = policy_match_reply(policy, scratch, qinfo, view, m, &rcode);
	edns->edns_version = EDNS_ADVERTISED_VERSION;
	edns->udp_size = EDNS_ADVERTISED_SIZE;
	edns->ext_rcode = 0;
	edns->bits &= EDNS_DO;
	if(m->kind != vpndns_verdict_static && env->cfg->ede)
		(void)edns_opt_list_append_ede(&edns->opt_list_out, scratch,
			LDNS_EDE_BLOCKED, policy_ede_text(policy, scratch, m));
	if(!rep || !reply_info_answer_encode(qinfo, rep, id, flags, pkt, 0, 0,
		scratch, udpsize, edns, 0, 0))
		error_encode(pkt, rcode > 0 ? rcode : LDNS_RCODE_SERVFAIL,
			qinfo, id, flags, edns);
}

int
vpndns_policy_plain(struct vpndns_policy* policy)
{
	return policy->passes_all && !policy->pc->ttls;
}

int
vpndns_policy_decide(struct vpndns_policy* policy, struct vpndns_view* view,
	struct sockaddr_storage* addr, socklen_t addrlen,
	struct query_info* qinfo, struct vpndns_verdict* v)
{
	if(policy->passes_all) {
		memset(v, 0, sizeof(*v));
		v->memoizable = 1;
		if(policy->pc->ttls)
			v->ttl = policy_ttl_find(policy, qinfo->qname);
		return 0;
	}
	if(policy_check(policy, view, addr, addrlen, qinfo, v))
		return 1;
	/* a pass holds for every client of the view, unless this client
	 * was only let through by an exemption */
	v->memoizable = !policy_exempt(policy, addr, addrlen);
	if(policy->pc->ttls)
		v->ttl = policy_ttl_find(policy, qinfo->qname);
	return 0;
}

void
vpndns_policy_front_answer(struct vpndns_policy* policy,
	struct module_env* env, struct vpndns_view* view,
	struct comm_reply* repinfo, struct query_info* qinfo,
	struct edns_data* edns, sldns_buffer* pkt, struct regional* scratch,
	struct vpndns_verdict* v)
{
	if(v->kind != vpndns_verdict_static) {
		VPNDNS_STAT_INC(vpndns_view_stats_get(view, env)->blocked);
		policy_log(policy, view, &repinfo->client_addr,
			repinfo->client_addrlen, qinfo,
			v->kind == vpndns_verdict_regex ? "nxdomain-regex" :
			v->list_name);
	}
	policy_encode(policy, env, view, qinfo, edns, pkt, scratch, v);
}

int
vpndns_policy_front(struct vpndns_policy* policy, struct module_env* env,
	struct vpndns_view* view, struct comm_reply* repinfo,
	struct query_info* qinfo, struct edns_data* edns, sldns_buffer* pkt,
	struct regional* scratch, struct vpndns_verdict* v)
{
	if(!vpndns_policy_decide(policy, view, &repinfo->client_addr,
		repinfo->client_addrlen, qinfo, v))
		return 0;
	vpndns_policy_front_answer(policy, env, view, repinfo, qinfo, edns,
		pkt, scratch, v);
	return 1;
}

/** Check the names of a reply: owners and CNAME/DNAME targets; passed:
 * a name this policy let pass for the query already (its question), not
 * looked up again, or NULL. */
static int
policy_rep_blocked(struct vpndns_policy* policy, struct vpndns_view* view,
	struct reply_info* rep, struct vpndns_verdict* m, uint8_t* passed)
{
	size_t i;
	memset(m, 0, sizeof(*m));
	if(policy->passes_all)
		return 0; /* no listed name */
	for(i = 0; i < rep->an_numrrsets; i++) {
		struct ub_packed_rrset_key* k = rep->rrsets[i];
		uint16_t t = ntohs(k->rk.type);
		if(!(passed && query_dname_compare(k->rk.dname, passed) == 0)
			&& policy_name_blocked(policy, view, k->rk.dname,
			k->rk.dname_len, m))
			return 1;
		if(t == LDNS_RR_TYPE_CNAME || t == LDNS_RR_TYPE_DNAME) {
			struct packed_rrset_data* d = (struct packed_rrset_data*)
				k->entry.data;
			size_t j;
			/* every record: the scrubber keeps one, but the check
			 * does not rely on it */
			for(j = 0; j < d->count; j++) {
				uint8_t* target = d->rr_data[j] + 2;
				size_t tlen;
				if(d->rr_len[j] < 3)
					continue;
				tlen = d->rr_len[j] - 2;
				if(dname_valid(target, tlen) == tlen &&
					policy_name_blocked(policy, view, target,
					tlen, m))
					return 1;
			}
		}
	}
	return 0;
}

int
vpndns_policy_front_cached(struct vpndns_policy* policy,
	struct module_env* env, struct vpndns_view* view,
	struct comm_reply* repinfo, struct query_info* qinfo,
	struct edns_data* edns, sldns_buffer* pkt, struct regional* scratch,
	struct reply_info* rep)
{
	struct vpndns_verdict m;
	if(rep->an_numrrsets < 2 && (rep->an_numrrsets == 0 ||
		(rep->rrsets[0]->rk.type != htons(LDNS_RR_TYPE_CNAME) &&
		rep->rrsets[0]->rk.type != htons(LDNS_RR_TYPE_DNAME))))
		return 0; /* only the query name, checked already */
	if(policy_exempt(policy, &repinfo->client_addr,
		repinfo->client_addrlen) ||
		!policy_rep_blocked(policy, view, rep, &m, NULL))
		return 0;
	VPNDNS_STAT_INC(vpndns_view_stats_get(view, env)->blocked);
	policy_log(policy, view, &repinfo->client_addr,
		repinfo->client_addrlen, qinfo, "cached CNAME chain");
	policy_encode(policy, env, view, qinfo, edns, pkt, scratch, &m);
	return 1;
}

/** The client address of a mesh query, or NULL. */
static struct comm_reply*
policy_client(struct module_qstate* qstate)
{
	if(qstate->mesh_info && qstate->mesh_info->reply_list)
		return &qstate->mesh_info->reply_list->query_reply;
	return NULL;
}

/** Finish a mesh query with the policy's answer for a match. */
static void
policy_finish(struct vpndns_policy* policy, struct module_qstate* qstate,
	int id, struct vpndns_view* view, struct vpndns_verdict* m)
{
	int rcode;
	struct reply_info* rep = policy_match_reply(policy, qstate->region,
		&qstate->qinfo, view, m, &rcode);
	struct dns_msg* msg = NULL;
	if(rep && (msg = regional_alloc_zero(qstate->region, sizeof(*msg)))) {
		msg->qinfo = qstate->qinfo;
		msg->rep = rep;
	}
	qstate->return_msg = msg;
	qstate->return_rcode = msg ? LDNS_RCODE_NOERROR :
		(rcode > 0 ? rcode : LDNS_RCODE_SERVFAIL);
	if(m->kind == vpndns_verdict_blocked) {
		/* the iterator cached its own result for this name, such as
		 * the SERVFAIL of a chain cut by the egress veto; drop it, so
		 * the next query meets the policy again, not that entry */
		msg_cache_remove(qstate->env, qstate->qinfo.qname,
			qstate->qinfo.qname_len, qstate->qinfo.qtype,
			qstate->qinfo.qclass, qstate->query_flags);
	}
	if(m->kind != vpndns_verdict_static) {
		struct comm_reply* c = policy_client(qstate);
		VPNDNS_STAT_INC(vpndns_view_stats_get(view,
			qstate->env)->blocked);
		policy_log(policy, view, c ? &c->client_addr : NULL,
			c ? c->client_addrlen : 0, &qstate->qinfo,
			m->kind == vpndns_verdict_regex ? "nxdomain-regex" :
			m->list_name);
		if(qstate->env->cfg->ede)
			(void)edns_opt_list_append_ede(
				&qstate->edns_opts_front_out, qstate->region,
				LDNS_EDE_BLOCKED, policy_ede_text(policy,
				qstate->region, m));
	}
	qstate->ext_state[id] = module_finished;
}

int
vpndns_policy_query(struct vpndns_policy* policy,
	struct module_qstate* qstate, int id, struct vpndns_view* view)
{
	struct vpndns_verdict m;
	struct comm_reply* c = policy_client(qstate);
	if(!policy_check(policy, view, c ? &c->client_addr : NULL,
		c ? c->client_addrlen : 0, &qstate->qinfo, &m))
		return 0;
	policy_finish(policy, qstate, id, view, &m);
	return 1;
}

/** Apply a TTL override to the iterator's answer. */
static void
policy_ttl_override(struct vpndns_policy* policy,
	struct module_qstate* qstate)
{
	struct vpndns_ttl_def* best = policy_ttl_find(policy,
		qstate->qinfo.qname);
	struct reply_info* rep;
	size_t i, j;
	if(!best || !qstate->return_msg)
		return;
	/* a copy: the answer's rrsets may be shared with the cache */
	if(!(rep = reply_info_copy(qstate->return_msg->rep, NULL,
		qstate->region)))
		return;
	rep->ttl = rep->prefetch_ttl = best->ttl;
	for(i = 0; i < rep->rrset_count; i++) {
		struct packed_rrset_data* d = (struct packed_rrset_data*)
			rep->rrsets[i]->entry.data;
		d->ttl = best->ttl;
		for(j = 0; j < d->count + d->rrsig_count; j++)
			d->rr_ttl[j] = best->ttl;
	}
	qstate->return_msg->rep = rep;
}

void
vpndns_policy_front_ttl(struct vpndns_verdict* v, sldns_buffer* pkt)
{
	struct vpndns_ttl_def* best = v->ttl;
	size_t rrs, i;
	if(!best)
		return;
	/* the answer came from the cache, with the cache's TTLs: rewrite
	 * the TTL of every record in the packet */
	if(sldns_buffer_limit(pkt) < LDNS_HEADER_SIZE)
		return;
	rrs = (size_t)LDNS_ANCOUNT(sldns_buffer_begin(pkt)) +
		LDNS_NSCOUNT(sldns_buffer_begin(pkt)) +
		LDNS_ARCOUNT(sldns_buffer_begin(pkt));
	sldns_buffer_set_position(pkt, LDNS_HEADER_SIZE);
	for(i = 0; i < LDNS_QDCOUNT(sldns_buffer_begin(pkt)); i++) {
		if(!pkt_dname_len(pkt) || sldns_buffer_remaining(pkt) < 4)
			goto done;
		sldns_buffer_skip(pkt, 4);
	}
	for(i = 0; i < rrs; i++) {
		uint16_t type, rdlen;
		if(!pkt_dname_len(pkt) || sldns_buffer_remaining(pkt) < 10)
			goto done;
		type = sldns_buffer_read_u16(pkt);
		sldns_buffer_skip(pkt, 2);
		/* the EDNS OPT record has no TTL */
		if(type != LDNS_RR_TYPE_OPT)
			sldns_buffer_write_u32(pkt, best->ttl);
		else	sldns_buffer_skip(pkt, 4);
		rdlen = sldns_buffer_read_u16(pkt);
		if(sldns_buffer_remaining(pkt) < rdlen)
			goto done;
		sldns_buffer_skip(pkt, rdlen);
	}
done:
	sldns_buffer_set_position(pkt, 0);
}

/** Is a reply blocked for a client under one policy?  An exempt client
 * is never blocked. */
static int
policy_client_rep_blocked(struct vpndns_policy* policy,
	struct vpndns_view* view, struct comm_reply* c, struct reply_info* rep,
	struct vpndns_verdict* m, uint8_t* passed)
{
	if(policy_exempt(policy, c ? &c->client_addr : NULL,
		c ? c->client_addrlen : 0))
		return 0;
	return policy_rep_blocked(policy, view, rep, m, passed);
}

/**
 * Is a reply blocked under the policy the query started with or under
 * the current one?  A newer policy can only add blocks.
 * @param passed: the query's name when the start policy decided on it
 *	already (it passed), or NULL.
 * @return the policy that blocks it, or NULL.
 */
static struct vpndns_policy*
policy_pair_rep_blocked(struct vpndns_policy* start,
	struct vpndns_policy* cur, struct vpndns_view* view,
	struct comm_reply* c, struct reply_info* rep, struct vpndns_verdict* m,
	uint8_t* passed)
{
	if(policy_client_rep_blocked(start, view, c, rep, m, passed))
		return start;
	if(cur != start && policy_client_rep_blocked(cur, view, c, rep, m,
		NULL))
		return cur;
	return NULL;
}

int
vpndns_policy_answer(struct vpndns_policy* start, struct vpndns_policy* cur,
	struct module_qstate* qstate, int id, struct vpndns_view* view)
{
	struct vpndns_qstate* vq = (struct vpndns_qstate*)qstate->minfo[id];
	struct vpndns_verdict m;
	struct vpndns_policy* by;
	if(start->passes_all && cur->passes_all && !(vq && vq->blocked_list)) {
		/* no listed name in either policy: nothing in the chain */
		if(cur->pc->ttls)
			policy_ttl_override(cur, qstate);
		return 0;
	}
	if(vq && vq->blocked_list) {
		/* the egress veto stopped a blocked name in the chain */
		memset(&m, 0, sizeof(m));
		m.kind = vpndns_verdict_blocked;
		m.list_name = vq->blocked_list;
		policy_finish(start, qstate, id, view, &m);
		return 1;
	}
	/* the question passed the start policy when the query began: the
	 * verdict made for it then holds for the answer's own name */
	if(qstate->return_msg && (by = policy_pair_rep_blocked(start, cur,
		view, policy_client(qstate), qstate->return_msg->rep, &m,
		vpndns_guard_off("snapref") ? NULL : qstate->qinfo.qname))) {
		policy_finish(by, qstate, id, view, &m);
		return 1;
	}
	if(cur->pc->ttls)
		policy_ttl_override(cur, qstate);
	return 0;
}

/** Is an outgoing name blocked for the query's client under a policy? */
static int
policy_egress_one(struct vpndns_policy* policy, struct query_info* qinfo,
	struct vpndns_view* view, struct comm_reply* c, struct vpndns_verdict* m)
{
	memset(m, 0, sizeof(*m));
	if(policy->passes_all || policy_exempt(policy, c ? &c->client_addr :
		NULL, c ? c->client_addrlen : 0))
		return 0;
	return policy_name_blocked(policy, view, qinfo->qname,
		qinfo->qname_len, m);
}

int
vpndns_policy_egress_blocked(struct vpndns_policy* start,
	struct vpndns_policy* cur, struct query_info* qinfo,
	struct vpndns_view* view, struct module_qstate* qstate, int id)
{
	struct comm_reply* c = policy_client(qstate);
	struct vpndns_qstate* vq = (struct vpndns_qstate*)qstate->minfo[id];
	struct vpndns_verdict m;
	if(!policy_egress_one(start, qinfo, view, c, &m) && (cur == start ||
		!policy_egress_one(cur, qinfo, view, c, &m)))
		return 0;
	/* the answer is made in a later event, perhaps after a reload:
	 * keep the list name in the query's own memory */
	if(vq && !vq->blocked_list)
		vq->blocked_list = regional_strdup(qstate->region,
			m.list_name ? m.list_name : "?");
	return 1;
}

int
vpndns_policy_reply_check(struct vpndns_policy* start,
	struct vpndns_policy* cur, struct module_qstate* qstate,
	struct vpndns_view* view, struct comm_reply* c, int* rcode,
	struct reply_info** rep)
{
	struct vpndns_verdict m;
	struct vpndns_policy* by;
	int rc;
	if(!*rep || !(by = policy_pair_rep_blocked(start, cur, view, c, *rep,
		&m, NULL)))
		return 0;
	*rep = policy_match_reply(by, qstate->region, &qstate->qinfo, view,
		&m, &rc);
	*rcode = *rep ? LDNS_RCODE_NOERROR : (rc > 0 ? rc :
		LDNS_RCODE_SERVFAIL);
	VPNDNS_STAT_INC(vpndns_view_stats_get(view, qstate->env)->blocked);
	policy_log(by, view, c ? &c->client_addr : NULL,
		c ? c->client_addrlen : 0, &qstate->qinfo, "reply check");
	if(qstate->env->cfg->ede)
		(void)edns_opt_list_append_ede(&qstate->edns_opts_front_out,
			qstate->region, LDNS_EDE_BLOCKED, policy_ede_text(by,
			qstate->region, &m));
	return 1;
}

/** Check one name of a wire reply, at the packet's position. */
static int
policy_wire_name_blocked(struct vpndns_policy* policy,
	struct vpndns_view* view, sldns_buffer* pkt, struct vpndns_verdict* m)
{
	uint8_t name[LDNS_MAX_DOMAINLEN+1];
	uint8_t* at = sldns_buffer_current(pkt);
	size_t len = pkt_dname_len(pkt);
	if(len == 0 || len > sizeof(name))
		return 0;
	dname_pkt_copy(pkt, name, at);
	return policy_name_blocked(policy, view, name, len, m);
}

/**
 * Check the target of a CNAME or DNAME record of a wire reply, at its
 * rdata.  As for a stored reply, only rdata that is exactly one name is a
 * target; anything else is not followed by a resolver either.
 */
static int
policy_wire_target_blocked(struct vpndns_policy* policy,
	struct vpndns_view* view, sldns_buffer* pkt, uint16_t rdlen,
	struct vpndns_verdict* m)
{
	size_t rdata = sldns_buffer_position(pkt);
	size_t len = pkt_dname_len(pkt);
	if(len == 0 || sldns_buffer_position(pkt) != rdata + rdlen)
		return 0;
	sldns_buffer_set_position(pkt, rdata);
	return policy_wire_name_blocked(policy, view, pkt, m);
}

/**
 * Walk the answer section of a wire reply: every owner name and every
 * CNAME/DNAME target is checked.  On return the position is past the
 * answer section.
 * @return 1 if a name is blocked, 0 if none, -1 if the packet is malformed.
 */
static int
policy_wire_answer_blocked(struct vpndns_policy* policy,
	struct vpndns_view* view, sldns_buffer* pkt, struct vpndns_verdict* m)
{
	size_t i, an = LDNS_ANCOUNT(sldns_buffer_begin(pkt));
	int found = 0;
	/* the whole section is read even after a hit: the OPT record past
	 * it gives the block answer its EDNS */
	for(i = 0; i < an; i++) {
		uint16_t type, rdlen;
		size_t rdata, owner = sldns_buffer_position(pkt);
		if(!found && policy_wire_name_blocked(policy, view, pkt, m))
			found = 1;
		sldns_buffer_set_position(pkt, owner);
		if(!pkt_dname_len(pkt) || sldns_buffer_remaining(pkt) < 10)
			return found ? 1 : -1;
		type = sldns_buffer_read_u16(pkt);
		sldns_buffer_skip(pkt, 6);
		rdlen = sldns_buffer_read_u16(pkt);
		rdata = sldns_buffer_position(pkt);
		if(sldns_buffer_remaining(pkt) < rdlen)
			return found ? 1 : -1;
		if(!found && (type == LDNS_RR_TYPE_CNAME ||
			type == LDNS_RR_TYPE_DNAME) &&
			policy_wire_target_blocked(policy, view, pkt, rdlen, m))
			found = 1;
		sldns_buffer_set_position(pkt, rdata + rdlen);
	}
	return found;
}

/** Read the EDNS of a wire reply from its OPT record, if any; the
 * position is past the answer section. */
static void
policy_wire_edns(sldns_buffer* pkt, struct edns_data* edns)
{
	size_t i, n = (size_t)LDNS_NSCOUNT(sldns_buffer_begin(pkt)) +
		LDNS_ARCOUNT(sldns_buffer_begin(pkt));
	memset(edns, 0, sizeof(*edns));
	edns->udp_size = EDNS_ADVERTISED_SIZE;
	for(i = 0; i < n; i++) {
		uint16_t type, rdlen;
		if(!pkt_dname_len(pkt) || sldns_buffer_remaining(pkt) < 10)
			return;
		type = sldns_buffer_read_u16(pkt);
		if(type == LDNS_RR_TYPE_OPT) {
			/* class is the UDP size; the TTL holds the extended
			 * rcode, the version and the flags */
			edns->edns_present = 1;
			edns->bits = sldns_buffer_read_u16_at(pkt,
				sldns_buffer_position(pkt) + 4) & EDNS_DO;
		}
		sldns_buffer_skip(pkt, 6);
		rdlen = sldns_buffer_read_u16(pkt);
		if(sldns_buffer_remaining(pkt) < rdlen)
			return;
		sldns_buffer_skip(pkt, rdlen);
	}
}

int
vpndns_policy_wire_check(struct vpndns_policy* policy,
	struct module_env* env, struct vpndns_view* view,
	struct comm_reply* c, sldns_buffer* pkt, struct regional* scratch)
{
	uint8_t qname[LDNS_MAX_DOMAINLEN+1];
	struct query_info qinfo;
	struct edns_data edns;
	struct vpndns_verdict m;
	int r;
	if(policy->passes_all || sldns_buffer_limit(pkt) < LDNS_HEADER_SIZE ||
		LDNS_QDCOUNT(sldns_buffer_begin(pkt)) != 1 ||
		LDNS_ANCOUNT(sldns_buffer_begin(pkt)) == 0 ||
		policy_exempt(policy, &c->client_addr, c->client_addrlen))
		return 0;
	memset(&qinfo, 0, sizeof(qinfo));
	sldns_buffer_set_position(pkt, LDNS_HEADER_SIZE);
	qinfo.qname_len = pkt_dname_len(pkt);
	if(qinfo.qname_len == 0 || sldns_buffer_remaining(pkt) < 4) {
		sldns_buffer_set_position(pkt, 0);
		return 0;
	}
	dname_pkt_copy(pkt, qname, sldns_buffer_at(pkt, LDNS_HEADER_SIZE));
	qinfo.qname = qname;
	qinfo.qtype = sldns_buffer_read_u16(pkt);
	qinfo.qclass = sldns_buffer_read_u16(pkt);
	memset(&m, 0, sizeof(m));
	r = policy_wire_answer_blocked(policy, view, pkt, &m);
	if(r > 0)
		policy_wire_edns(pkt, &edns);
	sldns_buffer_set_position(pkt, 0);
	if(r <= 0)
		return 0;
	if(view)
		VPNDNS_STAT_INC(vpndns_view_stats_get(view, env)->blocked);
	policy_log(policy, view, &c->client_addr, c->client_addrlen, &qinfo,
		"reply check");
	policy_encode(policy, env, view, &qinfo, &edns, pkt, scratch, &m);
	return 1;
}

/** The names of the block actions, for explanations. */
static const char* policy_action_names[] = { "nxdomain", "nodata", "null",
	"ip", "refuse" };

void
vpndns_policy_explain(struct vpndns_policy* policy, struct vpndns_conf* conf,
	struct vpndns_view* view, struct sockaddr_storage* addr,
	socklen_t addrlen, uint8_t* name, size_t namelen, struct vpndns_out* out)
{
	char text[VPNDNS_NAME_TEXT_SIZE];
	struct query_info qinfo;
	struct vpndns_verdict m;
	struct vpndns_domain_fwd* d, *best = NULL;
	memset(&qinfo, 0, sizeof(qinfo));
	qinfo.qname = name;
	qinfo.qname_len = namelen;
	qinfo.qtype = LDNS_RR_TYPE_A;
	qinfo.qclass = LDNS_RR_CLASS_IN;
	(void)vpndns_name_text(name, text, 1);
	if(policy_exempt(policy, addr, addrlen))
		vpndns_out_printf(out, "client is exempt from blocking\n");
	if(policy_check(policy, view, addr, addrlen, &qinfo, &m)) {
		if(m.kind == vpndns_verdict_static)
			vpndns_out_printf(out, "name %s: static record\n", text);
		else if(m.kind == vpndns_verdict_regex)
			vpndns_out_printf(out, "name %s: nxdomain-regex %s "
				"(line %d)\n", text, m.regex->pattern,
				m.regex->line);
		else	vpndns_out_printf(out, "name %s: blocked by %s, action "
				"%s\n", text, m.list_name, policy_action_names[
				policy_action(policy, view)->kind]);
	} else
		vpndns_out_printf(out, "name %s: not blocked\n", text);
	for(d = conf->domain_fwds; d; d = d->next)
		if(dname_subdomain_c(name, d->dname) &&
			(!best || d->dname_labs > best->dname_labs))
			best = d;
	if(best)
		vpndns_out_printf(out, "name %s: domain-forward %s (line %d)\n",
			text, best->str, best->line);
	else if(view)
		vpndns_out_printf(out, "name %s: the view's forwarders\n", text);
}
