/*
 * vpndns/vpndns.h - per-client forwarding module for Unbound.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The vpndns module.  Loaded with module-config: "vpndns iterator", it
 * maps each client to a view with its own forwarders and caches, and
 * enforces a blocklist.  This header is the whole interface Unbound's core
 * sees: the module function block, the worker's front hook, the egress
 * veto, the remote control dispatch and the checkconf helper.
 */

#ifndef VPNDNS_H
#define VPNDNS_H
#include "util/module.h"
#include "util/locks.h"
struct vpndns_views;
struct vpndns_policy;
struct vpndns_view;
struct vpndns_memo;
struct vpndns_failq;
struct iter_hints;
struct alloc_cache;
struct comm_reply;
struct edns_data;
struct sldns_buffer;
struct regional;
struct reply_info;
struct dns_msg;

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

/** What the worker does after the front hook. */
enum vpndns_front_result {
	/** vpndns is not active: the stock path runs */
	vpndns_front_pass = 0,
	/** skip the global cache, start the mesh */
	vpndns_front_mesh,
	/** the buffer holds the reply: send it */
	vpndns_front_reply,
	/** the reply was sent already (prefetch started) */
	vpndns_front_sent,
	/** drop the query */
	vpndns_front_drop
};

/**
 * Get the function block of the module.
 * @return the function block.
 */
struct module_func_block* vpndns_get_funcblock(void);

/** init module; see module.h */
int vpndns_init(struct module_env* env, int id);

/** deinit module; see module.h */
void vpndns_deinit(struct module_env* env, int id);

/** handle a query event; see module.h */
void vpndns_operate(struct module_qstate* qstate, enum module_ev event,
	int id, struct outbound_entry* outbound);

/** a subquery finished; see module.h */
void vpndns_inform_super(struct module_qstate* qstate, int id,
	struct module_qstate* super);

/** clear the per-query state; see module.h */
void vpndns_clear(struct module_qstate* qstate, int id);

/** memory in use by the module; see module.h */
size_t vpndns_get_mem(struct module_env* env, int id);

/**
 * Check whether a module-config string is an ordering vpndns supports.
 * @param module_conf: the module-config string.
 * @return true if supported.
 */
int vpndns_module_conf_known(const char* module_conf);

/**
 * The worker's early hook, run before Unbound's local zones: classify the
 * client and decide on the query name once.  A blocked name is answered
 * here, before any local data or RPZ could answer it (the exit check
 * would block those answers anyway); every other verdict waits for the
 * front hook, which the worker calls after the local zones in the same
 * call.  Thread: the worker's.
 * @param env: the worker's environment.
 * @param qinfo: the query.
 * @param edns: the query's EDNS data; used for the reply.
 * @param repinfo: the client.
 * @param pkt: the query packet; holds the reply on return of true.
 * @param scratch: the worker's scratch region.
 * @return true if the packet holds the reply: send it.
 */
int vpndns_worker_early(struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, struct comm_reply* repinfo,
	struct sldns_buffer* pkt, struct regional* scratch);

/**
 * The worker's front hook, run where the worker would answer from the
 * global cache: classify the client, apply the policy (the early hook's
 * decision when it still holds), and answer from the view's cache.
 * @param env: the worker's environment.
 * @param qinfo: the query.
 * @param edns: the query's EDNS data; used for the reply.
 * @param repinfo: the client.
 * @param pkt: the query packet; holds the reply on return of
 *	vpndns_front_reply.
 * @param scratch: the worker's scratch region.
 * @return what the worker does next.
 */
enum vpndns_front_result vpndns_worker_front(struct module_env* env,
	struct query_info* qinfo, struct edns_data* edns,
	struct comm_reply* repinfo, struct sldns_buffer* pkt,
	struct regional* scratch);


/**
 * The egress veto, called before every upstream send.
 * @param env: the environment of the query.
 * @param qinfo: the outgoing question.
 * @param addr: the server address.
 * @param addrlen: its length.
 * @param zone: the delegation point name.
 * @param zonelen: its length.
 * @param qstate: the query, or NULL.
 * @return false to cancel the send.
 */
int vpndns_egress_allowed(struct module_env* env, struct query_info* qinfo,
	struct sockaddr_storage* addr, socklen_t addrlen, uint8_t* zone,
	size_t zonelen, struct module_qstate* qstate);

/**
 * Run a vpndns_* remote control command.
 * @param env: the environment of the worker that runs it.
 * @param cmd: the command line.
 * @return malloced output text, lines ending in newline; NULL on malloc
 *	failure.
 */
char* vpndns_remote_cmd(struct module_env* env, const char* cmd);

/**
 * The vpndns lines of unbound-control stats, key=value.
 * @param env: the environment of the thread that runs the command.
 * @param reset: start counting from zero after this output.
 * @return malloced text or NULL (nothing to print or malloc failure).
 */
char* vpndns_stats_text(struct module_env* env, int reset);

/**
 * The exit check of a mesh reply, called by the mesh for every reply to
 * a client (answers, serve-expired answers from the timer and after a
 * failure, over every transport) before it is encoded.  A reply that
 * the query's policy (as it started, or as it is now) blocks is
 * replaced by the block answer.
 * @param qstate: the query.
 * @param client: the client the reply goes to.
 * @param edns: the client's EDNS for the reply; a replaced reply loses
 *	the EDE options already added (such as Stale Answer).
 * @param rcode: the rcode to send; may be replaced.
 * @param rep: the reply to send, may be NULL; may be replaced.
 */
void vpndns_mesh_reply_check(struct module_qstate* qstate,
	struct comm_reply* client, struct edns_data* edns, int* rcode,
	struct reply_info** rep);

