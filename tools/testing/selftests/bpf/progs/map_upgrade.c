// SPDX-License-Identifier: GPL-2.0
/*
 * Live upgrade of a stateful program: the old hot path keeps changing map A
 * while its entries move to map B of the new layout, by a bulk copy and a
 * replay of A's change history from where the copy started.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "map_upgrade.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct old_key);
	__type(value, struct old_val);
} map_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct new_val);
} map_b SEC(".maps");

__u64 hot_calls;
__u64 replay_from;	/* records before it were replayed already */

/* The old program's hot path: account a call on {pid 100, fd}, or close it. */
SEC("tc")
int old_hot_path(struct __sk_buff *skb)
{
	__u32 r = bpf_get_prandom_u32();
	struct old_key k = { .pid = 100, .fd = r % 64 };
	struct old_val v = { .bytes = r, .calls = ++hot_calls };

	if (r % 4 == 0)
		bpf_map_delete_elem(&map_a, &k);
	else
		bpf_map_update_elem(&map_a, &k, &v, BPF_ANY);
	return 0;
}

/* Bulk copy: every element of A, translated into B. */
SEC("iter/bpf_map_elem")
int copy_a_to_b(struct bpf_iter__bpf_map_elem *ctx)
{
	struct old_key *k = ctx->key;
	struct old_val *v = ctx->value;
	struct new_val n;
	__u64 nk;

	if (!k || !v)
		return 0;
	nk = new_key(k);
	new_value(&n, v);
	bpf_map_update_elem(&map_b, &nk, &n, BPF_ANY);
	return 0;
}

/* A's history, for the replay. */
SEC("iter/bpf_map_change")
int history_of_a(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;
	struct old_key *k = ctx->key;
	struct old_val *v = ctx->value;
	struct upgrade_rec r = {};

	if (!c || !k || !v || c->seq < replay_from)
		return 0;
	r.seq = c->seq;
	r.lost = c->lost;
	r.op = c->op;
	r.key = *k;
	r.val = *v;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
