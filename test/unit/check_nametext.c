/*
 * test/unit/check_nametext.c - unit tests of the name to text conversion
 * that policy checks and logs use.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */
#include "config.h"
#include <check.h>
#include "unit_run.h"
#include "vpndns/nametext.h"
#include "sldns/str2wire.h"
#include "util/data/dname.h"
#include "util/log.h"

/** A text buffer with a guard zone after it, to catch overruns. */
struct guarded {
	/** the text */
	char text[VPNDNS_NAME_TEXT_SIZE];
	/** stays all 0x5a */
	char guard[64];
};

/** Convert with the guard zone checked afterwards. */
static size_t
convert(const uint8_t* dname, struct guarded* g, int dot)
{
	size_t n, i;
	memset(g, 0x5a, sizeof(*g));
	n = vpndns_name_text(dname, g->text, dot);
	for(i = 0; i < sizeof(g->guard); i++)
		ck_assert_int_eq(g->guard[i], 0x5a);
	ck_assert_uint_eq(n, strlen(g->text));
	ck_assert_uint_lt(n, VPNDNS_NAME_TEXT_SIZE);
	return n;
}

/**
 * Build a wire name: labels of the given lengths filled with 'a'..,
 * then the suffix labels "tunnel" "example".
 * @return its length.
 */
static size_t
padded(uint8_t* wire, const int* lens, int n)
{
	size_t p = 0;
	int i, j;
	for(i = 0; i < n; i++) {
		wire[p++] = (uint8_t)lens[i];
		for(j = 0; j < lens[i]; j++)
			wire[p++] = (uint8_t)('a' + i);
	}
	memcpy(wire+p, "\006tunnel\007example", 16);
	return p + 16;
}

/** Expected text of padded(): the labels and the suffix. */
static void
padded_text(char* want, const int* lens, int n)
{
	size_t p = 0;
	int i, j;
	for(i = 0; i < n; i++) {
		for(j = 0; j < lens[i]; j++)
			want[p++] = (char)('a' + i);
		want[p++] = '.';
	}
	strcpy(want+p, "tunnel.example");
}

/** Parse text back with sldns and compare with the wire name. */
static void
assert_roundtrip(const char* text, const uint8_t* wire, size_t len)
{
	size_t blen = 0;
	uint8_t* back = sldns_str2wire_dname(text, &blen);
	ck_assert_msg(back != NULL, "sldns refuses '%s'", text);
	ck_assert_uint_eq(blen, len);
	ck_assert_msg(memcmp(back, wire, len) == 0, "'%s' differs", text);
	free(back);
}

START_TEST(test_short)
{
	struct guarded g;
	ck_assert_uint_eq(convert((uint8_t*)"\001x\006tunnel\007example",
		&g, 0), 16);
	ck_assert_str_eq(g.text, "x.tunnel.example");
	convert((uint8_t*)"\001X\006Tunnel\007example", &g, 1);
	ck_assert_str_eq(g.text, "X.Tunnel.example.");
	convert((uint8_t*)"", &g, 0);
	ck_assert_str_eq(g.text, ".");
	convert((uint8_t*)"", &g, 1);
	ck_assert_str_eq(g.text, ".");
	convert(NULL, &g, 1);
	ck_assert_str_eq(g.text, ".");
}
END_TEST

/** 253, 254 and 255 wire bytes: every label in the text, where dname_str
 * writes '&' for the last ones of the longest names. */
START_TEST(test_lengths)
{
	static const int last[] = { 44, 45, 46 };
	int i;
	for(i = 0; i < 3; i++) {
		int lens[4] = { 63, 63, 63, last[i] };
		uint8_t wire[LDNS_MAX_DOMAINLEN+1];
		char want[LDNS_MAX_DOMAINLEN+2], dot[LDNS_MAX_DOMAINLEN+3];
		struct guarded g;
		size_t len = padded(wire, lens, 4);
		ck_assert_uint_eq(len, 253 + (size_t)i);
		ck_assert_uint_eq(dname_valid(wire, len), len);
		padded_text(want, lens, 4);
		ck_assert_uint_eq(convert(wire, &g, 0), len - 2);
		ck_assert_str_eq(g.text, want);
		snprintf(dot, sizeof(dot), "%s.", want);
		convert(wire, &g, 1);
		ck_assert_str_eq(g.text, dot);
		assert_roundtrip(g.text, wire, len);
	}
}
END_TEST

