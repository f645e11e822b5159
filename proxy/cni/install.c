// SPDX-License-Identifier: GPL-2.0-only
/*
 * `tsn install` and `tsn uninstall`: add {"type": "tsn", ...} at the end of the primary
 * conflist (the one the runtime picks: the first .conflist, .conf or .json file of the conf dir in
 * byte order) or take it out again. The file is rewritten through a temporary file and
 * rename(), because the runtime may read it at any moment; a file that already holds the same
 * entry is not touched at all, so that a DaemonSet can re-run install in a loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "install.h"
#include "json.h"
#include "log.h"
#include "proxy.h"

#define MAX_CONF (4 << 20)

static bool conf_name(const char *n)
{
	static const char *const exts[] = { ".conflist", ".conf", ".json" };
	size_t len = strlen(n), i;

	if (n[0] == '.')
		return false;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);

		if (len > el && !strcmp(n + len - el, exts[i]))
			return true;
	}
	return false;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_conf(const struct dirent *d)
{
	return conf_name(d->d_name);
}

/* Parse path into *out; -EINVAL when it is not JSON (said only with warn_parse). */
static int read_json_file(const char *path, json_object **out, bool warn_parse)
{
	char err[256], *buf;
	ssize_t n;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_warn("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(MAX_CONF + 1);
	n = buf ? read(fd, buf, MAX_CONF) : -1;
	close(fd);
	if (n < 0 || n >= MAX_CONF) {
		pr_warn("cannot read %s (over %d bytes?)", path, MAX_CONF);
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	if (tsn_json_parse(buf, out, err, sizeof(err))) {
		if (warn_parse)
			pr_warn("%s is not valid JSON: %s", path, err);
		free(buf);
		return -EINVAL;
	}
	free(buf);
	return 0;
}

/* Replace path by the JSON of o, atomically, with the original file's mode. */
static int write_json_file(const char *path, json_object *o)
{
	char tmp[PATH_MAX + 16];
	const char *text, *base;
	struct stat st;
	mode_t mode = 0644;
	size_t len;
	int fd, e = 0;

	if (!stat(path, &st))
		mode = st.st_mode & 07777;
	/* ".name.tsn-tmp": hidden and without a config extension, so no runtime loads it */
	base = strrchr(path, '/');
	snprintf(tmp, sizeof(tmp), "%.*s.%s.tsn-tmp", base ? (int)(base - path + 1) : 0, path,
		 base ? base + 1 : path);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_SPACED |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0) {
		pr_warn("cannot create %s: %s", tmp, strerror(errno));
		return -errno;
	}
	if (fchmod(fd, mode) || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd))
		e = -errno;
	close(fd);
	if (!e && rename(tmp, path))
		e = -errno;
	if (e) {
		pr_warn("cannot write %s: %s", path, strerror(-e));
		unlink(tmp);
	}
	return e;
}

static time_t monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The primary configuration: --conflist, or the first config file (waiting until deadline). */
static int primary(const char *dir, const char *name, time_t deadline, char *path, size_t len)
{
	struct dirent **ents;
	int n, i, tries;

	if (name) {
		if (strchr(name, '/'))
			snprintf(path, len, "%s", name);
		else
			snprintf(path, len, "%s/%s", dir, name);
		return access(path, F_OK) ? -ENOENT : 0;
	}
	for (tries = 0;; tries++) {
		n = scandir(dir, &ents, only_conf, byte_order);
		if (n < 0) {
			pr_warn("cannot list %s: %s", dir, strerror(errno));
			return -errno;
		}
		if (n > 0)
			snprintf(path, len, "%s/%s", dir, ents[0]->d_name);
		for (i = 0; i < n; i++)
			free(ents[i]);
		free(ents);
		if (n > 0)
			return 0;
		if (monotonic_s() >= deadline)
			break;
		sleep(1);
	}
	pr_warn("no CNI configuration (*.conflist, *.conf, *.json) in %s%s", dir,
		tries ? " after waiting" : "");
	return -ENOENT;
}

static json_object *priorities_json(__u32 mask)
{
	json_object *a = json_object_new_array();
	int p;

	for (p = 0; p < 32; p++)
		if (mask & (1U << p))
			json_object_array_add(a, json_object_new_int(p));
	return a;
}

static int usage(const char *what)
{
	pr_warn("%s (see tsn --help)", what);
	return 2;
}

/* An option's argument that is none of its table's words: say which words it takes. */
static int bad_choice(const char *opt, const struct tsn_name *t, bool flag_set, const char *arg)
{
	char msg[256];

	tsn_name_complaint(msg, sizeof(msg), opt, t, flag_set, arg);
	return usage(msg);
}

