/*
 * test/unit/check_health.c - unit tests of the forwarder health verdict
 * and its text.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */
#include "config.h"
#include <check.h>
#include "unit_run.h"
#include "vpndns/health.h"
#include "vpndns/view.h"
#include "vpndns/out.h"
#include "util/log.h"

/** The time of the tests. */
#define NOW ((time_t)1800000000)

/** A view with the given health times and no forwarders. */
static void
mkview(struct vpndns_view* v, time_t ok, time_t fail)
{
	memset(v, 0, sizeof(*v));
	v->name = "t";
	v->last_ok = ok;
	v->last_fail = fail;
}

/** The verdict of a view with the times, health-down-after 30. */
static const char*
verdict(time_t ok, time_t fail)
{
	struct vpndns_view v;
	mkview(&v, ok, fail);
	return vpndns_health_name(vpndns_health_verdict(&v, NULL, NOW, 30));
}

/** The health line of a view with the times; the caller frees. */
static char*
line(time_t ok, time_t fail)
{
	struct vpndns_view v;
	struct vpndns_out out;
	memset(&out, 0, sizeof(out));
	mkview(&v, ok, fail);
	vpndns_health_print(&out, &v, NULL, NOW, 30);
	ck_assert(!out.failed);
	return out.text;
}

START_TEST(test_verdicts)
{
	/* never used: not down */
	ck_assert_str_eq(verdict(0, 0), "healthy");
	ck_assert_str_eq(verdict(NOW-5, 0), "healthy");
	/* an old failure, answers since */
	ck_assert_str_eq(verdict(NOW-1, NOW-31), "healthy");
	/* a failure inside down-after, answers since: degraded */
	ck_assert_str_eq(verdict(NOW-1, NOW-10), "degraded");
	/* failed last, but an answer inside down-after: degraded */
	ck_assert_str_eq(verdict(NOW-29, NOW-1), "degraded");
	/* failed last, no answer for down-after: down (the boundary) */
	ck_assert_str_eq(verdict(NOW-30, NOW-1), "down");
	ck_assert_str_eq(verdict(NOW-3600, NOW-3000), "down");
	/* failed and never answered */
	ck_assert_str_eq(verdict(0, NOW-1), "down");
	ck_assert_str_eq(verdict(0, NOW-100000), "down");
	/* an answer and a failure in the same second: failure last */
	ck_assert_str_eq(verdict(NOW-40, NOW-40), "down");
}
END_TEST

START_TEST(test_ages)
{
	char* s = line(NOW-3, 0);
	ck_assert_str_eq(s, "health t healthy last_ok_age=3 last_fail_age=none "
		"(last good answer 3 s ago, last failure never)\n");
	free(s);
	s = line(NOW-125, NOW-7300);
	ck_assert_str_eq(s, "health t healthy last_ok_age=125 "
		"last_fail_age=7300 (last good answer 2 min ago, last failure "
		"2 h ago)\n");
	free(s);
	s = line(0, NOW-200000);
	ck_assert_str_eq(s, "health t down last_ok_age=none "
		"last_fail_age=200000 (last good answer never, last failure 2 "
		"days ago)\n");
	free(s);
	/* a time ahead of now (a clock step): no negative age */
	s = line(NOW+5, 0);
	ck_assert_str_eq(s, "health t healthy last_ok_age=0 last_fail_age=none "
		"(last good answer just now, last failure never)\n");
	free(s);
}
END_TEST

/* the whole suite: one test case of every test above */
UNIT_MAIN("vpndns health", "verdict", 0,
	test_verdicts, test_ages)