/** The documented rendering of unusual bytes. */
START_TEST(test_bytes)
{
	static const uint8_t wire[] = { 3, 'a', '.', 'b', 2, '\\', '(',
		6, 0, '\n', ' ', 0x7f, 0x80, 0xff, 3, '!', '~', '#', 0 };
	struct guarded g;
	convert(wire, &g, 0);
	ck_assert_str_eq(g.text, "a\\.b.\\\\(.\\000\\010\\032\\127\\128\\255"
		".!~#");
	convert(wire, &g, 1);
	ck_assert_str_eq(g.text, "a\\.b.\\\\(.\\000\\010\\032\\127\\128\\255"
		".!~#.");
	assert_roundtrip(g.text, wire, sizeof(wire));
}
END_TEST

/** The longest text: 255 wire bytes, all escaped, fits the buffer. */
START_TEST(test_worst)
{
	uint8_t wire[LDNS_MAX_DOMAINLEN];
	struct guarded g;
	size_t p = 0, n;
	while(p + 1 + 63 + 1 <= sizeof(wire)) {
		wire[p++] = 63;
		memset(wire+p, 0, 63);
		p += 63;
	}
	/* the last label fills the name up to the root byte */
	wire[p] = (uint8_t)(sizeof(wire) - p - 2);
	memset(wire+p+1, 1, wire[p]);
	wire[sizeof(wire)-1] = 0;
	ck_assert_uint_eq(dname_valid(wire, sizeof(wire)), sizeof(wire));
	n = convert(wire, &g, 1);
	ck_assert_uint_eq(n, 4*(sizeof(wire)-5) + 4);
	assert_roundtrip(g.text, wire, sizeof(wire));
}
END_TEST

/** Names over the limits end in '#' and never overrun the buffer. */
START_TEST(test_malformed)
{
	uint8_t wire[600];
	struct guarded g;
	size_t p = 0;
	int i;
	wire[0] = 64;
	memset(wire+1, 'a', 64);
	wire[65] = 0;
	convert(wire, &g, 1);
	ck_assert_str_eq(g.text, "#");
	for(i = 0; i < 9; i++) {
		wire[p++] = 63;
		memset(wire+p, 0xff, 63);
		p += 63;
	}
	wire[p] = 0;
	convert(wire, &g, 1);
	ck_assert_int_eq(g.text[strlen(g.text)-1], '#');
}
END_TEST

/** Random names: printable text without spaces, read back unchanged. */
START_TEST(test_random)
{
	int round;
	srandom(17);
	for(round = 0; round < 2000; round++) {
		uint8_t wire[LDNS_MAX_DOMAINLEN];
		struct guarded g;
		size_t p = 0, i;
		while(p < sizeof(wire) - 1 && random()%8) {
			size_t lab = 1 + (size_t)random()%63;
			if(p + 1 + lab > sizeof(wire) - 1)
				break;
			wire[p++] = (uint8_t)lab;
			for(i = 0; i < lab; i++)
				wire[p++] = (uint8_t)random();
		}
		wire[p++] = 0;
		convert(wire, &g, 1);
		for(i = 0; g.text[i]; i++)
			ck_assert(g.text[i] > ' ' && g.text[i] < 0x7f);
		assert_roundtrip(g.text, wire, p);
	}
}
END_TEST

/* the whole suite: one test case of every test above; 2,000 random
 * names take seconds under a sanitizer on a loaded host, past Check's
 * default of 4 */
UNIT_MAIN("vpndns nametext", "nametext", 30,
	test_short, test_lengths, test_bytes, test_worst, test_malformed,
	test_random)
