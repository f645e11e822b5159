// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of tsntop without a kernel or a terminal: the model (rates, sort, filter, verdicts)
 * from synthetic hop records shaped like the fixture's path (pod eth0 -> vethpod1 -> br0 ->
 * nic0 -> the network), and the view drawn headless (ncurses on /dev/null, cells read back).
 */
#include <stdlib.h>

#include "../../tui/model.h"
#include "../../tui/view.h"
#include "test.h"
#include "trace_cause.h"

#define NS_POD1 4026530001U
#define NS_POD2 4026530002U
#define NS_NODE 4026530100U
#define NIC0 7

struct hop_spec {
	__u32 hook;
	__u32 netns;
	__u32 ifindex;
	const char *ifname;
	const char *hook_name;
	__u32 priority;		/* ~0U: not read at this hop (net_dev_xmit) */
};

/* The fixture's path of one UDP packet from a pod to the network, priority at each hop. */
static void path(struct hop_spec h[8], __u32 pod_ns, __u32 app, __u32 after_veth, __u32 nic)
{
	struct hop_spec p[8] = {
		{ TSN_HOOK_NET_DEV_QUEUE, pod_ns, 2, "eth0", "net_dev_queue", app },
		{ TSN_HOOK_NET_DEV_START_XMIT, pod_ns, 2, "eth0", "net_dev_start_xmit", app },
		{ TSN_HOOK_NETIF_RX, NS_NODE, 5, "vethpod1", "netif_rx", after_veth },
		{ TSN_HOOK_NET_DEV_XMIT, pod_ns, 2, "eth0", "net_dev_xmit", ~0U },
		{ TSN_HOOK_NETIF_RECEIVE_SKB, NS_NODE, 3, "br0", "netif_receive_skb", after_veth },
		{ TSN_HOOK_NET_DEV_QUEUE, NS_NODE, NIC0, "nic0", "net_dev_queue", nic },
		{ TSN_HOOK_NET_DEV_START_XMIT, NS_NODE, NIC0, "nic0", "net_dev_start_xmit", nic },
		{ TSN_HOOK_NETIF_RX, 4026530200U, 2, "eth0", "netif_rx", 0 },
	};

	memcpy(h, p, sizeof(p));
}

static struct tsn_agg_flow_key flow_key(__u32 netns, __u16 sport, __u16 dport)
{
	struct tsn_agg_flow_key k = { .netns = netns };

	k.tuple.l3proto = 0x0800;
	k.tuple.l4proto = 17;
	k.tuple.saddr[10] = k.tuple.saddr[11] = k.tuple.daddr[10] = k.tuple.daddr[11] = 0xff;
	k.tuple.saddr[12] = 198, k.tuple.saddr[13] = 18, k.tuple.saddr[14] = 1;
	k.tuple.saddr[15] = netns == NS_POD1 ? 11 : 12;
	k.tuple.daddr[12] = 198, k.tuple.daddr[13] = 19, k.tuple.daddr[14] = 1;
	k.tuple.daddr[15] = 2;
	k.tuple.sport = sport;
	k.tuple.dport = dport;
	return k;
}

/*
 * One flow of a sample with its hops (hop records listed out of order, as a hash map walk is),
 * and the kernel's per-packet counts at the judged NIC: nic packets, nic_prio of them with a
 * priority other than the app's.
 */
