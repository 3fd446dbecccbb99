// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bpftool map history: the bpf_map_change records of a map, in binary. */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "map_history.h"

/* Local copies, so that bpftool builds against a vmlinux.h without them. */
struct bpf_map_change___local {
	__u64 seq;
	__u64 ts_ns;
	__u64 lost;
	__u32 op;
	__u32 flags;
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 cpu;
	__u32 origin;
	__u32 key_size;
	__u32 value_size;
	__u32 nr_percpu;
	char comm[16];
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map_change___local {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	struct bpf_map_change___local *change;
	void *key;
	void *value;
} __attribute__((preserve_access_index));

/*
 * set before load: the map's key size and the size of its value buffer,
 * each followed by zeros up to a multiple of 8 bytes, so that bpftool reads
 * keys and values at aligned addresses
 */
const volatile __u32 key_size = 1;
const volatile __u32 key_pad;
const volatile __u32 value_size = 1;
const volatile __u32 value_pad;
static const __u64 zero;
/* set before each read: records before it were shown already */
__u64 start_seq;

extern int bpf_map_change_skip(struct bpf_iter_meta *meta, __u64 seq) __ksym __weak;

SEC("iter/bpf_map_change")
int dump_history(struct bpf_iter__bpf_map_change___local *ctx)
{
	struct bpf_map_change___local *c = ctx->change;
	struct seq_file *seq = ctx->meta->seq;
	void *key = ctx->key, *value = ctx->value;
	struct map_history_hdr h = {};

	if (!c || !key || !value)
		return 0;
	if (c->seq < start_seq) {
		/* go on from start_seq without copying what lies before */
		if (bpf_ksym_exists(bpf_map_change_skip))
			bpf_map_change_skip(ctx->meta, start_seq);
		return 0;
	}
	h.seq = c->seq;
	h.ts_ns = c->ts_ns;
	h.lost = c->lost;
	h.op = c->op;
	h.flags = c->flags;
	h.pid = c->pid;
	h.tgid = c->tgid;
	h.uid = c->uid;
	h.cpu = c->cpu;
	h.origin = c->origin;
	h.value_size = c->value_size;
	h.nr_percpu = c->nr_percpu;
	__builtin_memcpy(h.comm, c->comm, sizeof(h.comm));
	bpf_seq_write(seq, &h, sizeof(h));
	bpf_seq_write(seq, key, key_size);
	if (key_pad)
		bpf_seq_write(seq, &zero, key_pad);
	bpf_seq_write(seq, value, value_size);
	if (value_pad)
		bpf_seq_write(seq, &zero, value_pad);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
