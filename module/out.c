/*
 * vpndns/out.c - a growing text buffer for command output.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * vpndns_out_printf: formatted text appended to a vpndns_out, which grows
 * by doubling.
 */
#include "config.h"
#include <stdarg.h>
#include "vpndns/out.h"

int
vpndns_out_printf(struct vpndns_out* out, const char* fmt, ...)
{
	va_list args;
	int n;
	while(1) {
		size_t room = out->cap - out->len;
		if(out->text) {
			va_start(args, fmt);
			n = vsnprintf(out->text + out->len, room, fmt, args);
			va_end(args);
			if(n < 0)
				return 0;
			if((size_t)n < room) {
				out->len += (size_t)n;
				return 1;
			}
		}
		{
			size_t ncap = out->cap ? out->cap*2 : 1024;
			char* nt;
			while(ncap < out->len + 1024)
				ncap *= 2;
			if(!(nt = realloc(out->text, ncap))) {
				out->failed = 1;
				return 0;
			}
			out->text = nt;
			out->cap = ncap;
		}
	}
}