static void add_flow_judged(struct top_model *m, __u32 netns, __u16 dport, __u64 packets,
			    double last_s, const struct hop_spec h[8], __u64 nic, __u64 nic_prio)
{
	struct tsn_agg_flow_key k = flow_key(netns, 40000, dport);
	struct tsn_agg_flow v = { .packets = packets, .bytes = packets * 100,
				  .last_ns = (__u64)(last_s * 1e9), .ifindex = 2,
				  .nic_packets = nic,
				  .nic_differ[TSN_AGG_FIELD_PRIORITY] = nic_prio };
	static const int order[8] = { 5, 0, 7, 2, 6, 1, 4, 3 };
	struct top_flow *f;
	int i;

	snprintf(v.ifname, sizeof(v.ifname), "eth0");
	v.meta.priority = h[0].priority;
	f = top_model_flow(m, &k, &v, netns == NS_POD1 ? "tk1-pod1" : "tk1-pod2");
	ASSERT_TRUE(f != NULL, "flow added");
	for (i = 0; f && i < 8; i++) {
		const struct hop_spec *s = &h[order[i]];
		struct tsn_agg_hop_key hk = { .flow = k, .hook = s->hook, .netns = s->netns,
					      .ifindex = s->ifindex };
		struct tsn_agg_hop hv = { .packets = packets, .seq = order[i],
					  .last_ns = v.last_ns };

		hv.meta.priority = s->priority == ~0U ? 0 : s->priority;
		hv.flags = order[i] == 0 ? TSN_HOPF_FIRST : 0;
		snprintf(hv.ifname, sizeof(hv.ifname), "%s", s->ifname);
		ASSERT_OK(top_model_hop(m, f, &hk, &hv, s->hook_name,
					s->netns == NS_NODE ? "tk1-node" : "tk1-pod1"),
			  "hop added");
	}
}

/* A flow sampled by tsntop without counts at a judged NIC (no NIC in its path, or none named) */
static void add_flow(struct top_model *m, __u32 netns, __u16 dport, __u64 packets,
		     double last_s, const struct hop_spec h[8])
{
	add_flow_judged(m, netns, dport, packets, last_s, h, 0, 0);
}

static struct top_model *model_with_nic(void)
{
	struct top_model *m = top_model_new();
	struct top_nic nic = { .netns = NS_NODE, .ifindex = NIC0 };
	int p;

	snprintf(nic.ifname, sizeof(nic.ifname), "nic0");
	snprintf(nic.netns_name, sizeof(nic.netns_name), "tk1-node");
	snprintf(nic.qdisc.kind, sizeof(nic.qdisc.kind), "taprio");
	nic.qdisc.has_map = true;
	nic.qdisc.num_tc = 4;
	for (p = 0; p < 4; p++)
		nic.qdisc.prio_tc_map[p] = p;	/* taprio map 0 1 2 3 */
	top_model_add_nic(m, &nic);
	snprintf(m->hdr.node, sizeof(m->hdr.node), "node1");
	snprintf(m->hdr.backend, sizeof(m->hdr.backend), "tracepoint");
	m->hdr.interval_s = 1;
	return m;
}

/* Three flows: pod1:5001 prio 1 lost at the veth, pod1:5002 prio 2 restored, pod2:5003 ok. */
static void sample3(struct top_model *m, double t, __u64 scale)
{
	struct hop_spec h[8];

	top_model_begin(m, t);
	path(h, NS_POD1, 1, 0, 0);
	add_flow(m, NS_POD1, 5001, 100 * scale, t - 0.1, h);
	path(h, NS_POD1, 2, 0, 2);
	add_flow(m, NS_POD1, 5002, 300 * scale, t - 0.2, h);
	path(h, NS_POD2, 0, 0, 0);
	add_flow(m, NS_POD2, 5003, 200 * scale, t - 3, h);
	top_model_end(m);
}

static const struct top_flow *by_dport(const struct top_model *m, __u16 dport)
{
	int i;

	for (i = 0; i < m->nvisible; i++)
		if (top_model_visible(m, i)->key.tuple.dport == dport)
			return top_model_visible(m, i);
	return NULL;
}

