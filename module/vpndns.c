/*
 * vpndns/vpndns.c - per-client forwarding module for Unbound.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The module functions.  On a new query the module finds the query's
 * view, from the client address or, for a subquery, from the environment
 * it inherited, and swaps qstate->env for the view's environment before
 * the iterator runs.  A query that can't be placed in a view is answered
 * here and never reaches the iterator: vpndns fails closed.
 */
#include "config.h"
#include "vpndns/failfast.h"
#include "vpndns/vpndns.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/reload.h"
#include "vpndns/memo.h"
#include "vpndns/compat.h"
#include "iterator/iter_hints.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/regional.h"
#include "util/config_file.h"
#include "util/data/msgreply.h"
#include "services/mesh.h"
#include "services/cache/dns.h"
#include "services/cache/rrset.h"
#include "validator/val_kcache.h"
#include "validator/val_neg.h"
#include "util/storage/slabhash.h"
#include "sldns/rrdef.h"
#include "sldns/pkthdr.h"

/** The module in use, for the hooks Unbound's core calls directly. */
struct vpndns_env* vpndns_global = NULL;

struct vpndns_policy*
vpndns_query_policy(struct vpndns_qstate* vq, struct vpndns_snap* cur)
{
	if(vpndns_guard_off("snapref"))
		return cur->policy;
	return vq->snap->policy;
}

void*
vpndns_mesh_isolate(struct module_env* env)
{
	/* NULL outside views: such states merge as in stock Unbound */
	return vpndns_global && vpndns_views_env_owner(vpndns_global->hints,
		env) ? env : NULL;
}

/** The module-config orderings vpndns supports. */
static const char* vpndns_module_confs[] = {
	"vpndns iterator",
	"vpndns respip iterator",
	"vpndns validator iterator",
	"vpndns respip validator iterator",
	NULL
};

int
vpndns_module_conf_known(const char* module_conf)
{
	int i;
	for(i = 0; vpndns_module_confs[i]; i++) {
		if(strcmp(module_conf, vpndns_module_confs[i]) == 0)
			return 1;
	}
	return 0;
}

/** Read the configuration file named in unbound.conf. */
static struct vpndns_conf*
vpndns_read_conf(struct config_file* cfg, int in_daemon)
{
	struct vpndns_conf* conf;
	char* file;
	if(!cfg->vpndns_config || !cfg->vpndns_config[0]) {
		log_err("vpndns: no configuration file; set vpndns-config: "
			"<file> in the server: clause");
		return NULL;
	}
	if(!(file = vpndns_path(cfg->vpndns_config, cfg, in_daemon))) {
		log_err("vpndns: out of memory");
		return NULL;
	}
	if((conf = vpndns_conf_read(file, cfg, NULL)))
		conf->in_daemon = in_daemon;
	free(file);
	return conf;
}

/** Allocate the per-thread memos. */
static int
vpndns_memos_create(struct vpndns_env* ve)
{
	int t;
	for(t = 0; t <= ve->nthreads; t++)
		if(!(ve->threads[t].memo = calloc(1, sizeof(struct vpndns_memo))))
			return 0;
	return 1;
}

/** Free the per-thread memos. */
static void
vpndns_memos_delete(struct vpndns_env* ve)
{
	int t;
	for(t = 0; ve->threads && t <= ve->nthreads; t++) {
		free(ve->threads[t].memo);
		/* the worker's deletion freed its timer with its base */
		free(ve->threads[t].failq);
	}
}

/** Allocate the module state for a configuration check or a daemon. */
static struct vpndns_env*
vpndns_env_create(struct module_env* env, int id)
{
	struct vpndns_env* ve = calloc(1, sizeof(*ve));
	if(!ve)
		return NULL;
	ve->id = id;
	ve->cfg = env->cfg;
	ve->alloc = env->alloc;
	ve->nthreads = env->cfg->num_threads > 0 ? env->cfg->num_threads : 1;
	lock_basic_init(&ve->reload_lock);
	/* epochs start at 1: a thread epoch of 0 means outside vpndns */
	ve->epoch = 1;
	if(!(ve->threads = calloc((size_t)ve->nthreads + 1,
		sizeof(*ve->threads))) || !vpndns_memos_create(ve) ||
		!(ve->hints = hints_create())) {
		vpndns_memos_delete(ve);
		free(ve->threads);
		lock_basic_destroy(&ve->reload_lock);
		free(ve);
		return NULL;
	}
	/* hints_create leaves the tree uninitialised */
	name_tree_init(&ve->hints->tree);
	return ve;
}

