// SPDX-License-Identifier: GPL-2.0
/* Harness smoke test: print a hash map through the upstream bpf_map_elem
 * iterator, one "key value" line per element.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} smoke_map SEC(".maps");

__u32 elems_seen;

SEC("iter/bpf_map_elem")
int dump_smoke(struct bpf_iter__bpf_map_elem *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	__u32 *key = ctx->key;
	__u64 *val = ctx->value;

	if (!key || !val)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u %llu\n", *key, *val);
	elems_seen++;
	return 0;
}
