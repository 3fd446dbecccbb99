// SPDX-License-Identifier: GPL-2.0
/*
 * Map change history: every supported map type and every update/delete path
 * is recorded by the bpf_map_change iterator, record by record; fentry and
 * fexit programs on the trace hooks see the same changes.
 */
#include <test_progs.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cap_helpers.h"
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "progs/map_change_common.h"
#include "map_change.skel.h"

#define MAX_RECS 512

enum {
	T_HASH, T_HASH_NOPREALLOC, T_LRU, T_ARRAY, T_PCPU_HASH, T_LRU_PCPU,
	T_PCPU_ARRAY,
};

struct expect {
	__u32 op;
	__u32 key;
	__u64 val[2];
	__u32 origin;
	__u32 flags;
	__u32 nr_percpu;	/* 0: not per-CPU, 1: one CPU's, else all */
};

/* What the subtests of a run share: no state at file scope. */
struct mc_ctx {
	struct change_rec recs[MAX_RECS];
	char comm[16];
	int nr_cpus;
};

/* One read() session of the iterator: the records present when it started. */
static int read_recs(struct mc_ctx *mc, struct bpf_link *link)
{
	return read_iter_recs(link, mc->recs, sizeof(mc->recs),
			      sizeof(mc->recs[0]));
}

static int prog_write(struct map_change *skel, __u32 target, __u32 op,
		      __u32 key, __u64 val, __u64 flags)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 1);
	int err;

	skel->bss->target = target;
	skel->bss->op = op;
	skel->bss->key = key;
	skel->bss->val = val;
	skel->bss->flags = flags;
	skel->bss->ret = -1;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.write_maps),
				     &topts);
	return err ?: skel->bss->ret;
}

static void check_rec(const struct mc_ctx *mc, const struct change_rec *r,
		      const struct expect *e, __u64 seq, __u32 id)
{
	__u32 vsize = e->nr_percpu ? 8 * e->nr_percpu : 8;

	ASSERT_EQ(r->seq, seq, "seq");
	ASSERT_EQ(r->lost, 0, "lost");
	ASSERT_EQ(r->op, e->op, "op");
	ASSERT_EQ(r->key, e->key, "key");
	ASSERT_EQ(r->val[0], e->val[0], "value");
	if (e->nr_percpu > 1)
		ASSERT_EQ(r->val[1], e->val[1], "value of cpu 1");
	ASSERT_EQ(r->origin, e->origin, "origin");
	ASSERT_EQ(r->flags, e->flags, "flags");
	ASSERT_EQ(r->nr_percpu, e->nr_percpu, "nr_percpu");
	ASSERT_EQ(r->value_size, vsize, "value_size");
	ASSERT_EQ(r->key_size, 4, "key_size");
	ASSERT_EQ(r->tgid, getpid(), "tgid");
	ASSERT_EQ(r->pid, syscall(SYS_gettid), "pid");
	ASSERT_EQ(r->uid, getuid(), "uid");
	ASSERT_STREQ(r->comm, mc->comm, "comm");
	ASSERT_EQ(r->map_id, id, "map_id");
	ASSERT_LT(r->cpu, mc->nr_cpus, "cpu");
	ASSERT_GT(r->ts_ns, 0, "ts_ns");
}

static void check_recs(struct mc_ctx *mc, int n, const struct expect *e,
		       int ne, __u32 id)
{
	struct change_rec *recs = mc->recs;
	int i;

	if (!ASSERT_EQ(n, ne, "number of records"))
		return;
	for (i = 0; i < n; i++) {
		check_rec(mc, &recs[i], &e[i], i, id);
		if (i)
			ASSERT_GE(recs[i].ts_ns, recs[i - 1].ts_ns, "ts order");
	}
}

#define O_SYS BPF_MAP_CHANGE_SYSCALL
#define O_PROG BPF_MAP_CHANGE_PROG
#define UPD BPF_MAP_CHANGE_UPDATE
#define DEL BPF_MAP_CHANGE_DELETE
#define LDEL BPF_MAP_CHANGE_LOOKUP_DELETE
#define EVICT BPF_MAP_CHANGE_EVICT

