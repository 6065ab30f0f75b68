/*
 * vpndns/conf.h - vpndns configuration file (vpndns.conf).
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The vpndns.conf parser.  The file uses Unbound's "keyword: value" style
 * with '#' comments.  Parsing produces an immutable struct vpndns_conf; the
 * runtime views are built from it (view.h).  Every error is reported with
 * file:line and the reason, and the whole file is rejected, so a reload
 * with a broken file never replaces a working configuration.
 */

#ifndef VPNDNS_CONF_H
#define VPNDNS_CONF_H
#include "util/rbtree.h"
#include "util/storage/dnstree.h"
struct config_file;
struct vpndns_policy_conf;
struct vpndns_out;

/** default size limit of the reflect view table */
#define VPNDNS_DEFAULT_MAX_REFLECT_VIEWS 1024
/** Default of health-down-after: seconds without a good answer, after a
 * failure, before a view is called down. */
#define VPNDNS_DEFAULT_HEALTH_DOWN_AFTER 30
/** default view-max-inflight: this percentage of num-queries-per-thread */
#define VPNDNS_DEFAULT_VIEW_MAX_INFLIGHT_PCT 25
/** view-fail-timeout not set: 100 ms below discard-timeout */
#define VPNDNS_VIEW_FAIL_TIMEOUT_AUTO -1

/** An upstream server of a view or of a domain-forward. */
struct vpndns_server {
	/** next in list */
	struct vpndns_server* next;
	/** address and port */
	struct sockaddr_storage addr;
	/** length of addr */
	socklen_t addrlen;
	/** TLS authentication name, NULL for plain DNS */
	char* tls_name;
	/** the server as written in the file, for listings */
	char* str;
};

/** A view definition: a client group with its forwarders and cache sizes. */
struct vpndns_viewdef {
	/** next in list, in file order */
	struct vpndns_viewdef* next;
	/** view name, unique; used in stats keys and control commands */
	char* name;
	/** the forwarders; NULL for a reflect template */
	struct vpndns_server* servers;
	/** true if every server uses TLS */
	int tls;
	/** message cache size in bytes, 0: the global vpndns default */
	size_t msg_cache_size;
	/** rrset cache size in bytes, 0: the global vpndns default */
	size_t rrset_cache_size;
	/** line where the view was defined */
	int line;
	/** do not validate answers of this view (view-validate: no) */
	int novalidate;
};

/** What a client netblock maps to. */
enum vpndns_rule_kind {
	/** a fixed view */
	vpndns_rule_view = 0,
	/** each client forwards to its own address */
	vpndns_rule_reflect
};

/** A client netblock rule, stored in an addr_tree (longest prefix wins). */
struct vpndns_client_rule {
	/** addr_tree node, must be first */
	struct addr_tree_node node;
	/** kind of rule */
	enum vpndns_rule_kind kind;
	/** the view, for vpndns_rule_view */
	struct vpndns_viewdef* view;
	/** the port to reflect to, for vpndns_rule_reflect */
	int reflect_port;
	/** the netblock as written */
	char* str;
	/** line of the rule */
	int line;
};

/** A domain whose names go to fixed servers, whoever asks. */
struct vpndns_domain_fwd {
	/** next in list */
	struct vpndns_domain_fwd* next;
	/** the domain, wire format */
	uint8_t* dname;
	/** length of dname */
	size_t dname_len;
	/** number of labels in dname */
	int dname_labs;
	/** the domain as written */
	char* str;
	/** the servers */
	struct vpndns_server* servers;
	/** true if the servers use TLS */
	int tls;
	/** line of the rule */
	int line;
};

/** The parsed vpndns.conf. */
struct vpndns_conf {
	/** the file name */
	char* file;
	/** the text it was parsed from; live changes edit a copy */
	char* text;
	/** view definitions, in file order (named, forward: and default) */
	struct vpndns_viewdef* views;
	/** client rules, addr_tree of struct vpndns_client_rule */
	rbtree_type clients;
	/** the default view, NULL when unmatched clients are refused */
	struct vpndns_viewdef* default_view;
	/** line of 'default: refuse', 0 if not given */
	int default_refuse_line;
	/** domain forwards, in file order */
	struct vpndns_domain_fwd* domain_fwds;
	/** per-view message cache size default */
	size_t msg_cache_size;
	/** per-view rrset cache size default */
	size_t rrset_cache_size;
	/** slabs of a per-view cache, a power of 2 */
	size_t cache_slabs;
	/** maximum number of reflect views held at once */
	size_t max_reflect_views;
	/** seconds without a good answer, after a failure, before a view's
	 * health is down (health-down-after) */
	size_t health_down_after;
	/** per-view key cache size, with the validator */
	size_t key_cache_size;
	/** per-view negative (NSEC) cache size, with the validator */
	size_t neg_cache_size;
	/** log a line for every blocked query */
	int log_blocked;
	/** view-max-inflight: queries of one view a worker thread holds in
	 * its request list at once; a number, or a percentage of
	 * num-queries-per-thread when view_max_inflight_pct; 0 for no bound */
	size_t view_max_inflight;
	/** view_max_inflight is a percentage */
	int view_max_inflight_pct;
	/** view-fail-timeout in milliseconds, 0 for none, or
	 * VPNDNS_VIEW_FAIL_TIMEOUT_AUTO */
	int view_fail_timeout;
	/** the policy part: blocklists, static records, overrides */
	struct vpndns_policy_conf* policy;
	/** read by the daemon, which runs inside its chroot: files named
	 * in the configuration are opened with the chroot prefix removed */
	int in_daemon;
};

