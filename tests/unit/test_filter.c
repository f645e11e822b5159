// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of tsntrace's pure code: flow filter parsing and matching (lib/filter.c and the
 * matcher shared with BPF, progs/tsn_filter.h), cause classification (lib/trace_cause.c), and
 * the mass attacher's target selection (lib/attach.c) against the running kernel's BTF with a
 * made-up traceable list.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "attach.h"
#include "filter.h"
#include "test.h"
#include "trace_cause.h"
#include "tsn_filter.h"

static struct tsn_tuple tuple4(const char *src, const char *dst, __u16 sport, __u16 dport,
			       __u8 proto)
{
	struct tsn_tuple t = { .sport = sport, .dport = dport, .l3proto = 0x0800, .l4proto = proto };
	__u8 plen;

	tsn_filter_parse_addr(src, t.saddr, &plen);
	tsn_filter_parse_addr(dst, t.daddr, &plen);
	return t;
}

TEST(filter_parse_addr)
{
	__u8 a[16], plen = 0;

	ASSERT_OK(tsn_filter_parse_addr("198.18.1.11", a, &plen), "v4");
	ASSERT_EQ(plen, 128, "v4 host prefix");
	ASSERT_EQ(a[10], 0xff, "mapped");
	ASSERT_EQ(a[12], 198, "first octet");
	ASSERT_OK(tsn_filter_parse_addr("198.18.1.0/24", a, &plen), "v4 prefix");
	ASSERT_EQ(plen, 120, "96 + 24");
	ASSERT_OK(tsn_filter_parse_addr("2001:db8::/32", a, &plen), "v6 prefix");
	ASSERT_EQ(plen, 32, "v6 plen");
	ASSERT_ERR(tsn_filter_parse_addr("1.2.3", a, &plen), "short v4");
	ASSERT_ERR(tsn_filter_parse_addr("300.1.2.3", a, &plen), "octet");
	ASSERT_ERR(tsn_filter_parse_addr("10.0.0.0/33", a, &plen), "v4 prefix too long");
	ASSERT_ERR(tsn_filter_parse_addr("::/129", a, &plen), "v6 prefix too long");
	ASSERT_ERR(tsn_filter_parse_addr("10.0.0.0/", a, &plen), "empty prefix");
	ASSERT_ERR(tsn_filter_parse_addr("10.0.0.0/-1", a, &plen), "negative prefix");
	ASSERT_ERR(tsn_filter_parse_addr("", a, &plen), "empty");
}

TEST(filter_parse_proto_mark)
{
	__u32 mark, mask;
	__u8 p;

	ASSERT_OK(tsn_filter_parse_proto("udp", &p), "udp");
	ASSERT_EQ(p, 17, "udp number");
	ASSERT_OK(tsn_filter_parse_proto("TCP", &p), "case");
	ASSERT_EQ(p, 6, "tcp number");
	ASSERT_OK(tsn_filter_parse_proto("132", &p), "number");
	ASSERT_ERR(tsn_filter_parse_proto("256", &p), "too big");
	ASSERT_ERR(tsn_filter_parse_proto("udpx", &p), "junk");
	ASSERT_OK(tsn_filter_parse_mark("7", &mark, &mask), "mark");
	ASSERT_EQ(mask, 0xffffffffU, "default mask");
	ASSERT_OK(tsn_filter_parse_mark("0x10/0xf0", &mark, &mask), "mark/mask");
	ASSERT_EQ(mark, 0x10, "value");
	ASSERT_EQ(mask, 0xf0, "mask");
	ASSERT_ERR(tsn_filter_parse_mark("0x10/0x1", &mark, &mask), "value outside mask");
	ASSERT_ERR(tsn_filter_parse_mark("0x100000000", &mark, &mask), "33 bits");
	ASSERT_ERR(tsn_filter_parse_mark("-1", &mark, &mask), "negative");
}

