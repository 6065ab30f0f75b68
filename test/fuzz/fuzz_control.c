/*
 * test/fuzz/fuzz_control.c - fuzz target of the vpndns_* control commands.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The input is a script of unbound-control command lines, one per line,
 * such as "vpndns_forward_add 10.9.0.0/16 192.0.2.9@5353".  Each line is
 * handed to vpndns_remote_cmd, the entry Unbound's remote.c calls, so the
 * whole path runs: the word splitter, the command table, the argument
 * checks, and the commands themselves against a live module.
 *
 * vpndns_remote_cmd needs an active module for everything past the
 * splitter, so the target starts one without a daemon: vpndns_init on a
 * module_env with Unbound's configuration (module-config "vpndns
 * iterator", vpndns-config naming a file the target writes), an
 * allocator and one thread.  Every input gets a fresh module, so the
 * state a script builds (live forward and allow changes, reflect views,
 * reloads) never leaks into the next input, and crashes reproduce.
 * A reload runs on the module's reload thread; the target waits for it
 * after each line (vpndns_reload_wait), which keeps runs deterministic.
 *
 * Checked on every line: an answer is returned (NULL only on malloc
 * failure), it is complete lines, errors start with "error ", and an
 * unknown command gets "error unknown command".  Before the module
 * starts, the first line must get "error vpndns is not in module-config"
 * (or "error empty command" for no words and "error too many arguments"
 * for more than 64).  After
 * each line vpndns_list and vpndns_status must still answer without an
 * error, so every change leaves a consistent snapshot behind; the module
 * must stop cleanly at the end.
 * FUZZ_SHOW=1 in the environment prints each line and its answer.
 */
#include "config.h"
#include <ctype.h>
#include "fuzz_util.h"
#include "vpndns/vpndns.h"
#include "vpndns/reload.h"
#include "util/config_file.h"
#include "util/alloc.h"
#include "util/module.h"

/** most lines run per input */
#define MAX_LINES 24
/** most words the command splitter takes */
#define CTL_MAX_ARGS 64

/** the configuration the module starts with */
static const char conf_fmt[] =
	"view: office 192.0.2.1 192.0.2.2@5353\n"
	"view: guest 192.0.2.3\n"
	"forward: 10.1.0.0/16 192.0.2.4\n"
	"client: 10.2.0.0/16 guest\n"
	"reflect: 10.3.0.0/16 5300\n"
	"domain-forward: corp.example 192.0.2.5\n"
	"default: view office\n"
	"max-reflect-views: 4\n"
	"blocklist: %s/global.list\n"
	"view-blocklist: guest %s/guest.list exact\n"
	"allow: ok.ads.example\n"
	"static-records: %s/static.hosts\n"
	"ttl-override: ttl.test 42\n";

/** Unbound's configuration, the allocator, the time */
static struct config_file* cfg;
static struct alloc_cache alloc;
static time_t now;

int LLVMFuzzerInitialize(int* argc, char*** argv);
int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int
LLVMFuzzerInitialize(int* ATTR_UNUSED(argc), char*** ATTR_UNUSED(argv))
{
	static char dir[] = "/tmp/vpndns-fuzz-control-XXXXXX";
	char text[2048], path[256];
	fuzz_quiet_logs();
	fuzz_tmpdir(dir);
	fuzz_write_file(dir, "global.list", "ads.example\n*.wild.test\n"
		"0.0.0.0 hosts.example\n||adblock.example^\n");
	fuzz_write_file(dir, "guest.list", "guestonly.example\n");
	fuzz_write_file(dir, "static.hosts", "192.0.2.10 static.test\n");
	snprintf(text, sizeof(text), conf_fmt, dir, dir, dir);
	fuzz_write_file(dir, "vpndns.conf", text);
	snprintf(path, sizeof(path), "%s/vpndns.conf", dir);
	if(!(cfg = config_create()))
		abort();
	free(cfg->chrootdir);
	free(cfg->module_conf);
	cfg->chrootdir = strdup("");
	cfg->module_conf = strdup("vpndns iterator");
	cfg->vpndns_config = strdup(path);
	cfg->num_threads = 1;
	if(!cfg->chrootdir || !cfg->module_conf || !cfg->vpndns_config)
		abort();
	alloc_init(&alloc, NULL, 0);
	now = 1000000;
	return 0;
}

