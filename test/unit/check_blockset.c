/*
 * test/unit/check_blockset.c - unit tests of the blockset and the list parsers.
 *
 * Copyright (c) 2026, vpndns. All rights reserved.
 *
 * This software is open source.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions
 * are met:
 *
 * Redistributions of source code must retain the above copyright notice,
 * this list of conditions and the following disclaimer.
 *
 * Redistributions in binary form must reproduce the above copyright notice,
 * this list of conditions and the following disclaimer in the documentation
 * and/or other materials provided with the distribution.
 *
 * Neither the name of vpndns nor the names of its contributors may
 * be used to endorse or promote products derived from this software without
 * specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
 * "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
 * LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
 * A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
 * HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 * SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED
 * TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR
 * PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF
 * LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
 * NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 * SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */

/**
 * \file
 *
 * Check unit tests of the blocklist engine: the blockset's match semantics
 * against a naive reference, its edge cases, and every list format the
 * parsers accept or reject, with the exact reports.
 */
#include "config.h"
#include "vpndns/blockset.h"
#include "vpndns/listparse.h"

#include <check.h>
#include "unit_run.h"
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

/** longest wire-format name */
#define WIRE_MAX 255
/** most reports one test collects */
#define MAX_REPORTS 64
/** most records one test collects */
#define MAX_RECORDS 16

/**
 * Reports collected from a load, to assert on.
 */
struct reports {
	/** the messages, malloced */
	char* msg[MAX_REPORTS];
	/** per message, 1 if it was an error */
	int is_error[MAX_REPORTS];
	/** number of messages */
	int num;
};

/**
 * One static record collected from listparse_hosts_records.
 */
struct record {
	/** the name */
	char name[LISTPARSE_NAME_BUFSIZE];
	/** AF_INET or AF_INET6 */
	int family;
	/** the address */
	uint8_t addr[16];
};

/**
 * Records collected from listparse_hosts_records.
 */
struct records {
	/** the records */
	struct record rec[MAX_RECORDS];
	/** number of records */
	int num;
	/** when this many records are in, the receiver fails; -1 never */
	int fail_at;
};

/** scratch directory of the current test, or "" */
static char tmpdir[256];

/** report callback: keep the message */
static void
collect_report(void* arg, int is_error, const char* msg)
{
	struct reports* r = (struct reports*)arg;
	ck_assert_int_lt(r->num, MAX_REPORTS);
	r->msg[r->num] = strdup(msg);
	r->is_error[r->num] = is_error;
	r->num++;
}

/** free the collected messages */
static void
reports_clear(struct reports* r)
{
	int i;
	for(i = 0; i < r->num; i++)
		free(r->msg[i]);
	memset(r, 0, sizeof(*r));
}

/** true if some collected message contains the text */
static int
reports_have(const struct reports* r, const char* text)
{
	int i;
	for(i = 0; i < r->num; i++)
		if(strstr(r->msg[i], text))
			return 1;
	return 0;
}

/** record callback: keep the record, or fail on request */
static int
collect_record(void* arg, const char* name, int family, const uint8_t* addr)
{
	struct records* r = (struct records*)arg;
	if(r->num == r->fail_at)
		return 0;
	ck_assert_int_lt(r->num, MAX_RECORDS);
	snprintf(r->rec[r->num].name, sizeof(r->rec[r->num].name), "%s", name);
	r->rec[r->num].family = family;
	memcpy(r->rec[r->num].addr, addr, family == AF_INET ? 4 : 16);
	r->num++;
	return 1;
}

/**
 * Convert a dotted name to wire format; the test fails on a name that
 * does not convert.
 * @param text: the name; "" or "." is the root.
 * @param wire: output, WIRE_MAX bytes.
 * @return the wire length.
 */
static size_t
to_wire(const char* text, uint8_t* wire)
{
	size_t len = name_to_wire(text, wire, WIRE_MAX);
	ck_assert_msg(len != 0, "%s: no wire-format name of at most %d bytes",
		text, WIRE_MAX);
	return len;
}

/** look up a dotted name in a set */
static enum blockset_verdict
look(const struct blockset* s, const char* name, struct blockset_result* res)
{
	uint8_t wire[WIRE_MAX];
	size_t len = to_wire(name, wire);
	return blockset_lookup(s, wire, len, res);
}

/** assert the full result of a lookup of a dotted name */
static void
assert_result(const struct blockset* s, const char* name,
	enum blockset_verdict verdict, int list_id, int stripped)
{
	struct blockset_result res;
	ck_assert_msg(look(s, name, &res) == verdict,
		"%s: verdict %d, expected %d", name, (int)res.verdict,
		(int)verdict);
	ck_assert_msg(res.verdict == verdict, "%s: res.verdict", name);
	ck_assert_msg(res.list_id == list_id, "%s: list %d, expected %d",
		name, (int)res.list_id, list_id);
	ck_assert_msg(res.labels_stripped == stripped,
		"%s: stripped %d, expected %d", name, res.labels_stripped,
		stripped);
}

/**
 * Assert the results of several lookups that share a verdict and a list.
 * @param s: the set.
 * @param verdict: the verdict every name gets.
 * @param list_id: the list they name; BLOCKSET_NONE expects 0.
 * @param names: dotted names separated by spaces; "name/N" expects N
 *	labels stripped, a bare name none.
 */
static void
assert_names(const struct blockset* s, enum blockset_verdict verdict,
	int list_id, const char* names)
{
	char name[300];
	char* slash;
	const char* p = names;
	while(*p) {
		size_t n = strcspn(p, " ");
		int stripped = 0;
		ck_assert_uint_lt(n, sizeof(name));
		memcpy(name, p, n);
		name[n] = 0;
		if((slash = strchr(name, '/')) != NULL) {
			stripped = atoi(slash + 1);
			*slash = 0;
		}
		assert_result(s, name, verdict, list_id, stripped);
		p += n;
		p += strspn(p, " ");
	}
}

/**
 * Assert the result of a lookup of a dotted name in three sets.
 * @param sets: the sets; NULL entries are skipped by the lookup.
 * @param name: the dotted name.
 * @param verdict: the expected verdict.
 * @param list_id: the expected list id.
 * @param set_index: the expected set index; -1 leaves it unchecked,
 *	as it means nothing without a match.
 * @param stripped: the expected labels stripped; -1 leaves it unchecked.
 */
static void
assert_multi(const struct blockset* const* sets, const char* name,
	enum blockset_verdict verdict, int list_id, int set_index, int stripped)
{
	struct blockset_result res;
	uint8_t wire[WIRE_MAX];
	size_t len = to_wire(name, wire);
	ck_assert_msg(blockset_lookup_multi(sets, 3, wire, len, &res) ==
		verdict, "%s: verdict %d, expected %d", name, (int)res.verdict,
		(int)verdict);
	ck_assert_msg(res.list_id == list_id, "%s: list %d, expected %d",
		name, (int)res.list_id, list_id);
	if(set_index >= 0)
		ck_assert_msg(res.set_index == set_index,
			"%s: set %d, expected %d", name, (int)res.set_index,
			set_index);
	if(stripped >= 0)
		ck_assert_msg(res.labels_stripped == stripped,
			"%s: stripped %d, expected %d", name,
			res.labels_stripped, stripped);
}

/**
 * Assert that the load reported exactly one failure to open or read a
 * path, with the system's text for the error, and forget the report.
 * @param reps: the collected reports.
 * @param path: the path the message names.
 * @param what: "open" or "read".
 * @param err: the errno the message spells out.
 */
