// SPDX-License-Identifier: GPL-2.0
/*
 * The bpf_map_elem iterator of a hash map walks every element that stays
 * in the map, while its elements are freed and reused under the walk.
 *
 * Here the walk itself deletes the element it stands on and inserts a new
 * key, which takes the element just freed (a preallocated map reuses it
 * at once). The walk then follows that element into another bucket's
 * chain: without walking its bucket again, the iterator skipped the rest
 * of the bucket, and keys it never showed were never moved.
 */
#include <test_progs.h>
#include "iter_hash_reuse.skel.h"

#define NR_KEYS	60

void test_iter_hash_reuse(void)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct iter_hash_reuse *skel;
	struct bpf_link *link = NULL;
	__u32 k, v = 0, left = 0;
	int fd, iter_fd = -1;
	char buf[64];

	skel = iter_hash_reuse__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	fd = bpf_map__fd(skel->maps.reuse);
	for (k = 0; k < NR_KEYS; k++)
		if (!ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), "fill"))
			goto out;

	linfo.map.map_fd = fd;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(skel->progs.walk_and_move, &opts);
	if (!ASSERT_OK_PTR(link, "attach_iter"))
		goto out;
	iter_fd = bpf_iter_create(bpf_link__fd(link));
	if (!ASSERT_GE(iter_fd, 0, "iter_create"))
		goto out;
	/* one read(): the walk is not resumed from a count of elements */
	ASSERT_EQ(read(iter_fd, buf, sizeof(buf)), 0, "read");

	for (k = 0; k < NR_KEYS; k++)
		left += !bpf_map_lookup_elem(fd, &k, &v);
	ASSERT_EQ(skel->bss->walked, NR_KEYS, "every key walked");
	ASSERT_EQ(skel->bss->moved, NR_KEYS, "every key moved");
	ASSERT_EQ(left, 0, "no key left behind");
out:
	if (iter_fd >= 0)
		close(iter_fd);
	bpf_link__destroy(link);
	iter_hash_reuse__destroy(skel);
}
