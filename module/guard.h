/*
 * vpndns/guard.h - switchable guards of the test builds.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * vpndns_guard_off names the checks that negative-control tests switch
 * off, to show that each test fails without its guard.  Only a build
 * with VPNDNS_TEST_HOOKS has the switch; in every other build it is the
 * constant 0 and the guards cost nothing.  A leaf: every layer may use
 * it, and it uses none.  Any thread; it reads the environment only.
 */

#ifndef VPNDNS_GUARD_H
#define VPNDNS_GUARD_H

#ifdef VPNDNS_TEST_HOOKS
#include <stdlib.h>
#include <string.h>
/**
 * Test builds only: is a guard switched off?  The environment variable
 * VPNDNS_TEST_GUARD_OFF lists guards to switch off, comma separated:
 * unique_mesh, front, veto, env, exit, snapref, viewlists, ede22,
 * dfprivacy, selfreflect, scope, nametext, fairness, failtimer.
 * Normal builds have no switch.
 * @param guard: the guard name.
 * @return true if switched off.
 */
static inline int
vpndns_guard_off(const char* guard)
{
	const char* off = getenv("VPNDNS_TEST_GUARD_OFF");
	size_t len = strlen(guard);
	while(off && *off) {
		if(strncmp(off, guard, len) == 0 && (off[len] == ',' ||
			off[len] == 0))
			return 1;
		off = strchr(off, ',');
		if(off)
			off++;
	}
	return 0;
}
#else
/** normal builds: every guard is always on */
#define vpndns_guard_off(guard) 0
#endif

#endif /* VPNDNS_GUARD_H */
