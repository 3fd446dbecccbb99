// SPDX-License-Identifier: GPL-2.0
/* Programs for the bpf_map_change iterator and map trace hook tests. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "map_change_common.h"

char _license[] SEC("license") = "GPL";

#define DEF_MAP(name, mtype, n, flags)		\
struct {					\
	__uint(type, mtype);			\
	__uint(max_entries, n);			\
	__uint(map_flags, flags);		\
	__type(key, __u32);			\
	__type(value, __u64);			\
} name SEC(".maps")

DEF_MAP(hash_map, BPF_MAP_TYPE_HASH, 64, 0);
DEF_MAP(hash_noprealloc, BPF_MAP_TYPE_HASH, 64, BPF_F_NO_PREALLOC);
DEF_MAP(lru_map, BPF_MAP_TYPE_LRU_HASH, 64, 0);
DEF_MAP(array_map, BPF_MAP_TYPE_ARRAY, 16, 0);
DEF_MAP(pcpu_hash, BPF_MAP_TYPE_PERCPU_HASH, 64, 0);
DEF_MAP(lru_pcpu_hash, BPF_MAP_TYPE_LRU_PERCPU_HASH, 64, 0);
DEF_MAP(pcpu_array, BPF_MAP_TYPE_PERCPU_ARRAY, 16, 0);

static void fill_rec(struct change_rec *r, struct bpf_map_change *c,
		     struct bpf_map *map)
{
	r->seq = c->seq;
	r->lost = c->lost;
	r->ts_ns = c->ts_ns;
	r->op = c->op;
	r->flags = c->flags;
	r->pid = c->pid;
	r->tgid = c->tgid;
	r->uid = c->uid;
	r->cpu = c->cpu;
	r->origin = c->origin;
	r->key_size = c->key_size;
	r->value_size = c->value_size;
	r->nr_percpu = c->nr_percpu;
	__builtin_memcpy(r->comm, c->comm, sizeof(r->comm));
	r->map_id = map->id;
}

/* One binary change_rec per record: a 4-byte key, one or two u64 values. */
static __always_inline int dump(struct bpf_iter__bpf_map_change *ctx, bool two)
{
	struct bpf_map_change *c = ctx->change;
	__u32 *key = ctx->key;
	__u64 *val = ctx->value;
	struct change_rec r = {};

	if (!c || !key || !val)
		return 0;
	fill_rec(&r, c, ctx->map);
	r.key = *key;
	r.val[0] = val[0];
	if (two)
		r.val[1] = val[1];
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("iter/bpf_map_change")
int dump_u64(struct bpf_iter__bpf_map_change *ctx)
{
	return dump(ctx, false);
}

/* The first two CPUs' values of a per-CPU map: reads 16 bytes of value. */
SEC("iter/bpf_map_change")
int dump_pcpu(struct bpf_iter__bpf_map_change *ctx)
{
	return dump(ctx, true);
}

/* Text, for cat of a pinned iterator. */
SEC("iter/bpf_map_change")
int print_changes(struct bpf_iter__bpf_map_change *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map_change *c = ctx->change;
	__u32 *key = ctx->key;
	__u64 *val = ctx->value;

	if (!c || !key || !val) {
		BPF_SEQ_PRINTF(seq, "end\n");
		return 0;
	}
	BPF_SEQ_PRINTF(seq, "%llu %u %u %llu\n", c->seq, c->op, *key, *val);
	return 0;
}

/* Reads 8 bytes of key: attaching it to a 4-byte-key map must fail. */
SEC("iter/bpf_map_change")
int dump_key8(struct bpf_iter__bpf_map_change *ctx)
{
	__u64 *key = ctx->key;

	if (key)
		bpf_seq_write(ctx->meta->seq, key, sizeof(*key));
	return 0;
}

SEC("iter.s/bpf_map_change")
int dump_sleepable(struct bpf_iter__bpf_map_change *ctx)
{
	return 0;
}

/* map_change.ring_entries means nothing to bpf_map_elem: no ring there. */
SEC("iter/bpf_map_elem")
int elem_noop(struct bpf_iter__bpf_map_elem *ctx)
{
	return 0;
}

extern int bpf_map_change_skip(struct bpf_iter_meta *meta, __u64 seq) __ksym;

/* Dumps the records from skip_to on: the first record before it skips. */
__u64 skip_to;
__u32 below_skip;
int skip_ret, elem_skip_ret = 1;

SEC("iter/bpf_map_change")
int dump_from(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;

	if (c && c->seq < skip_to) {
		below_skip++;
		skip_ret = bpf_map_change_skip(ctx->meta, skip_to);
		return 0;
	}
	return dump(ctx, false);
}

/* The kfunc is for bpf_map_change iterators only. */
SEC("iter/bpf_map_elem")
int elem_skip(struct bpf_iter__bpf_map_elem *ctx)
{
	if (ctx->key)
		elem_skip_ret = bpf_map_change_skip(ctx->meta, 1);
	return 0;
}

/* Map changes from a BPF program, run with BPF_PROG_TEST_RUN. */
__u32 target, op, key;
__u64 val, flags;
long ret;

SEC("tc")
int write_maps(struct __sk_buff *skb)
{
	void *map;

	switch (target) {
	case 0:
		map = &hash_map;
		break;
	case 1:
		map = &hash_noprealloc;
		break;
	case 2:
		map = &lru_map;
		break;
	case 3:
		map = &array_map;
		break;
	case 4:
		map = &pcpu_hash;
		break;
	case 5:
		map = &lru_pcpu_hash;
		break;
	case 6:
		map = &pcpu_array;
		break;
	default:
		return 0;
	}
	if (op == 0)
		ret = bpf_map_update_elem(map, &key, &val, flags);
	else
		ret = bpf_map_delete_elem(map, &key);
	return 0;
}

/*
 * fentry/fexit on the trace hooks, filtered on one map; hash_of_maps_calls
 * counts the calls for the HASH_OF_MAPS map hash_of_maps_id (the hooks see
 * every map of the system, other tests' too).
 */
__u32 hook_map_id, nr_events, hash_of_maps_id, hash_of_maps_calls;
struct hook_event events[HOOK_MAX];

static void hook_event(struct bpf_map *map, void *k, void *v, __u64 f,
		       __u32 nr_percpu, __u32 delete)
{
	struct hook_event *e;
	__u32 i;

	if (map->id == hash_of_maps_id)
		hash_of_maps_calls++;
	if (map->id != hook_map_id)
		return;
	i = nr_events++;
	if (i >= HOOK_MAX)
		return;
	e = &events[i];
	e->delete = delete;
	e->flags = f;
	e->nr_percpu = nr_percpu;
	bpf_probe_read_kernel(&e->key, sizeof(e->key), k);
	if (v) {
		e->has_value = 1;
		bpf_probe_read_kernel(&e->val, sizeof(e->val), v);
	}
}

SEC("fentry/bpf_map_trace_update_elem")
int BPF_PROG(on_update, struct bpf_map *map, void *k, void *v, __u64 f,
	     __u32 nr_percpu)
{
	hook_event(map, k, v, f, nr_percpu, 0);
	return 0;
}

SEC("fexit/bpf_map_trace_delete_elem")
int BPF_PROG(on_delete, struct bpf_map *map, void *k, void *v)
{
	hook_event(map, k, v, 0, 0, 1);
	return 0;
}
