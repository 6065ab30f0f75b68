/*
 * test/fuzz/fuzz_list.c - fuzz target of the blocklist parsers and the
 * blockset.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The first input byte holds options (bit 0: an "exact" list; bit 1: also
 * read the text as a static-records file), the rest is a blocklist file
 * in any mix of the formats listparse.h lists: plain names, "*.name",
 * hosts lines, AdBlock rules, comments.
 *
 * Every line goes through listparse_line into a blockset builder.  The
 * target links with --wrap=blockset_builder_add_text, so it sees every
 * entry the parser hands to the builder and keeps a naive reference set
 * of them.  Checked on every input:
 *  - every entry is a normalised name (lower case [a-z0-9_-] labels of
 *    1..63 characters, at most 253 in all) with the flags the list's
 *    options allow, and the parser's counts match the entries;
 *  - the same text read as a file (listparse_file: getline, a UTF-8
 *    BOM) gives the same entries and counts;
 *  - the built set holds as many names as the reference has distinct
 *    ones, and blockset_lookup agrees with the reference on every entry,
 *    on its parents and children, in upper case, and on a name built
 *    from the input bytes: verdict, list id and labels stripped;
 *  - a set built from the wire format of the same names
 *    (blockset_builder_add_wire) gives the same verdicts;
 *  - as a static-records file (listparse_hosts_records) every record is
 *    a normalised name that sldns_str2wire_dname accepts, with an IPv4
 *    or IPv6 address.
 */
#include "config.h"
#include <ctype.h>
#include <sys/socket.h>
#include "fuzz_util.h"
#include "../unit/testutil.h"
#include "vpndns/blockset.h"
#include "vpndns/listparse.h"
#include "sldns/str2wire.h"

/** list id given to the entries */
#define LIST_ID 7
/** most labels handled in reference lookups */
#define MAX_LABELS 128

/** One entry seen by the wrapper. */
struct ref_entry {
	/** the name as the parser gave it */
	char* name;
	/** its flags */
	uint8_t flags;
};

/** The entries of one parse. */
struct ref_set {
	/** the entries */
	struct ref_entry* e;
	/** number of entries */
	size_t num;
	/** room */
	size_t cap;
};

/** where the wrapper records, NULL to record nothing */
static struct ref_set* recording = NULL;

int __real_blockset_builder_add_text(struct blockset_builder* b,
	const char* name, uint8_t flags, uint16_t list_id);
int __wrap_blockset_builder_add_text(struct blockset_builder* b,
	const char* name, uint8_t flags, uint16_t list_id);
