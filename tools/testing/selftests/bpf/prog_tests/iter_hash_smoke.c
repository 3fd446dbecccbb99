// SPDX-License-Identifier: GPL-2.0
/* Harness smoke test: the upstream bpf_map_elem iterator prints exactly the
 * elements user space put into a hash map.
 */
#include <test_progs.h>
#include "iter_hash_smoke.skel.h"
#include "map_trace_helpers.h"

#define NR_ELEMS 10

static int cmp_u32(const void *a, const void *b)
{
	return *(const __u32 *)a - *(const __u32 *)b;
}

void test_iter_hash_smoke(void)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct iter_hash_smoke *skel;
	struct bpf_link *link = NULL;
	__u32 keys[NR_ELEMS], key;
	char buf[1024], *line;
	int map_fd, iter_fd = -1, len, n = 0, i;
	__u64 val;

	skel = iter_hash_smoke__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	map_fd = bpf_map__fd(skel->maps.smoke_map);
	for (i = 0; i < NR_ELEMS; i++) {
		key = 100 + i;
		val = (__u64)key * key + 7;
		if (!ASSERT_OK(bpf_map_update_elem(map_fd, &key, &val, BPF_NOEXIST), "update"))
			goto out;
	}

	linfo.map.map_fd = map_fd;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(skel->progs.dump_smoke, &opts);
	if (!ASSERT_OK_PTR(link, "attach_iter"))
		goto out;
	iter_fd = bpf_iter_create(bpf_link__fd(link));
	if (!ASSERT_GE(iter_fd, 0, "iter_create"))
		goto out;
	len = read_all(iter_fd, buf, sizeof(buf) - 1);
	if (!ASSERT_GT(len, 0, "read"))
		goto out;
	buf[len] = 0;

	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long v;
		int fields;

		fields = sscanf(line, "%u %llu", &key, &v);
		if (!ASSERT_EQ(fields, 2, "parse"))
			goto out;
		if (!ASSERT_EQ(v, (__u64)key * key + 7, "value of key"))
			goto out;
		if (!ASSERT_LT(n, NR_ELEMS, "too many lines"))
			goto out;
		keys[n++] = key;
	}
	ASSERT_EQ(n, NR_ELEMS, "lines");
	ASSERT_EQ(skel->bss->elems_seen, NR_ELEMS, "elems_seen");
	qsort(keys, n, sizeof(keys[0]), cmp_u32);
	for (i = 0; i < n; i++)
		ASSERT_EQ(keys[i], 100 + i, "key");
out:
	if (iter_fd >= 0)
		close(iter_fd);
	bpf_link__destroy(link);
	iter_hash_smoke__destroy(skel);
}
