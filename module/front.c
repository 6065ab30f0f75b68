/*
 * vpndns/front.c - the worker's front hook: view cache fast path.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Unbound's worker answers from the global message cache before any
 * module runs.  With vpndns the worker calls this hook at that point
 * instead: it classifies the client into its view, applies the policy,
 * and answers from the view's own cache.  Anything it can't answer goes
 * to the mesh, never to the global cache, so nothing in the global cache
 * (a load_cache, a stray entry) can reach a vpndns client.
 *
 * The cache answer follows the worker's answer_from_cache: TTL and
 * serve-expired rules, CNAME chain check, DNSSEC status, reply callbacks
 * and prefetch.  Cases it does not handle itself (an unvalidated entry, a
 * bogus one) go to the mesh, where the modules deal with them.
 */
#include "config.h"
#include "vpndns/vpndns.h"
#include "vpndns/reload.h"
#include "vpndns/queryid.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/memo.h"
#include "util/log.h"
#include "util/regional.h"
#include "util/netevent.h"
#include "util/config_file.h"
#include "util/storage/slabhash.h"
#include "util/data/msgreply.h"
#include "util/data/msgencode.h"
#include "util/data/msgparse.h"
#include "util/net_help.h"
#include "services/cache/rrset.h"
#include "services/mesh.h"
#include "services/listen_dnsport.h"
#include "sldns/sbuffer.h"
#include "sldns/rrdef.h"
#include "sldns/pkthdr.h"

/** Seconds added to a prefetch's leeway, as the worker does. */
#define FRONT_PREFETCH_EXPIRY_ADD 60

/** What the cache stage decided. */
enum front_cache_result {
	/** no usable entry: resolve in the mesh */
	front_cache_miss = 0,
	/** answered */
	front_cache_answered,
	/** answered, and the entry wants a prefetch */
	front_cache_prefetch
};

/** Encode an error with an EDE into the packet. */
static void
front_encode_error(struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, sldns_buffer* pkt, struct regional* scratch,
	int rcode, int ede, const char* text)
{
	uint16_t id = vpndns_query_id(pkt);
	uint16_t flags = sldns_buffer_read_u16_at(pkt, 2);
	edns->edns_version = EDNS_ADVERTISED_VERSION;
	edns->udp_size = EDNS_ADVERTISED_SIZE;
	edns->ext_rcode = 0;
	edns->bits &= EDNS_DO;
	if(env->cfg->ede && ede >= 0)
		(void)edns_opt_list_append_ede(&edns->opt_list_out, scratch,
			(sldns_ede_code)ede, text);
	error_encode(pkt, rcode, qinfo, id, flags, edns);
}

/**
 * Check an entry's TTL and lock its rrsets.
 * @return 0 if unusable, 1 if locked, 2 if locked and expired (served
 *	under serve-expired).
 */
static int
front_lock_entry(struct module_env* env, struct reply_info* rep)
{
	struct config_file* cfg = env->cfg;
	time_t now = *env->now;
	int rc;
	if(rep->ttl >= now)
		return rrset_array_lock(rep->ref, rep->rrset_count, now);
	if(!cfg->serve_expired || cfg->serve_expired_client_timeout)
		return 0;
	if(cfg->serve_expired_ttl && rep->serve_expired_ttl < now)
		return 0;
	rc = FLAGS_GET_RCODE(rep->flags);
	if(rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN &&
		rc != LDNS_RCODE_YXDOMAIN)
		return 0;
	return rrset_array_lock(rep->ref, rep->rrset_count, 0) ? 2 : 0;
}

/**
 * Decide the DNSSEC status of a cached entry.
 * @return -1 if the mesh must handle it, else whether it is secure.
 */
