// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tsn CNI plugin's state records (lib/cni_state.c), in a directory of the test's own: what
 * the readers hand back when a record is there but does not parse (a torn or edited file).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cni_state.h"
#include "test.h"

static int damage(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	/* in place: the file keeps its inode, so its index link stays current */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r+");
	if (!f)
		return -1;
	fputs("{\"containerID\": tor", f);
	return fclose(f);
}

static struct tsn_cni_record record(const char *cid, __u32 ino)
{
	struct tsn_cni_record r = {};

	snprintf(r.container_id, sizeof(r.container_id), "%s", cid);
	snprintf(r.ifname, sizeof(r.ifname), "eth0");
	snprintf(r.network, sizeof(r.network), "tsn-unit");
	snprintf(r.netns, sizeof(r.netns), "/proc/self/ns/net");
	r.netns_ino = ino;
	return r;
}

TEST(cni_state_damaged_records)
{
	char dir[] = "/tmp/tsn-unit-cni-state.XXXXXX";
	struct tsn_cni_record good = record("good", 4242), bad = record("bad", 4343);
	struct tsn_cni_record *recs;
	int n;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	if (!ASSERT_OK(tsn_cni_state_write(dir, &good), "write the good record") ||
	    !ASSERT_OK(tsn_cni_state_write(dir, &bad), "write the record to damage") ||
	    !ASSERT_OK(damage(dir, "bad:eth0"), "damage it"))
		goto out;

	n = tsn_cni_state_list(dir, &recs);
	if (ASSERT_EQ(n, 1, "list: the record that parses") && recs)
		ASSERT_STREQ(recs[0].container_id, "good", "list: which one");
	free(recs);

	/* the callers free the array when the count is 0: it must be NULL then */
	n = tsn_cni_state_by_netns(dir, bad.netns_ino, &recs);
	ASSERT_EQ(n, 0, "by netns: the damaged record's inode has none that parses");
	ASSERT_TRUE(recs == NULL, "by netns: no array for no record");
	free(recs);
	n = tsn_cni_state_by_netns(dir, good.netns_ino, &recs);
	ASSERT_EQ(n, 1, "by netns: the good record's inode");
	free(recs);

	if (!ASSERT_OK(tsn_cni_state_remove(dir, &good), "remove the good record"))
		goto out;
	n = tsn_cni_state_list(dir, &recs);
	ASSERT_EQ(n, 0, "list: only the damaged record is left");
	ASSERT_TRUE(recs == NULL, "list: no array for no record");
	free(recs);
out:
	test_sh("rm -rf '%s'", dir);
}
