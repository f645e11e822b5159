// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration side of the tsn CNI plugin (see config.h). Every rejection names the field and
 * what was expected, since the message ends up in a kubelet event that an operator reads
 * without access to the node.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "proxy.h"

const char *const tsn_cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
const int tsn_cni_nversions = sizeof(tsn_cni_versions) / sizeof(tsn_cni_versions[0]);

int tsn_cni_err(struct tsn_cni_error *e, int code, const char *details, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->details, sizeof(e->details), "%s", details ? details : "");
	return code;
}

/* "a.b.c" -> three numbers; anything else fails. */
static int version_split(const char *v, long n[3])
{
	const char *p = v;
	char *end;
	int i;

	if (!v)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		n[i] = strtol(p, &end, 10);
		if (n[i] < 0 || n[i] > 9999)
			return -EINVAL;
		if (i < 2 && *end != '.')
			return -EINVAL;
		p = end + (i < 2);
	}
	return *end ? -EINVAL : 0;
}

int tsn_cni_version_cmp(const char *a, const char *b)
{
	long x[3], y[3];
	int ea = version_split(a, x), eb = version_split(b, y), i;

	if (ea || eb)
		return ea && eb ? 0 : (ea ? -1 : 1);
	for (i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

bool tsn_cni_version_supported(const char *v)
{
	int i;

	for (i = 0; v && i < tsn_cni_nversions; i++)
		if (!strcmp(v, tsn_cni_versions[i]))
			return true;
	return false;
}

bool tsn_cni_valid_container_id(const char *s)
{
	size_t n;

	if (!s || !*s)
		return false;
	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("_-.", s[n]))
			return false;
	/* it names a state file: no "." or "..", and a bound */
	return n <= TSN_CNI_MAX_CONTAINER_ID && strcmp(s, ".") && strcmp(s, "..");
}

bool tsn_cni_valid_ifname(const char *s)
{
	size_t n;

	/* the kernel's dev_valid_name(), which CNI_IFNAME must satisfy too */
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (n = 0; s[n]; n++)
		if (s[n] == '/' || s[n] == ':' || isspace((unsigned char)s[n]))
			return false;
	return n < 16;
}

int tsn_cni_parse_priorities(json_object *v, __u32 *mask)
{
	size_t i, n;

	*mask = 0;
	if (json_object_is_type(v, json_type_string))
		return tsn_parse_priorities(json_object_get_string(v), mask);
	if (!json_object_is_type(v, json_type_array))
		return -EINVAL;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(v, i);
		int64_t x;

		if (!json_object_is_type(p, json_type_int))
			return -EINVAL;
		x = json_object_get_int64(p);
		if (x < 0 || x > 31)
			return -EINVAL;
		*mask |= 1U << x;
	}
	return *mask ? 0 : -EINVAL;
}

static int parse_nics(json_object *v, struct tsn_cni_conf *c, struct tsn_cni_error *e)
{
	bool list = json_object_is_type(v, json_type_array);
	size_t i, n = 1;
	int j;

	if (list) {
		n = json_object_array_length(v);
		if (n < 1 || n > TSN_MAX_NICS)
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "tsnIfname: give 1..%d interface names, not %zu",
					   TSN_MAX_NICS, n);
	} else if (!json_object_is_type(v, json_type_string)) {
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
				   "tsnIfname must be a string or a list of strings");
	}
	for (i = 0; i < n; i++) {
		json_object *one = list ? json_object_array_get_idx(v, i) : v;
		const char *s;

		if (!json_object_is_type(one, json_type_string))
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "tsnIfname must be a string or a list of strings");
		s = json_object_get_string(one);
		if (!tsn_cni_valid_ifname(s))
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "tsnIfname: '%.64s' is not a valid interface name", s);
		for (j = 0; j < c->nic_count; j++)
			if (!strcmp(c->nics[j], s))
				return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
						   "tsnIfname: '%s' is given twice", s);
		c->nics[c->nic_count++] = s;
	}
	return 0;
}

static int parse_restore(json_object *v, __u32 *flags, struct tsn_cni_error *e)
{
	char choices[64];
	size_t i, n;
	__u32 bit;

	*flags = 0;
	if (!json_object_is_type(v, json_type_array) || !json_object_array_length(v))
		goto bad;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(v, i);
		const char *name = json_object_get_string(s);

		if (!json_object_is_type(s, json_type_string))
			goto bad;
		if (tsn_name_parse(tsn_restore_names, name, &bit)) {
			tsn_name_choices(tsn_restore_names, choices, sizeof(choices));
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "restore: unknown field '%.64s' (%s)", name, choices);
		}
		*flags |= bit;
	}
	return 0;