static int
front_entry_security(struct module_env* env, struct vpndns_view* view,
	struct reply_info* rep, uint16_t flags)
{
	/* the worker's env says whether the validator runs; a view with
	 * view-validate: no serves its entries unvalidated */
	int must_validate = (!(flags&BIT_CD) || env->cfg->ignore_cd) &&
		env->need_to_validate && !view->novalidate;
	if(rep->security == sec_status_secure) {
		if(reply_all_rrsets_secure(rep))
			return 1;
		return must_validate ? -1 : 0;
	}
	if(must_validate && (rep->security == sec_status_bogus ||
		rep->security == sec_status_secure_sentinel_fail ||
		rep->security == sec_status_unchecked))
		return -1;
	return 0;
}

/** Encode a locked cache entry as the answer. */
static int
front_encode_entry(struct module_env* env, struct vpndns_verdict* v,
	struct vpndns_view* view, struct query_info* qinfo,
	struct edns_data* edns, struct comm_reply* repinfo, sldns_buffer* pkt,
	struct regional* scratch, struct reply_info* rep, int expired)
{
	uint16_t id = vpndns_query_id(pkt);
	uint16_t flags = sldns_buffer_read_u16_at(pkt, 2);
	uint16_t udpsize = edns->udp_size;
	int secure;
	if(rep->an_numrrsets > 0 && (rep->rrsets[0]->rk.type ==
		htons(LDNS_RR_TYPE_CNAME) || rep->rrsets[0]->rk.type ==
		htons(LDNS_RR_TYPE_DNAME)) && !reply_check_cname_chain(qinfo, rep))
		return 0;
	if((secure = front_entry_security(env, view, rep, flags)) < 0)
		return 0;
	edns->edns_version = EDNS_ADVERTISED_VERSION;
	edns->udp_size = EDNS_ADVERTISED_SIZE;
	edns->ext_rcode = 0;
	edns->bits &= EDNS_DO;
	if(!inplace_cb_reply_cache_call(env, qinfo, NULL, rep,
		(int)(flags&LDNS_RCODE_MASK), edns, repinfo, scratch, env->now_tv))
		return 0;
	if(expired && env->cfg->ede_serve_expired && env->cfg->ede)
		(void)edns_opt_list_append_ede(&edns->opt_list_out, scratch,
			LDNS_EDE_STALE_ANSWER, "");
	if(FLAGS_GET_RCODE(rep->flags) == LDNS_RCODE_SERVFAIL && env->cfg->ede
		&& rep->reason_bogus == LDNS_EDE_NO_REACHABLE_AUTHORITY)
		/* the iterator keeps a failure a few seconds; the module marked
		 * it when no forwarder of the view answered */
		(void)edns_opt_list_append_ede(&edns->opt_list_out, scratch,
			LDNS_EDE_NO_REACHABLE_AUTHORITY,
			"vpndns: the view's forwarders failed (cached)");
	if(!reply_info_answer_encode(qinfo, rep, id, flags, pkt, *env->now, 1,
		scratch, udpsize, edns, (int)(edns->bits & EDNS_DO), secure))
		front_encode_error(env, qinfo, edns, pkt, scratch,
			LDNS_RCODE_SERVFAIL, -1, NULL);
	else if(v->ttl)
		vpndns_policy_front_ttl(v, pkt);
	return 1;
}

/** Does a cached answer hold names other than the query name (a CNAME
 * or DNAME chain, or more than one answer rrset)? */
static int
front_is_chain(struct reply_info* rep)
{
	return rep->an_numrrsets > 1 || (rep->an_numrrsets == 1 &&
		(rep->rrsets[0]->rk.type == htons(LDNS_RR_TYPE_CNAME) ||
		rep->rrsets[0]->rk.type == htons(LDNS_RR_TYPE_DNAME)));
}

