/*
 * test/fuzz/fuzz_conf.c - fuzz target of the vpndns.conf parser.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The input is vpndns.conf text.  It is parsed with vpndns_conf_parse, the
 * function the file reader and reloads use, with the error lines collected
 * as unbound-control shows them.  Checked on every input:
 *  - a configuration is returned exactly when no error was counted, and
 *    every counted error has its "error file:line: reason" line;
 *  - an accepted configuration holds what the parser promises: view
 *    names usable in stats keys, servers parsed, TLS not mixed, client
 *    rules with a view or a reflect port, domain forwards below the root,
 *    list ids 1..n in file order, sane cache settings;
 *  - the views are built from it (vpndns_views_create, as at start and on
 *    reload), clients are classified, reflect views made, and the caches
 *    of a second parse are adopted as a reload does
 *    (vpndns_views_adopt_caches); all is freed without leaks.
 * If the input holds a line "%%", the text after it is the configuration
 * of the reload, else the same text is parsed again.
 * A NUL byte ends the text, as vpndns_conf_read refuses such files; those
 * inputs also go through vpndns_conf_read, which must refuse them.
 */
#include "config.h"
#include <ctype.h>
#include "fuzz_util.h"
#include "vpndns/conf.h"
#include "vpndns/policy_conf.h"
#include "vpndns/out.h"
#include "vpndns/view.h"
#include "util/config_file.h"
#include "util/alloc.h"
#include "util/net_help.h"
#include "util/data/dname.h"
#include "iterator/iter_hints.h"

/** the configuration name used in messages */
#define CONF_NAME "fuzz.conf"
/** views are built only for configurations with at most this many views
 * times cache slabs, to keep each run short */
#define MAX_VIEW_SLABS 64

/** Unbound's configuration, the allocator and the empty hints */
static struct config_file* cfg;
static struct alloc_cache alloc;
static struct iter_hints* hints;

int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int
LLVMFuzzerInitialize(int* ATTR_UNUSED(argc), char*** ATTR_UNUSED(argv))
{
	fuzz_quiet_logs();
	if(!(cfg = config_create()))
		abort();
	cfg->num_threads = 2;
	alloc_init(&alloc, NULL, 0);
	if(!(hints = hints_create()))
		abort();
	name_tree_init(&hints->tree);
	return 0;
}

/** Count the lines of the error output. */
static int
count_error_lines(struct vpndns_out* out)
{
	int n = 0;
	const char* p = out->text;
	while(p && *p) {
		const char* nl = strchr(p, '\n');
		FUZZ_CHECK(strncmp(p, "error " CONF_NAME ":", 7 +
			strlen(CONF_NAME)) == 0, "bad error line: %.200s", p);
		FUZZ_CHECK(nl != NULL, "error line without newline: %.200s", p);
		n++;
		p = nl + 1;
	}
	return n;
}