TEST(filter_set_errors)
{
	struct tsn_filter f;
	char err[256];

	tsn_filter_init(&f);
	ASSERT_ERR(tsn_filter_set(&f, "dport", "70000", err, sizeof(err)), "port range");
	ASSERT_TRUE(strstr(err, "--dport") != NULL, "message names the option");
	ASSERT_ERR(tsn_filter_set(&f, "ifname", "waytoolonginterfacename", err, sizeof(err)),
		   "ifname length");
	ASSERT_EQ(tsn_filter_set(&f, "netns", "tk-surely-no-such-netns", err, sizeof(err)),
		  -ENOENT, "missing netns");
	ASSERT_ERR(tsn_filter_set(&f, "bogus", "1", err, sizeof(err)), "unknown filter");
	ASSERT_EQ(f.flags, 0, "failed options set nothing");
	ASSERT_OK(tsn_filter_set(&f, "netns", "/proc/self/ns/net", err, sizeof(err)), "netns path");
	ASSERT_EQ(f.n_netns, 1, "one netns");
	ASSERT_TRUE(tsn_filter_is_opt("mark") && !tsn_filter_is_opt("json"), "option names");
}

TEST(filter_match)
{
	struct tsn_tuple t = tuple4("198.18.1.11", "198.19.1.2", 40000, 5001, 17);
	struct tsn_meta m = { .priority = 3, .mark = 0x17 };
	struct tsn_filter f;
	char err[256];

	tsn_filter_init(&f);
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", &t, &m), "empty filter matches");
	tsn_filter_set(&f, "dport", "5001", err, sizeof(err));
	tsn_filter_set(&f, "proto", "udp", err, sizeof(err));
	tsn_filter_set(&f, "src", "198.18.1.0/24", err, sizeof(err));
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", &t, &m), "dport+proto+src");
	t.dport = 5002;
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &t, &m), "other port");
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", NULL, &m), "tuple skipped");
	t = tuple4("198.18.2.11", "198.19.1.2", 40000, 5001, 17);
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &t, &m), "outside /24");
	t.l3proto = 0x0806;
	t = (struct tsn_tuple){ .l3proto = 0x0806 };
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &t, &m), "ARP never matches an address");

	tsn_filter_init(&f);
	f.flags = TSN_FILT_NETNS;
	f.n_netns = 2;
	f.netns[0] = 11;
	f.netns[1] = 22;
	ASSERT_TRUE(tsn_filter_matches(&f, 22, "x", NULL, &m), "second netns");
	ASSERT_FALSE(tsn_filter_matches(&f, 33, "x", NULL, &m), "other netns");

	tsn_filter_init(&f);
	tsn_filter_set(&f, "mark", "0x10/0xf0", err, sizeof(err));
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "x", NULL, &m), "mark under mask");
	m.mark = 0x27;
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "x", NULL, &m), "mark outside");
	tsn_filter_init(&f);
	tsn_filter_set(&f, "ifname", "eth0", err, sizeof(err));
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", NULL, &m), "ifname");
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth01", NULL, &m), "ifname prefix only");
	tsn_filter_init(&f);
	tsn_filter_set(&f, "priority", "0", err, sizeof(err));
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "x", NULL, &m), "priority 0 set, skb has 3");
}

TEST(filter_prefix_bits)
{
	__u8 a[17] = { 0 }, b[16] __attribute__((aligned(8))) = { 0 };
	__u32 bit;

	a[15] = 0x80;
	ASSERT_TRUE(tsn_prefix_eq(a, b, 120), "/120 ignores last byte");
	ASSERT_FALSE(tsn_prefix_eq(a, b, 121), "/121 sees its top bit");
	ASSERT_TRUE(tsn_prefix_eq(a, b, 0), "/0");
	/* every bit position, and a not aligned: bit k differs, so /k matches and /k+1 not */
	for (bit = 0; bit < 128; bit++) {
		__u8 *u = a + 1;

		__builtin_memset(a, 0, sizeof(a));
		u[bit / 8] = (__u8)(0x80 >> (bit % 8));
		ASSERT_TRUE(tsn_prefix_eq(u, b, bit), "/k ignores bit k");
		ASSERT_FALSE(tsn_prefix_eq(u, b, bit + 1), "/k+1 sees bit k");
		ASSERT_FALSE(tsn_prefix_eq(u, b, 128), "/128 sees bit k");
	}
}

