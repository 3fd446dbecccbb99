// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_LINK_UPDATE of an iterator link checks the new program as the attach
 * checked the old one: against the buffers the target passes, and for a
 * sleepable program, against the target's support for rescheduling.
 */
#include <test_progs.h>
#include "iter_link_update.skel.h"

static int read_iter(struct bpf_link *link)
{
	char buf[64];
	int fd, n;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n;
}

static int replace(struct bpf_link *link, struct bpf_program *prog)
{
	return bpf_link_update(bpf_link__fd(link), bpf_program__fd(prog), NULL);
}

static struct bpf_link *attach_elem(struct bpf_program *prog, int map_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};

	linfo.map.map_fd = map_fd;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	return bpf_program__attach_iter(prog, &opts);
}

static void test_map_elem(struct iter_link_update *skel)
{
	int fd = bpf_map__fd(skel->maps.elems);
	struct bpf_link *link;
	__u64 value;
	__u32 key;

	for (key = 1; key <= 3; key++) {
		value = key * 100;
		if (!ASSERT_OK(bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST), "fill"))
			return;
	}
	link = attach_elem(skel->progs.read_key, fd);
	if (!ASSERT_OK_PTR(link, "attach_iter"))
		return;

	/* a replacement let through is undone before the link runs again */
	if (!ASSERT_EQ(replace(link, skel->progs.read_past_key), -EACCES,
		       "read past the key"))
		replace(link, skel->progs.read_key);
	if (!ASSERT_EQ(replace(link, skel->progs.write_past_value), -EACCES,
		       "write past the value"))
		replace(link, skel->progs.read_key);
	if (!ASSERT_EQ(replace(link, skel->progs.elem_sleepable), -EINVAL,
		       "sleepable on a target that does not reschedule"))
		replace(link, skel->progs.read_key);
	/* the refused replacements left the link's program alone */
	skel->bss->sum = 0;
	ASSERT_OK(read_iter(link), "read");
	ASSERT_EQ(skel->bss->sum, 1 + 2 + 3, "keys read by read_key");

	ASSERT_OK(replace(link, skel->progs.read_value), "within the target's bounds");
	skel->bss->sum = 0;
	ASSERT_OK(read_iter(link), "read");
	ASSERT_EQ(skel->bss->sum, 100 + 200 + 300, "values read by read_value");
	bpf_link__destroy(link);
}

/* per-CPU values are passed rounded up to 8 bytes, one per possible CPU */
static void test_percpu(struct iter_link_update *skel)
{
	int fd = bpf_map__fd(skel->maps.pcpu), ncpus = libbpf_num_possible_cpus();
	struct bpf_link *link;
	__u64 *values;
	__u32 key = 1;

	if (!ASSERT_GT(ncpus, 0, "possible cpus"))
		return;
	values = calloc(ncpus, sizeof(*values));
	if (!ASSERT_OK_PTR(values, "calloc"))
		return;
	values[0] = 42;
	if (!ASSERT_OK(bpf_map_update_elem(fd, &key, values, BPF_NOEXIST), "fill"))
		goto out;
	link = attach_elem(skel->progs.read_key, fd);
	if (!ASSERT_OK_PTR(link, "attach_iter"))
		goto out;
	ASSERT_OK(replace(link, skel->progs.read_pcpu_padded),
		  "within the padded per-CPU value");
	skel->bss->sum = 0;
	ASSERT_OK(read_iter(link), "read");
	ASSERT_EQ(skel->bss->sum, 42, "CPU 0's value");
	bpf_link__destroy(link);
out:
	free(values);
}

static void test_task(struct iter_link_update *skel)
{
	struct bpf_link *link;

	link = bpf_program__attach_iter(skel->progs.task_plain, NULL);
	if (!ASSERT_OK_PTR(link, "attach_iter"))
		return;
	ASSERT_OK(replace(link, skel->progs.task_sleepable),
		  "sleepable on a target that reschedules");
	skel->bss->tasks = 0;
	ASSERT_OK(read_iter(link), "read");
	ASSERT_GT(skel->bss->tasks, 0, "tasks seen by the sleepable program");
	bpf_link__destroy(link);
}

void test_iter_link_update(void)
{
	struct iter_link_update *skel;

	skel = iter_link_update__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (test__start_subtest("map_elem"))
		test_map_elem(skel);
	if (test__start_subtest("percpu"))
		test_percpu(skel);
	if (test__start_subtest("task"))
		test_task(skel);
	iter_link_update__destroy(skel);
}