/* The entry must parse as the plugin would parse it at ADD time: refuse to install junk. */
static int validate(json_object *plugin, json_object *list)
{
	struct tsn_cni_conf conf;
	struct tsn_cni_error e;
	json_object *probe, *v;
	int rc;

	if (json_object_deep_copy(plugin, &probe, NULL))
		return -ENOMEM;
	if (!json_object_object_get_ex(probe, "cniVersion", NULL))
		json_object_object_add(probe, "cniVersion",
				       json_object_object_get_ex(list, "cniVersion", &v) ?
					       json_object_get(v) :
					       json_object_new_string(TSN_CNI_SPEC_VERSION));
	rc = tsn_cni_conf_parse(json_object_to_json_string(probe), &conf, &e);
	json_object_put(probe);
	if (rc) {
		pr_warn("the tsn entry would be rejected by the plugin: %s%s%s", e.msg,
			e.details[0] ? ": " : "", e.details);
		return -EINVAL;
	}
	tsn_cni_conf_free(&conf);
	return 0;
}

/*
 * The primary's content. Its plugin's installer may write the file in place (cp creates it
 * empty, then writes): until the deadline of --wait, a file that does not parse yet is read
 * again once a second; after it, that is the error.
 */
static int read_primary(const char *path, time_t deadline, json_object **list)
{
	bool last;
	int e;

	for (;;) {
		last = monotonic_s() >= deadline;
		e = read_json_file(path, list, last);
		if (e != -EINVAL || last)
			return e;
		sleep(1);
	}
}

static int do_install(const char *path, json_object *plugin, time_t deadline)
{
	json_object *list;
	char err[256];
	bool changed;
	int e;

	e = read_primary(path, deadline, &list);
	if (e)
		return e;
	e = validate(plugin, list);
	if (!e && tsn_cni_conflist_insert(list, plugin, &changed, err, sizeof(err))) {
		pr_warn("%s: %s (tsn chains after a primary plugin: it needs a .conflist)", path,
			err);
		e = -EINVAL;
	}
	if (!e && changed)
		e = write_json_file(path, list);
	if (!e)
		printf("%s: %s\n", path, changed ? "installed" : "already installed");
	json_object_put(list);
	return e;
}

static int do_uninstall(const char *path, bool must_be_list)
{
	json_object *list;
	char err[256];
	int e, removed = 0;

	e = read_json_file(path, &list, true);
	if (e)
		return e;
	if (tsn_cni_conflist_remove(list, &removed, err, sizeof(err))) {
		/* a plain .conf has nothing of ours unless it was named explicitly */
		if (must_be_list) {
			pr_warn("%s: %s", path, err);
			e = -EINVAL;
		}
	} else if (removed) {
		e = write_json_file(path, list);
	}
	if (!e && (removed || must_be_list))
		printf("%s: %s\n", path, removed ? "uninstalled" : "not installed");
	json_object_put(list);
	return e;
}

