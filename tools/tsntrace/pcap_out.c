// SPDX-License-Identifier: GPL-2.0-only
/*
 * --write: each hop with packet bytes becomes an enhanced packet block of the interface
 * (netns, ifname) it was seen on, its metadata and changes in the block's comment. The comment
 * is a rendering of the hop's JSON object, like the text line, so the three always agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"
#include "tsntrace.h"

struct tt_pcap_if {
	__u32 netns;
	__u16 linktype;
	char ifname[TSN_IFNAMSIZ];
	int id;
};

struct tt_pcap {
	struct tsn_pcapng *w;
	struct tt_pcap_if *ifs;
	size_t nifs, cap;
};

struct tt_pcap *tt_pcap_open(FILE *f)
{
	struct tt_pcap *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->w = tsn_pcapng_open(f, "tsntrace (tsnkit)");
	if (!pc->w) {
		free(pc);
		return NULL;
	}
	return pc;
}

int tt_pcap_close(struct tt_pcap *pc)
{
	int rc;

	if (!pc)
		return 0;
	rc = tsn_pcapng_close(pc->w);
	free(pc->ifs);
	free(pc);
	return rc;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return "-";
	return json_object_get_string(v);
}

/* The interface block of (netns, ifname); a hop without an L2 header gets a raw-IP one. */
static int pcap_if(struct tt_pcap *pc, json_object *hop, __u16 linktype)
{
	json_object *v;
	__u32 netns = json_object_object_get_ex(hop, "netns", &v) ? json_object_get_int64(v) : 0;
	const char *ifname = jstr(hop, "ifname");
	char name[96], desc[160];
	size_t i;
	int id;

	for (i = 0; i < pc->nifs; i++)
		if (pc->ifs[i].netns == netns && pc->ifs[i].linktype == linktype &&
		    !strncmp(pc->ifs[i].ifname, ifname, TSN_IFNAMSIZ))
			return pc->ifs[i].id;
	if (pc->nifs == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 16;
		struct tt_pcap_if *n = realloc(pc->ifs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		pc->ifs = n;
		pc->cap = cap;
	}
	snprintf(name, sizeof(name), "%s/%s", jstr(hop, "netns_name"), *ifname ? ifname : "-");
	snprintf(desc, sizeof(desc), "netns inode %u, ifindex %s%s%s, seen by tsntrace",
		 netns, jstr(hop, "ifindex"), *jstr(hop, "dev_kind") ? ", " : "",
		 jstr(hop, "dev_kind"));
	id = tsn_pcapng_add_if(pc->w, linktype, TSN_SNAP_LEN, name, desc);
	if (id < 0)
		return id;
	pc->ifs[pc->nifs].netns = netns;
	pc->ifs[pc->nifs].linktype = linktype;
	snprintf(pc->ifs[pc->nifs].ifname, TSN_IFNAMSIZ, "%s", ifname);
	pc->ifs[pc->nifs].id = id;
	pc->nifs++;
	return id;
}

/* "key=value" for the keys the hop has, then its changes with their causes */
static void comment(json_object *hop, char *buf, size_t len)
{
	static const char *const keys[] = { "pkt_id", "hop", "netns_name", "ifname", "hook", "func",
					    "priority", "tstamp", "tstamp_type", "mark", "sk",
					    "drop_reason" };
	json_object *v, *chs;
	size_t i, n, off = 0;

	off += snprintf(buf + off, len - off, "tsntrace");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && off < len; i++) {
		if (!json_object_object_get_ex(hop, keys[i], &v))
			continue;
		if (!strcmp(keys[i], "mark"))
			off += snprintf(buf + off, len - off, " mark=0x%x",
					(unsigned int)json_object_get_int64(v));
		else
			off += snprintf(buf + off, len - off, " %s=%s", keys[i],
					json_object_get_string(v));
	}
	if (!json_object_object_get_ex(hop, "changes", &chs))
		return;
	n = json_object_array_length(chs);
	for (i = 0; i < n && off < len; i++) {
		json_object *c = json_object_array_get_idx(chs, i);

		off += snprintf(buf + off, len - off, "%s%s %s→%s cause=%s (%s)",
				i ? "; " : " change: ", jstr(c, "field"), jstr(c, "from"),
				jstr(c, "to"), jstr(c, "cause"), jstr(c, "detail"));
	}
}

int tt_pcap_hop(struct tt_pcap *pc, json_object *hop, const struct tsn_trace_extra *x,
		__u64 wall_ns)
{
	char text[1024];
	int id, rc;

	id = pcap_if(pc, hop, x->snap_flags & TSN_SNAP_L2 ? TSN_LINKTYPE_ETHERNET :
							    TSN_LINKTYPE_RAW);
	if (id < 0) {
		errno = -id;
		return id;
	}
	comment(hop, text, sizeof(text));
	rc = tsn_pcapng_packet(pc->w, id, wall_ns, x->snap, x->snap_len, x->wire_len, text);
	if (rc)
		errno = -rc;
	return rc;
}
