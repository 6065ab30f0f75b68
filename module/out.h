/*
 * vpndns/out.h - a growing text buffer for command output.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The text a control command prints is built in a vpndns_out: the
 * configuration parser writes its errors there, the reload and the
 * dry run their reports, the commands their listings.  A leaf: it
 * depends on nothing in the module.  A buffer belongs to the one thread
 * that fills it; the caller frees out->text.
 */

#ifndef VPNDNS_OUT_H
#define VPNDNS_OUT_H

/** A growing text buffer for command output. */
struct vpndns_out {
	/** the text, NUL terminated, or NULL when empty */
	char* text;
	/** length of the text */
	size_t len;
	/** allocated size */
	size_t cap;
	/** set when an allocation failed */
	int failed;
};

/**
 * Append formatted text.
 * @param out: the buffer.
 * @param fmt: printf format.
 * @return false on malloc failure.
 */
int vpndns_out_printf(struct vpndns_out* out, const char* fmt, ...)
	ATTR_FORMAT(printf, 2, 3);

#endif /* VPNDNS_OUT_H */
