/*
 * test/fuzz/fuzz_answer.c - fuzz target of the inspection of upstream
 * answers: CNAME/DNAME chains and malformed records.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The first input byte holds options, the rest is a DNS reply:
 *   bit 0: skip the iterator's scrubber (scrub_message), so the policy
 *          sees the message as parsed; otherwise it is scrubbed for the
 *          root zone, as the iterator does for a view's forwarders;
 *   bit 1: the query runs in view "guest", which has a list of its own,
 *          else in view "office";
 *   bit 2: the query state carries an egress-veto mark;
 *   bit 3: the client is in an exempt netblock.
 *
 * The reply goes through Unbound's own parser the way the iterator takes
 * it (parse_packet, parse_extract_edns_from_response_msg, scrub_message,
 * dns_alloc_msg) and then through every public policy entry that
 * inspects names, against a fixed policy (global list, per-view list,
 * allow entry, NXDOMAIN regex, static records, TTL override, exempt
 * netblock):
 *   vpndns_policy_answer       the iterator's answer (CNAME/DNAME chain);
 *   vpndns_policy_front_cached a cached reply in the front hook;
 *   vpndns_policy_egress_blocked every owner and target as a question;
 *   vpndns_policy_query and vpndns_policy_front  the question itself;
 *   vpndns_policy_front_ttl    TTL rewrite of the raw packet, with the
 *                              override vpndns_policy_decide found.
 * The target keeps its own blocksets, built from the same list files,
 * and looks up every owner name and CNAME/DNAME target of the answer
 * section itself, as policy.c promises to: the module's verdicts must
 * match.  Answers the module encodes must parse again.
 */
#include "config.h"
#include <regex.h>
#include "fuzz_util.h"
#include "vpndns/vpndns.h"
#include "vpndns/state.h"
#include "vpndns/conf.h"
#include "vpndns/view.h"
#include "vpndns/policy.h"
#include "vpndns/blockset.h"
#include "vpndns/listparse.h"
#include "util/config_file.h"
#include "util/alloc.h"
#include "util/regional.h"
#include "util/net_help.h"
#include "util/module.h"
#include "util/data/dname.h"
#include "util/data/msgparse.h"
#include "util/data/msgreply.h"
#include "util/data/msgencode.h"
#include "util/data/packed_rrset.h"
#include "util/storage/slabhash.h"
#include "util/netevent.h"
#include "services/cache/dns.h"
#include "iterator/iterator.h"
#include "iterator/iter_scrub.h"
#include "iterator/iter_priv.h"
#include "iterator/iter_utils.h"
#include "iterator/iter_hints.h"
#include "sldns/sbuffer.h"
#include "sldns/str2wire.h"
#include "sldns/wire2str.h"
#include "sldns/rrdef.h"
#include "vpndns/compat.h"
#include "sldns/pkthdr.h"

/** module id of vpndns in the stack */
#define MOD_ID 0
/** the NXDOMAIN regex of the policy: anchored at the start, and at the
 * end, where a conversion that drops the last labels of a long name
 * would miss */
#define REGEX "^regex[0-9]+\\.|\\.rx$"
/** list ids: the global list is the first list of the file */
#define LIST_GLOBAL 1
/** the view list */
#define LIST_GUEST 2

/** the global list: every format */
static const char global_list[] =
	"ads.example\n"
	"tracker.test\n"
	"cloak.example.net\n"
	"*.wild.test\n"
	"0.0.0.0 hosts.example hosts2.example\n"
	"||adblock.example^\n"
	"@@||fine.tracker.test^\n"
	"exact.example\n";
/** the list of view guest */
static const char guest_list[] = "guestonly.example\n";
/** static records */
static const char static_hosts[] =
	"192.0.2.10 static.test\n2001:db8::10 static.test\n";

