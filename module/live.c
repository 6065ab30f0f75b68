/*
 * vpndns/live.c - live configuration changes from unbound-control.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * vpndns_forward_add and its siblings edit the text of the running
 * configuration line by line, parse the result like a file, and apply it
 * as a new snapshot that shares every unchanged list.  A command with bad
 * arguments, or an edit that makes the configuration invalid, changes
 * nothing.  As with Unbound's own forward_add, a change lasts until the
 * next vpndns_reload, which reads the file again.
 */
#include "config.h"
#include "vpndns/live.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/out.h"
#include "vpndns/reload.h"
#include "vpndns/policy_conf.h"
#include "util/net_help.h"
#include "util/data/dname.h"
#include "sldns/str2wire.h"

/** How an argument of a line is compared with the command's. */
enum live_match {
	/** netblocks: same address and prefix length */
	live_netblock,
	/** domain names: equal, case and trailing dot ignored */
	live_domain
};

/** Is the first argument of a line the same item as want? */
static int
live_same(enum live_match how, const char* have, const char* want)
{
	if(how == live_netblock) {
		struct sockaddr_storage a, b;
		socklen_t alen, blen;
		int anet, bnet;
		return vpndns_netblock_parse(have, &a, &alen, &anet) &&
			vpndns_netblock_parse(want, &b, &blen, &bnet) &&
			anet == bnet && sockaddr_cmp_addr(&a, alen, &b, blen)
			== 0;
	} else {
		size_t alen, blen;
		uint8_t* a = sldns_str2wire_dname(have, &alen);
		uint8_t* b = sldns_str2wire_dname(want, &blen);
		int same = a && b && query_dname_compare(a, b) == 0;
		free(a);
		free(b);
		return same;
	}
}

/** Is kw one of the NULL-terminated keywords? */
static int
live_kw_in(const char* kw, const char* const* kws)
{
	for(; *kws; kws++)
		if(strcmp(kw, *kws) == 0)
			return 1;
	return 0;
}

/**
 * Copy text without the lines whose keyword is in kws and whose first
 * argument is the same item as want; then append the line add, if any.
 * @return malloced text, or NULL on malloc failure; *removed counts the
 *	lines dropped.
 */
static char*
live_edit(const char* text, const char* const* kws, enum live_match how,
	const char* want, const char* add, int* removed)
{
	size_t len = strlen(text), n = 0;
	char* out = malloc(len + (add ? strlen(add) : 0) + 3);
	const char* line = text;
	*removed = 0;
	if(!out)
		return NULL;
	while(*line) {
		const char* end = strchr(line, '\n');
		size_t llen = end ? (size_t)(end - line) : strlen(line);
		char buf[4096], kw[64], arg[512];
		int drop = 0;
		if(llen < sizeof(buf)) {
			memcpy(buf, line, llen);
			buf[llen] = 0;
			drop = vpndns_conf_line_key(buf, kw, sizeof(kw), arg,
				sizeof(arg)) && live_kw_in(kw, kws) &&
				live_same(how, arg, want);
		}
		if(drop)
			(*removed)++;
		else {
			memcpy(out+n, line, llen);
			n += llen;
			out[n++] = '\n';
		}
		line += llen + (end ? 1 : 0);
	}
	if(add)
		n += (size_t)sprintf(out+n, "%s\n", add);
	out[n] = 0;
	return out;
}

