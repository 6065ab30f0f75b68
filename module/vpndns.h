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
 * enforces a blocklist.  This header is the interface Unbound's patched
 * core and its module stack call: the module function block, the
 * worker's front hook and reply check, the mesh's isolation tag and exit
 * check, the egress veto, the remote control and stats output, the
 * checkconf helper, the function pointers Unbound's whitelist names,
 * and the IPv6 scope guard.  The functions are defined in vpndns.c,
 * front.c, egress.c, exit.c, control.c and stats.c, the module's top
 * layer (and two in lower files: vpndns_reflect_cmp in view.c,
 * vpndns_fail_timer_cb in failfast.c, each also declared in its file's
 * own header).  No file below the top layer includes this header; the
 * module's state is in state.h and reload.h.
 *
 * Every function here runs on the thread that calls it (a worker, or
 * the checkconf or control thread) and takes what it reads from the
 * current snapshot between vpndns_enter and vpndns_leave (reload.h).
 */

#ifndef VPNDNS_H
#define VPNDNS_H
#include "util/module.h"
#include "vpndns/guard.h"
#include "vpndns/reload.h"
struct vpndns_env;
struct vpndns_snap;
struct vpndns_qstate;
struct vpndns_policy;
struct comm_reply;
struct edns_data;
struct sldns_buffer;
struct regional;
struct reply_info;
struct dns_msg;

/** The active module, or NULL; set by vpndns_init and vpndns_deinit
 * (one module per process). */
extern struct vpndns_env* vpndns_global;

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
 * The exit check of a reply the worker made itself, unless the early or
 * the front hook made it (local data, RPZ, auth-zone for downstream,
 * error replies): parses it and checks its names.  Called by
 * vpndns_worker_reply_check.
 * @param env: the worker's environment.
 * @param repinfo: the client.
 * @param pkt: the encoded reply; rewritten when blocked.
 * @param scratch: the worker's scratch region.
 */
void vpndns_worker_reply_check_full(struct module_env* env,
	struct comm_reply* repinfo, struct sldns_buffer* pkt,
	struct regional* scratch);

/**
 * The exit check of a reply the worker sends itself.  The replies of
 * the early and front hooks were checked where they were made: inline,
 * they cost one flag here.
 * @param env: the worker's environment.
 * @param repinfo: the client.
 * @param pkt: the encoded reply; rewritten when blocked.
 * @param scratch: the worker's scratch region.
 */
static inline void
vpndns_worker_reply_check(struct module_env* env,
	struct comm_reply* repinfo, struct sldns_buffer* pkt,
	struct regional* scratch)
{
	struct vpndns_thread* th;
	if(!vpndns_serving(vpndns_global))
		return;
	th = vpndns_thread_slot(vpndns_global, env);
	if(th->front_replied) {
		th->front_replied = 0;
		return;
	}
	vpndns_worker_reply_check_full(env, repinfo, pkt, scratch);
}

/**
 * Compare two reflect keys (struct vpndns_addr_key of
 * view.h), the rbtree compare function of the reflect views: address family,
 * address and, for IPv6, the interface; the port is ignored.  Defined in
 * view.c; declared here for Unbound's function pointer whitelist.
 * @param a: key.
 * @param b: key.
 * @return -1, 0 or 1.
 */
int vpndns_reflect_cmp(const void* a, const void* b);

/** inplace callback that notes that a forwarder answered a query */
int vpndns_query_response_cb(struct module_qstate* qstate,
	struct dns_msg* response, int id, void* cb_args);

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
 * Do two IPv6 socket addresses differ in their interface (RFC 4007 zone,
 * sin6_scope_id)?  The same link-local address behind two interfaces is
 * two hosts: two tunnels, two views.  Unbound's address comparisons use
 * this with vpndns (patch 0011-ipv6-scope).
 */
#define VPNDNS_SCOPE_DIFFERS(a, b) ((a)->sin6_scope_id != \
	(b)->sin6_scope_id && !vpndns_guard_off("scope"))

/*
 * Not called by Unbound's core: shared by the files of the module's top
 * layer (vpndns.c, front.c, egress.c, exit.c, control.c, stats.c).
 */

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
 * Inline: every reply and every send asks.
 * @return the global state.
 */
static inline struct vpndns_env*
vpndns_active(void)
{
	return vpndns_global;
}

#endif /* VPNDNS_H */
