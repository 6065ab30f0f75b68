/*
 * vpndns/control.h - vpndns_* commands of unbound-control.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Output buffer for the remote control commands.
 */

#ifndef VPNDNS_CONTROL_H
#define VPNDNS_CONTROL_H

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

#endif /* VPNDNS_CONTROL_H */