TEST(tsntop_model_verdicts)
{
	struct top_model *m = model_with_nic();
	const struct top_flow *f;
	char buf[64];

	sample3(m, 100, 1);
	ASSERT_EQ(m->nvisible, 3, "three flows");
	f = by_dport(m, 5001);
	if (ASSERT_TRUE(f != NULL, "lost flow")) {
		ASSERT_EQ(f->verdict, TOP_V_LOST, "verdict");
		ASSERT_STREQ(top_verdict_str(f, buf, sizeof(buf)), "LOST at vethpod1",
			     "lost where");
		ASSERT_EQ(f->tc, 0, "class at nic0");
		ASSERT_EQ(f->hops[f->judged].key.hook, TSN_HOOK_NET_DEV_START_XMIT,
			  "judged at xmit");
		ASSERT_STREQ(f->hops[f->judged].val.ifname, "nic0", "judged at nic0");
		ASSERT_EQ(f->hops[2].changed, 1U << TOP_F_PRIORITY, "change marked at the veth");
		ASSERT_EQ(f->hops[4].changed, 0, "no change after it");
		ASSERT_STREQ(top_field_state(f, TOP_F_PRIORITY), "lost", "priority lost");
		ASSERT_STREQ(top_field_state(f, TOP_F_TSTAMP), "kept", "tstamp never set: kept");
		/* hops are in path order, whatever order the map walk gave them */
		ASSERT_EQ(f->hops[0].val.seq, 0, "first");
		ASSERT_EQ(f->hops[7].val.seq, 7, "last");
	}
	f = by_dport(m, 5002);
	if (ASSERT_TRUE(f != NULL, "restored flow")) {
		ASSERT_EQ(f->verdict, TOP_V_RESTORED, "verdict");
		ASSERT_STREQ(top_verdict_str(f, buf, sizeof(buf)), "restored", "text");
		ASSERT_EQ(f->tc, 2, "class 2 by the map");
	}
	f = by_dport(m, 5003);
	if (ASSERT_TRUE(f != NULL, "best-effort flow")) {
		ASSERT_EQ(f->verdict, TOP_V_OK, "priority 0 is never lost");
		ASSERT_EQ(f->tc, 0, "class 0");
	}
	top_model_free(m);
}

/* One sample at time t of flow pod1:5001 with path h and the kernel's counts at nic0 */
static const struct top_flow *sample_judged(struct top_model *m, double t,
					    const struct hop_spec h[8], __u64 nic, __u64 nic_prio)
{
	top_model_begin(m, t);
	add_flow_judged(m, NS_POD1, 5001, nic, t, h, nic, nic_prio);
	top_model_end(m);
	return by_dport(m, 5001);
}

/*
 * The samples show a restored priority, but the kernel counted packets between them that left
 * nic0 without it: LOST for that interval, and back to restored once an interval has none. A
 * sample that shows a loss no packet of the interval had is an older packet's: not LOST.
 */
TEST(tsntop_model_every_packet_judged)
{
	struct top_model *m = model_with_nic();
	const struct top_flow *f;
	struct hop_spec h[8];
	char buf[64];

	path(h, NS_POD1, 2, 0, 2);
	f = sample_judged(m, 100, h, 100, 5);
	if (ASSERT_TRUE(f != NULL, "flow")) {
		ASSERT_EQ(f->verdict, TOP_V_LOST, "5 of 100 lost between the samples");
		ASSERT_EQ(f->nic_lost_interval[TOP_F_PRIORITY], 5, "lost in the interval");
		ASSERT_EQ(f->nic_packets_interval, 100, "judged in the interval");
		ASSERT_STREQ(top_verdict_str(f, buf, sizeof(buf)), "LOST at nic0",
			     "no sample saw it: lost at the judged NIC");
	}
	f = sample_judged(m, 101, h, 200, 5);
	if (ASSERT_TRUE(f != NULL, "flow")) {
		ASSERT_EQ(f->verdict, TOP_V_RESTORED, "none lost in the second interval");
		ASSERT_EQ(f->nic_lost_interval[TOP_F_PRIORITY], 0, "counts are per interval");
	}
	path(h, NS_POD1, 2, 0, 0);	/* the sample lost it, no packet since did */
	f = sample_judged(m, 102, h, 300, 5);
	if (ASSERT_TRUE(f != NULL, "flow"))
		ASSERT_EQ(f->verdict, TOP_V_OK, "an older packet's loss is not this interval's");
	top_model_free(m);
}

