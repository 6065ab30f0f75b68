/*
 * vpndns/health.h - forwarder health of the views, for people.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The health of a view's forwarders as vpndns_status and vpndns_list
 * print it: a verdict per view (healthy, degraded, down), the age of the
 * last good answer and of the last failure, and the state Unbound's
 * infrastructure cache keeps for each forwarder.  Everything here only
 * reads: the view's times are written by the workers with atomic stores,
 * the infrastructure cache is read under its own locks.
 */

#ifndef VPNDNS_HEALTH_H
#define VPNDNS_HEALTH_H
struct vpndns_view;
struct vpndns_server;
struct vpndns_out;
struct module_env;

/** The verdict on a view's forwarders. */
enum vpndns_health_state {
	/** no failure in the last down-after seconds, no forwarder
	 * timing out */
	vpndns_healthy = 0,
	/** answers come, but a failure happened in the last down-after
	 * seconds, or a forwarder is timing out */
	vpndns_degraded,
	/** the last event was a failure and no forwarder answered in the
	 * last down-after seconds */
	vpndns_down
};

/** What Unbound's infrastructure cache says of one forwarder. */
struct vpndns_server_health {
	/** the cache has an entry for the server */
	int known;
	/** retransmit timeout in milliseconds */
	int rto;
	/** timeouts counted since the last answer (all query types) */
	int timeouts;
	/** Unbound stopped sending to it (rto at the top, probing only) */
	int down;
};

/**
 * Look a forwarder of the view's root forward up in the infrastructure
 * cache.
 * @param env: worker environment (its infra_cache), may be NULL.
 * @param s: the forwarder.
 * @param now: the time.
 * @param h: returns the state; known is 0 without an entry.
 */
void vpndns_health_server(struct module_env* env, struct vpndns_server* s,
	time_t now, struct vpndns_server_health* h);

/**
 * The verdict on a view.
 * @param view: the view.
 * @param env: worker environment for the per-forwarder state, may be NULL.
 * @param now: the time.
 * @param down_after: health-down-after in seconds.
 * @return the verdict.
 */
enum vpndns_health_state vpndns_health_verdict(struct vpndns_view* view,
	struct module_env* env, time_t now, time_t down_after);

/**
 * Name of a verdict.
 * @param v: the verdict.
 * @return "healthy", "degraded" or "down".
 */
const char* vpndns_health_name(enum vpndns_health_state v);

/**
 * Print the health of a view: a line "health NAME VERDICT ..." with the
 * machine fields and the sentence, and a line "forwarder NAME SERVER ..."
 * per forwarder.
 * @param out: output.
 * @param view: the view.
 * @param env: worker environment, may be NULL (no forwarder lines).
 * @param now: the time.
 * @param down_after: health-down-after in seconds.
 */
void vpndns_health_print(struct vpndns_out* out, struct vpndns_view* view,
	struct module_env* env, time_t now, time_t down_after);

#endif /* VPNDNS_HEALTH_H */
