/*
 * vpndns/memo.h - per-thread memos of the front hook's decisions.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Cached answers should cost what Unbound's own cache answers cost.  Most
 * queries repeat a client and a name seen a moment ago, so each worker
 * thread remembers, in small direct-mapped tables, which view an address
 * maps to and which names the policy let pass.  Entries carry the epoch
 * and snapshot they were made under; a reload starts a new epoch and so
 * invalidates them all, and a name is compared in full, never by hash
 * alone, so a memo can never let a blocked name through.
 */

#ifndef VPNDNS_MEMO_H
#define VPNDNS_MEMO_H
#include <string.h>
#include <netinet/in.h>
#include "sldns/rrdef.h"
#include "vpndns/policy.h"
struct vpndns_snap;
struct vpndns_view;

/** bits of a slot number of the address to view memo */
#define VPNDNS_MEMO_VIEWS_BITS 6
/** slots of the address to view memo */
#define VPNDNS_MEMO_VIEWS (1 << VPNDNS_MEMO_VIEWS_BITS)
/** slots of the passed-names memo, a power of 2: a cached answer of a
 * name in the memo costs no blocklist lookup, so it holds a working set
 * of thousands of names (about 400 kB per thread) */
#define VPNDNS_MEMO_NAMES 4096
/** longest name (wire format) the passed-names memo holds; longer names
 * are looked up every time */
#define VPNDNS_MEMO_NAME_MAX 64

/** A remembered classification. */
struct vpndns_memo_view {
	/** epoch of the entry, 0 for an empty slot */
	uint64_t epoch;
	/** snapshot it was made in */
	struct vpndns_snap* snap;
	/** the client address (port ignored) */
	struct sockaddr_storage addr;
	/** its length */
	socklen_t addrlen;
	/** the view */
	struct vpndns_view* view;
};

/** A name the policy let pass for a view (client not exempt). */
struct vpndns_memo_name {
	/** epoch of the entry, 0 for an empty slot */
	uint64_t epoch;
	/** snapshot it was made in */
	struct vpndns_snap* snap;
	/** the view, whose lists applied */
	struct vpndns_view* view;
	/** the TTL override of the name, or NULL */
	struct vpndns_ttl_def* ttl;
	/** query type: the policy answers some types only (static PTR) */
	uint16_t qtype;
	/** length of name */
	uint8_t len;
	/** the name, wire format, as queried */
	uint8_t name[VPNDNS_MEMO_NAME_MAX];
};

/**
 * The front hook's decision on the query the worker is handling: made
 * before Unbound's local zones (where a block is answered at once) and
 * used after them, for the cache stage, in the same call.  Valid only
 * for that query, in the same epoch; stale otherwise.
 */
struct vpndns_memo_decision {
	/** epoch it was made in, 0 for none */
	uint64_t epoch;
	/** snapshot it was made in; its view and verdict belong to it */
	struct vpndns_snap* snap;
	/** the client's view */
	struct vpndns_view* view;
	/** the query name it is for, where the worker's query info had it
	 * (a local alias moves the name, and the decision is then stale) */
	uint8_t* qname;
	/** length of qname */
	size_t qname_len;
	/** query type */
	uint16_t qtype;
	/** the message cache hash of the query */
	uint32_t hash;
	/** the verdict */
	struct vpndns_verdict verdict;
};

/** The memos of one thread. */
struct vpndns_memo {
	/** address to view */
	struct vpndns_memo_view views[VPNDNS_MEMO_VIEWS];
	/** names that passed */
	struct vpndns_memo_name names[VPNDNS_MEMO_NAMES];
	/** the decision on the query in hand */
	struct vpndns_memo_decision decision;
	/** the front hook checked this name for this view just before
	 * handing the query to the mesh: epoch, or 0 */
	uint64_t handoff_epoch;
	/** view of the handoff */
	struct vpndns_view* handoff_view;
	/** length of the handoff name */
	size_t handoff_len;
	/** the name the front hook checked */
	uint8_t handoff_name[LDNS_MAX_DOMAINLEN+1];
};

/** Slot of an address: a multiplicative hash of its bytes, port
 * ignored.  Colliding addresses only miss the memo. */
static inline size_t
vpndns_memo_addr_slot(struct sockaddr_storage* addr)
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
static inline int
vpndns_memo_addr_same(struct vpndns_memo_view* e, struct sockaddr_storage* addr,
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

/**
 * Look up the view of an address.
 * @param memo: the thread's memo.
 * @param epoch: the thread's epoch.
 * @param snap: the snapshot in use.
 * @param addr: client address.
 * @param addrlen: its length.
 * @return the view or NULL.
 */
static inline struct vpndns_view*
vpndns_memo_view_get(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct sockaddr_storage* addr,
	socklen_t addrlen)
{
	struct vpndns_memo_view* e = &memo->views[vpndns_memo_addr_slot(addr)];
	if(e->epoch != epoch || e->snap != snap ||
		!vpndns_memo_addr_same(e, addr, addrlen))
		return NULL;
	return e->view;
}

/**
 * Remember the view of an address.
 * @param memo: the thread's memo.
 * @param epoch: the thread's epoch.
 * @param snap: the snapshot in use.
 * @param addr: client address.
 * @param addrlen: its length.
 * @param view: the view.
 */
void vpndns_memo_view_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct sockaddr_storage* addr,
	socklen_t addrlen, struct vpndns_view* view);

/**
 * Did the policy let this name pass for this view?
 * @param memo: the thread's memo.
 * @param epoch: the thread's epoch.
 * @param snap: the snapshot in use.
 * @param view: the view.
 * @param qtype: the query type.
 * @param name: the query name.
 * @param len: its length.
 * @param hash: a hash of the query (the message cache hash).
 * @param ttl: returns the name's TTL override (or NULL) when it passed.
 * @return true if it passed before.
 */
int vpndns_memo_name_passed(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash,
	struct vpndns_ttl_def** ttl);

/**
 * Remember that the policy let a name pass for a view.
 * @param memo: the thread's memo.
 * @param epoch: the thread's epoch.
 * @param snap: the snapshot in use.
 * @param view: the view.
 * @param qtype: the query type.
 * @param name: the query name.
 * @param len: its length.
 * @param hash: a hash of the query (the message cache hash).
 * @param ttl: the name's TTL override, or NULL.
 */
void vpndns_memo_name_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash, struct vpndns_ttl_def* ttl);

#endif /* VPNDNS_MEMO_H */