TEST(tsntop_model_judged_without_nic)
{
	struct top_model *m = top_model_new();
	struct hop_spec h[8];
	const struct top_flow *f;

	/* no NIC named: the last egress hop with metadata judges, no class is known */
	top_model_begin(m, 1);
	path(h, NS_POD1, 3, 0, 3);
	add_flow(m, NS_POD1, 5001, 10, 1, h);
	top_model_end(m);
	f = top_model_visible(m, 0);
	if (ASSERT_TRUE(f != NULL, "flow")) {
		ASSERT_EQ(f->judged, 6, "nic0 start_xmit is the last egress hop");
		ASSERT_EQ(f->verdict, TOP_V_RESTORED, "restored");
		ASSERT_EQ(f->tc, -1, "class unknown without a map");
	}
	top_model_free(m);
}

TEST(tsntop_model_rates_sort_filter)
{
	struct top_model *m = model_with_nic();
	struct hop_spec h[8];

	sample3(m, 100, 1);
	ASSERT_TRUE(top_model_visible(m, 0)->pps == 0, "no rate from the first sample");
	sample3(m, 102, 3);	/* 2 s later, each flow's packets tripled */
	ASSERT_EQ((long long)by_dport(m, 5001)->pps, 100, "(300 - 100) / 2");
	ASSERT_EQ((long long)by_dport(m, 5002)->pps, 300, "(900 - 300) / 2");
	ASSERT_EQ((long long)m->pps_total, 600, "total");
	ASSERT_EQ((long long)m->pps_tc[0], 300, "class 0: 5001 + 5003");
	ASSERT_EQ((long long)m->pps_tc[2], 300, "class 2: 5002");
	/* sorted by pkt/s, highest first */
	ASSERT_EQ(top_model_visible(m, 0)->key.tuple.dport, 5002, "pps: first");
	ASSERT_EQ(top_model_visible(m, 2)->key.tuple.dport, 5001, "pps: last");
	top_model_set_sort(m, TOP_SORT_VERDICT);
	ASSERT_EQ(top_model_visible(m, 0)->verdict, TOP_V_LOST, "verdict: LOST first");
	top_model_set_sort(m, TOP_SORT_LAST_SEEN);
	ASSERT_EQ(top_model_visible(m, 2)->key.tuple.dport, 5003, "last seen: oldest last");
	top_model_set_sort(m, TOP_SORT_PACKETS);
	ASSERT_EQ(top_model_visible(m, 0)->key.tuple.dport, 5002, "packets: most first");
	/* a flow that appears between samples: all its packets are in the interval */
	top_model_begin(m, 104);
	path(h, NS_POD1, 1, 0, 0);
	add_flow(m, NS_POD1, 5001, 300, 104, h);
	add_flow(m, NS_POD1, 5009, 40, 104, h);
	top_model_end(m);
	ASSERT_EQ((long long)by_dport(m, 5009)->pps, 20, "new flow: 40 / 2");
	ASSERT_EQ((long long)by_dport(m, 5001)->pps, 0, "no new packets");
	ASSERT_EQ(m->nvisible, 2, "flows gone from the kernel map are dropped");
	/* filter: netns name, port, address */
	sample3(m, 106, 4);
	top_model_set_filter(m, "pod2");
	ASSERT_EQ(m->nvisible, 1, "netns filter");
	ASSERT_EQ(top_model_visible(m, 0)->key.tuple.dport, 5003, "pod2's flow");
	top_model_set_filter(m, ":5002");
	ASSERT_EQ(m->nvisible, 1, "port filter");
	top_model_set_filter(m, "198.18.1.11");
	ASSERT_EQ(m->nvisible, 2, "address filter");
	top_model_set_filter(m, "nothing-like-it");
	ASSERT_EQ(m->nvisible, 0, "no match");
	ASSERT_TRUE(m->pps_total == 0, "totals follow the filter");
	top_model_set_filter(m, "");
	ASSERT_EQ(m->nvisible, 3, "cleared");
	top_model_reset(m);
	ASSERT_EQ(m->nvisible, 0, "reset");
	top_model_free(m);
}

