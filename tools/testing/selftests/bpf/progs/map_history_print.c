// SPDX-License-Identifier: GPL-2.0
/*
 * Example: print a map's change history, one line per record, for
 *   bpftool iter pin map_history_print.bpf.o /sys/fs/bpf/h map id N
 *   cat /sys/fs/bpf/h
 * Keys are printed as __u32 and values as __u64 (the map needs at least
 * those sizes). bump() changes a map from a BPF program, for the demo.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static const char *op_name(__u32 op)
{
	switch (op) {
	case BPF_MAP_CHANGE_UPDATE: return "update";
	case BPF_MAP_CHANGE_DELETE: return "delete";
	case BPF_MAP_CHANGE_LOOKUP_DELETE: return "lookup_delete";
	case BPF_MAP_CHANGE_EVICT: return "evict";
	default: return "?";
	}
}

SEC("iter/bpf_map_change")
int print_history(struct bpf_iter__bpf_map_change *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map_change *c = ctx->change;
	__u32 *key = ctx->key;
	__u64 *val = ctx->value;

	if (!c || !key || !val)
		return 0;
	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "%-4s %-14s %-13s %-7s %-16s %6s %4s %10s %s\n",
			       "seq", "time_ns", "op", "origin", "comm", "pid",
			       "cpu", "key", "value");
	if (c->lost)
		BPF_SEQ_PRINTF(seq, "... %llu records lost\n", c->lost);
	BPF_SEQ_PRINTF(seq, "%-4llu %-14llu %-13s %-7s %-16s %6u %4u %10u %llu\n",
		       c->seq, c->ts_ns, op_name(c->op),
		       c->origin == BPF_MAP_CHANGE_SYSCALL ? "syscall" : "prog",
		       c->comm, c->tgid, c->cpu, *key, *val);
	return 0;
}

/* key 3 += 1, from a BPF program */
SEC("tc")
int bump(struct __sk_buff *skb)
{
	__u32 k = 3;
	__u64 v = 1, *old;

	old = bpf_map_lookup_elem(&counters, &k);
	if (old)
		v = *old + 1;
	bpf_map_update_elem(&counters, &k, &v, BPF_ANY);
	return 0;
}
