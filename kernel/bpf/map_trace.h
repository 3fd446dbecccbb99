/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Map change history: the change ring, shared by its writers (map_trace.c)
 * and its reader, the bpf_map_change iterator (map_change_iter.c).
 */
#ifndef __BPF_MAP_TRACE_H_
#define __BPF_MAP_TRACE_H_

#include <linux/bpf.h>

#define MAP_TRACE_BUSY		BIT_ULL(63)
#define MAP_TRACE_CLOSED	BIT_ULL(62)

struct map_trace_slot {
	atomic64_t state;	/* 0: empty, seq + 1: published, | BUSY: writing */
	atomic64_t dropped;	/* largest seq + 1 whose writer gave up the slot */
	struct bpf_map_change hdr;
	u8 data[];		/* key, padded to 8 bytes, then the value */
};

/*
 * ring->copy: how records' key and value are copied (map_trace_copy()).
 * ANY: values with special fields; PLAIN: other sizes; then, last, keys
 * and values of 4 or 8 bytes: 16 bytes of data with their padding, except
 * in per-CPU maps, whose records may hold every CPU's value.
 */
enum map_trace_copy_kind {
	MAP_TRACE_COPY_ANY,
	MAP_TRACE_COPY_PLAIN,
	MAP_TRACE_COPY_K4_V4,
	MAP_TRACE_COPY_K4_V8,
	MAP_TRACE_COPY_K8_V4,
	MAP_TRACE_COPY_K8_V8,
};

struct bpf_map_trace_ring {
	/* read by writers and readers; refcnt changes as readers come and go */
	u64 base;		/* first sequence number of this ring */
	u64 closed_at;		/* the head when it was closed, or U64_MAX */
	refcount_t refcnt;	/* one for being published, one per reader */
	u32 links;		/* attached links, under map_trace_mutex */
	u32 entries;
	u32 slot_size;
	u32 key_off;
	u32 value_cap;
	u8 copy;		/* enum map_trace_copy_kind */
	bool percpu;		/* records' value_size and nr_percpu vary */
	u64 bytes;
	/* records dropped in NMI where 64-bit atomics are not NMI-safe */
	u64 __percpu *nmi_lost;
	struct rcu_head rcu;
	/*
	 * The next sequence number, | CLOSED when the ring is unpublished.
	 * Written by every writer: a line of its own, so that the fields
	 * above stay in every CPU's cache.
	 */
	atomic64_t head ____cacheline_aligned_in_smp;
	u8 slots[] ____cacheline_aligned;
};

static __always_inline bool map_trace_supported(const struct bpf_map *map)
{
	switch (map->map_type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return true;
	default:
		return false;
	}
}

static inline bool map_trace_is_percpu(const struct bpf_map *map)
{
	return map->map_type == BPF_MAP_TYPE_PERCPU_HASH ||
	       map->map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       map->map_type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Largest value a record holds: every CPU's value for per-CPU maps. */
static inline u32 map_trace_value_max(const struct bpf_map *map)
{
	if (map_trace_is_percpu(map))
		return round_up(map->value_size, 8) * num_possible_cpus();
	return map->value_size;
}

static __always_inline struct map_trace_slot *
map_trace_slot(struct bpf_map_trace_ring *ring, u64 seq)
{
	return (void *)ring->slots + (seq & (ring->entries - 1)) * ring->slot_size;
}

/* Start and stop recording: one call per bpf_map_change link. */
int bpf_map_trace_enable(struct bpf_map *map, u32 entries);
void bpf_map_trace_disable(struct bpf_map *map);
/* The map's ring with a reference held for a reader, or NULL. */
struct bpf_map_trace_ring *bpf_map_trace_ring_get(struct bpf_map *map);
void bpf_map_trace_ring_put(struct bpf_map_trace_ring *ring);

#endif /* __BPF_MAP_TRACE_H_ */