bad:
	tsn_name_choices(tsn_restore_names, choices, sizeof(choices));
	return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "restore must be a non-empty list of %s",
			   choices);
}

static int parse_u32_range(json_object *v, const char *key, __u32 lo, __u32 hi, __u32 *out,
			   struct tsn_cni_error *e)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "%s must be an integer", key);
	x = json_object_get_int64(v);
	if (x < lo || x > hi)
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "%s: %lld is out of range (%u..%u)",
				   key, (long long)x, lo, hi);
	*out = x;
	return 0;
}

/* An absolute path that names no parent directory: it is used to build other paths. */
static int parse_path(json_object *v, const char *key, const char **out, struct tsn_cni_error *e)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "%s must be a string", key);
	s = json_object_get_string(v);
	if (s[0] != '/' || strstr(s, "/../") || strlen(s) > PATH_MAX / 4 ||
	    (strlen(s) >= 3 && !strcmp(s + strlen(s) - 3, "/..")))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
				   "%s: '%.64s' must be an absolute path without '..'", key, s);
	*out = s;
	return 0;
}

/* A string that names one of t's values ("saveHook", "onDisallowed"). */
static int parse_choice(json_object *v, const char *key, const struct tsn_name *t, __u32 *out,
			struct tsn_cni_error *e)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	char choices[64];

	if (!tsn_name_parse(t, s, out))
		return 0;
	tsn_name_choices(t, choices, sizeof(choices));
	return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "%s must be %s", key, choices);
}

/* runtimeConfig.tsnPriorities or args.cni.tsnPriorities: per-pod narrowing */
static int parse_narrow(json_object *holder, const char *where, struct tsn_cni_conf *c,
			struct tsn_cni_error *e)
{
	json_object *v;
	__u32 m;

	if (!json_object_is_type(holder, json_type_object))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "%s must be an object", where);
	if (!json_object_object_get_ex(holder, TSN_CNI_RUNTIME_KEY, &v))
		return 0;
	if (tsn_cni_parse_priorities(v, &m))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
				   "%s." TSN_CNI_RUNTIME_KEY
				   " must be a non-empty list of priorities 0..31 or \"1,2,5-7\"",
				   where);
	c->narrow = c->has_narrow ? c->narrow & m : m;
	c->has_narrow = true;
	return 0;
}

static int parse_valid_attachments(json_object *v, struct tsn_cni_conf *c,
				   struct tsn_cni_error *e)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array))
		goto bad;
	n = json_object_array_length(v);
	c->valid = calloc(n ? n : 1, sizeof(*c->valid));
	if (!c->valid)
		return tsn_cni_err(e, TSN_CNI_E_IO, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(v, i), *cid, *ifn;

		if (!json_object_is_type(a, json_type_object) ||
		    !json_object_object_get_ex(a, "containerID", &cid) ||
		    !json_object_object_get_ex(a, "ifname", &ifn) ||
		    !json_object_is_type(cid, json_type_string) ||
		    !json_object_is_type(ifn, json_type_string))
			goto bad;
		c->valid[i].container_id = json_object_get_string(cid);
		c->valid[i].ifname = json_object_get_string(ifn);
	}
	c->nvalid = n;
	c->has_valid = true;
	return 0;
bad:
	return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
			   "cni.dev/valid-attachments must be a list of {containerID, ifname}");
}

