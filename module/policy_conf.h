/*
 * vpndns/policy_conf.h - policy keywords of vpndns.conf.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The policy part of vpndns.conf: blocklists, allow entries, exempt
 * clients, NXDOMAIN regexes, block actions, static records and TTL
 * overrides.  conf.c hands every keyword it does not know to this file.
 */

#ifndef VPNDNS_POLICY_CONF_H
#define VPNDNS_POLICY_CONF_H
struct vpndns_conf;

/**
 * Allocate the policy part of a configuration.
 * @param conf: the configuration; conf->policy is set.
 * @return false on malloc failure.
 */
int vpndns_policy_conf_init(struct vpndns_conf* conf);

/**
 * Handle a policy keyword.
 * @param conf: the configuration.
 * @param key: keyword without the colon.
 * @param argc: number of arguments.
 * @param argv: arguments.
 * @param file: file name, for messages.
 * @param line: line number, for messages.
 * @param errbuf: buffer for a formatted reason.
 * @param errlen: size of errbuf.
 * @return NULL, or the reason of the error.
 */
const char* vpndns_policy_conf_keyword(struct vpndns_conf* conf,
	const char* key, int argc, char** argv, const char* file, int line,
	char* errbuf, size_t errlen);

/**
 * Checks after the whole file is read.
 * @param conf: the configuration.
 * @param file: file name for messages.
 * @return false on error (logged).
 */
int vpndns_policy_conf_finish(struct vpndns_conf* conf, const char* file);

/**
 * Free the policy part.
 * @param conf: the configuration.
 */
void vpndns_policy_conf_delete(struct vpndns_conf* conf);

#endif /* VPNDNS_POLICY_CONF_H */