static void
assert_one_failure(struct reports* reps, const char* path, const char* what,
	int err)
{
	char expect[1024];
	ck_assert_int_eq(reps->num, 1);
	snprintf(expect, sizeof(expect), "%s: cannot %s: %s", path, what,
		strerror(err));
	ck_assert_str_eq(reps->msg[0], expect);
	reports_clear(reps);
}

/** build a set from names given as "flags list name" triples */
static struct blockset*
build_set(const char* const* names, const uint8_t* flags,
	const uint16_t* lists, int num)
{
	struct blockset_builder* b = blockset_builder_create();
	int i;
	ck_assert_ptr_nonnull(b);
	for(i = 0; i < num; i++)
		ck_assert_int_eq(blockset_builder_add_text(b, names[i],
			flags[i], lists[i]), 1);
	return blockset_builder_finish(b);
}

/** write a file in the scratch directory; return its path (static) */
static const char*
write_file(const char* name, const char* content, size_t len)
{
	static char path[512];
	FILE* out;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	out = fopen(path, "w");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fwrite(content, 1, len, out), len);
	ck_assert_int_eq(fclose(out), 0);
	return path;
}

/** write a NUL-terminated text as a file; return its path (static) */
static const char*
write_text(const char* name, const char* content)
{
	return write_file(name, content, strlen(content));
}