TEST(tsntop_model_json)
{
	struct top_model *m = model_with_nic();
	json_object *o, *flows, *f, *v;

	sample3(m, 100, 1);
	o = top_model_json(m);
	ASSERT_TRUE(json_object_object_get_ex(o, "flows", &flows), "flows");
	ASSERT_EQ(json_object_array_length(flows), 3, "three");
	f = json_object_array_get_idx(flows, 0);
	ASSERT_TRUE(json_object_object_get_ex(f, "verdict", &v), "verdict key");
	ASSERT_TRUE(json_object_object_get_ex(f, "hops", &v), "hops key");
	ASSERT_EQ(json_object_array_length(v), 8, "eight hops");
	json_object_put(o);
	top_model_free(m);
}

/* ---- view, headless ---- */

static SCREEN *headless(FILE **out, FILE **in)
{
	*out = fopen("/dev/null", "w");
	*in = fopen("/dev/null", "r");
	return newterm("xterm", *out, *in);
}

/* Row y of stdscr as text, read cell by cell (chtype: character + attributes). */
static const char *row_text(int y, char *buf, int cols)
{
	chtype cells[512];
	int n = mvwinchnstr(stdscr, y, 0, cells, cols), i;

	for (i = 0; i < n && i < cols; i++)
		buf[i] = (char)(cells[i] & A_CHARTEXT);
	buf[i > 0 ? i : 0] = '\0';
	return buf;
}

static bool screen_has(int rows, int cols, const char *text, int *row)
{
	char buf[512];
	int y;

	for (y = 0; y < rows; y++) {
		if (strstr(row_text(y, buf, cols), text)) {
			if (row)
				*row = y;
			return true;
		}
	}
	return false;
}

TEST(tsntop_view_80x24)
{
	struct top_model *m = model_with_nic();
	struct top_view v = {};
	FILE *out, *in;
	SCREEN *scr = headless(&out, &in);
	char buf[512];
	int y = -1, y2 = -1;

	if (!ASSERT_TRUE(scr != NULL, "newterm"))
		return;
	resizeterm(24, 80);
	sample3(m, 100, 1);
	sample3(m, 101, 2);
	v.detail = true;
	top_view_draw(stdscr, &v, m);
	ASSERT_TRUE(screen_has(24, 80, "tsntop  node node1  every 1.0s  backend tracepoint", NULL),
		    "header");
	ASSERT_TRUE(screen_has(24, 80, "tk1-node/nic0 taprio map 0 1 2 3", NULL), "NIC + map");
	ASSERT_TRUE(screen_has(24, 80, "proxy off  flows 3", NULL), "proxy state, totals");
	ASSERT_TRUE(screen_has(24, 80, "VERDICT", NULL), "table header");
	ASSERT_TRUE(screen_has(24, 80, "LOST at vethpod1", &y), "lost verdict");
	ASSERT_TRUE(screen_has(24, 80, "restored", NULL), "restored verdict");
	ASSERT_TRUE(strstr(row_text(y, buf, 80), "1>0") != NULL, "prio app>nic on the row");
	ASSERT_TRUE(screen_has(24, 80, "tk1-pod2/eth0", NULL), "pod column");
	/* detail pane of the selected (first: busiest = 5002, restored) flow */
	ASSERT_TRUE(screen_has(24, 80, "path of udp 198.18.1.11:40000 > 198.19.1.2:5002", NULL),
		    "detail title");
	ASSERT_TRUE(screen_has(24, 80, "vethpod1  netif_rx", &y), "veth hop");
	ASSERT_TRUE(strstr(row_text(y, buf, 80), "0!") != NULL, "change marked at the veth");
	ASSERT_TRUE(screen_has(24, 80, "<- judged", &y2), "judged hop");
	ASSERT_TRUE(y2 > y, "judged after the veth");
	ASSERT_TRUE(strstr(row_text(23, buf, 80), "q quit") != NULL, "status line last");
	/* the selected row is drawn reversed */
	ASSERT_TRUE(screen_has(24, 80, "restored", &y), "selected row");
	/* help overlay */
	v.help = true;
	top_view_draw(stdscr, &v, m);
	ASSERT_TRUE(screen_has(24, 80, "s              cycle the sort order", NULL), "help");
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	top_model_free(m);
}

