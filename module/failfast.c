/*
 * vpndns/failfast.c - one view's outage does not hold the others' places.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The per-view bound on queries in flight and the per-query fail timer,
 * and the module's error answers; see failfast.h.
 */

#include "config.h"
#include "vpndns/failfast.h"
#include "vpndns/state.h"
#include "vpndns/guard.h"
#include "vpndns/view.h"
#include "vpndns/conf.h"
#include "util/module.h"
#include "util/netevent.h"
#include "util/config_file.h"
#include "util/data/msgreply.h"
#include "services/mesh.h"
#include "sldns/rrdef.h"

void
vpndns_answer_error(struct module_qstate* qstate, int id, int rcode,
	int ede, const char* text)
{
	struct vpndns_qstate* vq = (struct vpndns_qstate*)qstate->minfo[id];
	qstate->return_rcode = rcode;
	qstate->return_msg = NULL;
	if(rcode == LDNS_RCODE_SERVFAIL && vq) {
		vq->servfail_ede = ede;
		vq->servfail_ede_text = text;
	} else if(qstate->env->cfg->ede) {
		edns_opt_list_append_ede(&qstate->edns_opts_front_out,
			qstate->region, (sldns_ede_code)ede, text);
	}
	qstate->ext_state[id] = module_finished;
}

/** The bound on a view's queries in flight in one worker thread, from
 * view-max-inflight; 0 for no bound. */
static size_t
vpndns_inflight_bound(struct vpndns_conf* conf, struct config_file* cfg)
{
	size_t n = conf->view_max_inflight;
	if(conf->view_max_inflight_pct) {
		n = (size_t)cfg->num_queries_per_thread * n / 100;
		if(n < 1)
			n = 1;
	}
	return n;
}

int
vpndns_inflight_admit(struct vpndns_qstate* vq, struct vpndns_view* view,
	struct module_qstate* qstate, int id)
{
	struct vpndns_view_stats* st;
	size_t bound = vpndns_inflight_bound(view->set->conf,
		qstate->env->cfg);
	if(vpndns_thread_num(qstate->env) < 0)
		return 1; /* not a worker thread: no request list */
	st = vpndns_view_stats_get(view, qstate->env);
	if(bound && VPNDNS_READ(st->inflight) >= bound &&
		!vpndns_guard_off("fairness")) {
		VPNDNS_STAT_INC(st->inflight_limited);
		VPNDNS_STAT_INC(st->servfail);
		vpndns_answer_error(qstate, id, LDNS_RCODE_SERVFAIL,
			LDNS_EDE_NO_REACHABLE_AUTHORITY, "vpndns: too many "
			"queries of the view in flight");
		return 0;
	}
	/* one writer, this thread; the stats output reads it */
	VPNDNS_STAT_INC(st->inflight);
	vq->inflight = st;
	return 1;
}

/** The fail timeout in milliseconds, kept below discard-timeout, after
 * which Unbound sends nothing at all; 0 for none.  Not set, it is 100 ms
 * below discard-timeout, so a client gets SERVFAIL where it would have
 * got nothing, and none when discard-timeout is 0 (late replies are
 * sent then). */
static int
failfast_timeout(struct vpndns_conf* conf, struct config_file* cfg)
{
	int ms = conf->view_fail_timeout, d = cfg->discard_timeout;
	if(ms == VPNDNS_VIEW_FAIL_TIMEOUT_AUTO)
		ms = d;
	if(ms > 0 && d > 0 && ms >= d - 100)
		ms = d > 100 ? d - 100 : 1;
	return ms;
}

void
vpndns_failfast_start(struct vpndns_qstate* vq, struct vpndns_view* view,
	struct module_qstate* qstate)
{
	int ms = failfast_timeout(view->set->conf, qstate->env->cfg);
	struct timeval tv;
	if(ms <= 0 || !qstate->env->worker_base || !qstate->mesh_info ||
		!qstate->mesh_info->reply_list || qstate->mesh_info->cb_list ||
		vpndns_guard_off("failtimer"))
		return;
	if(!(vq->fail_timer = comm_timer_create(qstate->env->worker_base,
		vpndns_fail_timer_cb, vq)))
		return;
	vq->qstate = qstate;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	comm_timer_set(vq->fail_timer, &tv);
}

void
vpndns_failfast_stop(struct vpndns_qstate* vq)
{
	if(vq->fail_timer) {
		comm_timer_delete(vq->fail_timer);
		vq->fail_timer = NULL;
	}
}

void
vpndns_failfast_release(struct vpndns_qstate* vq)
{
	vpndns_failfast_stop(vq);
	if(vq->inflight) {
		/* the thread that counted it: the mesh is per thread */
		VPNDNS_WRITE(vq->inflight->inflight,
			VPNDNS_READ(vq->inflight->inflight) - 1);
		vq->inflight = NULL;
	}
}

void
vpndns_fail_timer_cb(void* arg)
{
	struct vpndns_qstate* vq = (struct vpndns_qstate*)arg;
	struct module_qstate* qstate = vq->qstate;
	struct mesh_state* m = qstate->mesh_info;
	int rcode = qstate->return_rcode;
	struct dns_msg* msg = qstate->return_msg;
	/* Unbound's serve-expired timer is deleted in its callback too */
	vpndns_failfast_stop(vq);
	if(!m || !m->reply_list || m->cb_list)
		return;
	if(vq->inflight) {
		VPNDNS_STAT_INC(vq->inflight->fail_timeouts);
		VPNDNS_STAT_INC(vq->inflight->servfail);
	}
	/* answer the clients now, as the mesh does when a query is done
	 * (stale data first, with serve-expired), and let the query go on
	 * without them: its answer still fills the view's cache */
	vq->servfail_ede = LDNS_EDE_NO_REACHABLE_AUTHORITY;
	vq->servfail_ede_text = "vpndns: no answer from the view's "
		"forwarders within view-fail-timeout";
	qstate->return_rcode = LDNS_RCODE_SERVFAIL;
	qstate->return_msg = NULL;
	mesh_query_done(m);
	qstate->return_rcode = rcode;
	qstate->return_msg = msg;
	vq->servfail_ede = 0;
	vq->servfail_ede_text = NULL;
}
