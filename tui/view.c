// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsntop's view, see view.h. Top to bottom: three header lines, the per-traffic-class bars, the
 * flow table, the detail pane (Enter), the proxy pane (enforce mode loaded), the status line.
 * The table gets what the panes leave, at least three rows; optional columns are dropped on
 * narrow terminals before the flow column gets too short to read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "tsn_filter.h"
#include "proxy.h"
#include "trace_cause.h"
#include "view.h"

enum {
	PAIR_OK = 1,
	PAIR_RESTORED,
	PAIR_LOST,
	PAIR_BAR,
};

void top_view_init(struct top_view *v)
{
	v->color = has_colors();
	if (!v->color)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_OK, COLOR_GREEN, -1);
	init_pair(PAIR_RESTORED, COLOR_YELLOW, -1);
	init_pair(PAIR_LOST, COLOR_RED, -1);
	init_pair(PAIR_BAR, COLOR_CYAN, -1);
}

void top_view_clamp(struct top_view *v, const struct top_model *m)
{
	const struct top_flow *f;

	if (v->selected >= m->nvisible)
		v->selected = m->nvisible - 1;
	if (v->selected < 0)
		v->selected = 0;
	f = top_model_visible(m, v->selected);
	v->sel_valid = f != NULL;
	if (f)
		v->sel_key = f->key;
}

void top_view_follow(struct top_view *v, const struct top_model *m)
{
	int i;

	for (i = 0; v->sel_valid && i < m->nvisible; i++) {
		if (!memcmp(&top_model_visible(m, i)->key, &v->sel_key, sizeof(v->sel_key))) {
			v->selected = i;
			break;
		}
	}
	top_view_clamp(v, m);
}

