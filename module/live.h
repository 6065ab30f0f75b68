/*
 * vpndns/live.h - live configuration changes from unbound-control.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Commands that change the running configuration.
 */

#ifndef VPNDNS_LIVE_H
#define VPNDNS_LIVE_H
struct vpndns_env;
struct vpndns_snap;
struct vpndns_out;

/**
 * Run a configuration-changing command: vpndns_forward_add|remove,
 * vpndns_reflect_add|remove, vpndns_domain_forward_add|remove,
 * vpndns_allow_add|remove.  Runs outside vpndns_enter; nothing changes
 * on any error.
 * @param ve: the module.
 * @param cmd: the command name.
 * @param argc: number of arguments.
 * @param argv: the arguments.
 * @param out: command output.
 */
void vpndns_live_cmd(struct vpndns_env* ve, const char* cmd, int argc,
	char** argv, struct vpndns_out* out);

/**
 * The argument synopsis of a live command.
 * @param cmd: the command name.
 * @return the synopsis.
 */
const char* vpndns_live_usage(const char* cmd);

/**
 * Print the allow entries of the running configuration.
 * @param snap: the snapshot.
 * @param out: command output.
 */
void vpndns_live_allow_list(struct vpndns_snap* snap, struct vpndns_out* out);

#endif /* VPNDNS_LIVE_H */
