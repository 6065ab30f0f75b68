/*
 * vpndns/blockset.h - compact immutable set of blocked and allowed names.
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
 * The blocklist engine's name set.  A blockset holds, for every listed
 * domain name, only a 64-bit hash of the name, a flags byte and a 16-bit
 * list id: about 14 bytes per name, and no heap node per name.
 *
 * Names are hashed label by label from the root down (see
 * blockset_hash_label), so the hash of every suffix of a query name is
 * found in one pass over the name.  Lookup walks the query name and its
 * parent domains (never the root) and decides:
 *  - at the full name, BS_BLOCK_EXACT and BS_ALLOW_EXACT of its own entry
 *    apply (BS_*_SUB of the name itself does not apply to the name);
 *  - at every strict parent, BS_BLOCK_SUB and BS_ALLOW_SUB apply;
 *  - an ALLOW that applies anywhere on the path wins over every BLOCK;
 *  - among several applying entries of the winning kind, the most specific
 *    one (fewest labels stripped) decides, then the lowest set index.
 *
 * Only hashes are stored, so a name that is not in the set matches an
 * entry when its 64-bit hash equals the entry's: with n names that is a
 * chance of about n / 2^64 per probed suffix (5.4e-14 for a million names),
 * negligible against a query rate of even 1e6/s over years.
 *
 * A built blockset is immutable; any number of threads may look up in it at
 * the same time without locks.
 */

#ifndef VPNDNS_BLOCKSET_H
#define VPNDNS_BLOCKSET_H

#include <stddef.h>
#include <stdint.h>

/** the name itself is blocked */
#define BS_BLOCK_EXACT 0x01
/** names strictly below the name are blocked */
#define BS_BLOCK_SUB 0x02
/** the name itself is allowed, over any block */
#define BS_ALLOW_EXACT 0x04
/** names strictly below the name are allowed, over any block */
#define BS_ALLOW_SUB 0x08
/** all flags a blockset entry can carry */
#define BS_FLAGS_ALL (BS_BLOCK_EXACT|BS_BLOCK_SUB|BS_ALLOW_EXACT|BS_ALLOW_SUB)
/** the flags of an ordinary list entry: the name and everything below */
#define BS_BLOCK_DEFAULT (BS_BLOCK_EXACT|BS_BLOCK_SUB)
/** the flags of an allow (exception) entry: the name and everything below */
#define BS_ALLOW_DEFAULT (BS_ALLOW_EXACT|BS_ALLOW_SUB)

/** most labels in a wire-format name, including the root label */
#define BLOCKSET_MAX_LABELS 128

/**
 * Verdict of a lookup.
 */
enum blockset_verdict {
	/** no entry applies to the name */
	BLOCKSET_NONE = 0,
	/** a block entry applies and no allow entry does */
	BLOCKSET_BLOCKED,
	/** an allow entry applies; it overrides any block */
	BLOCKSET_ALLOWED
};

/**
 * Result of a lookup: what was decided and by which entry.
 */
struct blockset_result {
	/** the verdict; also the return value of the lookup functions */
	enum blockset_verdict verdict;
	/** list id of the deciding entry; 0 when the verdict is NONE */
	uint16_t list_id;
	/** labels stripped from the query name to reach the deciding entry,
	 * 0 if the query name itself was listed; 0 when the verdict is NONE */
	int labels_stripped;
	/** index of the set, in the array given to blockset_lookup_multi,
	 * that holds the deciding entry; 0 for blockset_lookup and NONE */
	int set_index;
};

/** an immutable, built name set */
struct blockset;
/** collects names for a blockset; not thread-safe */
struct blockset_builder;

/**
 * Create an empty builder.
 * @return new builder or NULL on malloc failure.
 */
struct blockset_builder* blockset_builder_create(void);

/**
 * Delete a builder that was not finished.
 * @param b: builder, or NULL.
 */
void blockset_builder_delete(struct blockset_builder* b);

/**
 * Add a wire-format name.  Upper case is folded, so it may be mixed case.
 * Duplicates are allowed; blockset_builder_finish merges them.
 * @param b: builder.
 * @param dname: uncompressed wire-format name, ending in the root label.
 * @param len: length of dname in bytes, including the root label.
 * @param flags: BS_* flags of the entry, nonzero.
 * @param list_id: id of the list the entry came from.
 * @return 1 on success, 0 on a malformed or root name, bad flags or malloc
 *	failure.
 */
