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
 * captures the log with log_file() needs it initialised.  unit_tcase
 * builds the suite's test cases from lists of tests; UNIT_MAIN is the
 * whole main program of a suite with one test case.
 */

#ifndef VPNDNS_UNIT_RUN_H
#define VPNDNS_UNIT_RUN_H
#include <check.h>
#include "util/log.h"

/**
 * Make a test case of a list of tests and add it to a suite.
 * @param s: the suite.
 * @param name: the test case's name.
 * @param timeout: its timeout in seconds; 0 keeps Check's default.
 * @param tests: the tests, NULL-terminated.
 * @return the test case, for fixtures and loop tests.
 */
static TCase*
unit_tcase(Suite* s, const char* name, int timeout,
	const TTest* const* tests)
{
	TCase* tc = tcase_create(name);
	for(; *tests; tests++)
		tcase_add_test(tc, *tests);
	if(timeout > 0)
		tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

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

/**
 * The main program of a suite with one test case: the suite, its test
 * case and main() in one line, as most suites need nothing more.
 * @param suite: the suite's name.
 * @param tcase: the test case's name.
 * @param timeout: its timeout in seconds; 0 keeps Check's default.
 * @param ...: the tests.
 */
#define UNIT_MAIN(suite, tcase, timeout, ...)				\
	int								\
	main(void)							\
	{								\
		const TTest* const unit_tests[] = { __VA_ARGS__, NULL };\
		Suite* unit_suite = suite_create(suite);		\
		unit_tcase(unit_suite, tcase, timeout, unit_tests);	\
		return unit_run(unit_suite);				\
	}

#endif /* VPNDNS_UNIT_RUN_H */
