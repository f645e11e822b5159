// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tsn CNI plugin's configuration parser (proxy/cni/config.c), without root; the Makefile
 * links that file into the unit tests, since the plugin's sources are not part of libtsnkit.
 */
#include <stdlib.h>
#include <string.h>

#include "../../proxy/cni/config.h"
#include "proxy.h"
#include "test.h"

#define BASE "\"cniVersion\":\"1.0.0\",\"type\":\"tsn\""
/* a valid start, for the cases about the fields after it */
#define E1 "{" BASE ",\"tsnIfname\":\"e\","

static int parse(const char *text, struct tsn_cni_conf *c, struct tsn_cni_error *e)
{
	int rc = tsn_cni_conf_parse(text, c, e);

	if (rc)
		printf("  (parse: code %d: %s)\n", rc, e->msg);
	return rc;
}

TEST(cni_defaults)
{
	struct tsn_cni_conf c;
	struct tsn_cni_error e;

	if (!ASSERT_OK(parse("{" BASE ",\"tsnIfname\":\"eth1\"}", &c, &e), "parse"))
		return;
	ASSERT_STREQ(c.version, "1.0.0", "version");
	ASSERT_EQ(c.nic_count, 1, "one nic");
	ASSERT_STREQ(c.nics[0], "eth1", "nic");
	ASSERT_EQ(c.priorities, 0xff, "default priorities 0..7");
	ASSERT_EQ(c.on_disallowed, TSN_POLICY_CLAMP, "clamp");
	ASSERT_EQ(c.restore, TSN_RESTORE_PRIORITY | TSN_RESTORE_TSTAMP, "restore default");
	ASSERT_STREQ(c.pin_dir, "/sys/fs/bpf/tsnkit", "pin dir");
	ASSERT_EQ(c.capacity, TSN_PROXY_DEFAULT_CAPACITY, "capacity");
	ASSERT_EQ(c.ttl_ms, TSN_PROXY_DEFAULT_TTL_MS, "ttl");
	ASSERT_TRUE(c.prev_result == NULL, "no prevResult");
	ASSERT_TRUE(c.log_file == NULL, "no log file");
	ASSERT_FALSE(c.has_narrow, "no narrowing");
	tsn_cni_conf_free(&c);
}

TEST(cni_all_fields)
{
	struct tsn_cni_conf c;
	struct tsn_cni_error e;
	const char *text =
		"{" BASE ",\"name\":\"n\",\"tsnIfname\":[\"eth1\",\"eth2\"],\"priorities\":[1,2,7],"
		"\"onDisallowed\":\"zero\",\"restore\":[\"priority\",\"mark\"],"
		"\"pinDir\":\"/sys/fs/bpf/x\",\"logFile\":\"/var/log/tsn.log\",\"capacity\":1024,"
		"\"ttlMs\":250,\"runtimeConfig\":{\"tsnPriorities\":[1,2]},"
		"\"args\":{\"cni\":{\"tsnPriorities\":\"2\"}},\"prevResult\":{\"ips\":[]},"
		"\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"}]}";

	if (!ASSERT_OK(parse(text, &c, &e), "parse"))
		return;
	ASSERT_STREQ(c.name, "n", "name");
	ASSERT_EQ(c.nic_count, 2, "two nics");
	ASSERT_STREQ(c.nics[1], "eth2", "second nic");
	ASSERT_EQ(c.priorities, 0x86, "priorities");
	ASSERT_EQ(c.on_disallowed, TSN_POLICY_ZERO, "zero");
	ASSERT_EQ(c.restore, TSN_RESTORE_PRIORITY | TSN_RESTORE_MARK, "restore");
	ASSERT_STREQ(c.pin_dir, "/sys/fs/bpf/x", "pin dir");
	ASSERT_STREQ(c.log_file, "/var/log/tsn.log", "log file");
	ASSERT_EQ(c.capacity, 1024, "capacity");
	ASSERT_EQ(c.ttl_ms, 250, "ttl");
	ASSERT_TRUE(c.has_narrow, "narrowed");
	ASSERT_EQ(c.narrow, 0x4, "runtimeConfig and args intersect");
	ASSERT_TRUE(c.prev_result != NULL, "prevResult");
	ASSERT_TRUE(c.has_valid, "valid attachments");
	ASSERT_EQ(c.nvalid, 1, "one attachment");
	ASSERT_STREQ(c.valid[0].container_id, "a", "attachment cid");
	tsn_cni_conf_free(&c);
}

