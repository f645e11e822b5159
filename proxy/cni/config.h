/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tsn CNI plugin's pure part: parsing and validating the network configuration (with its
 * prevResult, runtimeConfig and GC attachment list), CNI_ARGS, versions, error objects, and
 * editing conflists for `tsn install`. Nothing here touches the system, so it is unit-tested
 * without root (tests/unit/test_cni.c) and fuzzed (tests/fuzz/).
 *
 * Reference: the CNI specification 1.1.0.
 */
#ifndef TSN_CNI_CONFIG_H
#define TSN_CNI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <json-c/json.h>

#include "tsnkit.h"

#define TSN_CNI_SPEC_VERSION "1.1.0"
#define TSN_CNI_DEFAULT_PIN_DIR "/sys/fs/bpf/tsnkit"
#define TSN_CNI_DEFAULT_PRIORITIES 0xffu	/* 0..7 */
/* CNI_ARGS key and runtimeConfig/args capability that narrow the priorities of one pod */
#define TSN_CNI_ARGS_KEY "TSN_PRIORITIES"
#define TSN_CNI_RUNTIME_KEY "tsnPriorities"
/* CNI_ARGS keys of the pod's namespace and name (kubelet's runtimes: both; podman: the name) */
#define TSN_CNI_POD_NS_KEY "K8S_POD_NAMESPACE"
#define TSN_CNI_POD_NAME_KEY "K8S_POD_NAME"

/* Error codes: 1..99 are the specification's, 100+ are this plugin's (docs/cni.md). */
enum tsn_cni_code {
	TSN_CNI_E_VERSION = 1,		/* incompatible CNI version */
	TSN_CNI_E_UNSUPPORTED = 2,	/* unsupported field in network config */
	TSN_CNI_E_NO_CONTAINER = 3,	/* container unknown or does not exist */
	TSN_CNI_E_ENV = 4,		/* invalid necessary environment variables */
	TSN_CNI_E_IO = 5,		/* I/O failure */
	TSN_CNI_E_DECODE = 6,		/* failed to decode content */
	TSN_CNI_E_CONFIG = 7,		/* invalid network config */
	TSN_CNI_E_RETRY = 11,		/* try again later */
	TSN_CNI_E_UNAVAILABLE = 50,	/* STATUS: plugin not available */
	TSN_CNI_E_DATAPATH = 100,	/* loading or attaching the datapath failed */
	TSN_CNI_E_NIC = 101,		/* a tsnIfname NIC does not exist */
	TSN_CNI_E_CONFLICT = 102,	/* pinDir holds a datapath with other settings */
	TSN_CNI_E_REGISTER = 103,	/* registering the pod failed */
	TSN_CNI_E_NOT_REGISTERED = 104,	/* CHECK: no or another registration */
	TSN_CNI_E_NOT_ATTACHED = 105,	/* CHECK: datapath missing or not attached to a NIC */
	TSN_CNI_E_STATE = 106,		/* the plugin's state record failed */
};

struct tsn_cni_error {
	int code;
	char msg[256];
	char details[512];
};

struct tsn_cni_attachment {
	const char *container_id;
	const char *ifname;
};

struct tsn_cni_conf {
	json_object *root;		/* owns every string and object below */
	const char *version;		/* cniVersion, one of tsn_cni_versions */
	const char *name;		/* network name, NULL if absent */
	const char *nics[TSN_MAX_NICS];
	int nic_count;
	__u32 priorities;		/* mask of the network */
	__u32 narrow;			/* runtimeConfig/args narrowing, valid if has_narrow */
	bool has_narrow;
	__u8 on_disallowed;		/* enum tsn_on_disallowed */
	__u32 restore;			/* enum tsn_restore_flags */
	__u32 capacity;
	__u32 ttl_ms;
	__u32 save_hook;		/* enum tsn_save_hook: "saveHook" */
	const char *pin_dir;
	const char *log_file;		/* NULL: stderr */
	const char *state_dir;		/* NULL: derived from pin_dir */
	json_object *prev_result;	/* borrowed from root, NULL if absent */
	struct tsn_cni_attachment *valid;	/* GC: cni.dev/valid-attachments */
	int nvalid;
	bool has_valid;
};

