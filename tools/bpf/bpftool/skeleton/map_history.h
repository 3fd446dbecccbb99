/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __MAP_HISTORY_H
#define __MAP_HISTORY_H

/*
 * What map_history.bpf.c writes for each change record, followed by
 * key_size bytes of key and value_size bytes of value buffer (the rodata
 * sizes the program was loaded with), each padded with zeros to a multiple
 * of 8 bytes.
 */
struct map_history_hdr {
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
	__u32 value_size;
	__u32 nr_percpu;
	__u32 pad;
	char comm[16];
};

#endif