TEST(cni_every_version)
{
	struct tsn_cni_conf c;
	struct tsn_cni_error e;
	char text[256];
	int i;

	for (i = 0; i < tsn_cni_nversions; i++) {
		snprintf(text, sizeof(text),
			 "{\"cniVersion\":\"%s\",\"type\":\"tsn\",\"tsnIfname\":\"e\"}",
			 tsn_cni_versions[i]);
		if (ASSERT_OK(parse(text, &c, &e), tsn_cni_versions[i]))
			tsn_cni_conf_free(&c);
	}
	ASSERT_EQ(tsn_cni_conf_parse("{\"cniVersion\":\"0.2.0\",\"type\":\"tsn\","
				     "\"tsnIfname\":\"e\"}",
				     &c, &e),
		  TSN_CNI_E_VERSION, "0.2.0 unsupported");
	ASSERT_EQ(tsn_cni_version_cmp("0.4.0", "1.0.0"), -1, "0.4.0 < 1.0.0");
	ASSERT_EQ(tsn_cni_version_cmp("1.1.0", "1.0.0"), 1, "1.1.0 > 1.0.0");
	ASSERT_EQ(tsn_cni_version_cmp("0.10.0", "0.4.0"), 1, "numeric, not lexicographic");
	ASSERT_EQ(tsn_cni_version_cmp("1.1.0", "1.1.0"), 0, "equal");
	ASSERT_EQ(tsn_cni_version_cmp("x", "0.1.0"), -1, "garbage is low");
}

/* every rejection: the expected code and a word of the message */
TEST(cni_rejections)
{
	static const struct {
		const char *text;
		int code;
		const char *word;
	} cases[] = {
		{ "", TSN_CNI_E_DECODE, "no network configuration" },
		{ " \n", TSN_CNI_E_DECODE, "no network configuration" },
		{ "{", TSN_CNI_E_DECODE, "not valid JSON" },
		{ "[]", TSN_CNI_E_DECODE, "is an array, not a JSON object" },
		{ "null", TSN_CNI_E_DECODE, "is null, not a JSON object" },
		{ "{} {}", TSN_CNI_E_DECODE, "not valid JSON" },
		{ "{\"type\":\"tsn\",\"tsnIfname\":\"e\"}", TSN_CNI_E_CONFIG, "cniVersion" },
		{ "{\"cniVersion\":1,\"type\":\"tsn\"}", TSN_CNI_E_CONFIG, "cniVersion" },
		{ "{\"cniVersion\":\"7.0.0\",\"type\":\"tsn\"}", TSN_CNI_E_VERSION,
		  "incompatible" },
		{ "{\"cniVersion\":\"1.0.0\"}", TSN_CNI_E_CONFIG, "type is missing" },
		{ "{\"cniVersion\":\"1.0.0\",\"type\":\"bridge\"}", TSN_CNI_E_CONFIG, "type must" },
		{ "{\"cniVersion\":\"1.0.0\",\"type\":7}", TSN_CNI_E_CONFIG, "type must" },
		{ "{" BASE "}", TSN_CNI_E_CONFIG, "tsnIfname" },
		{ "{" BASE ",\"name\":1,\"tsnIfname\":\"e\"}", TSN_CNI_E_CONFIG, "name" },
		{ "{" BASE ",\"tsnIfname\":1}", TSN_CNI_E_CONFIG, "string or a list" },
		{ "{" BASE ",\"tsnIfname\":[]}", TSN_CNI_E_CONFIG, "1..8" },
		{ "{" BASE ",\"tsnIfname\":[1]}", TSN_CNI_E_CONFIG, "string or a list" },
		{ "{" BASE ",\"tsnIfname\":\"\"}", TSN_CNI_E_CONFIG, "not a valid" },
		{ "{" BASE ",\"tsnIfname\":\"0123456789abcdef\"}", TSN_CNI_E_CONFIG,
		  "not a valid" },
		{ "{" BASE ",\"tsnIfname\":\"a:b\"}", TSN_CNI_E_CONFIG, "not a valid" },
		{ "{" BASE ",\"tsnIfname\":[\"a\",\"a\"]}", TSN_CNI_E_CONFIG, "twice" },
		{ "{" BASE ",\"tsnIfname\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\","
			   "\"9\"]}",
		  TSN_CNI_E_CONFIG, "1..8" },
		{ E1 "\"priorities\":[]}", TSN_CNI_E_CONFIG, "priorities" },
		{ E1 "\"priorities\":[32]}", TSN_CNI_E_CONFIG, "priorities" },
		{ E1 "\"priorities\":[-1]}", TSN_CNI_E_CONFIG, "priorities" },
		{ E1 "\"priorities\":[1.0]}", TSN_CNI_E_CONFIG, "priorities" },
		{ E1 "\"priorities\":\"1,,2\"}", TSN_CNI_E_CONFIG, "priorities" },
		{ E1 "\"onDisallowed\":1}", TSN_CNI_E_CONFIG, "onDisallowed" },
		{ E1 "\"restore\":[]}", TSN_CNI_E_CONFIG, "restore" },
		{ E1 "\"restore\":[\"x\"]}", TSN_CNI_E_CONFIG, "'x'" },
		{ E1 "\"restore\":[1]}", TSN_CNI_E_CONFIG, "restore" },
		{ E1 "\"pinDir\":\"x\"}", TSN_CNI_E_CONFIG, "absolute" },
		{ E1 "\"pinDir\":\"/a/..\"}", TSN_CNI_E_CONFIG, "absolute" },
		{ E1 "\"logFile\":3}", TSN_CNI_E_CONFIG, "logFile" },
		{ E1 "\"capacity\":0}", TSN_CNI_E_CONFIG, "out of range" },
		{ E1 "\"capacity\":4194305}", TSN_CNI_E_CONFIG, "range" },
		{ E1 "\"ttlMs\":\"5\"}", TSN_CNI_E_CONFIG, "integer" },
		{ E1 "\"ttlMs\":60001}", TSN_CNI_E_CONFIG, "range" },
		{ E1 "\"runtimeConfig\":[]}", TSN_CNI_E_CONFIG, "object" },
		{ E1 "\"runtimeConfig\":{\"tsnPriorities\":[]}}",
		  TSN_CNI_E_CONFIG, "tsnPriorities" },
		{ E1 "\"args\":1}", TSN_CNI_E_CONFIG, "args" },
		{ E1 "\"prevResult\":1}", TSN_CNI_E_DECODE, "prevResult" },
		{ E1 "\"cni.dev/valid-attachments\":[{}]}", TSN_CNI_E_CONFIG,
		  "valid-attachments" },
	};
	struct tsn_cni_conf c;
	struct tsn_cni_error e;
	unsigned int i;
	char name[320];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "case %u code", i);
		ASSERT_EQ(tsn_cni_conf_parse(cases[i].text, &c, &e), cases[i].code, name);
		snprintf(name, sizeof(name), "case %u msg '%s'", i, e.msg);
		ASSERT_TRUE(strstr(e.msg, cases[i].word) != NULL, name);
		ASSERT_TRUE(c.root == NULL, "nothing to free after a rejection");
	}
}

