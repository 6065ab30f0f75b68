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
#include "sldns/rrdef.h"
struct vpndns_snap;
struct vpndns_view;

/** slots of the address to view memo, a power of 2 */
#define VPNDNS_MEMO_VIEWS 64
/** slots of the passed-names memo, a power of 2 */
#define VPNDNS_MEMO_NAMES 512

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
	/** query type: the policy answers some types only (static PTR) */
	uint16_t qtype;
	/** length of name */
	size_t len;
	/** the name, wire format, as queried */
	uint8_t name[LDNS_MAX_DOMAINLEN+1];
};

/** The memos of one thread. */
struct vpndns_memo {
	/** address to view */
	struct vpndns_memo_view views[VPNDNS_MEMO_VIEWS];
	/** names that passed */
	struct vpndns_memo_name names[VPNDNS_MEMO_NAMES];
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

/**
 * Look up the view of an address.
 * @param memo: the thread's memo.
 * @param epoch: the thread's epoch.
 * @param snap: the snapshot in use.
 * @param addr: client address.
 * @param addrlen: its length.
 * @return the view or NULL.
 */
struct vpndns_view* vpndns_memo_view_get(struct vpndns_memo* memo,
	uint64_t epoch, struct vpndns_snap* snap,
	struct sockaddr_storage* addr, socklen_t addrlen);

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
 * @return true if it passed before.
 */
int vpndns_memo_name_passed(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash);

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
 */
void vpndns_memo_name_put(struct vpndns_memo* memo, uint64_t epoch,
	struct vpndns_snap* snap, struct vpndns_view* view, uint16_t qtype,
	uint8_t* name, size_t len, uint32_t hash);

#endif /* VPNDNS_MEMO_H */