TEST(tsntrace_cause_classes)
{
	struct tt_hop pod = { .hook = TSN_HOOK_NET_DEV_START_XMIT, .netns = 1, .ifindex = 2,
			      .ifname = "eth0", .kind = "veth" };
	struct tt_hop node = { .hook = TSN_HOOK_NETIF_RX, .netns = 9, .ifindex = 5,
			       .ifname = "vethpod1", .kind = "veth" };
	struct tt_hop br = { .hook = TSN_HOOK_NETIF_RECEIVE_SKB, .netns = 9, .ifindex = 3,
			     .ifname = "br0", .kind = "bridge" };
	struct tt_hop nic = { .hook = TSN_HOOK_NET_DEV_QUEUE, .netns = 9, .ifindex = 7,
			      .ifname = "nic0", .kind = "veth" };
	struct tt_hop enq = nic, deq = nic, tc = nic;
	struct tt_hop kscrub = { .hook = TSN_HOOK_KPROBE, .netns = 1, .ifindex = 2,
				 .ifname = "eth0", .kind = "veth" };
	struct tt_hop kafter = kscrub;
	char d[128];

	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &pod, &node, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_VETH_PRIORITY_RESET, "priority at crossing");
	ASSERT_STREQ(d, "netns crossing: pod1 → node via veth", "detail");
	ASSERT_EQ(tt_classify(TT_F_MARK, &pod, &node, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_NETNS_SCRUB, "mark at crossing");
	ASSERT_EQ(tt_classify(TT_F_TSTAMP, &pod, &node, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_NETNS_SCRUB, "tstamp at crossing");
	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &br, &nic, "node", "node", d, sizeof(d)),
		  TT_CAUSE_IP_FORWARD_TOS, "routed");
	enq.hook = TSN_HOOK_QDISC_ENQUEUE;
	deq.hook = TSN_HOOK_QDISC_DEQUEUE;
	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &enq, &deq, "node", "node", d, sizeof(d)),
		  TT_CAUSE_QDISC, "inside the qdisc");
	tc.hook = TSN_HOOK_TC_EGRESS;
	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &tc, &nic, "node", "node", d, sizeof(d)),
		  TT_CAUSE_BPF_PROGRAM, "after a tc hook");
	ASSERT_EQ(tt_classify(TT_F_MARK, &br, &nic, "node", "node", d, sizeof(d)),
		  TT_CAUSE_UNKNOWN, "mark changed by routing: unknown");
	/* the socket reference: an orphan, named by where it happened */
	pod.meta.has_sk = node.meta.has_sk = true;
	ASSERT_EQ(tt_classify(TT_F_SK, &node, &br, "node", "node", d, sizeof(d)),
		  TT_CAUSE_SK_ORPHAN, "sk dropped on the bridge");
	ASSERT_STREQ(d, "bridged: vethpod1 passed the frame up to br0 without its socket",
		     "bridge detail");
	ASSERT_EQ(tt_classify(TT_F_SK, &node, &nic, "node", "node", d, sizeof(d)),
		  TT_CAUSE_SK_ORPHAN, "sk dropped before routing");
	ASSERT_EQ(tt_classify(TT_F_SK, &pod, &br, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_SK_ORPHAN, "sk dropped at the crossing");
	ASSERT_STREQ(tt_cause_name(TT_CAUSE_SK_ORPHAN), "sk-orphan", "cause name");
	/* netkit (scrub default) clears priority and mark itself, not ____dev_forward_skb */
	strcpy(pod.kind, "netkit");
	strcpy(node.kind, "netkit");
	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &pod, &node, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_NETKIT_SCRUB, "priority at a netkit crossing");
	ASSERT_STREQ(d, "netns crossing: pod1 → node via netkit", "netkit detail");
	ASSERT_EQ(tt_classify(TT_F_MARK, &pod, &node, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_NETKIT_SCRUB, "mark at a netkit crossing");
	ASSERT_EQ(tt_classify(TT_F_TSTAMP, &pod, &node, "pod1", "node", d, sizeof(d)),
		  TT_CAUSE_NETNS_SCRUB, "REALTIME tstamp at a netkit crossing");
	ASSERT_STREQ(tt_cause_name(TT_CAUSE_NETKIT_SCRUB), "netkit-scrub", "netkit cause name");
	strcpy(pod.kind, "veth");
	strcpy(node.kind, "veth");
	/* kprobe-multi: priority is already 0 at the entry that follows skb_scrub_packet's */
	kscrub.func = "skb_scrub_packet";
	kafter.func = "eth_type_trans";
	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &kscrub, &kafter, "pod1", "pod1", d, sizeof(d)),
		  TT_CAUSE_VETH_PRIORITY_RESET, "entry after skb_scrub_packet");
	ASSERT_STREQ(d, "netns crossing: leaving pod1/eth0 via veth in ____dev_forward_skb",
		     "detail names the sender");
	kscrub.func = "__dev_forward_skb2";
	ASSERT_EQ(tt_classify(TT_F_PRIORITY, &kscrub, &kafter, "pod1", "pod1", d, sizeof(d)),
		  TT_CAUSE_UNKNOWN, "two entries on one device: unknown");
}

