/*
 * vpndns/view.h - runtime views: forwarders, caches and environments.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * A view is a client group with its own forwarders and its own message
 * and rrset caches.  A query of a view runs with qstate->env pointing to
 * a per-thread copy of the worker's module_env in which fwds, hints and
 * the caches are the view's.  The iterator then only ever sees the view's
 * forwarders (forward-first off, no root hints), and reads and writes only
 * the view's caches; subqueries inherit the environment.
 *
 * Threads, locks and lifetime: a view set belongs to a snapshot
 * (state.h).  It is built and freed by the reload side (reload.c) and
 * read by every thread without locks, except the reflect tree, which
 * workers grow under reflect_lock.  Views, their environments and
 * counters, and the configuration they point to are valid only between
 * vpndns_enter and vpndns_leave, or longer while a query that runs in a
 * view of the set is counted in its inflight.  Each per-thread
 * environment and counter block is written by its own thread only.
 */

#ifndef VPNDNS_VIEW_H
#define VPNDNS_VIEW_H
#include "util/rbtree.h"
#include "util/locks.h"
#include "util/storage/dnstree.h"
#include "util/module.h"
#include "util/alloc.h"
struct vpndns_conf;
struct vpndns_viewdef;
struct vpndns_client_rule;
struct vpndns_server;
struct module_env;
struct config_file;
struct alloc_cache;
struct iter_forwards;
struct iter_hints;
struct slabhash;
struct rrset_cache;
struct key_cache;
struct val_neg_cache;

/** Per-thread counters of a view, summed for the stats output. */
struct vpndns_view_stats {
	/** queries classified into the view */
	size_t queries;
	/** answered from the view's cache by the front hook */
	size_t cachehits;
	/** answered with a block action */
	size_t blocked;
	/** answered SERVFAIL */
	size_t servfail;
	/** forwarder failures seen (SERVFAIL after forwarding) */
	size_t forwarder_errors;
	/** upstream sends cancelled by the egress veto */
	size_t egress_vetoed;
	/** queries of the view in this thread's request list now (a gauge,
	 * not reset by the stats output) */
	size_t inflight;
	/** misses answered SERVFAIL at once because the view had
	 * view-max-inflight queries in flight in the thread */
	size_t inflight_limited;
	/** clients answered SERVFAIL at view-fail-timeout */
	size_t fail_timeouts;
};

/**
 * Add one to a per-thread counter.  Each counter has one writing thread;
 * the stats output reads it from another, so both sides use atomic
 * access (relaxed: plain moves on common hardware, no locked add).
 */
#define VPNDNS_STAT_INC(c) __atomic_store_n(&(c), \
	__atomic_load_n(&(c), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)

/** Read a value another thread writes (counter, health time). */
#define VPNDNS_READ(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

/** Write a value other threads read (health time). */
#define VPNDNS_WRITE(v, x) __atomic_store_n(&(v), (x), __ATOMIC_RELAXED)

/** The key of a reflect view: a client address, port ignored; an IPv6
 * link-local address includes its interface (sin6_scope_id), so the same
 * address behind two interfaces is two clients. */
struct vpndns_addr_key {
	/** the address */
	struct sockaddr_storage addr;
	/** its length */
	socklen_t addrlen;
};

/** A runtime view. */
struct vpndns_view {
	/** node in the reflect tree (key: &client); must be first */
	rbnode_type node;
	/** the client of a reflect view */
	struct vpndns_addr_key client;
	/** view name */
	char* name;
	/** index of the view definition in the configuration, -1 for a
	 * reflect view */
	int def_index;
	/** forwarders of the view; owned for reflect views */
	struct vpndns_server* servers;
	/** true if servers is owned by the view */
	int own_servers;
	/** forward tree given to the iterator: "." and domain forwards */
	struct iter_forwards* fwds;
	/** the shared empty hints (borrowed from the view set) */
	struct iter_hints* hints;
	/** configured size of the message cache */
	size_t msg_size;
	/** configured size of the rrset cache */
	size_t rrset_size;
	/** the view's message cache */
	struct slabhash* msg_cache;
	/** the view's rrset cache */
	struct rrset_cache* rrset_cache;
	/** the view's key cache, with the validator; else NULL */
	struct key_cache* key_cache;
	/** the view's negative (NSEC) cache, with the validator; else NULL */
	struct val_neg_cache* neg_cache;
	/** answers of this view are not validated */
	int novalidate;
	/** per-thread environment copies, made on first use by the thread */
	struct module_env** tenv;
	/** per-thread statistics, nthreads entries, then one more: the
	 * sums at the last resetting stats output (only the thread that
	 * runs remote control commands touches that one) */
	struct vpndns_view_stats* stats;
	/** the caches, validator caches and counters were handed to the
	 * view that replaced this one in a reload: not freed with it */
	int moved;
	/** time of the last answer from a forwarder of the view */
	time_t last_ok;
	/** time of the last failure of the view's forwarders */
	time_t last_fail;
	/** the view set it belongs to */
	struct vpndns_views* set;
	/** number of threads, the size of tenv and stats */
	int nthreads;
};

