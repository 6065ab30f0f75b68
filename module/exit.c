/*
 * vpndns/exit.c - the exit check: every reply to a client passes it.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The policy is applied where a query enters (the front hook, the
 * module) and where it leaves for a forwarder (the egress veto).  The
 * exit check guards the other side: Unbound has more ways to answer a
 * client than the ones vpndns handles itself (a stale answer served on
 * a timer or after a failure, local data, an auth-zone for downstream),
 * and whatever produced a reply, it passes here before it is sent.
 *
 * There are two exits, one per place Unbound sends replies from:
 * - the mesh (mesh_send_reply), for every reply of a query that went
 *   through the modules, on any transport.  The reply is checked against
 *   the policy the query started with and the current one;
 * - the worker (its send_reply path), for replies it encodes itself.
 *   Those of the front hook were checked where they were made and are
 *   skipped; the rest (local data, RPZ, auth-zone) are parsed from the
 *   packet and checked against the current policy.
 *
 * Both run on the worker thread that sends the reply, inside
 * vpndns_enter/vpndns_leave.
 */
#include "config.h"
#include "vpndns/vpndns.h"
#include "vpndns/reload.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "util/module.h"
#include "util/netevent.h"
#include "util/data/msgreply.h"
#include "sldns/rrdef.h"
#include "sldns/sbuffer.h"
#include "sldns/pkthdr.h"

void
vpndns_mesh_reply_check(struct module_qstate* qstate,
	struct comm_reply* client, struct edns_data* edns, int* rcode,
	struct reply_info** rep)
{
	struct vpndns_env* ve = vpndns_active();
	struct vpndns_qstate* vq;
	struct vpndns_snap* snap;
	if(!ve || !*rep || (*rep)->an_numrrsets == 0 ||
		vpndns_guard_off("exit"))
		return;
	/* a query vpndns answered itself, or one outside every view,
	 * carries no data of a view */
	if(!(vq = (struct vpndns_qstate*)qstate->minfo[ve->id]) ||
		!vq->view || !vq->snap)
		return;
	if(*rep == vq->checked_rep && vq->checked_rep_epoch ==
		__atomic_load_n(&ve->epoch, __ATOMIC_SEQ_CST))
		return; /* the module checked this very answer, no reload since */
	snap = vpndns_enter(ve, qstate->env);
	if(vpndns_policy_reply_check(vpndns_query_policy(vq, snap),
		snap->policy, qstate, vq->view, client, rcode, rep) && edns)
		/* what was said of the replaced reply (Stale Answer) is not
		 * true of the block answer */
		(void)edns_opt_list_remove(&edns->opt_list_out, LDNS_EDNS_EDE);
	vpndns_leave(ve, qstate->env);
}

void
vpndns_worker_reply_check_full(struct module_env* env,
	struct comm_reply* repinfo, sldns_buffer* pkt, struct regional* scratch)
{
	struct vpndns_env* ve = vpndns_active();
	struct vpndns_thread* th = vpndns_thread_slot(ve, env);
	struct vpndns_client_rule* rule;
	struct vpndns_snap* snap;
	if(sldns_buffer_limit(pkt) < LDNS_HEADER_SIZE ||
		LDNS_ANCOUNT(sldns_buffer_begin(pkt)) == 0 ||
		vpndns_guard_off("exit"))
		return;
	snap = vpndns_enter_slot(ve, th);
	/* looking must not create a reflect view: a reflect client without
	 * one has only the global lists */
	(void)vpndns_policy_wire_check(snap->policy, env,
		vpndns_views_peek(snap->views, &repinfo->client_addr,
		repinfo->client_addrlen, &rule), repinfo, pkt, scratch);
	vpndns_leave_slot(th);
}