/** Join words into one configuration line: "kw: w1 w2 ...". */
static char*
live_line(const char* kw, int argc, char** argv)
{
	size_t len = strlen(kw) + 3;
	char* line;
	int i;
	for(i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if(!(line = malloc(len)))
		return NULL;
	snprintf(line, len, "%s:", kw);
	for(i = 0; i < argc; i++) {
		strlcat(line, " ", len);
		strlcat(line, argv[i], len);
	}
	return line;
}

/** Parse a line alone, so argument errors name the command. */
static int
live_check_line(struct vpndns_env* ve, const char* line,
	struct vpndns_out* out)
{
	int nerr = 0;
	struct vpndns_conf* c = vpndns_conf_parse("(command)", line, ve->cfg,
		&nerr, out);
	vpndns_conf_delete(c);
	return c != NULL;
}

/** Edit, parse and apply; the reply says what happened. */
static void
live_apply(struct vpndns_env* ve, const char* const* kws, enum live_match how, const char* want,
	const char* add, int must_remove, const char* what,
	struct vpndns_out* out)
{
	struct vpndns_snap* snap;
	struct vpndns_conf* conf;
	int removed = 0, nerr = 0;
	char* text;
	if(add && !live_check_line(ve, add, out))
		return;
	if(!vpndns_reload_claim(ve, out))
		return;
	/* with the slot held no snapshot is retired: this one stays valid */
	snap = __atomic_load_n(&ve->snap, __ATOMIC_SEQ_CST);
	if(!(text = live_edit(snap->views->conf->text, kws, how, want, add,
		&removed))) {
		vpndns_reload_release(ve);
		vpndns_out_printf(out, "error out of memory\n");
		return;
	}
	if(must_remove && removed == 0) {
		vpndns_reload_release(ve);
		vpndns_out_printf(out, "error '%s' is not configured\n", want);
		free(text);
		return;
	}
	conf = vpndns_conf_parse(snap->views->conf->file, text, ve->cfg,
		&nerr, out);
	free(text);
	if(!conf) {
		vpndns_reload_release(ve);
		vpndns_out_printf(out, "error the change would make the "
			"configuration invalid; nothing changed\n");
		return;
	}
	if(vpndns_reload_apply(ve, conf, what, out))
		vpndns_out_printf(out, "ok\n");
}

/** Keywords that map a client netblock. */
static const char* const live_client_kws[] = { "forward", "client",
	"reflect", NULL };
/** Keywords of fixed-view mappings. */
static const char* const live_forward_kws[] = { "forward", "client", NULL };
/** The reflect keyword. */
static const char* const live_reflect_kws[] = { "reflect", NULL };
/** The domain-forward keyword. */
static const char* const live_domain_kws[] = { "domain-forward", NULL };
/** The allow keyword. */
static const char* const live_allow_kws[] = { "allow", NULL };

/** Add a line of kw built from the arguments, replacing same items. */
static void
live_add(struct vpndns_env* ve, const char* const* kws, enum live_match how, const char* kw,
	int argc, char** argv, const char* what, struct vpndns_out* out)
{
	char* line = live_line(kw, argc, argv);
	if(!line) {
		vpndns_out_printf(out, "error out of memory\n");
		return;
	}
	live_apply(ve, kws, how, argv[0], line, 0, what, out);
	free(line);
}

void
vpndns_live_cmd(struct vpndns_env* ve, const char* cmd, int argc,
	char** argv, struct vpndns_out* out)
{
	if(strcmp(cmd, "vpndns_forward_add") == 0 && argc >= 2)
		live_add(ve, live_client_kws, live_netblock, "forward",
			argc, argv, "forward_add", out);
	else if(strcmp(cmd, "vpndns_forward_remove") == 0 && argc == 1)
		live_apply(ve, live_forward_kws, live_netblock, argv[0],
			NULL, 1, "forward_remove", out);
	else if(strcmp(cmd, "vpndns_reflect_add") == 0 && (argc == 1 ||
		argc == 2))
		live_add(ve, live_client_kws, live_netblock, "reflect",
			argc, argv, "reflect_add", out);
	else if(strcmp(cmd, "vpndns_reflect_remove") == 0 && argc == 1)
		live_apply(ve, live_reflect_kws, live_netblock, argv[0],
			NULL, 1, "reflect_remove", out);
	else if(strcmp(cmd, "vpndns_domain_forward_add") == 0 && argc >= 2)
		live_add(ve, live_domain_kws, live_domain,
			"domain-forward", argc, argv, "domain_forward_add", out);
	else if(strcmp(cmd, "vpndns_domain_forward_remove") == 0 && argc == 1)
		live_apply(ve, live_domain_kws, live_domain, argv[0],
			NULL, 1, "domain_forward_remove", out);
	else if(strcmp(cmd, "vpndns_allow_add") == 0 && argc == 1)
		live_add(ve, live_allow_kws, live_domain, "allow", argc,
			argv, "allow_add", out);
	else if(strcmp(cmd, "vpndns_allow_remove") == 0 && argc == 1)
		live_apply(ve, live_allow_kws, live_domain, argv[0],
			NULL, 1, "allow_remove", out);
	else
		vpndns_out_printf(out, "error usage: %s %s\n", cmd,
			vpndns_live_usage(cmd));
}

const char*
vpndns_live_usage(const char* cmd)
{
	if(strcmp(cmd, "vpndns_forward_add") == 0)
		return "<netblock> <addr>[@port][#tls-name] ...";
	if(strcmp(cmd, "vpndns_reflect_add") == 0)
		return "<netblock> [port]";
	if(strcmp(cmd, "vpndns_domain_forward_add") == 0)
		return "<domain> <addr>[@port][#tls-name] ...";
	if(strcmp(cmd, "vpndns_forward_remove") == 0 ||
		strcmp(cmd, "vpndns_reflect_remove") == 0)
		return "<netblock>";
	return "<domain>";
}

void
vpndns_live_allow_list(struct vpndns_snap* snap, struct vpndns_out* out)
{
	struct vpndns_name_def* a;
	int n = 0;
	for(a = snap->views->conf->policy->allows; a; a = a->next, n++)
		vpndns_out_printf(out, "%s\n", a->name);
	if(n == 0)
		vpndns_out_printf(out, "(no allow entries)\n");
}