/* tsnproxy's restore and its pods' policies, as tsntrace names them (trace_cause.h) */
TEST(tsntrace_proxy_causes)
{
	struct tt_pod_policy one = { .allowed = 1U << 1, .on_disallowed = TSN_POLICY_CLAMP,
				     .netns_name = "pod1" };
	struct tt_pod_policy zero = one, top = one;
	struct tt_hop br = { .hook = TSN_HOOK_NETIF_RECEIVE_SKB, .netns = 9, .ifindex = 3,
			     .ifname = "br0" };
	struct tt_hop nic = { .hook = TSN_HOOK_NET_DEV_QUEUE, .netns = 9, .ifindex = 7,
			      .ifname = "nic0", .restore_nic = true };
	struct tt_hop obs = nic, enq = nic, deq = nic, pod = nic;
	char d[160];

	zero.on_disallowed = TSN_POLICY_ZERO;
	top.allowed = 1U << 1 | 1U << 31;
	ASSERT_EQ(tt_policy_priority(&one, 3), 1, "clamp to the highest allowed below");
	ASSERT_EQ(tt_policy_priority(&one, 1), 1, "allowed stays");
	ASSERT_EQ(tt_policy_priority(&one, 0), 0, "0 stays");
	ASSERT_EQ(tt_policy_priority(&one, 40), 1, "above 31: clamped like 31");
	ASSERT_EQ(tt_policy_priority(&zero, 3), 0, "on-disallowed zero");
	/* as the save program does (tsn_policy_priority): 31 allows 31 only, not what is above */
	ASSERT_EQ(tt_policy_priority(&top, 31), 31, "31 allowed");
	ASSERT_EQ(tt_policy_priority(&top, 35), 31, "35 is not 31: clamped to it");
	top.on_disallowed = TSN_POLICY_ZERO;
	ASSERT_EQ(tt_policy_priority(&top, 35), 0, "35, on-disallowed zero");

	ASSERT_EQ(tt_classify_proxy(TT_F_PRIORITY, &br, &nic, 1, 1, &one, d, sizeof(d)),
		  TT_CAUSE_TSNPROXY_RESTORE, "back to the app's value at the NIC");
	ASSERT_STREQ(d, "tsnproxy on nic0: the value saved in the pod", "restore detail");
	ASSERT_EQ(tt_classify_proxy(TT_F_PRIORITY, &br, &nic, 3, 1, &one, d, sizeof(d)),
		  TT_CAUSE_TSNPROXY_POLICY, "the policy's value");
	ASSERT_STREQ(d, "tsnproxy on nic0: policy of pod1 allows {1}: asked 3, clamped to 1",
		     "policy detail");
	ASSERT_EQ(tt_classify_proxy(TT_F_PRIORITY, &br, &nic, 3, 6, &one, d, sizeof(d)),
		  TT_CAUSE_UNKNOWN, "neither value: not the proxy's (TOS)");
	obs.hook = TSN_HOOK_TC_EGRESS;
	ASSERT_EQ(tt_classify_proxy(TT_F_PRIORITY, &obs, &nic, 2, 2, NULL, d, sizeof(d)),
		  TT_CAUSE_TSNPROXY_RESTORE, "after the observer, before net_dev_queue");
	enq.hook = TSN_HOOK_QDISC_ENQUEUE;
	deq.hook = TSN_HOOK_QDISC_DEQUEUE;
	ASSERT_EQ(tt_classify_proxy(TT_F_PRIORITY, &enq, &deq, 2, 2, NULL, d, sizeof(d)),
		  TT_CAUSE_UNKNOWN, "inside the qdisc: not the restore");
	nic.restore_nic = false;
	ASSERT_EQ(tt_classify_proxy(TT_F_PRIORITY, &br, &nic, 1, 1, &one, d, sizeof(d)),
		  TT_CAUSE_UNKNOWN, "a NIC without the restore");
	ASSERT_STREQ(tt_cause_name(TT_CAUSE_TSNPROXY_POLICY), "tsnproxy-policy", "name");

	/* origin: an egress hop with the sending socket; a receive hop or a forwarded skb: not */
	pod.restore_nic = false;
	pod.meta.has_sk = true;
	ASSERT_TRUE(tt_hop_is_origin(&pod, true), "egress with its socket");
	pod.meta.has_sk = false;
	ASSERT_FALSE(tt_hop_is_origin(&pod, true), "egress without a socket: forwarded");
	ASSERT_TRUE(tt_hop_is_origin(&pod, false), "a non-IP frame the kernel sends");
	br.meta.has_sk = true;
	ASSERT_FALSE(tt_hop_is_origin(&br, true), "a receive hop");
	ASSERT_FALSE(tt_hop_numbered(TSN_HOOK_NET_DEV_XMIT, false), "stray xmit");
	ASSERT_TRUE(tt_hop_numbered(TSN_HOOK_NET_DEV_XMIT, true), "its own xmit");
}