/**
 * The exit check of a reply the worker sends itself (local data, RPZ,
 * auth-zone for downstream, error replies; the front hook's replies are
 * checked where they are made).
 * @param env: the worker's environment.
 * @param repinfo: the client.
 * @param pkt: the encoded reply; rewritten when blocked.
 * @param scratch: the worker's scratch region.
 */
void vpndns_worker_reply_check(struct module_env* env,
	struct comm_reply* repinfo, struct sldns_buffer* pkt,
	struct regional* scratch);

/**
 * Compare two reflect keys (struct vpndns_addr_key of
 * view.h), the rbtree compare function of the reflect views: address family,
 * address and, for IPv6, the interface; the port is ignored.
 * @param a: key.
 * @param b: key.
 * @return -1, 0 or 1.
 */
int vpndns_reflect_cmp(const void* a, const void* b);

/** inplace callback that notes that a forwarder answered a query */
int vpndns_query_response_cb(struct module_qstate* qstate,
	struct dns_msg* response, int id, void* cb_args);

/**
 * Finish a query in the module with an rcode and an EDE (the EDE of a
 * SERVFAIL is added by vpndns_servfail_cb).
 * @param qstate: the query.
 * @param id: the module id.
 * @param rcode: the rcode.
 * @param ede: the EDE code.
 * @param text: the EDE text, static.
 */
void vpndns_answer_error(struct module_qstate* qstate, int id, int rcode,
	int ede, const char* text);

/**
 * The view-fail-timeout timer of a worker thread (failfast.c), a
 * comm_timer callback; Unbound's function pointer whitelist names it
 * (patch 0012-fail-timer).
 * @param arg: the thread's fail timer queue.
 */
void vpndns_fail_timer_cb(void* arg);

/**
 * A worker is deleted: its mesh is gone, its event base not yet.  Frees
 * what vpndns keeps on that base (the thread's fail timer).  Called by
 * the worker's deletion (patch 0012-fail-timer).
 * @param env: the worker's environment.
 */
void vpndns_worker_delete(struct module_env* env);

/** inplace callback that adds the EDE of a vpndns SERVFAIL */
int vpndns_servfail_cb(struct query_info* qinfo,
	struct module_qstate* qstate, struct reply_info* rep, int rcode,
	struct edns_data* edns, struct edns_option** opt_list_out,
	struct comm_reply* repinfo, struct regional* region,
	struct timeval* start_time, int id, void* callback);

/**
 * Enter vpndns on this thread and get the current snapshot.  Calls nest;
 * every vpndns_enter is paired with a vpndns_leave.
 * @param ve: the module.
 * @param env: the calling thread's environment.
 * @return the snapshot to use until vpndns_leave.
 */
struct vpndns_snap* vpndns_enter(struct vpndns_env* ve,
	struct module_env* env);

/**
 * The calling thread's state, for a thread inside vpndns_enter.
 * @param ve: the module.
 * @param env: the calling thread's environment.
 * @return the thread's slot.
 */
struct vpndns_thread* vpndns_thread(struct vpndns_env* ve,
	struct module_env* env);

/**
 * Leave vpndns on this thread.
 * @param ve: the module.
 * @param env: the calling thread's environment.
 */
void vpndns_leave(struct vpndns_env* ve, struct module_env* env);

/**
 * The mesh isolation tag of an environment: a view's environment (one
 * per view and thread) is its own tag, so mesh states made in different
 * views are never merged.  The mesh tags a new state with the tag of the
 * environment it is created in, and looks for a subquery with the tag of
 * the querying state's environment.
 * @param env: the environment of a query.
 * @return the tag; NULL outside views and when vpndns is not active.
 */
void* vpndns_mesh_isolate(struct module_env* env);

/**
 * The policy a query is checked with first: the one of the snapshot it
 * started with, so that a reload or live change during the query can
 * only add the current policy's verdict, never drop its own.
 * @param vq: the query's state, with its snapshot reference.
 * @param cur: the current snapshot (between vpndns_enter and leave).
 * @return the starting policy; valid while the query holds vq->snap.
 */
struct vpndns_policy* vpndns_query_policy(struct vpndns_qstate* vq,
	struct vpndns_snap* cur);

/**
 * The active module, or NULL when vpndns is not in the module stack.
 * @return the global state.
 */
struct vpndns_env* vpndns_active(void);

#ifdef VPNDNS_TEST_HOOKS
/**
 * Test builds only: is a guard switched off?  The environment variable
 * VPNDNS_TEST_GUARD_OFF lists guards to switch off, comma separated:
 * unique_mesh, front, veto, env, exit, snapref, viewlists, ede22,
 * dfprivacy, selfreflect, scope, nametext, fairness, failtimer.
 * Negative-control tests use it to show that each test fails without
 * its guard.  Normal builds have no switch.
 * @param guard: the guard name.
 * @return true if switched off.
 */
int vpndns_guard_off(const char* guard);
#else
/** normal builds: every guard is always on */
#define vpndns_guard_off(guard) 0
#endif

/**
 * Do two IPv6 socket addresses differ in their interface (RFC 4007 zone,
 * sin6_scope_id)?  The same link-local address behind two interfaces is
 * two hosts: two tunnels, two views.  Unbound's address comparisons use
 * this with vpndns (patch 0011-ipv6-scope).
 */
#define VPNDNS_SCOPE_DIFFERS(a, b) ((a)->sin6_scope_id != \
	(b)->sin6_scope_id && !vpndns_guard_off("scope"))

#endif /* VPNDNS_H */
