/*
 * bench/fastdns.c - a fast fixed-answer DNS upstream for the benchmarks.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/*
 * Answers every UDP query on the given addresses at once, without logging:
 *  - A    with one A record (-4 ADDR, default 192.0.2.1),
 *  - AAAA with one AAAA record (-6 ADDR, default 2001:db8::1),
 *  - any other type with an empty NOERROR answer (NODATA),
 * all with TTL -t (default 300).  The question is echoed as it came; a
 * query with records in its additional section (an EDNS OPT) gets an OPT
 * record back (payload size 1232, no options).
 *
 * It uses only libc: non-blocking sockets, poll() and recvmmsg/sendmmsg.
 * Its life is bounded: it exits after -T seconds (default 900) or after
 * -n queries (default 100,000,000), or on SIGTERM/SIGINT.  With -s FILE it
 * writes the number of queries answered to FILE whenever it changed, at
 * most every 20 ms (written to FILE.tmp and renamed, so a reader never
 * sees half a number); the benchmark reads it to check that a cache-hit
 * run reached no upstream and a cache-miss run reached it every time.
 *
 * With -l FILE it also writes the name and type of every query to FILE, for
 * debugging a benchmark; that slows it down, so benchmarks leave it off.
 *
 * usage: fastdns -a ADDR [-a ADDR ...] -p PORT [-t TTL] [-4 A] [-6 AAAA]
 *	[-T seconds] [-n queries] [-s statsfile] [-P pidfile] [-l logfile]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/** most addresses to listen on */
#define MAX_ADDRS 64
/** packets taken or sent per system call */
#define BATCH 64
/** largest query handled; larger ones are dropped */
#define PKT_MAX 512
/** room for the answer after the question */
#define ANSWER_ROOM (12 + 16 + 11)

/** set by the signal handler: stop */
static volatile sig_atomic_t stop_flag;

/** stop on a signal */
static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/** monotonic time in seconds */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** settings */
struct opts {
	/** addresses to listen on */
	const char* addrs[MAX_ADDRS];
	/** how many */
	int naddrs;
	/** port */
	int port;
	/** TTL of the records */
	uint32_t ttl;
	/** the A record */
	uint8_t a[4];
	/** the AAAA record */
	uint8_t aaaa[16];
	/** lifetime in seconds */
	double lifetime;
	/** most queries */
	unsigned long long max_queries;
	/** file for the count, or NULL */
	const char* statsfile;
	/** file for the pid, or NULL */
	const char* pidfile;
	/** query log, or NULL */
	FILE* log;
};

/** write the count to the stats file, atomically */
static void
write_stats(const char* file, unsigned long long count)
{
	char tmp[4096];
	FILE* f;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if(!(f = fopen(tmp, "w")))
		return;
	fprintf(f, "%llu\n", count);
	if(fclose(f) == 0)
		(void)rename(tmp, file);
}

