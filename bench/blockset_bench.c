/*
 * bench/blockset_bench.c - load and lookup benchmark of the blocklist engine.
 *
 * Copyright (c) 2026, vpndns. All rights reserved.
 *
 * This software is open source.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions
 * are met:
 *
 * Redistributions of source code must retain the above copyright notice,
 * this list of conditions and the following disclaimer.
 *
 * Redistributions in binary form must reproduce the above copyright notice,
 * this list of conditions and the following disclaimer in the documentation
 * and/or other materials provided with the distribution.
 *
 * Neither the name of vpndns nor the names of its contributors may
 * be used to endorse or promote products derived from this software without
 * specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
 * "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
 * LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
 * A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
 * HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 * SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED
 * TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR
 * PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF
 * LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
 * NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 * SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */

/**
 * \file
 *
 * Benchmark of the blocklist engine.  It writes N random domain names to a
 * text file (or takes a given file), loads the file with the list parser
 * and the builder a few times, and reports the median load time, the size
 * of the built set, the peak resident memory, and the time per lookup.
 *
 * usage: blockset_bench [-n names] [-f file] [-i file] [-r runs]
 *	[-q lookups] [-s seed]
 *   -n names    names to generate (default 1000000)
 *   -f file     where to write them (default /tmp/blockset_bench.txt)
 *   -i file     load this existing list instead of generating one
 *   -r runs     loads to time; the median is reported (default 3)
 *   -q lookups  lookups to time (default 2000000)
 *   -s seed     random seed (default 1)
 */
#include "config.h"
#include "vpndns/blockset.h"
#include "vpndns/listparse.h"
#include "../test/unit/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/** most load runs */
#define MAX_RUNS 15
/** longest wire-format name */
#define WIRE_MAX 255
/** top-level domains of generated names, weighted by repetition */
static const char* const tlds[] = { "com", "com", "com", "com", "net",
	"org", "io", "de", "ru", "info", "xyz", "co", "top", "uk", "fr" };

/**
 * Settings from the command line.
 */
struct bench_opts {
	/** names to generate */
	size_t num_names;
	/** file with the names */
	const char* file;
	/** if true, the file exists and is not generated */
	int use_existing;
	/** load runs */
	int runs;
	/** lookups to time */
	size_t num_lookups;
	/** random seed */
	uint64_t seed;
};

/** a random number in [lo, hi] */
static size_t
rng_range(size_t lo, size_t hi)
{
	return lo + (size_t)(rng() % (uint64_t)(hi - lo + 1));
}

/** monotonic time in seconds */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** a value from /proc/self/status in kB, such as "VmHWM"; 0 if absent */
static long
proc_status_kb(const char* key)
{
	char line[256];
	long kb = 0;
	size_t klen = strlen(key);
	FILE* in = fopen("/proc/self/status", "r");
	if(!in)
		return 0;
	while(fgets(line, sizeof(line), in)) {
		if(strncmp(line, key, klen) == 0 && line[klen] == ':') {
			kb = atol(line + klen + 1);
			break;
		}
	}
	fclose(in);
	return kb;
}

/** a random label of the given length: letters, digits, inner hyphens */
static void
random_label(char* out, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;
	for(i = 0; i < len; i++) {
		/* hyphens only inside, and rarely, as in real names */
		if(i > 0 && i + 1 < len && rng() % 16 == 0)
			out[i] = '-';
		else	out[i] = chars[rng() % (i == 0 ? 26 : 36)];
	}
	out[len] = 0;
}

/**
 * A random name of 10..30 characters and 2..4 labels, the last a TLD.
 * @param out: the name; room for 64 bytes.
 */
static void
random_name(char* out)
{
	const char* tld = tlds[rng() % (sizeof(tlds) / sizeof(tlds[0]))];
	size_t labels = rng_range(1, 3), total = rng_range(10, 30), i;
	size_t left = total > strlen(tld) + labels ? total - strlen(tld) -
		labels : labels;
	char label[32];
	out[0] = 0;
	for(i = 0; i < labels; i++) {
		/* the first label takes what the others leave */
		size_t len = i + 1 == labels ? left : rng_range(1,
			left > labels - i ? (left - (labels - i - 1)) / 2 : 1);
		if(len < 1)
			len = 1;
		if(len > 24)
			len = 24;
		left = left > len ? left - len : 1;
		random_label(label, len);
		/* built from the right: prepend the label */
		memmove(out + len + 1, out, strlen(out) + 1);
		memcpy(out, label, len);
		out[len] = '.';
	}
	strcat(out, tld);
}

