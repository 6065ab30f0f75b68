/*
 * vpndns/listparse.c - parsers for blocklist files.
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
 * Parsers for blocklist files and static-record files.  Lines are handled
 * as (pointer, length) spans, never NUL-terminated copies, so a line can be
 * of any length and a NUL byte in it is just an invalid character.
 */
#include "config.h"
#include "vpndns/listparse.h"
#include "vpndns/blockset.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/** longest report message; longer ones are cut */
#define REPORT_BUFSIZE 1024
/** most characters of an invalid line quoted in its report */
#define SHOWN_TEXT_MAX 80
/** longest name text */
#define NAME_MAX_TEXT 253
/** longest label */
#define LABEL_MAX 63
/** longest text that can be an address, with an IPv6 zone */
#define ADDR_TEXT_BUFSIZE 64
/** the UTF-8 byte order mark some editors put at the start of a file */
#define UTF8_BOM "\xef\xbb\xbf"

/**
 * A piece of a line: not NUL-terminated.
 */
struct span {
	/** start of the text */
	const char* p;
	/** length of the text */
	size_t len;
};

/**
 * Where the records of listparse_hosts_records go.
 */
struct record_target {
	/** receives each record */
	listparse_record_func_type* func;
	/** passed to func */
	void* arg;
};

/**
 * Handles one line of a file.
 * @param line: the line, with its line end.
 * @param len: its length.
 * @param cb: counts and reporting.
 * @param arg: handler specific.
 * @return 0 on a fatal error, which stops the file.
 */
typedef int line_func_type(const char* line, size_t len,
	struct listparse_cb* cb, void* arg);

/** character class of whitespace that separates fields */
#define CC_SPACE 0x01
/** character class of '#': a comment, or part of a cosmetic rule */
#define CC_HASH 0x02
/** character class of URL and AdBlock syntax: '/', '^', '$' */
#define CC_URL 0x04

/** per byte value its CC_* classes; a line is classified in one pass,
 * since a million-line list must load in well under a second */
static const uint8_t char_classes[256] = {
	[' '] = CC_SPACE, ['\t'] = CC_SPACE, ['\r'] = CC_SPACE,
	['\n'] = CC_SPACE, ['\v'] = CC_SPACE, ['\f'] = CC_SPACE,
	['#'] = CC_HASH, ['/'] = CC_URL, ['^'] = CC_URL, ['$'] = CC_URL
};

/** the names on hosts lines that are not blocklist entries */
static const char* const hosts_non_entries[] = {
	"localhost", "localhost.localdomain", "local", "broadcasthost",
	"localhost4", "localhost4.localdomain4", "localhost6",
	"localhost6.localdomain6", NULL
};

/** the markers of AdBlock cosmetic (element hiding, CSS, script) rules */
static const char* const cosmetic_markers[] = {
	"##", "#@#", "#?#", "#@?#", "#$#", "#@$#", "#%#", "#@%#", NULL
};

void
listparse_cb_init(struct listparse_cb* cb, struct blockset_builder* builder,
	uint16_t list_id, int exact_only)
{
	memset(cb, 0, sizeof(*cb));
	cb->builder = builder;
	cb->list_id = list_id;
	cb->exact_only = exact_only;
	cb->file = "(line)";
}

/**
 * Deliver a report to the callback, or to the log if there is none.
 * @param cb: reporting setup.
 * @param is_error: 1 for an error that stops the load, 0 for a warning.
 * @param format: printf format of the message.
 */
static void report_msg(struct listparse_cb* cb, int is_error,
	const char* format, ...) ATTR_FORMAT(printf, 3, 4);

static void
report_msg(struct listparse_cb* cb, int is_error, const char* format, ...)
{
	char msg[REPORT_BUFSIZE];
	va_list args;
	va_start(args, format);
	vsnprintf(msg, sizeof(msg), format, args);
	va_end(args);
	if(cb->report)
		cb->report(cb->report_arg, is_error, msg);
	else if(is_error)
		log_err("%s", msg);
	else	log_warn("%s", msg);
}

/**
 * Quote text for a report: printable ASCII as is, other bytes as \xNN, so
 * that a broken line cannot garble the log; long text is cut with "...".
 * @param text: the text.
 * @param buf: output buffer.
 * @param size: its size; SHOWN_TEXT_MAX*4+4 holds every result.
 */
