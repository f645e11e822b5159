// SPDX-License-Identifier: GPL-2.0-only
/* Names for numbers in events: netns inodes, drop reasons (kernel BTF), kernel symbols. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cni_state.h"
#include "netns.h"
#include "trace_names.h"

#define NETNS_CACHE 64

static struct {
	__u32 inode;
	char name[320];	/* a pod's "NS/NAME": 63 + 1 + 253 */
} ns_cache[NETNS_CACHE];
static int ns_n;
static __u32 host_inode;

/*
 * "NS/NAME" for a pod the tsn CNI plugin recorded, "tk1-pod1" for a /run/netns name, "host" for
 * pid 1's, else "netns:<inode>". Cached.
 */
const char *tt_netns_name(__u32 inode)
{
	int i, slot;

	for (i = 0; i < ns_n; i++)
		if (ns_cache[i].inode == inode)
			return ns_cache[i].name;
	slot = ns_n < NETNS_CACHE ? ns_n++ : (int)(inode % NETNS_CACHE);
	ns_cache[slot].inode = inode;
	if (!inode) {
		snprintf(ns_cache[slot].name, sizeof(ns_cache[slot].name), "-");
	} else if (!tsn_cni_pod_by_netns(inode, ns_cache[slot].name,
					 sizeof(ns_cache[slot].name))) {
		/* the pod's name is what its operator knows it by */
	} else if (tsn_netns_name(inode, ns_cache[slot].name, sizeof(ns_cache[slot].name))) {
		if (!host_inode) {
			int fd = tsn_netns_open("/proc/1/ns/net");

			if (fd >= 0) {
				tsn_netns_inode(fd, &host_inode);
				close(fd);
			}
		}
		if (inode == host_inode)
			snprintf(ns_cache[slot].name, sizeof(ns_cache[slot].name), "host");
		else
			snprintf(ns_cache[slot].name, sizeof(ns_cache[slot].name), "netns:%u",
				 inode);
	}
	return ns_cache[slot].name;
}

/* ---- drop reasons: enum skb_drop_reason from the running kernel's BTF ---- */

static char **reasons;
static __u32 n_reasons;
static bool reasons_loaded;

static void load_reasons(void)
{
	struct btf *btf;
	__s32 id;
	const struct btf_type *t;
	const struct btf_enum *e;
	__u32 i, max = 0;

	reasons_loaded = true;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id <= 0)
		goto out;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++)
		if ((__u32)e[i].val > max && (__u32)e[i].val < 4096)
			max = e[i].val;
	reasons = calloc(max + 1, sizeof(*reasons));
	if (!reasons)
		goto out;
	n_reasons = max + 1;
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if ((__u32)e[i].val >= n_reasons)
			continue;
		if (!strncmp(name, "SKB_DROP_REASON_", 16))
			name += 16;
		free(reasons[e[i].val]);
		reasons[e[i].val] = strdup(name);
	}
out:
	btf__free(btf);
}

const char *tt_drop_reason_name(__u32 reason)
{
	if (!reasons_loaded)
		load_reasons();
	if (reason < n_reasons && reasons[reason])
		return reasons[reason];
	return NULL;
}

/* ---- kernel symbols (kprobe/fentry function, drop location) ---- */

struct ksym {
	__u64 addr;
	char *name;
};

static struct ksym *ksyms;
static size_t n_ksyms;
static bool ksyms_loaded;

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_ksyms(void)
{
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	struct ksym *nk;
	FILE *f;

	ksyms_loaded = true;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (!addr || (type != 't' && type != 'T'))
			continue;
		if (n_ksyms == cap) {
			cap = cap ? cap * 2 : 65536;
			nk = realloc(ksyms, cap * sizeof(*ksyms));
			if (!nk)
				break;
			ksyms = nk;
		}
		ksyms[n_ksyms].addr = addr;
		ksyms[n_ksyms].name = strdup(name);
		if (ksyms[n_ksyms].name)
			n_ksyms++;
	}
	fclose(f);
	qsort(ksyms, n_ksyms, sizeof(*ksyms), cmp_ksym);
}

const char *tt_ksym_name(__u64 addr, char *buf, size_t len, bool with_offset)
{
	size_t lo = 0, hi;

	if (!addr)
		return NULL;
	if (!ksyms_loaded)
		load_ksyms();
	hi = n_ksyms;
	if (!hi || addr < ksyms[0].addr)
		return NULL;
	/* last symbol at or below addr */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (!with_offset || ksyms[lo].addr == addr)
		snprintf(buf, len, "%s", ksyms[lo].name);
	else
		snprintf(buf, len, "%s+0x%llx", ksyms[lo].name,
			 (unsigned long long)(addr - ksyms[lo].addr));
	return buf;
}

void tt_names_free(void)
{
	size_t i;

	for (i = 0; i < n_reasons; i++)
		free(reasons[i]);
	free(reasons);
	reasons = NULL;
	n_reasons = 0;
	for (i = 0; i < n_ksyms; i++)
		free(ksyms[i].name);
	free(ksyms);
	ksyms = NULL;
	n_ksyms = 0;
}