TEST(cni_null_prev_result_is_absent)
{
	struct tsn_cni_conf c;
	struct tsn_cni_error e;

	if (ASSERT_OK(parse(E1 "\"prevResult\":null}", &c, &e), "parse")) {
		ASSERT_TRUE(c.prev_result == NULL, "null prevResult");
		tsn_cni_conf_free(&c);
	}
}

TEST(cni_args_and_narrowing)
{
	struct tsn_cni_conf c = { .priorities = 0x0e };
	struct tsn_cni_error e;
	__u32 m = 0;
	bool set;

	ASSERT_OK(tsn_cni_parse_args(NULL, &m, &set, &e), "no CNI_ARGS");
	ASSERT_FALSE(set, "not set");
	ASSERT_OK(tsn_cni_parse_args("IgnoreUnknown=1;K8S_POD_NAME=x;TSN_PRIORITIES=2-3", &m, &set,
				     &e), "with other keys");
	ASSERT_TRUE(set, "set");
	ASSERT_EQ(m, 0x0c, "2-3");
	ASSERT_OK(tsn_cni_parse_args("TSN_PRIORITIES=1,2", &m, &set, &e), "alone");
	ASSERT_EQ(m, 0x06, "1,2");
	ASSERT_OK(tsn_cni_parse_args("TSN_PRIORITIES_X=9;XTSN_PRIORITIES=1", &m, &set, &e),
		  "similar keys are others'");
	ASSERT_FALSE(set, "similar keys ignored");
	ASSERT_EQ(tsn_cni_parse_args("TSN_PRIORITIES=", &m, &set, &e), TSN_CNI_E_ENV, "empty");
	ASSERT_EQ(tsn_cni_parse_args("TSN_PRIORITIES", &m, &set, &e), TSN_CNI_E_ENV, "no value");
	ASSERT_EQ(tsn_cni_parse_args("TSN_PRIORITIES=40", &m, &set, &e), TSN_CNI_E_ENV, "40");

	ASSERT_OK(tsn_cni_effective_priorities(&c, 0, false, &m, &e), "no narrowing");
	ASSERT_EQ(m, 0x0e, "network set");
	ASSERT_OK(tsn_cni_effective_priorities(&c, 0x04, true, &m, &e), "args shrink");
	ASSERT_EQ(m, 0x04, "shrunk");
	ASSERT_EQ(tsn_cni_effective_priorities(&c, 0x11, true, &m, &e), TSN_CNI_E_CONFIG,
		  "args may not widen");
	c.has_narrow = true;
	c.narrow = 0x06;
	ASSERT_OK(tsn_cni_effective_priorities(&c, 0, false, &m, &e), "runtimeConfig shrinks");
	ASSERT_EQ(m, 0x06, "runtimeConfig set");
	ASSERT_EQ(tsn_cni_effective_priorities(&c, 0x08, true, &m, &e), TSN_CNI_E_CONFIG,
		  "args beyond runtimeConfig");
	c.narrow = 0x30;
	ASSERT_EQ(tsn_cni_effective_priorities(&c, 0, false, &m, &e), TSN_CNI_E_CONFIG,
		  "runtimeConfig may not widen");
	ASSERT_TRUE(strstr(e.msg, "allows only 1,2,3") != NULL, "message names the set");
}

