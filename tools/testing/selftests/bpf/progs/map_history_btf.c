// SPDX-License-Identifier: GPL-2.0
/* Maps with BTF-typed keys and values for the bpftool map history tests. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

struct hkey {
	__u32 a;
	__u32 b;
};

struct hval {
	__u64 x;
	__u32 y;
	__u32 z;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct hkey);
	__type(value, struct hval);
} btf_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} btf_pcpu SEC(".maps");

__u32 pkey;
__u64 pval;

SEC("tc")
int pcpu_update(struct __sk_buff *skb)
{
	bpf_map_update_elem(&btf_pcpu, &pkey, &pval, BPF_ANY);
	return 0;
}