static int parse_fields(struct tsn_cni_conf *c, struct tsn_cni_error *e)
{
	json_object *r = c->root, *v;
	int rc;

	if (!json_object_object_get_ex(r, "cniVersion", &v))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "cniVersion is missing");
	if (!json_object_is_type(v, json_type_string))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "cniVersion must be a string");
	if (!tsn_cni_version_supported(json_object_get_string(v)))
		return tsn_cni_err(e, TSN_CNI_E_VERSION, "supported: 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0",
				   "incompatible CNI version %.32s", json_object_get_string(v));
	c->version = json_object_get_string(v);

	if (!json_object_object_get_ex(r, "type", &v))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "type is missing");
	if (!json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "tsn"))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
				   "type must be \"tsn\" for this plugin");
	if (json_object_object_get_ex(r, "name", &v)) {
		if (!json_object_is_type(v, json_type_string) || !json_object_get_string_len(v))
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "name must be a non-empty string");
		c->name = json_object_get_string(v);
	}

	if (!json_object_object_get_ex(r, "tsnIfname", &v))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
				   "tsnIfname (the TSN NIC on the node) is missing");
	rc = parse_nics(v, c, e);
	if (rc)
		return rc;

	c->priorities = TSN_CNI_DEFAULT_PRIORITIES;
	if (json_object_object_get_ex(r, "priorities", &v) &&
	    tsn_cni_parse_priorities(v, &c->priorities))
		return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
				   "priorities must be a non-empty list of integers 0..31");

	c->on_disallowed = TSN_POLICY_CLAMP;
	if (json_object_object_get_ex(r, "onDisallowed", &v)) {
		__u32 action;

		rc = parse_choice(v, "onDisallowed", tsn_on_disallowed_names, &action, e);
		if (rc)
			return rc;
		c->on_disallowed = action;
	}

	c->restore = TSN_RESTORE_PRIORITY | TSN_RESTORE_TSTAMP;
	if (json_object_object_get_ex(r, "restore", &v)) {
		rc = parse_restore(v, &c->restore, e);
		if (rc)
			return rc;
	}

	c->pin_dir = TSN_CNI_DEFAULT_PIN_DIR;
	if (json_object_object_get_ex(r, "pinDir", &v)) {
		rc = parse_path(v, "pinDir", &c->pin_dir, e);
		if (rc)
			return rc;
	}
	if (json_object_object_get_ex(r, "logFile", &v)) {
		rc = parse_path(v, "logFile", &c->log_file, e);
		if (rc)
			return rc;
	}
	if (json_object_object_get_ex(r, "stateDir", &v)) {
		rc = parse_path(v, "stateDir", &c->state_dir, e);
		if (rc)
			return rc;
	}
	c->capacity = TSN_PROXY_DEFAULT_CAPACITY;
	if (json_object_object_get_ex(r, "capacity", &v)) {
		rc = parse_u32_range(v, "capacity", 1, 1U << 22, &c->capacity, e);
		if (rc)
			return rc;
	}
	c->ttl_ms = TSN_PROXY_DEFAULT_TTL_MS;
	if (json_object_object_get_ex(r, "ttlMs", &v)) {
		rc = parse_u32_range(v, "ttlMs", 1, 60000, &c->ttl_ms, e);
		if (rc)
			return rc;
	}
	c->save_hook = TSN_SAVE_AUTO;
	if (json_object_object_get_ex(r, "saveHook", &v)) {
		/* where enforce mode saves the pod's metadata (docs/enforce.md) */
		rc = parse_choice(v, "saveHook", tsn_save_hook_names, &c->save_hook, e);
		if (rc)
			return rc;
	}

	if (json_object_object_get_ex(r, "runtimeConfig", &v)) {
		rc = parse_narrow(v, "runtimeConfig", c, e);
		if (rc)
			return rc;
	}
	if (json_object_object_get_ex(r, "args", &v)) {
		json_object *cni;

		if (!json_object_is_type(v, json_type_object))
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL, "args must be an object");
		if (json_object_object_get_ex(v, "cni", &cni)) {
			rc = parse_narrow(cni, "args.cni", c, e);
			if (rc)
				return rc;
		}
	}

	if (json_object_object_get_ex(r, "prevResult", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object))
			return tsn_cni_err(e, TSN_CNI_E_DECODE, NULL,
					   "prevResult must be an object (a CNI result)");
		c->prev_result = v;
	}
	if (json_object_object_get_ex(r, "cni.dev/valid-attachments", &v)) {
		rc = parse_valid_attachments(v, c, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* What a JSON value is, in words, for errors. */
static const struct {
	json_type type;
	const char *name;
} json_value_kinds[] = {
	{ json_type_null, "null" },
	{ json_type_boolean, "a boolean" },
	{ json_type_double, "a number" },
	{ json_type_int, "a number" },
	{ json_type_array, "an array" },
	{ json_type_string, "a string" },
};

static const char *json_value_kind(json_type t)
{
	size_t i;

	for (i = 0; i < sizeof(json_value_kinds) / sizeof(json_value_kinds[0]); i++)
		if (json_value_kinds[i].type == t)
			return json_value_kinds[i].name;
	return "not an object";
}

int tsn_cni_conf_parse(const char *text, struct tsn_cni_conf *c, struct tsn_cni_error *e)
{
	char err[256];
	int rc;

	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	if (!text || !text[strspn(text, " \t\r\n")])
		return tsn_cni_err(e, TSN_CNI_E_DECODE, NULL,
				   "no network configuration on stdin");
	if (tsn_json_parse(text, &c->root, err, sizeof(err)))
		return tsn_cni_err(e, TSN_CNI_E_DECODE, err,
				   "network configuration on stdin is not valid JSON");
	if (!json_object_is_type(c->root, json_type_object)) {
		/* valid JSON, but not a configuration: say what it is */
		const char *what = json_value_kind(json_object_get_type(c->root));

		tsn_cni_conf_free(c);
		return tsn_cni_err(e, TSN_CNI_E_DECODE, NULL,
				   "network configuration on stdin is %s, not a JSON object", what);
	}
	rc = parse_fields(c, e);
	if (rc)
		tsn_cni_conf_free(c);
	return rc;
}

void tsn_cni_conf_free(struct tsn_cni_conf *c)
{
	free(c->valid);
	json_object_put(c->root);
	memset(c, 0, sizeof(*c));
}

int tsn_cni_args_get(const char *cni_args, const char *key, char *buf, size_t len)
{
	const size_t klen = strlen(key);
	const char *p = cni_args;

	/* "K=V;K=V": other keys (IgnoreUnknown, ...) belong to other plugins */
	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p), vlen;

		if (n >= klen && !strncmp(p, key, klen) && (n == klen || p[klen] == '=')) {
			vlen = n > klen ? n - klen - 1 : 0;
			if (vlen >= len)
				return -E2BIG;
			memcpy(buf, p + n - vlen, vlen);
			buf[vlen] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int tsn_cni_parse_args(const char *cni_args, __u32 *mask, bool *set, struct tsn_cni_error *e)
{
	char val[128];
	int rc = tsn_cni_args_get(cni_args, TSN_CNI_ARGS_KEY, val, sizeof(val));

	*set = false;
	*mask = 0;
	if (!rc)
		return 0;
	if (rc < 0 || tsn_parse_priorities(val, mask))
		return tsn_cni_err(e, TSN_CNI_E_ENV, NULL,
				   "CNI_ARGS: " TSN_CNI_ARGS_KEY " takes priorities like 1,2 or 0-3");
	*set = true;
	return 0;
}

/*
 * A pod or namespace name as runtimes give it: Kubernetes' RFC 1123 names (a-z, 0-9, '-', '.'),
 * podman's container names (also A-Z and '_'). Never '/', which separates NS/NAME.
 */
static bool pod_name_valid(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)s[0]))
		return false;
	for (i = 1; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
			return false;
	return true;
}

int tsn_cni_parse_pod(const char *cni_args, char *ns, size_t nslen, char *name, size_t namelen,
		      struct tsn_cni_error *e)
{
	int rn = tsn_cni_args_get(cni_args, TSN_CNI_POD_NS_KEY, ns, nslen);
	int rp = tsn_cni_args_get(cni_args, TSN_CNI_POD_NAME_KEY, name, namelen);

	if (rn < 0 || (rn > 0 && !pod_name_valid(ns)))
		return tsn_cni_err(e, TSN_CNI_E_ENV, NULL,
				   "CNI_ARGS: " TSN_CNI_POD_NS_KEY " is not a namespace name (1 to "
				   "%zu of a-z, A-Z, 0-9, '-', '.', '_')",
				   nslen - 1);
	if (rp < 0 || (rp > 0 && !pod_name_valid(name)))
		return tsn_cni_err(e, TSN_CNI_E_ENV, NULL,
				   "CNI_ARGS: " TSN_CNI_POD_NAME_KEY " is not a pod name (1 to %zu "
				   "of a-z, A-Z, 0-9, '-', '.', '_')",
				   namelen - 1);
	/* podman names the container alone; a namespace without a name names no pod */
	if (rn <= 0 || rp <= 0)
		ns[0] = '\0';
	if (rp <= 0)
		name[0] = '\0';
	return 0;
}

int tsn_cni_effective_priorities(const struct tsn_cni_conf *c, __u32 args_mask, bool args_set,
				 __u32 *out, struct tsn_cni_error *e)
{
	char have[128], want[128];
	__u32 m = c->priorities;

	if (c->has_narrow) {
		if (c->narrow & ~m) {
			tsn_format_priorities(m, have, sizeof(have));
			tsn_format_priorities(c->narrow, want, sizeof(want));
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "runtimeConfig asks for priorities %s, but the network "
					   "allows only %s",
					   want, have);
		}
		m = c->narrow;
	}
	if (args_set) {
		if (args_mask & ~m) {
			tsn_format_priorities(m, have, sizeof(have));
			tsn_format_priorities(args_mask, want, sizeof(want));
			return tsn_cni_err(e, TSN_CNI_E_CONFIG, NULL,
					   "CNI_ARGS " TSN_CNI_ARGS_KEY
					   "=%s asks for more than the allowed %s",
					   want, have);
		}
		m = args_mask;
	}
	*out = m;
	return 0;
}