/** Try to answer from the view's message cache. */
static enum front_cache_result
front_from_cache(struct module_env* env, struct vpndns_snap* snap,
	struct vpndns_view* view, struct vpndns_verdict* v,
	struct query_info* qinfo, struct edns_data* edns,
	struct comm_reply* repinfo, sldns_buffer* pkt, struct regional* scratch,
	time_t* leeway, uint32_t hash)
{
	struct lruhash_entry* e;
	struct reply_info* rep;
	int locked, answered;
	if(qinfo->local_alias)
		return front_cache_miss;
	e = slabhash_lookup(view->msg_cache, hash, qinfo, 0);
	if(!e)
		return front_cache_miss;
	rep = (struct reply_info*)e->data;
	if(!(locked = front_lock_entry(env, rep))) {
		lock_rw_unlock(&e->lock);
		return front_cache_miss;
	}
	/* a cached chain that reaches a blocked name is blocked too; an
	 * answer of the query name alone was checked with the name */
	if(front_is_chain(rep) && vpndns_policy_front_cached(snap->policy,
		env, view, repinfo, qinfo, edns, pkt, scratch, rep)) {
		rrset_array_unlock_touch(view->rrset_cache, scratch, rep->ref,
			rep->rrset_count);
		lock_rw_unlock(&e->lock);
		return front_cache_answered;
	}
	answered = front_encode_entry(env, v, view, qinfo, edns, repinfo,
		pkt, scratch, rep, locked == 2);
	rrset_array_unlock_touch(view->rrset_cache, scratch, rep->ref,
		rep->rrset_count);
	if(answered && ((env->cfg->prefetch && *env->now >= rep->prefetch_ttl)
		|| (env->cfg->serve_expired && *env->now > rep->ttl))) {
		*leeway = rep->ttl > *env->now ? rep->ttl - *env->now : 0;
		lock_rw_unlock(&e->lock);
		return front_cache_prefetch;
	}
	lock_rw_unlock(&e->lock);
	return answered ? front_cache_answered : front_cache_miss;
}

/** Send the reply now and refresh the entry in the view's mesh. */
static void
front_reply_and_prefetch(struct vpndns_thread* th, struct module_env* env,
	struct vpndns_view* view, struct query_info* qinfo,
	struct comm_reply* repinfo, sldns_buffer* pkt, time_t leeway)
{
	uint16_t flags = sldns_buffer_read_u16_at(pkt, 2);
	if(repinfo->c->tcp_req_info)
		sldns_buffer_copy(repinfo->c->tcp_req_info->spool_buffer, pkt);
	comm_point_send_reply(repinfo);
	/* the prefetch state has no client; the module takes its view
	 * from here while the mesh runs it */
	th->prefetch_view = view;
	mesh_new_prefetch(env->mesh, qinfo, flags,
		leeway + FRONT_PREFETCH_EXPIRY_ADD, 0, NULL, NULL);
	th->prefetch_view = NULL;
}

/** Answer a client that has no view. */
static enum vpndns_front_result
front_no_view(struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, sldns_buffer* pkt, struct regional* scratch,
	enum vpndns_classify_fail fail)
{
	int rcode, ede;
	const char* text;
	vpndns_classify_answer(fail, &rcode, &ede, &text);
	front_encode_error(env, qinfo, edns, pkt, scratch, rcode, ede, text);
	return vpndns_front_reply;
}

/** The client's view: from the thread's memo, or classified. */
static inline struct vpndns_view*
front_view(struct vpndns_snap* snap, struct vpndns_thread* th,
	struct comm_reply* repinfo, enum vpndns_classify_fail* fail)
{
	struct vpndns_view* view = vpndns_memo_view_get(th->memo, th->epoch,
		snap, &repinfo->client_addr, repinfo->client_addrlen);
	if(view)
		return view;
	if((view = vpndns_views_classify(snap->views, &repinfo->client_addr,
		repinfo->client_addrlen, fail)))
		vpndns_memo_view_put(th->memo, th->epoch, snap,
			&repinfo->client_addr, repinfo->client_addrlen, view);
	return view;
}

/** The policy's verdict on the query, from the memo of names that
 * passed for this view, or decided.  Inline: every query asks. */