int
vpndns_init(struct module_env* env, int id)
{
	struct vpndns_env* ve;
	struct vpndns_conf* conf;
	struct vpndns_snap* snap;
	if(!vpndns_module_conf_known(env->cfg->module_conf)) {
		log_err("vpndns: module-config \"%s\" is not supported; use "
			"\"vpndns iterator\"", env->cfg->module_conf);
		return 0;
	}
	if(!(conf = vpndns_read_conf(env->cfg, env->alloc != NULL)))
		return 0;
	if(!(ve = vpndns_env_create(env, id)) ||
		!(snap = calloc(1, sizeof(*snap)))) {
		log_err("vpndns: out of memory");
		vpndns_conf_delete(conf);
		env->modinfo[id] = ve;
		vpndns_deinit(env, id);
		return 0;
	}
	env->modinfo[id] = ve;
	/* the policy borrows the configuration, which the views own */
	if(!(snap->policy = vpndns_policy_create(conf, env->cfg, NULL))) {
		vpndns_conf_delete(conf);
		free(snap);
		vpndns_deinit(env, id);
		return 0;
	}
	if(!env->alloc) {
		/* unbound-checkconf has no allocator: the file and its lists
		 * are valid, and there is nothing to serve */
		vpndns_policy_delete(snap->policy);
		vpndns_conf_delete(conf);
		free(snap);
		return 1;
	}
	if(!(snap->views = vpndns_views_create(conf, env->cfg, env->alloc,
		ve->hints))) {
		vpndns_policy_delete(snap->policy);
		vpndns_conf_delete(conf);
		free(snap);
		vpndns_deinit(env, id);
		return 0;
	}
	snap->plain_policy = vpndns_policy_plain(snap->policy);
	ve->snap = snap;
	if(!inplace_cb_register((void*)vpndns_servfail_cb,
		inplace_cb_reply_servfail, NULL, env, id) ||
		!inplace_cb_register((void*)vpndns_query_response_cb,
		inplace_cb_query_response, NULL, env, id)) {
		vpndns_deinit(env, id);
		return 0;
	}
	/* each client query gets its own mesh state: identical queries of
	 * different views must never be merged */
	if(!vpndns_guard_off("unique_mesh"))
		env->unique_mesh = 1;
	vpndns_global = ve;
	verbose(VERB_OPS, "vpndns: %u views from %s",
		(unsigned)snap->views->nfixed, snap->views->conf->file);
	return 1;
}

void
vpndns_deinit(struct module_env* env, int id)
{
	struct vpndns_env* ve = (struct vpndns_env*)env->modinfo[id];
	if(!ve)
		return;
	if(vpndns_global == ve)
		vpndns_global = NULL;
	inplace_cb_delete(env, inplace_cb_reply_servfail, id);
	inplace_cb_delete(env, inplace_cb_query_response, id);
	vpndns_reload_cleanup(ve);
	vpndns_snap_delete(ve->snap, 1);
	hints_delete(ve->hints);
	vpndns_memos_delete(ve);
	free(ve->threads);
	lock_basic_destroy(&ve->reload_lock);
	free(ve);
	env->modinfo[id] = NULL;
}

void
vpndns_worker_delete(struct module_env* env)
{
	struct vpndns_env* ve = vpndns_active();
	int t = vpndns_thread_num(env);
	if(ve && t >= 0 && t < ve->nthreads)
		vpndns_failfast_thread_end(&ve->threads[t]);
}

