/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by the lib/proxy_*.c files, behind the public lib/proxy.h: the pinned
 * state (pin paths, maps, the lock, the configuration, the tracking table; proxy_pin.c) and
 * what lifecycle, pods and status share (proxy_lifecycle.c). Not for callers outside lib/.
 */
#ifndef TSN_PROXY_PRIV_H
#define TSN_PROXY_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "proxy.h"
#include "tc.h"

_Static_assert((int)TSN_NIC_TCX == (int)TSN_TC_TCX && (int)TSN_NIC_CLSACT == (int)TSN_TC_CLSACT,
	       "nic_tc_kind stores enum tsn_tc_kind");

/* Serialises start/stop/allow/deny across processes. */
#define LOCK_PATH "/run/tsnkit.lock"

struct tsnproxy_bpf;

/* Describe a failure in err (one line) and return e, its -errno: return fail(..., -EINVAL, ...) */
__attribute__((format(printf, 4, 5))) static inline int fail(char *err, size_t errlen, int e,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

/* value's name in t; "unknown" for a value no table names (another version, a damaged state). */
static inline const char *proxy_name(const struct tsn_name *t, __u32 value)
{
	return tsn_name_format(t, value) ?: "unknown";
}

/* The lib/tc.h kind of NIC i's restore attachment (0: none yet). */
static inline enum tsn_tc_kind proxy_nic_hook(const struct tsn_proxy_config *cfg, int i)
{
	return (enum tsn_tc_kind)(cfg->nic_tc_kind[i] & TSN_NIC_HOOK_MASK);
}

/* proxy_pin.c */
/* What every complete state pins under maps/ and progs/ (links/ depend on the NICs and pods). */
#define PROXY_MAP_PINS 7
#define PROXY_PROG_PINS 2
/*
 * A pinned map: its pin name, its name in tsnproxy.bpf.o, and its shape there. A pin is read
 * only when it has that shape: a lookup copies value_size bytes into the struct the caller
 * gives, so another map under the name (a state another tsnproxy version pinned, or a pin
 * replaced by hand) would write past it.
 */
struct proxy_map_pin {
	const char *name;
	const char *obj_name;
	__u32 type;
	__u32 key_size;
	__u32 value_size;
};
extern const struct proxy_map_pin proxy_map_pins[PROXY_MAP_PINS];
extern const char *const proxy_prog_pins[PROXY_PROG_PINS];
void proxy_pin_path(char *buf, size_t len, const char *pin_dir, const char *sub, const char *name);
/*
 * maps/name of pin_dir: an fd, or -1 with errno set; EUCLEAN when the pin is not a map of the
 * shape proxy_map_pins gives (proxy_map_shape_error() says how it differs).
 */
int proxy_map_fd(const char *pin_dir, const char *name);
/* 0 when maps/<proxy_map_pins[i]> has its shape; else -EUCLEAN and one line in why. */
int proxy_map_shape_error(const char *pin_dir, unsigned int i, char *why, size_t whylen);
/* The max_entries of pinned map maps/name: 0 or -errno. */
int proxy_map_entries(const char *pin_dir, const char *name, __u32 *n);
int proxy_lock(void);
void proxy_unlock(int fd);
int proxy_read_config(const char *pin_dir, struct tsn_proxy_config *cfg);
int proxy_write_config(const char *pin_dir, const struct tsn_proxy_config *cfg);
void proxy_unpin_link(const char *path);
struct tsn_track_slot *proxy_track_map(const char *pin_dir, __u32 *cap);
void proxy_track_unmap(struct tsn_track_slot *t, __u32 cap);
/* The datapath's clock now (progs/clock): 0 or -errno. */
int proxy_clock(const char *pin_dir, struct tsn_clock_sample *now);

/* proxy_pods.c */
/* Remove every registered pod's clsact save filters (stop); with tcx its pinned links go. */
void proxy_pods_detach_clsact(const char *pin_dir);
/* One pinned save link of a pod (tcx; clsact filters have no pin). */
struct proxy_pod_link {
	const char *path;
	__u32 ifindex;		/* the pod interface its name records */
	bool attached;		/* still attached there: false once that interface is gone */
};
/* Call fn for each pinned save link of netns; the first error fn returned, or 0. */
int proxy_pod_links(const char *pin_dir, __u32 netns,
		    int (*fn)(const struct proxy_pod_link *l, void *arg), void *arg);
/*
 * The same for many pods with one read of links/ (status: O(pods), not a directory read per
 * pod). proxy_pod_links_read() lists the save links once (0, or -errno with set empty; free
 * with proxy_pod_links_free()); proxy_pod_links_in() calls fn for netns' links of that list,
 * asking the kernel whether each is still attached.
 */
struct proxy_pod_link_name {
	__u32 netns;
	__u32 ifindex;
	__u32 order;		/* position in the directory listing */
};
struct proxy_pod_link_set {
	struct proxy_pod_link_name *links;	/* sorted by netns, then order */
	int n;
};
int proxy_pod_links_read(const char *pin_dir, struct proxy_pod_link_set *set);
int proxy_pod_links_in(const char *pin_dir, const struct proxy_pod_link_set *set, __u32 netns,
		       int (*fn)(const struct proxy_pod_link *l, void *arg), void *arg);
void proxy_pod_links_free(struct proxy_pod_link_set *set);

/* proxy_status.c */
/* 0 when pin_dir holds a complete state, else -errno with what is wrong (and what to do) in err. */
int proxy_state_error(const char *pin_dir, char *err, size_t errlen);
/* Read the configuration: 0, or why it cannot be (a damaged state, none) as proxy_state_error. */
int proxy_config_or_error(const char *pin_dir, struct tsn_proxy_config *cfg, char *err,
			  size_t errlen);

/* proxy_lifecycle.c */
void proxy_set_rodata(struct tsnproxy_bpf *skel, const struct tsn_proxy_config *cfg);
bool proxy_nic_attached(const char *pin_dir, const struct tsn_proxy_config *cfg, int i);

#endif /* TSN_PROXY_PRIV_H */
