/*
 * vpndns/health.c - forwarder health of the views, for people.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Turns the times a view last got a good answer and last failed, and
 * Unbound's infrastructure cache entries of its forwarders, into a verdict
 * and sentences with ages ("last good answer 3 s ago").  The machine
 * fields stay next to them, so scripts need not parse sentences.
 */
#include "config.h"
#include "vpndns/health.h"
#include "vpndns/view.h"
#include "vpndns/conf.h"
#include "vpndns/out.h"
#include "util/module.h"
#include "util/rtt.h"
#include "services/cache/infra.h"
#include "iterator/iterator.h"

void
vpndns_health_server(struct module_env* env, struct vpndns_server* s,
	time_t now, struct vpndns_server_health* h)
{
	/* the views' root forward is the zone "." in the infra key */
	uint8_t root[1] = { 0 };
	struct rtt_info rtt;
	int delay = 0, ta = 0, taaaa = 0, tother = 0;
	memset(h, 0, sizeof(*h));
	if(!env || !env->infra_cache)
		return;
	if(infra_get_host_rto(env->infra_cache, &s->addr, s->addrlen, root,
		sizeof(root), &rtt, &delay, now, &ta, &taaaa, &tother) < 0)
		return; /* not found or expired: no knowledge */
	h->known = 1;
	h->rto = rtt.rto;
	h->timeouts = ta + taaaa + tother;
	h->down = (rtt.rto >= USEFUL_SERVER_TOP_TIMEOUT);
}

/** Is any forwarder of the view timing out in the infrastructure cache? */
static int
health_any_failing(struct vpndns_view* view, struct module_env* env,
	time_t now)
{
	struct vpndns_server* s;
	struct vpndns_server_health h;
	for(s = view->servers; s; s = s->next) {
		vpndns_health_server(env, s, now, &h);
		if(h.known && (h.down || h.timeouts > 0))
			return 1;
	}
	return 0;
}

enum vpndns_health_state
vpndns_health_verdict(struct vpndns_view* view, struct module_env* env,
	time_t now, time_t down_after)
{
	time_t ok = VPNDNS_READ(view->last_ok);
	time_t fail = VPNDNS_READ(view->last_fail);
	/* an idle view is not down: only a failure after the last answer,
	 * with no answer for down_after seconds, is */
	if(fail != 0 && fail >= ok && (ok == 0 || now - ok >= down_after))
		return vpndns_down;
	if((fail != 0 && now - fail < down_after) ||
		health_any_failing(view, env, now))
		return vpndns_degraded;
	return vpndns_healthy;
}

const char*
vpndns_health_name(enum vpndns_health_state v)
{
	switch(v) {
	case vpndns_healthy: return "healthy";
	case vpndns_degraded: return "degraded";
	case vpndns_down: return "down";
	}
	return "unknown";
}

/** Print an age in words: "never", "3 s ago", "2 min ago", "5 h ago". */
static void
health_age_words(char* buf, size_t len, time_t t, time_t now)
{
	long long a = (long long)(now - t);
	if(t == 0)
		snprintf(buf, len, "never");
	else if(a < 0)
		snprintf(buf, len, "just now");
	else if(a < 120)
		snprintf(buf, len, "%lld s ago", a);
	else if(a < 7200)
		snprintf(buf, len, "%lld min ago", a/60);
	else if(a < 172800)
		snprintf(buf, len, "%lld h ago", a/3600);
	else	snprintf(buf, len, "%lld days ago", a/86400);
}

/** Print an age in seconds, or "none" for never. */
static void
health_age_secs(char* buf, size_t len, time_t t, time_t now)
{
	if(t == 0)
		snprintf(buf, len, "none");
	else	snprintf(buf, len, "%lld", (long long)(now < t ? 0 : now - t));
}

/** Print the infrastructure state of the view's forwarders. */
static void
health_print_servers(struct vpndns_out* out, struct vpndns_view* view,
	struct module_env* env, time_t now)
{
	struct vpndns_server* s;
	struct vpndns_server_health h;
	for(s = view->servers; s; s = s->next) {
		vpndns_health_server(env, s, now, &h);
		if(!h.known)
			vpndns_out_printf(out, "forwarder %s %s state=unknown "
				"(no recent exchange)\n", view->name, s->str);
		else	vpndns_out_printf(out, "forwarder %s %s state=%s "
				"rto_ms=%d timeouts=%d (%s)\n", view->name,
				s->str, h.down ? "down" : (h.timeouts ?
				"failing" : "up"), h.rto, h.timeouts, h.down ?
				"not used, only probed" : (h.timeouts ?
				"timing out" : "answering"));
	}
}

void
vpndns_health_print(struct vpndns_out* out, struct vpndns_view* view,
	struct module_env* env, time_t now, time_t down_after)
{
	time_t ok = VPNDNS_READ(view->last_ok);
	time_t fail = VPNDNS_READ(view->last_fail);
	char okw[32], failw[32], oks[32], fails[32];
	health_age_words(okw, sizeof(okw), ok, now);
	health_age_words(failw, sizeof(failw), fail, now);
	health_age_secs(oks, sizeof(oks), ok, now);
	health_age_secs(fails, sizeof(fails), fail, now);
	vpndns_out_printf(out, "health %s %s last_ok_age=%s last_fail_age=%s "
		"(last good answer %s, last failure %s)\n", view->name,
		vpndns_health_name(vpndns_health_verdict(view, env, now,
		down_after)), oks, fails, okw, failw);
	if(env)
		health_print_servers(out, view, env, now);
}