static inline void
front_decide(struct vpndns_snap* snap, struct vpndns_thread* th,
	struct vpndns_view* view, struct query_info* qinfo,
	struct comm_reply* repinfo, uint32_t hash, struct vpndns_verdict* v)
{
	struct vpndns_ttl_def* ttl;
	if(snap->plain_policy) {
		memset(v, 0, sizeof(*v));
		v->memoizable = 1;
		return;
	}
	if(vpndns_memo_name_passed(th->memo, th->epoch, snap, view,
		qinfo->qtype, qinfo->qname, qinfo->qname_len, hash, &ttl)) {
		memset(v, 0, sizeof(*v));
		v->ttl = ttl;
		return;
	}
	if(!vpndns_policy_decide(snap->policy, view, &repinfo->client_addr,
		repinfo->client_addrlen, qinfo, v) && v->memoizable)
		vpndns_memo_name_put(th->memo, th->epoch, snap, view,
			qinfo->qtype, qinfo->qname, qinfo->qname_len, hash,
			v->ttl);
}

/** The decision made before the local zones, if it is for this query
 * and still good; used up either way. */
static struct vpndns_memo_decision*
front_decision_take(struct vpndns_snap* snap, struct vpndns_thread* th,
	struct query_info* qinfo)
{
	struct vpndns_memo_decision* d = &th->memo->decision;
	int good = d->epoch == th->epoch && d->snap == snap &&
		d->qname == qinfo->qname && d->qname_len ==
		qinfo->qname_len && d->qtype == qinfo->qtype &&
		!qinfo->local_alias;
	d->epoch = 0;
	return good ? d : NULL;
}

/** Note that the front hook checked this query, for the module's
 * operate, which runs next in the same call. */
static void
front_handoff(struct vpndns_thread* th, struct vpndns_view* view,
	struct query_info* qinfo)
{
	struct vpndns_memo* memo = th->memo;
	if(qinfo->qname_len > sizeof(memo->handoff_name))
		return;
	memo->handoff_epoch = th->epoch;
	memo->handoff_view = view;
	memo->handoff_len = qinfo->qname_len;
	memcpy(memo->handoff_name, qinfo->qname, qinfo->qname_len);
}

/** Enter vpndns for a hook, if it is serving with its guard on.
 * @param env: the worker's environment.
 * @param th: returns the worker's slot, to leave with.
 * @return the snapshot, or NULL when vpndns is not serving. */
static inline struct vpndns_snap*
front_enter(struct module_env* env, struct vpndns_thread** th)
{
	struct vpndns_env* ve = vpndns_active();
	if(!vpndns_serving(ve) || vpndns_guard_off("front"))
		return NULL;
	*th = vpndns_thread_slot(ve, env);
	return vpndns_enter_slot(ve, *th);
}

/** The early decision's work, inside vpndns_enter/vpndns_leave.
 * @return true if the packet holds the (block) answer. */
static int
front_early(struct vpndns_snap* snap, struct vpndns_thread* th,
	struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, struct comm_reply* repinfo, sldns_buffer* pkt,
	struct regional* scratch)
{
	struct vpndns_memo_decision* d = &th->memo->decision;
	enum vpndns_classify_fail fail = vpndns_classify_refused;
	struct vpndns_view* view;
	d->epoch = 0;
	/* no view, class ANY: answered after the local zones, as before */
	if(!(view = front_view(snap, th, repinfo, &fail)) ||
		qinfo->qclass == LDNS_RR_CLASS_ANY)
		return 0;
	d->hash = query_info_hash(qinfo, sldns_buffer_read_u16_at(pkt, 2));
	front_decide(snap, th, view, qinfo, repinfo, d->hash, &d->verdict);
	if(d->verdict.kind == vpndns_verdict_blocked ||
		d->verdict.kind == vpndns_verdict_regex) {
		VPNDNS_STAT_INC(vpndns_view_stats_get(view, env)->queries);
		vpndns_policy_front_answer(snap->policy, env, view, repinfo,
			qinfo, edns, pkt, scratch, &d->verdict);
		return 1;
	}
	d->snap = snap;
	d->view = view;
	d->qname = qinfo->qname;
	d->qname_len = qinfo->qname_len;
	d->qtype = qinfo->qtype;
	d->epoch = th->epoch;
	return 0;
}

