// SPDX-License-Identifier: GPL-2.0-only
/* Field names, hook names and the cause classification of a lost field (trace_cause.h). */
#include <stdio.h>
#include <string.h>

#include "proxy.h"
#include "trace_cause.h"

static const char *const field_names[TT_F__MAX] = {
	[TT_F_PRIORITY] = "priority",
	[TT_F_TSTAMP] = "tstamp",
	[TT_F_TSTAMP_TYPE] = "tstamp_type",
	[TT_F_MARK] = "mark",
	[TT_F_SK] = "sk",
};

static const char *const cause_names[] = {
	[TT_CAUSE_UNKNOWN] = "unknown",
	[TT_CAUSE_NETNS_SCRUB] = "netns-scrub",
	[TT_CAUSE_VETH_PRIORITY_RESET] = "veth-priority-reset",
	[TT_CAUSE_IP_FORWARD_TOS] = "ip-forward-tos",
	[TT_CAUSE_QDISC] = "qdisc",
	[TT_CAUSE_BPF_PROGRAM] = "bpf-program",
	[TT_CAUSE_SK_ORPHAN] = "sk-orphan",
	[TT_CAUSE_TSNPROXY_RESTORE] = "tsnproxy-restore",
	[TT_CAUSE_TSNPROXY_POLICY] = "tsnproxy-policy",
	[TT_CAUSE_NETKIT_SCRUB] = "netkit-scrub",
};

static const char *const hook_names[TSN_HOOK__MAX] = {
	[TSN_HOOK_UNKNOWN] = "unknown",
	[TSN_HOOK_NET_DEV_QUEUE] = "net_dev_queue",
	[TSN_HOOK_NET_DEV_START_XMIT] = "net_dev_start_xmit",
	[TSN_HOOK_NET_DEV_XMIT] = "net_dev_xmit",
	[TSN_HOOK_NETIF_RX] = "netif_rx",
	[TSN_HOOK_NETIF_RECEIVE_SKB] = "netif_receive_skb",
	[TSN_HOOK_NAPI_GRO_RECEIVE] = "napi_gro_receive_entry",
	[TSN_HOOK_QDISC_ENQUEUE] = "qdisc_enqueue",
	[TSN_HOOK_QDISC_DEQUEUE] = "qdisc_dequeue",
	[TSN_HOOK_KFREE_SKB] = "kfree_skb",
	[TSN_HOOK_CONSUME_SKB] = "consume_skb",
	[TSN_HOOK_XDP] = "xdp",
	[TSN_HOOK_TC_INGRESS] = "tc_ingress",
	[TSN_HOOK_TC_EGRESS] = "tc_egress",
	[TSN_HOOK_KPROBE] = "kprobe",
	[TSN_HOOK_FENTRY] = "fentry",
	[TSN_HOOK_FEXIT] = "fexit",
};

const char *tt_field_name(enum tt_field f)
{
	return f < TT_F__MAX ? field_names[f] : "?";
}

int tt_field_parse_list(const char *s, unsigned int *mask)
{
	char buf[128], *tok, *save = NULL;
	int f;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (f = 0; f < TT_F__MAX; f++)
			if (!strcmp(tok, field_names[f]))
				break;
		if (f == TT_F__MAX)
			return -1;
		*mask |= 1U << f;
	}
	return *mask ? 0 : -1;
}

__u64 tt_field_value(const struct tsn_meta *m, enum tt_field f)
{
	switch (f) {
	case TT_F_PRIORITY: return m->priority;
	case TT_F_TSTAMP: return m->tstamp;
	case TT_F_TSTAMP_TYPE: return m->tstamp_type;
	case TT_F_MARK: return m->mark;
	case TT_F_SK: return m->has_sk;
	default: return 0;
	}
}

const char *tt_cause_name(enum tt_cause c)
{
	return c < TT_CAUSE__MAX ? cause_names[c] : "unknown";
}

const char *tt_hook_name(__u32 hook)
{
	return hook < TSN_HOOK__MAX && hook_names[hook] ? hook_names[hook] : "unknown";
}

__u32 tt_hook_tracepoint(const char *name)
{
	__u32 h;

	for (h = 0; h < TSN_HOOK__MAX; h++)
		if ((TT_TP_HOOKS_ALL & TT_TP_HOOK(h)) && !strcmp(name, hook_names[h]))
			return h;
	return TSN_HOOK_UNKNOWN;
}

int tt_hook_parse_list(const char *s, __u32 *mask)
{
	char buf[256], *tok, *save = NULL;
	__u32 h;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -1;
	if (!strcmp(s, "all")) {
		*mask = TT_TP_HOOKS_ALL;
		return 0;
	}
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		h = tt_hook_tracepoint(tok);
		if (h == TSN_HOOK_UNKNOWN)
			return -1;
		*mask |= TT_TP_HOOK(h);
	}
	return *mask ? 0 : -1;
}