int blockset_builder_add_wire(struct blockset_builder* b,
	const uint8_t* dname, size_t len, uint8_t flags, uint16_t list_id);

/**
 * Add a name in presentation format, such as "ads.example.com".  The name
 * must already be validated by the caller: dot-separated labels of 1..63
 * bytes, no escapes, at most 253 characters, an optional trailing dot.  Upper
 * case is folded.
 * @param b: builder.
 * @param name: the name, NUL-terminated.
 * @param flags: BS_* flags of the entry, nonzero.
 * @param list_id: id of the list the entry came from.
 * @return 1 on success, 0 on a malformed or root name, bad flags or malloc
 *	failure.
 */
int blockset_builder_add_text(struct blockset_builder* b, const char* name,
	uint8_t flags, uint16_t list_id);

/**
 * Number of entries added to the builder so far, duplicates included.
 * @param b: builder.
 * @return number of entries.
 */
size_t blockset_builder_count(const struct blockset_builder* b);

/**
 * Build the immutable set from the collected entries.  Entries for the same
 * name are merged: their flags are OR-ed, and the list id kept is the
 * lowest among the entries with allow flags if there are any, else the
 * lowest of all.  Takes about 0.1 s per million names.
 * @param b: builder; it is consumed (freed), also on failure.
 * @return the set, or NULL on malloc failure.
 */
struct blockset* blockset_builder_finish(struct blockset_builder* b);

/**
 * Delete a set.
 * @param s: the set, or NULL.
 */
void blockset_delete(struct blockset* s);

/**
 * Number of distinct names in the set.
 * @param s: the set, or NULL for an empty set.
 * @return number of names.
 */
size_t blockset_count(const struct blockset* s);

/**
 * Memory used by the set.
 * @param s: the set, or NULL.
 * @return bytes allocated for the set.
 */
size_t blockset_get_mem(const struct blockset* s);

/**
 * Look up a query name and its parents in one set.
 * @param s: the set, or NULL for an empty set.
 * @param qname: uncompressed wire-format name, may be mixed case.
 * @param qname_len: length of qname, including the root label.
 * @param res: filled with the result; may be NULL.
 * @return the verdict.  A malformed name gives BLOCKSET_NONE.
 */
enum blockset_verdict blockset_lookup(const struct blockset* s,
	const uint8_t* qname, size_t qname_len, struct blockset_result* res);

/**
 * Look up a query name and its parents in several sets at once, such as
 * the global set and the client's view's set.  The suffix hashes of the
 * name are computed once for all sets.  An allow in any set wins over a
 * block in any set; otherwise the most specific block decides, and among
 * equally specific ones the set with the lowest index.
 * @param sets: array of sets; NULL elements are empty sets.
 * @param num_sets: number of elements in sets.
 * @param qname: uncompressed wire-format name, may be mixed case.
 * @param qname_len: length of qname, including the root label.
 * @param res: filled with the result; may be NULL.
 * @return the verdict.  A malformed name gives BLOCKSET_NONE.
 */
enum blockset_verdict blockset_lookup_multi(
	const struct blockset* const* sets, int num_sets,
	const uint8_t* qname, size_t qname_len, struct blockset_result* res);

/**
 * Seed of the name hash: the hash of the root name.
 */
#define BLOCKSET_HASH_SEED 0x5f1d3b9a27c4e860ULL

/**
 * Hash one label on top of the hash of its parent.  The hash of a name is
 * defined over its lower-cased labels, from the root down:
 *   hash(root) = BLOCKSET_HASH_SEED,
 *   hash(label.parent) = blockset_hash_label(hash(parent), label, len).
 * Only ASCII A-Z are folded, as DNS does.  Exported for tests and for
 * callers that hash names they walk themselves.
 * @param parent_hash: hash of the parent name.
 * @param label: the label's bytes, without the length byte.
 * @param len: label length, 1..63.
 * @return hash of the name.
 */
uint64_t blockset_hash_label(uint64_t parent_hash, const uint8_t* label,
	size_t len);

#endif /* VPNDNS_BLOCKSET_H */
