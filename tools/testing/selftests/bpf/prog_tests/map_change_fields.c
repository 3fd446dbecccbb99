// SPDX-License-Identifier: GPL-2.0
/*
 * Special fields (bpf_spin_lock, kptr) in a map value are zero in change
 * records, whatever the writer passed and whatever the element held.
 */
#include <test_progs.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "map_change_fields.skel.h"

struct fields_val {
	__u32 lock;
	__u32 pad;
	__u64 data;
	__u64 node;
};

struct list_val {
	__u32 lock;
	__u32 pad;
	__u64 head[2];
	__u64 data;
};

/* A list head in the value: zero in the record, no kernel address. */
static void test_list_head(struct map_change_fields *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 1);
	struct bpf_link *link;
	struct list_val v, out[2];
	int fd, iter, len;
	__u32 k = 1;

	fd = bpf_map__fd(skel->maps.list_map);
	link = attach_map_iter(skel->progs.dump_list, fd, 0);
	if (!ASSERT_OK_PTR(link, "attach"))
		return;
	memset(&v, 0xff, sizeof(v));
	v.data = 5;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	/* the removed value has a non-empty list */
	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.push_elem),
					 &topts), "push_elem");
	ASSERT_EQ(skel->bss->stored, 2, "elem pushed");
	ASSERT_OK(bpf_map_delete_elem(fd, &k), "delete");
	iter = bpf_iter_create(bpf_link__fd(link));
	if (ASSERT_GE(iter, 0, "iter_create")) {
		len = read_all(iter, out, sizeof(out));
		close(iter);
		if (ASSERT_EQ(len, sizeof(out), "two records")) {
			ASSERT_EQ(out[0].lock, 0, "update: lock zeroed");
			ASSERT_EQ(out[0].head[0] | out[0].head[1], 0, "update: list head zeroed");
			ASSERT_EQ(out[0].data, 5, "update: data");
			ASSERT_EQ(out[1].head[0] | out[1].head[1], 0, "delete: list head zeroed");
			ASSERT_EQ(out[1].data, 5, "delete: data");
		}
	}
	bpf_link__destroy(link);
}

void test_map_change_fields(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 1);
	static const __u64 want_op[] = { BPF_MAP_CHANGE_UPDATE,
		BPF_MAP_CHANGE_UPDATE, BPF_MAP_CHANGE_DELETE };
	static const __u64 want_data[] = { ~0ULL, 9, 9 };
	struct map_change_fields *skel;
	struct bpf_link *link = NULL;
	struct fields_val v;
	__u64 out[8][4];
	int fd, iter, len, i;
	__u32 k = 1;

	skel = map_change_fields__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	fd = bpf_map__fd(skel->maps.fields_map);
	link = attach_map_iter(skel->progs.dump_fields, fd, 0);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;

	/* garbage where the lock and the kptr are */
	memset(&v, 0xff, sizeof(v));
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.store_kptr),
					 &topts), "store_kptr");
	ASSERT_EQ(skel->bss->stored, 1, "kptr stored");
	v.data = 9;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_F_LOCK), "update F_LOCK");
	/* the removed value holds a live kptr */
	ASSERT_OK(bpf_map_delete_elem(fd, &k), "delete");

	iter = bpf_iter_create(bpf_link__fd(link));
	if (!ASSERT_GE(iter, 0, "iter_create"))
		goto out;
	len = read_all(iter, out, sizeof(out));
	close(iter);
	if (!ASSERT_EQ(len, 3 * sizeof(out[0]), "three records"))
		goto out;
	for (i = 0; i < 3; i++) {
		memcpy(&v, &out[i][1], sizeof(v));
		ASSERT_EQ(out[i][0], want_op[i], "op");
		ASSERT_EQ(v.lock, 0, "spin lock zeroed");
		ASSERT_EQ(v.data, want_data[i], "data");
		ASSERT_EQ(v.node, 0, "kptr zeroed");
	}
	test_list_head(skel);
out:
	bpf_link__destroy(link);
	map_change_fields__destroy(skel);
}