char *tt_hook_list_str(__u32 mask, char *buf, size_t len)
{
	size_t off = 0;
	__u32 h;

	buf[0] = 0;
	for (h = 0; h < TSN_HOOK__MAX && off < len; h++)
		if (mask & TT_TP_HOOKS_ALL & TT_TP_HOOK(h))
			off += snprintf(buf + off, len - off, "%s%s", off ? "," : "",
					hook_names[h]);
	return buf;
}

const char *tt_tstamp_type_name(__u8 type)
{
	/* the kernel's SKB_CLOCK_REALTIME (0) carries no clock label: "none" */
	switch (type) {
	case TSN_TSTAMP_MONO: return "mono";
	case TSN_TSTAMP_TAI: return "tai";
	default: return "none";
	}
}

const char *tt_tstamp_clock_name(const struct tsn_meta *m)
{
	if (!m->tstamp)
		return "none";
	return m->tstamp_type == TSN_TSTAMP_REALTIME ? "real" : tt_tstamp_type_name(m->tstamp_type);
}

bool tt_hook_is_rx(__u32 hook)
{
	return hook == TSN_HOOK_NETIF_RX || hook == TSN_HOOK_NETIF_RECEIVE_SKB ||
	       hook == TSN_HOOK_NAPI_GRO_RECEIVE || hook == TSN_HOOK_TC_INGRESS;
}

bool tt_hook_is_egress(__u32 hook)
{
	return hook == TSN_HOOK_NET_DEV_QUEUE || hook == TSN_HOOK_NET_DEV_START_XMIT ||
	       hook == TSN_HOOK_QDISC_ENQUEUE || hook == TSN_HOOK_QDISC_DEQUEUE ||
	       hook == TSN_HOOK_TC_EGRESS;
}

/* net_dev_xmit runs after the driver took the skb: its metadata is not read (may be freed). */
bool tt_hook_has_meta(__u32 hook)
{
	return hook != TSN_HOOK_NET_DEV_XMIT;
}

static bool is_tc(__u32 hook)
{
	return hook == TSN_HOOK_TC_INGRESS || hook == TSN_HOOK_TC_EGRESS;
}

static bool func_is(const struct tt_hop *h, const char *name)
{
	return h->func && !strcmp(h->func, name);
}

/*
 * The skb left its socket (skb_orphan() is the only way skb->sk becomes NULL short of the
 * free): where, by the two hops around it.
 */
static enum tt_cause classify_orphan(const struct tt_hop *prev, const struct tt_hop *cur,
				     const char *prev_ns, const char *cur_ns, char *detail,
				     size_t len)
{
	bool same_dev = prev->netns == cur->netns && prev->ifindex == cur->ifindex;

	if (prev->netns != cur->netns)
		snprintf(detail, len, "netns crossing: %s → %s: the socket stays behind",
			 prev_ns, cur_ns);
	else if (!same_dev && tt_hook_is_rx(prev->hook) && tt_hook_is_rx(cur->hook))
		snprintf(detail, len, "bridged: %s passed the frame up to %s without its socket",
			 prev->ifname, cur->ifname);
	else if (!same_dev && tt_hook_is_rx(prev->hook) && tt_hook_is_egress(cur->hook))
		snprintf(detail, len, "routed %s → %s: ip_rcv_core drops the socket", prev->ifname,
			 cur->ifname);
	else
		snprintf(detail, len, "between %s %s and %s %s", prev->ifname,
			 tt_hook_name(prev->hook), cur->ifname, tt_hook_name(cur->hook));
	return TT_CAUSE_SK_ORPHAN;
}