TEST(tsntrace_fields)
{
	struct tsn_meta m;
	unsigned int mask;

	ASSERT_OK(tt_field_parse_list("priority,tstamp", &mask), "list");
	ASSERT_EQ(mask, (1U << TT_F_PRIORITY) | (1U << TT_F_TSTAMP), "mask");
	ASSERT_ERR(tt_field_parse_list("priority,prio", &mask), "unknown field");
	ASSERT_ERR(tt_field_parse_list("", &mask), "empty");
	ASSERT_STREQ(tt_tstamp_type_name(TSN_TSTAMP_TAI), "tai", "tai");
	ASSERT_STREQ(tt_tstamp_type_name(TSN_TSTAMP_REALTIME), "none", "realtime is none");
	m = (struct tsn_meta){ .tstamp = 5, .tstamp_type = TSN_TSTAMP_REALTIME };
	ASSERT_STREQ(tt_tstamp_clock_name(&m), "real", "a realtime stamp");
	m.tstamp = 0;
	ASSERT_STREQ(tt_tstamp_clock_name(&m), "none", "no stamp");
	m = (struct tsn_meta){ .tstamp = 5, .tstamp_type = TSN_TSTAMP_TAI };
	ASSERT_STREQ(tt_tstamp_clock_name(&m), "tai", "a tai stamp");
	ASSERT_TRUE(tt_hook_is_egress(TSN_HOOK_TC_EGRESS), "tc egress is egress");
	ASSERT_FALSE(tt_hook_is_egress(TSN_HOOK_NETIF_RX), "netif_rx is not");
	ASSERT_FALSE(tt_hook_has_meta(TSN_HOOK_NET_DEV_XMIT), "net_dev_xmit has no metadata");
	ASSERT_STREQ(tt_hook_name(TSN_HOOK_QDISC_DEQUEUE), "qdisc_dequeue", "hook name");
	ASSERT_STREQ(tt_hook_name(999), "unknown", "bad hook");
}

