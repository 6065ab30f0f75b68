/*
 * vpndns/reload.c - snapshots, live reload and safe reclamation.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Workers read the current snapshot (views and policy) without locks.  A
 * reload builds a new snapshot on its own thread, so loading a large
 * blocklist never stalls a worker, and publishes it with one atomic
 * pointer store.  The old snapshot is freed by epochs: each worker records
 * the epoch it saw when it entered vpndns and clears it when it leaves; a
 * retired object is freed once every worker is outside vpndns or has
 * entered after the retirement.  View sets also wait until no query in
 * the mesh runs in one of their views (those hold the view across
 * events).  Nothing is freed after a guessed delay.
 */
#include "config.h"
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "vpndns/reload.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/out.h"
#include "util/log.h"
#include "util/config_file.h"

/** Longest wait for the workers to leave vpndns after a publication, in
 * milliseconds (they stay inside for microseconds); view sets with
 * queries still in flight are freed by a later reload or at exit. */
#define RELOAD_DRAIN_MS 2000

/** Has every worker left vpndns since the epoch? */
static int
reload_quiescent(struct vpndns_env* ve, uint64_t epoch)
{
	int t;
	for(t = 0; t < ve->nthreads; t++) {
		uint64_t e = __atomic_load_n(&ve->threads[t].epoch,
			__ATOMIC_SEQ_CST);
		if(e != 0 && e < epoch)
			return 0;
	}
	return 1;
}

void
vpndns_snap_delete(struct vpndns_snap* snap, int with_views)
{
	if(!snap)
		return;
	/* the policy borrows from the configuration the views own */
	vpndns_policy_delete(snap->policy);
	if(with_views)
		vpndns_views_delete(snap->views);
	free(snap);
}

/** Does the current snapshot or a retired one refer to a view set?  The
 * policy of a snapshot borrows strings from its view set's
 * configuration, so the set outlives every snapshot made with it. */
static int
reload_views_referenced(struct vpndns_env* ve, struct vpndns_views* vs)
{
	struct vpndns_snap* s;
	if(ve->snap && ve->snap->views == vs)
		return 1;
	for(s = ve->retired; s; s = s->next)
		if(s->views == vs)
			return 1;
	return 0;
}

/** Free the retired snapshots no thread and no query can use any more.
 * Returns true when each one left is held by queries in flight. */
static int
reload_reclaim_snaps(struct vpndns_env* ve)
{
	struct vpndns_snap** p = &ve->retired;
	int waiting = 0;
	while(*p) {
		struct vpndns_snap* s = *p;
		if(!reload_quiescent(ve, s->retire_epoch)) {
			waiting = 1;
			p = &s->next;
		} else if(__atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST)) {
			/* a query that started with it still checks against
			 * its policy; a later reload or the exit frees it */
			p = &s->next;
		} else {
			*p = s->next;
			vpndns_snap_delete(s, 0);
		}
	}
	return !waiting;
}

/** Free what can be freed; call with reload_lock held.  Returns true
 * when nothing is left that only waits for the threads to leave.
 *
 * Retired view sets are freed oldest first, and none while an older one
 * is kept.  A view that took over an older view's caches and counters
 * owns them, but the older view's queries still in flight use them
 * through the older view; when a later reload retires the owner with no
 * query of its own, freeing it then would free the caches under those
 * queries.  Caches only move from older sets to newer ones, so once
 * every older set is gone no query can reach a set's caches any more. */
static int
reload_reclaim(struct vpndns_env* ve)
{
	struct vpndns_views** p = &ve->retired_views;
	int done = reload_reclaim_snaps(ve);
	while(*p) {
		struct vpndns_views* v = *p;
		if(!reload_quiescent(ve, v->retire_epoch) || __atomic_load_n(
			&v->inflight, __ATOMIC_SEQ_CST) != 0 ||
			reload_views_referenced(ve, v))
			break;
		*p = v->next_retired;
		vpndns_views_delete(v);
	}
#ifdef __GLIBC__
	/* give the old lists' memory back to the system */
	malloc_trim(0);
#endif
	return done;
}