/** write the generated names; return 0 on failure */
static int
generate(const struct bench_opts* opts)
{
	char name[64];
	size_t i, bytes = 0;
	FILE* out = fopen(opts->file, "w");
	if(!out) {
		perror(opts->file);
		return 0;
	}
	for(i = 0; i < opts->num_names; i++) {
		random_name(name);
		bytes += strlen(name) + 1;
		fprintf(out, "%s\n", name);
	}
	if(fclose(out) != 0) {
		perror(opts->file);
		return 0;
	}
	printf("generated %zu names, %zu bytes, avg %.1f chars, in %s\n",
		opts->num_names, bytes, (double)bytes / (double)opts->num_names
		- 1, opts->file);
	return 1;
}

/** report callback that only counts */
static void
count_report(void* arg, int is_error, const char* msg)
{
	if(is_error)
		fprintf(stderr, "%s\n", msg);
	(*(size_t*)arg)++;
}

/**
 * Load the file once.
 * @param file: the list.
 * @param parse_s: set to the parse time in seconds.
 * @param build_s: set to the build time in seconds.
 * @param stats: set to the counts of the load.
 * @return the set or NULL on failure.
 */
static struct blockset*
load_once(const char* file, double* parse_s, double* build_s,
	struct listparse_stats* stats)
{
	struct blockset_builder* b = blockset_builder_create();
	struct listparse_cb cb;
	struct blockset* s;
	size_t reports = 0;
	double t0, t1;
	if(!b)
		return NULL;
	listparse_cb_init(&cb, b, 1, 0);
	cb.report = count_report;
	cb.report_arg = &reports;
	t0 = now();
	if(!listparse_path(file, &cb)) {
		blockset_builder_delete(b);
		return NULL;
	}
	t1 = now();
	s = blockset_builder_finish(b);
	*parse_s = t1 - t0;
	*build_s = now() - t1;
	*stats = cb.stats;
	return s;
}

/** qsort comparison of doubles */
static int
compare_double(const void* a, const void* b)
{
	double x = *(const double*)a, y = *(const double*)b;
	return x < y ? -1 : x > y;
}

/**
 * Make the lookup workload: a quarter listed names, a quarter names below
 * listed names, half unlisted names, all in one wire-format buffer.
 * @param opts: settings.
 * @param offsets: set to the start of each query; num_lookups+1 entries.
 * @return the buffer, or NULL on failure.
 */
static uint8_t*
make_queries(const struct bench_opts* opts, size_t** offsets)
{
	uint8_t* buf = (uint8_t*)malloc(opts->num_lookups * WIRE_MAX);
	char line[1024], name[1100];
	size_t i, len, pos = 0;
	FILE* in = fopen(opts->file, "r");
	*offsets = (size_t*)malloc((opts->num_lookups + 1) * sizeof(size_t));
	if(!buf || !*offsets || !in) {
		if(in)
			fclose(in);
		free(buf);
		free(*offsets);
		return NULL;
	}
	for(i = 0; i < opts->num_lookups; i++) {
		int kind = (int)(rng() % 4);
		name[0] = 0;
		if(kind < 2) {
			if(!fgets(line, sizeof(line), in)) {
				rewind(in);
				if(!fgets(line, sizeof(line), in))
					line[0] = 0;
			}
			line[strcspn(line, " \t\r\n")] = 0;
			snprintf(name, sizeof(name), "%s%s",
				kind == 1 ? "www." : "", line);
		}
		if(name[0] == 0 || strlen(name) > 250)
			random_name(name);
		(*offsets)[i] = pos;
		/* a line with an empty or overlong label is no name either */
		len = name_to_wire(name, buf + pos, WIRE_MAX);
		if(len == 0) {
			random_name(name);
			len = name_to_wire(name, buf + pos, WIRE_MAX);
		}
		pos += len;
	}
	(*offsets)[i] = pos;
	fclose(in);
	return buf;
}

/** time the lookups; print ns per lookup and the verdict counts */
static void
time_lookups(const struct bench_opts* opts, const struct blockset* s)
{
	size_t* offsets = NULL;
	uint8_t* buf = make_queries(opts, &offsets);
	size_t i, verdicts[3] = { 0, 0, 0 };
	const struct blockset* sets[2];
	double t0, single, multi;
	if(!buf) {
		fprintf(stderr, "cannot make the queries\n");
		return;
	}
	t0 = now();
	for(i = 0; i < opts->num_lookups; i++)
		verdicts[blockset_lookup(s, buf + offsets[i],
			offsets[i+1] - offsets[i], NULL)]++;
	single = now() - t0;
	/* global set and a view set: the same set twice for the cost */
	sets[0] = s;
	sets[1] = s;
	t0 = now();
	for(i = 0; i < opts->num_lookups; i++)
		(void)blockset_lookup_multi(sets, 2, buf + offsets[i],
			offsets[i+1] - offsets[i], NULL);
	multi = now() - t0;
	printf("lookup: %.1f ns/op single set, %.1f ns/op two sets "
		"(%zu lookups: %zu blocked, %zu none)\n",
		single * 1e9 / (double)opts->num_lookups,
		multi * 1e9 / (double)opts->num_lookups, opts->num_lookups,
		verdicts[BLOCKSET_BLOCKED], verdicts[BLOCKSET_NONE]);
	free(buf);
	free(offsets);
}

