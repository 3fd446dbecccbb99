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

#ifdef CONFIG_BPF_SYSCALL
/*
 * Two static keys keep an unobserved change as cheap as on a kernel without
 * this file: bpf_map_trace_key is on while any map records or any program
 * is attached to a hook, bpf_map_trace_hook_key while a program is attached
 * to a hook. The BPF trampoline turns the hook key on and off (see
 * bpf_map_trace_hook_linked()), so a change calls no hook while nobody
 * listens.
 */
DECLARE_STATIC_KEY_FALSE(bpf_map_trace_key);
DECLARE_STATIC_KEY_FALSE(bpf_map_trace_hook_key);

/* @nr_percpu for a buffer that holds every possible CPU's value */
#define BPF_MAP_TRACE_ALL_CPUS	U32_MAX

/* The fentry/fexit-attachable hooks: called after a change took effect. */
void bpf_map_trace_update_elem(struct bpf_map *map, void *key, void *value,
			       u64 flags, u32 nr_percpu);
void bpf_map_trace_delete_elem(struct bpf_map *map, void *key, void *value);

void __bpf_map_trace_record(struct bpf_map *map, u32 op, void *key,
			    void *value, u32 nr_percpu, u64 flags);
/*
 * __bpf_map_trace_record_elem(): a removed element, unlinked but intact,
 * its value copied under its bpf_spin_lock if it has one (not for
 * BPF_MAP_CHANGE_EVICT, under the LRU locks, where nothing traceable may
 * run). __bpf_map_trace_record_pcpu(): a removed per-CPU element, every
 * CPU's value. Callers check bpf_map_trace_on() first.
 */
void __bpf_map_trace_record_elem(struct bpf_map *map, u32 op, void *key,
				 void *value, u64 flags);
void __bpf_map_trace_record_pcpu(struct bpf_map *map, u32 op, void *key,
				 void __percpu *pptr, u64 flags);
void __bpf_map_trace_hook_update(struct bpf_map *map, void *key, void *value,
				 u64 flags, u32 nr_percpu);
void __bpf_map_trace_hook_delete(struct bpf_map *map, void *key, void *value);
void __bpf_map_trace_update(struct bpf_map *map, void *key, void *value,
			    u32 nr_percpu, u64 flags);
void bpf_map_trace_hook_linked(void *func, bool linked);
u64 bpf_map_trace_mem_usage(const struct bpf_map *map);

/* Does some map record, or is some program on a hook? */
static __always_inline bool bpf_map_trace_active(void)
{
	return static_branch_unlikely(&bpf_map_trace_key);
}

/*
 * Must an update or delete run its traced copy? The hash and array updates
 * and deletes test this once, at their entry, and otherwise run a copy of
 * their body that has no trace code at all. True while anything listens,
 * and for a preemptible caller outside any RCU read-side section (a
 * sleepable program): its traced copy tests the keys again inside
 * bpf_map_trace_writer_enter(). Every other caller tests the key inside an
 * RCU read-side section of its own (rcu_read_lock(), or preemption, BH or
 * IRQs disabled; without CONFIG_PREEMPT_COUNT, any code that does not
 * schedule), so an attach that turns the key on and then waits with
 * synchronize_rcu() waits for the untraced copies that missed it. Without
 * preemptible RCU, rcu_preempt_depth() is 0; without PREEMPT_COUNT,
 * preemptible() is 0: the test is the patched-out branch alone.
 */
static __always_inline bool bpf_map_trace_writer_traced(void)
{
	return bpf_map_trace_active() ||
	       (!rcu_preempt_depth() && preemptible());
}

/*
 * The traced copies run in an RCU read-side section: for the ring's
 * pointer, and for the attach to wait for. Callers in one already take
 * nothing under preemptible RCU. Without preemptible RCU, rcu_read_lock()
 * is preempt_disable(): no code unless CONFIG_PREEMPT_COUNT.
 */
static __always_inline bool bpf_map_trace_writer_enter(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RCU) &&
	    (rcu_preempt_depth() || !preemptible()))
		return false;
	rcu_read_lock();
	return true;
}

static __always_inline void bpf_map_trace_writer_exit(bool locked)
{
	if (locked)
		rcu_read_unlock();
}

static __always_inline bool bpf_map_trace_on(const struct bpf_map *map)
{
	return bpf_map_trace_active() && rcu_access_pointer(map->trace_ring);
}

/*
 * Append a change to the map's ring, if it records. Lock-free and a leaf:
 * callable under bucket and LRU locks, in any context. @value is as the
 * writer passed it; @nr_percpu is 0 for maps that are not per-CPU, 1 for
 * one CPU's value (this CPU's), or BPF_MAP_TRACE_ALL_CPUS for a buffer
 * holding every CPU's value.
 */
static __always_inline void bpf_map_trace_record(struct bpf_map *map, u32 op,
						 void *key, void *value,
						 u32 nr_percpu, u64 flags)
{
	if (bpf_map_trace_on(map))
		__bpf_map_trace_record(map, op, key, value, nr_percpu, flags);
}

/* Is a program attached to a hook? For call sites that test more. */
static __always_inline bool bpf_map_trace_hooked(void)
{
	return static_branch_unlikely(&bpf_map_trace_hook_key);
}

/*
 * Call a hook, if a program is attached to one. Never with a bucket or LRU
 * lock held: an attached program may take it again.
 */
static __always_inline void bpf_map_trace_hook_update(struct bpf_map *map,
						      void *key, void *value,
						      u64 flags, u32 nr_percpu)
{
	if (bpf_map_trace_hooked())
		__bpf_map_trace_hook_update(map, key, value, flags, nr_percpu);
}

/*
 * Record an update and call its hook, for call sites that hold no lock:
 * one patched-out branch while nobody listens.
 */
static __always_inline void bpf_map_trace_update(struct bpf_map *map,
						 void *key, void *value,
						 u32 nr_percpu, u64 flags)
{
	if (!bpf_map_trace_active())
		return;
	if (bpf_map_trace_hooked())
		__bpf_map_trace_update(map, key, value, nr_percpu, flags);
	else
		bpf_map_trace_record(map, BPF_MAP_CHANGE_UPDATE, key, value,
				     nr_percpu, flags);
}

/*
 * Mark the bpf() syscall's map operations (the operation itself, not the
 * copies from and to user memory), so that records tell their origin. A
 * program that runs nested in the operation, in task context, has its own
 * current->bpf_ctx; one in interrupt context is not in_task(). Marks do
 * not nest: no map operation issues another bpf() command (bpf_sys_bpf()
 * runs from BPF_PROG_TEST_RUN), and the batch removals of hash maps mark
 * their records outside any other mark.
 */
static inline void bpf_map_trace_syscall_enter(void)
{
	lockdep_assert_once(!current->in_bpf_map_syscall);
	current->in_bpf_map_syscall = 1;
}

static inline void bpf_map_trace_syscall_exit(void)
{
	current->in_bpf_map_syscall = 0;
}
#else
static inline u64 bpf_map_trace_mem_usage(const struct bpf_map *map)
{
	return 0;
}

static inline void bpf_map_trace_hook_linked(void *func, bool linked)
{
}
#endif /* CONFIG_BPF_SYSCALL */

#endif /* _LINUX_BPF_MAP_TRACE_H */