int
vpndns_worker_early(struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, struct comm_reply* repinfo, sldns_buffer* pkt,
	struct regional* scratch)
{
	struct vpndns_thread* th;
	struct vpndns_snap* snap = front_enter(env, &th);
	int answered;
	if(!snap)
		return 0;
	if((answered = front_early(snap, th, env, qinfo, edns, repinfo, pkt,
		scratch)))
		/* checked here; the worker's exit check skips it */
		th->front_replied = 1;
	vpndns_leave_slot(th);
	return answered;
}

/** The front hook's work, inside vpndns_enter/vpndns_leave. */
static enum vpndns_front_result
front_run(struct vpndns_snap* snap, struct vpndns_thread* th,
	struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, struct comm_reply* repinfo, sldns_buffer* pkt,
	struct regional* scratch)
{
	struct vpndns_memo_decision* d = front_decision_take(snap, th, qinfo);
	struct vpndns_view* view;
	struct vpndns_view_stats* st;
	struct vpndns_verdict fresh, *v;
	enum vpndns_classify_fail fail = vpndns_classify_refused;
	time_t leeway = 0;
	uint32_t hash;
	th->memo->handoff_epoch = 0;
	if(d) {
		/* decided before the local zones, a moment ago */
		view = d->view;
		v = &d->verdict;
		hash = d->hash;
	} else {
		if(!(view = front_view(snap, th, repinfo, &fail)))
			return front_no_view(env, qinfo, edns, pkt, scratch,
				fail);
		if(qinfo->qclass == LDNS_RR_CLASS_ANY) {
			/* the iterator answers class ANY with per-class
			 * subqueries; not supported in a view */
			front_encode_error(env, qinfo, edns, pkt, scratch,
				LDNS_RCODE_REFUSED, LDNS_EDE_NOT_SUPPORTED,
				"vpndns: QCLASS ANY is not supported");
			return vpndns_front_reply;
		}
		hash = query_info_hash(qinfo, sldns_buffer_read_u16_at(pkt,
			2));
		v = &fresh;
		front_decide(snap, th, view, qinfo, repinfo, hash, v);
	}
	st = vpndns_view_stats_get(view, env);
	VPNDNS_STAT_INC(st->queries);
	if(v->kind != vpndns_verdict_pass) {
		vpndns_policy_front_answer(snap->policy, env, view, repinfo,
			qinfo, edns, pkt, scratch, v);
		return vpndns_front_reply;
	}
	switch(front_from_cache(env, snap, view, v, qinfo, edns, repinfo, pkt,
		scratch, &leeway, hash)) {
	case front_cache_answered:
		VPNDNS_STAT_INC(st->cachehits);
		if(LDNS_RCODE_WIRE(sldns_buffer_begin(pkt)) ==
			LDNS_RCODE_SERVFAIL)
			VPNDNS_STAT_INC(st->servfail);
		return vpndns_front_reply;
	case front_cache_prefetch:
		VPNDNS_STAT_INC(st->cachehits);
		if(view->novalidate)
			/* its prefetch would be validated: let it expire */
			return vpndns_front_reply;
		front_reply_and_prefetch(th, env, view, qinfo, repinfo, pkt,
			leeway);
		return vpndns_front_sent;
	default:
		break;
	}
	front_handoff(th, view, qinfo);
	return vpndns_front_mesh;
}

enum vpndns_front_result
vpndns_worker_front(struct module_env* env, struct query_info* qinfo,
	struct edns_data* edns, struct comm_reply* repinfo, sldns_buffer* pkt,
	struct regional* scratch)
{
	struct vpndns_thread* th;
	struct vpndns_snap* snap = front_enter(env, &th);
	enum vpndns_front_result r;
	if(!snap)
		return vpndns_front_pass;
	r = front_run(snap, th, env, qinfo, edns, repinfo, pkt, scratch);
	if(r == vpndns_front_reply)
		/* checked here; the worker's exit check skips it */
		th->front_replied = 1;
	vpndns_leave_slot(th);
	return r;
}