/** Why classification gave no view. */
enum vpndns_classify_fail {
	/** no rule and no default: refused by policy */
	vpndns_classify_refused = 1,
	/** reflect view table full, or out of memory */
	vpndns_classify_nomem,
	/** a reflect client that is one of the resolver's own addresses:
	 * its view would forward to the resolver itself */
	vpndns_classify_self
};

/** The runtime view set built from one configuration. */
struct vpndns_views {
	/** the configuration, owned */
	struct vpndns_conf* conf;
	/** views of the view definitions, in conf order */
	struct vpndns_view** fixed;
	/** number of fixed views */
	size_t nfixed;
	/** empty root hints shared by all view environments: nothing to
	 * fall back to, and the mark of a view environment (borrowed) */
	struct iter_hints* hints;
	/** queries in the mesh that run in a view of this set; atomic */
	size_t inflight;
	/** epoch at which the set was retired by a reload */
	uint64_t retire_epoch;
	/** next in the module's list of retired sets */
	struct vpndns_views* next_retired;
	/** reflect views, by client address (vpndns_reflect_cmp); under
	 * reflect_lock */
	rbtree_type reflect;
	/** the resolver's own addresses (interface: and outgoing-interface:
	 * given as addresses), never reflected to */
	struct vpndns_addr_key* own;
	/** number of entries in own */
	size_t nown;
	/** lock on the reflect tree */
	lock_rw_type reflect_lock;
	/** number of reflect views; under reflect_lock */
	size_t nreflect;
	/** Unbound's configuration, for cache defaults and TLS */
	struct config_file* cfg;
	/** allocator that owns rrset keys, the daemon's superalloc */
	struct alloc_cache* alloc;
	/** number of worker threads */
	int nthreads;
	/** the validator is in the module stack: views get key and
	 * negative caches of their own */
	int validate;
};

/**
 * Build the views of a configuration.
 * @param conf: the configuration; owned by the result on success.
 * @param cfg: Unbound's configuration.
 * @param alloc: the allocator for rrset cache keys.
 * @param hints: the module's empty hints, shared by all view sets.
 * @return the views or NULL (logged).
 */
struct vpndns_views* vpndns_views_create(struct vpndns_conf* conf,
	struct config_file* cfg, struct alloc_cache* alloc,
	struct iter_hints* hints);

/**
 * Carry the caches of unchanged views over to a new view set: a view
 * with the same name, forwarders, TLS and cache sizes, in a configuration
 * with the same domain forwards, keeps its cache.  The caches are swapped,
 * so each set still owns exactly one pair per view.
 * @param vs: the new set.
 * @param old: the set it replaces.
 * @return number of views that kept their cache.
 */
int vpndns_views_adopt_caches(struct vpndns_views* vs,
	struct vpndns_views* old);

/**
 * Do two server lists hold the same servers (address, port, TLS name) in
 * the same order?
 * @param a: a list.
 * @param b: another.
 * @return true if so.
 */
int vpndns_servers_equal(struct vpndns_server* a, struct vpndns_server* b);

/**
 * Do two configurations forward the same domains to the same servers?
 * Views keep their caches across a reload only if so.
 * @param a: a configuration.
 * @param b: another.
 * @return true if so.
 */
int vpndns_domains_equal(struct vpndns_conf* a, struct vpndns_conf* b);

/**
 * The worker environment a view environment was copied from.
 * @param env: a view environment.
 * @return the worker's environment.
 */
struct module_env* vpndns_view_worker_env(struct module_env* env);

/**
 * Free the views and their configuration.
 * @param vs: the views, may be NULL.
 */
void vpndns_views_delete(struct vpndns_views* vs);

/**
 * Classify a client into its view.
 * @param vs: the views.
 * @param addr: client address (the proxied one behind PROXYv2).
 * @param addrlen: its length.
 * @param fail: returns why there is no view.
 * @return the view or NULL; owned by the view set, valid only between vpndns_enter
 *	and vpndns_leave (or while a query in the view holds its view set).
 */
