/*
 * vpndns/policy_conf.c - policy keywords of vpndns.conf.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Policy keywords of vpndns.conf.
 */
#include "config.h"
#include "vpndns/conf.h"
#include "vpndns/policy_conf.h"

/** The policy part of the configuration. */
struct vpndns_policy_conf {
	/** placeholder until the policy keywords are parsed */
	int unused;
};

int
vpndns_policy_conf_init(struct vpndns_conf* conf)
{
	conf->policy = calloc(1, sizeof(*conf->policy));
	return conf->policy != NULL;
}

const char*
vpndns_policy_conf_keyword(struct vpndns_conf* ATTR_UNUSED(conf),
	const char* key, int ATTR_UNUSED(argc), char** ATTR_UNUSED(argv),
	const char* ATTR_UNUSED(file), int ATTR_UNUSED(line), char* errbuf,
	size_t errlen)
{
	snprintf(errbuf, errlen, "unknown keyword '%s:'", key);
	return errbuf;
}

int
vpndns_policy_conf_finish(struct vpndns_conf* ATTR_UNUSED(conf),
	const char* ATTR_UNUSED(file))
{
	return 1;
}

void
vpndns_policy_conf_delete(struct vpndns_conf* conf)
{
	free(conf->policy);
	conf->policy = NULL;
}
