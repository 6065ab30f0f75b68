/*
 * vpndns/stats.c - vpndns lines of unbound-control stats.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Statistics in Unbound's key=value form, so exporters that parse
 * unbound-control stats keep working.  Counters are kept per thread and
 * summed here.  A resetting "stats" does not write other threads'
 * counters (that would race with them); it remembers the sums it printed
 * and later outputs count from there, which gives the same result.
 */
#include "config.h"
#include "vpndns/vpndns.h"
#include "vpndns/reload.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/out.h"
#include "vpndns/conf.h"
#include "util/storage/slabhash.h"
#include "services/cache/rrset.h"

/** Arguments of the per-view printer. */
struct stats_walk {
	/** the output */
	struct vpndns_out* out;
	/** reset after printing */
	int reset;
	/** number of reflect views seen */
	size_t nreflect;
	/** the policy, for the names of each view's own lists */
	struct vpndns_policy* policy;
};

/** Print the counters of one view. */
static void
stats_view(struct vpndns_view* view, void* arg)
{
	struct stats_walk* w = (struct stats_walk*)arg;
	struct vpndns_view_stats sum, *b = &view->stats[view->nthreads];
	vpndns_view_stats_sum(view, &sum);
	vpndns_out_printf(w->out, "vpndns.view.%s.queries=%lu\n"
		"vpndns.view.%s.cachehits=%lu\n"
		"vpndns.view.%s.blocked=%lu\n"
		"vpndns.view.%s.servfail=%lu\n"
		"vpndns.view.%s.forwarder_errors=%lu\n"
		"vpndns.view.%s.egress_vetoed=%lu\n"
		"vpndns.view.%s.inflight=%lu\n"
		"vpndns.view.%s.inflight_limited=%lu\n"
		"vpndns.view.%s.fail_timeouts=%lu\n",
		view->name, (unsigned long)(sum.queries - b->queries),
		view->name, (unsigned long)(sum.cachehits - b->cachehits),
		view->name, (unsigned long)(sum.blocked - b->blocked),
		view->name, (unsigned long)(sum.servfail - b->servfail),
		view->name, (unsigned long)(sum.forwarder_errors -
			b->forwarder_errors),
		view->name, (unsigned long)(sum.egress_vetoed -
			b->egress_vetoed),
		view->name, (unsigned long)sum.inflight,
		view->name, (unsigned long)(sum.inflight_limited -
			b->inflight_limited),
		view->name, (unsigned long)(sum.fail_timeouts -
			b->fail_timeouts));
	/* gauges: never reset */
	vpndns_out_printf(w->out, "vpndns.view.%s.msg_cache_count=%lu\n"
		"vpndns.view.%s.rrset_cache_count=%lu\n"
		"vpndns.view.%s.msg_cache_mem=%lu\n"
		"vpndns.view.%s.rrset_cache_mem=%lu\n"
		"vpndns.view.%s.list_names=%lu\n",
		view->name, (unsigned long)vpndns_cache_count(view->msg_cache),
		view->name, (unsigned long)vpndns_cache_count(
			&view->rrset_cache->table),
		view->name, (unsigned long)slabhash_get_mem(view->msg_cache),
		view->name, (unsigned long)slabhash_get_mem(
			&view->rrset_cache->table),
		view->name, (unsigned long)vpndns_policy_view_names(w->policy,
			view));
	if(w->reset)
		*b = sum;
	if(view->def_index < 0)
		w->nreflect++;
}

char*
vpndns_stats_text(struct module_env* env, int reset)
{
	struct vpndns_env* ve = vpndns_active();
	struct vpndns_snap* snap;
	struct stats_walk w;
	struct vpndns_out out;
	if(!vpndns_serving(ve))
		return NULL;
	memset(&out, 0, sizeof(out));
	memset(&w, 0, sizeof(w));
	w.out = &out;
	w.reset = reset;
	snap = vpndns_enter(ve, env);
	w.policy = snap->policy;
	vpndns_views_foreach(snap->views, stats_view, &w);
	vpndns_out_printf(&out, "vpndns.views=%lu\n"
		"vpndns.reflect_views=%lu\n"
		"vpndns.reflect_views_max=%lu\n"
		"vpndns.blocklist.names=%lu\n",
		(unsigned long)snap->views->nfixed, (unsigned long)w.nreflect,
		(unsigned long)snap->views->conf->max_reflect_views,
		(unsigned long)vpndns_policy_names(snap->policy));
	vpndns_leave(ve, env);
	vpndns_out_printf(&out, "mem.mod.vpndns=%lu\n", (unsigned long)
		vpndns_get_mem(env, ve->id));
	if(out.failed) {
		free(out.text);
		return NULL;
	}
	return out.text;
}
