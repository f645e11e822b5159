/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tsn CNI plugin's own records: one small JSON file per attachment,
 *   <state dir>/<containerID>:<ifname>
 * holding the pod netns' inode and, when the runtime passed them in CNI_ARGS (kubelet's do),
 * the pod's Kubernetes namespace and name. DEL needs it because runtimes call DEL after the netns is gone,
 * when the inode can no longer be read from CNI_NETNS; GC needs it to map registrations back to
 * attachments. The state dir is per pin dir (default /run/tsnkit/cni/<pinDir with / as _>), so
 * two datapaths never see each other's records. Every write runs under tsn_cni_lock().
 *
 * The plugin writes them (proxy/cni/); tsntrace, tsntop and tsnproxy status only read them, to
 * name a pod netns "NS/NAME" and to find a pod's netns by that name (tsn_cni_pod_*).
 */
#ifndef TSN_CNI_STATE_H
#define TSN_CNI_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define TSN_CNI_STATE_ROOT "/run/tsnkit/cni"
/*
 * The longest CNI_NETNS the plugin takes (runtimes' are /var/run/netns/cni-<uuid>, /proc/<pid>/
 * ns/net: under 64): a record's netns path is kept in place, and readers hold every record at
 * once, so a record's size is what tsnproxy status touches per pod.
 */
#define TSN_CNI_NETNS_MAX 511

struct tsn_cni_record {
	char container_id[256];
	char ifname[16];
	char network[256];
	char netns[TSN_CNI_NETNS_MAX + 1];
	__u32 netns_ino;
	/* K8S_POD_NAMESPACE, K8S_POD_NAME from CNI_ARGS; "" when the runtime gave none (podman
	 * gives the container's name, no namespace) */
	char pod_namespace[64];
	char pod_name[254];
	/*
	 * The policy this attachment's ADD registered, and when (CLOCK_BOOTTIME ns): a pod's
	 * registration has the policy of its newest ADD, and when that attachment is deleted, of
	 * the newest one left. has_policy is false in records older than these fields.
	 */
	bool has_policy;
	__u32 allowed;
	__u8 on_disallowed;
	__u64 added_at;
};

/* Serialise the plugin's invocations (ADD/DEL/GC/CHECK). fd >= 0 or -errno. */
int tsn_cni_lock(void);
void tsn_cni_unlock(int fd);

/* State dir for a pin dir, or override when set. */
void tsn_cni_state_dir(const char *pin_dir, const char *override, char *buf, size_t len);

/*
 * The state dir that holds the records of a pin dir's pods: <state root>/<pin dir, "/" as
 * "_">.statedir names it while it has records (written with a record, removed with the last
 * one). Two state dirs for one pin dir would each see only half of the pods, and GC of one
 * would take the other's pods for leaked: ADD refuses a second one.
 * tsn_cni_pin_owner: 0 and the owner in buf, -ENOENT when none (or one without records).
 */
int tsn_cni_pin_owner(const char *pin_dir, char *buf, size_t len);
/* Does the owner file name this state dir (with or without records)? No record is read. */
bool tsn_cni_pin_owned_by(const char *pin_dir, const char *state_dir);
int tsn_cni_pin_owner_write(const char *pin_dir, const char *state_dir);

/* Atomic (write + rename). 0 or -errno. */
int tsn_cni_state_write(const char *dir, const struct tsn_cni_record *r);
/* 0, -ENOENT, or -EINVAL for a record that does not parse. */
int tsn_cni_state_read(const char *dir, const char *cid, const char *ifname,
		       struct tsn_cni_record *r);
/*
 * Remove the record of (r->container_id, r->ifname) and its index link under r->netns_ino, as
 * read from the record (0 when there was none to read: a link left then is stale, and goes
 * when a lookup sees it); the dir goes with its last record, and so does the pin-dir owner file
 * that names it. 0 (also when absent) or -errno.
 */
int tsn_cni_state_remove(const char *dir, const struct tsn_cni_record *r);
/*
 * Every record in dir that parses: the count, or -errno. A malloc'ed array in *out when the
 * count is positive (caller frees), else NULL.
 */
int tsn_cni_state_list(const char *dir, struct tsn_cni_record **out);
/*
 * The records whose netns has this inode: the count, or -errno; *out as for
 * tsn_cni_state_list(). Reads those records only, through the index by inode that
 * tsn_cni_state_write() keeps, and brings the index up to date on the way (stale markers go,
 * records from before the index get theirs): call it under tsn_cni_lock().
 */
int tsn_cni_state_by_netns(const char *dir, __u32 ino, struct tsn_cni_record **out);

/*
 * Pods by name, for the tools. The records of every state dir that an owner file in the state
 * root names (every pin dir's pods), those whose netns is still the one recorded (a record whose
 * DEL never came may name a netns that is gone, and its inode may be another netns' now).
 */

/* "NS/NAME" of a record, "NAME" when it has no namespace, "" without a name. Returns buf. */
const char *tsn_cni_pod_str(const struct tsn_cni_record *r, char *buf, size_t len);

/*
 * The netns inode of pod "NS/NAME" (or "NAME" of a pod recorded without namespace): 0, -EINVAL
 * when spec is neither, -ENOENT when no live record has that pod.
 */
int tsn_cni_pod_netns(const char *spec, __u32 *ino);

/* "NS/NAME" of the pod whose netns has this inode: 0, or -ENOENT. */
int tsn_cni_pod_by_netns(__u32 ino, char *buf, size_t len);

/*
 * The same for the pods of one pin dir only (its owner file's state dir), read once for a lookup
 * per registration (tsnproxy status): tsn_cni_pin_pods_read() fills pods (empty when the pin
 * dir has none or they cannot be read; free with tsn_cni_pin_pods_free()), and
 * tsn_cni_pin_pods_find() gives "NS/NAME" of the live pod whose netns has this inode: 0, or
 * -ENOENT.
 */
struct tsn_cni_pods {
	struct tsn_cni_record *recs;
	int n;
};

void tsn_cni_pin_pods_read(const char *pin_dir, struct tsn_cni_pods *pods);
int tsn_cni_pin_pods_find(const struct tsn_cni_pods *pods, __u32 ino, char *buf, size_t len);
void tsn_cni_pin_pods_free(struct tsn_cni_pods *pods);

#endif /* TSN_CNI_STATE_H */
