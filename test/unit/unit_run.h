/*
 * test/unit/unit_run.h - the main program of every Check suite.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Runs one suite and turns its result into the exit status, with
 * Unbound's log set up first: the module's code logs, and a test that
 * captures the log with log_file() needs it initialised.
 */

#ifndef VPNDNS_UNIT_RUN_H
#define VPNDNS_UNIT_RUN_H
#include <check.h>
#include "util/log.h"

/**
 * Run a suite; Check prints its summary line.
 * @param s: the suite; freed here.
 * @return the exit status: 0 when every test passed.
 */
static int
unit_run(Suite* s)
{
	int nfail;
	SRunner* sr;
	log_init(NULL, 0, NULL);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? 0 : 1;
}

#endif /* VPNDNS_UNIT_RUN_H */
