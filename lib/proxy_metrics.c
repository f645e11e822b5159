// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforce-mode metrics: the status object (proxy_status.c) as OpenMetrics text. Rendered from
 * that object and nothing else, so a scrape and `tsnproxy status --json` taken together agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define PREFIX "tsnproxy_"

/* A label value with OpenMetrics' escapes: backslash, double quote, newline. */
static void put_label(FILE *f, const char *key, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fprintf(f, "\\%c", *val);
		else if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE " PREFIX "%s %s\n# HELP " PREFIX "%s %s\n", name, type, name, help);
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static __u64 u64_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

/* 1, 0, or -1 when the key is absent or null (not known) */
static int bool_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return -1;
	return json_object_get_boolean(v);
}

/* One sample of a per-pod gauge: labels netns_inode, and netns, pod, ifname when known. */
static void pod_sample(FILE *f, const char *name, json_object *pol, int value)
{
	const char *keys[] = { "netns", "pod", "ifname" };
	char ino[24];
	size_t i;

	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)u64_of(pol, "netns_inode"));
	fprintf(f, PREFIX "%s{", name);
	put_label(f, "netns_inode", ino, true);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (str_of(pol, keys[i]))
			put_label(f, keys[i], str_of(pol, keys[i]), false);
	fprintf(f, "} %d\n", value);
}

void tsn_proxy_metrics_print(FILE *f, json_object *status)
{
	json_object *cnt, *map, *nics, *pols, *cfg;
	size_t i, n;

	family(f, "up", "gauge", "enforce mode is loaded and its pinned state complete");
	fprintf(f, PREFIX "up %d\n", status ? 1 : 0);
	if (!status)
		goto out;

	if (json_object_object_get_ex(status, "config", &cfg)) {
		family(f, "config", "info", "enforce mode's configuration");
		fprintf(f, PREFIX "config_info{");
		put_label(f, "pin_dir", str_of(status, "pin_dir") ?: "", true);
		put_label(f, "policy", str_of(cfg, "policy") ?: "", false);
		put_label(f, "save_hook", str_of(cfg, "save_hook") ?: "", false);
		fprintf(f, "} 1\n");
	}

	/* the datapath's counters, each its own family: they count different things */
	if (json_object_object_get_ex(status, "counters", &cnt)) {
		json_object_object_foreach(cnt, key, val)
		{
			char help[128];

			snprintf(help, sizeof(help), "datapath counter %s (docs/enforce.md)", key);
			family(f, key, "counter", help);
			fprintf(f, PREFIX "%s_total %llu\n", key,
				(unsigned long long)json_object_get_uint64(val));
		}
	}

	if (json_object_object_get_ex(status, "map", &map)) {
		family(f, "track_capacity", "gauge", "slots of the tracking table");
		fprintf(f, PREFIX "track_capacity %llu\n",
			(unsigned long long)u64_of(map, "capacity"));
		family(f, "track_used", "gauge", "slots holding a saved entry within its TTL");
		fprintf(f, PREFIX "track_used %llu\n", (unsigned long long)u64_of(map, "used"));
	}

	if (json_object_object_get_ex(status, "nics", &nics)) {
		family(f, "nic_attached", "gauge",
		       "the restore program is attached to the NIC (1), or not (0)");
		n = json_object_array_length(nics);
		for (i = 0; i < n; i++) {
			json_object *nic = json_object_array_get_idx(nics, i);
			int att = bool_of(nic, "attached");
			char idx[24];

			if (att < 0)	/* the NIC's netns cannot be reached from here */
				continue;
			snprintf(idx, sizeof(idx), "%llu",
				 (unsigned long long)u64_of(nic, "ifindex"));
			fprintf(f, PREFIX "nic_attached{");
			put_label(f, "nic", str_of(nic, "ifname") ?: "", true);
			put_label(f, "ifindex", idx, false);
			put_label(f, "hook", str_of(nic, "hook") ?: "", false);
			fprintf(f, "} %d\n", att);
		}
	}

	if (json_object_object_get_ex(status, "policy", &pols)) {
		n = json_object_array_length(pols);
		family(f, "pods", "gauge", "registered pod netns");
		fprintf(f, PREFIX "pods %zu\n", n);
		family(f, "pod_alive", "gauge", "the registered netns still exists (1) or is gone (0)");
		for (i = 0; i < n; i++)
			pod_sample(f, "pod_alive", json_object_array_get_idx(pols, i),
				   bool_of(json_object_array_get_idx(pols, i), "alive") > 0);
		family(f, "pod_attached", "gauge",
		       "the pod's save program is attached to its interface (1), or not (0)");
		for (i = 0; i < n; i++)
			pod_sample(f, "pod_attached", json_object_array_get_idx(pols, i),
				   bool_of(json_object_array_get_idx(pols, i), "attached") > 0);
	}
out:
	fputs("# EOF\n", f);
}

char *tsn_proxy_metrics(const char *pin_dir, size_t *len)
{
	char err[TSN_ERRLEN], *buf = NULL;
	json_object *st = NULL;
	FILE *f;

	*len = 0;
	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	/* not running, or its state incomplete: up 0, which a scraper alerts on */
	if (tsn_proxy_status(pin_dir, &st, err, sizeof(err)))
		st = NULL;
	tsn_proxy_metrics_print(f, st);
	json_object_put(st);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