/* The pod's name as kubelet's runtimes (namespace and name) and podman (name alone) pass it. */
TEST(cni_args_pod_name)
{
	struct tsn_cni_error e;
	char ns[64], name[254], small[4];

	ASSERT_OK(tsn_cni_parse_pod("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=talker;"
				    "K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1",
				    ns, sizeof(ns), name, sizeof(name), &e), "kubelet's CNI_ARGS");
	ASSERT_STREQ(ns, "default", "namespace");
	ASSERT_STREQ(name, "talker", "name");
	ASSERT_OK(tsn_cni_parse_pod("IgnoreUnknown=1;K8S_POD_NAME=Tk_talk.1", ns, sizeof(ns), name,
				    sizeof(name), &e), "podman's CNI_ARGS");
	ASSERT_STREQ(ns, "", "podman: no namespace");
	ASSERT_STREQ(name, "Tk_talk.1", "podman: the container's name");
	ASSERT_OK(tsn_cni_parse_pod("K8S_POD_NAMESPACE=default", ns, sizeof(ns), name, sizeof(name),
				    &e), "namespace alone");
	ASSERT_STREQ(ns, "", "a namespace alone names no pod");
	ASSERT_STREQ(name, "", "no name");
	ASSERT_OK(tsn_cni_parse_pod(NULL, ns, sizeof(ns), name, sizeof(name), &e), "no CNI_ARGS");
	ASSERT_STREQ(name, "", "no CNI_ARGS: no name");
	ASSERT_EQ(tsn_cni_parse_pod("K8S_POD_NAMESPACE=a/b;K8S_POD_NAME=x", ns, sizeof(ns), name,
				    sizeof(name), &e), TSN_CNI_E_ENV, "slash in the namespace");
	ASSERT_EQ(tsn_cni_parse_pod("K8S_POD_NAME=", ns, sizeof(ns), name, sizeof(name), &e),
		  TSN_CNI_E_ENV, "empty name");
	ASSERT_EQ(tsn_cni_parse_pod("K8S_POD_NAME=-a", ns, sizeof(ns), name, sizeof(name), &e),
		  TSN_CNI_E_ENV, "leading dash");
	ASSERT_EQ(tsn_cni_parse_pod("K8S_POD_NAME=abcd", ns, sizeof(ns), small, sizeof(small), &e),
		  TSN_CNI_E_ENV, "longer than its buffer");
	ASSERT_EQ(tsn_cni_args_get("K8S_POD_NAMEX=a;K8S_POD_NAME=b", "K8S_POD_NAME", small,
				   sizeof(small)), 1, "a longer key is another key");
	ASSERT_STREQ(small, "b", "the key's own value");
	ASSERT_EQ(tsn_cni_args_get("A=1", "K8S_POD_NAME", small, sizeof(small)), 0, "absent");
}