extern const char *const tsn_cni_versions[];
extern const int tsn_cni_nversions;

/* -1, 0, 1 like strcmp for dotted versions ("0.4.0" < "1.0.0"); unparsable compares low. */
int tsn_cni_version_cmp(const char *a, const char *b);
bool tsn_cni_version_supported(const char *v);

/* Longest CNI_CONTAINERID: it names a state file, with ":<ifname>" after it. */
#define TSN_CNI_MAX_CONTAINER_ID 199

/* Spec rules for CNI_CONTAINERID (alnum, '_', '-', '.') and interface names. */
bool tsn_cni_valid_container_id(const char *s);
bool tsn_cni_valid_ifname(const char *s);

/*
 * Parse a plugin configuration from stdin. 0, or the CNI error code (also in e->code) with a
 * message. On success free with tsn_cni_conf_free; on failure nothing needs freeing.
 */
int tsn_cni_conf_parse(const char *text, struct tsn_cni_conf *c, struct tsn_cni_error *e);
void tsn_cni_conf_free(struct tsn_cni_conf *c);

/* Priorities from a JSON array of 0..31 or a "1,2,5-7" string; 0 or -EINVAL. Non-empty. */
int tsn_cni_parse_priorities(json_object *v, __u32 *mask);

/*
 * The value of key in CNI_ARGS ("K=V;K=V", first one wins) into buf: 1, 0 when absent,
 * -E2BIG when longer than len - 1. A bare "KEY" has the empty value.
 */
int tsn_cni_args_get(const char *cni_args, const char *key, char *buf, size_t len);

/* TSN_PRIORITIES from CNI_ARGS ("K=V;K=V"); *set false when the key is absent. 0 or code. */
int tsn_cni_parse_args(const char *cni_args, __u32 *mask, bool *set, struct tsn_cni_error *e);

/*
 * K8S_POD_NAMESPACE and K8S_POD_NAME from CNI_ARGS: kubelet's runtimes pass both, podman the
 * name alone (then ns is ""); without a name both are "". 0, or code 4 for a value that is not
 * a name (or longer than its buffer).
 */
int tsn_cni_parse_pod(const char *cni_args, char *ns, size_t nslen, char *name, size_t namelen,
		      struct tsn_cni_error *e);

/*
 * The pod's allowed priorities: the network's set, narrowed by runtimeConfig/args and by
 * CNI_ARGS. A narrowing may only shrink the set: asking for more is a config error.
 */
int tsn_cni_effective_priorities(const struct tsn_cni_conf *c, __u32 args_mask, bool args_set,
				 __u32 *out, struct tsn_cni_error *e);

/* Fill e; returns code. */
int tsn_cni_err(struct tsn_cni_error *e, int code, const char *details, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* {cniVersion, code, msg, details}; version NULL or unsupported: TSN_CNI_SPEC_VERSION. */
json_object *tsn_cni_error_json(const char *version, const struct tsn_cni_error *e);

/* {cniVersion, supportedVersions} */
json_object *tsn_cni_version_json(const char *version);

/*
 * Conflist editing for `tsn install`: put plugin at the end of "plugins", or replace an
 * existing {"type":"tsn"} entry in place (idempotent: *changed false when already equal).
 * remove drops every tsn entry, *removed counts them. 0 or -EINVAL with err.
 */
int tsn_cni_conflist_insert(json_object *list, json_object *plugin, bool *changed, char *err,
			    size_t errlen);
int tsn_cni_conflist_remove(json_object *list, int *removed, char *err, size_t errlen);

#endif /* TSN_CNI_CONFIG_H */
