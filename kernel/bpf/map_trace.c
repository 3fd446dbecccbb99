// SPDX-License-Identifier: GPL-2.0-only
/*
 * Map change history: fentry-attachable trace hooks called on every change
 * of a supported map while a program is attached to them, and a per-map
 * change ring they append to while a bpf_map_change iterator link
 * (map_change_iter.c) is attached.
 *
 * The ring is an array of fixed-size slots. A writer claims the next
 * sequence number with an atomic increment, marks the slot BUSY with a
 * cmpxchg, fills it and publishes it with a release store of seq + 1. It
 * never blocks and never takes a lock, so it is safe under bucket and LRU
 * locks and in NMI. A writer that finds its slot still BUSY (lapped by a
 * ring's worth of newer writers) drops its record and says so in the
 * slot's dropped word, so that readers do not wait for it. Readers copy a
 * slot and re-check its state, seqlock style, so they never show a torn
 * record.
 *
 * Sequence numbers are per map: when recording stops, the ring's head is
 * closed (no writer claims a number from it any more) and the next ring
 * of the map goes on from there.
 */
#include <linux/bpf.h>
#include <linux/bpf_map_trace.h>
#include <linux/cred.h>
#include <linux/filter.h>
#include <linux/kprobes.h>
#include <linux/rcupdate_trace.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/unaligned.h>

#include "map_trace.h"

#define MAP_TRACE_DEFAULT	4096
#define MAP_TRACE_MAX		BIT(20)
#define MAP_TRACE_MAX_BYTES	(256ULL << 20)
#define MAP_TRACE_SLOT_ALIGN	64

DEFINE_STATIC_KEY_FALSE(bpf_map_trace_key);
DEFINE_STATIC_KEY_FALSE(bpf_map_trace_hook_key);
static DEFINE_MUTEX(map_trace_mutex);

/*
 * The hooks. Empty, with an asm barrier so that the compiler neither drops
 * nor constant-folds the calls, and __noipa: they are called from this
 * file, where GCC would otherwise call a constant-propagated clone, or one
 * hook for the other, instead of the fentry/fexit target itself.
 */
noinline __noipa void bpf_map_trace_update_elem(struct bpf_map *map,
						void *key, void *value,
						u64 flags, u32 nr_percpu)
{
	asm volatile("");
}

noinline __noipa void bpf_map_trace_delete_elem(struct bpf_map *map,
						void *key, void *value)
{
	asm volatile("");
}

/*
 * An update or delete tests bpf_map_trace_key at its entry and, if it was
 * off, runs a copy of its body with no trace code to its end; a traced one
 * tests for the ring after its change. Both run in an RCU read-side
 * section (the caller's, or bpf_map_trace_writer_enter()'s: see
 * bpf_map_trace_writer_traced()): before an attach returns, wait for them.
 * Then a change in flight is recorded or visible to a lookup made after
 * the attach, and every change begun after it is recorded and seen by the
 * hooks. No attach path runs in an RCU read-side section (the verifier
 * keeps bpf_sys_bpf() out of them), and RCU readers never wait on the
 * trampoline's mutex that a hook's attach holds here (tr->mutex).
 */
static void map_trace_wait_writers(void)
{
	synchronize_rcu();
}

/*
 * Called by the BPF trampoline, under its mutex, after a program was
 * linked to @func or unlinked from it: the call sites call the hooks only
 * while some program is attached to one. Waits for an RCU grace period
 * after a link.
 */
void bpf_map_trace_hook_linked(void *func, bool linked)
{
	if (func != (void *)bpf_map_trace_update_elem &&
	    func != (void *)bpf_map_trace_delete_elem)
		return;
	if (linked) {
		static_branch_inc(&bpf_map_trace_key);
		static_branch_inc(&bpf_map_trace_hook_key);
		map_trace_wait_writers();
	} else {
		static_branch_dec(&bpf_map_trace_hook_key);
		static_branch_dec(&bpf_map_trace_key);
	}
}

static __always_inline u32 map_trace_nr_percpu(u32 nr_percpu)
{
	return nr_percpu == BPF_MAP_TRACE_ALL_CPUS ? num_possible_cpus() :
						      nr_percpu;
}

/*
 * The hooks are called with preemption disabled, as the tracepoints that
 * raw_tp programs run from are (__DO_TRACE), also on PREEMPT_RT: the
 * trampoline runs a program at most once per CPU at a time and skips (and
 * counts in its recursion_misses) any run nested in it, so a program
 * preempted inside a hook would make every writer scheduled on that CPU
 * meanwhile miss it. HASH_OF_MAPS shares the hash map's code: no hook.
 */