json_object *tsn_cni_error_json(const char *version, const struct tsn_cni_error *e)
{
	json_object *o = json_object_new_object();

	if (!tsn_cni_version_supported(version))
		version = TSN_CNI_SPEC_VERSION;
	tsn_json_add_str(o, "cniVersion", version);
	json_object_object_add(o, "code", json_object_new_int(e->code));
	tsn_json_add_str(o, "msg", e->msg);
	if (e->details[0])
		tsn_json_add_str(o, "details", e->details);
	return o;
}

json_object *tsn_cni_version_json(const char *version)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	int i;

	if (!tsn_cni_version_supported(version))
		version = TSN_CNI_SPEC_VERSION;
	tsn_json_add_str(o, "cniVersion", version);
	for (i = 0; i < tsn_cni_nversions; i++)
		json_object_array_add(a, json_object_new_string(tsn_cni_versions[i]));
	json_object_object_add(o, "supportedVersions", a);
	return o;
}

static bool is_tsn_plugin(json_object *p)
{
	json_object *t;

	return json_object_is_type(p, json_type_object) &&
	       json_object_object_get_ex(p, "type", &t) &&
	       json_object_is_type(t, json_type_string) &&
	       !strcmp(json_object_get_string(t), "tsn");
}

static json_object *plugins_of(json_object *list, char *err, size_t errlen)
{
	json_object *plugins;

	if (!json_object_is_type(list, json_type_object) ||
	    !json_object_object_get_ex(list, "plugins", &plugins) ||
	    !json_object_is_type(plugins, json_type_array)) {
		snprintf(err, errlen, "not a conflist (no \"plugins\" list)");
		return NULL;
	}
	return plugins;
}

