// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/proxy's error contract (proxy.h): failures return the -errno that says why, with one
 * line in err. Only paths that fail before anything is loaded or attached: the state they
 * read is a directory of this test's own under /tmp, removed on every path.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "proxy_priv.h"
#include "test.h"
#include "tsnproxy.skel.h"

static int start_on(const char *pin_dir, const char *nic, char *err, size_t errlen)
{
	struct tsn_proxy_opts o;
	bool adopted = false;

	tsn_proxy_opts_default(&o);
	o.pin_dir = pin_dir;
	o.nics[0] = nic;
	o.nic_count = nic ? 1 : 0;
	err[0] = '\0';
	return tsn_proxy_start(&o, &adopted, err, errlen);
}

TEST(proxy_start_errno)
{
	char dir[] = "/tmp/tk-unit-proxy-XXXXXX", maps[64], config[80], partial[64],
	     longdir[PATH_MAX], err[TSN_ERRLEN];
	size_t len, part;
	int fd;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(maps, sizeof(maps), "%s/maps", dir);
	snprintf(config, sizeof(config), "%s/config", maps);

	ASSERT_EQ(start_on(dir, NULL, err, sizeof(err)), -EINVAL, "no NIC: -EINVAL");
	ASSERT_TRUE(strstr(err, "no NIC given"), "no NIC: err says so");
	ASSERT_EQ(start_on(dir, "tk-no-such-nic", err, sizeof(err)), -ENODEV,
		  "unknown NIC: -ENODEV");
	ASSERT_TRUE(strstr(err, "unknown NIC 'tk-no-such-nic'"), "unknown NIC: err names it");

	/*
	 * a pin dir so long that the paths under it would be cut at PATH_MAX (components of 200
	 * characters, each a valid name)
	 */
	for (len = 0; len < PATH_MAX - 40; len += part) {
		part = PATH_MAX - 40 - len - 1 < 200 ? PATH_MAX - 40 - len - 1 : 200;
		longdir[len++] = '/';
		memset(longdir + len, 'd', part);
	}
	longdir[len] = '\0';
	ASSERT_EQ(start_on(longdir, "lo", err, sizeof(err)), -ENAMETOOLONG,
		  "a pin dir without room for its pins: -ENAMETOOLONG");
	ASSERT_TRUE(strstr(err, "not a usable directory name"), "too long: err says so");

	/* a pin dir named as another one's partial state, which that one's start would clear */
	snprintf(partial, sizeof(partial), "%s/tk-x-partial", dir);
	ASSERT_EQ(start_on(partial, "lo", err, sizeof(err)), -EINVAL, "X-partial: -EINVAL");
	ASSERT_TRUE(strstr(err, "pin dir may not end in -partial"), "X-partial: err says why");

	/*
	 * a state that looks running (maps/config exists) off bpffs: start refuses the pin dir
	 * before it reads or removes anything there
	 */
	if (ASSERT_OK(mkdir(maps, 0700), "mkdir maps")) {
		fd = open(config, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (ASSERT_GE(fd, 0, "create maps/config"))
			close(fd);
		ASSERT_EQ(start_on(dir, "lo", err, sizeof(err)), -ENOTSUP,
			  "pin dir off bpffs: -ENOTSUP");
		ASSERT_TRUE(strstr(err, "pin dir is not on bpffs"), "off bpffs: err says so");
		ASSERT_EQ(access(config, F_OK), 0, "off bpffs: the file is left alone");
	}
	unlink(config);
	rmdir(maps);
	ASSERT_OK(rmdir(dir), "test directory removed");
}

/*
 * The shapes a pinned map must have to be read (lib/proxy_pin.c) are those of tsnproxy.bpf.o's
 * maps: a struct that grows in progs/tsnkit.h without its row here would make every state look
 * damaged. Opened only: ELF and BTF, nothing loaded.
 */
TEST(proxy_map_pin_shapes)
{
	struct tsnproxy_bpf *skel = tsnproxy_bpf__open();
	const struct bpf_map *m;
	unsigned int i;

	if (!ASSERT_TRUE(skel, "open tsnproxy.bpf.o"))
		return;
	for (i = 0; i < PROXY_MAP_PINS; i++) {
		const struct proxy_map_pin *p = &proxy_map_pins[i];

		m = bpf_object__find_map_by_name(skel->obj, p->obj_name);
		if (!ASSERT_TRUE(m, p->obj_name))
			continue;
		ASSERT_EQ(bpf_map__type(m), p->type, p->name);
		ASSERT_EQ(bpf_map__key_size(m), p->key_size, p->name);
		ASSERT_EQ(bpf_map__value_size(m), p->value_size, p->name);
	}
	tsnproxy_bpf__destroy(skel);
}
