/*
 * vpndns/queryid.h - the query ID of a packet.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * A leaf shared by the front hook and the policy, which both encode
 * answers into the packet the query came in.  Any thread; no state.
 */

#ifndef VPNDNS_QUERYID_H
#define VPNDNS_QUERYID_H
#include <string.h>
#include "sldns/sbuffer.h"

/**
 * The query ID of a packet, in wire order, as Unbound's encoders take it.
 * @param pkt: the query packet.
 * @return the ID.
 */
static inline uint16_t
vpndns_query_id(sldns_buffer* pkt)
{
	uint16_t id;
	/* the encoders take the ID as it is on the wire */
	memcpy(&id, sldns_buffer_begin(pkt), sizeof(id));
	return id;
}

#endif /* VPNDNS_QUERYID_H */
