/*
 * vpndns/egress.c - the egress veto.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * A second line of defence behind the view environments: every upstream
 * send is checked against the query's view before it leaves.  A send is
 * allowed only to a forwarder of the view, or to a domain-forward server
 * for a name at or below that domain.  Anything else is cancelled, counted
 * and logged; the iterator sees a failed send and ends in SERVFAIL.
 */
#include "config.h"
#include "vpndns/vpndns.h"
#include "vpndns/reload.h"
#include "vpndns/view.h"
#include "vpndns/conf.h"
#include "vpndns/policy.h"
#include "vpndns/nametext.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/data/dname.h"
#include "util/data/msgreply.h"

/** The deepest domain-forward at or above a name, or NULL. */
static struct vpndns_domain_fwd*
egress_domain_of(struct vpndns_conf* conf, uint8_t* qname)
{
	struct vpndns_domain_fwd* d, *best = NULL;
	for(d = conf->domain_fwds; d; d = d->next) {
		if(dname_subdomain_c(qname, d->dname) &&
			(!best || d->dname_labs > best->dname_labs))
			best = d;
	}
	return best;
}

/** Is the send allowed by a domain-forward that covers the name (the
 * checks before domain-forward names were kept private)? */
static int
egress_domain_allowed_any(struct vpndns_conf* conf, struct query_info* qinfo,
	struct sockaddr_storage* addr, socklen_t addrlen)
{
	struct vpndns_domain_fwd* d;
	for(d = conf->domain_fwds; d; d = d->next) {
		if(dname_subdomain_c(qinfo->qname, d->dname) &&
			vpndns_server_list_has(d->servers, addr, addrlen))
			return 1;
	}
	return 0;
}

/**
 * Where may this name go?  A name at or below a domain-forward goes only
 * to that domain-forward's servers (the deepest one), never to the
 * view's forwarders: that includes a DS query at the domain's apex,
 * which the iterator sends to the parent zone's servers.  Other names
 * go to the view's forwarders.
 */
static int
egress_dest_allowed(struct vpndns_view* view, struct query_info* qinfo,
	struct sockaddr_storage* addr, socklen_t addrlen, const char** why)
{
	/* the domain forwards of the view's own configuration: a view of a
	 * retired set keeps the rules it was made with */
	struct vpndns_conf* conf = view->set->conf;
	struct vpndns_domain_fwd* d;
	*why = "not a forwarder of the view";
	if(vpndns_guard_off("dfprivacy"))
		return vpndns_server_list_has(view->servers, addr, addrlen) ||
			egress_domain_allowed_any(conf, qinfo, addr, addrlen);
	if((d = egress_domain_of(conf, qinfo->qname))) {
		*why = "a domain-forward name, not a server of its domain";
		return vpndns_server_list_has(d->servers, addr, addrlen);
	}
	return vpndns_server_list_has(view->servers, addr, addrlen);
}

/** Log and count a cancelled send. */
static void
egress_veto(struct vpndns_view* view, struct module_env* env,
	struct query_info* qinfo, struct sockaddr_storage* addr,
	socklen_t addrlen, const char* why)
{
	char name[VPNDNS_NAME_TEXT_SIZE], a[128];
	if(view)
		VPNDNS_STAT_INC(vpndns_view_stats_get(view, env)->egress_vetoed);
	(void)vpndns_name_text(qinfo->qname, name, 1);
	addr_to_str(addr, addrlen, a, sizeof(a));
	log_warn("vpndns: egress veto: %s to %s port %d (view %s): %s", name,
		a, ntohs(((struct sockaddr_in*)addr)->sin_port),
		view ? view->name : "-", why);
}

/** Was this very name checked against the current policy when the
 * query started?  Then no reload happened since (same epoch), and the
 * check need not be repeated for every send. */
static int
egress_name_checked(struct vpndns_env* ve, struct query_info* qinfo,
	struct module_qstate* qstate, int id)
{
	struct vpndns_qstate* vq = (struct vpndns_qstate*)qstate->minfo[id];
	return vq && vq->checked_epoch && vq->checked_epoch ==
		__atomic_load_n(&ve->epoch, __ATOMIC_SEQ_CST) &&
		qinfo->qname_len == qstate->qinfo.qname_len &&
		(qinfo->qname == qstate->qinfo.qname ||
		query_dname_compare(qinfo->qname, qstate->qinfo.qname) == 0);
}

/** The veto's decision, inside vpndns_enter/vpndns_leave. */
static int
egress_check(struct vpndns_env* ve, struct vpndns_snap* snap,
	struct module_env* env, struct query_info* qinfo,
	struct sockaddr_storage* addr, socklen_t addrlen,
	struct module_qstate* qstate)
{
	struct vpndns_view* view;
	struct vpndns_qstate* vq;
	const char* why = NULL;
	if(!qstate || !(view = vpndns_views_env_owner(ve->hints, env)) ||
		!(vq = (struct vpndns_qstate*)qstate->minfo[ve->id]) ||
		!vq->snap) {
		egress_veto(NULL, env, qinfo, addr, addrlen,
			"query outside every view");
		return 0;
	}
	/* the policy the query started with and the current one */
	if(!egress_name_checked(ve, qinfo, qstate, ve->id) &&
		vpndns_policy_egress_blocked(vpndns_query_policy(vq, snap),
		snap->policy, qinfo, view, qstate, ve->id)) {
		egress_veto(view, env, qinfo, addr, addrlen, "blocked name");
		return 0;
	}
	if(egress_dest_allowed(view, qinfo, addr, addrlen, &why))
		return 1;
	egress_veto(view, env, qinfo, addr, addrlen, why);
	/* no forwarder of the view failed: the name is kept out of the
	 * tunnel on purpose */
	if(!vq->servfail_ede) {
		vq->servfail_ede = LDNS_EDE_PROHIBITED;
		vq->servfail_ede_text = "vpndns: a domain-forward name is sent "
			"only to its domain's servers";
	}
	return 0;
}

int
vpndns_egress_allowed(struct module_env* env, struct query_info* qinfo,
	struct sockaddr_storage* addr, socklen_t addrlen,
	uint8_t* ATTR_UNUSED(zone), size_t ATTR_UNUSED(zonelen),
	struct module_qstate* qstate)
{
	struct vpndns_env* ve = vpndns_active();
	int allowed;
	if(!vpndns_serving(ve) ||
		vpndns_guard_off("veto"))
		return 1;
	allowed = egress_check(ve, vpndns_enter(ve, env), env, qinfo, addr,
		addrlen, qstate);
	vpndns_leave(ve, env);
	return allowed;
}