notrace void __bpf_map_trace_hook_update(struct bpf_map *map, void *key,
					 void *value, u64 flags, u32 nr_percpu)
{
	if (!map_trace_supported(map))
		return;
	nr_percpu = map_trace_nr_percpu(nr_percpu);
	preempt_disable();
	bpf_map_trace_update_elem(map, key, value, flags, nr_percpu);
	preempt_enable();
}

notrace void __bpf_map_trace_hook_delete(struct bpf_map *map, void *key,
					 void *value)
{
	if (!map_trace_supported(map))
		return;
	preempt_disable();
	bpf_map_trace_delete_elem(map, key, value);
	preempt_enable();
}

/*
 * Special fields (locks, timers, kptrs, list and rbtree heads...) are never
 * shown. Zero them: bpf_obj_init() would write list heads' own addresses.
 */
static __always_inline void map_trace_zero_fields(const struct bpf_map *map,
						  void *dst)
{
	const struct btf_record *rec = map->record;
	int i;

	if (IS_ERR_OR_NULL(rec))
		return;
	for (i = 0; i < rec->cnt; i++)
		memset(dst + rec->fields[i].offset, 0, rec->fields[i].size);
}

/*
 * Copy @n values: one value is value_size bytes (a program's buffer may end
 * there), several are the syscall's per-CPU layout of 8-byte-rounded values.
 */
static __always_inline void map_trace_copy_values(struct bpf_map *map,
						  void *dst, void *src, u32 n)
{
	u32 stride = round_up(map->value_size, 8), i;

	if (n <= 1) {
		copy_map_value(map, dst, src);
		map_trace_zero_fields(map, dst);
		return;
	}
	for (i = 0; i < n; i++, dst += stride, src += stride) {
		copy_map_value_long(map, dst, src);
		map_trace_zero_fields(map, dst);
	}
}

/*
 * How a record's key and value are copied (ring->copy), fixed at the ring's
 * allocation: keys and values of 4 or 8 bytes, the common ones, inline and
 * without a branch on their sizes; other sizes with two memcpy() calls, and
 * values with special fields, or every CPU's value of a per-CPU map, as they
 * need, out of line. Both sources may be a program's stack, unaligned.
 */
static enum map_trace_copy_kind map_trace_copy_kind(const struct bpf_map *map)
{
	if (!IS_ERR_OR_NULL(map->record))
		return MAP_TRACE_COPY_ANY;
	if ((map->key_size != 4 && map->key_size != 8) ||
	    (map->value_size != 4 && map->value_size != 8))
		return MAP_TRACE_COPY_PLAIN;
	BUILD_BUG_ON(MAP_TRACE_COPY_K8_V8 - MAP_TRACE_COPY_K4_V4 != 3);
	return MAP_TRACE_COPY_K4_V4 + (map->key_size == 8) * 2 +
	       (map->value_size == 8);
}

/* Called by the ring writers, under their locks: as they are, notrace. */
static noinline notrace void map_trace_copy_any(struct bpf_map *map,
						struct bpf_map_trace_ring *ring,
						void *dst, void *key,
						void *value, u32 nr_percpu)
{
	memcpy(dst, key, map->key_size);
	dst += ring->key_off;
	if (ring->copy == MAP_TRACE_COPY_PLAIN && nr_percpu <= 1)
		memcpy(dst, value, map->value_size);
	else
		map_trace_copy_values(map, dst, value,
				      map_trace_nr_percpu(nr_percpu));
}

NOKPROBE_SYMBOL(map_trace_copy_any);

