/*
 * vpndns/nametext.c - domain names as text for policy and logs.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Name to text conversion that never truncates a legal name; see
 * nametext.h for the rendering.
 */

#include "config.h"
#include "vpndns/nametext.h"
#include "vpndns/guard.h"
#include "util/data/dname.h"

/**
 * Write one label byte.
 * @param c: the byte.
 * @param s: where to write, room for four characters.
 * @return the number of characters written.
 */
static size_t
nametext_byte(uint8_t c, char* s)
{
	if(c == '.' || c == '\\') {
		s[0] = '\\';
		s[1] = (char)c;
		return 2;
	}
	if(c > ' ' && c < 0x7f) {
		s[0] = (char)c;
		return 1;
	}
	/* controls, space and bytes above ASCII: no raw control byte ever
	 * reaches a log line, and every byte stays distinguishable */
	s[0] = '\\';
	s[1] = (char)('0' + c/100);
	s[2] = (char)('0' + (c/10)%10);
	s[3] = (char)('0' + c%10);
	return 4;
}

/**
 * The conversion the module used before, Unbound's dname_str(), for the
 * negative controls of the test-hooks build (guard "nametext").
 */
static size_t
nametext_truncating(const uint8_t* dname, char* buf, int dot)
{
	size_t n;
	dname_str((uint8_t*)dname, buf);
	n = strlen(buf);
	if(!dot && n > 1 && buf[n-1] == '.')
		buf[--n] = 0;
	return n;
}

size_t
vpndns_name_text(const uint8_t* dname, char* buf, int dot)
{
	size_t n = 0, wire = 1;
	int bad = 0;
	uint8_t lablen;
	if(vpndns_guard_off("nametext"))
		return nametext_truncating(dname, buf, dot);
	if(!dname || !*dname) {
		buf[0] = '.';
		buf[1] = 0;
		return 1;
	}
	while((lablen = *dname++) != 0) {
		/* the limits make the worst case fit VPNDNS_NAME_TEXT_SIZE */
		wire += (size_t)lablen + 1;
		if(lablen > LDNS_MAX_LABELLEN || wire > LDNS_MAX_DOMAINLEN) {
			buf[n++] = '#';
			bad = 1;
			break;
		}
		if(n)
			buf[n++] = '.';
		while(lablen--)
			n += nametext_byte(*dname++, buf+n);
	}
	if(dot && !bad)
		buf[n++] = '.';
	buf[n] = 0;
	return n;
}
