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
#include "vpndns/confparse.h"
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

struct vpndns_policy_conf*
vpndns_policy_conf_create(void)
{
	struct vpndns_policy_conf* pc = calloc(1, sizeof(*pc));
	if(!pc)
		return NULL;
	addr_tree_init(&pc->exempt);
	pc->action.kind = vpndns_action_nxdomain;
	pc->block_ttl = POLICY_DEFAULT_BLOCK_TTL;
	pc->static_ptr = 1;
	pc->static_ttl = POLICY_DEFAULT_STATIC_TTL;
	return pc;
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
pc_add_list(struct conf_parser* p, const char* view, const char* path,
	const char* opt)
{
	struct vpndns_list_def* d, **tail;
	if(opt && strcmp(opt, "exact") != 0)
		return conf_err(p, "unknown list option '%s', expected 'exact'",
			opt);
	if(p->policy->nlists == 65534)
		return "too many blocklists";
	if(!(d = calloc(1, sizeof(*d))) || !(d->path = strdup(path)) ||
		(view && !(d->view = strdup(view)))) {
		if(d)
			free(d->path);
		free(d);
		return "out of memory";
	}
	d->exact = (opt != NULL);
	d->line = p->line;
	d->id = ++p->policy->nlists;
	for(tail = &p->policy->lists; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** blocklist: <file|dir> [exact] */
static const char*
pc_blocklist(struct conf_parser* p, int argc, char** argv)
{
	if(argc < 1 || argc > 2)
		return "expected: blocklist: <file or directory> [exact]";
	return pc_add_list(p, NULL, argv[0], argc == 2 ? argv[1] : NULL);
}

/** view-blocklist: <view> <file|dir> [exact] */
static const char*
pc_view_blocklist(struct conf_parser* p, int argc, char** argv)
{
	if(argc < 2 || argc > 3)
		return "expected: view-blocklist: <view> <file or directory> [exact]";
	if(!p->view_defined(p, argv[0]))
		return conf_err(p, "view '%s' is not defined", argv[0]);
	return pc_add_list(p, argv[0], argv[1], argc == 3 ? argv[2] : NULL);
}

/** allow: <domain> */
static const char*
pc_allow(struct conf_parser* p, int argc, char** argv)
{
	char name[LISTPARSE_NAME_BUFSIZE], reason[LISTPARSE_REASON_BUFSIZE];
	struct vpndns_name_def* d, **tail;
	if(argc != 1)
		return "expected: allow: <domain>";
	if(!listparse_normalize_name(argv[0], strlen(argv[0]), name,
		reason))
		return conf_err(p, "allow '%s': %s", argv[0], reason);
	if(!(d = calloc(1, sizeof(*d))) || !(d->name = strdup(name))) {
		free(d);
		return "out of memory";
	}
	d->line = p->line;
	for(tail = &p->policy->allows; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** exempt: <netblock> */
static const char*
pc_exempt(struct conf_parser* p, int argc, char** argv)
{
	struct addr_tree_node* n;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int net;
	if(argc != 1)
		return "expected: exempt: <netblock>";
	if(!conf_netblock(argv[0], &addr, &addrlen, &net))
		return conf_err(p, "invalid netblock '%s'", argv[0]);
	if(!(n = calloc(1, sizeof(*n))))
		return "out of memory";
	if(!addr_tree_insert(&p->policy->exempt, n, &addr, addrlen, net)) {
		free(n);
		return conf_err(p, "netblock '%s' is already exempt", argv[0]);
	}
	p->policy->has_exempt = 1;
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
pc_regex(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_regex_def* d, **tail;
	const char* insane;
	int rc;
	if(argc != 1)
		return "expected: nxdomain-regex: <POSIX extended regex> "
			"(quote it if it has spaces or '#')";
	if((insane = pc_regex_sane(argv[0])))
		return conf_err(p, "regex '%.100s' refused: %s", argv[0],
			insane);
	if(!(d = calloc(1, sizeof(*d))) || !(d->pattern = strdup(argv[0]))) {
		free(d);
		return "out of memory";
	}
	if((rc = regcomp(&d->re, argv[0], REG_EXTENDED|REG_ICASE|
		REG_NOSUB)) != 0) {
		char why[128];
		regerror(rc, &d->re, why, sizeof(why));
		conf_err(p, "bad regex '%s': %s", argv[0], why);
		free(d->pattern);
		free(d);
		return p->errbuf;
	}
	d->line = p->line;
	for(tail = &p->policy->regexes; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** block-action: <action> */
static const char*
pc_block_action(struct conf_parser* p, int argc, char** argv)
{
	return vpndns_action_parse(argc, argv, &p->policy->action);
}

/** view-block-action: <view> <action> */
static const char*
pc_view_block_action(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_view_action* d, **tail;
	struct vpndns_action action;
	const char* err;
	if(argc < 2)
		return "expected: view-block-action: <view> <action>";
	if(!p->view_defined(p, argv[0]))
		return conf_err(p, "view '%s' is not defined", argv[0]);
	if((err = vpndns_action_parse(argc-1, argv+1, &action)))
		return err;
	for(d = p->policy->view_actions; d; d = d->next) {
		if(strcmp(d->view, argv[0]) == 0)
			return conf_err(p, "view '%s' has a block action "
				"already", argv[0]);
	}
	if(!(d = calloc(1, sizeof(*d))) || !(d->view = strdup(argv[0]))) {
		free(d);
		return "out of memory";
	}
	d->action = action;
	d->line = p->line;
	for(tail = &p->policy->view_actions; *tail; tail = &(*tail)->next)
		;
	*tail = d;
	return NULL;
}

/** block-ttl: <seconds> */
static const char*
pc_block_ttl(struct conf_parser* p, int argc, char** argv)
{
	if(argc != 1 || !pc_ttl(argv[0], &p->policy->block_ttl))
		return "expected: block-ttl: <seconds>";
	return NULL;
}

/** static-records: <file> */
static const char*
pc_static_records(struct conf_parser* p, int argc, char** argv)
{
	if(argc != 1)
		return "expected: static-records: <hosts-format file>";
	if(p->policy->static_file)
		return "static-records is set twice";
	if(!(p->policy->static_file = strdup(argv[0])))
		return "out of memory";
	p->policy->static_line = p->line;
	return NULL;
}

/** static-ptr: yes|no */
static const char*
pc_static_ptr(struct conf_parser* p, int argc, char** argv)
{
	if(conf_yesno(argc, argv, &p->policy->static_ptr))
		return "expected: static-ptr: yes|no";
	return NULL;
}

/** static-ttl: <seconds> */
static const char*
pc_static_ttl(struct conf_parser* p, int argc, char** argv)
{
	if(argc != 1 || !pc_ttl(argv[0], &p->policy->static_ttl))
		return "expected: static-ttl: <seconds>";
	return NULL;
}

/** ttl-override: <domain> <seconds> */
static const char*
pc_ttl_override(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_ttl_def* d, **tail;
	size_t len;
	uint32_t ttl;
	if(argc != 2 || !pc_ttl(argv[1], &ttl))
		return "expected: ttl-override: <domain> <seconds>";
	if(!(d = calloc(1, sizeof(*d))))
		return "out of memory";
	if(!(d->dname = sldns_str2wire_dname(argv[0], &len)) ||
		!(d->str = strdup(argv[0]))) {
		free(d->dname);
		free(d);
		return conf_err(p, "invalid domain name '%s'", argv[0]);
	}
	d->labs = dname_count_labels(d->dname);
	d->ttl = ttl;
	d->line = p->line;
	for(tail = &p->policy->ttls; *tail; tail = &(*tail)->next) {
		if(query_dname_compare((*tail)->dname, d->dname) == 0) {
			conf_err(p, "ttl-override for '%s' is set twice "
				"(line %d)", argv[0], (*tail)->line);
			free(d->dname);
			free(d->str);
			free(d);
			return p->errbuf;
		}
	}
	*tail = d;
	return NULL;
}

/** The policy keywords, in the shape of conf.c's own table. */
const struct conf_keyword vpndns_policy_conf_keywords[] = {
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

int
vpndns_policy_conf_finish(struct vpndns_policy_conf* pc)
{
	addr_tree_init_parents(&pc->exempt);
	return 1;
}

/** Free an exempt tree node. */
static void
pc_exempt_free(rbnode_type* n, void* ATTR_UNUSED(arg))
{
	free(n);
}

void
vpndns_policy_conf_delete(struct vpndns_policy_conf* pc)
{
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
}