TEST(cni_names)
{
	ASSERT_TRUE(tsn_cni_valid_container_id("abc-DEF_1.2"), "cid ok");
	ASSERT_FALSE(tsn_cni_valid_container_id(""), "empty cid");
	ASSERT_FALSE(tsn_cni_valid_container_id("a/b"), "slash");
	ASSERT_FALSE(tsn_cni_valid_container_id(".."), "dotdot");
	ASSERT_FALSE(tsn_cni_valid_container_id("a:b"), "colon (the record separator)");
	ASSERT_TRUE(tsn_cni_valid_ifname("eth0"), "eth0");
	ASSERT_TRUE(tsn_cni_valid_ifname("012345678901234"), "15 chars");
	ASSERT_FALSE(tsn_cni_valid_ifname("0123456789012345"), "16 chars");
	ASSERT_FALSE(tsn_cni_valid_ifname("a b"), "space");
	ASSERT_FALSE(tsn_cni_valid_ifname("."), "dot");
}

TEST(cni_error_and_version_json)
{
	struct tsn_cni_error e;
	json_object *o;

	tsn_cni_err(&e, 7, "detail", "bad %s", "thing");
	o = tsn_cni_error_json("0.4.0", &e);
	ASSERT_STREQ(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		     "{\"cniVersion\":\"0.4.0\",\"code\":7,\"msg\":\"bad thing\","
		     "\"details\":\"detail\"}", "error object");
	json_object_put(o);
	tsn_cni_err(&e, 4, NULL, "x");
	o = tsn_cni_error_json("9.9.9", &e);
	ASSERT_STREQ(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		     "{\"cniVersion\":\"1.1.0\",\"code\":4,\"msg\":\"x\"}",
		     "unsupported version answered in 1.1.0, no empty details");
	json_object_put(o);
	o = tsn_cni_version_json(NULL);
	ASSERT_STREQ(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		     "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\","
		     "\"0.4.0\",\"1.0.0\",\"1.1.0\"]}", "version object");
	json_object_put(o);
}

TEST(cni_conflist_edit)
{
	json_object *list = json_tokener_parse(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"bridge\"},"
		"{\"type\":\"portmap\"}]}");
	json_object *p1 = json_tokener_parse("{\"type\":\"tsn\",\"tsnIfname\":\"e\"}");
	json_object *p2 = json_tokener_parse("{\"type\":\"tsn\",\"tsnIfname\":\"f\"}");
	json_object *bad = json_tokener_parse("{\"type\":\"bridge\"}");
	json_object *empty = json_tokener_parse("{\"plugins\":[]}");
	json_object *plugins;
	bool changed;
	char err[128];
	int removed;

	ASSERT_OK(tsn_cni_conflist_insert(list, p1, &changed, err, sizeof(err)), "insert");
	ASSERT_TRUE(changed, "changed");
	plugins = json_object_object_get(list, "plugins");
	ASSERT_EQ(json_object_array_length(plugins), 3, "appended");
	ASSERT_OK(tsn_cni_conflist_insert(list, p1, &changed, err, sizeof(err)), "again");
	ASSERT_FALSE(changed, "idempotent");
	ASSERT_OK(tsn_cni_conflist_insert(list, p2, &changed, err, sizeof(err)), "update");
	ASSERT_TRUE(changed, "updated");
	ASSERT_EQ(json_object_array_length(plugins), 3, "replaced in place");
	ASSERT_TRUE(json_object_equal(json_object_array_get_idx(plugins, 2), p2), "new entry");
	ASSERT_ERR(tsn_cni_conflist_insert(list, bad, &changed, err, sizeof(err)), "not tsn");
	ASSERT_ERR(tsn_cni_conflist_insert(p1, p1, &changed, err, sizeof(err)), "not a list");
	ASSERT_ERR(tsn_cni_conflist_insert(empty, p1, &changed, err, sizeof(err)), "no primary");
	ASSERT_OK(tsn_cni_conflist_remove(list, &removed, err, sizeof(err)), "remove");
	ASSERT_EQ(removed, 1, "one removed");
	ASSERT_EQ(json_object_array_length(plugins), 2, "back to two");
	ASSERT_OK(tsn_cni_conflist_remove(list, &removed, err, sizeof(err)), "remove again");
	ASSERT_EQ(removed, 0, "nothing to remove");
	json_object_put(list);
	json_object_put(p1);
	json_object_put(p2);
	json_object_put(bad);
	json_object_put(empty);
}
