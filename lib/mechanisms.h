/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the running kernel's features make of tsnkit's datapath: which save and restore hooks
 * enforce mode uses, what happens to a TAI txtime at the veth crossing, which clock keeps
 * entries fresh, which tracer backend auto picks. Each with the feature probe that decides it
 * (lib/features.c), so that `tsnproxy features` says what a node gets and why.
 */
#ifndef TSN_MECHANISMS_H
#define TSN_MECHANISMS_H

#include <json-c/json.h>

/* {"save_hook_registered": {"uses": "...", "why": "..."}, "restore_hook": ..., ...} */
json_object *tsn_mechanisms_json(void);

/*
 * Add to a features object (tsn_features_json()) what the restore does with encapsulated
 * packets, the same on every kernel: tunnel_restore, encrypted_tunnel_restore. 0 or -1.
 */
int tsn_restore_features_add(json_object *features);

#endif /* TSN_MECHANISMS_H */