/*
 * A map whose values are one __u64: updates from the syscall (single and
 * batch), from a program; for hashes also delete (syscall, batch, program)
 * and lookup-and-delete (single, batch). Failed operations record nothing.
 */
static void test_plain(struct mc_ctx *mc, struct map_change *skel,
		       struct bpf_map *map, __u32 target, bool is_hash)
{
	static const struct expect hash_exp[] = {
		{ UPD, 1, {10}, O_SYS, BPF_ANY },
		{ UPD, 1, {11}, O_SYS, BPF_EXIST },
		{ UPD, 2, {20}, O_PROG, BPF_ANY },
		{ UPD, 3, {30}, O_SYS, BPF_ANY },
		{ UPD, 4, {40}, O_SYS, BPF_ANY },
		{ DEL, 1, {11}, O_SYS },
		{ DEL, 3, {30}, O_PROG },
		{ LDEL, 2, {20}, O_SYS },
		{ DEL, 4, {40}, O_SYS },
		{ UPD, 5, {50}, O_SYS, BPF_NOEXIST },
		{ LDEL, 5, {50}, O_SYS },
	};
	__u32 keys[2] = { 3, 4 }, k, count;
	__u64 vals[2] = { 30, 40 }, v;
	int fd = bpf_map__fd(map), n, nexp;
	struct bpf_link *link;

	link = attach_map_iter(skel->progs.dump_u64, fd, 64);
	if (!ASSERT_OK_PTR(link, "attach"))
		return;

	k = 1;
	v = 10;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	v = 11;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_EXIST), "update exist");
	v = 12;
	ASSERT_EQ(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST, "noexist fails");
	ASSERT_OK(prog_write(skel, target, 0, 2, 20, BPF_ANY), "prog update");
	count = 2;
	ASSERT_OK(bpf_map_update_batch(fd, keys, vals, &count, NULL), "update batch");
	nexp = 5;
	if (is_hash) {
		k = 1;
		ASSERT_OK(bpf_map_delete_elem(fd, &k), "delete");
		ASSERT_EQ(bpf_map_delete_elem(fd, &k), -ENOENT, "delete missing fails");
		ASSERT_OK(prog_write(skel, target, 1, 3, 0, 0), "prog delete");
		k = 2;
		ASSERT_OK(bpf_map_lookup_and_delete_elem(fd, &k, &v), "lookup_and_delete");
		count = 1;
		ASSERT_OK(bpf_map_delete_batch(fd, &keys[1], &count, NULL), "delete batch");
		k = 5;
		v = 50;
		ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), "update noexist");
		count = 2;
		n = bpf_map_lookup_and_delete_batch(fd, NULL, &k, keys, vals, &count, NULL);
		ASSERT_TRUE(n == 0 || n == -ENOENT, "lookup_and_delete_batch");
		ASSERT_EQ(count, 1, "batch count");
		nexp = ARRAY_SIZE(hash_exp);
	} else {
		k = 1;
		ASSERT_ERR(bpf_map_delete_elem(fd, &k), "array delete fails");
	}

	n = read_recs(mc, link);
	check_recs(mc, n, hash_exp, nexp, map_id(fd));
	/* reading does not consume */
	ASSERT_EQ(read_recs(mc, link), nexp, "second read");
	bpf_link__destroy(link);
}

/*
 * Per-CPU maps: the syscall writes and records every CPU's value; a
 * program writes and records one value, its CPU's; a removal records every
 * CPU's removed value.
 */
static void test_percpu(struct mc_ctx *mc, struct map_change *skel,
			struct bpf_map *map, __u32 target, bool is_hash)
{
	int fd = bpf_map__fd(map), nr_cpus = mc->nr_cpus, n, i, c;
	struct expect exp[8] = {};
	__u32 bkeys[1] = { 3 }, count;
	struct bpf_link *link = NULL;
	__u64 *vals;
	__u32 k;

	/* the checks look at the values of CPUs 0 and 1 */
	if (skip_if_cpus_below(__func__, 2, 0))
		return;
	vals = calloc(nr_cpus, sizeof(*vals));
	if (!ASSERT_OK_PTR(vals, "calloc"))
		return;
	link = attach_map_iter(skel->progs.dump_pcpu, fd, 64);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;