/** Append to the tail of a retired list. */
#define RELOAD_APPEND(head, type, item, nextfield) do {			\
		type** tail_ = &(head);					\
		while(*tail_) tail_ = &(*tail_)->nextfield;		\
		(item)->nextfield = NULL;				\
		*tail_ = (item);					\
	} while(0)

void
vpndns_snap_publish(struct vpndns_env* ve, struct vpndns_snap* snap)
{
	struct vpndns_snap* old;
	uint64_t epoch;
	int i;
	lock_basic_lock(&ve->reload_lock);
	old = ve->snap;
	__atomic_store_n(&ve->snap, snap, __ATOMIC_SEQ_CST);
	epoch = __atomic_add_fetch(&ve->epoch, 1, __ATOMIC_SEQ_CST);
	if(old) {
		old->retire_epoch = epoch;
		RELOAD_APPEND(ve->retired, struct vpndns_snap, old, next);
		if(old->views != snap->views) {
			old->views->retire_epoch = epoch;
			RELOAD_APPEND(ve->retired_views, struct vpndns_views,
				old->views, next_retired);
		}
	}
	lock_basic_unlock(&ve->reload_lock);
	for(i = 0; i < RELOAD_DRAIN_MS; i++) {
		int done;
		lock_basic_lock(&ve->reload_lock);
		done = reload_reclaim(ve);
		lock_basic_unlock(&ve->reload_lock);
		if(done)
			break;
		usleep(1000);
	}
}

/** Build a new snapshot, with a new configuration if conf is given;
 * with reuse, list sets whose definitions are unchanged are shared. */
static struct vpndns_snap*
reload_build(struct vpndns_env* ve, struct vpndns_conf* conf,
	struct vpndns_snap* cur, int reuse, char* why, size_t whylen)
{
	struct vpndns_snap* snap = calloc(1, sizeof(*snap));
	if(!snap) {
		snprintf(why, whylen, "out of memory");
		if(conf)
			vpndns_conf_delete(conf);
		return NULL;
	}
	snap->views = cur->views;
	if(conf && !(snap->views = vpndns_views_create(conf, ve->cfg,
		ve->alloc, ve->hints))) {
		snprintf(why, whylen, "out of memory creating the views");
		vpndns_conf_delete(conf);
		free(snap);
		return NULL;
	}
	/* set counts change only on the reload thread, one reload at a
	 * time, and in reclamation, which runs on it too */
	if(!(snap->policy = vpndns_policy_create(snap->views->conf, ve->cfg,
		reuse ? cur->policy : NULL))) {
		snprintf(why, whylen, "loading the lists failed, see the log");
		vpndns_snap_delete(snap, conf != NULL);
		return NULL;
	}
	snap->plain_policy = vpndns_policy_plain(snap->policy);
	if(conf)
		(void)vpndns_views_adopt_caches(snap->views, cur->views);
	return snap;
}

/** A reload job for the reload thread. */
struct reload_job {
	/** the module */
	struct vpndns_env* ve;
	/** new configuration for a full reload, NULL for lists only */
	struct vpndns_conf* conf;
	/** share unchanged list sets instead of reading the lists */
	int reuse;
	/** what the job is, for the status line */
	const char* what;
};

/** The reload thread: build, publish, reclaim. */
static void*
reload_thread_main(void* arg)
{
	struct reload_job* job = (struct reload_job*)arg;
	struct vpndns_env* ve = job->ve;
	struct vpndns_snap* snap;
	char why[256];
	/* only the reload thread changes ve->snap, so it reads it freely */
	struct vpndns_snap* cur = __atomic_load_n(&ve->snap, __ATOMIC_SEQ_CST);
	why[0] = 0;
	log_thread_set(NULL);
	snap = reload_build(ve, job->conf, cur, job->reuse, why, sizeof(why));
	if(snap) {
		vpndns_snap_publish(ve, snap);
		verbose(VERB_OPS, "vpndns: reload done: %u views, %u list "
			"names", (unsigned)snap->views->nfixed,
			(unsigned)vpndns_policy_names(snap->policy));
	} else
		log_err("vpndns: reload failed, the old state keeps serving: "
			"%s", why);
	lock_basic_lock(&ve->reload_lock);
	if(snap)
		snprintf(ve->reload_status, sizeof(ve->reload_status),
			"ok %s", job->what);
	else	snprintf(ve->reload_status, sizeof(ve->reload_status),
			"failed %s: %s", job->what, why);
	ve->reload_running = 0;
	lock_basic_unlock(&ve->reload_lock);
	free(job);
	return NULL;
}

