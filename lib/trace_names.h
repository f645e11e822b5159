/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names for the numbers in tracer events: netns inodes, drop reasons (the running kernel's
 * BTF), kernel symbols. Looked up once and cached for the process; not thread-safe.
 */
#ifndef TSN_TRACE_NAMES_H
#define TSN_TRACE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * "default/talker" for a pod the tsn CNI plugin recorded (lib/cni_state.h), "tk1-pod1" for a
 * /run/netns name, "host" for pid 1's, "-" for 0, else "netns:<inode>"
 */
const char *tt_netns_name(__u32 inode);
const char *tt_drop_reason_name(__u32 reason);
const char *tt_ksym_name(__u64 addr, char *buf, size_t len, bool with_offset);
/* drop the caches */
void tt_names_free(void);

#endif /* TSN_TRACE_NAMES_H */