static __always_inline void map_trace_copy(struct bpf_map *map,
					   struct bpf_map_trace_ring *ring,
					   void *dst, void *key, void *value,
					   u32 nr_percpu)
{
	/* 4 and 8-byte keys are padded to 8 */
	void *val = dst + sizeof(u64);

	BUILD_BUG_ON(!IS_ALIGNED(offsetof(struct map_trace_slot, data), 8));

	/* a per-CPU map's update from the syscall: every CPU's value */
	switch (nr_percpu > 1 ? MAP_TRACE_COPY_ANY : ring->copy) {
	case MAP_TRACE_COPY_K4_V4:
		*(u32 *)dst = get_unaligned((u32 *)key);
		*(u32 *)val = get_unaligned((u32 *)value);
		break;
	case MAP_TRACE_COPY_K4_V8:
		*(u32 *)dst = get_unaligned((u32 *)key);
		*(u64 *)val = get_unaligned((u64 *)value);
		break;
	case MAP_TRACE_COPY_K8_V4:
		*(u64 *)dst = get_unaligned((u64 *)key);
		*(u32 *)val = get_unaligned((u32 *)value);
		break;
	case MAP_TRACE_COPY_K8_V8:
		*(u64 *)dst = get_unaligned((u64 *)key);
		*(u64 *)val = get_unaligned((u64 *)value);
		break;
	default:
		map_trace_copy_any(map, ring, dst, key, value, nr_percpu);
	}
}

/*
 * A bpf() map command, unless a program runs nested in it: programs run
 * in task context set their own run ctx (trampoline, raw_tp, kprobe), and
 * the syscall marks only the operation, not its copies from user memory.
 */
static __always_inline u32 map_trace_origin(struct task_struct *task)
{
	if (in_task() && task->in_bpf_map_syscall && !task->bpf_ctx)
		return BPF_MAP_CHANGE_SYSCALL;
	return BPF_MAP_CHANGE_PROG;
}

/*
 * The header, except its time. key_size is the same in every record of a
 * ring, and so is value_size except in per-CPU maps: they were set in every
 * slot when the ring was allocated (map_trace_init_slots()); lost, and
 * nr_percpu outside per-CPU maps, are always 0.
 */
static __always_inline void map_trace_fill_hdr(struct bpf_map_trace_ring *ring,
					       struct bpf_map_change *h,
					       struct bpf_map *map, u64 seq,
					       u32 op, u64 flags, u32 nr_percpu)
{
	struct task_struct *task = current;

	h->seq = seq;
	h->op = op;
	h->flags = flags;
	h->pid = task->pid;
	h->tgid = task->tgid;
	/* init_user_ns maps every kuid to itself: from_kuid() is identity */
	h->uid = __kuid_val(current_uid());
	h->cpu = raw_smp_processor_id();
	h->origin = map_trace_origin(task);
	if (ring->percpu) {
		nr_percpu = map_trace_nr_percpu(nr_percpu);
		h->nr_percpu = nr_percpu;
		h->value_size = nr_percpu > 1 ?
			round_up(map->value_size, 8) * nr_percpu : map->value_size;
	}
	/* a racing prctl(PR_SET_NAME) may tear it, as it may anywhere */
	memcpy(h->comm, task->comm, sizeof(h->comm));
	h->comm[sizeof(h->comm) - 1] = 0;
	BUILD_BUG_ON(sizeof(h->comm) != TASK_COMM_LEN);
}

/* Tell readers that @seq will not be published in @slot. */
static __always_inline void map_trace_drop(struct map_trace_slot *slot,
					   u64 seq)
{
	s64 old = atomic64_read(&slot->dropped);

	do {
		if ((u64)old > seq)
			return;
	} while (!atomic64_try_cmpxchg(&slot->dropped, &old, seq + 1));
}

/* Claim the slot for a new sequence number; NULL if it must be dropped. */
static __always_inline struct map_trace_slot *
map_trace_claim(struct bpf_map_trace_ring *ring, u64 *seqp)
{
	u64 seq = atomic64_fetch_inc(&ring->head);
	struct map_trace_slot *slot;
	s64 old;

	/* recording stopped: this ring is no longer read from its head */
	if (unlikely(seq & MAP_TRACE_CLOSED))
		return NULL;
	slot = map_trace_slot(ring, seq);
	old = atomic64_read(&slot->state);
	do {
		/* still being written by a lapped writer, or already newer */
		if (((u64)old & MAP_TRACE_BUSY) || (u64)old > seq) {
			map_trace_drop(slot, seq);
			return NULL;
		}
	} while (!atomic64_try_cmpxchg(&slot->state, &old,
				       (seq + 1) | MAP_TRACE_BUSY));
	*seqp = seq;
	return slot;
}

/*
 * Where 64-bit atomics take a lock (GENERIC_ATOMIC64), are emulated with
 * interrupts off (x86-32 without cmpxchg8b) or cmpxchg is not NMI-safe, a
 * writer in NMI could deadlock: count its record as lost. Only NMIs, which
 * do not nest, increment that counter.
 */
