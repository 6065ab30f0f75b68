/*
 * test/unit/check_conf.c - unit tests of the vpndns.conf parser and the
 * client classification rules.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */
#include "config.h"
#include <check.h>
#include "unit_run.h"
#include "vpndns/conf.h"
#include "util/log.h"
#include "util/net_help.h"

/** Log output of the last parse, for asserting messages. */
static char logtext[8192];

/** Parse text with logging captured into logtext. */
static struct vpndns_conf*
parse(const char* text, int* nerr)
{
	struct vpndns_conf* conf;
	FILE* f = tmpfile();
	size_t n;
	ck_assert_ptr_nonnull(f);
	log_file(f);
	conf = vpndns_conf_parse("t.conf", text, NULL, nerr, NULL);
	fflush(f);
	rewind(f);
	n = fread(logtext, 1, sizeof(logtext)-1, f);
	logtext[n] = 0;
	log_file(stderr);
	fclose(f);
	return conf;
}

/** Assert that text is rejected with a message containing want. */
static void
assert_rejected(const char* text, const char* want)
{
	int nerr = 0;
	struct vpndns_conf* conf = parse(text, &nerr);
	ck_assert_ptr_null(conf);
	ck_assert_int_gt(nerr, 0);
	ck_assert_msg(strstr(logtext, want) != NULL,
		"expected '%s' in log: %s", want, logtext);
}

/** Assert that text parses; the log says why when it does not. */
static void
assert_accepted(const char* text)
{
	int nerr = 0;
	struct vpndns_conf* conf = parse(text, &nerr);
	ck_assert_msg(conf != NULL, "rejected: %s", logtext);
	vpndns_conf_delete(conf);
}

/** Classify an address string to its rule, NULL if none. */
static struct vpndns_client_rule*
rule_of(struct vpndns_conf* conf, const char* ip)
{
	struct sockaddr_storage addr;
	socklen_t len;
	ck_assert(ipstrtoaddr(ip, 0, &addr, &len));
	return (struct vpndns_client_rule*)addr_tree_lookup(&conf->clients,
		&addr, len);
}

START_TEST(test_forward_views)
{
	int nerr;
	struct vpndns_conf* conf = parse(
		"# comment line\n"
		"forward: 10.0.0.0/8 192.0.2.1 192.0.2.2@5353  # trailing\n"
		"\n"
		"view: vpn-a 198.51.100.1@53\n"
		"client: 10.1.0.0/16 vpn-a\n"
		"reflect: 10.10.1.0/24 5300\n"
		"default: 203.0.113.1\n", &nerr);
	struct vpndns_client_rule* r;
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(nerr, 0);
	r = rule_of(conf, "10.2.3.4");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->view->name, "net_10_0_0_0_8");
	ck_assert_ptr_nonnull(r->view->servers->next);
	ck_assert_int_eq(ntohs(((struct sockaddr_in*)
		&r->view->servers->next->addr)->sin_port), 5353);
	/* longest prefix wins */
	r = rule_of(conf, "10.1.2.3");
	ck_assert_str_eq(r->view->name, "vpn-a");
	r = rule_of(conf, "10.10.1.7");
	ck_assert_int_eq(r->kind, vpndns_rule_reflect);
	ck_assert_int_eq(r->reflect_port, 5300);
	ck_assert_ptr_null(rule_of(conf, "192.168.1.1"));
	ck_assert_str_eq(conf->default_view->name, "default");
	vpndns_conf_delete(conf);
}
END_TEST

START_TEST(test_ipv6_and_tls)
{
	int nerr;
	struct vpndns_conf* conf = parse(
		"forward: 2001:db8::/32 2001:db8::53 2001:db8::54@5353\n"
		"view: tls 192.0.2.1@853#dns.example.net 192.0.2.2#dns.example.net\n"
		"client: 2001:db8:1::/48 tls\n", &nerr);
	struct vpndns_client_rule* r;
	ck_assert_ptr_nonnull(conf);
	r = rule_of(conf, "2001:db8:1::5");
	ck_assert_str_eq(r->view->name, "tls");
	ck_assert_int_eq(r->view->tls, 1);
	ck_assert_str_eq(r->view->servers->tls_name, "dns.example.net");
	r = rule_of(conf, "2001:db8:2::5");
	ck_assert_str_eq(r->view->name, "net_2001_db8___32");
	ck_assert_ptr_null(rule_of(conf, "10.0.0.1"));
	/* no default: unmatched clients are refused */
	ck_assert_ptr_null(conf->default_view);
	vpndns_conf_delete(conf);
}
END_TEST