/** Is the name usable in stats keys and commands: [A-Za-z0-9_-]+? */
static int
name_chars_ok(const char* s)
{
	if(!*s)
		return 0;
	for(; *s; s++) {
		if(!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	}
	return 1;
}

/** Check a server list: parsed addresses, TLS all or none. */
static void
check_servers(struct vpndns_server* s, int tls, const char* what)
{
	int n = 0;
	FUZZ_CHECK(s != NULL, "%s has no servers", what);
	for(; s; s = s->next, n++) {
		FUZZ_CHECK(s->str && s->addrlen > 0 &&
			s->addrlen <= (socklen_t)sizeof(s->addr),
			"%s: bad server", what);
		FUZZ_CHECK(!tls == !s->tls_name, "%s: server %s: TLS mixed",
			what, s->str);
		FUZZ_CHECK(!s->tls_name || s->tls_name[0],
			"%s: empty TLS name", what);
		FUZZ_CHECK(vpndns_server_list_has(s, &s->addr, s->addrlen),
			"%s: server not found in its own list", what);
	}
}

/** Check an accepted configuration. */
static void
check_conf(struct vpndns_conf* conf)
{
	struct vpndns_viewdef* v, *w;
	struct vpndns_client_rule* r;
	struct vpndns_domain_fwd* d;
	struct vpndns_list_def* l;
	struct vpndns_policy_conf* pc = conf->policy;
	uint16_t id = 0;
	FUZZ_CHECK(pc != NULL, "no policy part");
	FUZZ_CHECK(strcmp(conf->file, CONF_NAME) == 0, "file name");
	for(v = conf->views; v; v = v->next) {
		FUZZ_CHECK(name_chars_ok(v->name), "view name '%s'", v->name);
		check_servers(v->servers, v->tls, v->name);
		FUZZ_CHECK(vpndns_conf_find_view(conf, v->name) == v,
			"view '%s' is not unique", v->name);
		for(w = v->next; w; w = w->next)
			FUZZ_CHECK(strcmp(v->name, w->name) != 0, "dup view");
	}
	RBTREE_FOR(r, struct vpndns_client_rule*, &conf->clients) {
		FUZZ_CHECK(r->str, "rule without text");
		if(r->kind == vpndns_rule_view) {
			FUZZ_CHECK(r->view != NULL, "rule %s without view",
				r->str);
			for(v = conf->views; v && v != r->view; v = v->next)
				;
			FUZZ_CHECK(v == r->view, "rule %s: foreign view",
				r->str);
		} else {
			FUZZ_CHECK(r->kind == vpndns_rule_reflect,
				"rule kind %d", (int)r->kind);
			FUZZ_CHECK(r->reflect_port >= 1 &&
				r->reflect_port <= 65535, "reflect port %d",
				r->reflect_port);
		}
	}
	FUZZ_CHECK(!(conf->default_view && conf->default_refuse_line),
		"default is both a view and refuse");
	for(d = conf->domain_fwds; d; d = d->next) {
		FUZZ_CHECK(d->dname && dname_valid(d->dname, d->dname_len) ==
			d->dname_len, "domain-forward %s: bad dname", d->str);
		FUZZ_CHECK(d->dname_labs >= 2 && d->dname_labs ==
			dname_count_labels(d->dname), "domain-forward %s: labels",
			d->str);
		check_servers(d->servers, d->tls, d->str);
	}
	FUZZ_CHECK(conf->cache_slabs >= 1 && conf->cache_slabs <= 1024 &&
		(conf->cache_slabs & (conf->cache_slabs-1)) == 0,
		"cache-slabs %u", (unsigned)conf->cache_slabs);
	FUZZ_CHECK(conf->max_reflect_views >= 1, "max-reflect-views");
	FUZZ_CHECK(conf->msg_cache_size > 0 && conf->rrset_cache_size > 0,
		"cache size 0");
	for(l = pc->lists; l; l = l->next) {
		FUZZ_CHECK(l->id == ++id, "list id %u, expected %u",
			(unsigned)l->id, (unsigned)id);
		FUZZ_CHECK(l->path != NULL, "list without path");
		FUZZ_CHECK(!l->view || vpndns_conf_find_view(conf, l->view),
			"list of unknown view %s", l->view);
	}
	FUZZ_CHECK(id == pc->nlists, "nlists %u, lists %u",
		(unsigned)pc->nlists, (unsigned)id);
	FUZZ_CHECK(pc->action.kind <= vpndns_action_refuse, "action kind");
	FUZZ_CHECK(pc->block_ttl <= 2147483647U &&
		pc->static_ttl <= 2147483647U, "ttl above 2^31-1");
}

/** Parse text, check the result; return the configuration or NULL. */
static struct vpndns_conf*
parse_checked(const char* text)
{
	struct vpndns_out errs;
	int nerr = -1;
	struct vpndns_conf* conf;
	memset(&errs, 0, sizeof(errs));
	conf = vpndns_conf_parse(CONF_NAME, text, NULL, &nerr, &errs);
	FUZZ_CHECK(!errs.failed, "error output failed");
	FUZZ_CHECK((conf != NULL) == (nerr == 0), "conf %p with %d errors",
		(void*)conf, nerr);
	FUZZ_CHECK(count_error_lines(&errs) == nerr,
		"%d errors counted, error lines:\n%.2000s", nerr,
		errs.text ? errs.text : "");
	free(errs.text);
	if(conf)
		check_conf(conf);
	return conf;
}

/** Number of view definitions. */
static size_t
count_views(struct vpndns_conf* conf)
{
	struct vpndns_viewdef* v;
	size_t n = 0;
	for(v = conf->views; v; v = v->next)
		n++;
	return n;
}

/** Classify the address of every client rule, and its neighbours. */
static void
classify_clients(struct vpndns_views* vs)
{
	struct vpndns_client_rule* r;
	int i;
	RBTREE_FOR(r, struct vpndns_client_rule*, &vs->conf->clients) {
		for(i = 0; i < 3; i++) {
			struct sockaddr_storage a = r->node.addr;
			enum vpndns_classify_fail fail = 0;
			struct vpndns_view* view;
			uint8_t* last = addr_is_ip6(&a, r->node.addrlen) ?
				&((struct sockaddr_in6*)&a)->sin6_addr.s6_addr[15]
				: (uint8_t*)&((struct sockaddr_in*)&a)->
				sin_addr.s_addr + 3;
			*last = (uint8_t)(*last + i);
			view = vpndns_views_classify(vs, &a, r->node.addrlen,
				&fail);
			if(!view) {
				/* a reflect rule may cover one of the
				 * resolver's own addresses */
				FUZZ_CHECK(fail == vpndns_classify_refused ||
					fail == vpndns_classify_nomem ||
					fail == vpndns_classify_self,
					"no view, fail %d", (int)fail);
				continue;
			}
			FUZZ_CHECK(view->name && view->fwds && view->msg_cache
				&& view->rrset_cache, "incomplete view");
			FUZZ_CHECK(view->def_index >= -1 && (view->def_index <
				0 || (size_t)view->def_index < vs->nfixed) &&
				(view->def_index < 0 || vs->fixed[
				view->def_index] == view), "view index %d",
				view->def_index);
		}
	}
	FUZZ_CHECK(vs->nreflect <= vs->conf->max_reflect_views,
		"%u reflect views over the limit",
		(unsigned)vs->nreflect);
}

/** Build views of a parsed configuration, or free it when too big. */
static struct vpndns_views*
build_views(struct vpndns_conf* conf)
{
	struct vpndns_views* vs;
	if(count_views(conf) * conf->cache_slabs > MAX_VIEW_SLABS) {
		vpndns_conf_delete(conf);
		return NULL;
	}
	vs = vpndns_views_create(conf, cfg, &alloc, hints);
	FUZZ_CHECK(vs != NULL, "views of an accepted configuration");
	FUZZ_CHECK(vs->nfixed == count_views(conf), "nfixed");
	classify_clients(vs);
	return vs;
}

/** Find the reload text after a "%%" line, and end the first text. */
static char*
split_reload(char* text)
{
	char* p = text;
	while((p = strstr(p, "%%"))) {
		if((p == text || p[-1] == '\n') && (p[2] == '\n' || !p[2])) {
			*p = 0;
			return p[2] ? p + 3 : p + 2;
		}
		p += 2;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	char* text = fuzz_strndup(data, size);
	char* reload = split_reload(text);
	struct vpndns_conf* conf = parse_checked(text);
	struct vpndns_conf* conf2;
	struct vpndns_views* vs = NULL, *vs2 = NULL;
	if(memchr(data, 0, size)) {
		/* the file reader refuses text files with NUL bytes */
		FUZZ_CHECK(vpndns_conf_read(fuzz_memfile(0, data, size), NULL,
			NULL) == NULL, "file with a NUL byte accepted");
	}
	if(!conf) {
		free(text);
		return 0;
	}
	conf2 = parse_checked(reload ? reload : text);
	vs = build_views(conf);
	if(conf2)
		vs2 = build_views(conf2);
	if(vs && vs2) {
		int kept = vpndns_views_adopt_caches(vs2, vs);
		FUZZ_CHECK(kept >= 0 && (size_t)kept <= vs2->nfixed,
			"kept %d of %u", kept, (unsigned)vs2->nfixed);
		if(!reload)
			FUZZ_CHECK((size_t)kept == vs2->nfixed,
				"same text, only %d of %u views kept", kept,
				(unsigned)vs2->nfixed);
		classify_clients(vs2);
	}
	vpndns_views_delete(vs2);
	vpndns_views_delete(vs);
	free(text);
	return 0;
}
