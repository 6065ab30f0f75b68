/*
 * vpndns/listparse.h - parsers for blocklist files.
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
 * Parsers for blocklist files and directories, feeding a blockset builder,
 * and for hosts-format static-record files.
 *
 * A blocklist line is one of these, detected per line:
 *  - a plain domain name: "ads.example.com";
 *  - a wildcard: "*.example.com", which blocks only names below it;
 *  - a hosts line: an IPv4 or IPv6 address and one or more names,
 *    "0.0.0.0 ads.example.com ads2.example.com # comment"; the usual
 *    non-entries (localhost, broadcasthost, ip6-*, addresses as names,
 *    ...) are ignored;
 *  - an AdBlock-style DNS rule: "||example.com^" blocks the name and all
 *    below it, "@@||example.com^" allows them (an exception); the only
 *    modifier accepted is "$important".  Rules that are not DNS rules
 *    (cosmetic "##", URL paths, "|http", regular expressions, other
 *    modifiers) are skipped and counted, not reported;
 *  - a comment, starting with '#' or '!', or an empty line.
 * Trailing "# comments" after whitespace, CRLF line ends, surrounding
 * whitespace, upper case and a trailing dot are all accepted.  Names must
 * have labels of 1..63 characters from [a-z0-9-_], at most 253 characters
 * in all.  Non-ASCII names must be given as punycode.
 *
 * An invalid line is reported as "file:line: reason: text" and skipped.  An
 * unreadable file or directory is an error that stops the load.
 */

#ifndef VPNDNS_LISTPARSE_H
#define VPNDNS_LISTPARSE_H

#include <stddef.h>
#include <stdint.h>

struct blockset_builder;

/** size of a buffer for a normalised name: 253 characters and the NUL */
#define LISTPARSE_NAME_BUFSIZE 256
/** size of a buffer for the reason a name is invalid */
#define LISTPARSE_REASON_BUFSIZE 64
/** deepest directory nesting listparse_path follows, against loops */
#define LISTPARSE_MAX_DEPTH 32

/**
 * Receives the reports of a load.
 * @param arg: the report_arg of the listparse_cb.
 * @param is_error: 0 for an invalid line that was skipped, 1 for an error
 *	that stopped the load (such as an unreadable file).
 * @param msg: the message, "file:line: reason: text" for an invalid line
 *	and "path: what: strerror" for an error.
 */
typedef void listparse_report_func_type(void* arg, int is_error,
	const char* msg);

/**
 * Receives the records of a static-records file.
 * @param arg: the arg given to listparse_hosts_records.
 * @param name: the name, lower case, no trailing dot.
 * @param family: AF_INET or AF_INET6.
 * @param addr: the address, 4 bytes for AF_INET, 16 for AF_INET6, in
 *	network byte order.
 * @return 1 to go on, 0 to stop the load with failure (malloc failure).
 */
typedef int listparse_record_func_type(void* arg, const char* name,
	int family, const uint8_t* addr);

/**
 * Counts kept over a load; they add up over several files.
 */
struct listparse_stats {
	/** block entries added, duplicates included */
	size_t names;
	/** allow (exception) entries added, duplicates included */
	size_t allows;
	/** AdBlock rules skipped because they are not plain DNS rules */
	size_t skipped;
	/** invalid lines, or invalid names on hosts lines, reported */
	size_t invalid;
	/** files read to the end */
	size_t files;
};

/**
 * Where a load goes and how it is reported.  Set up with
 * listparse_cb_init; then set report and report_arg to catch the
 * messages, which otherwise go to log_warn and log_err.
 */
struct listparse_cb {
	/** receives the names; NULL to only check and count them, and for
	 * listparse_hosts_records */
	struct blockset_builder* builder;
	/** list id given to every entry */
	uint16_t list_id;
	/** if true, plain, hosts and "||" entries block (or allow) only the
	 * name itself and not the names below it; "*.name" still blocks
	 * only the names below */
	int exact_only;
	/** receives reports; NULL to log them */
	listparse_report_func_type* report;
	/** passed to report */
	void* report_arg;
	/** name of the file being read, for messages; "(line)" outside a
	 * file */
	const char* file;
	/** number of the line being read, from 1 */
	size_t line;
	/** counts of the load */
	struct listparse_stats stats;
};

/**
 * Set up a listparse_cb with zero counts and logging reports.
 * @param cb: the struct to set up.
 * @param builder: receives the names; NULL to only check and count
 *	them, and for static records.
 * @param list_id: list id for the entries.
 * @param exact_only: if true, entries do not apply to names below them.
 */
void listparse_cb_init(struct listparse_cb* cb,
	struct blockset_builder* builder, uint16_t list_id, int exact_only);

/**
 * Parse one blocklist line and add its entries to cb->builder.  An invalid
 * line is reported, counted and otherwise ignored.
 * @param line: the line; need not be NUL-terminated; may end in CR/LF.
 * @param len: length of the line.
 * @param cb: destination, counts and reporting; cb->file and cb->line are
 *	used in messages.
 * @return 1 on success (also for skipped and invalid lines), 0 on malloc
 *	failure in the builder.
 */
int listparse_line(const char* line, size_t len, struct listparse_cb* cb);

/**
 * Parse a blocklist file.  A UTF-8 byte order mark at its start is ignored.
 * Lines can be of any length.
 * @param path: the file.
 * @param cb: destination, counts and reporting.
 * @return 1 on success, 0 if the file could not be read (reported as an
 *	error naming the path and the system's reason) or on malloc failure.
 */
int listparse_file(const char* path, struct listparse_cb* cb);

/**
 * Parse a blocklist file, or every file in a directory tree.  Directories
 * are read recursively in sorted name order, so loads are reproducible;
 * names starting with '.' are skipped, and so are entries that are neither
 * directories nor regular files.
 * @param path: file or directory.
 * @param cb: destination, counts and reporting.
 * @return 1 on success, 0 on the first file or directory that could not be
 *	read, or on malloc failure.
 */
int listparse_path(const char* path, struct listparse_cb* cb);

/**
 * Check a domain name and normalise it: lower case, no trailing dot.
 * @param name: the name; need not be NUL-terminated.
 * @param len: its length.
 * @param out: receives the normalised name, NUL-terminated;
 *	LISTPARSE_NAME_BUFSIZE bytes.
 * @param reason: receives why the name is invalid;
 *	LISTPARSE_REASON_BUFSIZE bytes.
 * @return 1 if valid, 0 if invalid.
 */
int listparse_normalize_name(const char* name, size_t len, char* out,
	char* reason);

/**
 * Parse a static-records file in hosts format: "address name [name...]"
 * per line, IPv4 or IPv6, with '#' comments.  The older "name address"
 * form (exactly two fields) is accepted too.  Nothing is ignored by name:
 * every valid name gets a record.  Invalid lines are reported through cb
 * like blocklist lines; cb->stats.names counts the records delivered.
 * @param path: the file.
 * @param func: called for every (name, address) pair.
 * @param arg: passed to func.
 * @param cb: counts and reporting; its builder is not used.
 * @return 1 on success, 0 if the file could not be read or func failed.
 */
int listparse_hosts_records(const char* path, listparse_record_func_type* func,
	void* arg, struct listparse_cb* cb);

#endif /* VPNDNS_LISTPARSE_H */