START_TEST(test_domain_forward)
{
	int nerr;
	struct vpndns_conf* conf = parse(
		"domain-forward: vpn.example. 192.0.2.9\n"
		"domain-forward: Other.Example 192.0.2.10 192.0.2.11\n"
		"default: refuse\n", &nerr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->domain_fwds->str, "vpn.example.");
	ck_assert_int_eq(conf->domain_fwds->dname_labs, 3);
	ck_assert_ptr_nonnull(conf->domain_fwds->next->servers->next);
	ck_assert_int_eq(conf->default_refuse_line, 3);
	vpndns_conf_delete(conf);
}
END_TEST

START_TEST(test_cache_options)
{
	int nerr;
	struct vpndns_conf* conf = parse(
		"msg-cache-size: 2m\n"
		"rrset-cache-size: 3m\n"
		"view: a 192.0.2.1\n"
		"view-msg-cache-size: a 512k\n"
		"cache-slabs: 2\n"
		"max-reflect-views: 300\n"
		"view-validate: a no\n"
		"key-cache-size: 1m\n"
		"neg-cache-size: 256k\n", &nerr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(conf->msg_cache_size, 2*1024*1024);
	ck_assert_uint_eq(conf->rrset_cache_size, 3*1024*1024);
	ck_assert_uint_eq(conf->views->msg_cache_size, 512*1024);
	ck_assert_uint_eq(conf->views->rrset_cache_size, 0);
	ck_assert_uint_eq(conf->cache_slabs, 2);
	ck_assert_uint_eq(conf->max_reflect_views, 300);
	ck_assert_int_eq(conf->views->novalidate, 1);
	ck_assert_uint_eq(conf->key_cache_size, 1024*1024);
	ck_assert_uint_eq(conf->neg_cache_size, 256*1024);
	vpndns_conf_delete(conf);
}
END_TEST

START_TEST(test_errors_name_line)
{
	assert_rejected("forward: 10.0.0.0/8 192.0.2.1\n"
		"forward: 10.0.0.0/8 192.0.2.2\n",
		"t.conf:2: netblock '10.0.0.0/8' is already mapped at line 1");
	assert_rejected("\n\nforward: 10.0.0.0/33 192.0.2.1\n",
		"t.conf:3: invalid netblock '10.0.0.0/33'");
	assert_rejected("forward: 10.0.0.0/8 192.0.2.300\n",
		"t.conf:1: server '192.0.2.300': invalid server address");
	assert_rejected("frobnicate: yes\n", "t.conf:1: unknown keyword 'frobnicate:'");
	assert_rejected("forward 10.0.0.0/8 192.0.2.1\n",
		"t.conf:1: expected 'keyword:'");
	assert_rejected("client: 10.0.0.0/8 nosuchview\n",
		"t.conf:1: view 'nosuchview' is not defined");
	assert_rejected("view: a 192.0.2.1\nview: a 192.0.2.2\n",
		"t.conf:2: view 'a' is defined twice (line 1)");
	assert_rejected("view: bad.name 192.0.2.1\n",
		"t.conf:1: invalid view name 'bad.name'");
	assert_rejected("reflect: 10.0.0.0/8 70000\n",
		"t.conf:1: invalid port '70000'");
	assert_rejected("default: refuse\ndefault: 192.0.2.1\n",
		"t.conf:2: default is set twice");
	assert_rejected("view: a 192.0.2.1#x 192.0.2.2\n",
		"t.conf:1: TLS (addr@port#name) and plain servers can't be mixed");
	assert_rejected("view: a 192.0.2.1 192.0.2.1\n",
		"t.conf:1: server '192.0.2.1' listed twice");
	assert_rejected("domain-forward: a..b 192.0.2.1\n",
		"t.conf:1: invalid domain name 'a..b'");
	assert_rejected("domain-forward: x.example 192.0.2.1\n"
		"domain-forward: X.example. 192.0.2.2\n",
		"t.conf:2: domain 'X.example.' is already forwarded at line 1");
	assert_rejected("msg-cache-size: lots\n",
		"t.conf:1: expected a size such as 4m, got 'lots'");
	assert_rejected("cache-slabs: 3\n", "t.conf:1: cache-slabs must be a power of 2");
	assert_rejected("view: a \"unterminated 192.0.2.1\n",
		"t.conf:1: unterminated quote");
	assert_rejected("forward: 10.0.0.0/8\n", "t.conf:1: expected: forward:");
	/* Unbound's netblockstrtoaddr would mask outside the address */
	assert_rejected("forward: 10.9.0.0/4294967200 192.0.2.9\n",
		"t.conf:1: invalid netblock '10.9.0.0/4294967200'");
	assert_rejected("exempt: 127.0.2.11/324444444444444\n",
		"t.conf:1: invalid netblock '127.0.2.11/324444444444444'");
	assert_rejected("reflect: 10.0.0.0/-8\n",
		"t.conf:1: invalid netblock '10.0.0.0/-8'");
	assert_rejected("forward: fe80::1%2/128 192.0.2.9\n",
		"t.conf:1: invalid netblock 'fe80::1%2/128'");
	assert_rejected("domain-forward: . 192.0.2.1\n",
		"t.conf:1: domain-forward for the root is not allowed");
	assert_rejected("view: a 192.0.2.1@99999\n",
		"t.conf:1: server '192.0.2.1@99999': invalid server address");
	assert_rejected("view: a 192.0.2.1@0\n",
		"t.conf:1: server '192.0.2.1@0': invalid server address");
	assert_rejected("view: a 192.0.2.1\nview-validate: a maybe\n",
		"t.conf:2: expected: view-validate: <view-name> yes|no");
	assert_rejected("view-validate: nosuch no\n",
		"t.conf:1: view 'nosuch' is not defined");
	assert_rejected("view: a 192.0.2.1@53x\n",
		"t.conf:1: server '192.0.2.1@53x': invalid server address");
}
END_TEST

START_TEST(test_regex_cost_bounded)
{
	/* glibc's regcomp unrolls these into gigabytes or minutes */
	assert_rejected("nxdomain-regex: \"(lan|local+++++)\"\n",
		"t.conf:1: regex '(lan|local+++++)' refused: a repetition of "
		"a repetition");
	assert_rejected("\nnxdomain-regex: \"((a{255}){255}){255}\"\n",
		"t.conf:2: regex '((a{255}){255}){255}' refused: nested bounds "
		"that expand to more than 16384 atoms");
	assert_rejected("nxdomain-regex: \"x{256}\"\n",
		"a {m,n} bound above 255");
	assert_rejected("nxdomain-regex: \"((((((((((((((((("
		"a)))))))))))))))))\"\n", "groups nested deeper than 16");
	/* the patterns operators write stay accepted */
	assert_accepted("nxdomain-regex: \"(^|\\.)tunnel\\.example$\"\n"
		"nxdomain-regex: \"^([a-z0-9]{1,63}\\.){3,}ads\\.\"\n"
		"nxdomain-regex: \"^[0-9a-f]{32,64}\\.\"\n");
}
END_TEST

START_TEST(test_link_local_scope)
{
	/* the same fe80:: address may answer on every tunnel */
	assert_rejected("\nview: t1 fe80::2@5353\n",
		"t.conf:2: server 'fe80::2@5353': a link-local server needs "
		"its interface");
	assert_rejected("view: t1 fe80::2%vpndns-no-such0@5353\n",
		"t.conf:1: server 'fe80::2%vpndns-no-such0@5353': unknown "
		"interface after '%'");
	/* a named interface that exists, a numeric scope, global v6 */
	assert_accepted("view: t1 fe80::2%lo@5353\n"
		"view: t2 fe80::2%7@5353\n"
		"view: t3 2001:db8::2@5353\n");
}
END_TEST

START_TEST(test_generated_names_unique)
{
	int nerr;
	struct vpndns_conf* conf = parse(
		"view: net_10_0_0_0_8 192.0.2.1\n"
		"forward: 10.0.0.0/8 192.0.2.2\n", &nerr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(rule_of(conf, "10.1.1.1")->view->name,
		"net_10_0_0_0_8_L2");
	vpndns_conf_delete(conf);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	int nerr = 0;
	struct vpndns_conf* conf = parse("bad1: x\nforward: 10.0.0.0/8 192.0.2.1\n"
		"bad2: y\n", &nerr);
	ck_assert_ptr_null(conf);
	ck_assert_int_eq(nerr, 2);
	ck_assert(strstr(logtext, "t.conf:1:") && strstr(logtext, "t.conf:3:"));
}
END_TEST

START_TEST(test_garbage_input)
{
	/* random bytes never crash the parser; they are rejected or parse */
	char buf[512];
	int i, j, nerr;
	unsigned seed = 1;
	for(i = 0; i < 2000; i++) {
		struct vpndns_conf* conf;
		for(j = 0; j < (int)sizeof(buf)-1; j++) {
			seed = seed*1103515245u + 12345u;
			buf[j] = (char)(((seed >> 16) % 95) + 32);
			if(seed % 17 == 0)
				buf[j] = '\n';
		}
		buf[sizeof(buf)-1] = 0;
		conf = parse(buf, &nerr);
		vpndns_conf_delete(conf);
	}
}
END_TEST

START_TEST(test_read_file_errors)
{
	FILE* f = tmpfile();
	ck_assert_ptr_nonnull(f);
	log_file(f);
	ck_assert_ptr_null(vpndns_conf_read("/nonexistent/vpndns.conf", NULL, NULL));
	fflush(f);
	rewind(f);
	logtext[fread(logtext, 1, sizeof(logtext)-1, f)] = 0;
	log_file(stderr);
	fclose(f);
	ck_assert(strstr(logtext, "/nonexistent/vpndns.conf: cannot open"));
}
END_TEST

/** Assert the view-max-inflight a text parses to. */
static void
assert_inflight(const char* text, size_t want, int pct)
{
	int nerr;
	struct vpndns_conf* conf = parse(text, &nerr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(conf->view_max_inflight, want);
	ck_assert_int_eq(conf->view_max_inflight_pct, pct);
	vpndns_conf_delete(conf);
}

/** Assert the view-fail-timeout a text parses to (-1: not set). */
static void
conf_fail_timeout(const char* text, int want)
{
	int nerr;
	struct vpndns_conf* conf = parse(text, &nerr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf->view_fail_timeout, want);
	vpndns_conf_delete(conf);
}

START_TEST(test_view_max_inflight)
{
	/* the default: a quarter of num-queries-per-thread */
	assert_inflight("view: a 192.0.2.1\n", 25, 1);
	assert_inflight("view-max-inflight: 40\n", 40, 0);
	assert_inflight("view-max-inflight: 10%\nview-max-inflight: 0\n", 0, 0);
	assert_inflight("view-max-inflight: 100%\n", 100, 1);
	conf_fail_timeout("", -1);
	conf_fail_timeout("view-fail-timeout: 0\n", 0);
	conf_fail_timeout("view-fail-timeout: 2500\n", 2500);
	assert_rejected("view-fail-timeout: 3600001\n",
		"t.conf:1: expected a number from 0 to 3600000, got '3600001'");
	assert_rejected("view-fail-timeout: 1.5s\n",
		"t.conf:1: expected a number from 0 to 3600000, got '1.5s'");
	assert_rejected("view-max-inflight: 150%\n",
		"t.conf:1: expected a number from 1 to 100, got '150'");
	assert_rejected("view-max-inflight: 0%\n",
		"t.conf:1: expected a number from 1 to 100, got '0'");
	assert_rejected("\nview-max-inflight: %\n",
		"t.conf:2: expected a number from 0 to 1000000, got '%'");
	assert_rejected("view-max-inflight: -1\n",
		"t.conf:1: expected a number from 0 to 1000000, got '-1'");
	assert_rejected("view-max-inflight: 1 2\n",
		"t.conf:1: expected one number");
	assert_rejected("view-max-inflight: 12345678901234567%\n",
		"t.conf:1: expected a number from 0 to 1000000");
}
END_TEST

/* the whole suite: one test case of every test above */
UNIT_MAIN("vpndns conf", "parser", 60,
	test_forward_views, test_ipv6_and_tls, test_domain_forward,
	test_cache_options, test_view_max_inflight, test_errors_name_line,
	test_all_errors_reported, test_generated_names_unique,
	test_regex_cost_bounded, test_link_local_scope, test_garbage_input,
	test_read_file_errors)
