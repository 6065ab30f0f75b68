/*
 * vpndns/policy_conf.c - policy keywords of vpndns.conf.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Parser for the policy keywords.  Lists and static records are only
 * named here; policy.c reads them when it builds the runtime policy, so a
 * reload can read them off the worker threads.  Regexes are compiled here,
 * once, so a bad pattern is reported with its line.
 */
#include "config.h"
#include <ctype.h>
#include "vpndns/conf.h"
#include "vpndns/policy_conf.h"
#include "vpndns/listparse.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/storage/dnstree.h"
#include "util/data/dname.h"
#include "sldns/str2wire.h"

/** Default TTL of synthesised block answers. */
#define POLICY_DEFAULT_BLOCK_TTL 60
/** Default TTL of static records. */
#define POLICY_DEFAULT_STATIC_TTL 60
/** Largest TTL accepted (RFC 2181: 2^31-1). */
#define POLICY_MAX_TTL 2147483647UL

/** Arguments of one keyword handler. */
struct pc_args {
	/** the configuration */
	struct vpndns_conf* conf;
	/** its policy part */
	struct vpndns_policy_conf* pc;
	/** number of arguments */
	int argc;
	/** the arguments */
	char** argv;
	/** line number */
	int line;
	/** buffer for formatted reasons */
	char* errbuf;
	/** size of errbuf */
	size_t errlen;
};

/** Format a reason into the error buffer. */
static const char*
pc_err(struct pc_args* a, const char* fmt, const char* arg)
{
	snprintf(a->errbuf, a->errlen, fmt, arg);
	return a->errbuf;
}

int
vpndns_policy_conf_init(struct vpndns_conf* conf)
{
	struct vpndns_policy_conf* pc = calloc(1, sizeof(*pc));
	if(!pc)
		return 0;
	addr_tree_init(&pc->exempt);
	pc->action.kind = vpndns_action_nxdomain;
	pc->block_ttl = POLICY_DEFAULT_BLOCK_TTL;
	pc->static_ptr = 1;
	pc->static_ttl = POLICY_DEFAULT_STATIC_TTL;
	conf->policy = pc;
	return 1;
}

/** Parse a TTL in seconds. */
static int
pc_ttl(const char* s, uint32_t* ttl)
{
	char* end;
	unsigned long v = strtoul(s, &end, 10);
	if(!*s || *end || v > POLICY_MAX_TTL || *s == '-')
		return 0;
	*ttl = (uint32_t)v;
	return 1;
}

const char*
vpndns_action_parse(int argc, char** argv, struct vpndns_action* action)
{
	memset(action, 0, sizeof(*action));
	if(argc == 1 && strcmp(argv[0], "nxdomain") == 0)
		action->kind = vpndns_action_nxdomain;
	else if(argc == 1 && strcmp(argv[0], "nodata") == 0)
		action->kind = vpndns_action_nodata;
	else if(argc == 1 && strcmp(argv[0], "null") == 0)
		action->kind = vpndns_action_null;
	else if(argc == 1 && strcmp(argv[0], "refuse") == 0)
		action->kind = vpndns_action_refuse;
	else if((argc == 2 || argc == 3) && strcmp(argv[0], "ip") == 0) {
		action->kind = vpndns_action_ip;
		if(inet_pton(AF_INET, argv[1], action->v4) != 1)
			return "block-action ip: expected an IPv4 address first";
		if(argc == 3) {
			if(inet_pton(AF_INET6, argv[2], action->v6) != 1)
				return "block-action ip: expected an IPv6 address second";
			action->has_v6 = 1;
		}
	} else
		return "expected nxdomain, nodata, null, ip <v4> [<v6>] or refuse";
	return NULL;
}

