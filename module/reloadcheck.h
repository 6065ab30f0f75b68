/*
 * vpndns/reloadcheck.h - vpndns_reload check: what a reload would change.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The dry run of vpndns_reload: parse vpndns.conf as a reload would, read
 * the lists it names, and print the differences from the running state,
 * changing nothing.
 */

#ifndef VPNDNS_RELOADCHECK_H
#define VPNDNS_RELOADCHECK_H
struct vpndns_env;
struct vpndns_out;

/**
 * Print what vpndns_reload would change: views added, removed or changed
 * with their forwarders, which views start with a fresh cache, client
 * rules, domain forwards, and list sets whose number of names changes.
 * Parse errors are printed as for a reload (file:line: reason).  Holds
 * the reload slot while it runs, so no reload or live change interleaves;
 * nothing is published.  Runs on the calling thread, list reading
 * included.
 * @param ve: the module.
 * @param out: command output.
 */
void vpndns_reload_check(struct vpndns_env* ve, struct vpndns_out* out);

#endif /* VPNDNS_RELOADCHECK_H */