/** put a 16-bit value in network order */
static void
put16(uint8_t* p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/** get a 16-bit value in network order */
static unsigned
get16(const uint8_t* p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

/**
 * Turn the query in pkt (len bytes, buffer of PKT_MAX + ANSWER_ROOM) into
 * its answer.
 * @return the length of the answer, or 0 to drop the packet.
 */
static size_t
make_answer(const struct opts* o, uint8_t* pkt, size_t len)
{
	size_t pos = 12, qend;
	unsigned qtype, qdcount, arcount;
	if(len < 12 || (pkt[2] & 0x80))
		return 0; /* too short, or a response */
	qdcount = get16(pkt + 4);
	arcount = get16(pkt + 10);
	if(qdcount != 1 || ((pkt[2] >> 3) & 0xf) != 0)
		return 0; /* not a plain query */
	/* skip the question name: uncompressed labels */
	while(pos < len && pkt[pos] != 0) {
		if(pkt[pos] & 0xc0)
			return 0;
		pos += (size_t)pkt[pos] + 1;
	}
	if(pos + 5 > len)
		return 0;
	qtype = get16(pkt + pos + 1);
	qend = pos + 5;
	if(o->log) {
		size_t p = 12;
		while(pkt[p] != 0) {
			fprintf(o->log, "%.*s.", (int)pkt[p], (const char*)pkt + p + 1);
			p += (size_t)pkt[p] + 1;
		}
		fprintf(o->log, " %u\n", qtype);
	}
	/* header: QR, opcode and RD kept, RA, rcode NOERROR */
	pkt[2] = (uint8_t)((pkt[2] & 0x79) | 0x80);
	pkt[3] = 0x80;
	put16(pkt + 6, 0);	/* ancount */
	put16(pkt + 8, 0);	/* nscount */
	put16(pkt + 10, 0);	/* arcount */
	pos = qend;
	if(qtype == 1 || qtype == 28) {
		size_t rdlen = qtype == 1 ? 4 : 16;
		pkt[pos++] = 0xc0;	/* name: pointer to the question */
		pkt[pos++] = 12;
		put16(pkt + pos, qtype);
		put16(pkt + pos + 2, 1);	/* class IN */
		pkt[pos + 4] = (uint8_t)(o->ttl >> 24);
		pkt[pos + 5] = (uint8_t)(o->ttl >> 16);
		pkt[pos + 6] = (uint8_t)(o->ttl >> 8);
		pkt[pos + 7] = (uint8_t)o->ttl;
		put16(pkt + pos + 8, (unsigned)rdlen);
		pos += 10;
		memcpy(pkt + pos, qtype == 1 ? o->a : o->aaaa, rdlen);
		pos += rdlen;
		put16(pkt + 6, 1);
	}
	if(arcount > 0) {
		/* OPT: root name, type 41, payload 1232, no flags, no data */
		pkt[pos++] = 0;
		put16(pkt + pos, 41);
		put16(pkt + pos + 2, 1232);
		memset(pkt + pos + 4, 0, 6);
		pos += 10;
		put16(pkt + 10, 1);
	}
	return pos;
}

/** answer everything waiting on one socket; return the count answered */
static unsigned
serve_socket(const struct opts* o, int fd)
{
	static uint8_t bufs[BATCH][PKT_MAX + ANSWER_ROOM];
	static struct sockaddr_storage from[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov[BATCH];
	unsigned total = 0;
	int i, n, k;
	for(;;) {
		for(i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = PKT_MAX;
			memset(&in[i], 0, sizeof(in[i]));
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
			in[i].msg_hdr.msg_iov = &iov[i];
			in[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
		if(n <= 0)
			return total;
		for(i = 0, k = 0; i < n; i++) {
			size_t alen;
			if(in[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			alen = make_answer(o, bufs[i], in[i].msg_len);
			if(alen == 0)
				continue;
			iov[i].iov_len = alen;
			memset(&out[k], 0, sizeof(out[k]));
			out[k].msg_hdr.msg_name = &from[i];
			out[k].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
			out[k].msg_hdr.msg_iov = &iov[i];
			out[k].msg_hdr.msg_iovlen = 1;
			k++;
		}
		if(k > 0) {
			/* a full send buffer drops the rest, as UDP may */
			int sent = sendmmsg(fd, out, (unsigned)k, MSG_DONTWAIT);
			if(sent > 0)
				total += (unsigned)sent;
		}
		if(n < BATCH)
			return total;
	}
}

/** open a non-blocking UDP socket on addr and port; -1 on failure */
static int
open_socket(const char* addr, int port)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd, on = 1, size = 4 * 1024 * 1024;
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if(inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)port);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if(fd < 0)
			return -1;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if(bind(fd, (struct sockaddr*)&a4, sizeof(a4)) < 0) {
			close(fd);
			return -1;
		}
	} else if(inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)port);
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		if(fd < 0)
			return -1;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if(bind(fd, (struct sockaddr*)&a6, sizeof(a6)) < 0) {
			close(fd);
			return -1;
		}
	} else {
		errno = EINVAL;
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/** print usage and exit */
static void
usage(void)
{
	fprintf(stderr, "usage: fastdns -a ADDR [-a ADDR ...] -p PORT [-t TTL] "
		"[-4 A] [-6 AAAA] [-T seconds] [-n queries] [-s statsfile] "
		"[-P pidfile] [-l logfile]\n");
	exit(2);
}

/** parse the command line */
static void
parse_opts(int argc, char** argv, struct opts* o)
{
	int c;
	memset(o, 0, sizeof(*o));
	o->ttl = 300;
	o->lifetime = 900;
	o->max_queries = 100000000ULL;
	(void)inet_pton(AF_INET, "192.0.2.1", o->a);
	(void)inet_pton(AF_INET6, "2001:db8::1", o->aaaa);
	while((c = getopt(argc, argv, "a:p:t:4:6:T:n:s:P:l:")) != -1) {
		switch(c) {
		case 'a':
			if(o->naddrs >= MAX_ADDRS)
				usage();
			o->addrs[o->naddrs++] = optarg;
			break;
		case 'p': o->port = atoi(optarg); break;
		case 't': o->ttl = (uint32_t)strtoul(optarg, NULL, 10); break;
		case '4':
			if(inet_pton(AF_INET, optarg, o->a) != 1)
				usage();
			break;
		case '6':
			if(inet_pton(AF_INET6, optarg, o->aaaa) != 1)
				usage();
			break;
		case 'T': o->lifetime = atof(optarg); break;
		case 'n': o->max_queries = strtoull(optarg, NULL, 10); break;
		case 's': o->statsfile = optarg; break;
		case 'P': o->pidfile = optarg; break;
		case 'l':
			if(!(o->log = fopen(optarg, "a"))) {
				perror(optarg);
				exit(1);
			}
			break;
		default: usage();
		}
	}
	if(o->naddrs < 1 || o->port < 1 || o->port > 65535 ||
		o->lifetime <= 0 || o->lifetime > 86400 || o->max_queries < 1)
		usage();
}

/** main: bind, answer until the time or count runs out */
int
main(int argc, char** argv)
{
	struct opts o;
	struct pollfd pfd[MAX_ADDRS];
	unsigned long long count = 0, written = (unsigned long long)-1;
	double start, last_write = 0;
	int i;
	parse_opts(argc, argv, &o);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	for(i = 0; i < o.naddrs; i++) {
		pfd[i].fd = open_socket(o.addrs[i], o.port);
		pfd[i].events = POLLIN;
		if(pfd[i].fd < 0) {
			fprintf(stderr, "fastdns: %s port %d: %s\n", o.addrs[i],
				o.port, strerror(errno));
			return 1;
		}
	}
	if(o.pidfile) {
		FILE* f = fopen(o.pidfile, "w");
		if(f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	start = now();
	while(!stop_flag && count < o.max_queries) {
		double t = now();
		if(t - start > o.lifetime)
			break;
		if(o.statsfile && count != written && t - last_write >= 0.02) {
			write_stats(o.statsfile, count);
			written = count;
			last_write = t;
		}
		if(poll(pfd, (nfds_t)o.naddrs, 20) <= 0)
			continue;
		for(i = 0; i < o.naddrs; i++)
			if(pfd[i].revents & POLLIN)
				count += serve_socket(&o, pfd[i].fd);
	}
	if(o.statsfile)
		write_stats(o.statsfile, count);
	if(o.log)
		fclose(o.log);
	fprintf(stderr, "fastdns: answered %llu queries in %.1f s\n", count,
		now() - start);
	return 0;
}