/** Append a list definition. */
static const char*
pc_add_list(struct pc_args* a, const char* view, const char* path,
	const char* opt)
{
	struct vpndns_list_def* d, **tail;
	if(opt && strcmp(opt, "exact") != 0)
		return pc_err(a, "unknown list option '%s', expected 'exact'",
			opt);
	if(a->pc->nlists == 65534)
		return "too many blocklists";
	if(!(d = calloc(1, sizeof(*d))) || !(d->path = strdup(path)) ||
		(view && !(d->view = strdup(view)))) {
		if(d)
			free(d->path);
		free(d);
		return "out of memory";
	}
	d->exact = (opt != NULL);
	d->line = a->line;
	d->id = ++a->pc->nlists;
	for(tail = &a->pc->lists; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** blocklist: <file|dir> [exact] */
static const char*
pc_blocklist(struct pc_args* a)
{
	if(a->argc < 1 || a->argc > 2)
		return "expected: blocklist: <file or directory> [exact]";
	return pc_add_list(a, NULL, a->argv[0], a->argc == 2 ? a->argv[1] :
		NULL);
}

/** view-blocklist: <view> <file|dir> [exact] */
static const char*
pc_view_blocklist(struct pc_args* a)
{
	if(a->argc < 2 || a->argc > 3)
		return "expected: view-blocklist: <view> <file or directory> [exact]";
	if(!vpndns_conf_find_view(a->conf, a->argv[0]))
		return pc_err(a, "view '%s' is not defined", a->argv[0]);
	return pc_add_list(a, a->argv[0], a->argv[1], a->argc == 3 ?
		a->argv[2] : NULL);
}

/** allow: <domain> */
static const char*
pc_allow(struct pc_args* a)
{
	char name[LISTPARSE_NAME_BUFSIZE], reason[LISTPARSE_REASON_BUFSIZE];
	struct vpndns_name_def* d, **tail;
	if(a->argc != 1)
		return "expected: allow: <domain>";
	if(!listparse_normalize_name(a->argv[0], strlen(a->argv[0]), name,
		reason)) {
		snprintf(a->errbuf, a->errlen, "allow '%s': %s", a->argv[0],
			reason);
		return a->errbuf;
	}
	if(!(d = calloc(1, sizeof(*d))) || !(d->name = strdup(name))) {
		free(d);
		return "out of memory";
	}
	d->line = a->line;
	for(tail = &a->pc->allows; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** exempt: <netblock> */
static const char*
pc_exempt(struct pc_args* a)
{
	struct addr_tree_node* n;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int net;
	if(a->argc != 1)
		return "expected: exempt: <netblock>";
	if(!vpndns_netblock_parse(a->argv[0], &addr, &addrlen, &net))
		return pc_err(a, "invalid netblock '%s'", a->argv[0]);
	if(!(n = calloc(1, sizeof(*n))))
		return "out of memory";
	if(!addr_tree_insert(&a->pc->exempt, n, &addr, addrlen, net)) {
		free(n);
		return pc_err(a, "netblock '%s' is already exempt", a->argv[0]);
	}
	a->pc->has_exempt = 1;
	return NULL;
}

/** longest nxdomain-regex pattern, in characters */
#define PC_REGEX_MAXLEN 512
/** most repetition operators in one pattern */
#define PC_REGEX_MAXREP 64
/** largest bound of a {m,n} repetition */
#define PC_REGEX_MAXBOUND 255

/** Skip a bracket expression starting at re[i] == '['; returns the index
 * of its closing ']', or the end of the string. */
static size_t
pc_regex_bracket(const char* re, size_t i)
{
	i++;
	if(re[i] == '^')
		i++;
	if(re[i] == ']')
		i++; /* a ']' first is a member */
	while(re[i] && re[i] != ']') {
		if(re[i] == '[' && (re[i+1] == ':' || re[i+1] == '.' ||
			re[i+1] == '=')) {
			/* [:class:], [.coll.], [=equiv=] */
			char c = re[i+1];
			i += 2;
			while(re[i] && !(re[i] == c && re[i+1] == ']'))
				i++;
			if(re[i])
				i += 2;
			continue;
		}
		i++;
	}
	return i;
}

/** Deepest group nesting in an nxdomain-regex. */
#define PC_REGEX_MAXDEPTH 16
/** Most atoms a pattern may expand to once its bounds are unrolled. */
#define PC_REGEX_MAXSIZE 16384

/** Expansion estimate of an nxdomain-regex while it is read: per group
 * level, the atoms so far and the size of the last atom. */
struct pc_regex_weight {
	/** atoms of the sequence at each group depth, bounds unrolled */
	size_t seq[PC_REGEX_MAXDEPTH+1];
	/** size of the last atom at each depth, what a repetition copies */
	size_t last[PC_REGEX_MAXDEPTH+1];
	/** current group depth */
	int depth;
};

/** Account for an atom of the given size at the current depth. */
static void
pc_regex_atom(struct pc_regex_weight* w, size_t size)
{
	w->seq[w->depth] += size;
	w->last[w->depth] = size;
}

/** Account for a repetition that copies the last atom copies times:
 * glibc's regcomp unrolls bounds, so nested bounds multiply. */
static void
pc_regex_repeat(struct pc_regex_weight* w, size_t copies)
{
	size_t last = w->last[w->depth];
	w->seq[w->depth] += last * (copies - 1);
	w->last[w->depth] = last * copies;
}

/** Read a bound {m}, {m,} or {m,n} at re[i] == '{'; *end is set to its
 * '}'.  @return the copies it makes, 0 if a bound is above 255. */
static size_t
pc_regex_bound(const char* re, size_t i, size_t* end)
{
	char* e;
	long m = strtol(re+i+1, &e, 10), n = m;
	if(*e == ',' && isdigit((unsigned char)e[1]))
		n = strtol(e+1, &e, 10);
	else if(*e == ',') {
		n = m + 1; /* {m,} is m copies and a star */
		e++;
	}
	*end = (*e == '}') ? (size_t)(e - re) : i;
	if(m < 0 || m > PC_REGEX_MAXBOUND || n > PC_REGEX_MAXBOUND + 1)
		return 0;
	return (size_t)(n > 1 ? n : 2);
}

/**
 * Refuse patterns that make the C library's regcomp use unbounded memory
 * or time: repetitions of repetitions ("a++", undefined in POSIX EREs,
 * which glibc expands), too many repetitions, large {m,n} bounds, deep
 * groups, and nested bounds whose unrolled size multiplies.
 * @return NULL if acceptable, else the reason.
 */
static const char*
pc_regex_sane(const char* re)
{
	struct pc_regex_weight w;
	size_t i, nrep = 0, copies;
	int after_rep = 0;
	if(strlen(re) > PC_REGEX_MAXLEN)
		return "longer than 512 characters";
	memset(&w, 0, sizeof(w));
	for(i = 0; re[i]; i++) {
		copies = 0;
		if(re[i] == '\\' && re[i+1]) {
			i++;
			pc_regex_atom(&w, 1);
		} else if(re[i] == '[') {
			i = pc_regex_bracket(re, i);
			pc_regex_atom(&w, 1);
			if(!re[i])
				break;
		} else if(re[i] == '(') {
			if(++w.depth > PC_REGEX_MAXDEPTH)
				return "groups nested deeper than 16";
			w.seq[w.depth] = w.last[w.depth] = 0;
		} else if(re[i] == ')' && w.depth > 0) {
			w.depth--;
			pc_regex_atom(&w, w.seq[w.depth+1]);
		} else if(re[i] == '*' || re[i] == '+' || re[i] == '?') {
			copies = 2;
		} else if(re[i] == '{') {
			if(!(copies = pc_regex_bound(re, i, &i)))
				return "a {m,n} bound above 255";
		} else if(re[i] != '|' && re[i] != '^' && re[i] != '$')
			pc_regex_atom(&w, 1);
		if(copies && after_rep)
			return "a repetition of a repetition (such as \"a++\")";
		if(copies && ++nrep > PC_REGEX_MAXREP)
			return "more than 64 repetition operators";
		if(copies)
			pc_regex_repeat(&w, copies);
		if(w.seq[w.depth] > PC_REGEX_MAXSIZE)
			return "nested bounds that expand to more than 16384 "
				"atoms";
		after_rep = copies != 0;
	}
	return NULL;
}

/** nxdomain-regex: <ERE> */
static const char*
pc_regex(struct pc_args* a)
{
	struct vpndns_regex_def* d, **tail;
	const char* insane;
	int rc;
	if(a->argc != 1)
		return "expected: nxdomain-regex: <POSIX extended regex> "
			"(quote it if it has spaces or '#')";
	if((insane = pc_regex_sane(a->argv[0]))) {
		snprintf(a->errbuf, a->errlen, "regex '%.100s' refused: %s",
			a->argv[0], insane);
		return a->errbuf;
	}
	if(!(d = calloc(1, sizeof(*d))) || !(d->pattern = strdup(a->argv[0]))) {
		free(d);
		return "out of memory";
	}
	if((rc = regcomp(&d->re, a->argv[0], REG_EXTENDED|REG_ICASE|
		REG_NOSUB)) != 0) {
		char why[128];
		regerror(rc, &d->re, why, sizeof(why));
		snprintf(a->errbuf, a->errlen, "bad regex '%s': %s",
			a->argv[0], why);
		free(d->pattern);
		free(d);
		return a->errbuf;
	}
	d->line = a->line;
	for(tail = &a->pc->regexes; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** block-action: <action> */
static const char*
pc_block_action(struct pc_args* a)
{
	return vpndns_action_parse(a->argc, a->argv, &a->pc->action);
}

/** view-block-action: <view> <action> */
static const char*
pc_view_block_action(struct pc_args* a)
{
	struct vpndns_view_action* d, **tail;
	struct vpndns_action action;
	const char* err;
	if(a->argc < 2)
		return "expected: view-block-action: <view> <action>";
	if(!vpndns_conf_find_view(a->conf, a->argv[0]))
		return pc_err(a, "view '%s' is not defined", a->argv[0]);
	if((err = vpndns_action_parse(a->argc-1, a->argv+1, &action)))
		return err;
	for(d = a->pc->view_actions; d; d = d->next) {
		if(strcmp(d->view, a->argv[0]) == 0)
			return pc_err(a, "view '%s' has a block action already",
				a->argv[0]);
	}
	if(!(d = calloc(1, sizeof(*d))) || !(d->view = strdup(a->argv[0]))) {
		free(d);
		return "out of memory";
	}
	d->action = action;
	d->line = a->line;
	for(tail = &a->pc->view_actions; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** block-ttl: <seconds> */
static const char*
pc_block_ttl(struct pc_args* a)
{
	if(a->argc != 1 || !pc_ttl(a->argv[0], &a->pc->block_ttl))
		return "expected: block-ttl: <seconds>";
	return NULL;
}

/** static-records: <file> */
static const char*
pc_static_records(struct pc_args* a)
{
	if(a->argc != 1)
		return "expected: static-records: <hosts-format file>";
	if(a->pc->static_file)
		return "static-records is set twice";
	if(!(a->pc->static_file = strdup(a->argv[0])))
		return "out of memory";
	a->pc->static_line = a->line;
	return NULL;
}

/** static-ptr: yes|no */
static const char*
pc_static_ptr(struct pc_args* a)
{
	if(a->argc != 1 || (strcmp(a->argv[0], "yes") &&
		strcmp(a->argv[0], "no")))
		return "expected: static-ptr: yes|no";
	a->pc->static_ptr = (strcmp(a->argv[0], "yes") == 0);
	return NULL;
}

/** static-ttl: <seconds> */
static const char*
pc_static_ttl(struct pc_args* a)
{
	if(a->argc != 1 || !pc_ttl(a->argv[0], &a->pc->static_ttl))
		return "expected: static-ttl: <seconds>";
	return NULL;
}

/** ttl-override: <domain> <seconds> */
static const char*
pc_ttl_override(struct pc_args* a)
{
	struct vpndns_ttl_def* d, **tail;
	size_t len;
	uint32_t ttl;
	if(a->argc != 2 || !pc_ttl(a->argv[1], &ttl))
		return "expected: ttl-override: <domain> <seconds>";
	if(!(d = calloc(1, sizeof(*d))))
		return "out of memory";
	if(!(d->dname = sldns_str2wire_dname(a->argv[0], &len)) ||
		!(d->str = strdup(a->argv[0]))) {
		free(d->dname);
		free(d);
		return pc_err(a, "invalid domain name '%s'", a->argv[0]);
	}
	d->labs = dname_count_labels(d->dname);
	d->ttl = ttl;
	d->line = a->line;
	for(tail = &a->pc->ttls; *tail; tail = &(*tail)->next) {
		if(query_dname_compare((*tail)->dname, d->dname) == 0) {
			snprintf(a->errbuf, a->errlen, "ttl-override for '%s' "
				"is set twice (line %d)", a->argv[0],
				(*tail)->line);
			free(d->dname);
			free(d->str);
			free(d);
			return a->errbuf;
		}
	}
	*tail = d;
	return NULL;
}

/** A policy keyword and its handler. */
struct pc_keyword {
	/** keyword without the colon */
	const char* name;
	/** handler */
	const char* (*handler)(struct pc_args*);
};

/** The policy keywords. */
static const struct pc_keyword pc_keywords[] = {
	{ "blocklist", pc_blocklist },
	{ "view-blocklist", pc_view_blocklist },
	{ "allow", pc_allow },
	{ "exempt", pc_exempt },
	{ "nxdomain-regex", pc_regex },
	{ "block-action", pc_block_action },
	{ "view-block-action", pc_view_block_action },
	{ "block-ttl", pc_block_ttl },
	{ "static-records", pc_static_records },
	{ "static-ptr", pc_static_ptr },
	{ "static-ttl", pc_static_ttl },
	{ "ttl-override", pc_ttl_override },
	{ NULL, NULL }
};

const char*
vpndns_policy_conf_keyword(struct vpndns_conf* conf, const char* key,
	int argc, char** argv, const char* ATTR_UNUSED(file), int line,
	char* errbuf, size_t errlen)
{
	const struct pc_keyword* k;
	struct pc_args a;
	a.conf = conf;
	a.pc = conf->policy;
	a.argc = argc;
	a.argv = argv;
	a.line = line;
	a.errbuf = errbuf;
	a.errlen = errlen;
	for(k = pc_keywords; k->name; k++) {
		if(strcmp(k->name, key) == 0)
			return k->handler(&a);
	}
	snprintf(errbuf, errlen, "unknown keyword '%s:'", key);
	return errbuf;
}

int
vpndns_policy_conf_finish(struct vpndns_conf* conf,
	const char* ATTR_UNUSED(file))
{
	addr_tree_init_parents(&conf->policy->exempt);
	return 1;
}

/** Free an exempt tree node. */
static void
pc_exempt_free(rbnode_type* n, void* ATTR_UNUSED(arg))
{
	free(n);
}

void
vpndns_policy_conf_delete(struct vpndns_conf* conf)
{
	struct vpndns_policy_conf* pc = conf->policy;
	if(!pc)
		return;
	while(pc->lists) {
		struct vpndns_list_def* n = pc->lists->next;
		free(pc->lists->path);
		free(pc->lists->view);
		free(pc->lists);
		pc->lists = n;
	}
	while(pc->allows) {
		struct vpndns_name_def* n = pc->allows->next;
		free(pc->allows->name);
		free(pc->allows);
		pc->allows = n;
	}
	while(pc->regexes) {
		struct vpndns_regex_def* n = pc->regexes->next;
		regfree(&pc->regexes->re);
		free(pc->regexes->pattern);
		free(pc->regexes);
		pc->regexes = n;
	}
	while(pc->view_actions) {
		struct vpndns_view_action* n = pc->view_actions->next;
		free(pc->view_actions->view);
		free(pc->view_actions);
		pc->view_actions = n;
	}
	while(pc->ttls) {
		struct vpndns_ttl_def* n = pc->ttls->next;
		free(pc->ttls->dname);
		free(pc->ttls->str);
		free(pc->ttls);
		pc->ttls = n;
	}
	traverse_postorder(&pc->exempt, pc_exempt_free, NULL);
	free(pc->static_file);
	free(pc);
	conf->policy = NULL;
}