int tsn_cni_install_main(int argc, char **argv, bool install)
{
	static const struct option opts[] = {
		{ "conf-dir", required_argument, NULL, 'd' },
		{ "conflist", required_argument, NULL, 'l' },
		{ "nic", required_argument, NULL, 'n' },
		{ "priorities", required_argument, NULL, 'p' },
		{ "on-disallowed", required_argument, NULL, 'o' },
		{ "restore", required_argument, NULL, 'r' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "log-file", required_argument, NULL, 'L' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "ttl-ms", required_argument, NULL, 't' },
		{ "save-hook", required_argument, NULL, 's' },
		{ "plugin", required_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *dir = NULL, *name = NULL, *nics[TSN_MAX_NICS];
	json_object *plugin = NULL, *nicv;
	char path[PATH_MAX], err[256];
	int c, nnic = 0, wait_s = 0, e = 0, i;
	time_t deadline;
	__u32 mask, value;

	plugin = json_object_new_object();
	optind = 1;
	opterr = 0;	/* one line of ours, not getopt's too */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (!install && c != 'd' && c != 'l' && c != 'h') {
			e = usage("uninstall takes only --conf-dir and --conflist");
			goto out;
		}
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			name = optarg;
			break;
		case 'n':
			if (nnic >= TSN_MAX_NICS || !tsn_cni_valid_ifname(optarg)) {
				e = usage("--nic: a valid interface name, at most 8 times");
				goto out;
			}
			nics[nnic++] = optarg;
			break;
		case 'p':
			if (tsn_parse_priorities(optarg, &mask)) {
				e = usage("--priorities takes a list like 1,2 or 0-3");
				goto out;
			}
			json_object_object_add(plugin, "priorities", priorities_json(mask));
			break;
		case 'o':
			if (tsn_name_parse(tsn_on_disallowed_names, optarg, &value)) {
				e = bad_choice("--on-disallowed", tsn_on_disallowed_names, false,
					       optarg);
				goto out;
			}
			tsn_json_add_str(plugin, "onDisallowed",
					 tsn_name_format(tsn_on_disallowed_names, value));
			break;
		case 'r':
			if (tsn_flags_parse(tsn_restore_names, optarg, &value)) {
				e = bad_choice("--restore", tsn_restore_names, true, optarg);
				goto out;
			}
			json_object_object_add(plugin, "restore",
					       tsn_flags_json(tsn_restore_names, value));
			break;
		case 's':
			if (tsn_name_parse(tsn_save_hook_names, optarg, &value)) {
				e = bad_choice("--save-hook", tsn_save_hook_names, false, optarg);
				goto out;
			}
			tsn_json_add_str(plugin, "saveHook",
					 tsn_name_format(tsn_save_hook_names, value));
			break;
		case 'P':
			tsn_json_add_str(plugin, "pinDir", optarg);
			break;
		case 'L':
			tsn_json_add_str(plugin, "logFile", optarg);
			break;
		case 'c':
		case 't':
			if (tsn_parse_u32(optarg, &value)) {
				e = usage(c == 'c' ? "--capacity takes a number" :
						     "--ttl-ms takes a number");
				goto out;
			}
			json_object_object_add(plugin, c == 'c' ? "capacity" : "ttlMs",
					       json_object_new_int64(value));
			break;
		case 'j': {
			json_object *given;

			if (tsn_json_parse(optarg, &given, err, sizeof(err)) ||
			    !json_object_is_type(given, json_type_object)) {
				e = usage("--plugin takes a JSON object");
				goto out;
			}
			/* options given so far stay on top of the object */
			json_object_object_foreach(plugin, k, v)
				json_object_object_add(given, k, json_object_get(v));
			json_object_put(plugin);
			plugin = given;
			break;
		}
		case 'w':
			if (tsn_parse_u32(optarg, &value) || value > INT_MAX) {
				e = usage("--wait takes a number of seconds");
				goto out;
			}
			wait_s = (int)value;
			break;
		case 'h':
			fputs("tsn install|uninstall --conf-dir DIR [options]: see tsn --help\n",
			      stdout);
			goto out;
		default: {	/* '?' unknown, ':' without its argument (getopt's own line is off) */
			char msg[160];

			snprintf(msg, sizeof(msg), "%s '%s'", c == ':' ? "missing the argument of" :
				 "unknown option", argv[optind - 1]);
			e = usage(msg);
			goto out;
		}
		}
	}
	if (optind < argc) {
		e = usage("unexpected argument");
		goto out;
	}
	if (!dir) {
		e = usage("--conf-dir DIR is required");
		goto out;
	}
	if (install) {
		/* the entry starts with its type, like the entries a person writes */
		json_object *entry = json_object_new_object();

		tsn_json_add_str(entry, "type", "tsn");
		if (nnic == 1) {
			tsn_json_add_str(entry, "tsnIfname", nics[0]);
		} else if (nnic > 1) {
			nicv = json_object_new_array();
			for (i = 0; i < nnic; i++)
				json_object_array_add(nicv, json_object_new_string(nics[i]));
			json_object_object_add(entry, "tsnIfname", nicv);
		}
		json_object_object_foreach(plugin, k, v) {
			if (strcmp(k, "type") && (strcmp(k, "tsnIfname") || !nnic))
				json_object_object_add(entry, k, json_object_get(v));
		}
		json_object_put(plugin);
		plugin = entry;
		/* one --wait for both: the file to appear, then to parse */
		deadline = monotonic_s() + wait_s;
		e = primary(dir, name, deadline, path, sizeof(path));
		if (e == -ENOENT && name)
			pr_warn("%s does not exist", path);
		e = e ? e : do_install(path, plugin, deadline);
	} else if (name) {
		e = primary(dir, name, monotonic_s(), path, sizeof(path));
		if (e)
			pr_warn("%s does not exist", path);
		else
			e = do_uninstall(path, true);
	} else {
		struct dirent **ents;
		int n = scandir(dir, &ents, only_conf, byte_order);

		if (n < 0) {
			pr_warn("cannot list %s: %s", dir, strerror(errno));
			e = -errno;
		}
		/* every file: the primary may have changed since install */
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			e = do_uninstall(path, false) ?: e;
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
	}
	e = e > 0 ? e : (e ? 1 : 0);
out:
	json_object_put(plugin);
	return e;
}