/** Find the view of a new query; NULL means it was answered already. */
static struct vpndns_view*
vpndns_query_view(struct vpndns_env* ve, struct vpndns_snap* snap,
	struct vpndns_thread* th, struct module_qstate* qstate, int id)
{
	struct vpndns_view* view;
	struct mesh_reply* r = qstate->mesh_info ?
		qstate->mesh_info->reply_list : NULL;
	enum vpndns_classify_fail fail = vpndns_classify_refused;
	int rcode, ede;
	const char* text;
	/* a subquery runs in the environment it inherited */
	if((view = vpndns_views_env_owner(ve->hints, qstate->env)))
		return view;
	if(r) {
		/* the front hook classified this client a moment ago */
		if((view = vpndns_memo_view_get(th->memo, th->epoch, snap,
			&r->query_reply.client_addr,
			r->query_reply.client_addrlen)) ||
			(view = vpndns_views_classify(snap->views,
			&r->query_reply.client_addr,
			r->query_reply.client_addrlen, &fail)))
			return view;
	} else if(th->prefetch_view) {
		return th->prefetch_view;
	} else {
		/* no client and no view: an internal lookup that vpndns can't
		 * attribute to a view goes nowhere */
		verbose(VERB_ALGO, "vpndns: query without a client refused");
		vpndns_answer_error(qstate, id, LDNS_RCODE_SERVFAIL,
			LDNS_EDE_PROHIBITED, "vpndns: query without a view");
		return NULL;
	}
	vpndns_classify_answer(fail, &rcode, &ede, &text);
	vpndns_answer_error(qstate, id, rcode, ede, text);
	return NULL;
}

/** Is this client query the one the front hook just checked and handed
 * to the mesh?  The handoff is used up either way. */
static int
vpndns_handoff_taken(struct vpndns_thread* th, struct module_qstate* qstate,
	struct vpndns_view* view)
{
	struct vpndns_memo* memo = th->memo;
	int taken;
	if(!memo || !memo->handoff_epoch)
		return 0;
	taken = memo->handoff_epoch == th->epoch && memo->handoff_view == view
		&& qstate->mesh_info && qstate->mesh_info->reply_list &&
		memo->handoff_len == qstate->qinfo.qname_len &&
		memcmp(memo->handoff_name, qstate->qinfo.qname,
		memo->handoff_len) == 0;
	memo->handoff_epoch = 0;
	return taken;
}

/** Handle a new query: find its view and move it into the view. */
static void
vpndns_op_new(struct vpndns_env* ve, struct vpndns_snap* snap,
	struct vpndns_thread* th, struct module_qstate* qstate, int id)
{
	struct vpndns_qstate* vq;
	struct vpndns_view* view;
	struct module_env* venv;
	if(!(vq = regional_alloc_zero(qstate->region, sizeof(*vq)))) {
		qstate->ext_state[id] = module_error;
		return;
	}
	qstate->minfo[id] = vq;
	if(!(view = vpndns_query_view(ve, snap, th, qstate, id)))
		return;
	vq->view = view;
	if(qstate->qinfo.qclass == LDNS_RR_CLASS_ANY) {
		/* its per-class subqueries would be shared across views */
		vpndns_answer_error(qstate, id, LDNS_RCODE_REFUSED,
			LDNS_EDE_NOT_SUPPORTED, "vpndns: QCLASS ANY is not "
			"supported");
		return;
	}
	/* a client query that the front hook checked a moment ago, in this
	 * same call, is not checked again */
	if(!vpndns_handoff_taken(th, qstate, view) &&
		vpndns_policy_query(snap->policy, qstate, id, view))
		return;
	/* the epoch this thread entered with: if the snapshot is newer, the
	 * global epoch is past it and the egress veto checks again */
	vq->checked_epoch = th->epoch;
	if(!(venv = vpndns_views_env_owner(ve->hints, qstate->env) ?
		qstate->env : vpndns_view_env(view, qstate->env))) {
		vpndns_answer_error(qstate, id, LDNS_RCODE_SERVFAIL,
			LDNS_EDE_OTHER, "vpndns: out of memory");
		return;
	}
	/* nothing fails after this: the query is counted in its view set
	 * below, which keeps the counters of vq->inflight allocated */
	if(!vpndns_inflight_admit(vq, view, qstate, id))
		return;
	if(!vpndns_guard_off("env"))
		qstate->env = venv;
	if(view->novalidate && qstate->mesh_info &&
		qstate->mesh_info->unique)
		/* the validator passes a validation recursion lookup through;
		 * only a client's own state may change it (the mesh orders
		 * shared states by it) */
		qstate->is_valrec = 1;
	/* the view set can't be freed while this query runs in it, and the
	 * snapshot it started with, whose policy applies to it to the end,
	 * not while the query is in the mesh */
	__atomic_add_fetch(&view->set->inflight, 1, __ATOMIC_SEQ_CST);
	vq->counted = 1;
	__atomic_add_fetch(&snap->inflight, 1, __ATOMIC_SEQ_CST);
	vq->snap = snap;
	vpndns_failfast_start(vq, view, qstate, th < ve->threads + ve->nthreads ?
		th : NULL);
	qstate->ext_state[id] = module_wait_module;
}

