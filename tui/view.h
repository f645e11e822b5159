/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tsntop's view: draws a model into a curses WINDOW of any size (80x24 and up; smaller ones get
 * what fits). No BPF and no sampling here: the unit tests draw synthetic models headless.
 * Everything the colours say is also in the text (verdict words, "!" on changed values).
 */
#ifndef TSNTOP_VIEW_H
#define TSNTOP_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include <curses.h>

#include "model.h"

struct top_view {
	int selected;			/* index into the model's visible flows */
	int first;			/* first visible row shown (scrolling) */
	bool detail;			/* detail pane of the selected flow */
	bool help;
	bool filter_edit;		/* the status line is a filter prompt */
	char filter_buf[TOP_FILTER_LEN];
	bool color;
	bool frame;			/* a text frame (--once): no key hints, no empty rows */
	bool sel_valid;			/* sel_key is the selected flow's */
	struct tsn_agg_flow_key sel_key;
};

/* Colours when the terminal has them (call after initscr/newterm). */
void top_view_init(struct top_view *v);

/* Clamp the selection to the model's visible flows, and remember which flow it is on. */
void top_view_clamp(struct top_view *v, const struct top_model *m);

/*
 * After the model's flow list changed (a sample, sort, filter): move the selection to the row
 * of the flow it was on, if that flow is still shown.
 */
void top_view_follow(struct top_view *v, const struct top_model *m);

/* Erase w and draw the whole screen; the caller refreshes. */
void top_view_draw(WINDOW *w, struct top_view *v, const struct top_model *m);

/* The frame sizes top_view_render_text draws: smaller cannot hold the table, larger is a mistake. */
#define TOP_TEXT_MIN_ROWS 10
#define TOP_TEXT_MAX_ROWS 1000
#define TOP_TEXT_MIN_COLS 40
#define TOP_TEXT_MAX_COLS 1023

/*
 * Draw the model as a text frame (v->frame: no key hints, no empty table rows) on a headless
 * rows x cols screen (a terminal on /dev/null) and write it to out as text lines without
 * trailing blanks or trailing empty lines: --once, and what the tests read. rows and cols
 * within the TOP_TEXT_* bounds; 0 or -errno (-EINVAL outside them).
 */
int top_view_render_text(struct top_view *v, const struct top_model *m, int rows, int cols,
			 FILE *out);

#endif /* TSNTOP_VIEW_H */
