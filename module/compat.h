/*
 * vpndns/compat.h - what differs between the Unbound releases vpndns
 * supports.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * One module source builds against every supported Unbound release.  The
 * few internal functions and structures whose shape changed between
 * releases are reached through the macros here, and nowhere else does
 * module code test the Unbound version.
 *
 * VPNDNS_UNBOUND_VERSION (major*10000 + minor*100 + patch) comes from
 * vpndns-unbound.h, which contrib/unbound/apply-patches.sh writes into
 * the Unbound tree when it applies the patch series.
 */

#ifndef VPNDNS_COMPAT_H
#define VPNDNS_COMPAT_H
#include "vpndns-unbound.h"

#if VPNDNS_UNBOUND_VERSION >= 12600

/**
 * Build a reply_info (msgreply.h).  1.26 adds a no-recursion TTL and the
 * EDE reason of a bogus answer; vpndns answers are never bogus, and the
 * no-recursion TTL is the TTL.
 */
#define VPNDNS_REPLY_INFO_BASE(region, flags, qd, ttl, an, ns, ar, total, sec) \
	construct_reply_info_base(region, flags, qd, ttl, ttl, ttl, ttl, an, \
		ns, ar, total, sec, LDNS_EDE_NONE)

/**
 * Add a zone to a forward tree (iter_fwd.h).  1.26 locks the tree itself
 * unless told not to; a view's tree is built before any thread can see
 * it, so no lock is taken.
 */
#define VPNDNS_FORWARDS_ADD_ZONE(fwd, c, dp) forwards_add_zone(fwd, c, dp, 1)

/**
 * The module function block (module.h).  1.26 has startup and destartup
 * functions before init; vpndns needs neither.
 */
#define VPNDNS_FUNC_BLOCK(name, init, deinit, operate, inform_super, clear, \
	get_mem) \
	{ name, NULL, NULL, init, deinit, operate, inform_super, clear, get_mem }

#else /* 1.17 */

/** Build a reply_info (msgreply.h), 1.17 shape. */
#define VPNDNS_REPLY_INFO_BASE(region, flags, qd, ttl, an, ns, ar, total, sec) \
	construct_reply_info_base(region, flags, qd, ttl, ttl, ttl, an, ns, \
		ar, total, sec)

/** Add a zone to a forward tree (iter_fwd.h), 1.17 shape. */
#define VPNDNS_FORWARDS_ADD_ZONE(fwd, c, dp) forwards_add_zone(fwd, c, dp)

/** The module function block (module.h), 1.17 shape. */
#define VPNDNS_FUNC_BLOCK(name, init, deinit, operate, inform_super, clear, \
	get_mem) \
	{ name, init, deinit, operate, inform_super, clear, get_mem }

#endif

#endif /* VPNDNS_COMPAT_H */