/**
 * Mark the failure the iterator cached for this query as "no reachable
 * authority", so that the front hook answers it from the cache with
 * EDE 22 too, and only then.
 */
static void
vpndns_mark_cached_failure(struct module_qstate* qstate)
{
	struct msgreply_entry* e = msg_cache_lookup(qstate->env,
		qstate->qinfo.qname, qstate->qinfo.qname_len,
		qstate->qinfo.qtype, qstate->qinfo.qclass, qstate->query_flags,
		*qstate->env->now, 1);
	struct reply_info* rep;
	if(!e)
		return;
	rep = (struct reply_info*)e->entry.data;
	if(FLAGS_GET_RCODE(rep->flags) == LDNS_RCODE_SERVFAIL &&
		rep->rrset_count == 0)
		rep->reason_bogus = LDNS_EDE_NO_REACHABLE_AUTHORITY;
	lock_rw_unlock(&e->entry.lock);
}

/** The query ended in SERVFAIL (or without a message): count it, and
 * add EDE 22 when no forwarder of the view answered at all. */
static void
vpndns_op_failed(struct vpndns_qstate* vq, struct module_qstate* qstate)
{
	struct vpndns_view_stats* st = vpndns_view_stats_get(vq->view,
		qstate->env);
	VPNDNS_STAT_INC(st->servfail);
	VPNDNS_STAT_INC(st->forwarder_errors);
	if(vq->answered && !vpndns_guard_off("ede22")) {
		/* the forwarder is reachable and said SERVFAIL (a lame or
		 * broken zone behind it): passed on as stock Unbound does */
		VPNDNS_WRITE(vq->view->last_ok, *qstate->env->now);
		return;
	}
	if(vq->servfail_ede)
		return; /* vpndns stopped it itself, and said why */
	VPNDNS_WRITE(vq->view->last_fail, *qstate->env->now);
	vq->servfail_ede = LDNS_EDE_NO_REACHABLE_AUTHORITY;
	vq->servfail_ede_text = "vpndns: no answer from the view's forwarders";
	vpndns_mark_cached_failure(qstate);
}

/** The iterator is done: check the answer, note failures. */
static void
vpndns_op_done(struct vpndns_snap* snap, struct vpndns_thread* th,
	struct module_qstate* qstate, int id)
{
	struct vpndns_qstate* vq = (struct vpndns_qstate*)qstate->minfo[id];
	int rcode = qstate->return_msg ?
		FLAGS_GET_RCODE(qstate->return_msg->rep->flags) :
		qstate->return_rcode;
	if(!vq || !vq->view || !vq->snap) {
		qstate->ext_state[id] = module_error;
		return;
	}
	vpndns_failfast_stop(vq);
	if(vq->blocked_list || (rcode != LDNS_RCODE_SERVFAIL &&
		(qstate->return_msg || qstate->return_rcode !=
		LDNS_RCODE_NOERROR))) {
		/* a blocked chain, or an answer to check */
		VPNDNS_WRITE(vq->view->last_ok, *qstate->env->now);
		if(vpndns_policy_answer(vpndns_query_policy(vq, snap),
			snap->policy, qstate,
			id, vq->view))
			return;
		/* the exit check need not look at this answer again while no
		 * reload happens */
		vq->checked_rep = qstate->return_msg ?
			qstate->return_msg->rep : NULL;
		vq->checked_rep_epoch = th->epoch;
	} else
		vpndns_op_failed(vq, qstate);
	qstate->ext_state[id] = module_finished;
}

void
vpndns_operate(struct module_qstate* qstate, enum module_ev event, int id,
	struct outbound_entry* ATTR_UNUSED(outbound))
{
	struct vpndns_env* ve = (struct vpndns_env*)qstate->env->modinfo[id];
	struct module_env* env = qstate->env;
	struct vpndns_snap* snap;
	struct vpndns_thread* th;
	if(verbosity >= VERB_QUERY)
		verbose(VERB_QUERY, "vpndns[module %d] operate: event %s", id,
			strmodulevent(event));
	if(!vpndns_serving(ve)) {
		qstate->ext_state[id] = module_error;
		return;
	}
	th = vpndns_thread_slot(ve, env);
	snap = vpndns_enter_slot(ve, th);
	if(event == module_event_new ||
		(event == module_event_pass && !qstate->minfo[id]))
		vpndns_op_new(ve, snap, th, qstate, id);
	else if(event == module_event_moddone)
		vpndns_op_done(snap, th, qstate, id);
	else	qstate->ext_state[id] = module_error;
	vpndns_leave_slot(th);
}

