/*
 * test/unit/check_policy.c - unit tests of the policy (module/policy.c).
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The policy's answers as a client gets them: a query packet goes through
 * vpndns_policy_front (the front hook's check) or a reply packet through
 * vpndns_policy_wire_check (the worker's exit check), and the packet that
 * comes out is parsed and compared: rcode, question, answer records and
 * the EDE option.  One configuration with two views, a global and a view
 * list, an allow entry, an exempt netblock, a regex, static records and
 * per-view block actions serves every test.
 */
#include "config.h"
#include <check.h>
#include "unit_run.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/out.h"
#include "util/config_file.h"
#include "util/alloc.h"
#include "util/regional.h"
#include "util/net_help.h"
#include "util/module.h"
#include "util/netevent.h"
#include "util/data/dname.h"
#include "util/data/msgparse.h"
#include "util/data/msgreply.h"
#include "util/data/msgencode.h"
#include "util/data/packed_rrset.h"
#include "iterator/iter_hints.h"
#include "services/localzone.h"
#include "sldns/sbuffer.h"
#include "sldns/str2wire.h"
#include "sldns/rrdef.h"
#include "sldns/pkthdr.h"

/** Unbound's configuration for the test */
static struct config_file* cfg;
/** the allocation cache of the views */
static struct alloc_cache alloc;
/** empty root hints, as the views get them */
static struct iter_hints* hints;
/** the views of the test configuration */
static struct vpndns_views* views;
/** the policy of the test configuration */
static struct vpndns_policy* policy;
/** the worker environment the checks run in */
static struct module_env env;
/** the time */
static time_t now = 1000000;
/** the two views */
static struct vpndns_view* office, *guest;
/** scratch region of one check */
static struct regional* scratch;
/** the packet of one check */
static sldns_buffer* pkt;
/** the folder with the test's files */
static char dir[] = "/tmp/vpndns-check-policy-XXXXXX";