enum tt_cause tt_classify(enum tt_field f, const struct tt_hop *prev, const struct tt_hop *cur,
			  const char *prev_ns, const char *cur_ns, char *detail, size_t len)
{
	bool same_dev = prev->netns == cur->netns && prev->ifindex == cur->ifindex;
	/*
	 * kprobes see function entries only: the first entry after skb_scrub_packet()'s (here
	 * eth_type_trans()) already has what ____dev_forward_skb() did, while skb->dev, and with
	 * it the netns, is still the sender's.
	 */
	bool scrubbed = func_is(cur, "skb_scrub_packet") || func_is(prev, "skb_scrub_packet");

	if (f == TT_F_SK && prev->meta.has_sk && !cur->meta.has_sk)
		return classify_orphan(prev, cur, prev_ns, cur_ns, detail, len);
	if (prev->netns != cur->netns || scrubbed) {
		const char *kind = cur->kind[0] ? cur->kind : prev->kind;

		/*
		 * ____dev_forward_skb() zeroes priority on a veth crossing, and
		 * skb_scrub_packet() clears mark and a REALTIME tstamp when the netns changes.
		 * netkit forwards without either: its xmit clears a REALTIME tstamp, and with
		 * scrub "default" (netkit_xnet) priority and mark; with scrub "none" it keeps both.
		 */
		if (prev->netns != cur->netns)
			snprintf(detail, len, "netns crossing: %s → %s%s%s", prev_ns, cur_ns,
				 kind[0] ? " via " : "", kind);
		else
			snprintf(detail, len,
				 "netns crossing: leaving %s/%s%s%s in ____dev_forward_skb",
				 cur_ns, cur->ifname, kind[0] ? " via " : "", kind);
		if (!strcmp(kind, "netkit") && (f == TT_F_PRIORITY || f == TT_F_MARK))
			return TT_CAUSE_NETKIT_SCRUB;
		if (f == TT_F_PRIORITY && (!kind[0] || !strcmp(kind, "veth")))
			return TT_CAUSE_VETH_PRIORITY_RESET;
		return TT_CAUSE_NETNS_SCRUB;
	}
	if (same_dev && prev->hook == TSN_HOOK_QDISC_ENQUEUE &&
	    cur->hook == TSN_HOOK_QDISC_DEQUEUE) {
		snprintf(detail, len, "inside the qdisc of %s", cur->ifname);
		return TT_CAUSE_QDISC;
	}
	if (same_dev && (is_tc(prev->hook) || is_tc(cur->hook) ||
			 (tt_hook_is_rx(prev->hook) && cur->hook == TSN_HOOK_TC_INGRESS))) {
		snprintf(detail, len, "tc program on %s", cur->ifname);
		return TT_CAUSE_BPF_PROGRAM;
	}
	if (!same_dev && f == TT_F_PRIORITY &&
	    (tt_hook_is_rx(prev->hook) || func_is(prev, "ip_forward")) &&
	    tt_hook_is_egress(cur->hook)) {
		/* ip_forward(): skb->priority = rt_tos2priority(iph->tos) */
		snprintf(detail, len, "routed %s → %s: priority from TOS", prev->ifname,
			 cur->ifname);
		return TT_CAUSE_IP_FORWARD_TOS;
	}
	snprintf(detail, len, "between %s %s and %s %s", prev->ifname, tt_hook_name(prev->hook),
		 cur->ifname, tt_hook_name(cur->hook));
	return TT_CAUSE_UNKNOWN;
}

bool tt_hop_numbered(__u32 hook, bool xmit_follows_start)
{
	return hook != TSN_HOOK_NET_DEV_XMIT || xmit_follows_start;
}

bool tt_hop_is_origin(const struct tt_hop *first, bool ip)
{
	bool traced_func = first->hook == TSN_HOOK_KPROBE || first->hook == TSN_HOOK_FENTRY ||
			   first->hook == TSN_HOOK_FEXIT;

	/*
	 * kprobe/fentry hops come before net_dev_queue on the way out; they count as the origin
	 * while the sending socket is attached (it stays until the bridge or ip_rcv_core, so a
	 * function hit just after a veth crossing is taken for the origin: see docs/tsntrace.md).
	 */
	if (!tt_hook_is_egress(first->hook) && !traced_func)
		return false;
	return first->meta.has_sk || (!ip && !traced_func);
}

__u32 tt_policy_priority(const struct tt_pod_policy *pol, __u32 prio)
{
	return tsn_policy_priority(pol->allowed, pol->on_disallowed, prio);
}

enum tt_cause tt_classify_proxy(enum tt_field f, const struct tt_hop *prev,
				const struct tt_hop *cur, __u64 first, __u64 now,
				const struct tt_pod_policy *pol, char *detail, size_t len)
{
	bool same_dev = prev->netns == cur->netns && prev->ifindex == cur->ifindex;
	char allowed[96];

	if (!cur->restore_nic || !tt_hook_is_egress(cur->hook))
		return TT_CAUSE_UNKNOWN;
	/*
	 * The restore runs in the NIC's tc egress, before net_dev_queue: the change shows at the
	 * NIC's first egress hop, or right after an observer that runs before the restore.
	 */
	if (same_dev && prev->hook != TSN_HOOK_TC_EGRESS)
		return TT_CAUSE_UNKNOWN;
	if (f == TT_F_PRIORITY && pol && first && now != first &&
	    now == tt_policy_priority(pol, (__u32)first)) {
		tsn_format_priorities(pol->allowed, allowed, sizeof(allowed));
		snprintf(detail, len, "tsnproxy on %s: policy of %s allows {%s}: asked %llu, %s %llu",
			 cur->ifname, pol->netns_name, allowed, (unsigned long long)first,
			 pol->on_disallowed == TSN_POLICY_ZERO ? "zeroed to" : "clamped to",
			 (unsigned long long)now);
		return TT_CAUSE_TSNPROXY_POLICY;
	}
	if (first && now == first) {
		snprintf(detail, len, "tsnproxy on %s: the value saved in the pod", cur->ifname);
		return TT_CAUSE_TSNPROXY_RESTORE;
	}
	return TT_CAUSE_UNKNOWN;
}