	for (i = 0; i < nr_cpus; i++)
		vals[i] = 100 + i;
	k = 1;
	ASSERT_OK(bpf_map_update_elem(fd, &k, vals, BPF_ANY), "update");
	exp[0] = (struct expect){ UPD, 1, {100, 101}, O_SYS, 0, nr_cpus };
	ASSERT_OK(prog_write(skel, target, 0, 1, 7, BPF_ANY), "prog update");
	exp[1] = (struct expect){ UPD, 1, {7}, O_PROG, 0, 1 };
	for (i = 0; i < nr_cpus; i++)
		vals[i] = 300 + i;
	count = 1;
	ASSERT_OK(bpf_map_update_batch(fd, bkeys, vals, &count, NULL), "update batch");
	exp[2] = (struct expect){ UPD, 3, {300, 301}, O_SYS, 0, nr_cpus };
	n = 3;
	if (is_hash) {
		/* a program's delete removes every CPU's value */
		ASSERT_OK(prog_write(skel, target, 1, 3, 0, 0), "prog delete");
		exp[3] = (struct expect){ DEL, 3, {300, 301}, O_PROG, 0, nr_cpus };
		ASSERT_OK(bpf_map_delete_elem(fd, &k), "delete");
		for (i = 0; i < nr_cpus; i++)
			vals[i] = 200 + i;
		k = 2;
		ASSERT_OK(bpf_map_update_elem(fd, &k, vals, BPF_ANY), "update 2");
		ASSERT_OK(bpf_map_lookup_and_delete_elem(fd, &k, vals), "lookup_and_delete");
		ASSERT_EQ(vals[1], 201, "looked up value");
		exp[5] = (struct expect){ UPD, 2, {200, 201}, O_SYS, 0, nr_cpus };
		exp[6] = (struct expect){ LDEL, 2, {200, 201}, O_SYS, 0, nr_cpus };
		n = 7;
	}

	if (!ASSERT_EQ(read_recs(mc, link), n, "number of records"))
		goto out;
	/* the program's update changed only the value of the CPU it ran on */
	c = mc->recs[1].cpu;
	if (is_hash)
		exp[4] = (struct expect){ DEL, 1, {c == 0 ? 7 : 100, c == 1 ? 7 : 101},
					  O_SYS, 0, nr_cpus };
	check_recs(mc, n, exp, n, map_id(fd));
out:
	bpf_link__destroy(link);
	free(vals);
}

static void test_types(struct mc_ctx *mc)
{
	struct map_change *skel;

	skel = map_change__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (test__start_subtest("hash"))
		test_plain(mc, skel, skel->maps.hash_map, T_HASH, true);
	if (test__start_subtest("hash_noprealloc"))
		test_plain(mc, skel, skel->maps.hash_noprealloc,
			   T_HASH_NOPREALLOC, true);
	if (test__start_subtest("lru_hash"))
		test_plain(mc, skel, skel->maps.lru_map, T_LRU, true);
	if (test__start_subtest("array"))
		test_plain(mc, skel, skel->maps.array_map, T_ARRAY, false);
	if (test__start_subtest("percpu_hash"))
		test_percpu(mc, skel, skel->maps.pcpu_hash, T_PCPU_HASH, true);
	if (test__start_subtest("lru_percpu_hash"))
		test_percpu(mc, skel, skel->maps.lru_pcpu_hash, T_LRU_PCPU, true);
	if (test__start_subtest("percpu_array"))
		test_percpu(mc, skel, skel->maps.pcpu_array, T_PCPU_ARRAY, false);
	map_change__destroy(skel);
}

