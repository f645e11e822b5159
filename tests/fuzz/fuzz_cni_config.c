// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the tsn CNI plugin's input parsing (proxy/cni/config.c): the network
 * configuration with its prevResult, runtimeConfig and GC attachment list, CNI_ARGS, and the
 * conflist editing of `tsn install` on whatever parses as a conflist. Built and run by
 * tests/fuzz/run.sh (clang -fsanitize=fuzzer,address).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void exercise_conf(const struct tsn_cni_conf *c)
{
	struct tsn_cni_error e;
	json_object *o;
	__u32 m;
	int i;

	tsn_cni_effective_priorities(c, c->priorities, true, &m, &e);
	tsn_cni_effective_priorities(c, 0, false, &m, &e);
	/* what ADD prints: prevResult as it came */
	if (c->prev_result)
		json_object_to_json_string_ext(c->prev_result, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);
	for (i = 0; i < c->nvalid; i++)
		if (strlen(c->valid[i].container_id) + strlen(c->valid[i].ifname) > (1U << 30))
			abort();
	for (i = 0; i < c->nic_count; i++)
		if (!tsn_cni_valid_ifname(c->nics[i]))
			abort();	/* the parser must never accept a bad NIC name */
	o = tsn_cni_version_json(c->version);
	json_object_put(o);
}

static void exercise_conflist(const char *text)
{
	json_object *list = json_tokener_parse(text), *plugin;
	char err[256];
	bool changed;
	int removed;

	if (!list)
		return;
	plugin = json_tokener_parse("{\"type\":\"tsn\",\"tsnIfname\":\"eth1\"}");
	if (!tsn_cni_conflist_insert(list, plugin, &changed, err, sizeof(err))) {
		/* inserting twice changes nothing; removing takes out every tsn entry */
		if (tsn_cni_conflist_insert(list, plugin, &changed, err, sizeof(err)) || changed)
			abort();
		if (tsn_cni_conflist_remove(list, &removed, err, sizeof(err)) || removed < 1)
			abort();
	}
	json_object_put(plugin);
	json_object_put(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsn_cni_conf c;
	struct tsn_cni_error e;
	json_object *o;
	char *text = malloc(size + 1);
	__u32 mask;
	bool set;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!tsn_cni_conf_parse(text, &c, &e)) {
		exercise_conf(&c);
		tsn_cni_conf_free(&c);
	} else {
		if (e.code <= 0 || !e.msg[0])
			abort();	/* every rejection has a code and a message */
		o = tsn_cni_error_json(NULL, &e);
		json_object_put(o);
	}
	tsn_cni_parse_args(text, &mask, &set, &e);
	exercise_conflist(text);
	free(text);
	return 0;
}
