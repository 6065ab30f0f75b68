/*
 * vpndns/nametext.h - domain names as text for policy and logs.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * The text of a wire-format name that nxdomain-regex patterns match,
 * log lines show and vpndns_lookup prints.  Unbound 1.17's dname_str()
 * stops before the last label of a name of 255 bytes and writes '&'
 * instead, so a pattern anchored at the end would miss exactly the
 * longest names, the ones tunnelling tools send; and every release's
 * writes '?' for any byte but letters, digits, '-', '_' and '*'.  This conversion writes
 * every label of every legal name, into a buffer sized for the worst
 * case, and escapes the bytes that would make the text ambiguous or
 * unsafe in a log line.
 *
 * The rendering is the presentation format of RFC 1035 section 5.1, as
 * sldns_str2wire_dname() reads it back:
 * - labels are separated by '.';
 * - the bytes '!' to '~' stand for themselves (case kept), except '.'
 *   and '\' inside a label, written "\." and "\\";
 * - every other byte (controls, space, DEL, 128 to 255) is written
 *   "\DDD", three decimal digits;
 * - the root is ".".
 *
 * The functions keep no state and take no locks; any thread may call them.
 */

#ifndef VPNDNS_NAMETEXT_H
#define VPNDNS_NAMETEXT_H
#include "sldns/rrdef.h"

/** Size of a buffer for the text of any legal name: each of the at most
 * 255 wire bytes takes at most four characters, then the NUL. */
#define VPNDNS_NAME_TEXT_SIZE (LDNS_MAX_DOMAINLEN*4+1)

/**
 * Write a wire-format name as text.
 * @param dname: the name, uncompressed, at most LDNS_MAX_DOMAINLEN bytes
 *	with labels of at most LDNS_MAX_LABELLEN bytes, as Unbound's packet
 *	parser and sldns_str2wire_dname() give.  A name that breaks these
 *	limits is written up to the fault, then '#'; the buffer is never
 *	overrun.
 * @param buf: VPNDNS_NAME_TEXT_SIZE bytes for the text.
 * @param dot: nonzero for the trailing dot of the presentation format
 *	("a.example."), zero for the text nxdomain-regex patterns see
 *	("a.example"); the root is "." either way.
 * @return the length of the text, without the NUL.
 */
size_t vpndns_name_text(const uint8_t* dname, char* buf, int dot);

#endif /* VPNDNS_NAMETEXT_H */
