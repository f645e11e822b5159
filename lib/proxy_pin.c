// SPDX-License-Identifier: GPL-2.0-only
/*
 * The enforce-mode state pinned in bpffs, shared by the proxy_*.c files: pin paths, the pinned
 * maps, the lock that serialises operations, the configuration and the tracking table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "proxy_priv.h"

/* tests/unit/test_proxy.c checks these shapes against tsnproxy.bpf.o's maps */
const struct proxy_map_pin proxy_map_pins[PROXY_MAP_PINS] = {
	{ "track", "tsn_track", BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct tsn_track_slot) },
	{ "track_fp", "tsn_track_fp", BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u32) },
	{ "counters", "tsn_counters", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
	  sizeof(struct tsn_cpu_counters) },
	{ "policy", "tsn_policy", BPF_MAP_TYPE_HASH, sizeof(__u32), sizeof(struct tsn_policy) },
	{ "config", ".data.config", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct tsn_proxy_config) },
	{ "pods", "tsn_pods", BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct tsn_pod_binding) },
	{ "save_tail", "tsn_save_tail", BPF_MAP_TYPE_PROG_ARRAY, sizeof(__u32), sizeof(__u32) },
};
const char *const proxy_prog_pins[PROXY_PROG_PINS] = { "restore", "clock" };

void proxy_pin_path(char *buf, size_t len, const char *pin_dir, const char *sub, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", pin_dir, sub, name);
}

/*
 * How the object behind fd differs from pin i's shape: 0, or -EUCLEAN with one line in why
 * (when why is not NULL).
 */
static int map_fd_shape_error(int fd, unsigned int i, char *why, size_t whylen)
{
	const struct proxy_map_pin *m = &proxy_map_pins[i];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *type;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		if (why)
			snprintf(why, whylen, "maps/%s cannot be inspected: %s", m->name,
				 strerror(errno));
		return -EUCLEAN;
	}
	if (info.type == m->type && info.key_size == m->key_size &&
	    info.value_size == m->value_size)
		return 0;
	if (!why)
		return -EUCLEAN;
	type = libbpf_bpf_map_type_str((enum bpf_map_type)info.type);
	snprintf(why, whylen, "maps/%s is not the map this tsnproxy reads (%s, key %u, value %u "
		 "bytes; expected %s, key %u, value %u: another version's state?)", m->name,
		 type ? type : "not a map", info.key_size, info.value_size,
		 libbpf_bpf_map_type_str((enum bpf_map_type)m->type), m->key_size, m->value_size);
	return -EUCLEAN;
}

int proxy_map_fd(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	unsigned int i;
	int fd;

	proxy_pin_path(path, sizeof(path), pin_dir, "maps", name);
	fd = bpf_obj_get(path);
	for (i = 0; fd >= 0 && i < PROXY_MAP_PINS; i++) {
		if (strcmp(name, proxy_map_pins[i].name))
			continue;
		if (map_fd_shape_error(fd, i, NULL, 0)) {
			close(fd);
			errno = EUCLEAN;
			return -1;
		}
		break;
	}
	return fd;
}

int proxy_map_shape_error(const char *pin_dir, unsigned int i, char *why, size_t whylen)
{
	char path[PATH_MAX];
	int fd, e;

	proxy_pin_path(path, sizeof(path), pin_dir, "maps", proxy_map_pins[i].name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(why, whylen, "maps/%s cannot be opened: %s", proxy_map_pins[i].name,
			 strerror(errno));
		return -EUCLEAN;
	}
	e = map_fd_shape_error(fd, i, why, whylen);
	close(fd);
	return e;
}

/* Serialise start/stop/allow/deny across processes (CNI ADDs race). */
int proxy_lock(void)
{
	int fd = open(LOCK_PATH, O_CREAT | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

void proxy_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* drops the flock */
}

int proxy_read_config(const char *pin_dir, struct tsn_proxy_config *cfg)
{
	__u32 zero = 0;
	int fd = proxy_map_fd(pin_dir, "config"), err;

	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, cfg) ? -errno : 0;
	close(fd);
	return err;
}

int proxy_write_config(const char *pin_dir, const struct tsn_proxy_config *cfg)
{
	__u32 zero = 0;
	int fd = proxy_map_fd(pin_dir, "config"), err;

	if (fd < 0)
		return -errno;
	err = bpf_map_update_elem(fd, &zero, cfg, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

/* Detach a pinned link and remove its pin (a pin alone would keep the link while an fd lives). */
void proxy_unpin_link(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		bpf_link_detach(fd);
		close(fd);
	}
	unlink(path);
}

/* The max_entries of the map behind fd: 0 or -errno. */
static int map_fd_entries(int fd, __u32 *n)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*n = info.max_entries;
	return 0;
}

int proxy_map_entries(const char *pin_dir, const char *name, __u32 *n)
{
	int fd = proxy_map_fd(pin_dir, name), e;

	if (fd < 0)
		return -errno;
	e = map_fd_entries(fd, n);
	close(fd);
	return e;
}

/* The tracking table, mapped; *cap receives its capacity. munmap with proxy_track_unmap. */
struct tsn_track_slot *proxy_track_map(const char *pin_dir, __u32 *cap)
{
	void *mem;
	int fd = proxy_map_fd(pin_dir, "track");

	if (fd < 0)
		return NULL;
	if (map_fd_entries(fd, cap)) {
		close(fd);
		return NULL;
	}
	mem = mmap(NULL, (size_t)*cap * sizeof(struct tsn_track_slot), PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	close(fd);
	return mem == MAP_FAILED ? NULL : mem;
}

void proxy_track_unmap(struct tsn_track_slot *t, __u32 cap)
{
	if (t)
		munmap(t, (size_t)cap * sizeof(*t));
}

int proxy_clock(const char *pin_dir, struct tsn_clock_sample *now)
{
	char path[PATH_MAX];
	int fd, e;
	/* a syscall program's ctx is copied back into ctx_in (ctx_out is refused) */
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = now, .ctx_size_in = sizeof(*now));

	proxy_pin_path(path, sizeof(path), pin_dir, "progs", "clock");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(now, 0, sizeof(*now));
	e = bpf_prog_test_run_opts(fd, &run) ? -errno : 0;
	close(fd);
	return e;
}
