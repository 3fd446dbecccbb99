/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_UPGRADE_H
#define __MAP_UPGRADE_H

#define NR_FDS		64
#define HOT_PID		100	/* the old program's hot path writes {100, fd} */
#define RACE_PID	99	/* keys the bulk copy races on purpose */

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

/* What the migration programs did. */
struct upgrade_stats {
	__u64 injected;		/* races of the copy made certain */
	/* history */
	__u64 next_seq;		/* first sequence number not replayed yet */
	__u64 replayed;
	__u64 deletes;
	__u64 lost;
	/* tracing */
	__u64 hook_updates;
	__u64 hook_deletes;
	__u64 own_update_misses;	/* hook runs skipped: B changed by a hook */
	__u64 own_delete_misses;
	__u64 copied;
	__u64 copy_deferred;	/* a hook had made a version of the key first */
	__u64 reapplied;	/* B changed again: a newer version came meanwhile */
	__u64 errors;
};

#endif