void
vpndns_reload_release(struct vpndns_env* ve)
{
	lock_basic_lock(&ve->reload_lock);
	ve->reload_running = 0;
	lock_basic_unlock(&ve->reload_lock);
}

int
vpndns_reload_claim(struct vpndns_env* ve, struct vpndns_out* out)
{
	lock_basic_lock(&ve->reload_lock);
	if(ve->reload_running) {
		lock_basic_unlock(&ve->reload_lock);
		vpndns_out_printf(out, "error a reload is running already, "
			"try again when vpndns_status shows it done\n");
		return 0;
	}
	ve->reload_running = 1;
	lock_basic_unlock(&ve->reload_lock);
	vpndns_reload_wait(ve);
	return 1;
}

/** Hand a job to a new reload thread; consumes conf. */
static int
reload_spawn(struct vpndns_env* ve, struct vpndns_conf* conf, int reuse,
	const char* what, struct vpndns_out* out)
{
	struct reload_job* job = calloc(1, sizeof(*job));
	if(!job) {
		vpndns_conf_delete(conf);
		vpndns_reload_release(ve);
		vpndns_out_printf(out, "error out of memory\n");
		return 0;
	}
	job->ve = ve;
	job->conf = conf;
	job->reuse = reuse;
	job->what = what;
	ub_thread_create(&ve->reload_thread, reload_thread_main, job);
	ve->reload_thread_started = 1;
	return 1;
}

int
vpndns_reload_start(struct vpndns_env* ve, int full, struct vpndns_out* out)
{
	struct vpndns_conf* conf = NULL;
	if(!vpndns_reload_claim(ve, out))
		return 0;
	if(full) {
		/* parse here, so errors reach the operator's command output;
		 * the slow part, reading lists, runs on the reload thread */
		struct vpndns_snap* cur = __atomic_load_n(&ve->snap,
			__ATOMIC_SEQ_CST);
		if((conf = vpndns_conf_read(cur->views->conf->file, ve->cfg,
			out)))
			conf->in_daemon = 1;
		else {
			vpndns_out_printf(out, "error vpndns.conf rejected, the "
				"old configuration keeps serving\n");
			vpndns_reload_release(ve);
			return 0;
		}
	}
	return reload_spawn(ve, conf, 0, full ? "reload" : "blocklist_reload",
		out);
}

int
vpndns_reload_apply(struct vpndns_env* ve, struct vpndns_conf* conf,
	const char* what, struct vpndns_out* out)
{
	char status[sizeof(ve->reload_status)];
	if(conf)
		conf->in_daemon = 1;
	if(!reload_spawn(ve, conf, 1, what, out))
		return 0;
	/* unchanged lists are shared, so this is quick; wait, so that the
	 * change is in effect when the command returns */
	vpndns_reload_wait(ve);
	lock_basic_lock(&ve->reload_lock);
	memcpy(status, ve->reload_status, sizeof(status));
	lock_basic_unlock(&ve->reload_lock);
	if(strncmp(status, "ok", 2) != 0) {
		vpndns_out_printf(out, "error %s\n", status);
		return 0;
	}
	return 1;
}

void
vpndns_reload_wait(struct vpndns_env* ve)
{
	if(ve->reload_thread_started) {
		ub_thread_join(ve->reload_thread);
		ve->reload_thread_started = 0;
	}
}

void
vpndns_reload_cleanup(struct vpndns_env* ve)
{
	vpndns_reload_wait(ve);
	while(ve->retired) {
		struct vpndns_snap* s = ve->retired;
		ve->retired = s->next;
		vpndns_snap_delete(s, 0);
	}
	while(ve->retired_views) {
		struct vpndns_views* v = ve->retired_views;
		ve->retired_views = v->next_retired;
		vpndns_views_delete(v);
	}
}