#define MAP_TRACE_NMI_SAFE						\
	(IS_ENABLED(CONFIG_ARCH_HAVE_NMI_SAFE_CMPXCHG) &&		\
	 !IS_ENABLED(CONFIG_GENERIC_ATOMIC64) &&			\
	 !(IS_ENABLED(CONFIG_X86_32) && !IS_ENABLED(CONFIG_X86_CMPXCHG64)))

static __always_inline bool map_trace_context_ok(struct bpf_map_trace_ring *ring)
{
	if (MAP_TRACE_NMI_SAFE)
		return true;
	if (!in_nmi())
		return true;
	this_cpu_inc(*ring->nmi_lost);
	return false;
}

static __always_inline struct bpf_map_trace_ring *
map_trace_ring(struct bpf_map *map)
{
	return rcu_dereference_check(map->trace_ring, bpf_rcu_lock_held());
}

/*
 * Claim a slot and fill its header but the time; the caller copies the key
 * and value and commits. Preemption is off from the claim to the commit,
 * so that readers wait a bounded time for a claimed slot.
 */
static __always_inline struct map_trace_slot *
map_trace_begin(struct bpf_map_trace_ring *ring, struct bpf_map *map,
		u64 *seqp, u32 op, u64 flags, u32 nr_percpu)
{
	struct map_trace_slot *slot;

	if (!map_trace_context_ok(ring))
		return NULL;
	slot = map_trace_claim(ring, seqp);
	if (slot)
		map_trace_fill_hdr(ring, &slot->hdr, map, *seqp, op, flags,
				   nr_percpu);
	return slot;
}

/*
 * Time-stamp the record and publish it: last, so that nothing but the slot
 * and its seq is live across the clock's call. Pairs with the
 * atomic64_read_acquire() of map_change_copy() and map_change_wait().
 */
static __always_inline void map_trace_commit(struct map_trace_slot *slot,
					     u64 seq)
{
	slot->hdr.ts_ns = ktime_get_mono_fast_ns();
	atomic64_set_release(&slot->state, seq + 1);
}

/*
 * The ring writers run under bucket and LRU locks: nothing may attach to
 * them, or to any function of this file they call out of line (notrace,
 * NOKPROBE_SYMBOL), or a program there that changes the same map would
 * deadlock.
 */
notrace void __bpf_map_trace_record(struct bpf_map *map, u32 op, void *key,
				    void *value, u32 nr_percpu, u64 flags)
{
	struct bpf_map_trace_ring *ring = map_trace_ring(map);
	struct map_trace_slot *slot;
	u64 seq;

	if (!ring)
		return;
	preempt_disable_notrace();
	slot = map_trace_begin(ring, map, &seq, op, flags, nr_percpu);
	if (slot) {
		map_trace_copy(map, ring, slot->data, key, value, nr_percpu);
		map_trace_commit(slot, seq);
	}
	preempt_enable_notrace();
}

NOKPROBE_SYMBOL(__bpf_map_trace_record);

/*
 * A removed element's value, copied under its bpf_spin_lock if it has one.
 * Not in NMI, where the NMI may have interrupted that lock's holder on
 * this CPU, and not for an eviction: copy_map_value_locked() is traceable,
 * and a program on it that updates the LRU map would deadlock.
 */
notrace void __bpf_map_trace_record_elem(struct bpf_map *map, u32 op,
					 void *key, void *value, u64 flags)
{
	struct bpf_map_trace_ring *ring = map_trace_ring(map);
	struct map_trace_slot *slot;
	void *dst;
	u64 seq;

	if (!ring)
		return;
	preempt_disable_notrace();
	slot = map_trace_begin(ring, map, &seq, op, flags, 0);
	if (!slot)
		goto out;
	if (ring->copy == MAP_TRACE_COPY_ANY) {
		memcpy(slot->data, key, map->key_size);
		dst = slot->data + ring->key_off;
		if (btf_record_has_field(map->record, BPF_SPIN_LOCK) &&
		    op != BPF_MAP_CHANGE_EVICT && !in_nmi())
			copy_map_value_locked(map, dst, value, true);
		else
			copy_map_value(map, dst, value);
		map_trace_zero_fields(map, dst);
	} else {
		/* no special fields: as an update's */
		map_trace_copy(map, ring, slot->data, key, value, 0);
	}
	map_trace_commit(slot, seq);
out:
	preempt_enable_notrace();
}

NOKPROBE_SYMBOL(__bpf_map_trace_record_elem);