void
vpndns_inform_super(struct module_qstate* ATTR_UNUSED(qstate),
	int ATTR_UNUSED(id), struct module_qstate* ATTR_UNUSED(super))
{
	/* vpndns makes no subqueries */
}

void
vpndns_clear(struct module_qstate* qstate, int id)
{
	struct vpndns_qstate* vq;
	if(!qstate || !(vq = (struct vpndns_qstate*)qstate->minfo[id]))
		return;
	if(vq->counted) {
		struct vpndns_views* set = vq->view->set;
		/* the mesh still reads qstate->env after this: give it back
		 * the worker's, so the view set can go once the count drops */
		if(vpndns_views_env_owner(set->hints, qstate->env))
			qstate->env = vpndns_view_worker_env(qstate->env);
		vq->counted = 0;
		__atomic_sub_fetch(&set->inflight, 1, __ATOMIC_SEQ_CST);
	}
	if(vq->snap) {
		__atomic_sub_fetch(&vq->snap->inflight, 1, __ATOMIC_SEQ_CST);
		vq->snap = NULL;
	}
	vpndns_failfast_release(vq);
	/* the state itself lives in the query region */
	qstate->minfo[id] = NULL;
}

/** Add the memory of one view. */
static void
vpndns_view_mem(struct vpndns_view* view, void* arg)
{
	size_t* total = (size_t*)arg;
	*total += sizeof(*view) + slabhash_get_mem(view->msg_cache) +
		slabhash_get_mem(&view->rrset_cache->table);
	if(view->key_cache)
		*total += key_cache_get_mem(view->key_cache);
	if(view->neg_cache)
		*total += val_neg_get_mem(view->neg_cache);
}

size_t
vpndns_get_mem(struct module_env* env, int id)
{
	struct vpndns_env* ve = (struct vpndns_env*)env->modinfo[id];
	struct vpndns_snap* snap;
	size_t total = 0;
	if(!vpndns_serving(ve))
		return 0;
	snap = vpndns_enter(ve, env);
	total = sizeof(*ve) + vpndns_policy_get_mem(snap->policy);
	vpndns_views_foreach(snap->views, vpndns_view_mem, &total);
	vpndns_leave(ve, env);
	return total;
}

int
vpndns_query_response_cb(struct module_qstate* qstate,
	struct dns_msg* response, int id, void* ATTR_UNUSED(cb_args))
{
	struct vpndns_qstate* vq;
	/* NULL: a timeout, or a reply that could not be parsed */
	if(response && qstate && (vq = (struct vpndns_qstate*)
		qstate->minfo[id]))
		vq->answered = 1;
	return 1;
}

int
vpndns_servfail_cb(struct query_info* ATTR_UNUSED(qinfo),
	struct module_qstate* qstate, struct reply_info* ATTR_UNUSED(rep),
	int ATTR_UNUSED(rcode), struct edns_data* ATTR_UNUSED(edns),
	struct edns_option** opt_list_out,
	struct comm_reply* ATTR_UNUSED(repinfo), struct regional* region,
	struct timeval* ATTR_UNUSED(start_time), int id,
	void* ATTR_UNUSED(callback))
{
	struct vpndns_qstate* vq;
	if(!qstate || !qstate->env->cfg->ede)
		return 1;
	vq = (struct vpndns_qstate*)qstate->minfo[id];
	if(!vq || !vq->servfail_ede)
		return 1;
	(void)edns_opt_list_append_ede(opt_list_out, region,
		(sldns_ede_code)vq->servfail_ede, vq->servfail_ede_text);
	return 1;
}

/** The function block of the module. */
static struct module_func_block vpndns_block = VPNDNS_FUNC_BLOCK("vpndns",
	&vpndns_init, &vpndns_deinit, &vpndns_operate, &vpndns_inform_super,
	&vpndns_clear, &vpndns_get_mem);

struct module_func_block*
vpndns_get_funcblock(void)
{
	return &vpndns_block;
}