/** Write a file into the test's folder. */
static void
put_file(const char* name, const char* text)
{
	char path[256];
	FILE* f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/** Build the configuration, views and policy of every test. */
static void
setup(void)
{
	char text[2048];
	int nerr = 0;
	struct vpndns_conf* conf;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put_file("global.list", "ads.example\ntracker.example\n");
	put_file("guest.list", "social.example\n");
	put_file("static.hosts", "192.0.2.10 static.test\n");
	snprintf(text, sizeof(text),
		"view: office 192.0.2.1\n"
		"view: guest 192.0.2.2\n"
		"client: 10.1.0.0/16 office\n"
		"client: 10.2.0.0/16 guest\n"
		"blocklist: %s/global.list\n"
		"view-blocklist: guest %s/guest.list\n"
		"allow: ok.ads.example\n"
		"exempt: 10.1.99.0/24\n"
		"nxdomain-regex: \"(^|\\.)tunnel\\.example$\"\n"
		"static-records: %s/static.hosts\n"
		"view-block-action: guest refuse\n", dir, dir, dir);
	ck_assert_ptr_nonnull(cfg = config_create());
	free(cfg->chrootdir);
	cfg->chrootdir = strdup("");
	cfg->ede = 1;
	cfg->num_threads = 1;
	alloc_init(&alloc, NULL, 0);
	ck_assert_ptr_nonnull(hints = hints_create());
	name_tree_init(&hints->tree);
	conf = vpndns_conf_parse("policy.conf", text, cfg, &nerr, NULL);
	ck_assert_ptr_nonnull(conf);
	ck_assert_ptr_nonnull(policy = vpndns_policy_create(conf, cfg, NULL));
	ck_assert_ptr_nonnull(views = vpndns_views_create(conf, cfg, &alloc,
		hints));
	memset(&env, 0, sizeof(env));
	env.cfg = cfg;
	env.alloc = &alloc;
	env.now = &now;
	ck_assert_ptr_nonnull(scratch = regional_create());
	ck_assert_ptr_nonnull(pkt = sldns_buffer_new(65535));
}

/** Free what setup made. */
static void
teardown(void)
{
	char cmd[300];
	vpndns_policy_delete(policy);
	vpndns_views_delete(views);
	hints_delete(hints);
	alloc_clear(&alloc);
	config_delete(cfg);
	regional_destroy(scratch);
	sldns_buffer_free(pkt);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/vpndns-check-policy-XXXXXX");
}

/** A client address; the view it is classified into, or NULL. */
static struct vpndns_view*
client(const char* ip, struct comm_reply* c)
{
	struct vpndns_client_rule* rule;
	memset(c, 0, sizeof(*c));
	ck_assert(ipstrtoaddr(ip, 53000, &c->client_addr,
		&c->client_addrlen));
	return vpndns_views_peek(views, &c->client_addr, c->client_addrlen,
		&rule);
}

/** What a client got: the parts of a reply packet the tests compare. */
struct got {
	/** rcode */
	int rcode;
	/** the question name, as text */
	char qname[LDNS_MAX_DOMAINLEN+1];
	/** answer records */
	int ancount;
	/** the first answer record's type, 0 if none */
	uint16_t antype;
	/** the EDE info-code, -1 if the reply has none */
	int ede;
};

/** Parse the reply in pkt. */
static struct got
reply_of(void)
{
	struct got g;
	struct msg_parse msg;
	struct edns_data edns;
	struct edns_option* o;
	memset(&g, 0, sizeof(g));
	memset(&msg, 0, sizeof(msg));
	memset(&edns, 0, sizeof(edns));
	g.ede = -1;
	sldns_buffer_set_position(pkt, 0);
	ck_assert_int_eq(parse_packet(pkt, &msg, scratch), 0);
	g.rcode = FLAGS_GET_RCODE(msg.flags);
	g.ancount = msg.an_rrsets ? (int)msg.an_rrsets : 0;
	if(msg.rrset_first && msg.rrset_first->section ==
		LDNS_SECTION_ANSWER)
		g.antype = msg.rrset_first->type;
	dname_pkt_copy(pkt, (uint8_t*)g.qname, msg.qname);
	dname_str((uint8_t*)g.qname, g.qname);
	ck_assert_int_eq(parse_extract_edns_from_response_msg(&msg, &edns,
		scratch), 0);
	for(o = edns.opt_list_in; o; o = o->next)
		if(o->opt_code == LDNS_EDNS_EDE && o->opt_len >= 2)
			g.ede = sldns_read_uint16(o->opt_data);
	return g;
}

/** Assert that pkt holds the NXDOMAIN block answer for QNAME: no
 * answer records, EDE Blocked, and the query's ID kept. */
static void
assert_nxdomain_block(const char* qname, uint16_t id)
{
	struct got g = reply_of();
	ck_assert_int_eq(g.rcode, LDNS_RCODE_NXDOMAIN);
	ck_assert_str_eq(g.qname, qname);
	ck_assert_int_eq(g.ancount, 0);
	ck_assert_int_eq(g.ede, LDNS_EDE_BLOCKED);
	ck_assert_int_eq(sldns_buffer_read_u16_at(pkt, 0), id);
}

/** Put a query for NAME into pkt, with ID 0x1234, and its query info
 * into q, the name pointing into the packet as the worker's does (but
 * for a local alias, whose owner the packet asks).
 * @return the name's wire form, to free after the check. */
static uint8_t*
query_packet(struct query_info* q, const char* name, uint16_t type,
	struct local_rrset* alias_of)
{
	size_t len;
	uint8_t* wire = sldns_str2wire_dname(name, &len);
	ck_assert_ptr_nonnull(wire);
	memset(q, 0, sizeof(*q));
	q->qname = wire;
	q->qname_len = len;
	q->qtype = type;
	q->qclass = LDNS_RR_CLASS_IN;
	q->local_alias = alias_of;
	qinfo_query_encode(pkt, q);
	sldns_buffer_write_u16_at(pkt, 0, 0x1234);
	if(!alias_of)
		/* an alias's target is elsewhere: the packet asks its owner */
		q->qname = sldns_buffer_at(pkt, LDNS_HEADER_SIZE);
	regional_free_all(scratch);
	return wire;
}

/** The front hook's check of a query for NAME from client IP; true if
 * the policy answered, and the answer is in pkt. */
static int
front(const char* ip, const char* name, uint16_t type,
	struct local_rrset* alias_of)
{
	struct comm_reply c;
	struct vpndns_view* view = client(ip, &c);
	struct query_info q;
	struct edns_data edns;
	uint8_t* wire = query_packet(&q, name, type, alias_of);
	struct vpndns_verdict v;
	int r;
	ck_assert_ptr_nonnull(view);
	memset(&edns, 0, sizeof(edns));
	edns.edns_present = 1;
	edns.udp_size = 1232;
	r = vpndns_policy_front(policy, &env, view, &c, &q, &edns, pkt,
		scratch, &v);
	free(wire);
	return r;
}

START_TEST(test_blocked_name_and_below)
{
	ck_assert(front("10.1.0.5", "ads.example.", LDNS_RR_TYPE_A, NULL));
	assert_nxdomain_block("ads.example.", 0x1234);
	ck_assert(front("10.1.0.5", "x.y.tracker.example.", LDNS_RR_TYPE_AAAA,
		NULL));
	ck_assert_int_eq(reply_of().rcode, LDNS_RCODE_NXDOMAIN);
	/* a name that only ends like a listed one passes */
	ck_assert(!front("10.1.0.5", "notads.example.", LDNS_RR_TYPE_A, NULL));
}
END_TEST

START_TEST(test_allow_and_exempt)
{
	ck_assert(!front("10.1.0.5", "ok.ads.example.", LDNS_RR_TYPE_A, NULL));
	ck_assert(front("10.1.0.5", "a.ok.ads.example.x.ads.example.",
		LDNS_RR_TYPE_A, NULL));
	/* an exempt client is never blocked */
	ck_assert(!front("10.1.99.7", "ads.example.", LDNS_RR_TYPE_A, NULL));
}
END_TEST

START_TEST(test_view_list_and_action)
{
	struct got g;
	/* the guest list blocks for guest clients only, with its action */
	ck_assert(!front("10.1.0.5", "social.example.", LDNS_RR_TYPE_A, NULL));
	ck_assert(front("10.2.0.5", "social.example.", LDNS_RR_TYPE_A, NULL));
	g = reply_of();
	ck_assert_int_eq(g.rcode, LDNS_RCODE_REFUSED);
	ck_assert_int_eq(g.ede, LDNS_EDE_BLOCKED);
	/* the global list applies to guest too, with guest's action */
	ck_assert(front("10.2.0.5", "ads.example.", LDNS_RR_TYPE_A, NULL));
	ck_assert_int_eq(reply_of().rcode, LDNS_RCODE_REFUSED);
}
END_TEST

START_TEST(test_regex_and_static)
{
	struct got g;
	ck_assert(front("10.1.0.5", "abc.tunnel.example.", LDNS_RR_TYPE_TXT,
		NULL));
	g = reply_of();
	ck_assert_int_eq(g.rcode, LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(g.ede, LDNS_EDE_BLOCKED);
	ck_assert(!front("10.1.0.5", "tunnel.example.org.", LDNS_RR_TYPE_A,
		NULL));
	/* a static record answers without EDE */
	ck_assert(front("10.1.0.5", "static.test.", LDNS_RR_TYPE_A, NULL));
	g = reply_of();
	ck_assert_int_eq(g.rcode, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(g.ancount, 1);
	ck_assert_int_eq(g.antype, LDNS_RR_TYPE_A);
	ck_assert_int_eq(g.ede, -1);
	ck_assert(front("10.1.0.5", "10.2.0.192.in-addr.arpa.",
		LDNS_RR_TYPE_PTR, NULL));
	ck_assert_int_eq(reply_of().antype, LDNS_RR_TYPE_PTR);
}
END_TEST

START_TEST(test_alias_of_blocked_name)
{
	/* Unbound's local data made alias.test a CNAME of x.ads.example:
	 * the block answer is for the name the client asked, without the
	 * alias into the blocked name */
	struct ub_packed_rrset_key k;
	struct local_rrset alias;
	size_t len;
	uint8_t* owner = sldns_str2wire_dname("alias.test.", &len);
	ck_assert_ptr_nonnull(owner);
	memset(&k, 0, sizeof(k));
	k.rk.dname = owner;
	k.rk.dname_len = len;
	k.rk.type = htons(LDNS_RR_TYPE_CNAME);
	k.rk.rrset_class = htons(LDNS_RR_CLASS_IN);
	memset(&alias, 0, sizeof(alias));
	alias.rrset = &k;
	ck_assert(front("10.1.0.5", "x.ads.example.", LDNS_RR_TYPE_A, &alias));
	assert_nxdomain_block("alias.test.", 0x1234);
	free(owner);
}
END_TEST

/** Put a reply into pkt: the question NAME A, the answer records given
 * as text, one per line, and an OPT record. */
static void
put_reply(const char* name, const char* records)
{
	char line[512];
	const char* p = records;
	uint8_t rr[LDNS_RR_BUF_SIZE];
	size_t n = 0, len, dlen;
	uint8_t* wire = sldns_str2wire_dname(name, &dlen);
	ck_assert_ptr_nonnull(wire);
	sldns_buffer_clear(pkt);
	sldns_buffer_write_u16(pkt, 0x4321);
	sldns_buffer_write_u16(pkt, BIT_QR|BIT_RD|BIT_RA);
	sldns_buffer_write_u16(pkt, 1);
	sldns_buffer_write_u16(pkt, 0); /* ancount, set below */
	sldns_buffer_write_u16(pkt, 0);
	sldns_buffer_write_u16(pkt, 0);
	sldns_buffer_write(pkt, wire, dlen);
	sldns_buffer_write_u16(pkt, LDNS_RR_TYPE_A);
	sldns_buffer_write_u16(pkt, LDNS_RR_CLASS_IN);
	free(wire);
	while(*p) {
		const char* e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		len = sizeof(rr);
		ck_assert_int_eq(sldns_str2wire_rr_buf(line, rr, &len, &dlen,
			3600, NULL, 0, NULL, 0), 0);
		sldns_buffer_write(pkt, rr, len);
		n++;
		p += l + (e ? 1 : 0);
	}
	sldns_buffer_write_u16_at(pkt, 6, (uint16_t)n);
	/* the client asked with EDNS: an OPT record, 1232 bytes, no options */
	sldns_buffer_write_u8(pkt, 0);
	sldns_buffer_write_u16(pkt, LDNS_RR_TYPE_OPT);
	sldns_buffer_write_u16(pkt, 1232);
	sldns_buffer_write_u32(pkt, 0);
	sldns_buffer_write_u16(pkt, 0);
	sldns_buffer_write_u16_at(pkt, 10, 1);
	sldns_buffer_flip(pkt);
}

/** The worker's exit check of the reply in pkt, for client IP. */
static int
wire_check(const char* ip)
{
	struct comm_reply c;
	struct vpndns_view* view = client(ip, &c);
	regional_free_all(scratch);
	return vpndns_policy_wire_check(policy, &env, view, &c, pkt, scratch);
}

START_TEST(test_exit_check_of_worker_replies)
{
	/* a chain from local data into a blocked name */
	put_reply("lc.local.example.",
		"lc.local.example. 300 IN CNAME t.ads.example.\n"
		"t.ads.example. 300 IN A 10.6.6.6");
	ck_assert(wire_check("10.1.0.5"));
	assert_nxdomain_block("lc.local.example.", 0x4321);
	/* the view's own list, with the view's action */
	put_reply("s.local.example.",
		"s.local.example. 300 IN CNAME www.social.example.");
	ck_assert(!wire_check("10.1.0.5"));
	put_reply("s.local.example.",
		"s.local.example. 300 IN CNAME www.social.example.");
	ck_assert(wire_check("10.2.0.5"));
	ck_assert_int_eq(reply_of().rcode, LDNS_RCODE_REFUSED);
	/* a clean reply is left as it is, and so is an exempt client's */
	put_reply("ok.local.example.",
		"ok.local.example. 300 IN A 192.0.2.77");
	{
		size_t before = sldns_buffer_limit(pkt);
		ck_assert(!wire_check("10.1.0.5"));
		ck_assert_int_eq(sldns_buffer_limit(pkt), before);
		ck_assert_int_eq(reply_of().ancount, 1);
	}
	put_reply("lc.local.example.",
		"lc.local.example. 300 IN CNAME t.ads.example.");
	ck_assert(!wire_check("10.1.99.7"));
}
END_TEST

START_TEST(test_explain)
{
	struct vpndns_out out;
	struct comm_reply c;
	struct vpndns_view* view = client("10.2.0.5", &c);
	size_t len;
	uint8_t* name = sldns_str2wire_dname("www.social.example.", &len);
	ck_assert_ptr_nonnull(name);
	memset(&out, 0, sizeof(out));
	vpndns_policy_explain(policy, views->conf, view, &c.client_addr,
		c.client_addrlen, name, len, &out);
	ck_assert_ptr_nonnull(out.text);
	ck_assert_msg(strstr(out.text, "guest.list") != NULL, "explain: %s",
		out.text);
	ck_assert_msg(strstr(out.text, "refuse") != NULL, "explain: %s",
		out.text);
	free(name);
	free(out.text);
}
END_TEST

/** The suite. */
/** One block answer, written by the encoder chosen; the packet holds
 * it on return.  Returns whether the EDNS kept an EDE option for a
 * later encoder (the general encoder's mark). */
static int
block_answer(struct vpndns_policy* p, struct vpndns_view* view,
	struct comm_reply* c, const char* name, uint16_t type,
	uint16_t flags, int edns_on, int do_bit, uint16_t udp, int wire)
{
	struct query_info q;
	struct edns_data edns;
	struct vpndns_verdict v;
	uint8_t* wirename = query_packet(&q, name, type, NULL);
	memset(&edns, 0, sizeof(edns));
	edns.edns_present = edns_on;
	edns.udp_size = udp;
	edns.bits = do_bit ? EDNS_DO : 0;
	sldns_buffer_write_u16_at(pkt, 2, flags);
	vpndns_policy_wire_answers(wire);
	ck_assert(vpndns_policy_front(p, &env, view, c, &q, &edns, pkt,
		scratch, &v));
	vpndns_policy_wire_answers(1);
	free(wirename);
	return edns.opt_list_out != NULL;
}

START_TEST(test_block_wire_matches_encoder)
{
	/* every block action, for the types that get addresses and one that
	 * doesn't, with and without EDNS, DO, RD and CD, EDE on and off, and
	 * a UDP size too small for the answer: the bytes written straight
	 * into the packet are the general encoder's */
	static const char* actions[] = { "nxdomain", "nodata", "null",
		"ip 10.9.9.9", "ip 10.9.9.9 2001:db8::9" };
	static const uint16_t types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
		LDNS_RR_TYPE_TXT };
	static const uint16_t flagsets[] = { 0x0100, 0x0000, 0x0110 };
	static const uint16_t udps[] = { 1232, 512, 40 };
	uint8_t expect[1024];
	size_t a, t, f, u, elen;
	int e, d, ede, direct = 0;
	for(a = 0; a < sizeof(actions)/sizeof(actions[0]); a++) {
		char text[512];
		int nerr = 0;
		struct vpndns_conf* conf;
		struct vpndns_policy* p;
		struct vpndns_views* vs;
		struct vpndns_client_rule* rule;
		struct vpndns_view* view;
		struct comm_reply c;
		snprintf(text, sizeof(text), "view: v 192.0.2.1\n"
			"client: 10.1.0.0/16 v\nblocklist: %s/global.list\n"
			"block-action: %s\n", dir, actions[a]);
		ck_assert_ptr_nonnull(conf = vpndns_conf_parse("wire.conf",
			text, cfg, &nerr, NULL));
		ck_assert_ptr_nonnull(p = vpndns_policy_create(conf, cfg,
			NULL));
		ck_assert_ptr_nonnull(vs = vpndns_views_create(conf, cfg,
			&alloc, hints));
		memset(&c, 0, sizeof(c));
		ck_assert(ipstrtoaddr("10.1.0.5", 53000, &c.client_addr,
			&c.client_addrlen));
		ck_assert_ptr_nonnull(view = vpndns_views_peek(vs,
			&c.client_addr, c.client_addrlen, &rule));
		for(t = 0; t < 3; t++)
		for(f = 0; f < 3; f++)
		for(u = 0; u < 3; u++)
		for(e = 0; e < 2; e++)
		for(d = 0; d < 2; d++)
		for(ede = 0; ede < 2; ede++) {
			cfg->ede = ede;
			(void)block_answer(p, view, &c, "x.Ads.example.",
				types[t], flagsets[f], e, d, udps[u], 0);
			elen = sldns_buffer_limit(pkt);
			ck_assert_uint_le(elen, sizeof(expect));
			memcpy(expect, sldns_buffer_begin(pkt), elen);
			if(!block_answer(p, view, &c, "x.Ads.example.",
				types[t], flagsets[f], e, d, udps[u], 1))
				direct++;
			ck_assert_msg(sldns_buffer_limit(pkt) == elen &&
				memcmp(sldns_buffer_begin(pkt), expect,
				elen) == 0, "block answer differs: action %s "
				"type %d flags %x udp %d edns %d do %d ede %d",
				actions[a], (int)types[t], (unsigned)flagsets[f],
				(int)udps[u], e, d, ede);
		}
		vpndns_policy_delete(p);
		vpndns_views_delete(vs);
	}
	cfg->ede = 1;
	/* the direct writer answered most of them itself */
	ck_assert_int_gt(direct, 5 * 3 * 3 * 3 * 2 * 2 * 2 / 2);
}
END_TEST

static Suite*
policy_suite(void)
{
	const TTest* const tests[] = { test_blocked_name_and_below,
		test_allow_and_exempt, test_view_list_and_action,
		test_regex_and_static, test_alias_of_blocked_name,
		test_exit_check_of_worker_replies, test_explain,
		test_block_wire_matches_encoder, NULL };
	Suite* s = suite_create("vpndns policy");
	tcase_add_checked_fixture(unit_tcase(s, "policy", 0, tests), setup,
		teardown);
	return s;
}

int
main(void)
{
	return unit_run(policy_suite());
}
