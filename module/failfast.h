/*
 * vpndns/failfast.h - one view's outage does not hold the others' places.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Unbound's request list (num-queries-per-thread) is shared by every
 * view, and a query to a silent forwarder holds its place until the
 * iterator gives up, long after discard-timeout has made its reply
 * undeliverable.  Two bounds keep a dead tunnel from starving the other
 * views and from leaving its own clients without an answer:
 * - view-max-inflight: a view's cache misses in flight per worker
 *   thread; a miss beyond it is answered SERVFAIL with EDE 22 at once;
 * - view-fail-timeout: a client of a query still unanswered after that
 *   time gets SERVFAIL with EDE 22 (or stale data, with serve-expired),
 *   while the query itself goes on, so that the forwarder keeps being
 *   probed and a late answer still fills the view's cache.
 *
 * Everything here runs on the worker thread that owns the query: the
 * counters have one writer, and the timer fires on that worker's event
 * base.  The query's vpndns state (state.h) lives in its region until
 * vpndns_clear, which releases what is held here first.
 */

#ifndef VPNDNS_FAILFAST_H
#define VPNDNS_FAILFAST_H
#include <sys/time.h>
struct vpndns_qstate;
struct vpndns_view;
struct vpndns_thread;
struct module_qstate;
struct comm_timer;

/**
 * The fail timeouts of one worker thread: its client queries in deadline
 * order, and one timer, at the first deadline, for all of them.  One
 * timer per thread instead of one per query: setting and freeing a timer
 * for every cache miss cost more than the rest of the module's work on
 * it.  Owned by the worker thread's slot; only that thread touches it.
 */
struct vpndns_failq {
	/** the query with the first deadline, or NULL */
	struct vpndns_qstate* head;
	/** the query with the last deadline, or NULL */
	struct vpndns_qstate* tail;
	/** the timer, on the worker's event base */
	struct comm_timer* timer;
	/** the timer is set (and has not fired since) */
	int armed;
	/** the deadline the timer was last set for, in microseconds */
	uint64_t armed_at;
	/** the worker's current time */
	struct timeval* now_tv;
};

/**
 * Finish a query in the module with an rcode and an EDE (the EDE of a
 * SERVFAIL is added by vpndns_servfail_cb): the answers of this file and
 * the module's own error answers (vpndns.c).  On the query's worker.
 * @param qstate: the query.
 * @param id: the module id.
 * @param rcode: the rcode.
 * @param ede: the EDE code.
 * @param text: the EDE text, static.
 */
void vpndns_answer_error(struct module_qstate* qstate, int id, int rcode,
	int ede, const char* text);

/**
 * Count a cache miss among its view's queries in flight in this thread,
 * or, when the view holds its bound already, answer it SERVFAIL with
 * EDE 22 at once.  Unbound's request list is shared by every view: a
 * view whose forwarders are dead or slow would otherwise fill it with
 * queries that wait until discard-timeout, and the other views' queries
 * would be dropped or jostled out.
 * @return false if the query was answered.
 */
int vpndns_inflight_admit(struct vpndns_qstate* vq, struct vpndns_view* view,
	struct module_qstate* qstate, int id);

/**
 * Start the view-fail-timeout of a client query that was moved into its
 * view: queue it on its thread's timer.  Nothing is started for internal
 * queries, when the setting is 0, or when no timer can be made (the
 * query then waits as before).
 * @param vq: the query's vpndns state (in the query region).
 * @param view: its view.
 * @param qstate: the query.
 * @param th: the slot of the worker thread that runs the query, NULL
 *	for a thread that is not a worker.
 */
void vpndns_failfast_start(struct vpndns_qstate* vq, struct vpndns_view* view,
	struct module_qstate* qstate, struct vpndns_thread* th);

/**
 * The query is answered: take it off its thread's timer.
 * @param vq: the query's vpndns state.
 */
void vpndns_failfast_stop(struct vpndns_qstate* vq);

/**
 * The query is cleared: take it off its thread's timer and release its
 * place among the view's queries in flight.
 * @param vq: the query's vpndns state.
 */
void vpndns_failfast_release(struct vpndns_qstate* vq);

/**
 * The worker thread ends (its mesh is deleted already): delete its fail
 * timer, before its event base goes (patch 0012-fail-timer calls this
 * from the worker's deletion).
 * @param th: the worker's thread slot.
 */
void vpndns_failfast_thread_end(struct vpndns_thread* th);

/**
 * The view-fail-timeout timer of a worker thread, a comm_timer callback
 * on that worker: answers the clients of the queries past their
 * deadline SERVFAIL with EDE 22 (or stale data) and lets the queries go
 * on.  Also declared in vpndns.h, for Unbound's function pointer
 * whitelist.
 * @param arg: the thread's fail timer queue.
 */
void vpndns_fail_timer_cb(void* arg);

#endif /* VPNDNS_FAILFAST_H */
