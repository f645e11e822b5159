/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enforce-mode control plane, shared by tsnproxy (CLI/daemon), the CNI plugin and tsntop.
 * All state lives pinned under a pin dir in bpffs, so the datapath keeps working when no
 * process is running, and every caller (re)opens it from there:
 *
 *   <pin>/maps/{track,track_fp,counters,policy,config,pods}
 *   <pin>/progs/restore                 re-attached when a NIC's link is missing
 *   <pin>/progs/clock                   the datapath's clock (jiffies), for status
 *   <pin>/links/save                    tp_btf link (--save-hook tracepoint, --policy all)
 *   <pin>/links/restore_<ifindex>       tcx link on a NIC (clsact filters have no pin)
 *   <pin>/maps/save_tail                the tc save program all pods' stubs tail-call
 *   <pin>/links/save_<netns>_<ifindex>  tcx link on a pod interface (--save-hook tc), holding
 *                                       that pod's stub (its tag, then maps/save_tail)
 *
 * start builds all of it in <pin>-partial and renames that to <pin> once complete; start and
 * stop remove a <pin>-partial a killed run left. Operations serialise on a lock file, so
 * concurrent CNI ADDs and a CLI start cannot half-attach. Functions return 0 or -errno and
 * describe failures in err (one line).
 *
 * Implemented by job: proxy_lifecycle.c (start/adopt/stop), proxy_pods.c (allow/deny and the
 * per-pod save stubs), proxy_status.c (running/config/counters/status), proxy_metrics.c (the
 * status as OpenMetrics), proxy_parse.c (CLI text and the enums' name tables), on proxy_pin.c's
 * pinned state (lib/proxy_priv.h, private to those files).
 */
#ifndef TSN_PROXY_H
#define TSN_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include <json-c/json.h>

#include "name_table.h"
#include "tsnkit.h"

#define TSN_PROXY_PIN_DIR "/sys/fs/bpf/tsnkit"
#define TSN_PROXY_DEFAULT_CAPACITY 65536
#define TSN_PROXY_DEFAULT_TTL_MS 1000
#define TSN_ERRLEN 256

struct tsn_proxy_opts {
	const char *pin_dir;
	const char *nics[TSN_MAX_NICS];
	int nic_count;
	__u32 mode;		/* enum tsn_policy_mode */
	__u32 restore;		/* enum tsn_restore_flags */
	__u32 capacity;		/* rounded up to a power of two */
	__u32 ttl_ms;
	__u32 save_hook;	/* enum tsn_save_hook */
};

void tsn_proxy_opts_default(struct tsn_proxy_opts *o);

/* The save hook that TSN_SAVE_AUTO (the default) means for a policy mode on this kernel. */
__u32 tsn_proxy_save_hook(__u32 hook, __u32 mode);

/* Why a (resolved) save hook cannot serve a policy mode, or NULL when it can. */
const char *tsn_proxy_save_hook_unsupported(__u32 hook, __u32 mode);

/* A TTL in the datapath's clock: jiffies at hz, rounded up, at least 1. */
__u32 tsn_proxy_ttl_jiffies(__u64 ttl_ns, __u32 hz);

/* Prove that this kernel loads the datapath with that (resolved) save hook: 0 or -errno. */
int tsn_proxy_load_check(__u32 save_hook);

/*
 * Load, attach and pin; or adopt what is pinned when the settings match (idempotent; missing
 * NIC links are re-attached, a recreated NIC takes the place of the gone one). *adopted tells
 * which. Conflicting settings: -EEXIST; bad options: -EINVAL (an unknown NIC: -ENODEV).
 * Nothing is left half-attached on failure.
 */
int tsn_proxy_start(const struct tsn_proxy_opts *o, bool *adopted, char *err, size_t errlen);

/*
 * Is pin_dir a directory start can create and rename into place: its parent exists and is on
 * bpffs? 0 or -errno with a one-line reason in err.
 */
int tsn_proxy_check_pin_dir(const char *pin_dir, char *err, size_t errlen);

/*
 * Would tsn_proxy_start(o) adopt what runs in o->pin_dir? 0 when it would or nothing runs;
 * else the error start would give (-EEXIST naming each setting that differs, bad options).
 * Reads only; attaches nothing.
 */
int tsn_proxy_adoptable(const struct tsn_proxy_opts *o, char *err, size_t errlen);

/* Remove every link, program, pin and qdisc start created. Not running: 0, *was_running false. */
int tsn_proxy_stop(const char *pin_dir, bool *was_running, char *err, size_t errlen);

/* Is there a state in the pin dir at all (complete, damaged or incomplete)? */
bool tsn_proxy_running(const char *pin_dir);

/* What a pin dir holds (tsn_proxy_state()). */
enum tsn_proxy_state {
	TSN_STATE_NONE,		/* no pin dir, or one without any pin */
	TSN_STATE_COMPLETE,	/* every map and program pinned, the configuration written */
	TSN_STATE_INCOMPLETE,	/* its configuration never written: an older start killed */
	TSN_STATE_DAMAGED,	/* written once, now missing pins (removed by hand) */
};

/*
 * Classify the state in pin_dir. INCOMPLETE and DAMAGED name in why what is wrong (one line,
 * e.g. "missing maps/config, progs/clock"); why may be NULL.
 */
enum tsn_proxy_state tsn_proxy_state(const char *pin_dir, char *why, size_t whylen);

/*
 * Register a pod netns (by inode) with its policy; with the tc save hook also attach to ifname
 * (or the pod's only interface). Registering a pod again for another interface adds that one:
 * the policy then covers any of the pod's interfaces. Registering again repairs: links of
 * interfaces that are gone are removed, the current one gets the save program.
 */
int tsn_proxy_allow(const char *pin_dir, __u32 netns_ino, const struct tsn_policy *pol,
		    const char *pod_ifname, int netns_fd, char *err, size_t errlen);

/* With the tc save hook: is the save program attached to the pod's ifname? 0 or -errno + err. */
int tsn_proxy_check_save(const char *pin_dir, __u32 netns_ino, int netns_fd, const char *ifname,
			 char *err, size_t errlen);

/* Detach the tc save hook from one interface of a registered pod; the registration stays. */
int tsn_proxy_detach_save(const char *pin_dir, __u32 netns_ino, __u32 ifindex);

/*
 * Unregister a netns: its tag is unbound first, so none of its saved entries is restored from
 * then on; they age out of the table. Unknown: 0.
 */
int tsn_proxy_deny(const char *pin_dir, __u32 netns_ino, char *err, size_t errlen);

/* Registration of a netns: 0 and *pol, or -ENOENT. */
int tsn_proxy_lookup(const char *pin_dir, __u32 netns_ino, struct tsn_policy *pol);

/* Every registered netns inode; returns the count (<= max) or -errno. */
int tsn_proxy_list(const char *pin_dir, __u32 *inos, int max);

/* The pinned configuration (NICs with their netns, policy mode, ...): 0 or -errno. */
int tsn_proxy_config_get(const char *pin_dir, struct tsn_proxy_config *cfg);

/* Summed per-CPU counters. */
int tsn_proxy_counters(const char *pin_dir, __u64 out[TSN_CNT__MAX]);

/* The tracking table size start makes of a requested capacity: a power of two, 64..2^22. */
__u32 tsn_proxy_capacity(__u32 requested);

/*
 * Entries of the fingerprint index beside a table of capacity slots: the capacity, at most
 * TSN_PROXY_FP_INDEX_MAX. Every save writes a random entry of it, so its size is what a save's
 * cache and TLB miss walks; and it only has to name the packets in flight between their save and
 * their restore (a clone, copy or rebuild of the skb on the way, a tunnel), which the node's
 * backlogs bound, not the table's size. 65536 entries: 512 KiB (8-byte array elements).
 */
#define TSN_PROXY_FP_INDEX_MAX 65536
__u32 tsn_proxy_fp_index_size(__u32 capacity);

/* {config, nics[], policy[], counters{}, map{capacity, used, fp_index}} */
int tsn_proxy_status(const char *pin_dir, json_object **out, char *err, size_t errlen);

/*
 * The status object as OpenMetrics text (the one metrics printer): tsnproxy_up, the counters
 * (tsnproxy_<counter>_total), the tracking table's fill, per NIC and per pod attachment health,
 * "# EOF" last. status NULL (not running): tsnproxy_up 0 alone.
 */
void tsn_proxy_metrics_print(FILE *f, json_object *status);
/* The metrics of pin_dir's state in a malloc'ed string of *len bytes; NULL when out of memory. */
char *tsn_proxy_metrics(const char *pin_dir, size_t *len);

/* Check that every configured NIC still has the restore program attached. */
int tsn_proxy_check_attached(const char *pin_dir, char *err, size_t errlen);

/* "1,2,5-7" -> bit mask (priorities 0..31). -EINVAL on anything else. */
int tsn_parse_priorities(const char *s, __u32 *mask);
/* A decimal number 0..2^32-1, the whole of s (no sign, no trailing text): 0 or -EINVAL. */
int tsn_parse_u32(const char *s, __u32 *out);
/* mask -> "1,2,5" */
void tsn_format_priorities(__u32 mask, char *buf, size_t len);

/* Name tables (lib/name_table.h) of the enforce-mode enums in tsnkit.h. */
extern const struct tsn_name tsn_save_hook_names[];	/* enum tsn_save_hook */
extern const struct tsn_name tsn_policy_mode_names[];	/* enum tsn_policy_mode */
extern const struct tsn_name tsn_on_disallowed_names[];	/* enum tsn_on_disallowed */
extern const struct tsn_name tsn_restore_names[];	/* enum tsn_restore_flags, a flag set */
extern const struct tsn_name tsn_registrar_names[];	/* enum tsn_registrar */

extern const char *const tsn_counter_names[TSN_CNT__MAX];

#endif /* TSN_PROXY_H */