TEST(hook_lists)
{
	char buf[256];
	__u32 mask;

	ASSERT_OK(tt_hook_parse_list("all", &mask), "all");
	ASSERT_EQ(mask, TT_TP_HOOKS_ALL, "all: every tracepoint");
	ASSERT_EQ(__builtin_popcount(TT_TP_HOOKS_ALL), 10, "ten tracepoints");
	ASSERT_OK(tt_hook_parse_list("consume_skb,net_dev_queue", &mask), "two");
	ASSERT_EQ(mask, TT_TP_HOOK(TSN_HOOK_CONSUME_SKB) | TT_TP_HOOK(TSN_HOOK_NET_DEV_QUEUE),
		  "mask");
	ASSERT_STREQ(tt_hook_list_str(mask, buf, sizeof(buf)), "net_dev_queue,consume_skb",
		     "listed in hook order");
	ASSERT_ERR(tt_hook_parse_list("net_dev_queue,kprobe", &mask), "not a tracepoint");
	ASSERT_ERR(tt_hook_parse_list("unknown", &mask), "the unknown hook");
	ASSERT_ERR(tt_hook_parse_list(",", &mask), "empty list");
	ASSERT_ERR(tt_hook_parse_list("", &mask), "empty");
	ASSERT_EQ(tt_hook_tracepoint("qdisc_dequeue"), TSN_HOOK_QDISC_DEQUEUE, "by name");
	ASSERT_EQ(tt_hook_tracepoint("tc_egress"), TSN_HOOK_UNKNOWN, "tc is no tracepoint");
	tt_hook_list_str(TT_TP_HOOKS_ALL, buf, 20);
	ASSERT_EQ(strlen(buf), 19, "cut to the buffer");
}

TEST(attach_collect)
{
	char path[] = "/tmp/tk_avail.XXXXXX";
	struct tsn_attach_opts opts = {};
	struct tsn_attach *a = NULL;
	struct btf *btf = btf__load_vmlinux_btf();
	bool clone = false, fwd = false, dup = false;
	const char *name;
	size_t i;
	int fd, arg;
	FILE *f;

	if (!btf) {
		test_skip("no kernel BTF");
		return;
	}
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	/* skb_clone(skb, ...): arg 1; __dev_forward_skb(dev, skb): arg 2; ip_rcv listed twice:
	 * ambiguous, left out; kfree_skbmem not listed: not traceable here */
	fprintf(f, "skb_clone\n__dev_forward_skb\nip_rcv\nip_rcv [dup]\nschedule\n");
	fclose(f);
	opts.avail_path = path;
	opts.btf = btf;
	ASSERT_OK(tsn_attach_new(&opts, &a), "new");
	ASSERT_OK(tsn_attach_collect(a), "collect");
	for (i = 0; (name = tsn_attach_func(a, i, &arg)); i++) {
		if (!strcmp(name, "skb_clone"))
			clone = arg == 1;
		if (!strcmp(name, "__dev_forward_skb"))
			fwd = arg == 2;
		if (!strcmp(name, "ip_rcv") || !strcmp(name, "schedule") ||
		    !strcmp(name, "kfree_skbmem"))
			dup = true;
	}
	ASSERT_TRUE(clone, "skb_clone, skb in arg 1");
	ASSERT_TRUE(fwd, "__dev_forward_skb, skb in arg 2");
	ASSERT_FALSE(dup, "duplicate, non-skb and unlisted functions left out");
	ASSERT_GE(tsn_attach_btf_candidates(a), 1000, "BTF has many skb functions");
	tsn_attach_free(a);

	opts.filter_func = "^__dev_";
	ASSERT_OK(tsn_attach_new(&opts, &a), "new with regex");
	ASSERT_OK(tsn_attach_collect(a), "collect with regex");
	ASSERT_EQ(tsn_attach_count(a), 1, "regex narrows");
	tsn_attach_free(a);

	opts.filter_func = "([";
	ASSERT_EQ(tsn_attach_new(&opts, &a), -EINVAL, "bad regex");
	opts.filter_func = NULL;
	/* nothing traceable: no targets, and no NULL list handed to qsort()/bsearch() (UBSan) */
	f = fopen(path, "w");
	if (f)
		fclose(f);
	ASSERT_OK(tsn_attach_new(&opts, &a), "new, empty list");
	ASSERT_OK(tsn_attach_collect(a), "collect from an empty list");
	ASSERT_EQ(tsn_attach_count(a), 0, "no targets");
	tsn_attach_free(a);
	opts.avail_path = "/nonexistent/available_filter_functions";
	ASSERT_OK(tsn_attach_new(&opts, &a), "new");
	ASSERT_EQ(tsn_attach_collect(a), -ENOENT, "no tracefs list");
	ASSERT_TRUE(strstr(tsn_attach_error(a), "tracefs") != NULL, "says tracefs");
	tsn_attach_free(a);
	tsn_attach_free(NULL);
	unlink(path);
	btf__free(btf);
}