/** Unbound's configuration, allocator, hints */
static struct config_file* cfg;
static struct alloc_cache alloc;
static struct iter_hints* hints;
/** the views (owning the configuration) and the policy */
static struct vpndns_views* views;
static struct vpndns_policy* policy;
/** the target's own sets: global with the allow entry, and guest */
static struct blockset* ref_global, *ref_guest;
/** the iterator environment for the scrubber */
static struct iter_env ie;
/** the worker environment */
static struct module_env wenv;
/** the time */
static time_t now;
/** the regex, compiled like policy_conf.c does */
static regex_t re;
/** wire names of the static entries: the name, and both PTR names */
static uint8_t* static_name, *ptr4, *ptr6;

int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/** Build a reference set from a list file. */
static struct blockset*
ref_set(const char* path, uint16_t id, int with_allow)
{
	struct listparse_cb cb;
	struct blockset_builder* b = blockset_builder_create();
	if(!b)
		abort();
	listparse_cb_init(&cb, b, id, 0);
	if(!listparse_path(path, &cb))
		abort();
	if(with_allow && !blockset_builder_add_text(b, "ok.ads.example",
		BS_ALLOW_DEFAULT, 0))
		abort();
	return blockset_builder_finish(b);
}

/** A wire name from text, for the static entries. */
static uint8_t*
wire(const char* s)
{
	size_t len;
	uint8_t* w = sldns_str2wire_dname(s, &len);
	if(!w)
		abort();
	return w;
}

