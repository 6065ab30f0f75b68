/*
 * vpndns/policy_conf.h - policy keywords of vpndns.conf.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The policy part of vpndns.conf: blocklists, allow entries, exempt
 * clients, NXDOMAIN regexes, block actions, static records and TTL
 * overrides.  conf.c looks every keyword it does not know up in this
 * file's keyword table (vpndns_policy_conf_keywords, the handler shape of
 * confparse.h); this file does not call conf.c.
 *
 * The parsed policy part belongs to its struct vpndns_conf and is
 * immutable once parsed; it lives as long as that configuration.
 */

#ifndef VPNDNS_POLICY_CONF_H
#define VPNDNS_POLICY_CONF_H
#include <regex.h>
#include "util/rbtree.h"
#include "vpndns/confparse.h"

/** What a blocked query gets. */
enum vpndns_action_kind {
	/** NXDOMAIN */
	vpndns_action_nxdomain = 0,
	/** NOERROR without records */
	vpndns_action_nodata,
	/** A 0.0.0.0 and AAAA :: */
	vpndns_action_null,
	/** A and AAAA with configured addresses */
	vpndns_action_ip,
	/** REFUSED */
	vpndns_action_refuse
};

/** A block action. */
struct vpndns_action {
	/** the kind */
	enum vpndns_action_kind kind;
	/** IPv4 address for vpndns_action_ip (network order) */
	uint8_t v4[4];
	/** IPv6 address for vpndns_action_ip */
	uint8_t v6[16];
	/** true if v6 was given (else AAAA gets NODATA) */
	int has_v6;
};

/** A blocklist source: a file or a directory. */
struct vpndns_list_def {
	/** next in file order */
	struct vpndns_list_def* next;
	/** path of the file or directory */
	char* path;
	/** entries block only the names themselves */
	int exact;
	/** view name for a per-view list, NULL for a global list */
	char* view;
	/** list id given to its entries (1..), names the list in EDE text */
	uint16_t id;
	/** line of the definition */
	int line;
};

/** A name given on a config line (allow entries). */
struct vpndns_name_def {
	/** next in file order */
	struct vpndns_name_def* next;
	/** the normalised name, lower case, no trailing dot */
	char* name;
	/** line of the definition */
	int line;
};

/** An NXDOMAIN regex. */
struct vpndns_regex_def {
	/** next in file order */
	struct vpndns_regex_def* next;
	/** the pattern as written */
	char* pattern;
	/** the compiled pattern */
	regex_t re;
	/** line of the definition */
	int line;
};

/** A per-domain TTL override. */
struct vpndns_ttl_def {
	/** next in file order */
	struct vpndns_ttl_def* next;
	/** the domain, wire format */
	uint8_t* dname;
	/** number of labels */
	int labs;
	/** the domain as written */
	char* str;
	/** the TTL in seconds */
	uint32_t ttl;
	/** line of the definition */
	int line;
};

/** A per-view block action. */
struct vpndns_view_action {
	/** next in file order */
	struct vpndns_view_action* next;
	/** view name */
	char* view;
	/** the action */
	struct vpndns_action action;
	/** line of the definition */
	int line;
};

/** The policy part of the configuration. */
struct vpndns_policy_conf {
	/** blocklist sources, global and per view */
	struct vpndns_list_def* lists;
	/** number of lists, the highest list id */
	uint16_t nlists;
	/** allow entries (exceptions) */
	struct vpndns_name_def* allows;
	/** exempt client netblocks, an addr_tree of addr_tree_node */
	rbtree_type exempt;
	/** true if any exempt netblock is configured */
	int has_exempt;
	/** NXDOMAIN regexes */
	struct vpndns_regex_def* regexes;
	/** the global block action */
	struct vpndns_action action;
	/** per-view block actions */
	struct vpndns_view_action* view_actions;
	/** TTL of synthesised block answers */
	uint32_t block_ttl;
	/** static records file, NULL if none */
	char* static_file;
	/** line of static-records */
	int static_line;
	/** answer PTR queries for static records */
	int static_ptr;
	/** TTL of static records */
	uint32_t static_ttl;
	/** TTL overrides */
	struct vpndns_ttl_def* ttls;
};

/**
 * Allocate the policy part of a configuration, with its defaults.
 * @return the policy part, or NULL on malloc failure.
 */
struct vpndns_policy_conf* vpndns_policy_conf_create(void);

/** The policy keywords and their handlers, ending with a NULL name.  The
 * handlers use p->policy, p->line, p->errbuf and p->view_defined. */
extern const struct conf_keyword vpndns_policy_conf_keywords[];

/**
 * Checks after the whole file is read.
 * @param pc: the policy part.
 * @return false on error (logged).
 */
int vpndns_policy_conf_finish(struct vpndns_policy_conf* pc);

/**
 * Free the policy part.
 * @param pc: the policy part, may be NULL.
 */
void vpndns_policy_conf_delete(struct vpndns_policy_conf* pc);

/**
 * Parse a block action from words.
 * @param argc: number of words.
 * @param argv: the words: nxdomain | nodata | null | ip <v4> [<v6>] |
 *	refuse.
 * @param action: returns the action.
 * @return NULL or the reason of the error.
 */
const char* vpndns_action_parse(int argc, char** argv,
	struct vpndns_action* action);

#endif /* VPNDNS_POLICY_CONF_H */