/** make a directory in the scratch directory */
static void
make_dir(const char* name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

/** remove a directory tree */
static void
remove_tree(const char* path)
{
	DIR* dir = opendir(path);
	struct dirent* ent;
	if(!dir) {
		unlink(path);
		return;
	}
	while((ent = readdir(dir)) != NULL) {
		char sub[1024];
		if(strcmp(ent->d_name, ".") == 0 ||
			strcmp(ent->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, ent->d_name);
		remove_tree(sub);
	}
	closedir(dir);
	rmdir(path);
}

/** fixture: make the scratch directory */
static void
setup_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_blockset.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/** fixture: remove the scratch directory */
static void
teardown_tmpdir(void)
{
	if(tmpdir[0])
		remove_tree(tmpdir);
	tmpdir[0] = 0;
}

/**
 * Parse a file into a new set, collecting reports.
 * @param path: the file or directory.
 * @param exact_only: exact-only list.
 * @param list_id: list id.
 * @param cb: set up and filled; its stats are the result.
 * @param reps: receives the reports.
 * @param ok: set to the return value of listparse_path.
 * @return the set (empty when the load failed).
 */
static struct blockset*
load_path(const char* path, int exact_only, uint16_t list_id,
	struct listparse_cb* cb, struct reports* reps, int* ok)
{
	struct blockset_builder* b = blockset_builder_create();
	struct blockset* s;
	ck_assert_ptr_nonnull(b);
	listparse_cb_init(cb, b, list_id, exact_only);
	cb->report = collect_report;
	cb->report_arg = reps;
	*ok = listparse_path(path, cb);
	s = blockset_builder_finish(b);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* ---------------------------------------------------------------- */
/* blockset                                                          */
/* ---------------------------------------------------------------- */

START_TEST(test_hash_case_and_chain)
{
	const uint8_t up[] = "ExAmPlE", low[] = "example";
	const uint8_t at[] = "a@", grave[] = "a`";
	uint64_t h1 = blockset_hash_label(BLOCKSET_HASH_SEED, up, 7);
	uint64_t h2 = blockset_hash_label(BLOCKSET_HASH_SEED, low, 7);
	ck_assert(h1 == h2);
	/* only A-Z fold: '@' (0x40) and '`' (0x60) stay different */
	ck_assert(blockset_hash_label(BLOCKSET_HASH_SEED, at, 2) !=
		blockset_hash_label(BLOCKSET_HASH_SEED, grave, 2));
	/* the label length is part of the hash: "a" vs "a\0" */
	ck_assert(blockset_hash_label(BLOCKSET_HASH_SEED,
		(const uint8_t*)"a\0", 1) != blockset_hash_label(
		BLOCKSET_HASH_SEED, (const uint8_t*)"a\0", 2));
	/* label boundaries count: a.bc is not ab.c */
	ck_assert(blockset_hash_label(blockset_hash_label(BLOCKSET_HASH_SEED,
		(const uint8_t*)"bc", 2), (const uint8_t*)"a", 1) !=
		blockset_hash_label(blockset_hash_label(BLOCKSET_HASH_SEED,
		(const uint8_t*)"c", 1), (const uint8_t*)"ab", 2));
}
END_TEST

START_TEST(test_text_and_wire_agree)
{
	struct blockset_builder* b = blockset_builder_create();
	struct blockset* s;
	uint8_t wire[WIRE_MAX];
	size_t len = to_wire("Wire.Example.NET", wire);
	ck_assert_int_eq(blockset_builder_add_text(b, "Text.Example.COM.",
		BS_BLOCK_EXACT, 1), 1);
	ck_assert_int_eq(blockset_builder_add_wire(b, wire, len,
		BS_BLOCK_EXACT, 2), 1);
	ck_assert_uint_eq(blockset_builder_count(b), 2);
	s = blockset_builder_finish(b);
	ck_assert_uint_eq(blockset_count(s), 2);
	assert_names(s, BLOCKSET_BLOCKED, 1,
		"text.example.com TEXT.EXAMPLE.COM");
	assert_names(s, BLOCKSET_BLOCKED, 2, "wire.example.net");
	assert_names(s, BLOCKSET_NONE, 0, "example.com");
	blockset_delete(s);
}
END_TEST

START_TEST(test_match_semantics)
{
	const char* names[] = { "example.com", "wild.org", "exact.net",
		"good.example.com", "safe.org", "ads.safe.org", "ae.com",
		"ae.com" };
	const uint8_t flags[] = { BS_BLOCK_DEFAULT, BS_BLOCK_SUB,
		BS_BLOCK_EXACT, BS_ALLOW_DEFAULT, BS_ALLOW_DEFAULT,
		BS_BLOCK_DEFAULT, BS_ALLOW_EXACT, BS_BLOCK_DEFAULT };
	const uint16_t lists[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	/* the lookups, one row per verdict and list as assert_names
	 * takes them */
	static const struct {
		enum blockset_verdict verdict;
		int list_id;
		const char* names;
	} expect[] = {
		/* a default entry blocks the name and everything below */
		{ BLOCKSET_BLOCKED, 1,
			"example.com www.example.com/1 a.b.c.example.com/3" },
		{ BLOCKSET_NONE, 0, "com notexample.com example.com.au" },
		/* SUB of the name itself does not block the name */
		{ BLOCKSET_NONE, 0, "wild.org" },
		{ BLOCKSET_BLOCKED, 2, "x.wild.org/1" },
		/* EXACT does not reach below */
		{ BLOCKSET_BLOCKED, 3, "exact.net" },
		{ BLOCKSET_NONE, 0, "www.exact.net" },
		/* an allow below a block wins for its subtree only */
		{ BLOCKSET_ALLOWED, 4, "good.example.com x.good.example.com/1" },
		{ BLOCKSET_BLOCKED, 1, "bad.example.com/1" },
		/* an allow above a block wins too: allow anywhere wins */
		{ BLOCKSET_ALLOWED, 5, "ads.safe.org/1 x.ads.safe.org/2" },
		/* merged ALLOW_EXACT and BLOCK_DEFAULT: the name is allowed
		 * (list of the allow), names below are blocked */
		{ BLOCKSET_ALLOWED, 7, "ae.com" },
		{ BLOCKSET_BLOCKED, 7, "sub.ae.com/1" }
	};
	size_t i;
	struct blockset* s = build_set(names, flags, lists, 8);
	ck_assert_uint_eq(blockset_count(s), 7);
	for(i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		assert_names(s, expect[i].verdict, expect[i].list_id,
			expect[i].names);
	blockset_delete(s);
}
END_TEST

START_TEST(test_merge_duplicates)
{
	const char* names[] = { "dup.com", "dup.com", "dup.com", "mix.com",
		"mix.com", "mix.com" };
	const uint8_t flags[] = { BS_BLOCK_EXACT, BS_BLOCK_SUB,
		BS_BLOCK_EXACT, BS_BLOCK_DEFAULT, BS_ALLOW_DEFAULT,
		BS_ALLOW_DEFAULT };
	const uint16_t lists[] = { 5, 3, 9, 1, 9, 6 };
	const char* rnames[6];
	uint8_t rflags[6];
	uint16_t rlists[6];
	struct blockset* s = build_set(names, flags, lists, 6);
	struct blockset* r;
	int i;
	ck_assert_uint_eq(blockset_count(s), 2);
	/* flags OR-ed; the lowest list id */
	assert_result(s, "dup.com", BLOCKSET_BLOCKED, 3, 0);
	assert_result(s, "a.dup.com", BLOCKSET_BLOCKED, 3, 1);
	/* with allows: the lowest list id among the allows */
	assert_result(s, "mix.com", BLOCKSET_ALLOWED, 6, 0);
	assert_result(s, "a.mix.com", BLOCKSET_ALLOWED, 6, 1);
	/* the order of adding does not matter */
	for(i = 0; i < 6; i++) {
		rnames[i] = names[5 - i];
		rflags[i] = flags[5 - i];
		rlists[i] = lists[5 - i];
	}
	r = build_set(rnames, rflags, rlists, 6);
	assert_result(r, "dup.com", BLOCKSET_BLOCKED, 3, 0);
	assert_result(r, "mix.com", BLOCKSET_ALLOWED, 6, 0);
	ck_assert_uint_eq(blockset_get_mem(r), blockset_get_mem(s));
	blockset_delete(s);
	blockset_delete(r);
}
END_TEST

START_TEST(test_empty_set)
{
	struct blockset* s = blockset_builder_finish(blockset_builder_create());
	const struct blockset* sets[3];
	struct blockset_result res;
	uint8_t wire[WIRE_MAX];
	size_t len = to_wire("www.example.com", wire);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(blockset_count(s), 0);
	ck_assert_uint_gt(blockset_get_mem(s), 0);
	assert_result(s, "www.example.com", BLOCKSET_NONE, 0, 0);
	assert_result(NULL, "www.example.com", BLOCKSET_NONE, 0, 0);
	ck_assert_uint_eq(blockset_count(NULL), 0);
	ck_assert_uint_eq(blockset_get_mem(NULL), 0);
	sets[0] = NULL;
	sets[1] = s;
	sets[2] = NULL;
	ck_assert_int_eq(blockset_lookup_multi(sets, 3, wire, len, &res),
		BLOCKSET_NONE);
	ck_assert_int_eq(blockset_lookup_multi(sets, 0, wire, len, NULL),
		BLOCKSET_NONE);
	blockset_delete(s);
	blockset_delete(NULL);
	blockset_builder_delete(NULL);
	ck_assert_ptr_null(blockset_builder_finish(NULL));
}
END_TEST

START_TEST(test_malformed_names)
{
	struct blockset_builder* b = blockset_builder_create();
	struct blockset* s;
	struct blockset_result res;
	char label64[65], long_name[300];
	const uint8_t root[] = { 0 };
	const uint8_t pointer[] = { 3, 'c', 'o', 'm', 0xc0, 0x0c };
	const uint8_t no_root[] = { 3, 'c', 'o', 'm' };
	const uint8_t com[] = { 3, 'c', 'o', 'm', 0 };
	memset(label64, 'a', 64);
	label64[64] = 0;
	/* 4 labels of 63: 255 characters, over the 253 limit */
	snprintf(long_name, sizeof(long_name), "%.63s.%.63s.%.63s.%.63s",
		label64, label64, label64, label64);
	ck_assert_int_eq(blockset_builder_add_text(b, "", BS_BLOCK_EXACT, 0),
		0);
	ck_assert_int_eq(blockset_builder_add_text(b, ".", BS_BLOCK_EXACT, 0),
		0);
	ck_assert_int_eq(blockset_builder_add_text(b, "a..b", BS_BLOCK_EXACT,
		0), 0);
	ck_assert_int_eq(blockset_builder_add_text(b, ".a", BS_BLOCK_EXACT,
		0), 0);
	ck_assert_int_eq(blockset_builder_add_text(b, "a.b..", BS_BLOCK_EXACT,
		0), 0);
	ck_assert_int_eq(blockset_builder_add_text(b, label64, BS_BLOCK_EXACT,
		0), 0);
	ck_assert_int_eq(blockset_builder_add_text(b, long_name,
		BS_BLOCK_EXACT, 0), 0);
	ck_assert_int_eq(blockset_builder_add_wire(b, root, 1, BS_BLOCK_EXACT,
		0), 0);
	ck_assert_int_eq(blockset_builder_add_wire(b, pointer, 6,
		BS_BLOCK_EXACT, 0), 0);
	ck_assert_int_eq(blockset_builder_add_wire(b, no_root, 4,
		BS_BLOCK_EXACT, 0), 0);
	/* flags must be nonzero and known */
	ck_assert_int_eq(blockset_builder_add_text(b, "com", 0, 0), 0);
	ck_assert_int_eq(blockset_builder_add_text(b, "com", 0x10, 0), 0);
	ck_assert_uint_eq(blockset_builder_count(b), 0);
	ck_assert_int_eq(blockset_builder_add_wire(b, com, 5, BS_BLOCK_SUB,
		4), 1);
	s = blockset_builder_finish(b);
	/* the root is never matched, and malformed names match nothing */
	ck_assert_int_eq(blockset_lookup(s, root, 1, &res), BLOCKSET_NONE);
	ck_assert_int_eq(blockset_lookup(s, root, 0, &res), BLOCKSET_NONE);
	ck_assert_int_eq(blockset_lookup(s, pointer, 6, &res), BLOCKSET_NONE);
	ck_assert_int_eq(blockset_lookup(s, no_root, 4, &res), BLOCKSET_NONE);
	assert_result(s, "x.com", BLOCKSET_BLOCKED, 4, 1);
	blockset_delete(s);
}
END_TEST

START_TEST(test_max_length_names)
{
	char labels127[300], max_labels[300], label63[64];
	uint8_t wire[WIRE_MAX];
	size_t len, i;
	const char* names[3];
	const uint8_t flags[] = { BS_BLOCK_EXACT, BS_BLOCK_SUB,
		BS_BLOCK_EXACT };
	const uint16_t lists[] = { 1, 2, 3 };
	struct blockset* s;
	struct blockset_result res;
	/* 127 one-character labels: 253 characters, 255 bytes of wire */
	for(i = 0; i < 127; i++) {
		labels127[i * 2] = (char)('a' + i % 26);
		labels127[i * 2 + 1] = '.';
	}
	labels127[253] = 0;
	memset(label63, 'x', 63);
	label63[63] = 0;
	snprintf(max_labels, sizeof(max_labels), "%s.%s.%s.%.61s", label63,
		label63, label63, label63);
	ck_assert_uint_eq(strlen(labels127), 253);
	ck_assert_uint_eq(strlen(max_labels), 253);
	names[0] = labels127;
	names[1] = labels127 + 250; /* "w.w" ... the last two labels */
	names[2] = max_labels;
	s = build_set(names, flags, lists, 3);
	len = to_wire(labels127, wire);
	ck_assert_uint_eq(len, 255);
	/* the exact entry is the most specific, the SUB one 125 up */
	ck_assert_int_eq(blockset_lookup(s, wire, len, &res), BLOCKSET_BLOCKED);
	ck_assert_int_eq(res.list_id, 1);
	ck_assert_int_eq(res.labels_stripped, 0);
	/* strip the first label: only the SUB entry, 124 labels up */
	ck_assert_int_eq(blockset_lookup(s, wire + 2, len - 2, &res),
		BLOCKSET_BLOCKED);
	ck_assert_int_eq(res.list_id, 2);
	ck_assert_int_eq(res.labels_stripped, 124);
	len = to_wire(max_labels, wire);
	ck_assert_uint_eq(len, 255);
	ck_assert_int_eq(blockset_lookup(s, wire, len, &res), BLOCKSET_BLOCKED);
	ck_assert_int_eq(res.list_id, 3);
	/* a wire name over 255 bytes is malformed */
	{
		uint8_t big[300];
		memset(big, 0, sizeof(big));
		for(i = 0; i < 128; i++) {
			big[i * 2] = 1;
			big[i * 2 + 1] = 'a';
		}
		ck_assert_int_eq(blockset_lookup(s, big, 257, &res),
			BLOCKSET_NONE);
	}
	blockset_delete(s);
}
END_TEST

START_TEST(test_multi_sets)
{
	const char* gnames[] = { "example.com", "shared.org", "both.net" };
	const uint8_t gflags[] = { BS_BLOCK_DEFAULT, BS_BLOCK_DEFAULT,
		BS_BLOCK_DEFAULT };
	const uint16_t glists[] = { 1, 2, 3 };
	const char* vnames[] = { "ok.example.com", "www.shared.org",
		"both.net" };
	const uint8_t vflags[] = { BS_ALLOW_DEFAULT, BS_BLOCK_EXACT,
		BS_BLOCK_DEFAULT };
	const uint16_t vlists[] = { 10, 11, 12 };
	struct blockset* g = build_set(gnames, gflags, glists, 3);
	struct blockset* v = build_set(vnames, vflags, vlists, 3);
	const struct blockset* sets[3];
	sets[0] = g;
	sets[1] = NULL;
	sets[2] = v;
	/* an allow in the view beats a block in the global set */
	assert_multi(sets, "a.ok.example.com", BLOCKSET_ALLOWED, 10, 2, 1);
	/* the most specific block decides */
	assert_multi(sets, "www.shared.org", BLOCKSET_BLOCKED, 11, 2, 0);
	/* equally specific: the lower set index */
	assert_multi(sets, "x.both.net", BLOCKSET_BLOCKED, 3, 0, -1);
	/* and in the other order */
	sets[0] = v;
	sets[2] = g;
	assert_multi(sets, "x.both.net", BLOCKSET_BLOCKED, 12, 0, -1);
	assert_multi(sets, "unrelated.com", BLOCKSET_NONE, 0, -1, -1);
	blockset_delete(g);
	blockset_delete(v);
}
END_TEST

START_TEST(test_memory_per_name)
{
	struct blockset_builder* b = blockset_builder_create();
	struct blockset* s;
	char name[64];
	int i;
	for(i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "host%d.example%d.com", i, i % 97);
		ck_assert_int_eq(blockset_builder_add_text(b, name,
			BS_BLOCK_DEFAULT, 0), 1);
	}
	s = blockset_builder_finish(b);
	ck_assert_uint_eq(blockset_count(s), 100000);
	ck_assert_uint_le(blockset_get_mem(s), (size_t)100000 * 16);
	assert_result(s, "a.host99.example2.com", BLOCKSET_BLOCKED, 0, 1);
	assert_result(s, "host99.example3.com", BLOCKSET_NONE, 0, 0);
	blockset_delete(s);
}
END_TEST

/* ---------------------------------------------------------------- */
/* property test against a naive reference                           */
/* ---------------------------------------------------------------- */

/** entries per random set */
#define PROP_ENTRIES 600
/** queries per round */
#define PROP_QUERIES 4000
/** rounds of the property test */
#define PROP_ROUNDS 12
/** most sets per round */
#define PROP_MAX_SETS 3

/**
 * A reference entry: the name as text, the merged flags and list.
 */
struct ref_entry {
	/** the name, lower case */
	char name[LISTPARSE_NAME_BUFSIZE];
	/** merged BS_* flags */
	uint8_t flags;
	/** merged list id */
	uint16_t list_id;
};

/**
 * A reference set: a sorted array of names, searched with bsearch.
 */
struct ref_set {
	/** the entries, sorted by name after ref_finish */
	struct ref_entry e[PROP_ENTRIES];
	/** number of entries */
	int num;
};

/** per verdict, how often the property test saw it: all must occur */
static int verdicts_seen[3];

/** a random number below n */
static int
rng_below(int n)
{
	return (int)(rng() % (uint64_t)n);
}

/** the labels random names are mostly made of, so that they nest */
static const char* const vocabulary[] = { "a", "b", "com", "net", "ads",
	"www", "x-1", "cdn", "m", "_tcp", "track", "z" };

/** append a random label to a name */
static void
random_label(char* name, size_t size)
{
	char label[32];
	int i, n;
	if(rng_below(8) != 0) {
		snprintf(label, sizeof(label), "%s", vocabulary[rng_below(
			(int)(sizeof(vocabulary) / sizeof(vocabulary[0])))]);
	} else {
		n = 1 + rng_below(20);
		for(i = 0; i < n; i++)
			label[i] = "abcdefghijklmnopqrstuvwxyz0123456789-"[
				rng_below(37)];
		label[n] = 0;
	}
	if(name[0])
		strncat(name, ".", size - strlen(name) - 1);
	strncat(name, label, size - strlen(name) - 1);
}

/** a random name of 1..max_labels labels */
static void
random_name(char* name, size_t size, int max_labels)
{
	int i, n = 1 + rng_below(max_labels);
	name[0] = 0;
	for(i = 0; i < n; i++)
		random_label(name, size);
}

/** random entry flags: mostly the list kinds, sometimes any mix */
static uint8_t
random_flags(void)
{
	static const uint8_t kinds[] = { BS_BLOCK_DEFAULT, BS_BLOCK_SUB,
		BS_BLOCK_EXACT, BS_ALLOW_DEFAULT, BS_BLOCK_DEFAULT,
		BS_ALLOW_EXACT };
	if(rng_below(10) == 0)
		return (uint8_t)(1 + rng_below(BS_FLAGS_ALL));
	return kinds[rng_below((int)sizeof(kinds))];
}

/** bsearch comparison of reference entries by name */
static int
ref_compare(const void* a, const void* b)
{
	return strcmp(((const struct ref_entry*)a)->name,
		((const struct ref_entry*)b)->name);
}

/** reference merge of a duplicate into an entry, the documented rule */
static void
ref_merge(struct ref_entry* into, uint8_t flags, uint16_t list_id)
{
	int allow_into = (into->flags & (BS_ALLOW_EXACT|BS_ALLOW_SUB)) != 0;
	int allow_new = (flags & (BS_ALLOW_EXACT|BS_ALLOW_SUB)) != 0;
	if(allow_new && !allow_into)
		into->list_id = list_id;
	else if(allow_new == allow_into && list_id < into->list_id)
		into->list_id = list_id;
	into->flags |= flags;
}

/** add to a reference set with a linear duplicate check */
static void
ref_add(struct ref_set* r, const char* name, uint8_t flags, uint16_t list_id)
{
	int i;
	for(i = 0; i < r->num; i++) {
		if(strcmp(r->e[i].name, name) == 0) {
			ref_merge(&r->e[i], flags, list_id);
			return;
		}
	}
	snprintf(r->e[r->num].name, sizeof(r->e[r->num].name), "%s", name);
	r->e[r->num].flags = flags;
	r->e[r->num].list_id = list_id;
	r->num++;
}

/** find a name in a sorted reference set */
static const struct ref_entry*
ref_find(const struct ref_set* r, const char* name)
{
	struct ref_entry key;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return (const struct ref_entry*)bsearch(&key, r->e, (size_t)r->num,
		sizeof(r->e[0]), ref_compare);
}

/** the naive lookup: the documented semantics, written out directly */
static enum blockset_verdict
ref_lookup(struct ref_set* const* sets, int num_sets, const char* qname,
	struct blockset_result* res)
{
	const char* suffix = qname;
	int stripped = 0, j, have_block = 0;
	struct blockset_result block;
	memset(&block, 0, sizeof(block));
	memset(res, 0, sizeof(*res));
	for(;;) {
		for(j = 0; j < num_sets; j++) {
			const struct ref_entry* e = ref_find(sets[j], suffix);
			uint8_t allow = stripped == 0 ? BS_ALLOW_EXACT :
				BS_ALLOW_SUB;
			uint8_t blk = stripped == 0 ? BS_BLOCK_EXACT :
				BS_BLOCK_SUB;
			if(!e)
				continue;
			if(e->flags & allow) {
				res->verdict = BLOCKSET_ALLOWED;
				res->list_id = e->list_id;
				res->labels_stripped = stripped;
				res->set_index = j;
				return res->verdict;
			}
			if((e->flags & blk) && !have_block) {
				have_block = 1;
				block.verdict = BLOCKSET_BLOCKED;
				block.list_id = e->list_id;
				block.labels_stripped = stripped;
				block.set_index = j;
			}
		}
		if(!strchr(suffix, '.'))
			break;
		suffix = strchr(suffix, '.') + 1;
		stripped++;
	}
	if(have_block)
		*res = block;
	return res->verdict;
}

/** randomly upper-case letters of a wire name */
static void
random_case(uint8_t* wire, size_t len)
{
	size_t i;
	for(i = 0; i < len; i++)
		if(wire[i] >= 'a' && wire[i] <= 'z' && rng_below(3) == 0)
			wire[i] = (uint8_t)(wire[i] - ('a' - 'A'));
}

/** a query name: related to an entry (itself, a parent or a child), or
 * random; q has LISTPARSE_NAME_BUFSIZE bytes */
static void
random_query(const struct ref_set* r, char* q)
{
	const char* base;
	int kind = rng_below(4);
	size_t plen, blen;
	if(r->num == 0 || kind == 0) {
		random_name(q, LISTPARSE_NAME_BUFSIZE, 6);
		return;
	}
	base = r->e[rng_below(r->num)].name;
	if(kind == 2 && strchr(base, '.'))
		base = strchr(base, '.') + 1;
	blen = strlen(base);
	q[0] = 0;
	if(kind == 3) {
		random_name(q, LISTPARSE_NAME_BUFSIZE, 2);
		plen = strlen(q);
		if(plen + 1 + blen > 200)
			plen = 0;
		else	q[plen++] = '.';
	} else	plen = 0;
	memcpy(q + plen, base, blen + 1);
}

/** one round: random sets, random queries, compare with the reference */
static void
property_round(int round)
{
	static struct ref_set refs[PROP_MAX_SETS];
	struct ref_set* refp[PROP_MAX_SETS];
	struct blockset* sets[PROP_MAX_SETS];
	const struct blockset* csets[PROP_MAX_SETS];
	int num_sets = 1 + rng_below(PROP_MAX_SETS), j, i;
	char name[LISTPARSE_NAME_BUFSIZE];
	for(j = 0; j < num_sets; j++) {
		struct blockset_builder* b = blockset_builder_create();
		int num = rng_below(PROP_ENTRIES);
		refs[j].num = 0;
		for(i = 0; i < num; i++) {
			uint8_t flags = random_flags();
			uint16_t list_id = (uint16_t)rng_below(4);
			random_name(name, sizeof(name), 4);
			ck_assert_int_eq(blockset_builder_add_text(b, name,
				flags, list_id), 1);
			ref_add(&refs[j], name, flags, list_id);
		}
		qsort(refs[j].e, (size_t)refs[j].num, sizeof(refs[j].e[0]),
			ref_compare);
		sets[j] = blockset_builder_finish(b);
		ck_assert_ptr_nonnull(sets[j]);
		ck_assert_uint_eq(blockset_count(sets[j]),
			(size_t)refs[j].num);
		refp[j] = &refs[j];
		csets[j] = sets[j];
	}
	for(i = 0; i < PROP_QUERIES; i++) {
		struct blockset_result got, want, single;
		uint8_t wire[WIRE_MAX];
		size_t len;
		random_query(&refs[rng_below(num_sets)], name);
		len = to_wire(name, wire);
		random_case(wire, len);
		ref_lookup(refp, num_sets, name, &want);
		blockset_lookup_multi(csets, num_sets, wire, len, &got);
		ck_assert_msg(got.verdict == want.verdict &&
			got.list_id == want.list_id &&
			got.labels_stripped == want.labels_stripped &&
			got.set_index == want.set_index,
			"round %d query %s: got %d/%d/%d/%d want %d/%d/%d/%d",
			round, name, (int)got.verdict, (int)got.list_id,
			got.labels_stripped, got.set_index, (int)want.verdict,
			(int)want.list_id, want.labels_stripped,
			want.set_index);
		verdicts_seen[got.verdict]++;
		/* the single-set lookup agrees with a one-set reference */
		ref_lookup(refp, 1, name, &want);
		blockset_lookup(sets[0], wire, len, &single);
		ck_assert_int_eq(single.verdict, want.verdict);
		ck_assert_int_eq(single.list_id, want.list_id);
		ck_assert_int_eq(single.labels_stripped, want.labels_stripped);
	}
	for(j = 0; j < num_sets; j++)
		blockset_delete(sets[j]);
}

START_TEST(test_property_random)
{
	int round;
	rng_state = 0x9d2c5680a1b2c3d4ULL;
	memset(verdicts_seen, 0, sizeof(verdicts_seen));
	for(round = 0; round < PROP_ROUNDS; round++)
		property_round(round);
	/* the queries exercised every outcome, not just misses */
	ck_assert_int_gt(verdicts_seen[BLOCKSET_NONE], PROP_QUERIES);
	ck_assert_int_gt(verdicts_seen[BLOCKSET_BLOCKED], PROP_QUERIES);
	ck_assert_int_gt(verdicts_seen[BLOCKSET_ALLOWED], PROP_QUERIES);
}
END_TEST

/* ---------------------------------------------------------------- */
/* parsers                                                           */
/* ---------------------------------------------------------------- */

START_TEST(test_normalize_name)
{
	char out[LISTPARSE_NAME_BUFSIZE], reason[LISTPARSE_REASON_BUFSIZE];
	char long_name[300];
	ck_assert_int_eq(listparse_normalize_name("WWW.Example.COM.", 16, out,
		reason), 1);
	ck_assert_str_eq(out, "www.example.com");
	ck_assert_int_eq(listparse_normalize_name("xn--bcher-kva.de", 16, out,
		reason), 1);
	ck_assert_int_eq(listparse_normalize_name("_dmarc.a-b.c0", 13, out,
		reason), 1);
	ck_assert_int_eq(listparse_normalize_name("b\xc3\xbc" "cher.de", 10,
		out, reason), 0);
	ck_assert_str_eq(reason, "non-ASCII name, use punycode (IDNA)");
	ck_assert_int_eq(listparse_normalize_name("a..b", 4, out, reason), 0);
	ck_assert_str_eq(reason, "empty label in name");
	ck_assert_int_eq(listparse_normalize_name(".", 1, out, reason), 0);
	ck_assert_str_eq(reason, "empty name");
	ck_assert_int_eq(listparse_normalize_name("a b", 3, out, reason), 0);
	ck_assert_str_eq(reason, "invalid character 0x20 in name");
	ck_assert_int_eq(listparse_normalize_name("a%b", 3, out, reason), 0);
	ck_assert_str_eq(reason, "invalid character '%' in name");
	memset(long_name, 'a', 64);
	ck_assert_int_eq(listparse_normalize_name(long_name, 64, out, reason),
		0);
	ck_assert_str_eq(reason, "label longer than 63 characters");
	memset(long_name, 'a', sizeof(long_name));
	long_name[63] = '.';
	long_name[127] = '.';
	long_name[191] = '.';
	ck_assert_int_eq(listparse_normalize_name(long_name, 253, out, reason),
		1);
	ck_assert_int_eq(listparse_normalize_name(long_name, 254, out, reason),
		0);
	ck_assert_str_eq(reason, "name longer than 253 characters");
}
END_TEST

/** a statistic a parse case does not check */
#define ANY (-1)

/**
 * A list file, how it loads and what the set then answers: the parse
 * tests that differ only in data.
 */
struct parse_case {
	/** file name in the scratch directory */
	const char* file;
	/** its contents */
	const char* text;
	/** load with exact_only */
	int exact_only;
	/** list id to load it as */
	uint16_t list_id;
	/** expected counts of names, allows, invalid and skipped lines, and
	 * of reports; ANY for one not checked */
	int names, allows, invalid, skipped, reports;
	/** lookups answered blocked, allowed, and not at all: see
	 * assert_names */
	const char* blocked, *allowed, *none;
	/** texts some report must contain; NULL-terminated */
	const char* report[6];
};

/** the parse cases, run by test_parse_case */
static const struct parse_case parse_cases[] = {
	/* plain lists: comments, case, CR LF, trailing comments, wildcards,
	 * IDNA, and a last line without a newline */
	{ "plain.txt",
		"# a comment\n"
		"! another comment\n"
		"\n"
		"   \t\n"
		"example.com\n"
		"  Upper.CASE.org.  \n"
		"crlf.net\r\n"
		"trailing.comment.io # why it is here\n"
		"trailing.hash.io#no space\n"
		"two names.com\n"
		"*.wild.com\n"
		"a.*.com\n"
		"*bad.com\n"
		"b\xc3\xbc" "cher.de\n"
		"xn--bcher-kva.de\n"
		"bad!char.com\n"
		"nonl.com",
		0, 7, 8, 0, 5, 0, 5,
		"example.com www.example.com/1 upper.case.org crlf.net "
		"trailing.comment.io trailing.hash.io x.wild.com/1 "
		"xn--bcher-kva.de nonl.com", "", "wild.com",
		{ "/plain.txt:10: unexpected text after name: two names.com",
		  "/plain.txt:12: wildcard only allowed as a leading '*.': "
		  "a.*.com",
		  "/plain.txt:13: wildcard only allowed",
		  "/plain.txt:14: non-ASCII name, use punycode (IDNA): "
		  "b\\xc3\\xbccher.de",
		  "/plain.txt:16: invalid character '!' in name: bad!char.com",
		  NULL } },
	/* hosts files: the local names of the usual header are no blocks */
	{ "hosts",
		"127.0.0.1 localhost\n"
		"127.0.0.1\tlocalhost.localdomain local\n"
		"255.255.255.255 broadcasthost\n"
		"::1 localhost ip6-localhost ip6-loopback\n"
		"fe00::0 ip6-localnet\n"
		"ff02::1 ip6-allnodes\n"
		"0.0.0.0 0.0.0.0\n"
		"0.0.0.0 ads.example.com tracker.example.com  "
		"Metrics.Example.COM # three on one line\r\n"
		"127.0.0.1 one.example.net\n"
		":: six.example.net\n"
		"fe80::1%lo six-zone.example.net\n"
		"0.0.0.0\n"
		"0.0.0.0 good.example.org bad_name!.org also.example.org\n"
		"0.0.0.0 trailing.dot.org.\n"
		"0.0.0.0 ip6-tracker.example.org\n",
		0, 3, 10, ANY, 2, ANY, ANY,
		"ads.example.com tracker.example.com metrics.example.com "
		"one.example.net six.example.net six-zone.example.net "
		"also.example.org trailing.dot.org ip6-tracker.example.org", "",
		"example.com localhost local ip6-localhost broadcasthost",
		{ "/hosts:12: address without names: 0.0.0.0",
		  "/hosts:13: invalid character '!' in name: bad_name!.org",
		  NULL } },
	/* adblock rules: the DNS-level ones load, the rest are skipped;
	 * third, mixed, dnstype, 3 cosmetic, path, port, |http, regex,
	 * @@/path, glob, caret; "##.generic-ad" is a comment */
	{ "adblock.txt",
		"[Adblock Plus 2.0]\n"
		"! Title: test list\n"
		"||ads.com^\n"
		"@@||good.ads.com^\n"
		"||important.com^$important\n"
		"@@||imp-allow.com^$important\n"
		"||pipe.com^|\n"
		"||noanchor.com\n"
		"||third.com^$third-party\n"
		"||mixed.com^$important,third-party\n"
		"||dnstype.com^$dnstype=AAAA\n"
		"example.com##.banner\n"
		"example.com#@#.banner\n"
		"example.com#?#div:has(> a)\n"
		"##.generic-ad\n"
		"||path.com/ads/*\n"
		"||port.com:8080^\n"
		"|http://url.com/\n"
		"/banner[0-9]+/\n"
		"@@/allowed-path/\n"
		"||ads*.glob.com^\n"
		"caret.com^\n"
		"||bad%.com^\n"
		"||^\n"
		"||trailing.com^ junk\n"
		"||UPPER.Case.COM^\r\n"
		"||commented.com^ # why\n",
		0, 4, 6, 2, 3, 13, ANY,
		"ads.com x.ads.com/1 important.com pipe.com noanchor.com "
		"upper.case.com commented.com",
		"good.ads.com x.good.ads.com/1 imp-allow.com",
		"third.com example.com path.com",
		{ "/adblock.txt:23: invalid character '%' in name: bad%.com",
		  "/adblock.txt:24: empty name: ",
		  "/adblock.txt:25: unexpected text after rule: "
		  "||trailing.com^ junk",
		  NULL } },
	/* exact_only: every format's names block only themselves, but a
	 * wildcard still blocks what is below */
	{ "exact.txt",
		"example.com\n"
		"0.0.0.0 hosts.example.com\n"
		"||adblock.com^\n"
		"@@||allowed.example.com^\n"
		"*.wild.org\n",
		1, 2, 4, 1, ANY, ANY, 0,
		"example.com hosts.example.com adblock.com a.wild.org/1",
		"allowed.example.com",
		"www.example.com a.hosts.example.com x.adblock.com wild.org",
		{ NULL } },
	/* a byte order mark: ignored only at the start of the file */
	{ "bom.txt",
		"\xef\xbb\xbf" "bom.example.com\n"
		"\xef\xbb\xbf" "second.com\n",
		0, 1, 1, ANY, 1, ANY, ANY,
		"bom.example.com", "", "",
		{ "/bom.txt:2: non-ASCII name", NULL } },
};

/** assert a statistic of a parse case, unless the case leaves it open */
#define ASSERT_STAT(want, got) do { if((want) != ANY) \
	ck_assert_uint_eq((got), (size_t)(want)); } while(0)

START_TEST(test_parse_case)
{
	const struct parse_case* c = &parse_cases[_i];
	struct listparse_cb cb;
	struct reports reps;
	int ok, r;
	struct blockset* s;
	memset(&reps, 0, sizeof(reps));
	s = load_path(write_text(c->file, c->text), c->exact_only, c->list_id,
		&cb, &reps, &ok);
	ck_assert_int_eq(ok, 1);
	ck_assert_uint_eq(cb.stats.files, 1);
	ASSERT_STAT(c->names, cb.stats.names);
	ASSERT_STAT(c->allows, cb.stats.allows);
	ASSERT_STAT(c->invalid, cb.stats.invalid);
	ASSERT_STAT(c->skipped, cb.stats.skipped);
	ASSERT_STAT(c->reports, (size_t)reps.num);
	assert_names(s, BLOCKSET_BLOCKED, c->list_id, c->blocked);
	assert_names(s, BLOCKSET_ALLOWED, c->list_id, c->allowed);
	assert_names(s, BLOCKSET_NONE, 0, c->none);
	for(r = 0; c->report[r]; r++)
		ck_assert_msg(reports_have(&reps, c->report[r]),
			"%s: no report %s", c->file, c->report[r]);
	/* bad lines are warnings: the load goes on */
	for(r = 0; r < reps.num; r++)
		ck_assert_int_eq(reps.is_error[r], 0);
	reports_clear(&reps);
	blockset_delete(s);
}
END_TEST

START_TEST(test_parse_line_direct)
{
	struct listparse_cb cb;
	struct reports reps;
	const char nul_line[] = "nul\0byte.com\n";
	memset(&reps, 0, sizeof(reps));
	/* without a builder, lines are only checked and counted */
	listparse_cb_init(&cb, NULL, 0, 0);
	cb.report = collect_report;
	cb.report_arg = &reps;
	ck_assert_int_eq(listparse_line("example.com\n", 12, &cb), 1);
	/* only len counts, not a terminating NUL */
	ck_assert_int_eq(listparse_line("abc.com-and-more", 7, &cb), 1);
	ck_assert_int_eq(listparse_line(nul_line, sizeof(nul_line) - 1, &cb),
		1);
	ck_assert_uint_eq(cb.stats.names, 2);
	ck_assert_uint_eq(cb.stats.invalid, 1);
	ck_assert_int_eq(reps.num, 1);
	ck_assert_str_eq(reps.msg[0], "(line):0: invalid character 0x00 in "
		"name: nul\\x00byte.com");
	reports_clear(&reps);
}
END_TEST

START_TEST(test_parse_long_lines)
{
	struct listparse_cb cb;
	struct reports reps;
	int ok, i;
	struct blockset* s;
	size_t len;
	char* content = (char*)malloc(300000);
	char name[64];
	memset(&reps, 0, sizeof(reps));
	ck_assert_ptr_nonnull(content);
	/* line 1: 200000 characters of one name; line 2: a hosts line with
	 * 2000 names; line 3: a short name after them */
	memset(content, 'a', 200000);
	content[200000] = '\n';
	len = 200001;
	len += (size_t)snprintf(content + len, 300000 - len, "0.0.0.0");
	for(i = 0; i < 2000; i++)
		len += (size_t)snprintf(content + len, 300000 - len,
			" h%d.example.com", i);
	len += (size_t)snprintf(content + len, 300000 - len,
		"\nafter.example.com\n");
	s = load_path(write_file("long.txt", content, len), 0, 1, &cb, &reps,
		&ok);
	ck_assert_int_eq(ok, 1);
	ck_assert_uint_eq(cb.stats.names, 2001);
	ck_assert_uint_eq(cb.stats.invalid, 1);
	ck_assert_int_eq(reps.num, 1);
	/* the report names the line and quotes the start of the text */
	ck_assert(strstr(reps.msg[0], "/long.txt:1: name longer than 253 "
		"characters: aaaa") != NULL);
	ck_assert(strstr(reps.msg[0], "aaa...") != NULL);
	ck_assert_uint_lt(strlen(reps.msg[0]), 400);
	snprintf(name, sizeof(name), "h%d.example.com", 1999);
	assert_result(s, name, BLOCKSET_BLOCKED, 1, 0);
	assert_result(s, "h0.example.com", BLOCKSET_BLOCKED, 1, 0);
	assert_result(s, "after.example.com", BLOCKSET_BLOCKED, 1, 0);
	reports_clear(&reps);
	blockset_delete(s);
	free(content);
}
END_TEST

/** The state of one list load in a test. */
struct load_run {
	/** the parser callbacks */
	struct listparse_cb cb;
	/** the reports collected */
	struct reports reps;
	/** whether the load succeeded */
	int ok;
	/** the set loaded */
	struct blockset* s;
	/** the path loaded */
	char path[512];
};

/** Start a load run with no reports. */
static void
load_run_init(struct load_run* r)
{
	memset(r, 0, sizeof(*r));
}

START_TEST(test_parse_directory)
{
	struct load_run r;
	load_run_init(&r);
	make_dir("lists");
	make_dir("lists/sub");
	make_dir("lists/.git");
	write_text("lists/b.txt", "b.example.com\nbad b\n");
	write_text("lists/a.txt", "a.example.com\nbad a\n");
	write_text("lists/sub/c.txt", "c.example.com\nbad c\n");
	write_text("lists/.hidden", "hidden.example.com\n");
	write_text("lists/.git/d.txt", "git.example.com\n");
	make_dir("empty");
	snprintf(r.path, sizeof(r.path), "%s/lists", tmpdir);
	r.s = load_path(r.path, 0, 5, &r.cb, &r.reps, &r.ok);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_uint_eq(r.cb.stats.files, 3);
	ck_assert_uint_eq(r.cb.stats.names, 3);
	ck_assert_uint_eq(r.cb.stats.invalid, 3);
	assert_result(r.s, "a.example.com", BLOCKSET_BLOCKED, 5, 0);
	assert_result(r.s, "c.example.com", BLOCKSET_BLOCKED, 5, 0);
	assert_result(r.s, "hidden.example.com", BLOCKSET_NONE, 0, 0);
	assert_result(r.s, "git.example.com", BLOCKSET_NONE, 0, 0);
	/* files are read in sorted order: the reports show it */
	ck_assert_int_eq(r.reps.num, 3);
	ck_assert(strstr(r.reps.msg[0], "/lists/a.txt:2: ") != NULL);
	ck_assert(strstr(r.reps.msg[1], "/lists/b.txt:2: ") != NULL);
	ck_assert(strstr(r.reps.msg[2], "/lists/sub/c.txt:2: ") != NULL);
	reports_clear(&r.reps);
	blockset_delete(r.s);
	/* an empty directory is a successful empty load */
	snprintf(r.path, sizeof(r.path), "%s/empty", tmpdir);
	r.s = load_path(r.path, 0, 5, &r.cb, &r.reps, &r.ok);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_uint_eq(r.cb.stats.files, 0);
	ck_assert_uint_eq(blockset_count(r.s), 0);
	blockset_delete(r.s);
}
END_TEST

START_TEST(test_parse_unreadable)
{
	struct load_run r;
	load_run_init(&r);
	snprintf(r.path, sizeof(r.path), "%s/missing.txt", tmpdir);
	r.s = load_path(r.path, 0, 1, &r.cb, &r.reps, &r.ok);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_int_eq(r.reps.num, 1);
	ck_assert_int_eq(r.reps.is_error[0], 1);
	assert_one_failure(&r.reps, r.path, "open", ENOENT);
	blockset_delete(r.s);
	/* the builder of r.cb is gone with the set; go on without one */
	listparse_cb_init(&r.cb, NULL, 1, 0);
	r.cb.report = collect_report;
	r.cb.report_arg = &r.reps;
	/* a file used as a directory */
	write_text("file", "x.com\n");
	snprintf(r.path, sizeof(r.path), "%s/file/sub.txt", tmpdir);
	ck_assert_int_eq(listparse_file(r.path, &r.cb), 0);
	assert_one_failure(&r.reps, r.path, "open", ENOTDIR);
	/* a directory given as a file: open works, reading does not */
	ck_assert_int_eq(listparse_file(tmpdir, &r.cb), 0);
	assert_one_failure(&r.reps, tmpdir, "read", EISDIR);
	/* a directory that fails below stops the load */
	make_dir("tree");
	write_text("tree/a.txt", "a.com\n");
	{
		char link[512];
		snprintf(link, sizeof(link), "%s/tree/b.txt", tmpdir);
		ck_assert_int_eq(symlink("/nonexistent/vpndns-check", link), 0);
		snprintf(r.path, sizeof(r.path), "%s/tree", tmpdir);
		ck_assert_int_eq(listparse_path(r.path, &r.cb), 0);
		assert_one_failure(&r.reps, link, "open", ENOENT);
	}
}
END_TEST

START_TEST(test_hosts_records)
{
	struct listparse_cb cb;
	struct reports reps;
	struct records recs;
	const uint8_t v4[] = { 192, 168, 1, 10 };
	const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1 };
	const uint8_t legacy[] = { 10, 0, 0, 1 };
	const char* path = write_text("static.txt",
		"# static records\n"
		"192.168.1.10 NAS nas.lan.  # the file server\n"
		"2001:db8::1 v6host\r\n"
		"legacy.host 10.0.0.1\n"
		"\n"
		"10.0.0.2\n"
		"not an address line\n"
		"10.0.0.3 bad!name ok.name\n"
		"127.0.0.1 localhost\n");
	memset(&reps, 0, sizeof(reps));
	memset(&recs, 0, sizeof(recs));
	recs.fail_at = -1;
	listparse_cb_init(&cb, NULL, 0, 0);
	cb.report = collect_report;
	cb.report_arg = &reps;
	ck_assert_int_eq(listparse_hosts_records(path, collect_record, &recs,
		&cb), 1);
	ck_assert_int_eq(recs.num, 6);
	ck_assert_uint_eq(cb.stats.names, 6);
	ck_assert_uint_eq(cb.stats.invalid, 3);
	ck_assert_str_eq(recs.rec[0].name, "nas");
	ck_assert_int_eq(recs.rec[0].family, AF_INET);
	ck_assert_mem_eq(recs.rec[0].addr, v4, 4);
	ck_assert_str_eq(recs.rec[1].name, "nas.lan");
	ck_assert_mem_eq(recs.rec[1].addr, v4, 4);
	ck_assert_str_eq(recs.rec[2].name, "v6host");
	ck_assert_int_eq(recs.rec[2].family, AF_INET6);
	ck_assert_mem_eq(recs.rec[2].addr, v6, 16);
	ck_assert_str_eq(recs.rec[3].name, "legacy.host");
	ck_assert_mem_eq(recs.rec[3].addr, legacy, 4);
	ck_assert_str_eq(recs.rec[4].name, "ok.name");
	/* static records keep names a blocklist ignores */
	ck_assert_str_eq(recs.rec[5].name, "localhost");
	ck_assert(reports_have(&reps, "/static.txt:6: address without names: "
		"10.0.0.2"));
	ck_assert(reports_have(&reps, "/static.txt:7: expected an IPv4 or "
		"IPv6 address and names: not an address line"));
	ck_assert(reports_have(&reps, "/static.txt:8: invalid character '!' "
		"in name: bad!name"));
	reports_clear(&reps);
	/* a failing receiver stops the load with an error */
	memset(&recs, 0, sizeof(recs));
	recs.fail_at = 1;
	ck_assert_int_eq(listparse_hosts_records(path, collect_record, &recs,
		&cb), 0);
	ck_assert_int_eq(reps.num, 1);
	ck_assert_int_eq(reps.is_error[0], 1);
	ck_assert(reports_have(&reps, "/static.txt:2: cannot store the record "
		"for nas.lan"));
	reports_clear(&reps);
	/* unreadable */
	ck_assert_int_eq(listparse_hosts_records("/nonexistent/vpndns.txt",
		collect_record, &recs, &cb), 0);
	ck_assert(reports_have(&reps,
		"/nonexistent/vpndns.txt: cannot open: "));
	reports_clear(&reps);
}
END_TEST

/** the test suite */
static Suite*
blockset_suite(void)
{
	const TTest* const set[] = { test_hash_case_and_chain,
		test_text_and_wire_agree, test_match_semantics,
		test_merge_duplicates, test_empty_set, test_malformed_names,
		test_max_length_names, test_multi_sets, test_memory_per_name,
		NULL };
	const TTest* const prop[] = { test_property_random, NULL };
	const TTest* const parse[] = { test_normalize_name,
		test_parse_line_direct, test_parse_long_lines,
		test_parse_directory, test_parse_unreadable, test_hosts_records,
		NULL };
	Suite* s = suite_create("vpndns blockset");
	TCase* tc;
	unit_tcase(s, "blockset", 120, set);
	unit_tcase(s, "property", 600, prop);
	tc = unit_tcase(s, "listparse", 120, parse);
	tcase_add_checked_fixture(tc, setup_tmpdir, teardown_tmpdir);
	tcase_add_loop_test(tc, test_parse_case, 0,
		(int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	return s;
}

/** run the suite; Check prints its summary */
int
main(void)
{
	return unit_run(blockset_suite());
}