TEST(tsntop_view_resize)
{
	static const int sizes[][2] = { { 20, 60 }, { 50, 200 }, { 24, 80 }, { 8, 30 }, { 5, 20 } };
	struct top_model *m = model_with_nic();
	struct top_view v = { .detail = true };
	char buf[512], name[64];
	FILE *out, *in;
	SCREEN *scr = headless(&out, &in);
	size_t i;

	if (!ASSERT_TRUE(scr != NULL, "newterm"))
		return;
	sample3(m, 100, 1);
	m->proxy.running = true;	/* with the proxy pane too */
	snprintf(m->proxy.policy, sizeof(m->proxy.policy), "all");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int rows = sizes[i][0], cols = sizes[i][1];

		resizeterm(rows, cols);
		top_view_draw(stdscr, &v, m);
		snprintf(name, sizeof(name), "%dx%d header", cols, rows);
		ASSERT_TRUE(strncmp(row_text(0, buf, cols), "tsntop", 6) == 0, name);
		if (rows < 8 || cols < 60)
			continue;	/* tiny: no garbage, but not every column fits */
		snprintf(name, sizeof(name), "%dx%d verdict intact", cols, rows);
		ASSERT_TRUE(screen_has(rows, cols, "LOST at vethpod1", NULL), name);
		snprintf(name, sizeof(name), "%dx%d status line", cols, rows);
		ASSERT_TRUE(strstr(row_text(rows - 1, buf, cols), "q quit") != NULL, name);
		if (rows >= 24) {
			snprintf(name, sizeof(name), "%dx%d proxy pane", cols, rows);
			ASSERT_TRUE(screen_has(rows, cols, "enforce mode", NULL), name);
		}
	}
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	top_model_free(m);
}

/* A frame rendered as --once renders it, into a string the caller frees. */
static char *frame_text(struct top_view *v, const struct top_model *m, int rows, int cols)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	ASSERT_OK(top_view_render_text(v, m, rows, cols, f), "render");
	fclose(f);
	return text;
}

TEST(tsntop_view_text_frame)
{
	struct top_model *m = model_with_nic();
	struct top_view v = { .detail = true };
	char *text;

	sample3(m, 100, 1);
	text = frame_text(&v, m, 24, 80);
	ASSERT_TRUE(text && strstr(text, "LOST at vethpod1"), "frame has the verdict");
	ASSERT_TRUE(text && !strstr(text, " \n"), "no trailing blanks");
	ASSERT_TRUE(text && !strstr(text, "hooks: --hooks all"), "every hook: no note");
	free(text);
	/* fewer hooks attached: the path says so, not as a packet that skipped them */
	m->hdr.tp_hooks = TT_TP_HOOKS_ALL & ~TT_TP_HOOK(TSN_HOOK_QDISC_DEQUEUE);
	text = frame_text(&v, m, 24, 120);
	ASSERT_TRUE(text && strstr(text, "(9 of 10 hooks: --hooks all)"), "fewer hooks noted");
	free(text);
	top_model_free(m);
}

/*
 * A sample before any flow (tsntop's first refresh on a quiet node): no flows, nothing visible,
 * and a frame. In the unit tests built with UBSan (test_build_sanitized) it also proves that
 * sorting and drawing an empty model pass no NULL to libc.
 */
TEST(tsntop_model_empty_sample)
{
	struct top_model *m = model_with_nic();
	struct top_view v = { .detail = true };
	char *text;

	top_model_begin(m, 1.0);
	top_model_end(m);
	ASSERT_EQ(m->nflows, 0, "no flows");
	ASSERT_EQ(m->nvisible, 0, "nothing visible");
	top_model_set_sort(m, TOP_SORT_PPS);
	text = frame_text(&v, m, 24, 80);
	ASSERT_TRUE(text && *text, "a frame");
	free(text);
	top_model_free(m);
}

