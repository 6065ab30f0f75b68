/*
 * vpndns/blockset.c - compact immutable set of blocked and allowed names.
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
 * Implementation of the blockset.  Layout of a built set: one array of
 * 64-bit name hashes (keys) used as an open-addressing table with linear
 * probing, and a parallel array of 3-byte records with each slot's flags
 * and list id, packed together so that a hit costs one more cache miss,
 * not two.
 *
 * The table is built from the keys in sorted order and a key's home slot
 * grows with the key (it is scaled from the key's top 32 bits), so placing
 * each key at max(home, previous slot + 1) leaves the occupied slots sorted
 * and never wraps around: the few keys that spill past the last home slot go
 * into a tail.  A probe can therefore stop at the first key that is not
 * smaller than the one sought, whether the name is present or not; with a
 * load factor of 0.8 that is about 3 slots, which are mostly in one cache
 * line.  Empty slots hold BLOCKSET_EMPTY_KEY, which is larger than every
 * stored key, so the probe loop needs a single comparison; one empty slot
 * past the end stops every probe.
 */
#include "config.h"
#include "vpndns/blockset.h"

#include <stdlib.h>
#include <string.h>

/** bytes of a slot's info record: the flags, then the list id (LE) */
#define INFO_SIZE 3
/** key of an empty slot; a name hash equal to it is stored one lower */
#define BLOCKSET_EMPTY_KEY UINT64_MAX
/** table load factor in percent: slots = names * 100 / load */
#define BLOCKSET_LOAD_PERCENT 80
/** initial number of entries a builder has room for */
#define BUILDER_INIT_CAP 1024
/** the most distinct names a set can hold; home slots must fit 32 bits */
#define BLOCKSET_MAX_NAMES ((size_t)0x7fffffff)
/** longest wire-format name */
#define BLOCKSET_MAX_WIRE 255
/** longest presentation name without the trailing dot */
#define BLOCKSET_MAX_TEXT 253
/** longest label */
#define BLOCKSET_MAX_LABEL 63
/** bits sorted per radix pass */
#define RADIX_BITS 8
/** buckets per radix pass */
#define RADIX_BUCKETS (1 << RADIX_BITS)
/** radix passes over a 64-bit key */
#define RADIX_PASSES (64 / RADIX_BITS)

/** hash multipliers (the xxHash64 primes) */
#define HASH_P1 0x9E3779B185EBCA87ULL
/** hash multiplier */
#define HASH_P2 0xC2B2AE3D27D4EB4FULL
/** hash multiplier */
#define HASH_P3 0x165667B19E3779F9ULL
/** hash addend */
#define HASH_P4 0x85EBCA77C2B2AE63ULL
/** hash addend */
#define HASH_P5 0x27D4EB2F165667C5ULL

/** the allow flags; an entry with any of them prefers its list id */
#define BS_ALLOW_ANY (BS_ALLOW_EXACT|BS_ALLOW_SUB)

/**
 * The built set.
 */
struct blockset {
	/** number of distinct names */
	size_t count;
	/** number of home slots; a key's home is scaled from its top bits */
	uint64_t home_slots;
	/** slots allocated: home slots, spill tail and one end sentinel */
	size_t num_slots;
	/** name hash per slot, sorted; BLOCKSET_EMPTY_KEY when empty */
	uint64_t* keys;
	/** per slot INFO_SIZE bytes: the BS_* flags, then the list id in
	 * little-endian order; zero for empty slots */
	uint8_t* infos;
};

/**
 * The builder: entries in order of adding, not yet merged.
 */
struct blockset_builder {
	/** name hash per entry, already mapped off BLOCKSET_EMPTY_KEY */
	uint64_t* keys;
	/** per entry: the flags in the low byte, the list id above */
	uint32_t* infos;
	/** number of entries */
	size_t num;
	/** number of entries there is room for */
	size_t cap;
};

/** rotate left */
static uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/**
 * Fold the ASCII upper-case letters in 8 bytes to lower case, all at once
 * (SWAR); other bytes, also those above 0x7f, are left alone.
 * @param w: 8 bytes.
 * @return the bytes with A-Z turned into a-z.
 */
