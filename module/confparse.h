/*
 * vpndns/confparse.h - the shape of a vpndns.conf keyword handler.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Private to the vpndns.conf parser (conf.c) and its policy keywords
 * (policy_conf.c): the parser state every keyword handler gets, the
 * handler type, the keyword table entry, and the small helpers both
 * files use on a line's words.  conf.c splits the lines and dispatches
 * each one through its own table and policy_conf.c's, which have the same
 * shape; policy_conf.c calls nothing in conf.c.
 *
 * Parsing runs on one thread at a time, on its own state: no locks.
 * The words of a line (argv) live until the handler returns; a handler
 * copies what it keeps.
 */

#ifndef VPNDNS_CONFPARSE_H
#define VPNDNS_CONFPARSE_H
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/net_help.h"
struct vpndns_conf;
struct vpndns_policy_conf;
struct vpndns_out;

/** buffer size of an error reason */
#define CONF_ERR_LEN 256
/** longest netblock string accepted (an IPv6 address and a prefix) */
#define VPNDNS_NETBLOCK_MAXLEN 128

/** The parser state of one vpndns.conf text, given to every handler. */
struct conf_parser {
	/** the configuration being built (conf.h) */
	struct vpndns_conf* conf;
	/** its policy part (policy_conf.h), for the policy keywords */
	struct vpndns_policy_conf* policy;
	/** file name for messages */
	const char* file;
	/** current line number */
	int line;
	/** number of errors so far */
	int nerr;
	/** buffer for formatted error reasons */
	char errbuf[CONF_ERR_LEN];
	/** error lines are appended here too, if not NULL */
	struct vpndns_out* errs;
	/**
	 * Is a view of this name defined on an earlier line?  Set by
	 * conf.c, which owns the views; for the keywords that name one.
	 * @param p: this parser.
	 * @param name: the view name.
	 * @return true if defined.
	 */
	int (*view_defined)(struct conf_parser* p, const char* name);
};

/**
 * A keyword handler.
 * @param p: the parser, at the keyword's line.
 * @param argc: number of words after the keyword.
 * @param argv: the words after the keyword.
 * @return NULL, or the reason of the error (static, or in p->errbuf).
 */
typedef const char* (*conf_handler_type)(struct conf_parser* p,
	int argc, char** argv);

/** A keyword and its handler: one entry of a keyword table, which ends
 * with a NULL name. */
struct conf_keyword {
	/** keyword without the colon */
	const char* name;
	/** its handler */
	conf_handler_type handler;
};

/**
 * Format an error reason into the parser's buffer.
 * @param p: the parser.
 * @param fmt: printf format.
 * @return p->errbuf.
 */
static inline const char*
conf_err(struct conf_parser* p, const char* fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(p->errbuf, sizeof(p->errbuf), fmt, args);
	va_end(args);
	return p->errbuf;
}

/**
 * Find a keyword's handler in a table.
 * @param table: the table, ending with a NULL name.
 * @param name: the keyword without the colon.
 * @return the handler, or NULL if the table does not have the keyword.
 */
static inline conf_handler_type
conf_lookup(const struct conf_keyword* table,
	const char* name)
{
	const struct conf_keyword* k;
	for(k = table; k->name; k++) {
		if(strcmp(k->name, name) == 0)
			return k->handler;
	}
	return NULL;
}

/**
 * Parse the one word yes or no.
 * @param argc: number of words.
 * @param argv: the words.
 * @param res: set to 1 for yes, 0 for no; untouched on error.
 * @return NULL, or the reason of the error.
 */
static inline const char*
conf_yesno(int argc, char** argv, int* res)
{
	if(argc != 1 || (strcmp(argv[0], "yes") && strcmp(argv[0], "no")))
		return "expected yes or no";
	*res = (strcmp(argv[0], "yes") == 0);
	return NULL;
}

/**
 * Parse a netblock, addr[/prefix].  Unbound's netblockstrtoaddr reads
 * the prefix with atoi, so a huge prefix wraps negative and it masks
 * outside the address; the prefix is checked here first.  Scope ids are
 * refused, since they mean nothing in a client netblock.
 * @param str: the netblock.
 * @param addr: returns the address.
 * @param addrlen: returns its length.
 * @param net: returns the prefix length.
 * @return false if invalid.
 */
static inline int
conf_netblock(const char* str, struct sockaddr_storage* addr,
	socklen_t* addrlen, int* net)
{
	const char* slash = strchr(str, '/');
	size_t i, ndigits;
	if(strchr(str, '%') || strlen(str) >= VPNDNS_NETBLOCK_MAXLEN)
		return 0;
	if(slash) {
		ndigits = strlen(slash+1);
		if(ndigits < 1 || ndigits > 3)
			return 0;
		for(i = 0; i < ndigits; i++)
			if(!isdigit((unsigned char)slash[1+i]))
				return 0;
		if(atoi(slash+1) > (strchr(str, ':') ? 128 : 32))
			return 0;
	}
	return netblockstrtoaddr(str, 0, addr, addrlen, net);
}

#endif /* VPNDNS_CONFPARSE_H */