/* printf at (y, x), clipped to the window's width. */
static void put(WINDOW *w, int y, int x, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(WINDOW *w, int y, int x, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int cols = getmaxx(w);

	if (x >= cols || y >= getmaxy(w) || y < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mvwaddnstr(w, y, x, buf, cols - x);
}

/*
 * text on row y, abbreviated at a word when it is wider than the window: the cut ends with
 * " ..." instead of half a word.
 */
static void put_words(WINDOW *w, int y, const char *text)
{
	int cols = getmaxx(w), cut;
	char buf[512];

	if ((int)strlen(text) <= cols) {
		put(w, y, 0, "%s", text);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	cut = cols - 4 < (int)sizeof(buf) - 1 ? cols - 4 : (int)sizeof(buf) - 1;
	if (cut < 1) {
		put(w, y, 0, "%s", text);
		return;
	}
	buf[cut] = '\0';
	while (cut > 0 && buf[cut - 1] != ' ')
		cut--;
	while (cut > 0 && strchr(" ,:;|", buf[cut - 1]))
		cut--;
	if (!cut)	/* one long word: cut it where the window ends */
		cut = cols - 4;
	snprintf(buf + cut, sizeof(buf) - cut, " ...");
	put(w, y, 0, "%s", buf);
}

static attr_t verdict_attr(const struct top_view *v, enum top_verdict vd)
{
	if (!v->color)
		return vd == TOP_V_LOST ? A_BOLD : 0;
	switch (vd) {
	case TOP_V_OK: return COLOR_PAIR(PAIR_OK);
	case TOP_V_RESTORED: return COLOR_PAIR(PAIR_RESTORED) | A_BOLD;
	case TOP_V_LOST: return COLOR_PAIR(PAIR_LOST) | A_BOLD;
	default: return 0;
	}
}

/* ---- header ---- */

static void draw_header(WINDOW *w, const struct top_model *m)
{
	char buf[200], line[512];
	int i, x;

	/* most important first: the reason for the backend is abbreviated on narrow screens */
	snprintf(line, sizeof(line), "tsntop%s  node %s  every %.1fs  backend %s%s%s",
		 m->hdr.paused ? " [PAUSED]" : "", m->hdr.node, m->hdr.interval_s, m->hdr.backend,
		 m->hdr.backend_why[0] ? ": " : "", m->hdr.backend_why);
	put_words(w, 0, line);
	if (!m->nnics) {
		put(w, 1, 0,
		    "NIC  none named: judged at each flow's last egress hop (--nic IF@NETNS)");
	} else {
		put(w, 1, 0, "NIC ");
		x = 4;
		for (i = 0; i < m->nnics; i++) {
			top_nic_str(&m->nics[i], buf, sizeof(buf));
			put(w, 1, x, " %s%s", buf, i + 1 < m->nnics ? " |" : "");
			x += strlen(buf) + 3;
		}
	}
	if (m->proxy.running)
		snprintf(buf, sizeof(buf), "on (policy %s, restore %s)", m->proxy.policy,
			 m->proxy.restore);
	else
		snprintf(buf, sizeof(buf), "off");
	snprintf(line, sizeof(line),
		 "proxy %s  flows %d  pkt/s %.0f  lost: events %llu track %llu flows %llu "
		 "hops %llu pkts %llu",
		 buf, m->nvisible, m->pps_total, (unsigned long long)m->hdr.events_lost,
		 (unsigned long long)m->hdr.track_overflow,
		 (unsigned long long)m->hdr.agg[TSN_AGG_FLOWS_FULL],
		 (unsigned long long)m->hdr.agg[TSN_AGG_HOPS_FULL],
		 (unsigned long long)m->hdr.agg[TSN_AGG_PKT_EVICTED]);
	put_words(w, 2, line);
}

/* Classes to show a bar for: the NICs' (at least 4) and any with traffic. */
static int num_classes(const struct top_model *m)
{
	int n = 4, i;

	for (i = 0; i < m->nnics; i++)
		if (m->nics[i].qdisc.has_map && m->nics[i].qdisc.num_tc > n)
			n = m->nics[i].qdisc.num_tc;
	for (i = n; i < TOP_MAX_TC; i++)
		if (m->pps_tc[i] > 0)
			n = i + 1;
	return n;
}

static void draw_bar(WINDOW *w, int y, int x, int width, const char *label, double pps,
		     double max, const struct top_view *v)
{
	char val[16];
	int barw, fill, i;

	snprintf(val, sizeof(val), "%.0f", pps);
	barw = width - (int)strlen(label) - (int)strlen(val) - 3;
	put(w, y, x, "%s ", label);
	x += strlen(label) + 1;
	if (barw > 0) {
		fill = max > 0 ? (int)(pps / max * barw + 0.5) : 0;
		if (pps > 0 && !fill)
			fill = 1;
		if (v->color)
			wattron(w, COLOR_PAIR(PAIR_BAR));
		for (i = 0; i < barw; i++)
			put(w, y, x + i, "%c", i < fill ? '#' : '.');
		if (v->color)
			wattroff(w, COLOR_PAIR(PAIR_BAR));
		x += barw;
	}
	put(w, y, x, " %s", val);
}

/* One line of pkt/s bars per traffic class, then flows of unknown class. */
static void draw_tc_bars(WINDOW *w, int y, const struct top_view *v, const struct top_model *m)
{
	int n = num_classes(m), cols = getmaxx(w), i, width, slots;
	double max = m->pps_tc_unknown;
	char label[16];	/* "TC" and any int: no truncation warning at any -O level */

	for (i = 0; i < n; i++)
		if (m->pps_tc[i] > max)
			max = m->pps_tc[i];
	slots = n + 1;
	width = cols / slots;
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "TC%d", i);
		draw_bar(w, y, i * width, width - 1, label, m->pps_tc[i], max, v);
	}
	draw_bar(w, y, n * width, cols - n * width, "TC?", m->pps_tc_unknown, max, v);
}

/* ---- flow table ---- */

enum col_id { C_POD, C_FLOW, C_PPS, C_PRIO, C_TC, C_TSTAMP, C_VERDICT, C_AGE, C__MAX };

struct col {
	const char *title;
	int width;
	int drop;		/* dropped on narrow screens in this order (1 first), 0 never */
	bool right;
};

static const struct col cols_def[C__MAX] = {
	[C_POD] = { "POD/IF", 16, 3, false },
	[C_FLOW] = { "FLOW", 0, 0, false },
	[C_PPS] = { "PKT/S", 7, 0, true },
	[C_PRIO] = { "PRIO", 5, 0, false },
	[C_TC] = { "TC", 2, 0, true },
	[C_TSTAMP] = { "TSTAMP", 9, 2, false },
	[C_VERDICT] = { "VERDICT", 17, 0, false },
	[C_AGE] = { "AGE", 4, 1, true },
};

#define MIN_FLOW_WIDTH 18

/* Widths for this screen: 0 = column not shown; the flow column takes what is left. */
static void layout(int cols, int widths[C__MAX])
{
	int used, i, drop;

	for (drop = 0; drop <= 3; drop++) {
		used = 0;
		for (i = 0; i < C__MAX; i++) {
			bool gone = cols_def[i].drop && cols_def[i].drop <= drop;

			widths[i] = gone ? 0 : cols_def[i].width;
			if (i != C_FLOW && widths[i])
				used += widths[i] + 1;
		}
		widths[C_FLOW] = cols - used;
		if (widths[C_FLOW] >= MIN_FLOW_WIDTH)
			return;
	}
	if (widths[C_FLOW] < 8)
		widths[C_FLOW] = 8;
}

/* The flow as it fits: the whole tuple, "sport>dst:dport" or "dst:dport" (the pod column and
 * the detail pane have the rest). */
static void flow_cell(const struct top_flow *f, int width, char *buf, size_t len)
{
	char dbuf[64];
	const char *dst;

	top_flow_str(f, buf, len);
	if ((int)strlen(buf) <= width || !tsn_tuple_has_ports(&f->key.tuple))
		return;
	dst = tsn_addr_port_str(f->key.tuple.daddr, dbuf, sizeof(dbuf));
	snprintf(buf, len, "%u>%s:%u", f->key.tuple.sport, dst, f->key.tuple.dport);
	if ((int)strlen(buf) > width)
		snprintf(buf, len, "%s:%u", dst, f->key.tuple.dport);
}

static void row_cells(const struct top_model *m, const struct top_flow *f, const int widths[],
		      char cells[C__MAX][128])
{
	const struct tsn_meta *app = top_flow_app_meta(f), *nic = top_flow_nic_meta(f);

	snprintf(cells[C_POD], 128, "%s/%s", f->netns_name[0] ? f->netns_name : "?", f->val.ifname);
	flow_cell(f, widths[C_FLOW], cells[C_FLOW], 128);
	snprintf(cells[C_PPS], 128, "%.0f", f->pps);
	if (nic)
		snprintf(cells[C_PRIO], 128, "%u>%u", app->priority, nic->priority);
	else
		snprintf(cells[C_PRIO], 128, "%u>-", app->priority);
	if (f->tc >= 0)
		snprintf(cells[C_TC], 128, "%d", f->tc);
	else
		snprintf(cells[C_TC], 128, "-");
	snprintf(cells[C_TSTAMP], 128, "%s>%s", tt_tstamp_clock_name(app),
		 nic ? tt_tstamp_clock_name(nic) : "-");
	top_verdict_str(f, cells[C_VERDICT], 128);
	snprintf(cells[C_AGE], 128, "%.0fs", top_flow_age(m, f));
}

static void draw_row(WINDOW *w, int y, const int widths[], char cells[C__MAX][128], attr_t attr,
		     attr_t verdict)
{
	int x = 0, i;

	if (attr) {
		wattron(w, attr);
		wmove(w, y, 0);
		wclrtoeol(w);
		mvwhline(w, y, 0, ' ', getmaxx(w));
	}
	for (i = 0; i < C__MAX; i++) {
		if (!widths[i])
			continue;
		if (i == C_VERDICT && verdict)
			wattron(w, verdict);
		if (cols_def[i].right)
			put(w, y, x, "%*.*s", widths[i], widths[i], cells[i]);
		else
			put(w, y, x, "%-*.*s", widths[i], widths[i], cells[i]);
		if (i == C_VERDICT && verdict)
			wattroff(w, verdict);
		x += widths[i] + 1;
	}
	if (attr)
		wattroff(w, attr);
}

static void draw_table(WINDOW *w, int y, int rows, struct top_view *v, const struct top_model *m)
{
	int widths[C__MAX], i;
	char cells[C__MAX][128];

	layout(getmaxx(w), widths);
	for (i = 0; i < C__MAX; i++)
		snprintf(cells[i], sizeof(cells[i]), "%s", cols_def[i].title);
	draw_row(w, y, widths, cells, A_REVERSE, 0);
	rows--;
	y++;
	if (!m->nvisible) {
		put(w, y, 0, m->filter[0] ? "(no flow matches the filter '%s')" :
					     "(no flow seen yet%s)", m->filter);
		return;
	}
	/* keep the selection on screen */
	if (v->selected < v->first)
		v->first = v->selected;
	if (v->selected >= v->first + rows)
		v->first = v->selected - rows + 1;
	if (v->first < 0)
		v->first = 0;
	for (i = 0; i < rows && v->first + i < m->nvisible; i++) {
		const struct top_flow *f = top_model_visible(m, v->first + i);
		bool sel = v->first + i == v->selected;

		row_cells(m, f, widths, cells);
		draw_row(w, y + i, widths, cells, sel ? A_REVERSE : 0, verdict_attr(v, f->verdict));
	}
}

/* ---- detail pane ---- */

/* value + '!' when it changed at this hop */
static void meta_cells(const struct top_hop *h, char *prio, char *ts, char *mark, size_t len)
{
	snprintf(prio, len, "%u%s", h->val.meta.priority,
		 h->changed & (1U << TOP_F_PRIORITY) ? "!" : "");
	snprintf(ts, len, "%s%s", tt_tstamp_clock_name(&h->val.meta),
		 h->changed & (1U << TOP_F_TSTAMP) ? "!" : "");
	snprintf(mark, len, "%u%s", h->val.meta.mark, h->changed & (1U << TOP_F_MARK) ? "!" : "");
}

static int detail_rows(const struct top_view *v, const struct top_model *m)
{
	const struct top_flow *f = top_model_visible(m, v->selected);

	return v->detail && f ? f->nhops + 2 : 0;
}

static void draw_detail(WINDOW *w, int y, int rows, const struct top_view *v,
			const struct top_model *m)
{
	const struct top_flow *f = top_model_visible(m, v->selected);
	char buf[160], verdict[96], prio[16], ts[16], mark[16];
	/* the verdict, the flow, the pod's netns/device and the hooks note, whole */
	char title[sizeof(verdict) + sizeof(buf) + TOP_NAME_LEN + TSN_IFNAMSIZ + 64];
	int i, fl, cut, shown = 0, hidden = 0;
	__u64 lost = 0;

	if (!f || rows < 2)
		return;
	top_flow_str(f, buf, sizeof(buf));
	top_verdict_str(f, verdict, sizeof(verdict));
	/* counted on every packet at the NIC: how many of the interval's lost a field */
	for (fl = 0; fl < TOP_F__MAX; fl++)
		lost = lost > f->nic_lost_interval[fl] ? lost : f->nic_lost_interval[fl];
	if (f->verdict == TOP_V_LOST && lost)
		snprintf(verdict + strlen(verdict), sizeof(verdict) - strlen(verdict),
			 " (%llu of %llu packets)", (unsigned long long)lost,
			 (unsigned long long)f->nic_packets_interval);
	/* the verdict first: on a narrow screen the tuple is what gets abbreviated */
	snprintf(title, sizeof(title), "%s: path of %s from %s/%s", verdict, buf, f->netns_name,
		 f->val.ifname);
	/* a path without qdisc hops must not read as a packet that skipped the qdisc */
	if (m->hdr.tp_hooks && m->hdr.tp_hooks != TT_TP_HOOKS_ALL)
		snprintf(title + strlen(title), sizeof(title) - strlen(title),
			 " (%d of %d hooks: --hooks all)", __builtin_popcount(m->hdr.tp_hooks),
			 __builtin_popcount(TT_TP_HOOKS_ALL));
	wattron(w, A_BOLD);
	put_words(w, y, title);
	wattroff(w, A_BOLD);
	put(w, y + 1, 0, " # %-10s %-9s %-18s %4s %-5s %4s %3s %s", "NETNS", "DEVICE", "HOOK",
	    "PRIO", "TSTMP", "MARK", "QUE", "CHANGE");
	rows -= 2;
	y += 2;
	/*
	 * Too many hops for the space: the first ones and the judged one, and a last row that
	 * says how many are not shown.
	 */
	cut = f->nhops > rows ? rows - 1 : rows;
	for (i = 0; i < f->nhops; i++) {
		const struct top_hop *h = &f->hops[i];
		char change[96] = "";
		size_t off = 0;

		if (shown >= cut ||
		    (f->nhops > rows && shown >= cut - 1 && i != f->judged && f->judged > i)) {
			hidden++;
			continue;
		}
		if (!tt_hook_has_meta(h->key.hook)) {
			snprintf(prio, sizeof(prio), "-");
			snprintf(ts, sizeof(ts), "-");
			snprintf(mark, sizeof(mark), "-");
		} else {
			meta_cells(h, prio, ts, mark, sizeof(prio));
		}
		/* what changed here, LOST where a field the app set was lost, the judged hop */
		for (fl = 0; fl < TOP_F__MAX; fl++)
			if (h->changed & (1U << fl))
				off += snprintf(change + off, sizeof(change) - off, "%s%s",
						off ? "," : "", top_field_name(fl));
		if (i == f->lost_hop && f->verdict == TOP_V_LOST)
			off += snprintf(change + off, sizeof(change) - off, " LOST");
		if (i == f->judged)
			snprintf(change + off, sizeof(change) - off, "%s<- judged", off ? " " : "");
		if (h->changed)
			wattron(w, A_BOLD);
		put(w, y, 0, "%2u %-10.10s %-9.9s %-18.18s %4s %-5s %4s %3u %s", h->val.seq,
		    h->netns_name, h->val.ifname, h->hook_name, prio, ts, mark,
		    h->val.meta.queue_mapping, change);
		if (h->changed)
			wattroff(w, A_BOLD);
		y++;
		shown++;
	}
	if (hidden)
		put(w, y, 0, "   ... %d more hop%s not shown: a taller terminal or --json has them",
		    hidden, hidden > 1 ? "s" : "");
}

/* ---- proxy pane ---- */

#define PROXY_MAX_COUNTER_ROWS 3

static const int proxy_shown[] = { TSN_CNT_SAVED, TSN_CNT_RESTORED_PRIORITY,
				   TSN_CNT_RESTORED_TSTAMP, TSN_CNT_MISS,
				   TSN_CNT_FREED_UNRESTORED, TSN_CNT_EVICTED,
				   TSN_CNT_POLICY_DENIED, TSN_CNT_POLICY_CLAMPED };
#define PROXY_NSHOWN (int)(sizeof(proxy_shown) / sizeof(proxy_shown[0]))

/*
 * The proxy's counters, "name rate/s (total)" each, wrapped between counters onto rows of at
 * most cols; draws them from row y when w is given. The number of rows they take.
 */
static int proxy_counter_rows(WINDOW *w, int y, int cols, const struct top_proxy *p)
{
	char item[96], line[512] = "";
	int i, rows = 0;
	size_t len = 0, n;

	for (i = 0; i < PROXY_NSHOWN; i++) {
		n = snprintf(item, sizeof(item), "%s %.0f/s (%llu)",
			     tsn_counter_names[proxy_shown[i]], p->rates[proxy_shown[i]],
			     (unsigned long long)p->counters[proxy_shown[i]]);
		if (len && (int)(len + 2 + n) > cols) {
			if (w)
				put_words(w, y + rows, line);
			rows++;
			len = 0;
		}
		len += snprintf(line + len, sizeof(line) - len, "%s%s", len ? "  " : "", item);
	}
	if (w)
		put_words(w, y + rows, line);
	return rows + 1 < PROXY_MAX_COUNTER_ROWS ? rows + 1 : PROXY_MAX_COUNTER_ROWS;
}

/* title, counters, policy */
static int proxy_rows(WINDOW *w, const struct top_model *m)
{
	return m->proxy.running ? 2 + proxy_counter_rows(NULL, 0, getmaxx(w), &m->proxy) : 0;
}

static void draw_proxy(WINDOW *w, int y, const struct top_model *m)
{
	const struct top_proxy *p = &m->proxy;
	char buf[512];
	size_t off = 0;
	int k;

	wattron(w, A_BOLD);
	put(w, y, 0, "enforce mode  map %u/%u slots (%.0f%%)", p->map_used, p->map_capacity,
	    p->map_capacity ? 100.0 * p->map_used / p->map_capacity : 0.0);
	wattroff(w, A_BOLD);
	y += 1 + proxy_counter_rows(w, y + 1, getmaxx(w), p);
	off = snprintf(buf, sizeof(buf), "policy %s:", p->policy);
	if (!p->npolicy)
		snprintf(buf + off, sizeof(buf) - off, " (no netns registered)");
	for (k = 0; k < p->npolicy && off < sizeof(buf); k++)
		off += snprintf(buf + off, sizeof(buf) - off, " %s {%s} %s;",
				p->policy_rows[k].netns, p->policy_rows[k].priorities,
				p->policy_rows[k].on_disallowed);
	put_words(w, y, buf);
}

/* ---- help and status ---- */

static void draw_help(WINDOW *w)
{
	static const char *const lines[] = {
		"tsntop keys",
		"",
		"  Up/k, Down/j   select a flow",
		"  PgUp, PgDn     a page up / down",
		"  Enter          hop path of the selected flow",
		"  s              cycle the sort order",
		"  /              filter (netns, address, port)",
		"  p              pause / resume sampling",
		"  r              reset counters and flows",
		"  ?              this help",
		"  q              quit (detaches everything)",
		"",
		"VERDICT: ok | restored | LOST at <device>",
		"PRIO/TSTAMP: app > judged hop; ! = changed",
	};
	int n = sizeof(lines) / sizeof(lines[0]), rows = getmaxy(w), cols = getmaxx(w);
	int width = 0, y0, x0, i;
	WINDOW *frame;

	/* as wide as the longest line plus the frame and a margin each side */
	for (i = 0; i < n; i++)
		if ((int)strlen(lines[i]) + 4 > width)
			width = strlen(lines[i]) + 4;
	if (width > cols)
		width = cols;
	y0 = rows > n + 2 ? (rows - n - 2) / 2 : 0;
	x0 = (cols - width) / 2;
	for (i = 0; i < n + 2 && y0 + i < rows; i++) {
		mvwhline(w, y0 + i, x0, ' ', width);
		if (i && i <= n)
			put(w, y0 + i, x0 + 2, "%.*s", width - 3, lines[i - 1]);
	}
	frame = derwin(w, n + 2 < rows ? n + 2 : rows, width, y0, x0);
	if (frame) {
		box(frame, 0, 0);
		delwin(frame);
	}
}

static void draw_status(WINDOW *w, int y, const struct top_view *v, const struct top_model *m)
{
	if (v->filter_edit) {
		put(w, y, 0, "filter: %s_   (Enter apply, Esc cancel)", v->filter_buf);
		return;
	}
	wattron(w, A_REVERSE);
	mvwhline(w, y, 0, ' ', getmaxx(w));
	put(w, y, 0, "q quit  ? help  Enter path  s sort: %s  / filter%s%s  p pause  r reset",
	    top_sort_name(m->sort), m->filter[0] ? ": " : "", m->filter);
	wattroff(w, A_REVERSE);
}

void top_view_draw(WINDOW *w, struct top_view *v, const struct top_model *m)
{
	int rows = getmaxy(w), y, table, detail, proxy, status = v->frame ? 0 : 1;

	werase(w);
	top_view_clamp(v, m);
	if (rows < 8) {
		put(w, 0, 0, "tsntop: terminal too small (%dx%d)", getmaxx(w), rows);
		return;
	}
	draw_header(w, m);
	draw_tc_bars(w, 3, v, m);
	y = 4;
	proxy = proxy_rows(w, m);
	detail = detail_rows(v, m);
	/* table: at least 3 rows + its title; the panes share the rest, detail first */
	table = rows - y - status - proxy - detail;
	if (table < 4) {
		if (proxy && rows - y - status - detail < 4 + proxy)
			proxy = 0;
		table = rows - y - status - proxy - detail;
		if (table < 4) {
			detail = rows - y - status - proxy - 4;
			if (detail < 3)
				detail = 0;
			table = rows - y - status - proxy - detail;
		}
	}
	/* a text frame has no empty table rows: the panes follow the last flow */
	if (v->frame && table > (m->nvisible ? m->nvisible : 1) + 1)
		table = (m->nvisible ? m->nvisible : 1) + 1;
	draw_table(w, y, table, v, m);
	y += table;
	if (detail)
		draw_detail(w, y, detail, v, m);
	y += detail;
	if (proxy)
		draw_proxy(w, y, m);
	if (status)
		draw_status(w, rows - 1, v, m);
	if (v->help)
		draw_help(w);
}

int top_view_render_text(struct top_view *v, const struct top_model *m, int rows, int cols,
			 FILE *out)
{
	FILE *null_out, *null_in;
	SCREEN *scr = NULL, *prev;
	char line[1024];
	int y, n, last = -1, err = 0;
	bool was_frame = v->frame;

	_Static_assert(TOP_TEXT_MAX_COLS < sizeof(line), "a text line holds the widest frame");
	if (rows < TOP_TEXT_MIN_ROWS || rows > TOP_TEXT_MAX_ROWS || cols < TOP_TEXT_MIN_COLS ||
	    cols > TOP_TEXT_MAX_COLS)
		return -EINVAL;
	null_out = fopen("/dev/null", "we");
	null_in = fopen("/dev/null", "re");
	/* a fixed terminal type: the frame must not depend on $TERM or on a terminal at all */
	if (null_out && null_in)
		scr = newterm("xterm", null_out, null_in);
	if (!scr) {
		err = -ENOTTY;
		goto out;
	}
	prev = set_term(scr);
	resizeterm(rows, cols);
	/* no key hints and no empty rows: this frame is read, not used */
	v->frame = true;
	top_view_draw(stdscr, v, m);
	v->frame = was_frame;
	for (y = 0; y < rows; y++) {
		n = mvwinnstr(stdscr, y, 0, line, cols);
		if (n > 0 && strspn(line, " ") < (size_t)n)
			last = y;
	}
	for (y = 0; y <= last; y++) {
		n = mvwinnstr(stdscr, y, 0, line, cols);
		if (n < 0)
			n = 0;
		line[n] = '\0';
		while (n > 0 && line[n - 1] == ' ')
			line[--n] = '\0';
		fprintf(out, "%s\n", line);
	}
	endwin();
	if (prev)
		set_term(prev);
	delscreen(scr);
out:
	if (null_out)
		fclose(null_out);
	if (null_in)
		fclose(null_in);
	return err;
}