notrace void __bpf_map_trace_record_pcpu(struct bpf_map *map, u32 op,
					 void *key, void __percpu *pptr,
					 u64 flags)
{
	struct bpf_map_trace_ring *ring = map_trace_ring(map);
	u32 stride = round_up(map->value_size, 8);
	struct map_trace_slot *slot;
	void *dst;
	u64 seq;
	int cpu;

	if (!ring)
		return;
	preempt_disable_notrace();
	slot = map_trace_begin(ring, map, &seq, op, flags,
			       num_possible_cpus());
	if (slot) {
		memcpy(slot->data, key, map->key_size);
		dst = slot->data + ring->key_off;
		for_each_possible_cpu(cpu) {
			copy_map_value_long(map, dst, per_cpu_ptr(pptr, cpu));
			map_trace_zero_fields(map, dst);
			dst += stride;
		}
		map_trace_commit(slot, seq);
	}
	preempt_enable_notrace();
}

NOKPROBE_SYMBOL(__bpf_map_trace_record_pcpu);

/*
 * An update at a call site that holds no lock, while a program is on a
 * hook: record it, call the hook. Without one, bpf_map_trace_update()
 * calls __bpf_map_trace_record() directly.
 */
notrace void __bpf_map_trace_update(struct bpf_map *map, void *key,
				    void *value, u32 nr_percpu, u64 flags)
{
	__bpf_map_trace_record(map, BPF_MAP_CHANGE_UPDATE, key, value,
			       nr_percpu, flags);
	bpf_map_trace_hook_update(map, key, value, flags, nr_percpu);
}

NOKPROBE_SYMBOL(__bpf_map_trace_update);

static void map_trace_ring_free(struct bpf_map_trace_ring *ring)
{
	free_percpu(ring->nmi_lost);
	kvfree(ring);
}

/*
 * What every record of the ring has in common (see map_trace_fill_hdr()).
 * The key's and the value's padding is never written: zero from the
 * allocation, readers copy it with them.
 */
static void map_trace_init_slots(struct bpf_map_trace_ring *ring,
				 const struct bpf_map *map)
{
	struct bpf_map_change *h;
	u32 i;

	for (i = 0; i < ring->entries; i++) {
		h = &map_trace_slot(ring, i)->hdr;
		h->key_size = map->key_size;
		if (!ring->percpu)
			h->value_size = map->value_size;
	}
}

static struct bpf_map_trace_ring *map_trace_ring_alloc(struct bpf_map *map,
						       u32 entries)
{
	struct bpf_map_trace_ring *ring;
	u32 key_off, value_cap, slot_size;
	u64 bytes;

	key_off = round_up(map->key_size, 8);
	value_cap = round_up(map_trace_value_max(map), 8);
	/*
	 * Whole cache lines where they are 64 bytes (x86, most arm64):
	 * writers of consecutive records, on other CPUs, do not share a line.
	 */
	slot_size = round_up(sizeof(struct map_trace_slot) + key_off + value_cap,
			     MAP_TRACE_SLOT_ALIGN);
	bytes = sizeof(*ring) + (u64)slot_size * entries;
	if (bytes > MAP_TRACE_MAX_BYTES)
		return ERR_PTR(-E2BIG);

	ring = bpf_map_kvcalloc(map, 1, bytes, GFP_KERNEL | __GFP_NOWARN);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	if (!MAP_TRACE_NMI_SAFE) {
		bytes += sizeof(u64) * num_possible_cpus();
		ring->nmi_lost = bpf_map_alloc_percpu(map, sizeof(u64),
						      sizeof(u64), GFP_KERNEL);
		if (!ring->nmi_lost) {
			kvfree(ring);
			return ERR_PTR(-ENOMEM);
		}
	}
	refcount_set(&ring->refcnt, 1);
	ring->closed_at = U64_MAX;
	ring->entries = entries;
	ring->slot_size = slot_size;
	ring->key_off = key_off;
	ring->value_cap = value_cap;
	ring->bytes = bytes;
	ring->copy = map_trace_copy_kind(map);
	ring->percpu = map_trace_is_percpu(map);
	map_trace_init_slots(ring, map);
	return ring;
}

static void map_trace_ring_free_rcu(struct rcu_head *rcu)
{
	map_trace_ring_free(container_of(rcu, struct bpf_map_trace_ring, rcu));
}

