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
struct vpndns_out;
struct vpndns_conf;
struct module_env;

/**
 * Enter vpndns on this thread and get the current snapshot.  Calls nest;
 * every vpndns_enter is paired with a vpndns_leave.  Any thread, no
 * lock: the thread's slot announces its epoch, so nothing published
 * before is freed until it leaves.
 * @param ve: the module.
 * @param env: the calling thread's environment.
 * @return the snapshot to use until vpndns_leave; valid only between
 *	vpndns_enter and vpndns_leave.
 */
struct vpndns_snap* vpndns_enter(struct vpndns_env* ve,
	struct module_env* env);

/**
 * The calling thread's state, for a thread inside vpndns_enter.
 * @param ve: the module.
 * @param env: the calling thread's environment.
 * @return the thread's slot; written by this thread only.
 */
struct vpndns_thread* vpndns_thread_slot(struct vpndns_env* ve,
	struct module_env* env);

/**
 * Leave vpndns on this thread.  Pointers taken from the snapshot of
 * vpndns_enter must not be used after the outermost leave.
 * @param ve: the module.
 * @param env: the calling thread's environment.
 */
void vpndns_leave(struct vpndns_env* ve, struct module_env* env);

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
