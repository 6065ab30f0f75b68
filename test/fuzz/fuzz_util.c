/*
 * test/fuzz/fuzz_util.c - helpers shared by the vpndns fuzz targets.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */
#define _GNU_SOURCE
#include "config.h"
#include "fuzz_util.h"
#include "util/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

void
fuzz_quiet_logs(void)
{
	static int done = 0;
	const char* v = getenv("FUZZ_VERBOSE");
	if(done)
		return;
	done = 1;
	/* log_init creates the thread key log_vmsg reads */
	log_init(NULL, 0, NULL);
	log_ident_set("fuzz");
	if(v && *v && strcmp(v, "0") != 0) {
		verbosity = atoi(v);
		return;
	}
	verbosity = 0;
	log_file(fopen("/dev/null", "w"));
}

char*
fuzz_strndup(const uint8_t* data, size_t size)
{
	char* s = malloc(size + 1);
	if(!s)
		abort();
	if(size)
		memcpy(s, data, size);
	s[size] = 0;
	return s;
}

uint8_t*
fuzz_memdup(const uint8_t* data, size_t size)
{
	uint8_t* p = malloc(size ? size : 1);
	if(!p)
		abort();
	if(size)
		memcpy(p, data, size);
	return p;
}

const char*
fuzz_memfile(int slot, const uint8_t* data, size_t size)
{
	static int fds[4] = {-1, -1, -1, -1};
	static char paths[4][32];
	size_t done = 0;
	if(slot < 0 || slot > 3)
		abort();
	if(fds[slot] < 0) {
		if((fds[slot] = memfd_create("fuzz", 0)) < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(paths[slot], sizeof(paths[slot]), "/proc/self/fd/%d",
			fds[slot]);
	}
	if(ftruncate(fds[slot], 0) != 0)
		abort();
	while(done < size) {
		ssize_t n = pwrite(fds[slot], data + done, size - done,
			(off_t)done);
		if(n <= 0)
			abort();
		done += (size_t)n;
	}
	return paths[slot];
}

/** the directory of fuzz_tmpdir */
static const char* tmpdir = NULL;

/** remove the directory of fuzz_tmpdir and its files */
static void
tmpdir_remove(void)
{
	DIR* d = tmpdir ? opendir(tmpdir) : NULL;
	struct dirent* e;
	char path[512];
	if(!d)
		return;
	while((e = readdir(d))) {
		if(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(tmpdir);
}

void
fuzz_tmpdir(char* tmpl)
{
	if(!mkdtemp(tmpl)) {
		perror("mkdtemp");
		abort();
	}
	tmpdir = tmpl;
	atexit(tmpdir_remove);
}

void
fuzz_fail(const char* file, int line, const char* cond, const char* fmt, ...)
{
	va_list args;
	fprintf(stderr, "\n==FUZZ CHECK FAILED== %s:%d: %s\n  ", file, line,
		cond);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\n");
	abort();
}

void
fuzz_write_file(const char* dir, const char* name, const char* text)
{
	char path[256];
	FILE* f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if(!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
}