TEST(filter_addr_family_and_host_bits)
{
	struct tsn_tuple v4 = tuple4("198.18.160.11", "198.19.160.2", 40000, 5001, 17);
	struct tsn_tuple v6 = { .sport = 40000, .dport = 5001, .l3proto = 0x86DD, .l4proto = 17 };
	struct tsn_meta m = {};
	struct tsn_filter f;
	char err[256];
	__u8 a[16], plen;

	ASSERT_OK(tsn_filter_parse_addr("fd00:160::11", v6.saddr, &plen), "v6 src");
	ASSERT_OK(tsn_filter_parse_addr("fd00:160::2", v6.daddr, &plen), "v6 dst");

	/* ::/0 is every IPv6 address, not the IPv4-mapped ones */
	tsn_filter_init(&f);
	ASSERT_OK(tsn_filter_set(&f, "dst", "::/0", err, sizeof(err)), "::/0");
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &v4, &m), "::/0 skips IPv4");
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", &v6, &m), "::/0 takes IPv6");
	/* and 0.0.0.0/0 every IPv4 address, no IPv6 one */
	tsn_filter_init(&f);
	ASSERT_OK(tsn_filter_set(&f, "src", "0.0.0.0/0", err, sizeof(err)), "0/0");
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", &v4, &m), "0/0 takes IPv4");
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &v6, &m), "0/0 skips IPv6");

	/* host bits past the prefix: refused with a one-line reason, filter unchanged */
	ASSERT_EQ(tsn_filter_parse_addr("198.18.160.11/24", a, &plen), -EDOM, "v4 host bits");
	ASSERT_EQ(tsn_filter_parse_addr("fd00::1/64", a, &plen), -EDOM, "v6 host bits");
	ASSERT_OK(tsn_filter_parse_addr("198.18.160.0/24", a, &plen), "v4 network");
	ASSERT_OK(tsn_filter_parse_addr("198.18.160.11/32", a, &plen), "v4 host");
	tsn_filter_init(&f);
	ASSERT_ERR(tsn_filter_set(&f, "src", "198.18.160.11/24", err, sizeof(err)), "refused");
	ASSERT_TRUE(strstr(err, "host bits") != NULL, "says why");
	ASSERT_TRUE(strchr(err, '\n') == NULL, "one line");
	ASSERT_EQ(f.flags, 0, "nothing set");
}