int tsn_cni_conflist_insert(json_object *list, json_object *plugin, bool *changed, char *err,
			    size_t errlen)
{
	json_object *plugins = plugins_of(list, err, errlen);
	size_t i, n;

	*changed = false;
	if (!plugins)
		return -EINVAL;
	if (!is_tsn_plugin(plugin)) {
		snprintf(err, errlen, "the plugin to insert is not {\"type\": \"tsn\", ...}");
		return -EINVAL;
	}
	n = json_object_array_length(plugins);
	if (!n) {
		/* tsn only chains: without a primary plugin there is no pod interface */
		snprintf(err, errlen, "the conflist has no plugins to chain after");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(plugins, i);

		if (!is_tsn_plugin(p))
			continue;
		if (json_object_equal(p, plugin))
			return 0;
		/* updated settings replace the entry where it is: other plugins keep order */
		json_object_array_put_idx(plugins, i, json_object_get(plugin));
		*changed = true;
		return 0;
	}
	json_object_array_add(plugins, json_object_get(plugin));
	*changed = true;
	return 0;
}

int tsn_cni_conflist_remove(json_object *list, int *removed, char *err, size_t errlen)
{
	json_object *plugins = plugins_of(list, err, errlen);
	size_t i;

	*removed = 0;
	if (!plugins)
		return -EINVAL;
	for (i = json_object_array_length(plugins); i > 0; i--) {
		if (is_tsn_plugin(json_object_array_get_idx(plugins, i - 1))) {
			json_object_array_del_idx(plugins, i - 1, 1);
			(*removed)++;
		}
	}
	return 0;
}
