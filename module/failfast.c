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

/** The current time of the worker, in microseconds. */
static uint64_t
failq_now(struct vpndns_failq* fq)
{
	return (uint64_t)fq->now_tv->tv_sec * 1000000 +
		(uint64_t)fq->now_tv->tv_usec;
}

/** Set the thread's timer to the first deadline of its queue. */
static void
failq_arm(struct vpndns_failq* fq)
{
	uint64_t now = failq_now(fq), at;
	struct timeval tv;
	if(!fq->head)
		return;
	at = fq->head->fail_at;
	if(at < now)
		at = now;
	tv.tv_sec = (time_t)((at - now) / 1000000);
	tv.tv_usec = (suseconds_t)((at - now) % 1000000);
	comm_timer_set(fq->timer, &tv);
	fq->armed = 1;
	fq->armed_at = at;
}

/** Take a query out of its thread's queue (the timer is left as it is:
 * it finds nothing to do, or the next deadline, when it fires). */
static void
failq_remove(struct vpndns_qstate* vq)
{
	struct vpndns_failq* fq = vq->failq;
	if(vq->fail_prev)
		vq->fail_prev->fail_next = vq->fail_next;
	else	fq->head = vq->fail_next;
	if(vq->fail_next)
		vq->fail_next->fail_prev = vq->fail_prev;
	else	fq->tail = vq->fail_prev;
	vq->fail_prev = vq->fail_next = NULL;
	vq->failq = NULL;
}

/** Put a query into its thread's queue in deadline order: at the tail,
 * unless a reload changed the timeout. */
static void
failq_insert(struct vpndns_failq* fq, struct vpndns_qstate* vq)
{
	struct vpndns_qstate* after = fq->tail;
	while(after && after->fail_at > vq->fail_at)
		after = after->fail_prev;
	vq->fail_prev = after;
	vq->fail_next = after ? after->fail_next : fq->head;
	if(vq->fail_next)
		vq->fail_next->fail_prev = vq;
	else	fq->tail = vq;
	if(after)
		after->fail_next = vq;
	else	fq->head = vq;
	vq->failq = fq;
	/* a new first deadline, or none set: the timer waits for it */
	if(fq->head == vq && (!fq->armed || fq->armed_at > vq->fail_at))
		failq_arm(fq);
}

/** The fail timer queue of a worker thread, made on first use.
 * @return NULL if it can't be made. */
static struct vpndns_failq*
failq_get(struct vpndns_thread* th, struct module_env* env)
{
	if(th->failq)
		return th->failq;
	if(!(th->failq = calloc(1, sizeof(*th->failq))))
		return NULL;
	th->failq->now_tv = env->now_tv;
	if(!(th->failq->timer = comm_timer_create(env->worker_base,
		vpndns_fail_timer_cb, th->failq))) {
		free(th->failq);
		th->failq = NULL;
	}
	return th->failq;
}

void
vpndns_failfast_start(struct vpndns_qstate* vq, struct vpndns_view* view,
	struct module_qstate* qstate, struct vpndns_thread* th)
{
	int ms = failfast_timeout(view->set->conf, qstate->env->cfg);
	struct vpndns_failq* fq;
	if(ms <= 0 || !th || !qstate->env->worker_base ||
		!qstate->mesh_info || !qstate->mesh_info->reply_list ||
		qstate->mesh_info->cb_list || vpndns_guard_off("failtimer") ||
		!(fq = failq_get(th, qstate->env)))
		return;
	vq->qstate = qstate;
	vq->fail_at = failq_now(fq) + (uint64_t)ms * 1000;
	failq_insert(fq, vq);
}

void
vpndns_failfast_stop(struct vpndns_qstate* vq)
{
	if(vq->failq)
		failq_remove(vq);
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
vpndns_failfast_thread_end(struct vpndns_thread* th)
{
	if(!th->failq)
		return;
	/* the queries were cleared with the mesh, before this */
	comm_timer_delete(th->failq->timer);
	free(th->failq);
	th->failq = NULL;
}

/** A query's fail timeout passed: answer its clients SERVFAIL. */
static void
failfast_answer(struct vpndns_qstate* vq)
{
	struct module_qstate* qstate = vq->qstate;
	struct mesh_state* m = qstate->mesh_info;
	int rcode = qstate->return_rcode;
	struct dns_msg* msg = qstate->return_msg;
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

void
vpndns_fail_timer_cb(void* arg)
{
	struct vpndns_failq* fq = (struct vpndns_failq*)arg;
	uint64_t now = failq_now(fq);
	struct vpndns_qstate* vq;
	fq->armed = 0; /* a comm_timer fires once */
	/* out of the queue before answering: answering may clear it */
	while((vq = fq->head) && vq->fail_at <= now) {
		failq_remove(vq);
		failfast_answer(vq);
	}
	failq_arm(fq);
}
