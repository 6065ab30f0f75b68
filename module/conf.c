/*
 * vpndns/conf.c - vpndns configuration file (vpndns.conf).
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Parser for vpndns.conf.  Lines are "keyword: arg arg ..." with '#'
 * comments; an argument may be double quoted to hold spaces or '#'.
 * Each keyword has a handler in a table; a handler returns NULL or the
 * reason of an error, and the caller prefixes file:line.  All errors are
 * reported, then the whole configuration is rejected.
 */
#include "config.h"
#include <ctype.h>
#include "vpndns/conf.h"
#include "vpndns/confparse.h"
#include "vpndns/policy_conf.h"
#include "vpndns/out.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/config_file.h"
#include "sldns/str2wire.h"
#include "util/data/dname.h"

/** most arguments on one line */
#define CONF_MAX_ARGS 64

/** Is the port after '@', if any, a number from 1 to 65535? */
static int
conf_port_ok(const char* str)
{
	const char* at = strchr(str, '@');
	char* end;
	long v;
	if(!at)
		return 1;
	v = strtol(at+1, &end, 10);
	return end != at+1 && (*end == 0 || *end == '#') && v >= 1 &&
		v <= 65535;
}

/**
 * A link-local server address means nothing without its link: the same
 * fe80:: address may answer on every tunnel.  It must name an interface
 * that exists (or a numeric scope), so that the view's queries leave on
 * that link only.  Unbound's parser takes an unknown interface name as
 * scope 0, which would send on whatever link the kernel picks.
 * @param s: the parsed server.
 * @param text: the server text as parsed ("fe80::2%vs1@53").
 * @return NULL if fine, else the reason.
 */
static const char*
conf_server_scope_err(struct vpndns_server* s, const char* text)
{
	struct sockaddr_in6* a6 = (struct sockaddr_in6*)&s->addr;
	if(!addr_is_ip6(&s->addr, s->addrlen) ||
		!IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) || a6->sin6_scope_id)
		return NULL;
	if(strchr(text, '%'))
		return "unknown interface after '%' of a link-local server "
			"(no such interface on this host)";
	return "a link-local server needs its interface, as in "
		"fe80::2%vs1@53";
}

struct vpndns_server*
vpndns_server_parse(const char* str, const char** err)
{
	struct vpndns_server* s;
	char* copy, *auth = NULL;
	if(!(s = calloc(1, sizeof(*s))) || !(copy = strdup(str))) {
		free(s);
		*err = "out of memory";
		return NULL;
	}
	if(!conf_port_ok(copy) ||
		!authextstrtoaddr(copy, &s->addr, &s->addrlen, &auth)) {
		free(copy);
		free(s);
		*err = "invalid server address, expected addr[@port][#tls-name]";
		return NULL;
	}
	if(auth && !*auth) {
		free(copy);
		free(s);
		*err = "empty TLS authentication name after '#'";
		return NULL;
	}
	if((*err = conf_server_scope_err(s, copy)) != NULL) {
		free(copy);
		free(s);
		return NULL;
	}
	s->str = strdup(str);
	s->tls_name = auth ? strdup(auth) : NULL;
	free(copy);
	if(!s->str || (auth && !s->tls_name)) {
		vpndns_server_list_delete(s);
		*err = "out of memory";
		return NULL;
	}
	return s;
}

void
vpndns_server_list_delete(struct vpndns_server* s)
{
	while(s) {
		struct vpndns_server* n = s->next;
		free(s->str);
		free(s->tls_name);
		free(s);
		s = n;
	}
}

int
vpndns_server_list_has(struct vpndns_server* list,
	struct sockaddr_storage* addr, socklen_t addrlen)
{
	for(; list; list = list->next) {
		if(sockaddr_cmp(&list->addr, list->addrlen, addr, addrlen) == 0)
			return 1;
	}
	return 0;
}

/**
 * Parse a list of servers; TLS and plain servers can't be mixed, since
 * Unbound sets TLS per delegation point.
 */
