/*
 * vpndns/policy.h - query policy: blocklists, static records, overrides.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The runtime policy applied to queries and answers of a view.
 *
 * Threads, locks and lifetime: a policy belongs to a snapshot
 * (state.h).  It is built and freed by the reload side (reload.c, off
 * the workers) and is immutable once published: every thread reads it
 * without locks.  A policy, and the views, lists and records the
 * functions here take or hand back, are valid only between vpndns_enter
 * and vpndns_leave, or while a query holds the snapshot they came from
 * (vpndns_qstate.snap).  What a check writes goes to the query's region
 * or the caller's buffer, on the calling thread.
 */

#ifndef VPNDNS_POLICY_H
#define VPNDNS_POLICY_H
struct vpndns_conf;
struct vpndns_view;
struct config_file;
struct module_qstate;
struct query_info;
struct module_env;
struct comm_reply;
struct edns_data;
struct sldns_buffer;
struct regional;
struct reply_info;
struct vpndns_out;

/** The runtime policy. */
struct vpndns_policy;
struct policy_static;
struct policy_ptr;
struct vpndns_regex_def;
struct vpndns_ttl_def;
struct sockaddr_storage;

/** What the policy says of a query name. */
enum vpndns_verdict_kind {
	/** nothing: resolve it */
	vpndns_verdict_pass = 0,
	/** a static record answers it */
	vpndns_verdict_static,
	/** an NXDOMAIN regex blocks it */
	vpndns_verdict_regex,
	/** a blocklist entry blocks it */
	vpndns_verdict_blocked
};

/**
 * The policy's decision on one query name, made once by
 * vpndns_policy_decide and then applied by whoever answers: the front
 * hook before the cache, the module for the mesh.  Lifetime: its
 * pointers belong to the policy that made it, so it is valid only while
 * that policy is (between vpndns_enter and vpndns_leave, or while a
 * query holds the snapshot).
 */
struct vpndns_verdict {
	/** the decision */
	enum vpndns_verdict_kind kind;
	/** the static entry, for a static answer to a forward name */
	struct policy_static* st;
	/** the PTR entry, for a static answer to a reverse name */
	struct policy_ptr* ptr;
	/** the regex, for vpndns_verdict_regex */
	struct vpndns_regex_def* regex;
	/** name of the deciding list, for vpndns_verdict_blocked */
	const char* list_name;
	/** the EDE text of that list's blocks, made with the list; NULL:
	 * made when answering */
	const char* ede_text;
	/** a pass that holds for every client of the view: no exemption
	 * let it through, so it may be remembered for the view */
	int memoizable;
	/** the TTL override of a passed name, or NULL */
	struct vpndns_ttl_def* ttl;
};

/**
 * Build the runtime policy of a configuration (loads the lists).
 * @param conf: the configuration.
 * @param cfg: Unbound's configuration.
 * @param prev: a policy whose list sets may be shared where their list
 *	definitions are unchanged, or NULL to read every list.  Call under
 *	the module's reload lock (the sets' counts are changed).
 * @return the policy, or NULL (logged).
 */
struct vpndns_policy* vpndns_policy_create(struct vpndns_conf* conf,
	struct config_file* cfg, struct vpndns_policy* prev);

/**
 * Free a policy.
 * @param policy: the policy, may be NULL.
 */
void vpndns_policy_delete(struct vpndns_policy* policy);

/**
 * Memory used by a policy.
 * @param policy: the policy, may be NULL.
 * @return bytes.
 */
size_t vpndns_policy_get_mem(struct vpndns_policy* policy);

/**
 * Total number of entries in the blocksets.
 * @param policy: the policy, may be NULL.
 * @return number of names.
 */
size_t vpndns_policy_names(struct vpndns_policy* policy);

/**
 * Number of names in a view's own lists (list: ... view NAME), the global
 * lists not counted.
 * @param policy: the policy, may be NULL.
 * @param view: the view.
 * @return names; 0 for a view without lists of its own.
 */
size_t vpndns_policy_view_names(struct vpndns_policy* policy,
	struct vpndns_view* view);

/**
 * Number of names in the global lists or in one view definition's own
 * lists, for comparing two policies by name.
 * @param policy: the policy, may be NULL.
 * @param name: a view definition's name, NULL for the global lists.
 * @return names; 0 for a view without lists of its own or unknown.
 */
