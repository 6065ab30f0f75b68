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
 */

#ifndef VPNDNS_POLICY_H
#define VPNDNS_POLICY_H
struct vpndns_conf;
struct vpndns_view;
struct config_file;
struct module_qstate;
struct query_info;

/** The runtime policy. */
struct vpndns_policy;

/**
 * Build the runtime policy of a configuration (loads the lists).
 * @param conf: the configuration.
 * @param cfg: Unbound's configuration.
 * @return the policy, or NULL (logged).
 */
struct vpndns_policy* vpndns_policy_create(struct vpndns_conf* conf,
	struct config_file* cfg);

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
 * Apply the policy to a new query in the mesh.
 * @param policy: the policy.
 * @param qstate: the query.
 * @param id: module id.
 * @param view: the query's view.
 * @return true if the query was answered (ext_state is set).
 */
int vpndns_policy_query(struct vpndns_policy* policy,
	struct module_qstate* qstate, int id, struct vpndns_view* view);

/**
 * Apply the policy to the iterator's answer.
 * @param policy: the policy.
 * @param qstate: the query with return_msg.
 * @param id: module id.
 * @param view: the query's view.
 * @return true if the query was answered (ext_state is set).
 */
int vpndns_policy_answer(struct vpndns_policy* policy,
	struct module_qstate* qstate, int id, struct vpndns_view* view);

/**
 * Check an outgoing question against the policy (egress veto).
 * @param policy: the policy.
 * @param qinfo: the outgoing question.
 * @param view: the query's view.
 * @return true if the name is blocked and must not be sent.
 */
int vpndns_policy_egress_blocked(struct vpndns_policy* policy,
	struct query_info* qinfo, struct vpndns_view* view);

#endif /* VPNDNS_POLICY_H */