/* LRU eviction is recorded as its own op, with the evicted key and value. */
static void test_lru_evict(struct mc_ctx *mc, struct map_change *skel,
			   __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = flags);
	bool evicted[64] = {}, live[64] = {};
	int fd, i, n, nr_upd = 0, nr_evict = 0, nr_live = 0;
	struct bpf_link *link = NULL;
	__u32 k, next;
	__u64 v;

	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "lru_evict", 4, 8, 16, &mopts);
	if (!ASSERT_GE(fd, 0, "map_create"))
		return;
	link = attach_map_iter(skel->progs.dump_u64, fd, 256);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	for (k = 0; k < 64; k++) {
		v = k * 3;
		if (!ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update"))
			goto out;
	}
	for (i = bpf_map_get_next_key(fd, NULL, &next); !i;
	     i = bpf_map_get_next_key(fd, &next, &next)) {
		live[next] = true;
		nr_live++;
	}

	n = read_recs(mc, link);
	for (i = 0; i < n; i++) {
		struct change_rec *r = &mc->recs[i];

		ASSERT_EQ(r->seq, i, "seq");
		ASSERT_LT(r->key, 64, "key");
		ASSERT_EQ(r->val[0], r->key * 3, "value");
		if (r->op == UPD) {
			nr_upd++;
			continue;
		}
		if (!ASSERT_EQ(r->op, EVICT, "op"))
			continue;
		ASSERT_FALSE(evicted[r->key], "evicted once");
		ASSERT_FALSE(live[r->key], "evicted key is gone");
		evicted[r->key] = true;
		nr_evict++;
	}
	ASSERT_EQ(nr_upd, 64, "updates");
	ASSERT_GT(nr_evict, 0, "evictions");
	ASSERT_EQ(nr_evict + nr_live, 64, "evicted + live");
out:
	bpf_link__destroy(link);
	close(fd);
}