static void map_trace_ring_free_tt_rcu(struct rcu_head *rcu)
{
	if (rcu_trace_implies_rcu_gp())
		map_trace_ring_free_rcu(rcu);
	else
		call_rcu(rcu, map_trace_ring_free_rcu);
}

/*
 * Writers run under rcu_read_lock() or, from sleepable programs,
 * rcu_read_lock_trace(): free after both grace periods.
 */
void bpf_map_trace_ring_put(struct bpf_map_trace_ring *ring)
{
	if (refcount_dec_and_test(&ring->refcnt))
		call_rcu_tasks_trace(&ring->rcu, map_trace_ring_free_tt_rcu);
}

static int map_trace_entries(u32 entries)
{
	if (!entries)
		return MAP_TRACE_DEFAULT;
	if (entries > MAP_TRACE_MAX)
		return -E2BIG;
	if (entries < 2 || !is_power_of_2(entries))
		return -EINVAL;
	return entries;
}

static struct bpf_map_trace_ring *map_trace_ring_locked(struct bpf_map *map)
{
	return rcu_dereference_protected(map->trace_ring,
					 lockdep_is_held(&map_trace_mutex));
}

/*
 * Join the map's ring, or publish @new as it, under map_trace_mutex.
 * Returns 0, -EBUSY for a ring of another size, or -EAGAIN when there is
 * no ring and no @new to publish.
 */
static int map_trace_join(struct bpf_map *map, u32 entries,
			  struct bpf_map_trace_ring **new)
{
	struct bpf_map_trace_ring *ring;

	guard(mutex)(&map_trace_mutex);
	ring = map_trace_ring_locked(map);
	if (ring) {
		if (entries && entries != ring->entries)
			return -EBUSY;
		ring->links++;
		return 0;
	}
	ring = *new;
	if (!ring)
		return -EAGAIN;
	/* numbering goes on from where the map's last ring stopped */
	ring->base = map->trace_seq;
	atomic64_set(&ring->head, ring->base);
	ring->links = 1;
	static_branch_inc(&bpf_map_trace_key);
	rcu_assign_pointer(map->trace_ring, ring);
	*new = NULL;
	return 0;
}

/*
 * A link starts recording; links of one map share its ring. The ring is
 * allocated without the mutex held: it may take hundreds of MiB.
 */
int bpf_map_trace_enable(struct bpf_map *map, u32 entries)
{
	struct bpf_map_trace_ring *new = NULL;
	int n = map_trace_entries(entries);
	int err;

	if (n < 0)
		return n;
	while ((err = map_trace_join(map, entries, &new)) == -EAGAIN) {
		new = map_trace_ring_alloc(map, n);
		if (IS_ERR(new))
			return PTR_ERR(new);
	}
	/* never published: nobody else has seen it */
	if (new)
		map_trace_ring_free(new);
	if (!err)
		map_trace_wait_writers();
	return err;
}

void bpf_map_trace_disable(struct bpf_map *map)
{
	struct bpf_map_trace_ring *ring;
	u64 head;

	guard(mutex)(&map_trace_mutex);
	ring = map_trace_ring_locked(map);
	if (WARN_ON_ONCE(!ring) || --ring->links)
		return;
	RCU_INIT_POINTER(map->trace_ring, NULL);
	/*
	 * Close the head: writers that still hold the ring claim no number
	 * from it any more, so the next ring can go on from here.
	 */
	head = atomic64_fetch_or(MAP_TRACE_CLOSED, &ring->head);
	map->trace_seq = head & ~MAP_TRACE_CLOSED;
	/* the numbers taken from a closed head are nobody's: readers stop */
	WRITE_ONCE(ring->closed_at, map->trace_seq);
	static_branch_dec(&bpf_map_trace_key);
	bpf_map_trace_ring_put(ring);
}

struct bpf_map_trace_ring *bpf_map_trace_ring_get(struct bpf_map *map)
{
	struct bpf_map_trace_ring *ring;

	rcu_read_lock();
	ring = rcu_dereference(map->trace_ring);
	if (ring && !refcount_inc_not_zero(&ring->refcnt))
		ring = NULL;
	rcu_read_unlock();
	return ring;
}

u64 bpf_map_trace_mem_usage(const struct bpf_map *map)
{
	struct bpf_map_trace_ring *ring;
	u64 bytes = 0;

	rcu_read_lock();
	ring = rcu_dereference(map->trace_ring);
	if (ring)
		bytes = ring->bytes;
	rcu_read_unlock();
	return bytes;
}