int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/** Is the text a normalised name, as listparse promises? */
static int
name_normalised(const char* name)
{
	size_t len = strlen(name), lab = 0, i;
	if(len == 0 || len > 253)
		return 0;
	for(i = 0; i < len; i++) {
		char c = name[i];
		if(c == '.') {
			if(lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if(!(islower((unsigned char)c) || isdigit((unsigned char)c) ||
			c == '-' || c == '_'))
			return 0;
		if(++lab > 63)
			return 0;
	}
	return lab > 0;
}

int
__wrap_blockset_builder_add_text(struct blockset_builder* b,
	const char* name, uint8_t flags, uint16_t list_id)
{
	FUZZ_CHECK(name_normalised(name), "entry '%s' is not normalised",
		name);
	FUZZ_CHECK(list_id == LIST_ID, "list id %u", (unsigned)list_id);
	if(recording) {
		struct ref_set* r = recording;
		if(r->num == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			if(!(r->e = realloc(r->e, r->cap * sizeof(*r->e))))
				abort();
		}
		if(!(r->e[r->num].name = strdup(name)))
			abort();
		r->e[r->num].flags = flags;
		r->num++;
	}
	return __real_blockset_builder_add_text(b, name, flags, list_id);
}

int
LLVMFuzzerInitialize(int* ATTR_UNUSED(argc), char*** ATTR_UNUSED(argv))
{
	fuzz_quiet_logs();
	return 0;
}

/** Count the reports instead of logging them. */
static void
count_report(void* arg, int is_error, const char* msg)
{
	FUZZ_CHECK(!is_error, "error on an in-memory parse: %s", msg);
	FUZZ_CHECK(strlen(msg) < 1024, "long report");
	(*(size_t*)arg)++;
}

/** Free the entries. */
static void
ref_clear(struct ref_set* r)
{
	size_t i;
	for(i = 0; i < r->num; i++)
		free(r->e[i].name);
	free(r->e);
	memset(r, 0, sizeof(*r));
}

/** qsort/bsearch by name */
static int
ref_cmp(const void* a, const void* b)
{
	return strcmp(((const struct ref_entry*)a)->name,
		((const struct ref_entry*)b)->name);
}

/** Sort by name and merge the flags of equal names; return distinct. */
static size_t
ref_merge(struct ref_set* r)
{
	size_t i, n = 0;
	if(r->num > 1)
		qsort(r->e, r->num, sizeof(*r->e), ref_cmp);
	for(i = 0; i < r->num; i++) {
		if(n > 0 && strcmp(r->e[n-1].name, r->e[i].name) == 0) {
			r->e[n-1].flags |= r->e[i].flags;
			free(r->e[i].name);
			continue;
		}
		r->e[n++] = r->e[i];
	}
	r->num = n;
	return n;
}

/** The flags of a name in the merged reference, 0 if absent. */
static uint8_t
ref_flags(struct ref_set* r, const char* name)
{
	struct ref_entry key, *f;
	if(r->num == 0)
		return 0;
	key.name = (char*)name;
	f = bsearch(&key, r->e, r->num, sizeof(*r->e), ref_cmp);
	return f ? f->flags : 0;
}

/** The reference lookup of a wire name, as blockset.h defines it. */
static enum blockset_verdict
ref_lookup(struct ref_set* r, const uint8_t* wire, size_t len,
	int* stripped)
{
	size_t offs[MAX_LABELS];
	char text[LDNS_MAX_DOMAINLEN + 1];
	size_t pos = 0, i;
	int n = 0, block = -1, k;
	/* malformed names (no root label within len and 255 bytes, a label
	 * over 63, compression) are not looked up */
	while(1) {
		if(pos >= len || pos >= LDNS_MAX_DOMAINLEN)
			return BLOCKSET_NONE;
		if(wire[pos] == 0)
			break;
		if(wire[pos] > 63 || n == MAX_LABELS)
			return BLOCKSET_NONE;
		offs[n++] = pos;
		pos += (size_t)wire[pos] + 1;
	}
	for(k = 0; k < n; k++) {
		size_t t = 0;
		uint8_t fl;
		for(i = offs[k]; i < pos; i += (size_t)wire[i] + 1) {
			size_t j;
			if(t)
				text[t++] = '.';
			for(j = 0; j < wire[i]; j++) {
				char c = (char)tolower(wire[i+1+j]);
				/* a dot or NUL inside a label is no name
				 * an entry can have */
				text[t++] = (c == '.' || c == 0) ? 1 : c;
			}
		}
		text[t] = 0;
		fl = ref_flags(r, text);
		if(fl & (k == 0 ? BS_ALLOW_EXACT : BS_ALLOW_SUB)) {
			*stripped = k;
			return BLOCKSET_ALLOWED;
		}
		if(block < 0 && (fl & (k == 0 ? BS_BLOCK_EXACT : BS_BLOCK_SUB)))
			block = k;
	}
	if(block < 0)
		return BLOCKSET_NONE;
	*stripped = block;
	return BLOCKSET_BLOCKED;
}

/** Check one wire name against the sets and the reference. */
static void
check_name(struct ref_set* r, struct blockset* s, struct blockset* sw,
	const uint8_t* wire, size_t len)
{
	struct blockset_result res, resw;
	int stripped = 0;
	enum blockset_verdict want = ref_lookup(r, wire, len, &stripped);
	enum blockset_verdict got = blockset_lookup(s, wire, len, &res);
	FUZZ_CHECK(got == res.verdict, "return %d, result %d", (int)got,
		(int)res.verdict);
	FUZZ_CHECK(got == want, "lookup %d, reference %d (name of %u bytes)",
		(int)got, (int)want, (unsigned)len);
	if(got != BLOCKSET_NONE) {
		FUZZ_CHECK(res.list_id == LIST_ID && res.set_index == 0,
			"list %u set %d", (unsigned)res.list_id, res.set_index);
		FUZZ_CHECK(res.labels_stripped == stripped,
			"stripped %d, reference %d", res.labels_stripped,
			stripped);
	} else
		FUZZ_CHECK(res.list_id == 0 && res.labels_stripped == 0,
			"NONE with list %u", (unsigned)res.list_id);
	FUZZ_CHECK(blockset_lookup(sw, wire, len, &resw) == got &&
		resw.labels_stripped == res.labels_stripped,
		"wire-built set differs: %d", (int)resw.verdict);
}

/** Check the set on every entry and names around it. */
static void
check_set(struct ref_set* r, struct blockset* s, struct blockset* sw,
	const uint8_t* data, size_t size)
{
	uint8_t wire[LDNS_MAX_DOMAINLEN + 8], tmp[LDNS_MAX_DOMAINLEN + 8];
	size_t i, len, j;
	for(i = 0; i < r->num; i++) {
		if(!(len = name_to_wire(r->e[i].name, wire, sizeof(wire))))
			continue;
		check_name(r, s, sw, wire, len);
		/* a child, and the name upper case */
		if(len + 2 <= LDNS_MAX_DOMAINLEN) {
			tmp[0] = 1;
			tmp[1] = 'X';
			memcpy(tmp + 2, wire, len);
			check_name(r, s, sw, tmp, len + 2);
		}
		for(j = 0; j < len; j++)
			tmp[j] = (uint8_t)toupper(wire[j]);
		/* length bytes are at most 63, not letters */
		check_name(r, s, sw, tmp, len);
		/* the parent */
		if(wire[0] && (size_t)wire[0] + 1 < len)
			check_name(r, s, sw, wire + wire[0] + 1,
				len - wire[0] - 1);
	}
	/* the input bytes as a wire name: malformed ones must be NONE */
	check_name(r, s, sw, data, size);
}

/** Parse the text line by line into a builder. */
static void
parse_lines(const uint8_t* text, size_t size, int exact,
	struct blockset_builder* b, struct listparse_stats* st,
	size_t* reports)
{
	struct listparse_cb cb;
	size_t pos = 0;
	listparse_cb_init(&cb, b, LIST_ID, exact);
	cb.report = count_report;
	cb.report_arg = reports;
	while(pos < size) {
		const uint8_t* nl = memchr(text + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (text + pos)) + 1 : size - pos;
		cb.line++;
		FUZZ_CHECK(listparse_line((const char*)text + pos, len, &cb),
			"listparse_line failed");
		pos += len;
	}
	*st = cb.stats;
}

/** Compare two recorded parses entry by entry. */
static void
compare_entries(struct ref_set* a, struct ref_set* b)
{
	size_t i;
	FUZZ_CHECK(a->num == b->num, "line parse %u entries, file %u",
		(unsigned)a->num, (unsigned)b->num);
	for(i = 0; i < a->num; i++)
		FUZZ_CHECK(strcmp(a->e[i].name, b->e[i].name) == 0 &&
			a->e[i].flags == b->e[i].flags, "entry %u differs",
			(unsigned)i);
}

/** Receives static records. */
static int
check_record(void* arg, const char* name, int family, const uint8_t* addr)
{
	size_t len;
	uint8_t* wire;
	(void)addr;
	FUZZ_CHECK(name_normalised(name), "record name '%s'", name);
	FUZZ_CHECK(family == AF_INET || family == AF_INET6, "family %d",
		family);
	wire = sldns_str2wire_dname(name, &len);
	FUZZ_CHECK(wire != NULL, "record name '%s' is no dname", name);
	free(wire);
	(*(size_t*)arg)++;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	struct ref_set lines, file;
	struct listparse_stats st, fst;
	struct listparse_cb cb;
	struct blockset_builder* b, *bw;
	struct blockset* s, *sw;
	size_t reports = 0, freports = 0, records = 0, distinct, i;
	int exact, bom;
	const uint8_t* text;
	if(size < 1)
		return 0;
	exact = data[0] & 1;
	text = data + 1;
	size--;
	memset(&lines, 0, sizeof(lines));
	memset(&file, 0, sizeof(file));

	/* line by line */
	if(!(b = blockset_builder_create()))
		abort();
	recording = &lines;
	parse_lines(text, size, exact, b, &st, &reports);
	recording = NULL;
	FUZZ_CHECK(st.names + st.allows == lines.num,
		"%u names + %u allows, %u entries", (unsigned)st.names,
		(unsigned)st.allows, (unsigned)lines.num);
	FUZZ_CHECK(st.invalid == reports, "%u invalid, %u reports",
		(unsigned)st.invalid, (unsigned)reports);
	for(i = 0; i < lines.num; i++) {
		uint8_t f = lines.e[i].flags;
		FUZZ_CHECK(f == BS_BLOCK_SUB || f == (exact ? BS_BLOCK_EXACT :
			BS_BLOCK_DEFAULT) || f == (exact ? BS_ALLOW_EXACT :
			BS_ALLOW_DEFAULT), "flags 0x%x (exact %d)", f, exact);
	}

	/* the same text as a file */
	if(!(bw = blockset_builder_create()))
		abort();
	listparse_cb_init(&cb, NULL, LIST_ID, exact);
	cb.report = count_report;
	cb.report_arg = &freports;
	cb.builder = bw;
	recording = &file;
	FUZZ_CHECK(listparse_file(fuzz_memfile(0, text, size), &cb),
		"listparse_file failed");
	recording = NULL;
	fst = cb.stats;
	FUZZ_CHECK(fst.files == 1, "files %u", (unsigned)fst.files);
	bom = size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0;
	if(!bom) {
		compare_entries(&lines, &file);
		FUZZ_CHECK(fst.names == st.names && fst.allows == st.allows &&
			fst.skipped == st.skipped && fst.invalid == st.invalid,
			"file counts differ from line counts");
	}
	blockset_builder_delete(bw);

	/* build, from text and from wire format */
	if(!(bw = blockset_builder_create()))
		abort();
	for(i = 0; i < lines.num; i++) {
		uint8_t wire[LDNS_MAX_DOMAINLEN + 8];
		size_t len = name_to_wire(lines.e[i].name, wire, sizeof(wire));
		FUZZ_CHECK(len > 1 && len <= 255, "wire length %u of %s",
			(unsigned)len, lines.e[i].name);
		FUZZ_CHECK(blockset_builder_add_wire(bw, wire, len,
			lines.e[i].flags, LIST_ID), "add_wire %s",
			lines.e[i].name);
	}
	FUZZ_CHECK(blockset_builder_count(b) == lines.num, "builder count");
	s = blockset_builder_finish(b);
	sw = blockset_builder_finish(bw);
	FUZZ_CHECK(s && sw, "finish failed");
	distinct = ref_merge(&lines);
	FUZZ_CHECK(blockset_count(s) == distinct && blockset_count(sw) ==
		distinct, "set holds %u names, reference %u",
		(unsigned)blockset_count(s), (unsigned)distinct);
	FUZZ_CHECK(blockset_get_mem(s) > 0, "mem");
	check_set(&lines, s, sw, text, size);
	blockset_delete(s);
	blockset_delete(sw);

	/* as a static-records file */
	if(data[0] & 2) {
		listparse_cb_init(&cb, NULL, 0, 0);
		cb.report = count_report;
		cb.report_arg = &freports;
		FUZZ_CHECK(listparse_hosts_records(fuzz_memfile(0, text, size),
			check_record, &records, &cb), "hosts_records failed");
		FUZZ_CHECK(cb.stats.names == records, "records %u, names %u",
			(unsigned)records, (unsigned)cb.stats.names);
	}
	ref_clear(&lines);
	ref_clear(&file);
	return 0;
}
