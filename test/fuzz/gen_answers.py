#!/usr/bin/python3
"""Write the seed corpus of fuzz_answer: DNS replies with CNAME and DNAME
chains into the names of fuzz_answer.c's fixed policy, and malformed ones.

Each file is one option byte (see fuzz_answer.c) and a reply in wire
format.  Run: /usr/bin/python3 test/fuzz/gen_answers.py [outdir]
(needs python3-dnspython; the files are kept in the repository, so this
is only needed to change them).
"""
import os
import struct
import sys

import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_answer")

# option bits of fuzz_answer.c
RAW, GUEST, VETO, EXEMPT = 1, 2, 4, 8


def reply(qname, qtype, answers, rcode=0, authority=(), additional=()):
    """A reply; answers are (owner, type, rdata text) triples."""
    q = dns.message.make_query(qname, qtype)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.RA
    r.set_rcode(rcode)
    for section, items in ((r.answer, answers), (r.authority, authority),
                           (r.additional, additional)):
        for owner, rtype, text in items:
            rs = dns.rrset.from_text(owner, 300, "IN", rtype, text)
            section.append(rs)
    return r.to_wire()


def hdr(qd, an, ns, ar, flags=0x8180, qid=0x1234):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def name(text):
    return dns.name.from_text(text).to_wire()


def rr(owner_wire, rtype, rdata, ttl=300):
    return owner_wire + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + \
        rdata


def q(qname_wire, qtype=1):
    return qname_wire + struct.pack("!HH", qtype, 1)


SEEDS = {}

# well-formed chains
SEEDS["plain_a"] = reply("www.example.com.", "A",
                         [("www.example.com.", "A", "192.0.2.1")])
SEEDS["cname_cloak"] = reply("www.shop.test.", "A", [
    ("www.shop.test.", "CNAME", "cdn.cloak.example.net."),
    ("cdn.cloak.example.net.", "A", "192.0.2.2")])
SEEDS["cname_exact_list"] = reply("track.shop.test.", "AAAA", [
    ("track.shop.test.", "CNAME", "ads.example."),
    ("ads.example.", "AAAA", "2001:db8::2")])
SEEDS["cname_three_hops_wild"] = reply("a.test.", "A", [
    ("a.test.", "CNAME", "b.test."),
    ("b.test.", "CNAME", "deep.c.wild.test."),
    ("deep.c.wild.test.", "A", "192.0.2.3")])
SEEDS["dname_into_list"] = reply("x.foo.example.", "A", [
    ("foo.example.", "DNAME", "tracker.test."),
    ("x.foo.example.", "CNAME", "x.tracker.test."),
    ("x.tracker.test.", "A", "192.0.2.4")])
SEEDS["dname_only"] = reply("y.bar.example.", "A", [
    ("bar.example.", "DNAME", "adblock.example.")])
SEEDS["cname_to_allowed"] = reply("promo.shop.test.", "A", [
    ("promo.shop.test.", "CNAME", "ok.ads.example."),
    ("ok.ads.example.", "A", "192.0.2.5")])
SEEDS["cname_to_exception"] = reply("m.shop.test.", "A", [
    ("m.shop.test.", "CNAME", "fine.tracker.test."),
    ("fine.tracker.test.", "A", "192.0.2.6")])
SEEDS["cname_guest_list"] = reply("g.shop.test.", "A", [
    ("g.shop.test.", "CNAME", "guestonly.example."),
    ("guestonly.example.", "A", "192.0.2.7")])
SEEDS["cname_upper_case"] = reply("u.shop.test.", "A", [
    ("u.shop.test.", "CNAME", "WWW.HOSTS.EXAMPLE."),
    ("WWW.HOSTS.EXAMPLE.", "A", "192.0.2.8")])
SEEDS["cname_exact_entry_child"] = reply("e.shop.test.", "A", [
    ("e.shop.test.", "CNAME", "sub.exact.example."),
    ("sub.exact.example.", "A", "192.0.2.9")])
SEEDS["qname_blocked"] = reply("tracker.test.", "A",
                               [("tracker.test.", "A", "192.0.2.10")])
SEEDS["qname_static"] = reply("static.test.", "AAAA",
                              [("static.test.", "AAAA", "2001:db8::99")])
SEEDS["qname_static_ptr"] = reply("10.2.0.192.in-addr.arpa.", "PTR", [
    ("10.2.0.192.in-addr.arpa.", "PTR", "elsewhere.test.")])
SEEDS["qname_regex"] = reply("regex7.shop.test.", "A",
                             [("regex7.shop.test.", "A", "192.0.2.11")])
# names of 254 and 255 wire bytes under the end-anchored pattern "\.rx$":
# its last label is lost if the text of the name is cut short
for _size, _last in ((254, 57), (255, 58)):
    _name = "%s.%s.%s.%s.rx." % ("a" * 63, "b" * 63, "c" * 63, "d" * _last)
    SEEDS["qname_regex_%d" % _size] = reply(_name, "A",
                                            [(_name, "A", "192.0.2.11")])