/* fentry/fexit on the hooks see the same changes, tracing or not. */
static void test_hooks(struct mc_ctx *mc)
{
	LIBBPF_OPTS(bpf_map_create_opts, hopts);
	struct {
		__u32 delete, key;
		__u64 val;
		__u64 flags;
	} exp[] = {
		{ 0, 1, 10, BPF_ANY }, { 0, 2, 20, BPF_NOEXIST }, { 1, 1, 10 },
		{ 1, 2, 20 }, { 0, 3, 30, BPF_ANY }, { 1, 3, 30 },
		{ 0, 4, 40, BPF_ANY }, { 0, 5, 50, BPF_ANY }, { 1, 4, 40 },
		{ 1, 5, 50 },
	};
	__u32 keys[2] = { 4, 5 }, k, count;
	__u64 vals[2] = { 40, 50 }, v;
	int fd, inner = -1, outer = -1, i;
	struct map_change *skel;
	struct hook_event *e;
	__u64 *pvals;

	skel = map_change__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	fd = bpf_map__fd(skel->maps.hash_map);
	skel->bss->hook_map_id = map_id(fd);
	skel->links.on_update = bpf_program__attach(skel->progs.on_update);
	skel->links.on_delete = bpf_program__attach(skel->progs.on_delete);
	if (!ASSERT_OK_PTR(skel->links.on_update, "attach on_update") ||
	    !ASSERT_OK_PTR(skel->links.on_delete, "attach on_delete"))
		goto out;

	k = 1;
	v = 10;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	ASSERT_OK(prog_write(skel, T_HASH, 0, 2, 20, BPF_NOEXIST), "prog update");
	ASSERT_EQ(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST, "failed update");
	ASSERT_OK(bpf_map_delete_elem(fd, &k), "delete");
	ASSERT_OK(prog_write(skel, T_HASH, 1, 2, 0, 0), "prog delete");
	k = 3;
	v = 30;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	ASSERT_OK(bpf_map_lookup_and_delete_elem(fd, &k, &v), "lookup_and_delete");
	count = 2;
	ASSERT_OK(bpf_map_update_batch(fd, keys, vals, &count, NULL), "update batch");
	count = 1;
	ASSERT_OK(bpf_map_delete_batch(fd, keys, &count, NULL), "delete batch");
	count = 2;
	i = bpf_map_lookup_and_delete_batch(fd, NULL, &k, keys, vals, &count, NULL);
	ASSERT_TRUE(i == 0 || i == -ENOENT, "lookup_and_delete_batch");

	if (!ASSERT_EQ(skel->bss->nr_events, ARRAY_SIZE(exp), "hook events"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(exp); i++) {
		e = &skel->bss->events[i];
		ASSERT_EQ(e->delete, exp[i].delete, "delete");
		ASSERT_EQ(e->key, exp[i].key, "key");
		ASSERT_EQ(e->has_value, 1, "has value");
		ASSERT_EQ(e->val, exp[i].val, "value");
		ASSERT_EQ(e->flags, exp[i].flags, "flags");
		ASSERT_EQ(e->nr_percpu, 0, "nr_percpu");
	}

	/*
	 * Per-CPU updates say how many values they pass: one from a program,
	 * every CPU's from the syscall. Removals pass no value.
	 */
	fd = bpf_map__fd(skel->maps.pcpu_hash);
	skel->bss->hook_map_id = map_id(fd);
	skel->bss->nr_events = 0;
	memset(skel->bss->events, 0, sizeof(skel->bss->events));
	ASSERT_OK(prog_write(skel, T_PCPU_HASH, 0, 9, 90, BPF_ANY), "pcpu update");
	pvals = calloc(mc->nr_cpus, sizeof(*pvals));
	if (ASSERT_OK_PTR(pvals, "calloc")) {
		pvals[0] = 91;
		k = 9;
		ASSERT_OK(bpf_map_update_elem(fd, &k, pvals, BPF_EXIST), "pcpu sys update");
		free(pvals);
	}
	k = 9;
	ASSERT_OK(bpf_map_delete_elem(fd, &k), "pcpu delete");
	if (ASSERT_EQ(skel->bss->nr_events, 3, "pcpu events")) {
		e = skel->bss->events;
		ASSERT_EQ(e[0].val, 90, "pcpu prog update value");
		ASSERT_EQ(e[0].nr_percpu, 1, "pcpu prog update nr_percpu");
		ASSERT_EQ(e[1].val, 91, "pcpu sys update value");
		ASSERT_EQ(e[1].nr_percpu, mc->nr_cpus, "pcpu sys update nr_percpu");
		ASSERT_EQ(e[2].has_value, 0, "pcpu delete value");
	}

	/*
	 * HASH_OF_MAPS shares htab code but is not traced. The programs count
	 * hook calls for this map only: other tests may run in parallel.
	 */
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "inner", 4, 8, 1, NULL);
	hopts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, "outer", 4, 4, 4, &hopts);
	if (ASSERT_GE(outer, 0, "hash_of_maps")) {
		skel->bss->hash_of_maps_id = map_id(outer);
		k = 1;
		ASSERT_OK(bpf_map_update_elem(outer, &k, &inner, BPF_ANY), "outer update");
		ASSERT_OK(bpf_map_delete_elem(outer, &k), "outer delete");
		ASSERT_EQ(skel->bss->hash_of_maps_calls, 0, "hash_of_maps hook calls");
	}
out:
	if (outer >= 0)
		close(outer);
	if (inner >= 0)
		close(inner);
	map_change__destroy(skel);
}

/*
 * cat of a pinned BPF_SEQ_PRINTF iterator, after the link and the map fd are
 * closed; two reads show the same history.
 */
static void test_pinned(struct map_change *skel)
{
	const char *path = "/sys/fs/bpf/map_change_test";
	const char *want = "0 1 1 10\n1 1 2 20\n2 2 1 10\nend\n";
	char buf[256];
	struct bpf_link *link;
	int fd, pfd, i, len;
	__u32 k;
	__u64 v;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "pinned", 4, 8, 8, NULL);
	if (!ASSERT_GE(fd, 0, "map_create"))
		return;
	link = attach_map_iter(skel->progs.print_changes, fd, 0);
	if (!ASSERT_OK_PTR(link, "attach")) {
		close(fd);
		return;
	}
	unlink(path);
	if (!ASSERT_OK(bpf_link__pin(link, path), "pin"))
		goto out;
	k = 1;
	v = 10;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	k = 2;
	v = 20;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	k = 1;
	bpf_map_delete_elem(fd, &k);
	bpf_link__destroy(link);
	link = NULL;
	close(fd);
	fd = -1;

	for (i = 0; i < 2; i++) {
		pfd = open(path, O_RDONLY);
		if (!ASSERT_GE(pfd, 0, "open pinned"))
			break;
		len = read_all(pfd, buf, sizeof(buf) - 1);
		close(pfd);
		if (!ASSERT_GT(len, 0, "read pinned"))
			break;
		buf[len] = 0;
		ASSERT_STREQ(buf, want, "cat output");
	}
