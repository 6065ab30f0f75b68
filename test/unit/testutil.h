/*
 * test/unit/testutil.h - small helpers shared by the tests and benchmarks.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * A seedable random generator and a dotted-name to wire-format
 * converter, for the Check suites, the fuzz targets and the benchmarks.
 * Header only and free of Check, so a program that is built outside the
 * test makefiles (bench/run.sh builds blockset_bench by hand) can use it.
 */

#ifndef VPNDNS_TESTUTIL_H
#define VPNDNS_TESTUTIL_H
#include <stdint.h>
#include <string.h>

/** state of the random generator; a test seeds it for a repeatable run */
static uint64_t rng_state;

/**
 * Next random number: xorshift64*, fast and good enough for workloads,
 * and the same sequence for the same seed on every platform.
 * @return the number.
 */
static inline uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/**
 * Convert a dotted name to wire format; no escapes, as test names have
 * none.
 * @param text: the name; "" or "." is the root, a trailing dot is allowed.
 * @param wire: output.
 * @param room: the size of wire.
 * @return the wire length, or 0 when a label is empty or longer than 63,
 *	or the name does not fit in room.
 */
static inline size_t
name_to_wire(const char* text, uint8_t* wire, size_t room)
{
	size_t pos = 0;
	const char* p = text;
	while(*p && strcmp(p, ".") != 0) {
		const char* dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if(n == 0 || n > 63 || pos + n + 2 > room)
			return 0;
		wire[pos] = (uint8_t)n;
		memcpy(wire + pos + 1, p, n);
		pos += n + 1;
		p += n;
		if(*p == '.')
			p++;
	}
	if(pos + 1 > room)
		return 0;
	wire[pos++] = 0;
	return pos;
}

#endif /* VPNDNS_TESTUTIL_H */
