/*
 * vpndns/memo.c - per-thread memos of the front hook's decisions.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Direct-mapped per-thread memos; see memo.h for why they are safe.
 */
#include "config.h"
#include "vpndns/memo.h"
#include "util/net_help.h"

void
vpndns_memo_view_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct sockaddr_storage* addr,
	socklen_t addrlen, struct vpndns_view* view)
{
	struct vpndns_memo_view* e = &memo->views[vpndns_memo_addr_slot(addr)];
	if(addrlen > (socklen_t)sizeof(e->addr))
		return;
	e->epoch = epoch;
	e->snap = snap;
	memcpy(&e->addr, addr, addrlen);
	e->addrlen = addrlen;
	e->view = view;
}

/** Does a memo entry hold this name as passed? */
static int
memo_name_is(struct vpndns_memo_name* e, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len)
{
	/* the whole name is compared: a hash alone could let a blocked
	 * name through */
	return e->epoch == epoch && e->snap == snap && e->view == view &&
		e->qtype == qtype && e->len == len &&
		memcmp(e->name, name, len) == 0;
}

/** The two entries (ways) a hash may use. */
static struct vpndns_memo_name*
memo_name_set(struct vpndns_memo* memo, uint32_t hash)
{
	return &memo->names[(hash & (VPNDNS_MEMO_NAMES/2 - 1)) * 2];
}

int
vpndns_memo_name_passed(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash, struct vpndns_ttl_def** ttl)
{
	struct vpndns_memo_name* e = memo_name_set(memo, hash);
	if(!memo_name_is(e, epoch, snap, view, qtype, name, len) &&
		!memo_name_is(++e, epoch, snap, view, qtype, name, len))
		return 0;
	*ttl = e->ttl;
	return 1;
}

void
vpndns_memo_name_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash, struct vpndns_ttl_def* ttl)
{
	struct vpndns_memo_name* e = memo_name_set(memo, hash);
	if(len > sizeof(e->name))
		return;
	/* two names of one set both stay: a stale way first, else the way
	 * the next hash bit picks */
	if(e[0].epoch == epoch && e[0].snap == snap &&
		(e[1].epoch != epoch || e[1].snap != snap ||
		((hash >> 16) & 1)))
		e++;
	e->ttl = ttl;
	e->epoch = epoch;
	e->snap = snap;
	e->view = view;
	e->qtype = qtype;
	e->len = (uint8_t)len;
	memcpy(e->name, name, len);
}