out:
	unlink(path);
	bpf_link__destroy(link);
	if (fd >= 0)
		close(fd);
}

/*
 * A hash map (4-byte keys, 8-byte values) recording with @prog in a ring of
 * @ring records, then 20 updates: key i % 4 to value i, seq i.
 */
static struct bpf_link *twenty_changes(struct bpf_program *prog, __u32 ring,
				       int *fd)
{
	struct bpf_link *link;
	__u32 k;
	__u64 v;

	*fd = bpf_map_create(BPF_MAP_TYPE_HASH, "twenty", 4, 8, 8, NULL);
	if (!ASSERT_GE(*fd, 0, "map_create"))
		return NULL;
	link = attach_map_iter(prog, *fd, ring);
	if (!ASSERT_OK_PTR(link, "attach"))
		return NULL;
	for (v = 0; v < 20; v++) {
		k = v % 4;
		bpf_map_update_elem(*fd, &k, &v, BPF_ANY);
	}
	return link;
}

/* Overwrite-oldest: the first record shown says how many were lost. */
static void test_overflow(struct mc_ctx *mc, struct map_change *skel)
{
	struct change_rec *recs = mc->recs;
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct bpf_link *link;
	int fd = -1, i, n;

	link = twenty_changes(skel->progs.dump_u64, 8, &fd);
	if (!link)
		goto out;
	n = read_recs(mc, link);
	if (ASSERT_EQ(n, 8, "records kept")) {
		ASSERT_EQ(recs[0].seq, 12, "first seq");
		ASSERT_EQ(recs[0].lost, 12, "first lost");
		for (i = 1; i < n; i++) {
			ASSERT_EQ(recs[i].seq, 12 + i, "seq");
			ASSERT_EQ(recs[i].lost, 0, "no gap");
			ASSERT_EQ(recs[i].val[0], 12 + i, "value");
		}
	}
	if (ASSERT_OK(bpf_link_get_info_by_fd(bpf_link__fd(link), &info, &len), "link info")) {
		ASSERT_EQ(info.iter.map.map_id, map_id(fd), "link map_id");
		ASSERT_EQ(info.iter.map_change.ring_entries, 8, "link ring_entries");
	}
out:
	bpf_link__destroy(link);
	close(fd);
}

/* bpf_map_change_skip(): a reader going on from where it stopped. */
static void test_skip(struct mc_ctx *mc, struct map_change *skel)
{
	struct change_rec *recs = mc->recs;
	struct bpf_link *link, *elem = NULL;
	int fd = -1, i, n;
	char buf[16];

	link = twenty_changes(skel->progs.dump_from, 64, &fd);
	if (!link)
		goto out;
	skel->bss->skip_to = 13;
	n = read_recs(mc, link);
	ASSERT_OK(skel->bss->skip_ret, "skip");
	ASSERT_EQ(skel->bss->below_skip, 1, "one record shown before the skip");
	if (ASSERT_EQ(n, 7, "records from 13 on"))
		for (i = 0; i < n; i++) {
			ASSERT_EQ(recs[i].seq, 13 + i, "seq");
			ASSERT_EQ(recs[i].lost, 0, "skipped is not lost");
			ASSERT_EQ(recs[i].val[0], 13 + i, "value");
		}
	/* skipping past the end ends the read */
	skel->bss->below_skip = 0;
	skel->bss->skip_to = 100;
	ASSERT_EQ(read_recs(mc, link), 0, "nothing from 100 on");
	ASSERT_EQ(skel->bss->below_skip, 1, "one record shown before the skip");

	elem = attach_map_iter(skel->progs.elem_skip, fd, 0);
	if (!ASSERT_OK_PTR(elem, "attach bpf_map_elem"))
		goto out;
	n = bpf_iter_create(bpf_link__fd(elem));
	if (ASSERT_GE(n, 0, "iter_create")) {
		ASSERT_EQ(read(n, buf, sizeof(buf)), 0, "read");
		close(n);
	}
	ASSERT_EQ(skel->data->elem_skip_ret, -EINVAL, "skip in a bpf_map_elem iterator");
out:
	bpf_link__destroy(elem);
	bpf_link__destroy(link);
	close(fd);
}