struct vpndns_view* vpndns_views_classify(struct vpndns_views* vs,
	struct sockaddr_storage* addr, socklen_t addrlen,
	enum vpndns_classify_fail* fail);

/**
 * The answer to a client classification gave no view.
 * @param fail: why there is no view.
 * @param rcode: returns the rcode.
 * @param ede: returns the EDE code.
 * @param text: returns the EDE text (static).
 */
void vpndns_classify_answer(enum vpndns_classify_fail fail, int* rcode,
	int* ede, const char** text);

/**
 * Find the view of a client without creating a reflect view, for the
 * control commands, which must not change state by looking.
 * @param vs: the views.
 * @param addr: client address.
 * @param addrlen: its length.
 * @param rule: returns the client rule that applies, or NULL; owned by
 *	the configuration of the view set, valid as long as the view.
 * @return the view, or NULL (no rule and no default, or a reflect client
 *	that has no view yet); owned by the view set, valid only between vpndns_enter
 *	and vpndns_leave (or while a query in the view holds its view set).
 */
struct vpndns_view* vpndns_views_peek(struct vpndns_views* vs,
	struct sockaddr_storage* addr, socklen_t addrlen,
	struct vpndns_client_rule** rule);

/**
 * Get the environment of a view for the calling worker thread.
 * @param view: the view.
 * @param wenv: the worker's environment.
 * @return the environment or NULL on malloc failure or a bad thread;
 *	owned by the view, for the calling thread only, valid only between vpndns_enter
 *	and vpndns_leave (or while a query in the view holds its view set).
 */
struct module_env* vpndns_view_env(struct vpndns_view* view,
	struct module_env* wenv);

/**
 * Find the view that owns an environment given to a query.
 * @param hints: the module's empty hints, which mark view environments.
 * @param env: the environment of a query.
 * @return the view or NULL if env is not a view environment; valid only between vpndns_enter
 *	and vpndns_leave (or while a query in the view holds its view set).
 */
struct vpndns_view* vpndns_views_env_owner(struct iter_hints* hints,
	struct module_env* env);

/**
 * Thread number of a worker environment.  Inline: every query asks.
 * @param env: the environment.
 * @return thread number, 0 when there is no allocator.
 */
static inline int
vpndns_thread_num(struct module_env* env)
{
	return env->alloc ? env->alloc->thread_num : 0;
}

/**
 * Compare two reflect keys (struct vpndns_addr_key), the rbtree compare
 * function of the reflect views: address family, address and, for IPv6,
 * the interface; the port is ignored.  Any thread.  Also declared in
 * vpndns.h, for Unbound's function pointer whitelist.
 * @param a: key.
 * @param b: key.
 * @return -1, 0 or 1.
 */
int vpndns_reflect_cmp(const void* a, const void* b);

/** Counters for threads out of range; never reported. */
extern struct vpndns_view_stats vpndns_view_stats_dummy;

/**
 * Get the per-thread statistics of a view.  Inline: every query counts.
 * @param view: the view.
 * @param env: the environment of the calling thread.
 * @return the counters; a dummy block if the thread is out of range.
 *	Owned by the view; written by the calling thread only; valid only
 *	between vpndns_enter and vpndns_leave (or while a query in the view
 *	holds its view set).
 */
static inline struct vpndns_view_stats*
vpndns_view_stats_get(struct vpndns_view* view, struct module_env* env)
{
	int t = vpndns_thread_num(env);
	if(t < 0 || t >= view->nthreads)
		return &vpndns_view_stats_dummy;
	return &view->stats[t];
}

/**
 * Sum the per-thread statistics of a view.
 * @param view: the view.
 * @param sum: returns the sums.
 */
void vpndns_view_stats_sum(struct vpndns_view* view,
	struct vpndns_view_stats* sum);

/**
 * Number of entries in a cache.
 * @param cache: a message cache or an rrset cache's table.
 * @return entries.
 */
size_t vpndns_cache_count(struct slabhash* cache);

/**
 * Call a function for every view, fixed and reflect.
 * @param vs: the views.
 * @param fn: the function; the view it gets is valid only between vpndns_enter
 *	and vpndns_leave (or while a query in the view holds its view set).
 *	For the reflect views it runs with reflect_lock held for reading.
 * @param arg: its argument.
 */
void vpndns_views_foreach(struct vpndns_views* vs,
	void (*fn)(struct vpndns_view*, void*), void* arg);

#endif /* VPNDNS_VIEW_H */
