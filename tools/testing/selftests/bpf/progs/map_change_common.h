/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_CHANGE_COMMON_H
#define __MAP_CHANGE_COMMON_H

/* What the test iterator writes, in binary, for each change record. */
struct change_rec {
	__u64 seq;
	__u64 lost;
	__u64 ts_ns;
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
	__u32 key;
	__u32 map_id;
	__u64 val[2];	/* the value, or the first two CPUs' values */
};

/* What the fentry programs on the trace hooks saw. */
#define HOOK_MAX 64
struct hook_event {
	__u32 delete;
	__u32 key;
	__u64 val;
	__u64 flags;
	__u32 has_value;
	__u32 nr_percpu;
};

#endif