/** time the loads and print the figures; return 0 on failure */
static int
bench(const struct bench_opts* opts)
{
	double total[MAX_RUNS], parse_s, build_s, sum_parse = 0, sum_build = 0;
	struct listparse_stats stats;
	struct blockset* s = NULL;
	long rss_before = proc_status_kb("VmRSS"), hwm;
	int r;
	memset(total, 0, sizeof(total));
	memset(&stats, 0, sizeof(stats));
	for(r = 0; r < opts->runs; r++) {
		blockset_delete(s);
		if(!(s = load_once(opts->file, &parse_s, &build_s, &stats))) {
			fprintf(stderr, "load of %s failed\n", opts->file);
			return 0;
		}
		total[r] = parse_s + build_s;
		sum_parse += parse_s;
		sum_build += build_s;
		printf("load run %d: %.3f s (parse %.3f s, build %.3f s)\n",
			r + 1, total[r], parse_s, build_s);
	}
	hwm = proc_status_kb("VmHWM");
	qsort(total, (size_t)opts->runs, sizeof(double), compare_double);
	printf("names: %zu added, %zu distinct, %zu invalid\n", stats.names,
		blockset_count(s), stats.invalid);
	printf("load: median %.3f s of %d (mean parse %.3f s, build %.3f s)"
		"\n", total[opts->runs / 2], opts->runs,
		sum_parse / opts->runs, sum_build / opts->runs);
	printf("memory: %zu bytes, %.2f bytes/name\n", blockset_get_mem(s),
		(double)blockset_get_mem(s) / (double)blockset_count(s));
	printf("rss: VmHWM %ld kB peak, VmRSS %ld kB before, %ld kB after "
		"load\n", hwm, rss_before, proc_status_kb("VmRSS"));
#ifdef __GLIBC__
	/* glibc keeps the freed build buffers; without them the resident
	 * growth is the set itself */
	malloc_trim(0);
	printf("rss: VmRSS %ld kB after malloc_trim, %.2f bytes/name over "
		"the start\n", proc_status_kb("VmRSS"),
		(double)(proc_status_kb("VmRSS") - rss_before) * 1024.0 /
		(double)blockset_count(s));
#endif
	time_lookups(opts, s);
	blockset_delete(s);
	return 1;
}

/** print usage and exit */
static void
usage(void)
{
	fprintf(stderr, "usage: blockset_bench [-n names] [-f file] "
		"[-i file] [-r runs] [-q lookups] [-s seed]\n");
	exit(2);
}

/** parse the command line */
static void
parse_opts(int argc, char** argv, struct bench_opts* opts)
{
	int c;
	opts->num_names = 1000000;
	opts->file = "/tmp/blockset_bench.txt";
	opts->use_existing = 0;
	opts->runs = 3;
	opts->num_lookups = 2000000;
	opts->seed = 1;
	while((c = getopt(argc, argv, "n:f:i:r:q:s:")) != -1) {
		switch(c) {
		case 'n': opts->num_names = (size_t)atol(optarg); break;
		case 'f': opts->file = optarg; break;
		case 'i': opts->file = optarg; opts->use_existing = 1; break;
		case 'r': opts->runs = atoi(optarg); break;
		case 'q': opts->num_lookups = (size_t)atol(optarg); break;
		case 's': opts->seed = (uint64_t)atol(optarg); break;
		default: usage();
		}
	}
	if(opts->runs < 1 || opts->runs > MAX_RUNS || opts->num_names < 1 ||
		opts->num_lookups < 1)
		usage();
}

/** main: generate, load, measure */
int
main(int argc, char** argv)
{
	struct bench_opts opts;
	parse_opts(argc, argv, &opts);
	rng_state = opts.seed * 0x9E3779B97F4A7C15ULL + 1;
	if(!opts.use_existing && !generate(&opts))
		return 1;
	return bench(&opts) ? 0 : 1;
}
