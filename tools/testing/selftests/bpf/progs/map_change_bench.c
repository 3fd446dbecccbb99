// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark programs: map updates in a loop timed inside the program, the
 * peers users would write today (fentry + BPF ringbuf, kprobe + perf
 * buffer), an fentry program on our hook, and the two readers.
 * Under QEMU -icount shift=0, bpf_ktime_get_ns() deltas count instructions.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char _license[] SEC("license") = "GPL";

#define KEY_MAX 64
#define VAL_MAX 256

/* replaced with the measured map before load (bpf_map__reuse_fd) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, 8);
} target SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} pb SEC(".maps");

struct peer_rec {
	__u32 op;
	__u32 key_size;
	__u8 key[KEY_MAX];
	__u8 val[VAL_MAX];
};

/* what the benchmark sizes the peers' buffers by (its scale) */
const volatile __u32 peer_rec_size = sizeof(struct peer_rec);

__u32 nr_ops, nr_keys, target_id;
__u64 elapsed_ns, prog_fails;
__u64 peer_records, peer_drops, hook_calls;

struct loop_ctx {
	__u8 key[KEY_MAX];
	__u8 val[VAL_MAX];
};

static long update_one(__u32 i, struct loop_ctx *c)
{
	*(__u32 *)c->key = i % nr_keys;
	*(__u32 *)c->val = i;
	if (bpf_map_update_elem(&target, c->key, c->val, BPF_ANY))
		prog_fails++;
	return 0;
}

/* update_one() with the clock read that a record costs (bench_mt()) */
static long update_clock_one(__u32 i, struct loop_ctx *c)
{
	*(__u64 *)c->val = bpf_ktime_get_ns();
	return update_one(i, c);
}

static long insdel_one(__u32 i, struct loop_ctx *c)
{
	*(__u32 *)c->key = nr_keys + i;
	if (bpf_map_update_elem(&target, c->key, c->val, BPF_NOEXIST) ||
	    bpf_map_delete_elem(&target, c->key))
		prog_fails++;
	return 0;
}

/* nr_ops updates of existing keys, timed */
SEC("tc")
int bench_update(struct __sk_buff *skb)
{
	struct loop_ctx c = {};
	__u64 t0 = bpf_ktime_get_ns();

	bpf_loop(nr_ops, update_one, &c, 0);
	elapsed_ns = bpf_ktime_get_ns() - t0;
	return 0;
}

SEC("tc")
int bench_update_clock(struct __sk_buff *skb)
{
	struct loop_ctx c = {};

	bpf_loop(nr_ops, update_clock_one, &c, 0);
	return 0;
}

/* nr_ops insert+delete pairs of new keys, timed */
SEC("tc")
int bench_insdel(struct __sk_buff *skb)
{
	struct loop_ctx c = {};
	__u64 t0 = bpf_ktime_get_ns();

	bpf_loop(nr_ops, insdel_one, &c, 0);
	elapsed_ns = bpf_ktime_get_ns() - t0;
	return 0;
}

static void peer_copy(struct peer_rec *r, struct bpf_map *map, void *key,
		      void *value, __u32 op)
{
	__u32 ks = map->key_size, vs = map->value_size;

	if (ks > KEY_MAX)
		ks = KEY_MAX;
	if (vs > VAL_MAX)
		vs = VAL_MAX;
	r->op = op;
	r->key_size = ks;
	bpf_probe_read_kernel(r->key, ks, key);
	if (value)
		bpf_probe_read_kernel(r->val, vs, value);
}

/* (c) what a user would write today: fentry + BPF ringbuf */
static int peer_rb(struct bpf_map *map, void *key, void *value, __u32 op)
{
	struct peer_rec *r;

	if (map->id != target_id)
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		peer_drops++;
		return 0;
	}
	peer_copy(r, map, key, value, op);
	bpf_ringbuf_submit(r, 0);
	peer_records++;
	return 0;
}

/* attach targets set before load: the map type's update/delete function */
SEC("fentry/htab_map_update_elem")
int BPF_PROG(peer_fentry_upd, struct bpf_map *map, void *key, void *value)
{
	return peer_rb(map, key, value, 1);
}

SEC("fentry/htab_map_delete_elem")
int BPF_PROG(peer_fentry_del, struct bpf_map *map, void *key)
{
	return peer_rb(map, key, NULL, 2);
}

/* (d) kprobe + perf buffer */
static int peer_pb(struct pt_regs *ctx, struct bpf_map *map, void *key,
		   void *value, __u32 op)
{
	struct peer_rec r;

	if (BPF_CORE_READ(map, id) != target_id)
		return 0;
	r.op = op;
	r.key_size = BPF_CORE_READ(map, key_size);
	bpf_probe_read_kernel(r.key, sizeof(r.key), key);
	if (value)
		bpf_probe_read_kernel(r.val, sizeof(r.val), value);
	if (bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &r, sizeof(r)))
		peer_drops++;
	else
		peer_records++;
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(peer_kprobe_upd, struct bpf_map *map, void *key, void *value)
{
	return peer_pb(ctx, map, key, value, 1);
}

SEC("kprobe")
int BPF_KPROBE(peer_kprobe_del, struct bpf_map *map, void *key)
{
	return peer_pb(ctx, map, key, NULL, 2);
}

/* (f) an fentry program on our own hook, for its cost alone */
SEC("fentry/bpf_map_trace_update_elem")
int BPF_PROG(hook_upd, struct bpf_map *map)
{
	hook_calls++;
	return 0;
}

SEC("fentry/bpf_map_trace_delete_elem")
int BPF_PROG(hook_del, struct bpf_map *map)
{
	hook_calls++;
	return 0;
}

/* 32 bytes out per record: seq, time, key, value. */
static __always_inline int write_change(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;
	__u32 *key = ctx->key;
	__u64 *val = ctx->value;
	__u64 out[4];

	if (!c || !key || !val)
		return 0;
	out[0] = c->seq;
	out[1] = c->ts_ns;
	out[2] = *key;
	out[3] = *val;
	bpf_seq_write(ctx->meta->seq, out, sizeof(out));
	return 0;
}

/* readers: a change record as bpftool writes it, and an element */
SEC("iter/bpf_map_change")
int read_changes(struct bpf_iter__bpf_map_change *ctx)
{
	return write_change(ctx);
}

extern int bpf_map_change_skip(struct bpf_iter_meta *meta, __u64 seq) __ksym __weak;
__u64 poll_from;	/* a follower's poll: what it has not seen yet */
__u32 poll_skip;	/* skip to it in the kernel, or filter here */

SEC("iter/bpf_map_change")
int poll_changes(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;

	if (c && c->seq < poll_from) {
		if (poll_skip)
			bpf_map_change_skip(ctx->meta, poll_from);
		return 0;
	}
	return write_change(ctx);
}

SEC("iter/bpf_map_elem")
int read_elems(struct bpf_iter__bpf_map_elem *ctx)
{
	__u32 *key = ctx->key;
	__u64 *val = ctx->value;
	__u64 out[4] = {};

	if (!key || !val)
		return 0;
	out[2] = *key;
	out[3] = *val;
	bpf_seq_write(ctx->meta->seq, out, sizeof(out));
	return 0;
}