/**
 * Read and check a vpndns.conf file.
 * @param file: path to the file.
 * @param cfg: Unbound's configuration, for defaults (cache sizes, TLS).
 * @param errs: if not NULL, every error line is appended here too.
 * @return the configuration, or NULL after logging every error as
 *	file:line: reason.
 */
struct vpndns_conf* vpndns_conf_read(const char* file,
	struct config_file* cfg, struct vpndns_out* errs);

/**
 * Parse vpndns.conf text held in memory (used by the file reader, the
 * unit tests and the fuzzer).
 * @param name: file name used in messages.
 * @param text: the text, NUL terminated.
 * @param cfg: Unbound's configuration or NULL for built-in defaults.
 * @param nerr: returns the number of errors.
 * @param errs: if not NULL, every error line is appended here too.
 * @return the configuration, or NULL on errors.
 */
struct vpndns_conf* vpndns_conf_parse(const char* name, const char* text,
	struct config_file* cfg, int* nerr, struct vpndns_out* errs);

/**
 * Parse a netblock, addr[/prefix].  Unbound's netblockstrtoaddr reads
 * the prefix with atoi, so a huge prefix wraps negative and it masks
 * outside the address; the prefix is checked here first.  Scope ids are
 * refused, since they mean nothing in a client netblock.
 * @param str: the netblock.
 * @param addr: returns the address.
 * @param addrlen: returns its length.
 * @param net: returns the prefix length.
 * @return false if invalid.
 */
int vpndns_netblock_parse(const char* str, struct sockaddr_storage* addr,
	socklen_t* addrlen, int* net);

/**
 * Split a configuration line into its keyword and first argument.
 * @param line: the line (not changed).
 * @param kw: returns the keyword without the colon.
 * @param kwlen: size of kw.
 * @param arg: returns the first argument, or "".
 * @param arglen: size of arg.
 * @return false if the line has no keyword (blank, comment, garbage).
 */
int vpndns_conf_line_key(const char* line, char* kw, size_t kwlen,
	char* arg, size_t arglen);

/**
 * The path under which the running process opens a file named in the
 * configuration.  unbound-checkconf runs outside the chroot and gets the
 * full path; the daemon runs inside it (after chroot and chdir to
 * directory:), so a path that starts with the chroot has that prefix
 * removed, the way Unbound treats its own files.
 * @param path: the path as written.
 * @param cfg: Unbound's configuration, may be NULL.
 * @param in_daemon: true in the daemon.
 * @return malloced path, or NULL on malloc failure.
 */
char* vpndns_path(const char* path, struct config_file* cfg, int in_daemon);

/**
 * Free a configuration.
 * @param conf: the configuration, may be NULL.
 */
void vpndns_conf_delete(struct vpndns_conf* conf);

/**
 * Find a view definition by name.
 * @param conf: the configuration.
 * @param name: the view name.
 * @return the view or NULL.
 */
struct vpndns_viewdef* vpndns_conf_find_view(struct vpndns_conf* conf,
	const char* name);

/**
 * Parse a server string, addr[@port][#tls-name].
 * @param str: the string.
 * @param err: returns the reason on failure.
 * @return a malloced server, or NULL on failure.
 */
struct vpndns_server* vpndns_server_parse(const char* str, const char** err);

/**
 * Free a list of servers.
 * @param s: the list.
 */
void vpndns_server_list_delete(struct vpndns_server* s);

/**
 * Check whether a server list contains the address and port.
 * @param list: the servers.
 * @param addr: the address.
 * @param addrlen: its length.
 * @return true if found.
 */
int vpndns_server_list_has(struct vpndns_server* list,
	struct sockaddr_storage* addr, socklen_t addrlen);

#endif /* VPNDNS_CONF_H */
