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

/** Slot of an address: a multiplicative hash of its bytes, port
 * ignored.  Colliding addresses only miss the memo. */
static size_t
memo_addr_slot(struct sockaddr_storage* addr)
{
	uint32_t h, w[4];
	if(addr->ss_family == AF_INET6) {
		struct sockaddr_in6* a6 = (struct sockaddr_in6*)addr;
		memcpy(w, &a6->sin6_addr, sizeof(w));
		h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ a6->sin6_scope_id;
	} else	memcpy(&h, &((struct sockaddr_in*)addr)->sin_addr, 4);
	return (size_t)((h * 0x9e3779b1u) >> (32 - VPNDNS_MEMO_VIEWS_BITS));
}

/** Is the memo entry for this address?  The same address on another
 * interface (IPv6 scope) is another client. */
static int
memo_addr_same(struct vpndns_memo_view* e, struct sockaddr_storage* addr,
	socklen_t addrlen)
{
	if(e->addrlen != addrlen || e->addr.ss_family != addr->ss_family)
		return 0;
	if(addr->ss_family == AF_INET6) {
		struct sockaddr_in6* a = (struct sockaddr_in6*)&e->addr;
		struct sockaddr_in6* b = (struct sockaddr_in6*)addr;
		return a->sin6_scope_id == b->sin6_scope_id &&
			memcmp(&a->sin6_addr, &b->sin6_addr,
			sizeof(b->sin6_addr)) == 0;
	}
	return ((struct sockaddr_in*)&e->addr)->sin_addr.s_addr ==
		((struct sockaddr_in*)addr)->sin_addr.s_addr;
}

struct vpndns_view*
vpndns_memo_view_get(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct sockaddr_storage* addr,
	socklen_t addrlen)
{
	struct vpndns_memo_view* e = &memo->views[memo_addr_slot(addr)];
	if(e->epoch != epoch || e->snap != snap ||
		!memo_addr_same(e, addr, addrlen))
		return NULL;
	return e->view;
}

void
vpndns_memo_view_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct sockaddr_storage* addr,
	socklen_t addrlen, struct vpndns_view* view)
{
	struct vpndns_memo_view* e = &memo->views[memo_addr_slot(addr)];
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
