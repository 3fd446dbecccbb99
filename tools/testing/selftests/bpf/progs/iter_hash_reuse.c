// SPDX-License-Identifier: GPL-2.0
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

#define NR_KEYS	60
#define MOVED	1000	/* key k is moved to MOVED + k when walked */

/*
 * Preallocated: a deleted element goes to this CPU's free list, and the
 * update right after it takes it back, for a key that most likely hashes
 * to another bucket. A zero hash seed makes the buckets the same on every
 * run.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__uint(max_entries, NR_KEYS + 4);
	__type(key, __u32);
	__type(value, __u32);
} reuse SEC(".maps");

__u32 walked, moved;

SEC("iter/bpf_map_elem")
int walk_and_move(struct bpf_iter__bpf_map_elem *ctx)
{
	__u32 *k = ctx->key, key, new_key, v = 0;

	if (!k || *k >= MOVED)
		return 0;
	key = *k;
	walked++;
	new_key = MOVED + key;
	if (!bpf_map_delete_elem(&reuse, &key) &&
	    !bpf_map_update_elem(&reuse, &new_key, &v, BPF_NOEXIST))
		moved++;
	return 0;
}
