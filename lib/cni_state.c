// SPDX-License-Identifier: GPL-2.0-only
/* Attachment records of the tsn CNI plugin (see cni_state.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "json.h"
#include "cni_state.h"

#define LOCK_PATH "/run/tsnkit/cni.lock"

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	/* the common case: it exists, or only its last component is missing */
	if (!mkdir(path, 0700) || errno == EEXIST)
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int tsn_cni_lock(void)
{
	int fd, e;

	e = mkdir_p("/run/tsnkit");
	if (e)
		return e;
	fd = open(LOCK_PATH, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

void tsn_cni_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

void tsn_cni_state_dir(const char *pin_dir, const char *override, char *buf, size_t len)
{
	size_t off, i;

	if (override) {
		snprintf(buf, len, "%s", override);
		return;
	}
	/* readable, so that an operator can find the records of a datapath */
	off = snprintf(buf, len, "%s/", TSN_CNI_STATE_ROOT);
	for (i = 0; pin_dir[i] == '/'; i++)
		;
	for (; pin_dir[i] && off + 1 < len; i++)
		buf[off++] = pin_dir[i] == '/' ? '_' : pin_dir[i];
	if (off < len)
		buf[off] = '\0';
}

#define OWNER_SUFFIX ".statedir"

/*
 * Write text and a newline to tmp (write_file), then rename it to path (write_atomic): readers
 * see all of it or none, and a killed writer leaves the old file. No fsync: the records describe
 * kernel state (pins in bpffs, netns) that does not outlive the node's power either, and /run
 * is a tmpfs on most nodes.
 */
static int write_file(const char *tmp, const char *text)
{
	size_t len = strlen(text);
	int fd, e = 0;

	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		e = -EIO;
	close(fd);
	return e;
}

static int write_atomic(const char *path, const char *tmp, const char *text)
{
	int e = write_file(tmp, text);

	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

static void owner_path(char *buf, size_t len, const char *pin_dir)
{
	char name[PATH_MAX];

	/* the default state dir's own name, beside it in the state root */
	tsn_cni_state_dir(pin_dir, NULL, name, sizeof(name));
	snprintf(buf, len, "%s" OWNER_SUFFIX, name);
}

/* The contents of a small text file, without a trailing newline. 0 or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Does dir hold a record? Its names tell, no record is read: a record is written whole under a
 * temporary name without a colon and renamed to its "cid:ifname" (write_atomic()).
 */
static bool state_has_records(const char *dir)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	while (d && !found && (de = readdir(d)))
		found = strchr(de->d_name, ':') != NULL;
	if (d)
		closedir(d);
	return found;
}

int tsn_cni_pin_owner(const char *pin_dir, char *buf, size_t len)
{
	char path[PATH_MAX + 16];

	owner_path(path, sizeof(path), pin_dir);
	if (read_text(path, buf, len) || !buf[0])
		return -ENOENT;
	/* an owner without records (a crash between the two) owns nothing */
	return state_has_records(buf) ? 0 : -ENOENT;
}

bool tsn_cni_pin_owned_by(const char *pin_dir, const char *state_dir)
{
	char path[PATH_MAX + 16], now[PATH_MAX];

	owner_path(path, sizeof(path), pin_dir);
	return !read_text(path, now, sizeof(now)) && !strcmp(now, state_dir);
}

int tsn_cni_pin_owner_write(const char *pin_dir, const char *state_dir)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	int e;

	if (tsn_cni_pin_owned_by(pin_dir, state_dir))
		return 0;
	e = mkdir_p(TSN_CNI_STATE_ROOT);
	if (e)
		return e;
	owner_path(path, sizeof(path), pin_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	return write_atomic(path, tmp, state_dir);
}

/*
 * fn(path of an owner file, the state dir it names, arg) for each owner file in the state root,
 * until fn returns non-zero; returns that.
 */
typedef int (*owner_fn)(const char *path, const char *owner, void *arg);

static int each_owner(owner_fn fn, void *arg)
{
	size_t sl = strlen(OWNER_SUFFIX);
	char owner[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(TSN_CNI_STATE_ROOT);
	int e = 0;

	while (d && !e && (de = readdir(d))) {
		char path[PATH_MAX + NAME_MAX + 2];
		size_t n = strlen(de->d_name);

		if (n <= sl || strcmp(de->d_name + n - sl, OWNER_SUFFIX))
			continue;
		snprintf(path, sizeof(path), "%s/%s", TSN_CNI_STATE_ROOT, de->d_name);
		if (!read_text(path, owner, sizeof(owner)) && owner[0])
			e = fn(path, owner, arg);
	}
	if (d)
		closedir(d);
	return e;
}

static int unlink_if_owner_of(const char *path, const char *owner, void *dir)
{
	if (!strcmp(owner, dir))
		unlink(path);
	return 0;
}

/* Remove the owner files that name dir, whose last record is gone. */
static void remove_owner_of(const char *dir)
{
	each_owner(unlink_if_owner_of, (void *)dir);
}

static void record_path(char *buf, size_t len, const char *dir, const char *cid,
			const char *ifname)
{
	snprintf(buf, len, "%s/%s:%s", dir, cid, ifname);
}

/*
 * The index by netns inode: <dir>/by-netns/<inode>/<cid>:<ifname>, a hard link to the record
 * of that attachment, so that the plugin finds the records of one netns (ADD: of a recycled
 * inode; DEL: does another attachment keep the pod registered?) without reading the others.
 * A record's link is made before the record is renamed into place and removed after the record
 * is, so every record has one; a link that is not the record's file (the record is gone, or
 * was written again since) is stale, and tsn_cni_state_by_netns() removes it when it sees it.
 * by-netns/.complete says that every record has its link: records written before the index
 * existed get theirs, in one pass over all records, by the first lookup that does not find it.
 */
#define INDEX_DIR "by-netns"
#define INDEX_COMPLETE INDEX_DIR "/.complete"

static void index_dir_path(char *buf, size_t len, const char *dir, __u32 ino)
{
	snprintf(buf, len, "%s/" INDEX_DIR "/%u", dir, ino);
}

/* Link file (a record, or its temporary) into the index as the record of (ino, cid, ifname). */
static int index_link(const char *dir, const char *file, __u32 ino, const char *cid,
		      const char *ifname)
{
	char idx[PATH_MAX + 64], path[PATH_MAX + 400], tmp[PATH_MAX + 96];
	int e;

	index_dir_path(idx, sizeof(idx), dir, ino);
	e = mkdir_p(idx);
	if (e)
		return e;
	/* under a temporary name first, renamed over an older link of the same attachment */
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%d", idx, (int)getpid());
	snprintf(path, sizeof(path), "%s/%s:%s", idx, cid, ifname);
	unlink(tmp);
	if (link(file, tmp))
		return -errno;
	e = rename(tmp, path) ? -errno : 0;
	/* gone after a rename, but left by one onto a link of the same file (a no-op) */
	unlink(tmp);
	return e;
}

int tsn_cni_state_write(const char *dir, const struct tsn_cni_record *r)
{
	char path[PATH_MAX + 300], tmp[PATH_MAX + 300];
	json_object *o = json_object_new_object();
	int e;

	tsn_json_add_str(o, "containerID", r->container_id);
	tsn_json_add_str(o, "ifname", r->ifname);
	tsn_json_add_str(o, "network", r->network);
	tsn_json_add_str(o, "netns", r->netns);
	tsn_json_add_u64(o, "netnsInode", r->netns_ino);
	if (r->pod_name[0]) {
		tsn_json_add_str(o, "podNamespace", r->pod_namespace);
		tsn_json_add_str(o, "podName", r->pod_name);
	}
	if (r->has_policy) {
		tsn_json_add_u64(o, "allowed", r->allowed);
		tsn_json_add_u64(o, "onDisallowed", r->on_disallowed);
		tsn_json_add_u64(o, "addedAt", r->added_at);
	}
	e = mkdir_p(dir);
	if (e)
		goto out;	/* no tmp file yet: nothing to remove */
	record_path(path, sizeof(path), dir, r->container_id, r->ifname);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%d", dir, (int)getpid());
	e = write_file(tmp, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	/* indexed before it is in place: every record has its link */
	if (!e)
		e = index_link(dir, tmp, r->netns_ino, r->container_id, r->ifname);
	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
out:
	json_object_put(o);
	return e;
}

static int read_file(const char *path, struct tsn_cni_record *r)
{
	uint64_t allowed = 0, on_disallowed = 0, added_at = 0;
	json_object *o, *v;
	char buf[8192];
	int e = read_text(path, buf, sizeof(buf));

	if (e)
		return e;
	e = -EINVAL;
	if (tsn_json_parse(buf, &o, NULL, 0))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
#define GETS(key, field)                                                                      \
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)) \
		snprintf(r->field, sizeof(r->field), "%s", json_object_get_string(v))
	GETS("containerID", container_id);
	GETS("ifname", ifname);
	GETS("network", network);
	GETS("netns", netns);
	GETS("podNamespace", pod_namespace);
	GETS("podName", pod_name);
#undef GETS
	if (json_object_object_get_ex(o, "netnsInode", &v) &&
	    json_object_is_type(v, json_type_int)) {
		r->netns_ino = json_object_get_uint64(v);
		e = r->container_id[0] && r->ifname[0] ? 0 : -EINVAL;
	}
	r->has_policy = tsn_json_get_u64(o, "allowed", &allowed) && allowed <= 0xffffffffULL &&
			tsn_json_get_u64(o, "onDisallowed", &on_disallowed) &&
			on_disallowed <= 0xff && tsn_json_get_u64(o, "addedAt", &added_at);
	if (r->has_policy) {
		r->added_at = added_at;
		r->allowed = (__u32)allowed;
		r->on_disallowed = (__u8)on_disallowed;
	}
	json_object_put(o);
	return e;
}

int tsn_cni_state_read(const char *dir, const char *cid, const char *ifname,
		       struct tsn_cni_record *r)
{
	char path[PATH_MAX + 300];

	record_path(path, sizeof(path), dir, cid, ifname);
	return read_file(path, r);
}

/* Remove the index, whole: dir has no record left. */
static void index_remove(const char *dir)
{
	char path[PATH_MAX + 64], sub[PATH_MAX + 400];
	struct dirent *de, *se;
	DIR *d, *sd;

	snprintf(path, sizeof(path), "%s/" INDEX_DIR, dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!unlinkat(dirfd(d), de->d_name, 0))
			continue;	/* .complete */
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		sd = opendir(sub);
		while (sd && (se = readdir(sd)))
			if (strcmp(se->d_name, ".") && strcmp(se->d_name, ".."))
				unlinkat(dirfd(sd), se->d_name, 0);
		if (sd)
			closedir(sd);
		rmdir(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/*
 * Is a record left in dir? With a complete index, every record has a link in a by-netns/<inode>
 * dir and the last link of an inode takes its dir along, so by-netns has a subdirectory (a link
 * count above 2 on ext4, xfs, tmpfs) exactly while a record is left: nothing need be listed.
 * (A link left stale by a crash keeps its dir, and the empty state dir with it, until a lookup
 * of that inode.)
 */
static bool records_left(const char *dir)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" INDEX_COMPLETE, dir);
	if (access(path, F_OK))
		return state_has_records(dir);
	snprintf(path, sizeof(path), "%s/" INDEX_DIR, dir);
	/* a file system that does not count subdirectories (btrfs: always 1) has to list */
	if (stat(path, &st) || st.st_nlink < 2)
		return state_has_records(dir);
	return st.st_nlink > 2;
}

int tsn_cni_state_remove(const char *dir, const struct tsn_cni_record *r)
{
	char path[PATH_MAX + 400], idx[PATH_MAX + 64];

	record_path(path, sizeof(path), dir, r->container_id, r->ifname);
	if (unlink(path) && errno != ENOENT)
		return -errno;
	if (r->netns_ino) {	/* after the record: every record has its link */
		index_dir_path(idx, sizeof(idx), dir, r->netns_ino);
		snprintf(path, sizeof(path), "%s/%s:%s", idx, r->container_id, r->ifname);
		unlink(path);
		rmdir(idx);	/* when it was the netns' last */
	}
	/* the last record takes its dir (index, owner file, an empty state root) along */
	if (records_left(dir))
		return 0;
	index_remove(dir);
	if (!rmdir(dir)) {
		remove_owner_of(dir);
		rmdir(TSN_CNI_STATE_ROOT);
	}
	return 0;
}

/*
 * The records in directory path (entries named "cid:ifname": the state dir, or one of its index
 * dirs) that keep(its fd, the name, arg) accepts (every one with keep NULL), in a malloc'ed
 * array in *out: count or -errno.
 */
static int records_read(const char *path, bool (*keep)(int dir_fd, const char *name, void *arg),
			void *arg, struct tsn_cni_record **out)
{
	struct tsn_cni_record *recs = NULL, *grown;
	char file[PATH_MAX + 400];
	struct dirent *de;
	int n = 0, cap = 0;
	DIR *d;

	*out = NULL;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		/* records are "cid:ifname"; temporary files (".tmp-PID") have no colon */
		if (!strchr(de->d_name, ':') || (keep && !keep(dirfd(d), de->d_name, arg)))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(recs, cap * sizeof(*recs));
			if (!grown) {
				free(recs);
				closedir(d);
				return -ENOMEM;
			}
			recs = grown;
		}
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (!read_file(file, &recs[n]))
			n++;
	}
	closedir(d);
	/* records that are there but do not parse: no array, nothing for the caller to free */
	if (!n) {
		free(recs);
		recs = NULL;
	}
	*out = recs;
	return n;
}

int tsn_cni_state_list(const char *dir, struct tsn_cni_record **out)
{
	return records_read(dir, NULL, NULL, out);
}

/* Give every record its index link (records from before the index), then mark it complete. */
static int index_complete(const char *dir)
{
	char path[PATH_MAX + 300];
	struct tsn_cni_record r;
	struct dirent *de;
	int fd, e = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/" INDEX_COMPLETE, dir);
	if (!access(path, F_OK))
		return 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!e && (de = readdir(d))) {
		if (!strchr(de->d_name, ':'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!read_file(path, &r))
			e = index_link(dir, path, r.netns_ino, r.container_id, r.ifname);
	}
	closedir(d);
	if (e)
		return e;
	snprintf(path, sizeof(path), "%s/" INDEX_DIR, dir);
	e = mkdir_p(path);
	if (e)
		return e;
	snprintf(path, sizeof(path), "%s/" INDEX_COMPLETE, dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Is the index link idx_fd/name the record file of its attachment (dir/name, same inode)? A
 * stale one is removed.
 */
static bool link_current(int idx_fd, const char *name, void *dir)
{
	char path[PATH_MAX + 300];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%s", (const char *)dir, name);
	if (!fstatat(idx_fd, name, &a, 0) && !stat(path, &b) && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev)
		return true;
	unlinkat(idx_fd, name, 0);
	return false;
}

int tsn_cni_state_by_netns(const char *dir, __u32 ino, struct tsn_cni_record **out)
{
	char idx[PATH_MAX + 64];
	int n, i, k = 0, e;

	*out = NULL;
	e = index_complete(dir);
	if (e)
		return e;
	index_dir_path(idx, sizeof(idx), dir, ino);
	n = records_read(idx, link_current, (void *)dir, out);
	rmdir(idx);	/* when every link in it was stale */
	for (i = 0; i < n; i++)	/* a current link was made for its record's inode */
		if ((*out)[i].netns_ino == ino)
			(*out)[k++] = (*out)[i];
	if (n > 0 && !k) {
		free(*out);
		*out = NULL;
	}
	return n < 0 ? n : k;
}

const char *tsn_cni_pod_str(const struct tsn_cni_record *r, char *buf, size_t len)
{
	if (r->pod_name[0])
		snprintf(buf, len, "%s%s%s", r->pod_namespace, r->pod_namespace[0] ? "/" : "",
			 r->pod_name);
	else if (len)
		buf[0] = '\0';
	return buf;
}

/* Is the record's netns still the one it recorded (its path there, with that inode)? */
static bool record_live(const struct tsn_cni_record *r)
{
	struct stat st;

	return r->netns[0] && !stat(r->netns, &st) && st.st_ino == r->netns_ino;
}

/* fn on each live record with a pod name in state dir dir, until it returns non-zero. */
typedef int (*pod_fn)(const struct tsn_cni_record *r, void *arg);

static int each_pod_in(const char *dir, pod_fn fn, void *arg)
{
	struct tsn_cni_record *recs;
	int n = tsn_cni_state_list(dir, &recs), i, e = 0;

	for (i = 0; i < n && !e; i++)
		if (recs[i].pod_name[0] && record_live(&recs[i]))
			e = fn(&recs[i], arg);
	free(recs);
	return e;
}

struct each_pod_args {
	pod_fn fn;
	void *arg;
};

static int each_pod_of_owner(const char *path, const char *owner, void *arg)
{
	struct each_pod_args *a = arg;

	return each_pod_in(owner, a->fn, a->arg);
}

/* fn on the pods of every state dir an owner file in the state root names. */
static int each_pod(pod_fn fn, void *arg)
{
	struct each_pod_args a = { fn, arg };

	return each_owner(each_pod_of_owner, &a);
}

struct pod_query {
	const char *ns, *name;	/* by name */
	size_t ns_len;
	__u32 ino;		/* by netns, or the answer */
	char *buf;
	size_t len;
};

static int match_name(const struct tsn_cni_record *r, void *arg)
{
	struct pod_query *q = arg;

	if (strlen(r->pod_namespace) != q->ns_len || strncmp(r->pod_namespace, q->ns, q->ns_len) ||
	    strcmp(r->pod_name, q->name))
		return 0;
	q->ino = r->netns_ino;
	return 1;
}

int tsn_cni_pod_netns(const char *spec, __u32 *ino)
{
	struct pod_query q = { .ns = "", .name = spec };
	const char *slash = strchr(spec, '/');

	if (slash) {
		q.ns = spec;
		q.ns_len = slash - spec;
		q.name = slash + 1;
	}
	if ((slash && !q.ns_len) || !q.name[0] || strchr(q.name, '/'))
		return -EINVAL;
	if (each_pod(match_name, &q) <= 0)
		return -ENOENT;
	*ino = q.ino;
	return 0;
}

static int match_netns(const struct tsn_cni_record *r, void *arg)
{
	struct pod_query *q = arg;

	if (r->netns_ino != q->ino)
		return 0;
	tsn_cni_pod_str(r, q->buf, q->len);
	return 1;
}

int tsn_cni_pod_by_netns(__u32 ino, char *buf, size_t len)
{
	struct pod_query q = { .ino = ino, .buf = buf, .len = len };

	return each_pod(match_netns, &q) > 0 ? 0 : -ENOENT;
}

void tsn_cni_pin_pods_read(const char *pin_dir, struct tsn_cni_pods *pods)
{
	char owner[PATH_MAX];

	pods->recs = NULL;
	pods->n = 0;
	if (tsn_cni_pin_owner(pin_dir, owner, sizeof(owner)))
		return;
	pods->n = tsn_cni_state_list(owner, &pods->recs);
	if (pods->n <= 0) {
		pods->recs = NULL;
		pods->n = 0;
	}
}

int tsn_cni_pin_pods_find(const struct tsn_cni_pods *pods, __u32 ino, char *buf, size_t len)
{
	struct pod_query q = { .ino = ino, .buf = buf, .len = len };
	int i;

	/* the inode first: record_live() is a stat, once for the match, not once per record */
	for (i = 0; i < pods->n; i++)
		if (pods->recs[i].pod_name[0] && pods->recs[i].netns_ino == ino &&
		    record_live(&pods->recs[i]) && match_netns(&pods->recs[i], &q))
			return 0;
	return -ENOENT;
}

void tsn_cni_pin_pods_free(struct tsn_cni_pods *pods)
{
	free(pods->recs);
	pods->recs = NULL;
	pods->n = 0;
}