size_t vpndns_policy_scope_names(struct vpndns_policy* policy,
	const char* name);

/**
 * Decide on a query name: static answer, block (by which list or regex),
 * or pass, with the TTL override of a pass.  Made once per query.
 * Thread: any worker, inside vpndns_enter/vpndns_leave.
 * @param policy: the policy.
 * @param view: the client's view, for its own lists.
 * @param addr: the client's address, NULL for none (exemptions).
 * @param addrlen: its length.
 * @param qinfo: the query.
 * @param v: returns the verdict; valid while the policy is.
 * @return true if the policy answers the query (static or block).
 */
int vpndns_policy_decide(struct vpndns_policy* policy,
	struct vpndns_view* view, struct sockaddr_storage* addr,
	socklen_t addrlen, struct query_info* qinfo, struct vpndns_verdict* v);

/**
 * Has the policy nothing to say of any name: no static name, regex,
 * listed name or TTL override?  Then every verdict is a plain pass,
 * which the front hook makes without asking.
 * @param policy: the policy.
 * @return true if every verdict is a plain pass.
 */
int vpndns_policy_plain(struct vpndns_policy* policy);

/**
 * Answer a query the policy decided on (static or block) in the
 * worker's packet, counting and logging a block.  Block answers are
 * written straight into the packet when nothing unusual is asked of
 * them.
 * @param policy: the policy that made the verdict.
 * @param env: the worker's environment.
 * @param view: the client's view.
 * @param repinfo: the client.
 * @param qinfo: the query.
 * @param edns: the query's EDNS, used for the reply.
 * @param pkt: the query packet; holds the answer on return.
 * @param scratch: scratch region.
 * @param v: the verdict, not a pass.
 */
void vpndns_policy_front_answer(struct vpndns_policy* policy,
	struct module_env* env, struct vpndns_view* view,
	struct comm_reply* repinfo, struct query_info* qinfo,
	struct edns_data* edns, struct sldns_buffer* pkt,
	struct regional* scratch, struct vpndns_verdict* v);

/**
 * Decide and, unless the name passes, answer: vpndns_policy_decide and
 * vpndns_policy_front_answer in one call.
 * @param policy: the policy.
 * @param env: the worker's environment.
 * @param view: the client's view.
 * @param repinfo: the client.
 * @param qinfo: the query.
 * @param edns: the query's EDNS, used for the reply.
 * @param pkt: the packet; holds the answer on return of true.
 * @param scratch: scratch region.
 * @param v: returns the verdict.
 * @return true if answered.
 */
int vpndns_policy_front(struct vpndns_policy* policy, struct module_env* env,
	struct vpndns_view* view, struct comm_reply* repinfo,
	struct query_info* qinfo, struct edns_data* edns,
	struct sldns_buffer* pkt, struct regional* scratch,
	struct vpndns_verdict* v);

/**
 * Unit tests: switch the direct writing of block answers off (and on
 * again), to compare its bytes with the general encoder's.
 * @param on: false to use the general encoder for every answer.
 */
void vpndns_policy_wire_answers(int on);

/**
 * Check a cached reply's CNAME/DNAME chain in the front hook.
 * @param policy: the policy.
 * @param env: the worker's environment.
 * @param view: the client's view.
 * @param repinfo: the client.
 * @param qinfo: the query.
 * @param edns: the query's EDNS, used for the reply.
 * @param pkt: the packet; holds the block answer on return of true.
 * @param scratch: scratch region.
 * @param rep: the cached reply, locked.
 * @return true if the chain is blocked and the block answer encoded.
 */
int vpndns_policy_front_cached(struct vpndns_policy* policy,
	struct module_env* env, struct vpndns_view* view,
	struct comm_reply* repinfo, struct query_info* qinfo,
	struct edns_data* edns, struct sldns_buffer* pkt,
	struct regional* scratch, struct reply_info* rep);

/**
 * Apply the TTL override of a verdict to an answer the front hook
 * encoded from cache.
 * @param v: the query's verdict (a pass); nothing happens without an
 *	override.
 * @param pkt: the encoded answer; its TTLs are rewritten.
 */
void vpndns_policy_front_ttl(struct vpndns_verdict* v,
	struct sldns_buffer* pkt);