static void expect_attach_err(struct bpf_program *prog, int fd, __u32 entries,
			      int err, const char *name)
{
	struct bpf_link *link = attach_map_iter(prog, fd, entries);

	if (!ASSERT_ERR_PTR(link, name)) {
		bpf_link__destroy(link);
		return;
	}
	ASSERT_EQ(-errno, err, name);
}

/* Bad input gets its errno and leaves no ring, no memory behind. */
static void test_attach_errors(struct map_change *skel)
{
	static const struct {
		enum bpf_map_type type;
		__u32 key, value, flags;
	} unsupported[] = {
		{ BPF_MAP_TYPE_QUEUE, 0, 8 },
		{ BPF_MAP_TYPE_STACK, 0, 8 },
		{ BPF_MAP_TYPE_BLOOM_FILTER, 0, 8 },
		{ BPF_MAP_TYPE_LPM_TRIE, 8, 8, BPF_F_NO_PREALLOC },
		{ BPF_MAP_TYPE_PROG_ARRAY, 4, 4 },
		{ BPF_MAP_TYPE_RINGBUF, 0, 0 },
	};
	struct bpf_program *dump = skel->progs.dump_u64;
	int fd, big, other, i;
	struct bpf_link *link, *link2;
	long long base;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "errors", 4, 8, 8, NULL);
	if (!ASSERT_GE(fd, 0, "map_create"))
		return;
	base = map_memlock(fd);

	expect_attach_err(dump, 0, 0, -EBADF, "no map fd");
	expect_attach_err(dump, bpf_program__fd(dump), 0, -EINVAL, "not a map fd");
	expect_attach_err(dump, fd, 3, -EINVAL, "entries not a power of 2");
	expect_attach_err(dump, fd, 1, -EINVAL, "one entry");
	expect_attach_err(dump, fd, 1U << 21, -E2BIG, "too many entries");
	expect_attach_err(skel->progs.dump_key8, fd, 0, -EACCES, "read past key");
	expect_attach_err(skel->progs.dump_pcpu, fd, 0, -EACCES, "read past value");
	expect_attach_err(skel->progs.dump_sleepable, fd, 0, -EINVAL, "sleepable");
	ASSERT_EQ(map_memlock(fd), base, "nothing left behind");

	/* map_change.ring_entries is not bpf_map_elem's: no ring, no error */
	link = attach_map_iter(skel->progs.elem_noop, fd, 16);
	if (ASSERT_OK_PTR(link, "bpf_map_elem ignores map_change"))
		ASSERT_EQ(map_memlock(fd), base, "bpf_map_elem starts no ring");
	bpf_link__destroy(link);

	for (i = 0; i < ARRAY_SIZE(unsupported); i++) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = unsupported[i].flags);

		other = bpf_map_create(unsupported[i].type, "unsup", unsupported[i].key,
				       unsupported[i].value,
				       unsupported[i].type == BPF_MAP_TYPE_RINGBUF ? 4096 : 4,
				       &o);
		if (!ASSERT_GE(other, 0, "create unsupported"))
			continue;
		expect_attach_err(dump, other, 0, -EOPNOTSUPP, "unsupported type");
		close(other);
	}

	/* a ring over the hard byte limit: 4096 records of 64 KiB values */
	big = bpf_map_create(BPF_MAP_TYPE_HASH, "big", 4, 65536, 2, NULL);
	if (ASSERT_GE(big, 0, "big map")) {
		expect_attach_err(dump, big, 0, -E2BIG, "ring too large");
		close(big);
	}

	/* links share the map's ring: same size or default, else -EBUSY */
	link = attach_map_iter(dump, fd, 16);
	if (ASSERT_OK_PTR(link, "attach")) {
		/* a replacement program may not read past the checked bounds */
		ASSERT_EQ(bpf_link_update(bpf_link__fd(link),
					  bpf_program__fd(skel->progs.dump_pcpu), NULL),
			  -EACCES, "replace with wider access");
		ASSERT_EQ(bpf_link_update(bpf_link__fd(link),
					  bpf_program__fd(skel->progs.dump_sleepable), NULL),
			  -EINVAL, "replace with sleepable");
		ASSERT_OK(bpf_link_update(bpf_link__fd(link),
					  bpf_program__fd(skel->progs.print_changes), NULL),
			  "replace within bounds");
		ASSERT_GT(map_memlock(fd), base + 16 * 16, "ring in memlock");
		expect_attach_err(dump, fd, 32, -EBUSY, "other ring size");
		link2 = attach_map_iter(dump, fd, 0);
		ASSERT_OK_PTR(link2, "second link");
		bpf_link__destroy(link2);
		ASSERT_GT(map_memlock(fd), base, "ring kept by first link");
		bpf_link__destroy(link);
		ASSERT_EQ(map_memlock(fd), base, "ring gone with the last link");
	}
	close(fd);
}

