/*
 * vpndns/state.h - the module's state: snapshots, threads, queries.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The state every layer above the configuration reads: the snapshot the
 * workers serve from, the module's global state, the per-thread slots
 * and the per-query state.  Only types and one accessor; the functions
 * that enter and leave a snapshot, publish and reclaim it are in
 * reload.h.
 *
 * Threads, locks and lifetimes:
 * - struct vpndns_env lives from vpndns_init to vpndns_deinit.  Its snap
 *   and epoch are written by the holder of the reload slot
 *   (vpndns_reload_claim: the reload thread or a live command) and read
 *   by every thread with atomics; the reload fields are under
 *   reload_lock.
 * - struct vpndns_snap is immutable once published, but for its
 *   atomic inflight count.  A thread reads it, and every pointer it
 *   hands out (views, policy, lists), only between vpndns_enter and
 *   vpndns_leave, or while a query holds it (vpndns_qstate.snap); it is
 *   freed when no thread is inside since it was retired and no query
 *   holds it.
 * - struct vpndns_thread: one per worker, written by that worker only,
 *   and one more for the threads that are not workers (the reload
 *   thread); the reload side reads every epoch.
 * - struct vpndns_qstate lives in the query's region, on the worker
 *   that owns the query, until vpndns_clear.
 */

#ifndef VPNDNS_STATE_H
#define VPNDNS_STATE_H
#include "util/locks.h"
struct vpndns_views;
struct vpndns_policy;
struct vpndns_view;
struct vpndns_view_stats;
struct vpndns_memo;
struct iter_hints;
struct alloc_cache;
struct config_file;
struct vpndns_failq;
struct module_qstate;
struct reply_info;

/**
 * What the workers serve from: views and policy built from one
 * configuration.  A reload publishes a new snapshot with one pointer
 * store; the old one is freed when no worker can still use it.
 */
struct vpndns_snap {
	/** the views (and the configuration they own) */
	struct vpndns_views* views;
	/** the policy, borrows from views->conf */
	struct vpndns_policy* policy;
	/** vpndns_policy_plain of the policy: every verdict a plain pass */
	int plain_policy;
	/** epoch at which it was retired */
	uint64_t retire_epoch;
	/** queries in the mesh that started with this snapshot and still
	 * check against its policy; atomic.  A retired snapshot is freed
	 * only when it is 0. */
	size_t inflight;
	/** next in the retired list */
	struct vpndns_snap* next;
};

/** Per-thread state, alone on its cache line. */
struct vpndns_thread {
	/** epoch seen when the thread entered vpndns, 0 when outside */
	uint64_t epoch;
	/** nesting depth of vpndns calls on this thread */
	int depth;
	/** view of a prefetch the front hook is starting */
	struct vpndns_view* prefetch_view;
	/** the thread's memos of classifications and passed names */
	struct vpndns_memo* memo;
	/** the front hook made the reply the worker sends next, and checked
	 * it: the worker's exit check need not parse it again */
	int front_replied;
	/** the worker's fail timeouts (failfast.c), NULL until used */
	struct vpndns_failq* failq;
	/** padding to a cache line, so threads don't share one */
	char pad[64 - sizeof(uint64_t) - 2*sizeof(int) - 3*sizeof(void*)];
};

/** The global state of the module. */
struct vpndns_env {
	/** the current snapshot; read with vpndns_enter */
	struct vpndns_snap* snap;
	/** the publication epoch, incremented by every reload */
	uint64_t epoch;
	/** per-thread state, nthreads+1 entries; the last one is for
	 * threads that are not workers (the reload thread) */
	struct vpndns_thread* threads;
	/** number of worker threads */
	int nthreads;
	/** the module id */
	int id;
	/** empty root hints of every view environment; marks them */
	struct iter_hints* hints;
	/** Unbound's configuration */
	struct config_file* cfg;
	/** allocator of rrset keys (the daemon's superalloc) */
	struct alloc_cache* alloc;
	/** protects the reload state below */
	lock_basic_type reload_lock;
	/** true while a reload thread runs */
	int reload_running;
	/** the reload thread */
	ub_thread_type reload_thread;
	/** true if reload_thread was started and not yet joined */
	int reload_thread_started;
	/** result of the last reload, for vpndns_status */
	char reload_status[512];
	/** snapshots waiting to be freed */
	struct vpndns_snap* retired;
	/** view sets waiting to be freed */
	struct vpndns_views* retired_views;
};

/** The per-query state of the module. */
struct vpndns_qstate {
	/** the view of the query */
	struct vpndns_view* view;
	/** EDE code to add when the query ends in SERVFAIL */
	int servfail_ede;
	/** EDE text to add when the query ends in SERVFAIL */
	const char* servfail_ede_text;
	/** set by the egress veto when a blocked name was stopped: the
	 * name of the deciding list, in the query region */
	const char* blocked_list;
	/** true if the query is counted in its view set's inflight */
	int counted;
	/** the per-thread counters whose inflight gauge counts the query,
	 * or NULL; they stay allocated while the query's view set lives */
	struct vpndns_view_stats* inflight;
	/** the thread's fail timer queue while the query is in it, or NULL */
	struct vpndns_failq* failq;
	/** neighbours in that queue */
	struct vpndns_qstate* fail_prev, *fail_next;
	/** the query's fail deadline, in microseconds of the worker's clock */
	uint64_t fail_at;
	/** the query, for the timer */
	struct module_qstate* qstate;
	/** the snapshot the query started with, counted in its inflight
	 * until the query is cleared; its policy applies to the query to
	 * the end, together with the current one */
	struct vpndns_snap* snap;
	/** a forwarder (or domain-forward server) answered this query, with
	 * any rcode: a SERVFAIL is then not "no reachable authority" */
	int answered;
	/** the answer the module checked when the iterator was done, and
	 * the epoch of that check: the exit check skips the same reply in
	 * the same epoch */
	struct reply_info* checked_rep;
	/** epoch of checked_rep's check */
	uint64_t checked_rep_epoch;
	/** publication epoch when the query name was checked against the
	 * policy, 0 if not; the egress veto skips the same check while no
	 * reload happened */
	uint64_t checked_epoch;
};

/**
 * Is vpndns serving: in the module stack, with a snapshot published?
 * The hooks Unbound's core calls let the stock path run when it is not.
 * Any thread; a snapshot to use must still be taken with vpndns_enter.
 * @param ve: the module (vpndns_active()), or NULL.
 * @return true if serving.
 */
static inline int
vpndns_serving(struct vpndns_env* ve)
{
	return ve && __atomic_load_n(&ve->snap, __ATOMIC_ACQUIRE) != NULL;
}

#endif /* VPNDNS_STATE_H */
