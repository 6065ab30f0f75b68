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

int
vpndns_memo_name_passed(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash, struct vpndns_ttl_def** ttl)
{
	struct vpndns_memo_name* e = &memo->names[hash &
		(VPNDNS_MEMO_NAMES-1)];
	/* the whole name is compared: a hash alone could let a blocked
	 * name through */
	if(e->epoch != epoch || e->snap != snap || e->view != view ||
		e->qtype != qtype || e->len != len ||
		memcmp(e->name, name, len) != 0)
		return 0;
	*ttl = e->ttl;
	return 1;
}

void
vpndns_memo_name_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash, struct vpndns_ttl_def* ttl)
{
	struct vpndns_memo_name* e = &memo->names[hash &
		(VPNDNS_MEMO_NAMES-1)];
	if(len > sizeof(e->name))
		return;
	e->ttl = ttl;
	e->epoch = epoch;
	e->snap = snap;
	e->view = view;
	e->qtype = qtype;
	e->len = len;
	memcpy(e->name, name, len);
}