static uint64_t
fold_case_lane(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	/* per byte of the low 7 bits: bit 7 is set by the addition if the
	 * byte is >= 'A', or > 'Z'; no carry crosses into the next byte */
	uint64_t low7 = w & (0x7f * ones);
	uint64_t ge_a = low7 + (0x80 - 'A') * ones;
	uint64_t gt_z = low7 + (0x7f - 'Z') * ones;
	uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * ones);
	return w | (upper >> 2);
}

/** mix one 8-byte lane into the hash state */
static uint64_t
hash_lane(uint64_t acc, uint64_t lane)
{
	acc ^= rotl64(lane * HASH_P2, 31) * HASH_P1;
	return rotl64(acc, 27) * HASH_P1 + HASH_P4;
}

/** read 4 bytes as a little-endian number; compilers make it one load */
static uint64_t
load32_le(const uint8_t* p)
{
	return (uint64_t)p[0] | ((uint64_t)p[1] << 8) |
		((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24);
}

/** read 8 bytes as a little-endian number; compilers make it one load */
static uint64_t
load64_le(const uint8_t* p)
{
	return load32_le(p) | (load32_le(p + 4) << 32);
}

/**
 * Read the last 1..7 bytes of a label as a little-endian number, zero
 * above, without a byte loop: two overlapping reads whose common bytes
 * coincide, and never a read past the label's end.
 * @param p: the bytes.
 * @param n: how many, 1..7.
 * @return the bytes.
 */
static uint64_t
load_tail_le(const uint8_t* p, size_t n)
{
	if(n >= 4)
		return load32_le(p) | (load32_le(p + n - 4) << (8 * (n - 4)));
	return (uint64_t)p[0] | ((uint64_t)p[n / 2] << (8 * (n / 2))) |
		((uint64_t)p[n - 1] << (8 * (n - 1)));
}

uint64_t
blockset_hash_label(uint64_t parent_hash, const uint8_t* label, size_t len)
{
	/* the label goes in as lower-cased 8-byte little-endian lanes, the
	 * last one zero-padded; the length goes into the state, so the
	 * padding cannot cause collisions */
	uint64_t acc = parent_hash + HASH_P5 + (uint64_t)len;
	size_t i;
	for(i = 0; i + 8 <= len; i += 8)
		acc = hash_lane(acc, fold_case_lane(load64_le(label + i)));
	if(i < len)
		acc = hash_lane(acc, fold_case_lane(load_tail_le(label + i,
			len - i)));
	/* every step above and this avalanche are bijective in the parent
	 * hash, so two different parents never collide on the same label */
	acc ^= acc >> 33;
	acc *= HASH_P2;
	acc ^= acc >> 29;
	acc *= HASH_P3;
	acc ^= acc >> 32;
	return acc;
}

/** map a name hash to a storable key: off the empty-slot marker */
static uint64_t
key_of_hash(uint64_t h)
{
	return h == BLOCKSET_EMPTY_KEY ? BLOCKSET_EMPTY_KEY - 1 : h;
}

/**
 * Find the label offsets of a wire-format name.
 * @param name: the name.
 * @param len: bytes available; the name ends at its root label.
 * @param offsets: per label, its offset; room for BLOCKSET_MAX_LABELS.
 * @return number of labels, root excluded; -1 if malformed (compression
 *	pointers, no root label within len, longer than 255 bytes).
 */
static int
wire_label_offsets(const uint8_t* name, size_t len, uint8_t* offsets)
{
	size_t pos = 0;
	int num = 0;
	while(pos < len && pos < BLOCKSET_MAX_WIRE) {
		uint8_t lablen = name[pos];
		if(lablen == 0)
			return num;
		if(lablen > BLOCKSET_MAX_LABEL)
			return -1;
		offsets[num++] = (uint8_t)pos;
		pos += (size_t)lablen + 1;
	}
	return -1;
}

/**
 * Hash every suffix of a wire-format name, in one pass from the root.
 * @param name: the name.
 * @param len: bytes available.
 * @param hashes: set to the keys, [i] for the name with i labels stripped;
 *	room for BLOCKSET_MAX_LABELS.
 * @return number of labels (and hashes), root excluded; -1 if malformed.
 */
static int
wire_suffix_keys(const uint8_t* name, size_t len, uint64_t* hashes)
{
	uint8_t offsets[BLOCKSET_MAX_LABELS];
	uint64_t h = BLOCKSET_HASH_SEED;
	int num = wire_label_offsets(name, len, offsets), i;
	for(i = num - 1; i >= 0; i--) {
		const uint8_t* lab = name + offsets[i];
		h = blockset_hash_label(h, lab + 1, lab[0]);
		hashes[i] = key_of_hash(h);
	}
	return num;
}

/**
 * Hash a presentation-format name, labels from the right.
 * @param name: dotted name, optional trailing dot, no escapes.
 * @param key: set to the key of the name.
 * @return 0 if malformed or the root name.
 */
static int
text_name_key(const char* name, uint64_t* key)
{
	size_t end = strlen(name);
	uint64_t h = BLOCKSET_HASH_SEED;
	if(end > 0 && name[end - 1] == '.')
		end--;
	if(end == 0 || end > BLOCKSET_MAX_TEXT)
		return 0;
	for(;;) {
		size_t start = end;
		while(start > 0 && name[start - 1] != '.')
			start--;
		if(end - start == 0 || end - start > BLOCKSET_MAX_LABEL)
			return 0;
		h = blockset_hash_label(h, (const uint8_t*)name + start,
			end - start);
		if(start == 0)
			break;
		/* skip the dot; if that is the start, the first label is
		 * empty */
		end = start - 1;
		if(end == 0)
			return 0;
	}
	*key = key_of_hash(h);
	return 1;
}

struct blockset_builder*
blockset_builder_create(void)
{
	return (struct blockset_builder*)calloc(1,
		sizeof(struct blockset_builder));
}

void
blockset_builder_delete(struct blockset_builder* b)
{
	if(!b)
		return;
	free(b->keys);
	free(b->infos);
	free(b);
}

size_t
blockset_builder_count(const struct blockset_builder* b)
{
	return b ? b->num : 0;
}

/** make room for one more entry; return 0 on malloc failure */
static int
builder_grow(struct blockset_builder* b)
{
	size_t newcap = b->cap ? b->cap * 2 : BUILDER_INIT_CAP;
	uint64_t* keys;
	uint32_t* infos;
	if(newcap > BLOCKSET_MAX_NAMES * 2)
		return 0;
	keys = (uint64_t*)realloc(b->keys, newcap * sizeof(*keys));
	if(!keys)
		return 0;
	b->keys = keys;
	infos = (uint32_t*)realloc(b->infos, newcap * sizeof(*infos));
	if(!infos)
		return 0;
	b->infos = infos;
	b->cap = newcap;
	return 1;
}

/** append one entry; return 0 on bad flags or malloc failure */
static int
builder_append(struct blockset_builder* b, uint64_t key, uint8_t flags,
	uint16_t list_id)
{
	if(flags == 0 || (flags & ~BS_FLAGS_ALL) != 0)
		return 0;
	if(b->num == b->cap && !builder_grow(b))
		return 0;
	b->keys[b->num] = key;
	b->infos[b->num] = (uint32_t)flags | ((uint32_t)list_id << 8);
	b->num++;
	return 1;
}

int
blockset_builder_add_wire(struct blockset_builder* b, const uint8_t* dname,
	size_t len, uint8_t flags, uint16_t list_id)
{
	uint64_t hashes[BLOCKSET_MAX_LABELS];
	if(wire_suffix_keys(dname, len, hashes) <= 0)
		return 0;
	return builder_append(b, hashes[0], flags, list_id);
}

int
blockset_builder_add_text(struct blockset_builder* b, const char* name,
	uint8_t flags, uint16_t list_id)
{
	uint64_t key;
	if(!text_name_key(name, &key))
		return 0;
	return builder_append(b, key, flags, list_id);
}

/**
 * One stable counting-sort pass on one digit.
 * @param keys: source keys.
 * @param infos: source infos.
 * @param out_keys: destination keys.
 * @param out_infos: destination infos.
 * @param num: number of entries.
 * @param shift: bit position of the digit.
 * @param hist: number of keys per digit value.
 */
static void
radix_pass(const uint64_t* keys, const uint32_t* infos, uint64_t* out_keys,
	uint32_t* out_infos, size_t num, int shift, const size_t* hist)
{
	size_t next[RADIX_BUCKETS];
	size_t i, sum = 0;
	for(i = 0; i < RADIX_BUCKETS; i++) {
		next[i] = sum;
		sum += hist[i];
	}
	for(i = 0; i < num; i++) {
		size_t to = next[(keys[i] >> shift) & (RADIX_BUCKETS-1)]++;
		out_keys[to] = keys[i];
		out_infos[to] = infos[i];
	}
}

/** swap the entry arrays with the scratch arrays */
static void
swap_buffers(uint64_t** keys, uint32_t** infos, uint64_t** tmp_keys,
	uint32_t** tmp_infos)
{
	uint64_t* k = *keys;
	uint32_t* f = *infos;
	*keys = *tmp_keys;
	*infos = *tmp_infos;
	*tmp_keys = k;
	*tmp_infos = f;
}

/**
 * Sort entries by key, LSD radix sort, stable.  Passes in which every key
 * has the same digit are skipped.
 * @param keys: the keys; on return points to the sorted keys, which may be
 *	the former tmp_keys buffer.
 * @param infos: the infos, permuted along with the keys, same convention.
 * @param tmp_keys: scratch room for num keys; on return the other buffer.
 * @param tmp_infos: scratch room for num infos; on return the other buffer.
 * @param num: number of entries.
 */
static void
radix_sort(uint64_t** keys, uint32_t** infos, uint64_t** tmp_keys,
	uint32_t** tmp_infos, size_t num)
{
	/* 16 KiB on the stack; the histograms of all passes are counted in
	 * one read of the keys */
	size_t hist[RADIX_PASSES][RADIX_BUCKETS];
	size_t i;
	int p;
	if(num == 0)
		return;
	memset(hist, 0, sizeof(hist));
	for(i = 0; i < num; i++) {
		uint64_t k = (*keys)[i];
		for(p = 0; p < RADIX_PASSES; p++)
			hist[p][(k >> (p*RADIX_BITS)) & (RADIX_BUCKETS-1)]++;
	}
	for(p = 0; p < RADIX_PASSES; p++) {
		int shift = p * RADIX_BITS;
		if(hist[p][((*keys)[0] >> shift) & (RADIX_BUCKETS-1)] == num)
			continue;
		radix_pass(*keys, *infos, *tmp_keys, *tmp_infos, num, shift,
			hist[p]);
		swap_buffers(keys, infos, tmp_keys, tmp_infos);
	}
}

/**
 * Merge one more entry for a name into the merged info.  Flags are OR-ed.
 * The list id is the lowest among the entries with allow flags if there
 * are any, else the lowest of all; that makes the result independent of
 * the order of adding, and names the allow list when an allow decides.
 * @param merged: info merged so far.
 * @param info: info of the next entry for the same name.
 * @return new merged info.
 */
static uint32_t
merge_info(uint32_t merged, uint32_t info)
{
	uint32_t flags = (merged | info) & 0xff;
	uint32_t list_m = merged >> 8, list_i = info >> 8, list;
	int allow_m = (merged & BS_ALLOW_ANY) != 0;
	int allow_i = (info & BS_ALLOW_ANY) != 0;
	if(allow_m != allow_i)
		list = allow_m ? list_m : list_i;
	else	list = list_m < list_i ? list_m : list_i;
	return flags | (list << 8);
}

/**
 * Merge runs of equal keys in sorted entries, in place.
 * @param keys: sorted keys.
 * @param infos: their infos.
 * @param num: number of entries.
 * @return number of distinct keys, now at the start of the arrays.
 */
static size_t
merge_duplicates(uint64_t* keys, uint32_t* infos, size_t num)
{
	size_t i, distinct = 0;
	for(i = 0; i < num; i++) {
		if(distinct > 0 && keys[distinct-1] == keys[i]) {
			infos[distinct-1] = merge_info(infos[distinct-1],
				infos[i]);
			continue;
		}
		keys[distinct] = keys[i];
		infos[distinct] = infos[i];
		distinct++;
	}
	return distinct;
}

/** home slot of a key: its top 32 bits scaled to the number of homes */
static size_t
home_slot(uint64_t key, uint64_t home_slots)
{
	return (size_t)(((key >> 32) * home_slots) >> 32);
}

/**
 * Allocate the slot arrays of a set as one block, all slots empty.
 * @param s: set with home_slots and num_slots filled in.
 * @return 0 on malloc failure.
 */
static int
set_alloc_slots(struct blockset* s)
{
	size_t i, n = s->num_slots;
	uint8_t* mem = (uint8_t*)malloc(n * (sizeof(uint64_t) + INFO_SIZE));
	if(!mem)
		return 0;
	s->keys = (uint64_t*)mem;
	s->infos = mem + n * sizeof(uint64_t);
	for(i = 0; i < n; i++)
		s->keys[i] = BLOCKSET_EMPTY_KEY;
	/* the infos of empty slots are never read; zero keeps them defined
	 * for memory checkers */
	memset(s->infos, 0, n * INFO_SIZE);
	return 1;
}

/**
 * Place sorted distinct entries into a new set's table.
 * @param keys: sorted distinct keys.
 * @param infos: their infos.
 * @param num: number of entries.
 * @return the set or NULL on malloc failure.
 */
static struct blockset*
set_create_table(const uint64_t* keys, const uint32_t* infos, size_t num)
{
	struct blockset* s = (struct blockset*)calloc(1, sizeof(*s));
	size_t i, slot = 0;
	if(!s)
		return NULL;
	s->count = num;
	s->home_slots = (uint64_t)num * 100 / BLOCKSET_LOAD_PERCENT + 1;
	/* a first pass finds how far the last keys spill past the homes */
	for(i = 0; i < num; i++) {
		size_t home = home_slot(keys[i], s->home_slots);
		slot = (i == 0 || home > slot) ? home : slot + 1;
	}
	s->num_slots = (num > 0 && slot + 1 > s->home_slots ? slot + 1 :
		(size_t)s->home_slots) + 1; /* +1: sentinel empty slot */
	if(!set_alloc_slots(s)) {
		free(s);
		return NULL;
	}
	for(i = 0; i < num; i++) {
		size_t home = home_slot(keys[i], s->home_slots);
		slot = (i == 0 || home > slot) ? home : slot + 1;
		s->keys[slot] = keys[i];
		s->infos[slot * INFO_SIZE] = (uint8_t)(infos[i] & 0xff);
		s->infos[slot * INFO_SIZE + 1] = (uint8_t)(infos[i] >> 8);
		s->infos[slot * INFO_SIZE + 2] = (uint8_t)(infos[i] >> 16);
	}
	return s;
}

struct blockset*
blockset_builder_finish(struct blockset_builder* b)
{
	uint64_t* tmp_keys;
	uint32_t* tmp_infos;
	struct blockset* s = NULL;
	if(!b)
		return NULL;
	tmp_keys = (uint64_t*)malloc((b->num ? b->num : 1) *
		sizeof(*tmp_keys));
	tmp_infos = (uint32_t*)malloc((b->num ? b->num : 1) *
		sizeof(*tmp_infos));
	if(tmp_keys && tmp_infos) {
		size_t distinct;
		radix_sort(&b->keys, &b->infos, &tmp_keys, &tmp_infos, b->num);
		distinct = merge_duplicates(b->keys, b->infos, b->num);
		/* the scratch is not needed any more; free it before the
		 * table is allocated to keep the peak memory down */
		free(tmp_keys);
		free(tmp_infos);
		tmp_keys = NULL;
		tmp_infos = NULL;
		if(distinct <= BLOCKSET_MAX_NAMES)
			s = set_create_table(b->keys, b->infos, distinct);
	}
	free(tmp_keys);
	free(tmp_infos);
	blockset_builder_delete(b);
	return s;
}

void
blockset_delete(struct blockset* s)
{
	if(!s)
		return;
	free(s->keys); /* the block that holds all slot arrays */
	free(s);
}

size_t
blockset_count(const struct blockset* s)
{
	return s ? s->count : 0;
}

size_t
blockset_get_mem(const struct blockset* s)
{
	if(!s)
		return 0;
	return sizeof(*s) + s->num_slots * (sizeof(uint64_t) + INFO_SIZE);
}

/**
 * Find a key in a set.
 * @param s: the set, not empty.
 * @param key: the key.
 * @return slot of the key, or -1 if absent.
 */
static long
set_find(const struct blockset* s, uint64_t key)
{
	const uint64_t* keys = s->keys;
	size_t slot = home_slot(key, s->home_slots);
	/* slots are sorted and empty ones hold the largest value, so the
	 * first key not below the sought one decides */
	while(keys[slot] < key)
		slot++;
	return keys[slot] == key ? (long)slot : -1;
}

/** prefetch the home slots of all suffixes in all sets, keys and infos,
 * so that the cache misses of the probes, and of reading the info of a
 * hit (almost always within a few bytes of its home's info), overlap
 * instead of following each other */
static void
prefetch_homes(const struct blockset* const* sets, int num_sets,
	const uint64_t* keys, int num_keys)
{
#if defined(__GNUC__) || defined(__clang__)
	int i, j;
	for(j = 0; j < num_sets; j++) {
		if(!sets[j] || sets[j]->count == 0)
			continue;
		for(i = 0; i < num_keys; i++) {
			size_t home = home_slot(keys[i], sets[j]->home_slots);
			__builtin_prefetch(sets[j]->keys + home);
			__builtin_prefetch(sets[j]->infos + home * INFO_SIZE);
		}
	}
#else
	(void)sets; (void)num_sets; (void)keys; (void)num_keys;
#endif
}

/** the list id of a slot */
static uint16_t
slot_list_id(const struct blockset* s, size_t slot)
{
	const uint8_t* info = s->infos + slot * INFO_SIZE;
	return (uint16_t)(info[1] | (info[2] << 8));
}

/** fill in a result; return its verdict */
static enum blockset_verdict
set_result(struct blockset_result* res, enum blockset_verdict verdict,
	uint16_t list_id, int labels_stripped, int set_index)
{
	if(res) {
		res->verdict = verdict;
		res->list_id = list_id;
		res->labels_stripped = labels_stripped;
		res->set_index = set_index;
	}
	return verdict;
}

/** true if any of the sets holds a name */
static int
any_names(const struct blockset* const* sets, int num_sets)
{
	int j;
	for(j = 0; j < num_sets; j++)
		if(sets[j] && sets[j]->count > 0)
			return 1;
	return 0;
}

enum blockset_verdict
blockset_lookup_multi(const struct blockset* const* sets, int num_sets,
	const uint8_t* qname, size_t qname_len, struct blockset_result* res)
{
	uint64_t keys[BLOCKSET_MAX_LABELS];
	struct blockset_result block;
	int num_keys, i, j;
	block.verdict = BLOCKSET_NONE;
	if(!any_names(sets, num_sets) ||
		(num_keys = wire_suffix_keys(qname, qname_len, keys)) <= 0)
		return set_result(res, BLOCKSET_NONE, 0, 0, 0);
	prefetch_homes(sets, num_sets, keys, num_keys);
	for(i = 0; i < num_keys; i++) {
		/* the own entry of the name applies with its EXACT flags,
		 * the entries of its parents with their SUB flags */
		uint8_t block_mask = i == 0 ? BS_BLOCK_EXACT : BS_BLOCK_SUB;
		uint8_t allow_mask = i == 0 ? BS_ALLOW_EXACT : BS_ALLOW_SUB;
		for(j = 0; j < num_sets; j++) {
			long slot;
			uint8_t flags;
			if(!sets[j] || sets[j]->count == 0 ||
				(slot = set_find(sets[j], keys[i])) < 0)
				continue;
			flags = sets[j]->infos[(size_t)slot * INFO_SIZE];
			/* an allow wins over every block, and the walk goes
			 * from specific to general: the first allow decides */
			if(flags & allow_mask)
				return set_result(res, BLOCKSET_ALLOWED,
					slot_list_id(sets[j], (size_t)slot),
					i, j);
			if((flags & block_mask) &&
				block.verdict == BLOCKSET_NONE)
				set_result(&block, BLOCKSET_BLOCKED,
					slot_list_id(sets[j], (size_t)slot),
					i, j);
		}
	}
	if(block.verdict == BLOCKSET_NONE)
		return set_result(res, BLOCKSET_NONE, 0, 0, 0);
	return set_result(res, block.verdict, block.list_id,
		block.labels_stripped, block.set_index);
}

enum blockset_verdict
blockset_lookup(const struct blockset* s, const uint8_t* qname,
	size_t qname_len, struct blockset_result* res)
{
	const struct blockset* sets[1];
	sets[0] = s;
	return blockset_lookup_multi(sets, 1, qname, qname_len, res);
}