static const char*
conf_servers(struct conf_parser* p, int argc, char** argv,
	struct vpndns_server** list, int* tls)
{
	struct vpndns_server** tail = list;
	int i, ntls = 0;
	if(argc < 1)
		return "expected at least one server address";
	for(i = 0; i < argc; i++) {
		const char* err = NULL;
		struct vpndns_server* s;
		if(!(s = vpndns_server_parse(argv[i], &err)))
			return conf_err(p, "server '%s': %s", argv[i], err);
		if(vpndns_server_list_has(*list, &s->addr, s->addrlen)) {
			vpndns_server_list_delete(s);
			return conf_err(p, "server '%s' listed twice", argv[i]);
		}
		if(s->tls_name)
			ntls++;
		*tail = s;
		tail = &s->next;
	}
	if(ntls != 0 && ntls != argc)
		return "TLS (addr@port#name) and plain servers can't be mixed in one list";
	*tls = (ntls != 0);
	return NULL;
}

int
vpndns_netblock_parse(const char* str, struct sockaddr_storage* addr,
	socklen_t* addrlen, int* net)
{
	return conf_netblock(str, addr, addrlen, net);
}

/** Make a view name from a netblock: only [A-Za-z0-9_-] survive. */
static char*
conf_name_from(const char* prefix, const char* str)
{
	size_t n = strlen(prefix) + strlen(str) + 1, i;
	char* name = malloc(n);
	if(!name)
		return NULL;
	snprintf(name, n, "%s%s", prefix, str);
	for(i = 0; name[i]; i++) {
		if(!isalnum((unsigned char)name[i]) && name[i] != '-')
			name[i] = '_';
	}
	return name;
}

/** A generated view name that another view already has gets the line
 * number, so two netblocks that map to the same name both work. */
static char*
conf_unique_name(struct conf_parser* p, char* name)
{
	char* u;
	size_t n;
	if(!name || !vpndns_conf_find_view(p->conf, name))
		return name;
	n = strlen(name) + 16;
	if((u = malloc(n)))
		snprintf(u, n, "%s_L%d", name, p->line);
	free(name);
	return u;
}

