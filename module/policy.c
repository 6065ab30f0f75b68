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
 * The runtime policy.
 */
#include "config.h"
#include "vpndns/policy.h"
#include "vpndns/conf.h"

/** The runtime policy. */
struct vpndns_policy {
	/** placeholder until the blocklist is wired in */
	int unused;
};

struct vpndns_policy*
vpndns_policy_create(struct vpndns_conf* ATTR_UNUSED(conf),
	struct config_file* ATTR_UNUSED(cfg))
{
	return calloc(1, sizeof(struct vpndns_policy));
}

void
vpndns_policy_delete(struct vpndns_policy* policy)
{
	free(policy);
}

size_t
vpndns_policy_get_mem(struct vpndns_policy* policy)
{
	return policy ? sizeof(*policy) : 0;
}

int
vpndns_policy_query(struct vpndns_policy* ATTR_UNUSED(policy),
	struct module_qstate* ATTR_UNUSED(qstate), int ATTR_UNUSED(id),
	struct vpndns_view* ATTR_UNUSED(view))
{
	return 0;
}

int
vpndns_policy_answer(struct vpndns_policy* ATTR_UNUSED(policy),
	struct module_qstate* ATTR_UNUSED(qstate), int ATTR_UNUSED(id),
	struct vpndns_view* ATTR_UNUSED(view))
{
	return 0;
}

int
vpndns_policy_egress_blocked(struct vpndns_policy* ATTR_UNUSED(policy),
	struct query_info* ATTR_UNUSED(qinfo),
	struct vpndns_view* ATTR_UNUSED(view))
{
	return 0;
}
