// SPDX-License-Identifier: GPL-2.0
/*
 * Programs map_change_core/notrace_writers retargets at run time: nothing
 * may attach to the ring writers, which run under LRU locks. Not loaded
 * unless the test asks, so that a refused target fails only its own load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("?fentry/bpf_map_trace_update_elem")
int BPF_PROG(notrace_fentry)
{
	return 0;
}

SEC("?kprobe")
int BPF_KPROBE(notrace_kprobe)
{
	return 0;
}