/* Give every hop of the flow on dport a TAI tstamp of its own (each hop a different packet). */
static void set_tai_tstamps(struct top_model *m, __u16 dport, int cleared_from)
{
	int i, k;

	for (i = 0; i < m->nflows; i++) {
		struct top_flow *f = &m->flows[i];

		if (f->key.tuple.dport != dport)
			continue;
		f->val.meta.tstamp = 1796235835631943959ULL;
		f->val.meta.tstamp_type = TSN_TSTAMP_TAI;
		for (k = 0; k < f->nhops; k++) {
			struct tsn_meta *mt = &f->hops[k].val.meta;
			bool cleared = cleared_from >= 0 && (int)f->hops[k].val.seq >= cleared_from;

			mt->tstamp = cleared ? 0 :
					       1796235835631943959ULL + 1000 * f->hops[k].val.seq;
			mt->tstamp_type = cleared ? TSN_TSTAMP_REALTIME : TSN_TSTAMP_TAI;
		}
	}
}

TEST(tsntop_model_txtime_judged_by_clock)
{
	struct top_model *m = model_with_nic();
	const struct top_flow *f;
	struct hop_spec h[8];

	/* priority kept end to end, tstamps differ per hop: still ok, not LOST */
	top_model_begin(m, 1);
	path(h, NS_POD2, 2, 2, 2);
	add_flow(m, NS_POD2, 5001, 10, 1, h);
	set_tai_tstamps(m, 5001, -1);
	/* the same with the tstamp cleared from the veth crossing (hop 2) on: lost there */
	path(h, NS_POD2, 2, 2, 2);
	add_flow(m, NS_POD2, 5002, 10, 1, h);
	set_tai_tstamps(m, 5002, 2);
	top_model_end(m);
	f = by_dport(m, 5001);
	if (ASSERT_TRUE(f != NULL, "txtime flow")) {
		ASSERT_EQ(f->verdict, TOP_V_OK, "per-packet tstamp values are not a loss");
		ASSERT_STREQ(top_field_state(f, TOP_F_TSTAMP), "kept", "tstamp kept");
		ASSERT_EQ(f->hops[6].changed, 0, "no change marked at nic0");
	}
	f = by_dport(m, 5002);
	if (ASSERT_TRUE(f != NULL, "cleared flow")) {
		ASSERT_EQ(f->verdict, TOP_V_LOST, "a cleared tstamp is lost");
		ASSERT_STREQ(top_field_state(f, TOP_F_TSTAMP), "lost", "tstamp lost");
		ASSERT_EQ(f->lost_hop, 2, "lost at the veth");
	}
	top_model_free(m);
}

/* No line of text wider than cols. */
static bool lines_fit(const char *text, int cols)
{
	const char *p = text, *nl;

	for (; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (nl - p > cols)
			return false;
		if (!*nl)
			break;
	}
	return true;
}

static void proxy_on(struct top_model *m)
{
	struct top_proxy p = { .running = true, .map_capacity = 65536, .map_used = 12,
			       .npolicy = 1 };
	int i;

	snprintf(p.policy, sizeof(p.policy), "registered");
	snprintf(p.restore, sizeof(p.restore), "priority,tstamp");
	for (i = 0; i < TSN_CNT__MAX; i++)
		p.counters[i] = 1234567;
	snprintf(p.policy_rows[0].netns, sizeof(p.policy_rows[0].netns), "tk172-pod1");
	snprintf(p.policy_rows[0].priorities, sizeof(p.policy_rows[0].priorities), "1");
	snprintf(p.policy_rows[0].on_disallowed, sizeof(p.policy_rows[0].on_disallowed), "clamp");
	top_model_set_proxy(m, &p);
	top_model_set_proxy(m, &p);
}

