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
	if (v->selected >= m->nvisible)
		v->selected = m->nvisible - 1;
	if (v->selected < 0)
		v->selected = 0;
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
	char buf[200];
	int i, x;

	/* most important first: the reason for the backend may be cut on narrow screens */
	put(w, 0, 0, "tsntop%s  node %s  every %.1fs  backend %s%s%s",
	    m->hdr.paused ? " [PAUSED]" : "", m->hdr.node, m->hdr.interval_s, m->hdr.backend,
	    m->hdr.backend_why[0] ? ": " : "", m->hdr.backend_why);
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
	put(w, 2, 0,
	    "proxy %s  flows %d  pkt/s %.0f  lost: events %llu track %llu flows %llu hops %llu "
	    "pkts %llu",
	    buf, m->nvisible, m->pps_total, (unsigned long long)m->hdr.events_lost,
	    (unsigned long long)m->hdr.track_overflow,
	    (unsigned long long)m->hdr.agg[TSN_AGG_FLOWS_FULL],
	    (unsigned long long)m->hdr.agg[TSN_AGG_HOPS_FULL],
	    (unsigned long long)m->hdr.agg[TSN_AGG_PKT_EVICTED]);
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
	char label[8];

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
	if ((int)strlen(buf) <= width || (!f->key.tuple.sport && !f->key.tuple.dport))
		return;
	dst = tsn_addr_str(f->key.tuple.daddr, dbuf, sizeof(dbuf));
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
	char buf[160], verdict[64], prio[16], ts[16], mark[16];
	int i, fl, skip, avail;

	if (!f || rows < 2)
		return;
	top_flow_str(f, buf, sizeof(buf));
	wattron(w, A_BOLD);
	put(w, y, 0, "path of %s from %s/%s: %s", buf, f->netns_name, f->val.ifname,
	    top_verdict_str(f, verdict, sizeof(verdict)));
	wattroff(w, A_BOLD);
	put(w, y + 1, 0, " # %-10s %-9s %-18s %4s %-5s %4s %3s %s", "NETNS", "DEVICE", "HOOK",
	    "PRIO", "TSTMP", "MARK", "QUE", "CHANGE");
	rows -= 2;
	y += 2;
	/* too many hops for the space: keep the first ones and the judged one */
	skip = f->nhops > rows ? f->nhops - rows : 0;
	avail = rows;
	for (i = 0; i < f->nhops && rows > 0; i++) {
		const struct top_hop *h = &f->hops[i];
		char change[96] = "";
		size_t off = 0;

		if (skip && i >= avail - 1 && i != f->judged)
			continue;
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
		rows--;
	}
}

/* ---- proxy pane ---- */

#define PROXY_ROWS 3

static void draw_proxy(WINDOW *w, int y, const struct top_model *m)
{
	static const int shown[] = { TSN_CNT_SAVED, TSN_CNT_RESTORED_PRIORITY,
				     TSN_CNT_RESTORED_TSTAMP, TSN_CNT_MISS,
				     TSN_CNT_FREED_UNRESTORED, TSN_CNT_EVICTED,
				     TSN_CNT_POLICY_DENIED, TSN_CNT_POLICY_CLAMPED };
	const struct top_proxy *p = &m->proxy;
	char buf[512];
	size_t off = 0, i;
	int k;

	wattron(w, A_BOLD);
	put(w, y, 0, "enforce mode  map %u/%u slots (%.0f%%)", p->map_used, p->map_capacity,
	    p->map_capacity ? 100.0 * p->map_used / p->map_capacity : 0.0);
	wattroff(w, A_BOLD);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]) && off < sizeof(buf); i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%s %.0f/s (%llu)  ",
				tsn_counter_names[shown[i]], p->rates[shown[i]],
				(unsigned long long)p->counters[shown[i]]);
	put(w, y + 1, 0, "%s", buf);
	off = snprintf(buf, sizeof(buf), "policy %s:", p->policy);
	if (!p->npolicy)
		snprintf(buf + off, sizeof(buf) - off, " (no netns registered)");
	for (k = 0; k < p->npolicy && off < sizeof(buf); k++)
		off += snprintf(buf + off, sizeof(buf) - off, " %s {%s} %s;",
				p->policy_rows[k].netns, p->policy_rows[k].priorities,
				p->policy_rows[k].on_disallowed);
	put(w, y + 2, 0, "%s", buf);
}

/* ---- help and status ---- */

static void draw_help(WINDOW *w)
{
	static const char *const lines[] = {
		"tsntop keys",
		"",
		"  Up/k, Down/j   select a flow",
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
	int width = 48, y0, x0, i;
	WINDOW *frame;

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
	int rows = getmaxy(w), y, table, detail, proxy;

	werase(w);
	top_view_clamp(v, m);
	if (rows < 8) {
		put(w, 0, 0, "tsntop: terminal too small (%dx%d)", getmaxx(w), rows);
		return;
	}
	draw_header(w, m);
	draw_tc_bars(w, 3, v, m);
	y = 4;
	proxy = m->proxy.running ? PROXY_ROWS : 0;
	detail = detail_rows(v, m);
	/* table: at least 3 rows + its title; the panes share the rest, detail first */
	table = rows - y - 1 - proxy - detail;
	if (table < 4) {
		if (proxy && rows - y - 1 - detail < 4 + proxy)
			proxy = 0;
		table = rows - y - 1 - proxy - detail;
		if (table < 4) {
			detail = rows - y - 1 - proxy - 4;
			if (detail < 3)
				detail = 0;
			table = rows - y - 1 - proxy - detail;
		}
	}
	draw_table(w, y, table, v, m);
	y += table;
	if (detail)
		draw_detail(w, y, detail, v, m);
	y += detail;
	if (proxy)
		draw_proxy(w, y, m);
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
	int y, n, err = 0;

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
	top_view_draw(stdscr, v, m);
	for (y = 0; y < rows; y++) {
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