/*
 * Who may record: the attach itself needs CAP_BPF and CAP_PERFMON, which
 * CAP_SYS_ADMIN implies. The program is loaded while privileged (by the
 * skeleton), CAP_SYS_ADMIN is dropped; then the attach fails with EPERM
 * without either capability, and attaches with both.
 */
static void test_unpriv(struct map_change *skel)
{
	int prog_fd = bpf_program__fd(skel->progs.dump_u64), fd, link_fd;
	long long base;
	__u64 old;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "unpriv", 4, 8, 8, NULL);
	if (!ASSERT_GE(fd, 0, "map_create"))
		return;
	base = map_memlock(fd);
	if (!ASSERT_OK(cap_disable_effective(1ULL << CAP_SYS_ADMIN, &old),
		       "drop CAP_SYS_ADMIN"))
		goto out;
	ASSERT_EQ(attach_change_iter_without(prog_fd, fd, CAP_PERFMON), -EPERM,
		  "attach without CAP_PERFMON");
	ASSERT_EQ(attach_change_iter_without(prog_fd, fd, CAP_BPF), -EPERM,
		  "attach without CAP_BPF");
	ASSERT_EQ(map_memlock(fd), base, "refused: no ring");
	link_fd = link_change_iter(prog_fd, fd, 0);
	if (ASSERT_GE(link_fd, 0, "attach with CAP_BPF and CAP_PERFMON"))
		close(link_fd);
	ASSERT_OK(cap_enable_effective(old, NULL), "restore caps");
out:
	close(fd);
}

void test_map_change(void)
{
	struct map_change *skel = NULL;
	struct mc_ctx *mc;

	mc = calloc(1, sizeof(*mc));
	if (!ASSERT_OK_PTR(mc, "calloc"))
		return;
	mc->nr_cpus = libbpf_num_possible_cpus();
	if (!ASSERT_GT(mc->nr_cpus, 0, "possible CPUs"))
		goto out;
	prctl(PR_GET_NAME, mc->comm);
	test_types(mc);
	if (test__start_subtest("hooks"))
		test_hooks(mc);

	skel = map_change__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		goto out;
	if (test__start_subtest("lru_evict"))
		test_lru_evict(mc, skel, 0);
	if (test__start_subtest("lru_evict_no_common"))
		test_lru_evict(mc, skel, BPF_F_NO_COMMON_LRU);
	if (test__start_subtest("pinned_cat"))
		test_pinned(skel);
	if (test__start_subtest("overflow"))
		test_overflow(mc, skel);
	if (test__start_subtest("skip"))
		test_skip(mc, skel);
	if (test__start_subtest("attach_errors"))
		test_attach_errors(skel);
	if (test__start_subtest("unpriv"))
		test_unpriv(skel);
out:
	map_change__destroy(skel);
	free(mc);
}
