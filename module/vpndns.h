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
struct vpndns_views;
struct vpndns_policy;
struct comm_reply;
struct edns_data;
struct sldns_buffer;
struct regional;

/** The global state of the module. */
struct vpndns_env {
	/** the current views; replaced as a whole on reload */
	struct vpndns_views* views;
	/** the current policy: blocklists, static records, overrides */
	struct vpndns_policy* policy;
	/** per-thread view of a prefetch being started by the front hook */
	struct vpndns_view** prefetch_view;
	/** number of threads, size of prefetch_view */
	int nthreads;
	/** the module id */
	int id;
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
	 * deciding list id plus one */
	int blocked_list;
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
 * The worker's front hook, run where the worker would answer from the
 * global cache: classify the client, apply the policy, and answer from
 * the view's cache.
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
 * The query ID of a packet, in wire order, as Unbound's encoders take it.
 * @param pkt: the query packet.
 * @return the ID.
 */
uint16_t vpndns_query_id(struct sldns_buffer* pkt);

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

/** inplace callback that adds the EDE of a vpndns SERVFAIL */
int vpndns_servfail_cb(struct query_info* qinfo,
	struct module_qstate* qstate, struct reply_info* rep, int rcode,
	struct edns_data* edns, struct edns_option** opt_list_out,
	struct comm_reply* repinfo, struct regional* region,
	struct timeval* start_time, int id, void* callback);

/**
 * The active module, or NULL when vpndns is not in the module stack.
 * @return the global state.
 */
struct vpndns_env* vpndns_active(void);

#ifdef VPNDNS_TEST_HOOKS
/**
 * Test builds only: is a guard switched off?  The environment variable
 * VPNDNS_TEST_GUARD_OFF lists guards to switch off, comma separated:
 * unique_mesh, front, veto, env.  Negative-control tests use it to show
 * that each test fails without its guard.  Normal builds have no switch.
 * @param guard: the guard name.
 * @return true if switched off.
 */
int vpndns_guard_off(const char* guard);
#else
/** normal builds: every guard is always on */
#define vpndns_guard_off(guard) 0
#endif

#endif /* VPNDNS_H */