SEEDS["ttl_override_chain"] = reply("www.ttl.test.", "A", [
    ("www.ttl.test.", "CNAME", "edge.ttl.test."),
    ("edge.ttl.test.", "A", "192.0.2.12")])
SEEDS["nxdomain_soa"] = reply("nx.shop.test.", "A", [], rcode=3, authority=[
    ("shop.test.", "SOA", "ns.shop.test. h.shop.test. 1 2 3 4 5")])
SEEDS["cname_then_nodata"] = reply("n.shop.test.", "AAAA", [
    ("n.shop.test.", "CNAME", "x.tracker.test.")], authority=[
    ("tracker.test.", "SOA", "ns.tracker.test. h.tracker.test. 1 2 3 4 5")])
SEEDS["svcb_https"] = reply("h.shop.test.", "HTTPS", [
    ("h.shop.test.", "HTTPS", "1 cdn.cloak.example.net. alpn=h2")])

# hand-built and malformed: compression, bad rdata, odd counts
QN = name("www.shop.test.")
SEEDS["compressed_chain"] = (
    hdr(1, 2, 0, 0) + q(QN) +
    rr(b"\xc0\x0c", 5, b"\x03cdn\x05cloak\x07example\x03net\x00") +
    rr(b"\xc0\x26", 1, bytes([192, 0, 2, 13])))
SEEDS["cname_two_rrs"] = (
    hdr(1, 2, 0, 0) + q(QN) +
    rr(QN, 5, name("harmless.test.")) + rr(QN, 5, name("ads.example.")))
SEEDS["dname_two_rrs"] = (
    hdr(1, 2, 0, 0) + q(name("x.foo.example.")) +
    rr(name("foo.example."), 39, name("safe.test.")) +
    rr(name("foo.example."), 39, name("tracker.test.")))
SEEDS["cname_rdata_short"] = (
    hdr(1, 1, 0, 0) + q(QN) + rr(QN, 5, b"\x00"))
SEEDS["cname_rdata_badname"] = (
    hdr(1, 1, 0, 0) + q(QN) + rr(QN, 5, b"\x05ads\x00"))
SEEDS["cname_pointer_loop"] = (
    hdr(1, 1, 0, 0) + q(QN) + rr(QN, 5, b"\x01a\xc0\x20"))
SEEDS["cname_pointer_forward"] = (
    hdr(1, 1, 0, 0) + q(QN) + rr(QN, 5, b"\xc0\x40"))
SEEDS["truncated_rr"] = (
    hdr(1, 2, 0, 0) + q(QN) + rr(QN, 5, name("ads.example."))[:-4])
SEEDS["counts_too_high"] = (
    hdr(1, 9, 9, 9) + q(QN) + rr(QN, 5, name("ads.example.")))
SEEDS["rrsig_only"] = (
    hdr(1, 1, 0, 0) + q(QN) +
    rr(QN, 46, struct.pack("!HBBIIIH", 5, 8, 3, 300, 0, 0, 1) +
       name("shop.test.") + b"\x00" * 8))
SEEDS["chain_out_of_order"] = (
    hdr(1, 3, 0, 0) + q(name("a.test.")) +
    rr(name("b.test."), 5, name("cloak.example.net.")) +
    rr(name("a.test."), 5, name("b.test.")) +
    rr(name("cloak.example.net."), 1, bytes([192, 0, 2, 14])))
SEEDS["owner_not_qname"] = (
    hdr(1, 1, 0, 0) + q(QN) +
    rr(name("ads.example."), 1, bytes([192, 0, 2, 15])))
SEEDS["max_labels_target"] = (
    hdr(1, 1, 0, 0) + q(QN) +
    rr(QN, 5, b"\x01a" * 120 + name("ads.example.")[:0] + b"\x00"))
SEEDS["opt_record"] = (
    hdr(1, 1, 0, 1) + q(QN) + rr(QN, 5, name("ads.example.")) +
    b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0))

# option variants of a few
VARIANTS = {
    "cname_cloak": [RAW, GUEST, VETO, EXEMPT, GUEST | RAW],
    "cname_guest_list": [GUEST, GUEST | EXEMPT],
    "dname_into_list": [RAW, GUEST],
    "cname_two_rrs": [RAW],
    "dname_two_rrs": [RAW],
    "chain_out_of_order": [RAW],
    "owner_not_qname": [RAW],
    "qname_static_ptr": [EXEMPT],
    "qname_regex": [EXEMPT, GUEST],
    "ttl_override_chain": [RAW, VETO],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for key, wire in sorted(SEEDS.items()):
        for opt in [0] + VARIANTS.get(key, []):
            fn = key if opt == 0 else "%s_opt%d" % (key, opt)
            with open(os.path.join(OUT, fn), "wb") as f:
                f.write(bytes([opt]) + wire)
    print("%d seeds in %s" % (len(os.listdir(OUT)), OUT))


if __name__ == "__main__":
    main()
