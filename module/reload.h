/*
 * vpndns/reload.h - snapshots, live reload and safe reclamation.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Reading the current snapshot (vpndns_enter, vpndns_leave), live reload
 * of vpndns.conf and of the lists off the worker threads, and the
 * epoch-based reclamation of what a reload replaced.  The state it works
 * on (struct vpndns_env, vpndns_snap, vpndns_thread) is in state.h.
 *
 * Threads and locks: vpndns_enter, vpndns_thread_slot and vpndns_leave
 * run on any thread, lock-free, on the calling thread's slot (a worker's
 * own, or the one slot of the threads that are not workers).
 * One reload or live change runs at a time (the reload slot,
 * vpndns_reload_claim, under the env's reload_lock); only its holder
 * publishes.  Lifetime: a snapshot, and every pointer taken from it, is
 * valid only between vpndns_enter and vpndns_leave on the thread that
 * entered, or while a query holds it (vpndns_qstate.snap).
 */

#ifndef VPNDNS_RELOAD_H
#define VPNDNS_RELOAD_H
#include "vpndns/state.h"
#include "util/module.h"
#include "util/alloc.h"
struct vpndns_out;
struct vpndns_conf;

/**
 * The calling thread's slot: a worker's own, or the one shared by the
 * threads that are not workers (env NULL).  Inline: every query takes
 * it, some several times.
 * @param ve: the module.
 * @param env: the calling thread's environment, or NULL.
 * @return the thread's slot; written by this thread only.
 */
static inline struct vpndns_thread*
vpndns_thread_slot(struct vpndns_env* ve, struct module_env* env)
{
	int t = !env ? ve->nthreads : env->alloc ? env->alloc->thread_num : 0;
	if(t < 0 || t > ve->nthreads)
		t = ve->nthreads;
	return &ve->threads[t];
}

/**
 * Enter vpndns on a thread whose slot the caller holds, and get the
 * current snapshot.  Calls nest; every enter is paired with a leave.
 * Any thread, no lock: the slot announces the thread's epoch, so nothing
 * published before is freed until it leaves.
 * @param ve: the module.
 * @param th: the calling thread's slot (vpndns_thread_slot).
 * @return the snapshot to use until the leave; valid only between
 *	the enter and the leave.
 */
static inline struct vpndns_snap*
vpndns_enter_slot(struct vpndns_env* ve, struct vpndns_thread* th)
{
	if(th->depth++ == 0) {
		/* announce the epoch before reading the pointer; a reload that
		 * misses this announcement published before our read */
		__atomic_store_n(&th->epoch, __atomic_load_n(&ve->epoch,
			__ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	}
	return __atomic_load_n(&ve->snap, __ATOMIC_SEQ_CST);
}

/**
 * Leave vpndns on a thread.  Pointers taken from the snapshot of the
 * enter must not be used after the outermost leave.
 * @param th: the calling thread's slot.
 */
static inline void
vpndns_leave_slot(struct vpndns_thread* th)
{
	if(--th->depth == 0)
		__atomic_store_n(&th->epoch, 0, __ATOMIC_RELEASE);
}

/**
 * Enter vpndns on this thread and get the current snapshot:
 * vpndns_enter_slot on the calling thread's slot.
 * @param ve: the module.
 * @param env: the calling thread's environment, or NULL.
 * @return the snapshot to use until vpndns_leave; valid only between
 *	vpndns_enter and vpndns_leave.
 */
static inline struct vpndns_snap*
vpndns_enter(struct vpndns_env* ve, struct module_env* env)
{
	return vpndns_enter_slot(ve, vpndns_thread_slot(ve, env));
}

/**
 * Leave vpndns on this thread: vpndns_leave_slot on its slot.
 * @param ve: the module.
 * @param env: the calling thread's environment, or NULL.
 */
static inline void
vpndns_leave(struct vpndns_env* ve, struct module_env* env)
{
	vpndns_leave_slot(vpndns_thread_slot(ve, env));
}

/**
 * Start a reload on the reload thread.  With full, vpndns.conf is parsed
 * first, here, and a configuration with errors is rejected whole with the
 * errors (file:line: reason) in out; the old state keeps serving.
 * @param ve: the module.
 * @param full: re-read vpndns.conf; else only the lists.
 * @param out: command output.
 * @return true if the reload started.
 */
int vpndns_reload_start(struct vpndns_env* ve, int full,
	struct vpndns_out* out);

/**
 * Claim the reload slot: one reload or live change at a time.  While it
 * is held no snapshot is retired, so the current one can be read freely.
 * @param ve: the module.
 * @param out: command output, for the error.
 * @return false if a reload is running (error printed).
 */
int vpndns_reload_claim(struct vpndns_env* ve, struct vpndns_out* out);

/**
 * Give the reload slot back without reloading.
 * @param ve: the module.
 */
void vpndns_reload_release(struct vpndns_env* ve);

/**
 * Apply a changed configuration (a live command) or re-read the static
 * records: build a snapshot that shares the unchanged lists, publish it,
 * and wait for it, so the change is in effect when this returns.  The
 * caller holds the reload slot (vpndns_reload_claim); it is released.
 * @param ve: the module.
 * @param conf: the new configuration, consumed; NULL keeps the current
 *	one (the static records and allow set are re-read).
 * @param what: name of the change, for vpndns_status.
 * @param out: command output, for errors.
 * @return true if applied.
 */
int vpndns_reload_apply(struct vpndns_env* ve, struct vpndns_conf* conf,
	const char* what, struct vpndns_out* out);

/**
 * Publish a snapshot and retire the current one; frees what the workers
 * can no longer reach, waiting a bounded time for them.
 * @param ve: the module.
 * @param snap: the new snapshot.
 */
void vpndns_snap_publish(struct vpndns_env* ve, struct vpndns_snap* snap);

/**
 * Free a snapshot.
 * @param snap: the snapshot, may be NULL.
 * @param with_views: free its view set too.
 */
void vpndns_snap_delete(struct vpndns_snap* snap, int with_views);

/**
 * Wait for a running reload thread to finish.
 * @param ve: the module.
 */
void vpndns_reload_wait(struct vpndns_env* ve);

/**
 * At exit: wait for the reload thread and free every retired object.
 * @param ve: the module.
 */
void vpndns_reload_cleanup(struct vpndns_env* ve);

#endif /* VPNDNS_RELOAD_H */
