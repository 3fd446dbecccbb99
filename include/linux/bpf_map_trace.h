/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Map change history: trace hooks and the per-map change ring.
 * See Documentation/bpf/map_trace.rst.
 */
#ifndef _LINUX_BPF_MAP_TRACE_H
#define _LINUX_BPF_MAP_TRACE_H

#include <linux/bpf.h>
#include <linux/jump_label.h>
#include <linux/sched.h>

/* One change record as the bpf_map_change iterator shows it (BTF-typed). */
struct bpf_map_change {
	u64 seq;		/* per-map, gapless for recorded changes */
	u64 ts_ns;		/* ktime_get_mono_fast_ns() */
	u64 lost;		/* sequence numbers skipped before this one */
	enum bpf_map_change_op op;
	u32 flags;		/* update flags (BPF_ANY, BPF_EXIST, BPF_F_LOCK...) */
	u32 pid;
	u32 tgid;
	u32 uid;
	u32 cpu;
	enum bpf_map_change_origin origin;
	u32 key_size;
	u32 value_size;		/* valid bytes in the value buffer */
	u32 nr_percpu;		/* per-CPU maps: values held (1 = @cpu's) */
	char comm[TASK_COMM_LEN];
};

#ifdef CONFIG_BPF_SYSCALL
DECLARE_STATIC_KEY_FALSE(bpf_map_trace_key);
extern struct bpf_run_ctx bpf_map_trace_syscall_ctx;

/* The fentry/fexit-attachable hooks: called after a change took effect. */
void bpf_map_trace_update_elem(struct bpf_map *map, void *key, void *value,
			       u64 flags, u32 nr_percpu);
void bpf_map_trace_delete_elem(struct bpf_map *map, void *key, void *value);

void __bpf_map_trace_record(struct bpf_map *map, u32 op, void *key,
			    void *value, u32 nr_percpu, u64 flags);
void __bpf_map_trace_record_pcpu(struct bpf_map *map, u32 op, void *key,
				 void __percpu *pptr);
u64 bpf_map_trace_mem_usage(const struct bpf_map *map);

static inline bool bpf_map_trace_on(const struct bpf_map *map)
{
	return static_branch_unlikely(&bpf_map_trace_key) &&
	       rcu_access_pointer(map->trace_ring);
}

/*
 * Append a change to the map's ring, if it records. Lock-free and a leaf:
 * callable under bucket and LRU locks, in any context. @value is as the
 * writer passed it; @nr_percpu is 0 for maps that are not per-CPU, 1 for
 * one CPU's value (this CPU's), or num_possible_cpus() for a buffer
 * holding every CPU's value.
 */
static __always_inline void bpf_map_trace_record(struct bpf_map *map, u32 op,
						 void *key, void *value,
						 u32 nr_percpu, u64 flags)
{
	if (bpf_map_trace_on(map))
		__bpf_map_trace_record(map, op, key, value, nr_percpu, flags);
}

/* A removed per-CPU element: every CPU's value. */
static __always_inline void bpf_map_trace_record_pcpu(struct bpf_map *map,
						      u32 op, void *key,
						      void __percpu *pptr)
{
	if (bpf_map_trace_on(map))
		__bpf_map_trace_record_pcpu(map, op, key, pptr);
}

/*
 * Call a hook. Never with a bucket or LRU lock held: an attached program
 * may take it again. Always with preemption disabled: the trampoline runs
 * a program once per CPU at a time and skips (and counts in the program's
 * recursion_misses) any run nested in it, so a program preempted inside a
 * hook would make every writer scheduled on that CPU meanwhile miss it.
 */
static __always_inline void bpf_map_trace_hook_update(struct bpf_map *map,
						      void *key, void *value,
						      u64 flags, u32 nr_percpu)
{
	preempt_disable();
	bpf_map_trace_update_elem(map, key, value, flags, nr_percpu);
	preempt_enable();
}

static __always_inline void bpf_map_trace_hook_delete(struct bpf_map *map,
						      void *key, void *value)
{
	preempt_disable();
	bpf_map_trace_delete_elem(map, key, value);
	preempt_enable();
}

/* Record an update and call its hook, for call sites that hold no lock. */
static __always_inline void bpf_map_trace_update(struct bpf_map *map,
						 void *key, void *value,
						 u32 nr_percpu, u64 flags)
{
	bpf_map_trace_record(map, BPF_MAP_CHANGE_UPDATE, key, value, nr_percpu,
			     flags);
	bpf_map_trace_hook_update(map, key, value, flags, nr_percpu);
}

/* Marks the bpf() syscall's map commands, so records can tell their origin. */
static inline struct bpf_run_ctx *bpf_map_trace_syscall_enter(void)
{
	return bpf_set_run_ctx(&bpf_map_trace_syscall_ctx);
}

static inline void bpf_map_trace_syscall_exit(struct bpf_run_ctx *old)
{
	bpf_reset_run_ctx(old);
}
#else
static inline u64 bpf_map_trace_mem_usage(const struct bpf_map *map)
{
	return 0;
}
#endif /* CONFIG_BPF_SYSCALL */

#endif /* _LINUX_BPF_MAP_TRACE_H */