TEST(tsntop_view_small_sizes)
{
	struct top_model *m = model_with_nic();
	struct top_view v = { .detail = true };
	FILE *out, *in;
	SCREEN *scr = headless(&out, &in);
	char buf[512], *text;

	if (!ASSERT_TRUE(scr != NULL, "newterm"))
		return;
	snprintf(m->hdr.backend_why, sizeof(m->hdr.backend_why),
		 "fentry, kprobe, kprobe-multi unavailable");
	sample3(m, 100, 1);
	sample3(m, 101, 2);
	resizeterm(24, 80);
	top_view_draw(stdscr, &v, m);
	/* 80 columns: abbreviated at a word, never in the middle of one */
	row_text(0, buf, 80);
	ASSERT_TRUE(strstr(buf, "unavailable") || !strstr(buf, "unavailabl"), "no half word");
	ASSERT_TRUE(screen_has(24, 80, "restored: path of udp 198.18.1.11:40000 > 198.19.1.2:5002",
			       NULL), "path title: verdict first");
	/* the help box lists PgUp/PgDn and every line of it is whole inside the frame */
	v.help = true;
	top_view_draw(stdscr, &v, m);
	ASSERT_TRUE(screen_has(24, 80, "PgUp, PgDn", NULL), "help lists PgUp/PgDn");
	ASSERT_TRUE(screen_has(24, 80, "PRIO/TSTAMP: app > judged hop; ! = changed", NULL),
		    "help's longest line whole");
	v.help = false;
	/* a short terminal cuts the hop list: a last row says so */
	resizeterm(16, 80);
	top_view_draw(stdscr, &v, m);
	ASSERT_TRUE(screen_has(16, 80, "more hops not shown", NULL), "scroll hint");
	ASSERT_TRUE(screen_has(16, 80, "<- judged", NULL), "judged hop still shown");
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);

	/* 120 columns with the proxy pane: its counters wrap between counters, all shown */
	proxy_on(m);
	text = frame_text(&v, m, 40, 120);
	ASSERT_TRUE(text && lines_fit(text, 120), "no line wider than 120");
	ASSERT_TRUE(text && strstr(text, "policy_clamped 0/s (1234567)"), "last counter shown");
	ASSERT_TRUE(text && strstr(text, "tk172-pod1 {1} clamp"), "policy row");
	free(text);
	top_model_free(m);
}

TEST(tsntop_once_frame_is_compact)
{
	struct top_model *m = model_with_nic();
	struct top_view v = { .detail = true };
	char *text;

	sample3(m, 100, 1);
	text = frame_text(&v, m, 40, 120);
	if (!ASSERT_TRUE(text != NULL, "frame"))
		goto out;
	ASSERT_TRUE(strstr(text, "q quit") == NULL, "no key hints");
	ASSERT_TRUE(strstr(text, "\n\n") == NULL, "no empty lines");
	ASSERT_TRUE(strlen(text) && text[strlen(text) - 1] == '\n' &&
			    text[strlen(text) - 2] != '\n', "ends with its last line");
	ASSERT_TRUE(strstr(text, "<- judged") != NULL, "path included");
	ASSERT_FALSE(v.frame, "the view is interactive again");
out:
	free(text);
	top_model_free(m);
}

TEST(tsntop_selection_follows_flow)
{
	struct top_model *m = model_with_nic();
	struct top_view v = {};
	struct hop_spec h[8];
	const struct top_flow *f;

	sample3(m, 100, 1);
	sample3(m, 101, 2);
	/* select the flow to port 5001 (sorted by pkt/s: 5002, 5003, 5001) */
	for (v.selected = 0; v.selected < m->nvisible; v.selected++)
		if (top_model_visible(m, v.selected)->key.tuple.dport == 5001)
			break;
	top_view_clamp(&v, m);
	ASSERT_EQ(top_model_visible(m, v.selected)->key.tuple.dport, 5001, "on 5001");
	/* a busier flow appears: it sorts first and every row moves down by one */
	top_model_begin(m, 102);
	path(h, NS_POD1, 1, 0, 0);
	add_flow(m, NS_POD1, 5001, 300, 101.9, h);
	path(h, NS_POD1, 2, 0, 2);
	add_flow(m, NS_POD1, 5002, 900, 101.8, h);
	path(h, NS_POD2, 0, 0, 0);
	add_flow(m, NS_POD2, 5003, 600, 99, h);
	path(h, NS_POD2, 0, 0, 0);
	add_flow(m, NS_POD2, 5004, 100000, 101.9, h);
	top_model_end(m);
	top_view_follow(&v, m);
	f = top_model_visible(m, v.selected);
	ASSERT_TRUE(f && f->key.tuple.dport == 5001, "still on the flow to 5001");
	top_model_free(m);
}