/** Check that a view name is usable in stats keys and commands. */
static int
conf_name_ok(const char* name)
{
	const char* s;
	if(!*name || strlen(name) > 64)
		return 0;
	for(s = name; *s; s++) {
		if(!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	}
	return 1;
}

struct vpndns_viewdef*
vpndns_conf_find_view(struct vpndns_conf* conf, const char* name)
{
	struct vpndns_viewdef* v;
	for(v = conf->views; v; v = v->next) {
		if(strcmp(v->name, name) == 0)
			return v;
	}
	return NULL;
}

/** The parser's view_defined: is the view defined so far? */
static int
conf_view_defined(struct conf_parser* p, const char* name)
{
	return vpndns_conf_find_view(p->conf, name) != NULL;
}

/** Add a view definition; takes the name. */
static const char*
conf_add_view(struct conf_parser* p, char* name, int argc, char** argv,
	struct vpndns_viewdef** out)
{
	struct vpndns_viewdef* v, **tail;
	const char* err;
	if(!name)
		return "out of memory";
	if(vpndns_conf_find_view(p->conf, name)) {
		err = conf_err(p, "view '%s' is defined twice (line %d)", name,
			vpndns_conf_find_view(p->conf, name)->line);
		free(name);
		return err;
	}
	if(!(v = calloc(1, sizeof(*v)))) {
		free(name);
		return "out of memory";
	}
	v->name = name;
	v->line = p->line;
	if((err = conf_servers(p, argc, argv, &v->servers, &v->tls))) {
		vpndns_server_list_delete(v->servers);
		free(v->name);
		free(v);
		return err;
	}
	for(tail = &p->conf->views; *tail; tail = &(*tail)->next)
		;
	*tail = v;
	if(out)
		*out = v;
	return NULL;
}

/** Insert a client rule for a netblock. */
static const char*
conf_add_client(struct conf_parser* p, const char* netblock,
	enum vpndns_rule_kind kind, struct vpndns_viewdef* view, int port)
{
	struct vpndns_client_rule* r;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int net;
	if(!vpndns_netblock_parse(netblock, &addr, &addrlen, &net))
		return conf_err(p, "invalid netblock '%s'", netblock);
	if(!(r = calloc(1, sizeof(*r))) || !(r->str = strdup(netblock))) {
		free(r);
		return "out of memory";
	}
	r->kind = kind;
	r->view = view;
	r->reflect_port = port;
	r->line = p->line;
	if(!addr_tree_insert(&p->conf->clients, &r->node, &addr, addrlen,
		net)) {
		struct vpndns_client_rule* old = (struct vpndns_client_rule*)
			addr_tree_find(&p->conf->clients, &addr, addrlen, net);
		free(r->str);
		free(r);
		return conf_err(p, "netblock '%s' is already mapped at line %d",
			netblock, old?old->line:0);
	}
	return NULL;
}

/** forward: <netblock> <server>... */
static const char*
h_forward(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_viewdef* v = NULL;
	const char* err;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int net;
	if(argc < 2)
		return "expected: forward: <netblock> <addr>[@port][#tls-name] ...";
	if(!vpndns_netblock_parse(argv[0], &addr, &addrlen, &net))
		return conf_err(p, "invalid netblock '%s'", argv[0]);
	if(addr_tree_find(&p->conf->clients, &addr, addrlen, net))
		return conf_add_client(p, argv[0], vpndns_rule_view, NULL, 0);
	if((err = conf_add_view(p, conf_unique_name(p, conf_name_from("net_",
		argv[0])), argc-1, argv+1, &v)))
		return err;
	return conf_add_client(p, argv[0], vpndns_rule_view, v, 0);
}

/** view: <name> <server>... */
static const char*
h_view(struct conf_parser* p, int argc, char** argv)
{
	if(argc < 2)
		return "expected: view: <name> <addr>[@port][#tls-name] ...";
	if(!conf_name_ok(argv[0]))
		return conf_err(p, "invalid view name '%s', use 1-64 of "
			"[A-Za-z0-9_-]", argv[0]);
	return conf_add_view(p, strdup(argv[0]), argc-1, argv+1, NULL);
}

/** client: <netblock> <view> */
static const char*
h_client(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_viewdef* v;
	if(argc != 2)
		return "expected: client: <netblock> <view-name>";
	if(!(v = vpndns_conf_find_view(p->conf, argv[1])))
		return conf_err(p, "view '%s' is not defined (define it with "
			"'view:' before use)", argv[1]);
	return conf_add_client(p, argv[0], vpndns_rule_view, v, 0);
}

/** Parse a port number. */
static int
conf_port(const char* s, int* port)
{
	char* end;
	long v = strtol(s, &end, 10);
	if(*s == 0 || *end != 0 || v < 1 || v > 65535)
		return 0;
	*port = (int)v;
	return 1;
}

/** reflect: <netblock> [port] */
static const char*
h_reflect(struct conf_parser* p, int argc, char** argv)
{
	int port = UNBOUND_DNS_PORT;
	if(argc < 1 || argc > 2)
		return "expected: reflect: <netblock> [port]";
	if(argc == 2 && !conf_port(argv[1], &port))
		return conf_err(p, "invalid port '%s'", argv[1]);
	return conf_add_client(p, argv[0], vpndns_rule_reflect, NULL, port);
}

/** default: <server>... | refuse | view <name> */
static const char*
h_default(struct conf_parser* p, int argc, char** argv)
{
	if(p->conf->default_view || p->conf->default_refuse_line)
		return "default is set twice";
	if(argc == 1 && strcmp(argv[0], "refuse") == 0) {
		p->conf->default_refuse_line = p->line;
		return NULL;
	}
	if(argc == 2 && strcmp(argv[0], "view") == 0) {
		if(!(p->conf->default_view = vpndns_conf_find_view(p->conf,
			argv[1])))
			return conf_err(p, "view '%s' is not defined", argv[1]);
		return NULL;
	}
	return conf_add_view(p, strdup("default"), argc, argv,
		&p->conf->default_view);
}

/** domain-forward: <domain> <server>... */
static const char*
h_domain_forward(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_domain_fwd* d, **tail;
	const char* err;
	if(argc < 2)
		return "expected: domain-forward: <domain> <addr>[@port][#tls-name] ...";
	if(!(d = calloc(1, sizeof(*d))))
		return "out of memory";
	d->line = p->line;
	if(!(d->dname = sldns_str2wire_dname(argv[0], &d->dname_len)) ||
		!(d->str = strdup(argv[0]))) {
		free(d->dname);
		free(d);
		return conf_err(p, "invalid domain name '%s'", argv[0]);
	}
	d->dname_labs = dname_count_labels(d->dname);
	if(d->dname_labs == 1) {
		/* "." would replace every view's forwarders */
		free(d->dname);
		free(d->str);
		free(d);
		return "domain-forward for the root is not allowed; the root "
			"belongs to the views' own forwarders";
	}
	for(tail = &p->conf->domain_fwds; *tail; tail = &(*tail)->next) {
		if(query_dname_compare((*tail)->dname, d->dname) == 0) {
			err = conf_err(p, "domain '%s' is already forwarded "
				"at line %d", argv[0], (*tail)->line);
			free(d->dname);
			free(d->str);
			free(d);
			return err;
		}
	}
	*tail = d;
	return conf_servers(p, argc-1, argv+1, &d->servers, &d->tls);
}

/** Parse a memory size argument. */
static const char*
conf_size(struct conf_parser* p, int argc, char** argv, size_t* size)
{
	if(argc != 1 || !cfg_parse_memsize(argv[0], size) || *size == 0)
		return conf_err(p, "expected a size such as 4m, got '%s'",
			argc?argv[0]:"");
	return NULL;
}

/** msg-cache-size: <size> */
static const char*
h_msg_cache_size(struct conf_parser* p, int argc, char** argv)
{
	return conf_size(p, argc, argv, &p->conf->msg_cache_size);
}

/** rrset-cache-size: <size> */
static const char*
h_rrset_cache_size(struct conf_parser* p, int argc, char** argv)
{
	return conf_size(p, argc, argv, &p->conf->rrset_cache_size);
}

/** Per-view cache size: <view> <size>, stored through the offset. */
static const char*
conf_view_size(struct conf_parser* p, int argc, char** argv, int rrset)
{
	struct vpndns_viewdef* v;
	if(argc != 2)
		return "expected: <view-name> <size>";
	if(!(v = vpndns_conf_find_view(p->conf, argv[0])))
		return conf_err(p, "view '%s' is not defined", argv[0]);
	return conf_size(p, 1, argv+1, rrset?&v->rrset_cache_size:
		&v->msg_cache_size);
}

/** view-msg-cache-size: <view> <size> */
static const char*
h_view_msg_cache_size(struct conf_parser* p, int argc, char** argv)
{
	return conf_view_size(p, argc, argv, 0);
}

/** view-rrset-cache-size: <view> <size> */
static const char*
h_view_rrset_cache_size(struct conf_parser* p, int argc, char** argv)
{
	return conf_view_size(p, argc, argv, 1);
}

/** view-validate: <view> yes|no */
static const char*
h_view_validate(struct conf_parser* p, int argc, char** argv)
{
	struct vpndns_viewdef* v;
	if(argc != 2 || (strcmp(argv[1], "yes") && strcmp(argv[1], "no")))
		return "expected: view-validate: <view-name> yes|no";
	if(!(v = vpndns_conf_find_view(p->conf, argv[0])))
		return conf_err(p, "view '%s' is not defined", argv[0]);
	v->novalidate = (strcmp(argv[1], "no") == 0);
	return NULL;
}

/** key-cache-size: <size> */
static const char*
h_key_cache_size(struct conf_parser* p, int argc, char** argv)
{
	return conf_size(p, argc, argv, &p->conf->key_cache_size);
}

/** neg-cache-size: <size> */
static const char*
h_neg_cache_size(struct conf_parser* p, int argc, char** argv)
{
	return conf_size(p, argc, argv, &p->conf->neg_cache_size);
}

/** Parse a bounded count. */
static const char*
conf_count(struct conf_parser* p, int argc, char** argv, size_t min,
	size_t max, size_t* res)
{
	char* end;
	unsigned long v;
	if(argc != 1)
		return "expected one number";
	v = strtoul(argv[0], &end, 10);
	if(!*argv[0] || *end || v < min || v > max)
		return conf_err(p, "expected a number from %u to %u, got '%s'",
			(unsigned)min, (unsigned)max, argv[0]);
	*res = (size_t)v;
	return NULL;
}

/** cache-slabs: <power of 2> */
static const char*
h_cache_slabs(struct conf_parser* p, int argc, char** argv)
{
	size_t v = 0;
	const char* err = conf_count(p, argc, argv, 1, 1024, &v);
	if(err)
		return err;
	if((v & (v-1)) != 0)
		return "cache-slabs must be a power of 2";
	p->conf->cache_slabs = v;
	return NULL;
}

/** max-reflect-views: <n> */
static const char*
h_max_reflect_views(struct conf_parser* p, int argc, char** argv)
{
	return conf_count(p, argc, argv, 1, 1000000,
		&p->conf->max_reflect_views);
}

/** health-down-after: <seconds> */
static const char*
h_health_down_after(struct conf_parser* p, int argc, char** argv)
{
	return conf_count(p, argc, argv, 1, 86400,
		&p->conf->health_down_after);
}

/** log-blocked: yes|no */
static const char*
h_log_blocked(struct conf_parser* p, int argc, char** argv)
{
	return conf_yesno(argc, argv, &p->conf->log_blocked);
}

/** view-max-inflight: <n> | <percent>% */
static const char*
h_view_max_inflight(struct conf_parser* p, int argc, char** argv)
{
	size_t len = argc == 1 ? strlen(argv[0]) : 0;
	char num[16], *pct[1];
	if(len < 2 || argv[0][len-1] != '%' || len > sizeof(num)) {
		p->conf->view_max_inflight_pct = 0;
		return conf_count(p, argc, argv, 0, 1000000,
			&p->conf->view_max_inflight);
	}
	/* the number without its '%' */
	memcpy(num, argv[0], len-1);
	num[len-1] = 0;
	pct[0] = num;
	p->conf->view_max_inflight_pct = 1;
	return conf_count(p, 1, pct, 1, 100, &p->conf->view_max_inflight);
}

/** view-fail-timeout: <milliseconds> */
static const char*
h_view_fail_timeout(struct conf_parser* p, int argc, char** argv)
{
	size_t v = 0;
	const char* err = conf_count(p, argc, argv, 0, 3600000, &v);
	if(!err)
		p->conf->view_fail_timeout = (int)v;
	return err;
}

/** The keywords of vpndns.conf. */
static const struct conf_keyword conf_keywords[] = {
	{ "forward", h_forward },
	{ "reflect", h_reflect },
	{ "default", h_default },
	{ "domain-forward", h_domain_forward },
	{ "view", h_view },
	{ "client", h_client },
	{ "msg-cache-size", h_msg_cache_size },
	{ "rrset-cache-size", h_rrset_cache_size },
	{ "view-msg-cache-size", h_view_msg_cache_size },
	{ "view-rrset-cache-size", h_view_rrset_cache_size },
	{ "cache-slabs", h_cache_slabs },
	{ "max-reflect-views", h_max_reflect_views },
	{ "log-blocked", h_log_blocked },
	{ "health-down-after", h_health_down_after },
	{ "view-max-inflight", h_view_max_inflight },
	{ "view-fail-timeout", h_view_fail_timeout },
	{ "view-validate", h_view_validate },
	{ "key-cache-size", h_key_cache_size },
	{ "neg-cache-size", h_neg_cache_size },
	{ NULL, NULL }
};

/**
 * Split a line into words in place.  Handles '#' comments and double
 * quoted words.
 * @return number of words, or -1 with *err set.
 */
static int
conf_split(char* s, char** argv, int max, const char** err)
{
	int argc = 0;
	while(1) {
		while(*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if(*s == 0 || *s == '#')
			return argc;
		if(argc == max) {
			*err = "too many arguments on one line";
			return -1;
		}
		if(*s == '"') {
			argv[argc++] = ++s;
			while(*s && *s != '"')
				s++;
			if(*s != '"') {
				*err = "unterminated quote";
				return -1;
			}
			*s++ = 0;
			continue;
		}
		argv[argc++] = s;
		while(*s && *s != ' ' && *s != '\t' && *s != '\r' &&
			*s != '\n')
			s++;
		if(*s)
			*s++ = 0;
	}
}

int
vpndns_conf_line_key(const char* line, char* kw, size_t kwlen, char* arg,
	size_t arglen)
{
	char* argv[CONF_MAX_ARGS];
	const char* err = NULL;
	char* copy = strdup(line);
	int argc;
	size_t n;
	if(!copy)
		return 0;
	argc = conf_split(copy, argv, CONF_MAX_ARGS, &err);
	if(argc < 1 || (n = strlen(argv[0])) < 2 || argv[0][n-1] != ':') {
		free(copy);
		return 0;
	}
	argv[0][n-1] = 0;
	snprintf(kw, kwlen, "%s", argv[0]);
	snprintf(arg, arglen, "%s", argc > 1 ? argv[1] : "");
	free(copy);
	return 1;
}

/** Dispatch one split line to its handler. */
static const char*
conf_dispatch(struct conf_parser* p, int argc, char** argv)
{
	conf_handler_type h;
	size_t len = strlen(argv[0]);
	if(len < 2 || argv[0][len-1] != ':')
		return conf_err(p, "expected 'keyword:', got '%s'", argv[0]);
	argv[0][len-1] = 0;
	if((h = conf_lookup(conf_keywords, argv[0])) ||
		(h = conf_lookup(vpndns_policy_conf_keywords, argv[0])))
		return h(p, argc-1, argv+1);
	return conf_err(p, "unknown keyword '%s:'", argv[0]);
}

/** Parse one line, reporting its error. */
static void
conf_line(struct conf_parser* p, char* line)
{
	char* argv[CONF_MAX_ARGS];
	const char* err = NULL;
	int argc = conf_split(line, argv, CONF_MAX_ARGS, &err);
	if(argc > 0)
		err = conf_dispatch(p, argc, argv);
	if(err) {
		log_err("%s:%d: %s", p->file, p->line, err);
		if(p->errs)
			vpndns_out_printf(p->errs, "error %s:%d: %s\n", p->file,
				p->line, err);
		p->nerr++;
	}
}

/** Do two servers share address and port but differ in TLS name? */
static int
conf_tls_differ(struct vpndns_server* a, struct vpndns_server* b)
{
	if(sockaddr_cmp(&a->addr, a->addrlen, &b->addr, b->addrlen) != 0)
		return 0;
	if(!a->tls_name || !b->tls_name)
		return a->tls_name != b->tls_name;
	return strcmp(a->tls_name, b->tls_name) != 0;
}

/**
 * Find a server listed before s (in an earlier view, or earlier in its
 * own list) with the same address and port but another TLS setting.
 * Unbound reuses TLS streams per address and port, whatever name was
 * asked for, so such a pair would be ambiguous.
 */
static struct vpndns_server*
conf_tls_clash(struct vpndns_conf* conf, struct vpndns_viewdef* sv,
	struct vpndns_server* s)
{
	struct vpndns_viewdef* v;
	struct vpndns_server* o;
	for(v = conf->views; v; v = v->next) {
		for(o = v->servers; o && o != s; o = o->next)
			if(conf_tls_differ(o, s))
				return o;
		if(v == sv)
			break;
	}
	return NULL;
}

/** Report servers named with different TLS settings. */
static void
conf_check_tls(struct conf_parser* p)
{
	struct vpndns_viewdef* v;
	struct vpndns_server* s, *o;
	for(v = p->conf->views; v; v = v->next) {
		for(s = v->servers; s; s = s->next) {
			if(!(o = conf_tls_clash(p->conf, v, s)))
				continue;
			log_err("%s:%d: server '%s' is also named '%s'; one "
				"address and port must have one TLS setting",
				p->file, v->line, s->str, o->str);
			if(p->errs)
				vpndns_out_printf(p->errs, "error %s:%d: server "
					"'%s' is also named '%s'\n", p->file,
					v->line, s->str, o->str);
			p->nerr++;
		}
	}
}

/** Checks that need the whole file. */
static void
conf_finish(struct conf_parser* p)
{
	struct vpndns_client_rule* r;
	conf_check_tls(p);
	addr_tree_init_parents(&p->conf->clients);
	RBTREE_FOR(r, struct vpndns_client_rule*, &p->conf->clients) {
		if(r->kind == vpndns_rule_view && !r->view) {
			log_err("%s:%d: internal error: rule without view",
				p->file, r->line);
			p->nerr++;
		}
	}
	if(!vpndns_policy_conf_finish(p->conf->policy))
		p->nerr++;
}

/** Allocate a configuration with defaults. */
static struct vpndns_conf*
conf_create(const char* name, struct config_file* cfg)
{
	struct vpndns_conf* conf = calloc(1, sizeof(*conf));
	if(!conf)
		return NULL;
	addr_tree_init(&conf->clients);
	conf->msg_cache_size = cfg ? cfg->msg_cache_size : 4*1024*1024;
	conf->rrset_cache_size = cfg ? cfg->rrset_cache_size : 4*1024*1024;
	conf->cache_slabs = 4;
	conf->key_cache_size = cfg ? cfg->key_cache_size : 4*1024*1024;
	conf->neg_cache_size = cfg ? cfg->neg_cache_size : 1024*1024;
	conf->max_reflect_views = VPNDNS_DEFAULT_MAX_REFLECT_VIEWS;
	conf->health_down_after = VPNDNS_DEFAULT_HEALTH_DOWN_AFTER;
	conf->view_max_inflight = VPNDNS_DEFAULT_VIEW_MAX_INFLIGHT_PCT;
	conf->view_max_inflight_pct = 1;
	conf->view_fail_timeout = VPNDNS_VIEW_FAIL_TIMEOUT_AUTO;
	if(!(conf->file = strdup(name)) ||
		!(conf->policy = vpndns_policy_conf_create())) {
		vpndns_conf_delete(conf);
		return NULL;
	}
	return conf;
}

struct vpndns_conf*
vpndns_conf_parse(const char* name, const char* text,
	struct config_file* cfg, int* nerr, struct vpndns_out* errs)
{
	struct conf_parser p;
	char* copy, *line, *next;
	memset(&p, 0, sizeof(p));
	p.file = name;
	p.errs = errs;
	*nerr = 1;
	if(!(p.conf = conf_create(name, cfg)) || !(copy = strdup(text))) {
		log_err("%s: out of memory", name);
		vpndns_conf_delete(p.conf);
		return NULL;
	}
	p.policy = p.conf->policy;
	p.view_defined = conf_view_defined;
	for(line = copy; line; line = next) {
		if((next = strchr(line, '\n')))
			*next++ = 0;
		p.line++;
		conf_line(&p, line);
	}
	free(copy);
	if(p.nerr == 0)
		conf_finish(&p);
	*nerr = p.nerr;
	if(p.nerr || !(p.conf->text = strdup(text))) {
		vpndns_conf_delete(p.conf);
		return NULL;
	}
	return p.conf;
}

/** Report a file-level error to the log and to errs. */
static void
conf_file_err(struct vpndns_out* errs, const char* file, const char* what)
{
	log_err("%s: %s: %s", file, what, strerror(errno));
	if(errs)
		vpndns_out_printf(errs, "error %s: %s: %s\n", file, what,
			strerror(errno));
}

char*
vpndns_path(const char* path, struct config_file* cfg, int in_daemon)
{
	size_t n;
	if(!cfg)
		return strdup(path);
	if(!in_daemon)
		return fname_after_chroot(path, cfg, 1);
	if(cfg->chrootdir && (n = strlen(cfg->chrootdir)) > 0 &&
		strncmp(path, cfg->chrootdir, n) == 0)
		return strdup(path + n);
	return strdup(path);
}

struct vpndns_conf*
vpndns_conf_read(const char* file, struct config_file* cfg,
	struct vpndns_out* errs)
{
	FILE* in = fopen(file, "r");
	char* text;
	long len;
	int nerr;
	struct vpndns_conf* conf;
	if(!in) {
		conf_file_err(errs, file, "cannot open");
		return NULL;
	}
	if(fseek(in, 0, SEEK_END) != 0 || (len = ftell(in)) < 0 ||
		fseek(in, 0, SEEK_SET) != 0 || !(text = malloc((size_t)len+1))) {
		conf_file_err(errs, file, "cannot read");
		fclose(in);
		return NULL;
	}
	if(fread(text, 1, (size_t)len, in) != (size_t)len) {
		conf_file_err(errs, file, "cannot read");
		free(text);
		fclose(in);
		return NULL;
	}
	fclose(in);
	text[len] = 0;
	if(memchr(text, 0, (size_t)len)) {
		log_err("%s: contains a NUL byte, not a text file", file);
		free(text);
		return NULL;
	}
	conf = vpndns_conf_parse(file, text, cfg, &nerr, errs);
	free(text);
	return conf;
}

/** Free a client rule tree node. */
static void
conf_client_free(rbnode_type* n, void* ATTR_UNUSED(arg))
{
	struct vpndns_client_rule* r = (struct vpndns_client_rule*)n;
	free(r->str);
	free(r);
}

void
vpndns_conf_delete(struct vpndns_conf* conf)
{
	struct vpndns_viewdef* v, *vn;
	struct vpndns_domain_fwd* d, *dn;
	if(!conf)
		return;
	traverse_postorder(&conf->clients, conf_client_free, NULL);
	for(v = conf->views; v; v = vn) {
		vn = v->next;
		vpndns_server_list_delete(v->servers);
		free(v->name);
		free(v);
	}
	for(d = conf->domain_fwds; d; d = dn) {
		dn = d->next;
		vpndns_server_list_delete(d->servers);
		free(d->dname);
		free(d->str);
		free(d);
	}
	vpndns_policy_conf_delete(conf->policy);
	free(conf->file);
	free(conf->text);
	free(conf);
}