static void
show_text(struct span text, char* buf, size_t size)
{
	size_t i, used = 0;
	for(i = 0; i < text.len && i < SHOWN_TEXT_MAX; i++) {
		uint8_t c = (uint8_t)text.p[i];
		if(used + 5 > size)
			break;
		if(c >= 0x20 && c < 0x7f)
			buf[used++] = (char)c;
		else	used += (size_t)snprintf(buf + used, size - used,
				"\\x%02x", c);
	}
	if(i < text.len && used + 4 <= size) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used] = 0;
}

/**
 * Report and count an invalid line or name.
 * @param cb: reporting setup and counts.
 * @param reason: why it is invalid.
 * @param text: the offending text, quoted in the report.
 */
static void
report_invalid(struct listparse_cb* cb, const char* reason, struct span text)
{
	char shown[SHOWN_TEXT_MAX * 4 + 4];
	show_text(text, shown, sizeof(shown));
	cb->stats.invalid++;
	report_msg(cb, 0, "%s:%lu: %s: %s", cb->file, (unsigned long)cb->line,
		reason, shown);
}

/** true for the whitespace that separates fields */
static int
is_space(char c)
{
	return (char_classes[(uint8_t)c] & CC_SPACE) != 0;
}

/** the CC_* classes of all characters in the span, OR-ed */
static uint8_t
span_classes(struct span s)
{
	uint8_t classes = 0;
	size_t i;
	for(i = 0; i < s.len; i++)
		classes |= char_classes[(uint8_t)s.p[i]];
	return classes;
}

/** make a span */
static struct span
make_span(const char* p, size_t len)
{
	struct span s;
	s.p = p;
	s.len = len;
	return s;
}

/** the span without whitespace (and CR/LF) at either end */
static struct span
trim(struct span s)
{
	while(s.len > 0 && is_space(s.p[0])) {
		s.p++;
		s.len--;
	}
	while(s.len > 0 && is_space(s.p[s.len - 1]))
		s.len--;
	return s;
}

/** the span without its first n characters */
static struct span
skip(struct span s, size_t n)
{
	return make_span(s.p + n, s.len - n);
}