/** Number of words the command splitter makes of a line, -1 above 64. */
static int
count_words(const char* s)
{
	int n = 0;
	while(*s) {
		while(*s && isspace((unsigned char)*s))
			s++;
		if(!*s)
			break;
		if(n == CTL_MAX_ARGS)
			return -1;
		n++;
		while(*s && !isspace((unsigned char)*s))
			s++;
	}
	return n;
}

/** Check that an answer is complete lines. */
static void
check_lines(const char* cmd, const char* ans)
{
	size_t len;
	FUZZ_CHECK(ans != NULL, "no answer to '%.200s'", cmd);
	len = strlen(ans);
	FUZZ_CHECK(len > 0, "empty answer to '%.200s'", cmd);
	FUZZ_CHECK(ans[len-1] == '\n', "answer to '%.200s' does not end in "
		"a newline: %.200s", cmd, ans);
}

/** Run a command that must succeed on any consistent state. */
static void
check_state(struct module_env* env, const char* cmd)
{
	char* ans = vpndns_remote_cmd(env, cmd);
	check_lines(cmd, ans);
	FUZZ_CHECK(strncmp(ans, "error", 5) != 0 && !strstr(ans, "\nerror"),
		"'%s' after the script failed: %.300s", cmd, ans);
	free(ans);
}

/** Run one line on the active module. */
static void
run_line(struct module_env* env, const char* line)
{
	char first[128];
	char* ans = vpndns_remote_cmd(env, line);
	int words = count_words(line);
	if(getenv("FUZZ_SHOW"))
		fprintf(stderr, "> %s\n%s", line, ans ? ans : "(NULL)\n");
	check_lines(line, ans);
	if(words < 1)
		FUZZ_CHECK(strcmp(ans, words == 0 ? "error empty command\n" :
			"error too many arguments\n") == 0,
			"%d words: %.200s", words, ans);
	else if(strncmp(ans, "error ", 6) != 0 &&
		sscanf(line, " %127s", first) == 1)
		FUZZ_CHECK(strncmp(first, "vpndns_", 7) == 0,
			"command '%s' accepted", first);
	free(ans);
	/* a reload runs on its own thread: finish it before going on */
	vpndns_reload_wait(vpndns_active());
}

int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	struct module_env env;
	char* text = fuzz_strndup(data, size), *line, *next;
	char* ans;
	int n = 0, words;
	memset(&env, 0, sizeof(env));
	env.cfg = cfg;
	env.alloc = &alloc;
	env.now = &now;

	/* not active: only the splitter and the refusal run */
	FUZZ_CHECK(vpndns_active() == NULL, "module active before init");
	if((next = strchr(text, '\n')))
		*next = 0;
	ans = vpndns_remote_cmd(&env, text);
	words = count_words(text);
	check_lines(text, ans);
	FUZZ_CHECK(strcmp(ans, words == 0 ? "error empty command\n" :
		words < 0 ? "error too many arguments\n" :
		"error vpndns is not in module-config\n") == 0,
		"inactive module answered '%.200s' to %d words", ans, words);
	free(ans);
	if(next)
		*next = '\n';

	FUZZ_CHECK(vpndns_init(&env, 0), "vpndns_init failed");
	FUZZ_CHECK(vpndns_active() != NULL, "module not active after init");
	for(line = text; line && n < MAX_LINES; line = next, n++) {
		if((next = strchr(line, '\n')))
			*next++ = 0;
		run_line(&env, line);
		check_state(&env, "vpndns_list");
	}
	check_state(&env, "vpndns_status");
	vpndns_deinit(&env, 0);
	FUZZ_CHECK(vpndns_active() == NULL, "module active after deinit");
	free(text);
	return 0;
}
