/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_UPGRADE_H
#define __MAP_UPGRADE_H

/* The old program's map A: keyed by {pid, fd}. */
struct old_key {
	__u32 pid;
	__u32 fd;
};

struct old_val {
	__u64 bytes;
	__u64 calls;
};

/* The new program's map B: a u64 key and another value layout. */
struct new_val {
	__u32 calls;
	__u32 version;
	__u64 bytes;
};

static inline __u64 new_key(const struct old_key *k)
{
	return (__u64)k->pid << 32 | k->fd;
}

static inline void new_value(struct new_val *n, const struct old_val *o)
{
	n->calls = o->calls;
	n->version = 2;
	n->bytes = o->bytes;
}

/* A change of A as the replaying reader gets it from the ring. */
struct upgrade_rec {
	__u64 seq;
	__u64 lost;
	__u32 op;
	__u32 pad;
	struct old_key key;
	struct old_val val;
};

#endif