/** true if the span starts with the NUL-terminated prefix */
static int
starts_with(struct span s, const char* prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

/** true if the span equals the NUL-terminated string */
static int
span_equals(struct span s, const char* str)
{
	return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

/** true if the span contains any of the characters in set */
static int
contains_any(struct span s, const char* set)
{
	for(; *set; set++)
		if(s.len > 0 && memchr(s.p, *set, s.len))
			return 1;
	return 0;
}

/**
 * Take the next whitespace-separated field.
 * @param rest: text left; advanced past the field.
 * @param field: set to the field.
 * @return 0 if there is no field left.
 */
static int
next_field(struct span* rest, struct span* field)
{
	size_t n = 0;
	*rest = trim(*rest);
	if(rest->len == 0)
		return 0;
	while(n < rest->len && !is_space(rest->p[n]))
		n++;
	*field = make_span(rest->p, n);
	*rest = skip(*rest, n);
	return 1;
}

/** true if a cosmetic-rule marker starts at position i of s */
static int
cosmetic_marker_at(struct span s, size_t i)
{
	int m;
	for(m = 0; cosmetic_markers[m]; m++)
		if(starts_with(skip(s, i), cosmetic_markers[m]))
			return 1;
	return 0;
}

/**
 * Cut a trailing comment: a '#' at the start of a field, or any other '#'
 * that does not start a cosmetic marker.
 * @param s: the line, trimmed.
 * @param cosmetic: set to 1 if the line is an AdBlock cosmetic rule, such
 *	as "example.com##.banner", else 0.
 * @return the line without the comment, trimmed.
 */
static struct span
cut_comment(struct span s, int* cosmetic)
{
	size_t i;
	*cosmetic = 0;
	for(i = 0; i < s.len; i++) {
		if(s.p[i] != '#')
			continue;
		if(i > 0 && !is_space(s.p[i-1]) && cosmetic_marker_at(s, i)) {
			*cosmetic = 1;
			return s;
		}
		return trim(make_span(s.p, i));
	}
	return s;
}

/**
 * Parse an IPv4 or IPv6 address.  An IPv6 zone ("%eth0") is ignored.
 * @param text: the field.
 * @param family: set to AF_INET or AF_INET6.
 * @param addr: set to the address; 16 bytes.
 * @return 0 if the field is not an address.
 */
static int
parse_addr(struct span text, int* family, uint8_t* addr)
{
	char buf[ADDR_TEXT_BUFSIZE];
	char* zone;
	if(text.len == 0 || text.len >= sizeof(buf))
		return 0;
	/* most fields are names; an address starts with a digit or has a
	 * colon, so the others need not be tried */
	if(!(text.p[0] >= '0' && text.p[0] <= '9') &&
		!memchr(text.p, ':', text.len))
		return 0;
	memcpy(buf, text.p, text.len);
	buf[text.len] = 0;
	if(inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return 1;
	}
	if((zone = strchr(buf, '%')) != NULL)
		*zone = 0;
	if(inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		return 1;
	}
	return 0;
}

/** true if the field is an address */
static int
is_addr(struct span text)
{
	uint8_t addr[16];
	int family;
	return parse_addr(text, &family, addr);
}

/** per byte value: the byte lower-cased if a name may hold it
 * ([a-zA-Z0-9-_] and the dot), else 0; a table, as the branches of the
 * comparisons mispredict on random names */
static const char name_chars[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x08 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x18 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x28 */ 0, 0, 0, 0, 0, 0x2d, 0x2e, 0,
	/* 0x30 */ 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	/* 0x38 */ 0x38, 0x39, 0, 0, 0, 0, 0, 0,
	/* 0x40 */ 0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
	/* 0x48 */ 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	/* 0x50 */ 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	/* 0x58 */ 0x78, 0x79, 0x7a, 0, 0, 0, 0, 0x5f,
	/* 0x60 */ 0, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
	/* 0x68 */ 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	/* 0x70 */ 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	/* 0x78 */ 0x78, 0x79, 0x7a, 0, 0, 0, 0, 0,
	/* 0x80-0xff: 0, not ASCII */
};

/** set the reason for an invalid character */
static void
bad_char_reason(char c, char* reason)
{
	if(c > 0x20 && c < 0x7f)
		snprintf(reason, LISTPARSE_REASON_BUFSIZE,
			"invalid character '%c' in name", c);
	else	snprintf(reason, LISTPARSE_REASON_BUFSIZE,
			"invalid character 0x%02x in name",
			(unsigned)(uint8_t)c);
}

/** set a fixed reason; return 0 for the invalid result */
static int
fail_reason(char* reason, const char* text)
{
	snprintf(reason, LISTPARSE_REASON_BUFSIZE, "%s", text);
	return 0;
}

/** true if the text holds a byte outside ASCII */
static int
has_non_ascii(const char* text, size_t len)
{
	size_t i;
	for(i = 0; i < len; i++)
		if((uint8_t)text[i] >= 0x80)
			return 1;
	return 0;
}

/**
 * Set the reason a name is invalid, unless it holds non-ASCII bytes: that
 * is then the likely cause, and the other checks would only blame a byte
 * of its UTF-8.
 * @param name: the name.
 * @param len: its length.
 * @param reason: receives the reason.
 * @param other: the reason if the name is ASCII; may be reason itself.
 * @return 0 for the invalid result.
 */
static int
bad_name_reason(const char* name, size_t len, char* reason,
	const char* other)
{
	if(has_non_ascii(name, len))
		return fail_reason(reason,
			"non-ASCII name, use punycode (IDNA)");
	if(other != reason)
		return fail_reason(reason, other);
	return 0;
}

int
listparse_normalize_name(const char* name, size_t len, char* out,
	char* reason)
{
	size_t i, label_len = 0;
	if(len > 0 && name[len-1] == '.')
		len--;
	if(len == 0)
		return fail_reason(reason, "empty name");
	if(len > NAME_MAX_TEXT)
		return bad_name_reason(name, len, reason,
			"name longer than 253 characters");
	for(i = 0; i < len; i++) {
		char c = name_chars[(uint8_t)name[i]];
		if(c == '.') {
			if(label_len == 0)
				return bad_name_reason(name, len, reason,
					"empty label in name");
			label_len = 0;
		} else if(c == 0) {
			bad_char_reason(name[i], reason);
			return bad_name_reason(name, len, reason, reason);
		} else if(++label_len > LABEL_MAX)
			return bad_name_reason(name, len, reason,
				"label longer than 63 characters");
		out[i] = c;
	}
	if(label_len == 0)
		return bad_name_reason(name, len, reason,
			"empty label in name");
	out[len] = 0;
	return 1;
}

/** the flags of a block entry of this list */
static uint8_t
block_flags(struct listparse_cb* cb)
{
	return cb->exact_only ? BS_BLOCK_EXACT : BS_BLOCK_DEFAULT;
}

/** the flags of an allow entry of this list */
static uint8_t
allow_flags(struct listparse_cb* cb)
{
	return cb->exact_only ? BS_ALLOW_EXACT : BS_ALLOW_DEFAULT;
}

/**
 * Count a normalised name and add it to the builder, if there is one.
 * @param cb: destination and counts.
 * @param name: normalised name.
 * @param flags: its flags.
 * @return 0 on malloc failure, reported.
 */
static int
add_normalized(struct listparse_cb* cb, const char* name, uint8_t flags)
{
	if(cb->builder && !blockset_builder_add_text(cb->builder, name, flags,
		cb->list_id)) {
		report_msg(cb, 1, "%s:%lu: out of memory", cb->file,
			(unsigned long)cb->line);
		return 0;
	}
	if(flags & (BS_ALLOW_EXACT|BS_ALLOW_SUB))
		cb->stats.allows++;
	else	cb->stats.names++;
	return 1;
}

/**
 * Check a name field and add it; report it if invalid.
 * @param cb: destination, counts and reporting.
 * @param field: the name as written.
 * @param flags: its flags.
 * @return 0 on malloc failure; 1 otherwise, also for an invalid name.
 */
static int
add_name(struct listparse_cb* cb, struct span field, uint8_t flags)
{
	char name[LISTPARSE_NAME_BUFSIZE], reason[LISTPARSE_REASON_BUFSIZE];
	if(!listparse_normalize_name(field.p, field.len, name, reason)) {
		report_invalid(cb, reason, field);
		return 1;
	}
	return add_normalized(cb, name, flags);
}

/** true if the normalised name is one hosts files list for the system */
static int
is_hosts_non_entry(const char* name)
{
	int i;
	/* ip6-localhost, ip6-allnodes and the like, but not a domain such
	 * as ip6-tracker.example.com */
	if(strncmp(name, "ip6-", 4) == 0 && !strchr(name, '.'))
		return 1;
	for(i = 0; hosts_non_entries[i]; i++)
		if(strcmp(name, hosts_non_entries[i]) == 0)
			return 1;
	return 0;
}

/**
 * Add the names of a hosts line, after its address.
 * @param cb: destination, counts and reporting.
 * @param line: the whole line without comment, for reports.
 * @param rest: the fields after the address.
 * @return 0 on malloc failure.
 */
static int
hosts_line(struct listparse_cb* cb, struct span line, struct span rest)
{
	struct span field;
	char name[LISTPARSE_NAME_BUFSIZE], reason[LISTPARSE_REASON_BUFSIZE];
	int fields = 0;
	while(next_field(&rest, &field)) {
		fields++;
		/* "0.0.0.0 0.0.0.0" and the like are not names */
		if(is_addr(field))
			continue;
		if(!listparse_normalize_name(field.p, field.len, name,
			reason)) {
			report_invalid(cb, reason, field);
			continue;
		}
		if(is_hosts_non_entry(name))
			continue;
		if(!add_normalized(cb, name, block_flags(cb)))
			return 0;
	}
	if(fields == 0)
		report_invalid(cb, "address without names", line);
	return 1;
}

/** true if the AdBlock modifiers (after '$') are all ones we honour */
static int
modifiers_supported(struct span mods)
{
	size_t start = 0, i;
	for(i = 0; i <= mods.len; i++) {
		if(i < mods.len && mods.p[i] != ',')
			continue;
		if(!span_equals(make_span(mods.p + start, i - start),
			"important"))
			return 0;
		start = i + 1;
	}
	return 1;
}

/**
 * Parse an AdBlock-style rule: "||name^", "@@||name^", with an optional
 * "$important".  Other rules are counted as skipped.
 * @param cb: destination, counts and reporting.
 * @param line: the rule, trimmed.
 * @return 0 on malloc failure.
 */
static int
adblock_line(struct listparse_cb* cb, struct span line)
{
	struct span rule = line, domain;
	size_t n = 0;
	int allow = 0;
	if(starts_with(rule, "@@")) {
		allow = 1;
		rule = skip(rule, 2);
	}
	if(!starts_with(rule, "||")) {
		/* "|http://...", "/regex/", "@@/path" */
		cb->stats.skipped++;
		return 1;
	}
	rule = skip(rule, 2);
	while(n < rule.len && rule.p[n] != '^' && rule.p[n] != '$' &&
		!is_space(rule.p[n]))
		n++;
	domain = make_span(rule.p, n);
	rule = skip(rule, n);
	/* URL paths, ports, queries and patterns are not DNS rules */
	if(contains_any(domain, "/:?*|=&,;")) {
		cb->stats.skipped++;
		return 1;
	}
	if(starts_with(rule, "^")) {
		rule = skip(rule, 1);
		if(starts_with(rule, "|"))
			rule = skip(rule, 1);
	}
	if(starts_with(rule, "$")) {
		size_t m = 1;
		while(m < rule.len && !is_space(rule.p[m]))
			m++;
		if(!modifiers_supported(make_span(rule.p + 1, m - 1))) {
			cb->stats.skipped++;
			return 1;
		}
		rule = skip(rule, m);
	}
	/* a "# comment" may follow; rule.p is past the "||", so the
	 * character before it is in the line */
	rule = trim(rule);
	if(rule.len != 0 && !(rule.p[0] == '#' && is_space(rule.p[-1]))) {
		report_invalid(cb, "unexpected text after rule", line);
		return 1;
	}
	return add_name(cb, domain, allow ? allow_flags(cb) : block_flags(cb));
}

/**
 * Parse a line holding a single name or "*.name".
 * @param cb: destination, counts and reporting.
 * @param line: the line without comment, trimmed.
 * @param field: its first field, the name.
 * @param rest: what follows the name.
 * @return 0 on malloc failure.
 */
static int
plain_line(struct listparse_cb* cb, struct span line, struct span field,
	struct span rest)
{
	if(trim(rest).len != 0) {
		report_invalid(cb, "unexpected text after name", line);
		return 1;
	}
	if(starts_with(field, "*.") && !memchr(field.p + 2, '*', field.len - 2))
		return add_name(cb, skip(field, 2), BS_BLOCK_SUB);
	if(memchr(field.p, '*', field.len)) {
		report_invalid(cb, "wildcard only allowed as a leading '*.'",
			line);
		return 1;
	}
	return add_name(cb, field, block_flags(cb));
}

/** true for a line that is only an AdBlock list header: "[Adblock...]" */
static int
is_list_header(struct span s)
{
	return s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']';
}

int
listparse_line(const char* line, size_t len, struct listparse_cb* cb)
{
	struct span s = trim(make_span(line, len)), rest, field;
	uint8_t classes;
	int cosmetic = 0;
	if(s.len == 0 || s.p[0] == '#' || s.p[0] == '!' || is_list_header(s))
		return 1;
	if(s.p[0] == '|' || s.p[0] == '/' || starts_with(s, "@@"))
		return adblock_line(cb, s);
	classes = span_classes(s);
	if(classes & CC_HASH) {
		s = cut_comment(s, &cosmetic);
		classes = span_classes(s);
	}
	/* cosmetic rules, and URL or pattern rules without a leading "||",
	 * such as "example.com^" or "/ads/banner", are not DNS rules */
	if(cosmetic || (classes & CC_URL)) {
		cb->stats.skipped++;
		return 1;
	}
	rest = s;
	if(!next_field(&rest, &field))
		return 1;
	if(is_addr(field))
		return hosts_line(cb, s, rest);
	return plain_line(cb, s, field, rest);
}

/**
 * Read a file line by line.
 * @param path: the file.
 * @param cb: counts and reporting; its file and line are set while
 *	reading and restored after.
 * @param func: called for each line.
 * @param arg: passed to func.
 * @return 0 if the file could not be read or func failed.
 */
static int
read_lines(const char* path, struct listparse_cb* cb, line_func_type* func,
	void* arg)
{
	const char* outer_file = cb->file;
	size_t outer_line = cb->line, bufsize = 0;
	char* buf = NULL;
	ssize_t n;
	int ok = 1;
	FILE* in = fopen(path, "r");
	if(!in) {
		report_msg(cb, 1, "%s: cannot open: %s", path, strerror(errno));
		return 0;
	}
	cb->file = path;
	cb->line = 0;
	/* getline grows the buffer as needed: no line is ever cut */
	while(ok && (n = getline(&buf, &bufsize, in)) != -1) {
		const char* text = buf;
		cb->line++;
		if(cb->line == 1 && n >= 3 && memcmp(buf, UTF8_BOM, 3) == 0) {
			text += 3;
			n -= 3;
		}
		ok = func(text, (size_t)n, cb, arg);
	}
	if(ok && ferror(in)) {
		report_msg(cb, 1, "%s: cannot read: %s", path, strerror(errno));
		ok = 0;
	}
	if(ok)
		cb->stats.files++;
	free(buf);
	fclose(in);
	cb->file = outer_file;
	cb->line = outer_line;
	return ok;
}

/** read_lines handler for blocklist lines */
static int
blocklist_line(const char* line, size_t len, struct listparse_cb* cb,
	void* ATTR_UNUSED(arg))
{
	return listparse_line(line, len, cb);
}

int
listparse_file(const char* path, struct listparse_cb* cb)
{
	return read_lines(path, cb, blocklist_line, NULL);
}

/** qsort comparison of directory entry names, by byte value */
static int
compare_names(const void* a, const void* b)
{
	return strcmp(*(char* const*)a, *(char* const*)b);
}

/** free a list of names */
static void
free_names(char** names, size_t num)
{
	size_t i;
	for(i = 0; i < num; i++)
		free(names[i]);
	free(names);
}

/**
 * Append a copy of a name to a list.
 * @param names: the list, reallocated as it grows.
 * @param num: number of names in it, incremented.
 * @param cap: room in the list, updated.
 * @param name: the name to copy.
 * @return 0 on malloc failure.
 */
static int
append_name(char*** names, size_t* num, size_t* cap, const char* name)
{
	char* copy;
	if(*num == *cap) {
		size_t newcap = *cap ? *cap * 2 : 16;
		char** grown = (char**)realloc(*names, newcap * sizeof(char*));
		if(!grown)
			return 0;
		*names = grown;
		*cap = newcap;
	}
	if(!(copy = strdup(name)))
		return 0;
	(*names)[(*num)++] = copy;
	return 1;
}

/**
 * List the entries of a directory that do not start with '.', sorted.
 * @param path: the directory.
 * @param cb: reporting.
 * @param names: set to the sorted list, to be freed with free_names.
 * @param num: set to the number of entries.
 * @return 0 on failure, reported.
 */
static int
list_dir(const char* path, struct listparse_cb* cb, char*** names,
	size_t* num)
{
	size_t cap = 0;
	struct dirent* ent;
	int ok = 1;
	DIR* dir = opendir(path);
	*names = NULL;
	*num = 0;
	if(!dir) {
		report_msg(cb, 1, "%s: cannot open directory: %s", path,
			strerror(errno));
		return 0;
	}
	/* readdir returns NULL both at the end and on error; only errno
	 * tells them apart */
	for(errno = 0; ok && (ent = readdir(dir)) != NULL; errno = 0) {
		if(ent->d_name[0] == '.')
			continue;
		if(!append_name(names, num, &cap, ent->d_name)) {
			report_msg(cb, 1, "%s: out of memory", path);
			ok = 0;
		}
	}
	if(ok && errno != 0) {
		report_msg(cb, 1, "%s: cannot read directory: %s", path,
			strerror(errno));
		ok = 0;
	}
	closedir(dir);
	if(!ok) {
		free_names(*names, *num);
		*names = NULL;
		*num = 0;
		return 0;
	}
	if(*num > 1)
		qsort(*names, *num, sizeof(char*), compare_names);
	return 1;
}

/**
 * Join a directory path and an entry name.
 * @param dir: the directory.
 * @param name: the entry.
 * @return malloced "dir/name", or NULL on malloc failure.
 */
static char*
join_path(const char* dir, const char* name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	int slash = dlen > 0 && dir[dlen-1] != '/';
	char* path = (char*)malloc(dlen + (size_t)slash + nlen + 1);
	if(!path)
		return NULL;
	memcpy(path, dir, dlen);
	if(slash)
		path[dlen] = '/';
	memcpy(path + dlen + slash, name, nlen + 1);
	return path;
}

static int read_path(const char* path, struct listparse_cb* cb, int depth);

/**
 * Read every file below a directory, entries in sorted order.
 * @param path: the directory.
 * @param cb: destination, counts and reporting.
 * @param depth: nesting depth of the directory.
 * @return 0 on the first failure.
 */
static int
read_dir(const char* path, struct listparse_cb* cb, int depth)
{
	char** names;
	size_t num, i;
	int ok = 1;
	/* symbolic links are followed, so a loop must end somewhere */
	if(depth >= LISTPARSE_MAX_DEPTH) {
		report_msg(cb, 1, "%s: directories nested deeper than %d, "
			"symlink loop?", path, LISTPARSE_MAX_DEPTH);
		return 0;
	}
	if(!list_dir(path, cb, &names, &num))
		return 0;
	for(i = 0; ok && i < num; i++) {
		char* sub = join_path(path, names[i]);
		if(!sub) {
			report_msg(cb, 1, "%s: out of memory", path);
			ok = 0;
			break;
		}
		ok = read_path(sub, cb, depth + 1);
		free(sub);
	}
	free_names(names, num);
	return ok;
}

/**
 * Read a file, or a directory tree.
 * @param path: the file or directory.
 * @param cb: destination, counts and reporting.
 * @param depth: 0 for the path given by the user, else its nesting.
 * @return 0 on the first failure.
 */
static int
read_path(const char* path, struct listparse_cb* cb, int depth)
{
	struct stat st;
	if(stat(path, &st) != 0) {
		report_msg(cb, 1, "%s: cannot open: %s", path, strerror(errno));
		return 0;
	}
	if(S_ISDIR(st.st_mode))
		return read_dir(path, cb, depth);
	/* a fifo or device found in a directory could block the load or
	 * never end; one named by the user is read as asked */
	if(depth > 0 && !S_ISREG(st.st_mode)) {
		report_msg(cb, 0, "%s: not a regular file, skipped", path);
		return 1;
	}
	return listparse_file(path, cb);
}

int
listparse_path(const char* path, struct listparse_cb* cb)
{
	return read_path(path, cb, 0);
}

/**
 * Deliver the records of one name field.
 * @param cb: counts and reporting.
 * @param target: receives the record.
 * @param field: the name as written.
 * @param family: address family.
 * @param addr: the address.
 * @return 0 if the receiver failed.
 */
static int
record_name(struct listparse_cb* cb, struct record_target* target,
	struct span field, int family, const uint8_t* addr)
{
	char name[LISTPARSE_NAME_BUFSIZE], reason[LISTPARSE_REASON_BUFSIZE];
	if(!listparse_normalize_name(field.p, field.len, name, reason)) {
		report_invalid(cb, reason, field);
		return 1;
	}
	if(!target->func(target->arg, name, family, addr)) {
		report_msg(cb, 1, "%s:%lu: cannot store the record for %s",
			cb->file, (unsigned long)cb->line, name);
		return 0;
	}
	cb->stats.names++;
	return 1;
}

/** read_lines handler for static-record lines */
static int
record_line(const char* text, size_t len, struct listparse_cb* cb,
	void* arg)
{
	struct record_target* target = (struct record_target*)arg;
	struct span line = trim(make_span(text, len)), rest, first, second;
	uint8_t addr[16];
	int family, cosmetic;
	line = cut_comment(line, &cosmetic);
	rest = line;
	if(!next_field(&rest, &first))
		return 1;
	if(parse_addr(first, &family, addr)) {
		if(trim(rest).len == 0) {
			report_invalid(cb, "address without names", line);
			return 1;
		}
		while(next_field(&rest, &first))
			if(!record_name(cb, target, first, family, addr))
				return 0;
		return 1;
	}
	/* the older "name address" form */
	if(next_field(&rest, &second) && trim(rest).len == 0 &&
		parse_addr(second, &family, addr))
		return record_name(cb, target, first, family, addr);
	report_invalid(cb, "expected an IPv4 or IPv6 address and names",
		line);
	return 1;
}

int
listparse_hosts_records(const char* path, listparse_record_func_type* func,
	void* arg, struct listparse_cb* cb)
{
	struct record_target target;
	target.func = func;
	target.arg = arg;
	return read_lines(path, cb, record_line, &target);
}