TEST(tuple_str_per_protocol)
{
	struct tsn_tuple udp = tuple4("198.18.1.11", "198.19.1.2", 40001, 5001, 17);
	struct tsn_tuple tcp = tuple4("198.18.1.11", "198.19.1.2", 40001, 5001, 6);
	struct tsn_tuple icmp = tuple4("198.18.1.11", "198.19.1.2", 0, 0, 1);
	struct tsn_tuple v6 = { .l3proto = 0x86DD, .l4proto = 17, .sport = 40001, .dport = 5001 };
	struct tsn_tuple arp = { .l3proto = 0x0806 };
	struct tsn_tuple ptp = { .l3proto = 0x88f7 };
	static const __u8 mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct tsn_filter f;
	struct tsn_meta m = {};
	char buf[160], err[256];
	__u8 plen;

	ASSERT_STREQ(tsn_tuple_str(&udp, buf, sizeof(buf)),
		     "udp 198.18.1.11:40001 > 198.19.1.2:5001", "udp");
	tsn_filter_parse_addr("fd00:1::11", v6.saddr, &plen);
	tsn_filter_parse_addr("fd00:1::2", v6.daddr, &plen);
	ASSERT_STREQ(tsn_tuple_str(&v6, buf, sizeof(buf)),
		     "udp [fd00:1::11]:40001 > [fd00:1::2]:5001", "IPv6 bracketed before ports");
	tcp.tcp_flags = 0x12;
	ASSERT_STREQ(tsn_tuple_str(&tcp, buf, sizeof(buf)),
		     "tcp 198.18.1.11:40001 > 198.19.1.2:5001 [S.]", "tcp syn-ack");
	tcp.tcp_flags = 0x18;
	ASSERT_STREQ(tsn_tuple_str(&tcp, buf, sizeof(buf)),
		     "tcp 198.18.1.11:40001 > 198.19.1.2:5001 [P.]", "tcp psh-ack");
	icmp.icmp_type = 8;
	icmp.icmp_id = 4321;
	ASSERT_STREQ(tsn_tuple_str(&icmp, buf, sizeof(buf)),
		     "icmp 198.18.1.11 > 198.19.1.2 echo-request id 4321 (type 8 code 0)",
		     "icmp echo: type/code, no ports");
	icmp.icmp_type = 3;
	icmp.icmp_code = 3;
	icmp.icmp_id = 0;
	ASSERT_STREQ(tsn_tuple_str(&icmp, buf, sizeof(buf)),
		     "icmp 198.18.1.11 > 198.19.1.2 dest-unreachable (type 3 code 3)",
		     "icmp unreach");
	v6.l4proto = 58;
	v6.icmp_type = 135;
	v6.icmp_code = 0;
	ASSERT_STREQ(tsn_tuple_str(&v6, buf, sizeof(buf)),
		     "icmpv6 fd00:1::11 > fd00:1::2 neighbor-solicitation (type 135 code 0)",
		     "icmpv6 by name");
	icmp.icmp_type = 42;
	ASSERT_STREQ(tsn_tuple_str(&icmp, buf, sizeof(buf)),
		     "icmp 198.18.1.11 > 198.19.1.2 (type 42 code 3)", "unnamed type");

	arp.arp_op = 1;
	inet_pton(AF_INET, "198.18.1.11", arp.arp_spa);
	inet_pton(AF_INET, "198.18.1.1", arp.arp_tpa);
	ASSERT_STREQ(tsn_tuple_str(&arp, buf, sizeof(buf)),
		     "arp who-has 198.18.1.1 tell 198.18.1.11", "arp request");
	arp.arp_op = 2;
	memcpy(arp.arp_sha, mac, sizeof(mac));
	ASSERT_STREQ(tsn_tuple_str(&arp, buf, sizeof(buf)),
		     "arp reply 198.18.1.11 is-at 02:00:00:00:00:02", "arp reply");
	ASSERT_STREQ(tsn_tuple_str(&ptp, buf, sizeof(buf)), "ethertype 0x88f7", "other ethertype");

	/* ICMP's type and ARP's opcode share the port bytes: a port filter never takes them */
	tsn_filter_init(&f);
	ASSERT_OK(tsn_filter_set(&f, "sport", "3", err, sizeof(err)), "--sport 3");
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &icmp, &m), "not icmp type 42/code 3");
	tsn_filter_init(&f);
	ASSERT_OK(tsn_filter_set(&f, "sport", "2", err, sizeof(err)), "--sport 2");
	ASSERT_FALSE(tsn_filter_matches(&f, 1, "eth0", &arp, &m), "not the arp opcode");
	ASSERT_OK(tsn_filter_set(&f, "sport", "40001", err, sizeof(err)), "--sport 40001");
	ASSERT_TRUE(tsn_filter_matches(&f, 1, "eth0", &udp, &m), "udp port");
}