/**
 * Apply the policy to a new query in the mesh.
 * @param policy: the policy.
 * @param qstate: the query.
 * @param id: module id.
 * @param view: the query's view.
 * @return true if the query was answered (ext_state is set).
 */
int vpndns_policy_query(struct vpndns_policy* policy,
	struct module_qstate* qstate, int id, struct vpndns_view* view);

/*
 * A query in the mesh answers to two policies: the one of the snapshot
 * it started with (start) and the current one (cur), the same pointer
 * when no reload happened since.  A name blocked by either is blocked: a
 * reload or a live change can make a query in flight stricter, never
 * looser.  A view of an older configuration keeps its own lists in a
 * newer policy, found by the view's name.  Both policies must stay valid
 * for the call: start is held by the query, cur by vpndns_enter.
 */

/**
 * Apply the policy to the iterator's answer: CNAME/DNAME chains and
 * TTL overrides (of the current policy).
 * @param start: the policy the query started with.
 * @param cur: the current policy.
 * @param qstate: the query with return_msg.
 * @param id: module id.
 * @param view: the query's view.
 * @return true if the query was answered (ext_state is set).
 */
int vpndns_policy_answer(struct vpndns_policy* start,
	struct vpndns_policy* cur, struct module_qstate* qstate, int id,
	struct vpndns_view* view);

/**
 * Check an outgoing question against the blocklists (egress veto).  A
 * blocked name is noted in the query's state, so that the answer becomes
 * the block answer.
 * @param start: the policy the query started with.
 * @param cur: the current policy.
 * @param qinfo: the outgoing question.
 * @param view: the query's view.
 * @param qstate: the query.
 * @param id: the module id.
 * @return true if the name is blocked and must not be sent.
 */
int vpndns_policy_egress_blocked(struct vpndns_policy* start,
	struct vpndns_policy* cur, struct query_info* qinfo,
	struct vpndns_view* view, struct module_qstate* qstate, int id);

/**
 * The exit check of a mesh reply: every owner name and CNAME/DNAME
 * target of the reply is checked; a blocked reply is replaced by the
 * block answer (allocated in the query's region) with EDE 15.
 * @param start: the policy the query started with.
 * @param cur: the current policy.
 * @param qstate: the query.
 * @param view: the query's view.
 * @param c: the client the reply goes to, for exemptions; may be NULL.
 * @param rcode: the reply's rcode; replaced with the reply.
 * @param rep: the reply, may be NULL; replaced when blocked.
 * @return true if the reply was replaced.
 */
int vpndns_policy_reply_check(struct vpndns_policy* start,
	struct vpndns_policy* cur, struct module_qstate* qstate,
	struct vpndns_view* view, struct comm_reply* c, int* rcode,
	struct reply_info** rep);

/**
 * The exit check of a reply the worker encoded itself (local data,
 * auth-zone for downstream, RPZ): the answer section of the packet is
 * parsed and checked; a blocked reply is encoded again as the block
 * answer with EDE 15.
 * @param policy: the current policy.
 * @param env: the worker's environment.
 * @param view: the client's view, or NULL for a client without one.
 * @param c: the client.
 * @param pkt: the reply; rewritten when blocked.
 * @param scratch: scratch region.
 * @return true if the reply was replaced.
 */
int vpndns_policy_wire_check(struct vpndns_policy* policy,
	struct module_env* env, struct vpndns_view* view,
	struct comm_reply* c, struct sldns_buffer* pkt,
	struct regional* scratch);

/**
 * Explain what the policy does with a name for a client (vpndns_lookup):
 * exemption, static record, regex, the deciding list and action, and the
 * domain forward or view forwarders it goes to.
 * @param policy: the policy.
 * @param conf: the configuration of the views.
 * @param view: the client's view, or NULL.  The policy, conf and view
 *	are valid only between vpndns_enter and vpndns_leave: the control
 *	command calls this inside them.
 * @param addr: the client address.
 * @param addrlen: its length.
 * @param name: the name, wire format.
 * @param namelen: its length.
 * @param out: command output.
 */
void vpndns_policy_explain(struct vpndns_policy* policy,
	struct vpndns_conf* conf, struct vpndns_view* view,
	struct sockaddr_storage* addr, socklen_t addrlen, uint8_t* name,
	size_t namelen, struct vpndns_out* out);

#endif /* VPNDNS_POLICY_H */