int
LLVMFuzzerInitialize(int* ATTR_UNUSED(argc), char*** ATTR_UNUSED(argv))
{
	static char dir[] = "/tmp/vpndns-fuzz-answer-XXXXXX";
	char path[256];
	char conf_text[2048];
	struct vpndns_conf* conf;
	int nerr = 0;
	fuzz_quiet_logs();
	fuzz_tmpdir(dir);
	fuzz_write_file(dir, "global.list", global_list);
	fuzz_write_file(dir, "guest.list", guest_list);
	fuzz_write_file(dir, "static.hosts", static_hosts);
	snprintf(conf_text, sizeof(conf_text),
		"view: office 192.0.2.1\n"
		"view: guest 192.0.2.2\n"
		"default: view office\n"
		"blocklist: %s/global.list\n"
		"view-blocklist: guest %s/guest.list\n"
		"allow: ok.ads.example\n"
		"exempt: 10.99.0.0/16\n"
		"nxdomain-regex: " REGEX "\n"
		"static-records: %s/static.hosts\n"
		"ttl-override: ttl.test 42\n"
		"block-action: null\n"
		"view-block-action: guest refuse\n"
		"log-blocked: yes\n", dir, dir, dir);
	if(!(cfg = config_create()))
		abort();
	free(cfg->chrootdir);
	cfg->chrootdir = strdup("");
	cfg->ede = 1;
	cfg->num_threads = 1;
	alloc_init(&alloc, NULL, 0);
	if(!(hints = hints_create()))
		abort();
	name_tree_init(&hints->tree);
	if(!(conf = vpndns_conf_parse("answer.conf", conf_text, cfg, &nerr,
		NULL)))
		abort();
	if(!(policy = vpndns_policy_create(conf, cfg, NULL)) ||
		!(views = vpndns_views_create(conf, cfg, &alloc, hints)) ||
		views->nfixed != 2)
		abort();
	snprintf(path, sizeof(path), "%s/global.list", dir);
	ref_global = ref_set(path, LIST_GLOBAL, 1);
	snprintf(path, sizeof(path), "%s/guest.list", dir);
	ref_guest = ref_set(path, LIST_GUEST, 0);
	if(regcomp(&re, REGEX, REG_EXTENDED|REG_ICASE|REG_NOSUB) != 0)
		abort();
	static_name = wire("static.test.");
	ptr4 = wire("10.2.0.192.in-addr.arpa.");
	ptr6 = wire("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
	memset(&ie, 0, sizeof(ie));
	if(!(ie.priv = priv_create()) || !priv_apply_cfg(ie.priv, cfg))
		abort();
	memset(&wenv, 0, sizeof(wenv));
	wenv.cfg = cfg;
	wenv.alloc = &alloc;
	now = 1000000;
	wenv.now = &now;
	return 0;
}

/** Is the name blocked by the lists, per the target's own sets? */
static int
ref_blocked(int guest, uint8_t* name, size_t len)
{
	const struct blockset* sets[2];
	sets[0] = ref_global;
	sets[1] = ref_guest;
	return blockset_lookup_multi(sets, guest ? 2 : 1, name, len, NULL) ==
		BLOCKSET_BLOCKED;
}

/** The valid target of the first record of a CNAME or DNAME rrset,
 * the name the iterator would query next. */
static uint8_t*
chain_target(struct ub_packed_rrset_key* k, size_t* tlen)
{
	struct packed_rrset_data* d = (struct packed_rrset_data*)
		k->entry.data;
	uint16_t t = ntohs(k->rk.type);
	if(t != LDNS_RR_TYPE_CNAME && t != LDNS_RR_TYPE_DNAME)
		return NULL;
	if(d->count < 1 || d->rr_len[0] < 3)
		return NULL;
	*tlen = d->rr_len[0] - 2;
	if(dname_valid(d->rr_data[0] + 2, *tlen) != *tlen)
		return NULL;
	return d->rr_data[0] + 2;
}

/** Does a valid target of any record of a CNAME or DNAME rrset hit the
 * lists?  policy.c checks every record, not only the first. */
static int
ref_chain_blocked(int guest, struct ub_packed_rrset_key* k)
{
	struct packed_rrset_data* d = (struct packed_rrset_data*)
		k->entry.data;
	uint16_t t = ntohs(k->rk.type);
	size_t j, tlen;
	if(t != LDNS_RR_TYPE_CNAME && t != LDNS_RR_TYPE_DNAME)
		return 0;
	for(j = 0; j < d->count; j++) {
		if(d->rr_len[j] < 3)
			continue;
		tlen = d->rr_len[j] - 2;
		if(dname_valid(d->rr_data[j] + 2, tlen) == tlen &&
			ref_blocked(guest, d->rr_data[j] + 2, tlen))
			return 1;
	}
	return 0;
}

/** Does any name of the answer section hit the lists? */
static int
ref_rep_blocked(int guest, struct reply_info* rep)
{
	size_t i;
	for(i = 0; i < rep->an_numrrsets; i++) {
		struct ub_packed_rrset_key* k = rep->rrsets[i];
		if(ref_blocked(guest, k->rk.dname, k->rk.dname_len) ||
			ref_chain_blocked(guest, k))
			return 1;
	}
	return 0;
}

/** Does the query hit a static record or the regex (before the lists)? */
static int
ref_static_or_regex(struct query_info* q, int exempt, int* is_static)
{
	char text[LDNS_MAX_DOMAINLEN*4+2];
	size_t len;
	*is_static = query_dname_compare(q->qname, static_name) == 0 ||
		(q->qtype == LDNS_RR_TYPE_PTR && (query_dname_compare(
		q->qname, ptr4) == 0 || query_dname_compare(q->qname, ptr6)
		== 0));
	if(*is_static)
		return 1;
	if(exempt)
		return 0;
	/* sldns's presentation format, the whole name: it differs from
	 * the module's rendering only in escaping characters that the
	 * pattern can not match next to a label boundary */
	(void)sldns_wire2str_dname_buf(q->qname, q->qname_len, text,
		sizeof(text));
	len = strlen(text);
	if(len > 1 && text[len-1] == '.')
		text[len-1] = 0;
	return regexec(&re, text, 0, NULL, 0) == 0;
}

/** Number of records in the answer section of a reply, without RRSIGs. */
static size_t
answer_rrs(struct reply_info* rep)
{
	size_t i, n = 0;
	for(i = 0; i < rep->an_numrrsets; i++)
		n += ((struct packed_rrset_data*)rep->rrsets[i]->entry.data)->count;
	return n;
}

/** A query packet for the question, in a new buffer of 64 KiB. */
static sldns_buffer*
query_packet(struct query_info* q)
{
	sldns_buffer* b = sldns_buffer_new(65535);
	if(!b)
		abort();
	sldns_buffer_clear(b);
	sldns_buffer_write_u16(b, 0x1234);
	sldns_buffer_write_u16(b, BIT_RD);
	sldns_buffer_write_u16(b, 1);
	sldns_buffer_write_u16(b, 0);
	sldns_buffer_write_u16(b, 0);
	sldns_buffer_write_u16(b, 0);
	sldns_buffer_write(b, q->qname, q->qname_len);
	sldns_buffer_write_u16(b, q->qtype);
	sldns_buffer_write_u16(b, q->qclass);
	sldns_buffer_flip(b);
	return b;
}

/** An answer the module encoded must parse, with the query's ID. */
static void
check_encoded(sldns_buffer* pkt, const char* what)
{
	struct regional* r = regional_create();
	struct msg_parse* m;
	int rc;
	if(!r || !(m = regional_alloc_zero(r, sizeof(*m))))
		abort();
	FUZZ_CHECK(sldns_buffer_limit(pkt) >= LDNS_HEADER_SIZE,
		"%s: answer of %u bytes", what,
		(unsigned)sldns_buffer_limit(pkt));
	FUZZ_CHECK(sldns_buffer_read_u16_at(pkt, 0) == 0x1234 &&
		LDNS_QR_WIRE(sldns_buffer_begin(pkt)), "%s: bad header", what);
	sldns_buffer_set_position(pkt, 0);
	rc = parse_packet(pkt, m, r);
	FUZZ_CHECK(rc == 0, "%s: encoded answer does not parse: %d", what,
		rc);
	regional_destroy(r);
}

/** A fresh query state in a view. */
static void
make_qstate(struct module_qstate* qs, struct regional* region,
	struct module_env* venv, struct query_info* q, struct dns_msg* msg,
	struct vpndns_qstate* vq)
{
	memset(qs, 0, sizeof(*qs));
	qs->qinfo = *q;
	qs->query_flags = BIT_RD;
	qs->region = region;
	qs->env = venv;
	qs->return_msg = msg;
	qs->minfo[MOD_ID] = vq;
	qs->ext_state[MOD_ID] = module_state_initial;
}

/** The TTL override applied to a whole reply? */
static void
check_ttls(struct reply_info* rep, time_t ttl)
{
	size_t i, j;
	FUZZ_CHECK(rep->ttl == ttl && rep->prefetch_ttl == ttl,
		"reply ttl %lld", (long long)rep->ttl);
	for(i = 0; i < rep->rrset_count; i++) {
		struct packed_rrset_data* d = (struct packed_rrset_data*)
			rep->rrsets[i]->entry.data;
		for(j = 0; j < d->count + d->rrsig_count; j++)
			FUZZ_CHECK(d->rr_ttl[j] == ttl, "rr ttl %lld",
				(long long)d->rr_ttl[j]);
	}
}


/**
 * Scrub a parsed reply as the iterator does for a forwarder's answer.
 * 1.26 added the query state (for EDE texts) and the lameness outputs;
 * the harness has no query, so a blank state on the harness's env and
 * region stands in for it.
 */
static int
fuzz_scrub(struct sldns_buffer* pkt, struct msg_parse* prs,
	struct query_info* q, uint8_t* zone, struct regional* region,
	struct iter_env* ie)
{
#if VPNDNS_UNBOUND_VERSION >= 12600
	struct module_qstate qs;
	int lame_empty = 0, lame_referral = 0;
	memset(&qs, 0, sizeof(qs));
	qs.env = &wenv;
	qs.region = region;
	return scrub_message(pkt, prs, q, zone, region, &wenv, &qs, ie,
		&lame_empty, &lame_referral, 1);
#else
	return scrub_message(pkt, prs, q, zone, region, &wenv, ie);
#endif
}
/** The module's answer check of the iterator's answer to a question
 * that passed: blocked as the lists say, or left as it is (with a TTL
 * override applied to a copy). */
static void
check_answer(struct query_info* q, struct dns_msg* msg,
	struct reply_info* orig, struct module_env* venv,
	struct vpndns_view* view, int guest, int veto, struct regional* region)
{
	struct module_qstate qs;
	struct vpndns_qstate vq;
	int expect, got;
	memset(&vq, 0, sizeof(vq));
	vq.blocked_list = veto ? "fuzz-veto" : NULL;
	make_qstate(&qs, region, venv, q, msg, &vq);
	expect = veto || ref_rep_blocked(guest, msg->rep);
	got = vpndns_policy_answer(policy, policy, &qs, MOD_ID, view);
	FUZZ_CHECK(got == expect, "answer: policy %d, lists %d", got, expect);
	if(got) {
		FUZZ_CHECK(qs.ext_state[MOD_ID] == module_finished,
			"answered but state %d", (int)qs.ext_state[MOD_ID]);
		FUZZ_CHECK(qs.return_msg || qs.return_rcode != 0,
			"answered without message or rcode");
		FUZZ_CHECK(!guest || (!qs.return_msg &&
			qs.return_rcode == LDNS_RCODE_REFUSED),
			"guest blocks with refuse, got rcode %d",
			qs.return_rcode);
	} else {
		FUZZ_CHECK(qs.return_msg == msg, "message replaced");
		if(dname_subdomain_c(q->qname, (uint8_t*)"\003ttl\004test")) {
			FUZZ_CHECK(msg->rep != orig, "TTL override not applied "
				"to a copy");
			check_ttls(msg->rep, 42);
		} else
			FUZZ_CHECK(msg->rep == orig, "reply replaced");
	}
}

/** Run the policy on one parsed message. */
static void
run_policy(int opts, struct query_info* q, struct dns_msg* msg,
	struct regional* region)
{
	int guest = (opts & 2) != 0, veto = (opts & 4) != 0;
	int exempt = (opts & 8) != 0, is_static, expect, got;
	struct vpndns_view* view = views->fixed[guest ? 1 : 0];
	struct module_env* venv = vpndns_view_env(view, &wenv);
	struct module_qstate qs;
	struct vpndns_qstate vq;
	struct comm_reply rep;
	struct edns_data edns;
	struct reply_info* orig = msg->rep;
	time_t orig_ttl = msg->rep->ttl, orig_rrset_ttl = orig->rrset_count ?
		((struct packed_rrset_data*)orig->rrsets[0]->entry.data)->ttl : 0;
	sldns_buffer* pkt;
	struct vpndns_verdict v;
	uint16_t wid;
	size_t i, tlen;
	FUZZ_CHECK(venv && venv->msg_cache == view->msg_cache,
		"view environment");
	memset(&rep, 0, sizeof(rep));
	if(!ipstrtoaddr(exempt ? "10.99.0.1" : "10.1.2.3", 53,
		&rep.client_addr, &rep.client_addrlen))
		abort();

	/* every owner and chain target as an outgoing question */
	for(i = 0; i < msg->rep->an_numrrsets; i++) {
		struct ub_packed_rrset_key* k = msg->rep->rrsets[i];
		struct query_info eq = *q;
		uint8_t* t;
		memset(&vq, 0, sizeof(vq));
		make_qstate(&qs, region, venv, q, NULL, &vq);
		eq.qname = k->rk.dname;
		eq.qname_len = k->rk.dname_len;
		expect = ref_blocked(guest, eq.qname, eq.qname_len);
		got = vpndns_policy_egress_blocked(policy, policy, &eq, view,
			&qs, MOD_ID);
		FUZZ_CHECK(got == expect, "egress veto %d, lists %d (owner %u)",
			got, expect, (unsigned)i);
		FUZZ_CHECK((vq.blocked_list != NULL) == got, "veto mark %s",
			vq.blocked_list ? vq.blocked_list : "(none)");
		if((t = chain_target(k, &tlen))) {
			eq.qname = t;
			eq.qname_len = tlen;
			expect = ref_blocked(guest, t, tlen);
			got = vpndns_policy_egress_blocked(policy, policy, &eq,
				view, &qs, MOD_ID);
			FUZZ_CHECK(got == expect, "egress veto %d, lists %d "
				"(target %u)", got, expect, (unsigned)i);
		}
	}

	/* the iterator's answer; the module gets there only for a question
	 * that passed (it is not looked up again) */
	if(!ref_blocked(guest, q->qname, q->qname_len))
		check_answer(q, msg, orig, venv, view, guest, veto, region);
	FUZZ_CHECK(orig->ttl == orig_ttl && (orig->rrset_count == 0 ||
		((struct packed_rrset_data*)orig->rrsets[0]->entry.data)->ttl
		== orig_rrset_ttl), "the original reply was changed");
	msg->rep = orig;

	/* the exit check of a mesh reply: every owner and target */
	{
		struct reply_info* out = orig;
		int rcode = LDNS_RCODE_NOERROR;
		memset(&vq, 0, sizeof(vq));
		make_qstate(&qs, region, venv, q, msg, &vq);
		expect = !exempt && ref_rep_blocked(guest, orig);
		got = vpndns_policy_reply_check(policy, policy, &qs, view, &rep,
			&rcode, &out);
		FUZZ_CHECK(got == expect, "exit check: policy %d, lists %d",
			got, expect);
		FUZZ_CHECK(got ? out != orig : out == orig,
			"exit check: reply %s", got ? "kept" : "replaced");
	}

	/* the exit check of a reply the worker encoded: the same verdict
	 * from the wire */
	memset(&edns, 0, sizeof(edns));
	edns.udp_size = 65535;
	pkt = query_packet(q);
	/* the encoder takes the ID in wire order, as the packet has it */
	memcpy(&wid, sldns_buffer_begin(pkt), sizeof(wid));
	if(reply_info_answer_encode(q, orig, wid, BIT_RD, pkt, 0, 0, region,
		65535, &edns, 0, 0) && LDNS_ANCOUNT(sldns_buffer_begin(pkt)) ==
		answer_rrs(orig)) {
		expect = !exempt && ref_rep_blocked(guest, orig);
		got = vpndns_policy_wire_check(policy, &wenv, view, &rep, pkt,
			region);
		FUZZ_CHECK(got == expect, "wire exit check: policy %d, lists %d",
			got, expect);
		if(got)
			check_encoded(pkt, "wire exit check");
	}
	sldns_buffer_free(pkt);

	/* a cached reply in the front hook */
	memset(&edns, 0, sizeof(edns));
	edns.edns_present = 1;
	edns.udp_size = 1232;
	pkt = query_packet(q);
	got = vpndns_policy_front_cached(policy, &wenv, view, &rep, q, &edns,
		pkt, region, orig);
	if(orig->an_numrrsets < 2 && (orig->an_numrrsets == 0 ||
		(orig->rrsets[0]->rk.type != htons(LDNS_RR_TYPE_CNAME) &&
		orig->rrsets[0]->rk.type != htons(LDNS_RR_TYPE_DNAME))))
		expect = 0;
	else	expect = !exempt && ref_rep_blocked(guest, orig);
	FUZZ_CHECK(got == expect, "front_cached: policy %d, lists %d", got,
		expect);
	if(got)
		check_encoded(pkt, "front_cached");
	sldns_buffer_free(pkt);

	/* the question itself, in the mesh and in the front hook */
	make_qstate(&qs, region, venv, q, NULL, NULL);
	expect = ref_static_or_regex(q, 0, &is_static) ||
		ref_blocked(guest, q->qname, q->qname_len);
	got = vpndns_policy_query(policy, &qs, MOD_ID, view);
	FUZZ_CHECK(got == expect, "query: policy %d, expected %d", got,
		expect);
	memset(&edns, 0, sizeof(edns));
	edns.udp_size = 512;
	pkt = query_packet(q);
	expect = ref_static_or_regex(q, exempt, &is_static) || (!exempt &&
		ref_blocked(guest, q->qname, q->qname_len));
	got = vpndns_policy_front(policy, &wenv, view, &rep, q, &edns, pkt,
		region, &v);
	FUZZ_CHECK(got == expect, "front: policy %d, expected %d", got,
		expect);
	/* a pass may be remembered only when no exemption made it */
	FUZZ_CHECK(!v.memoizable || (!got && !exempt), "front: memoizable "
		"%d for got %d exempt %d", v.memoizable, got, exempt);
	if(got)
		check_encoded(pkt, "front");
	sldns_buffer_free(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	struct regional* region;
	struct msg_parse* prs;
	struct edns_data edns;
	struct query_info q;
	struct dns_msg* msg;
	struct vpndns_verdict v;
	sldns_buffer pkt;
	uint8_t* copy, *raw, *qname;
	int opts;
	if(size < 1 + LDNS_HEADER_SIZE)
		return 0;
	opts = data[0];
	size--;
	data++;
	/* exact-size copies, so a read past the end is caught */
	copy = fuzz_memdup(data, size);
	raw = fuzz_memdup(data, size);
	if(!(region = regional_create()) ||
		!(prs = regional_alloc_zero(region, sizeof(*prs))))
		abort();
	sldns_buffer_init_frm_data(&pkt, copy, size);

	if(parse_packet(&pkt, prs, region) != 0 || prs->qdcount != 1)
		goto done;
	memset(&edns, 0, sizeof(edns));
	if(parse_extract_edns_from_response_msg(prs, &edns, region) != 0)
		goto done;
	/* the question the iterator asked: the reply's own */
	memset(&q, 0, sizeof(q));
	if(!(qname = regional_alloc(region, LDNS_MAX_DOMAINLEN+1)))
		abort();
	dname_pkt_copy(&pkt, qname, prs->qname);
	q.qname = qname;
	q.qname_len = prs->qname_len;
	q.qtype = prs->qtype;
	q.qclass = prs->qclass;
	FUZZ_CHECK(dname_valid(q.qname, q.qname_len) == q.qname_len,
		"question name");
	if(!(opts & 1)) {
		uint8_t root[1] = {0};
		prs->flags &= ~BIT_CD;
		if(!fuzz_scrub(&pkt, prs, &q, root, region, &ie))
			goto done;
	}
	if(!(msg = dns_alloc_msg(&pkt, prs, region)))
		goto done;
	run_policy(opts, &q, msg, region);

	/* the TTL rewrite walks a cached answer in wire format: here the
	 * raw input */
	sldns_buffer_init_frm_data(&pkt, raw, size);
	(void)vpndns_policy_decide(policy, views->fixed[0], NULL, 0, &q, &v);
	vpndns_policy_front_ttl(&v, &pkt);
	FUZZ_CHECK(sldns_buffer_position(&pkt) == 0 &&
		sldns_buffer_limit(&pkt) == size, "front_ttl moved the buffer");
	FUZZ_CHECK(memcmp(raw, data, LDNS_HEADER_SIZE) == 0,
		"front_ttl changed the header");
done:
	regional_destroy(region);
	free(copy);
	free(raw);
	return 0;
}
