// SPDX-License-Identifier: GPL-2.0
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

/* the bpf_map_elem target passes a 4-byte key and an 8-byte value */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} elems SEC(".maps");

/* a 4-byte value, which the target passes rounded up to 8, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} pcpu SEC(".maps");

__u64 sum;
__u32 tasks;

SEC("iter/bpf_map_elem")
int read_key(struct bpf_iter__bpf_map_elem *ctx)
{
	__u32 *key = ctx->key;

	if (key)
		sum += *key;
	return 0;
}

/* more of the buffers than read_key, within the target's */
SEC("iter/bpf_map_elem")
int read_value(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *value = ctx->value;

	if (value)
		sum += *value;
	return 0;
}

/* bytes 4 to 7 of a 4-byte key */
SEC("iter/bpf_map_elem")
int read_past_key(struct bpf_iter__bpf_map_elem *ctx)
{
	__u32 *key = ctx->key;

	if (key)
		sum += key[1];
	return 0;
}

/* bytes 8 to 15 of an 8-byte value */
SEC("iter/bpf_map_elem")
int write_past_value(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *value = ctx->value;

	if (value)
		value[1] = 1;
	return 0;
}

/* the first 8 bytes of the per-CPU value buffer: CPU 0's padded value */
SEC("iter/bpf_map_elem")
int read_pcpu_padded(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *value = ctx->value;

	if (value)
		sum += *value;
	return 0;
}

/* bpf_map_elem does not reschedule: no sleepable program */
SEC("iter.s/bpf_map_elem")
int elem_sleepable(struct bpf_iter__bpf_map_elem *ctx)
{
	return 0;
}

SEC("iter/task")
int task_plain(struct bpf_iter__task *ctx)
{
	return 0;
}

/* the task target reschedules: a sleepable program may run on it */
SEC("iter.s/task")
int task_sleepable(struct bpf_iter__task *ctx)
{
	if (ctx->task)
		tasks++;
	return 0;
}
