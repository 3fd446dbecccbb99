// SPDX-License-Identifier: GPL-2.0-only
/*
 * Map change history: fentry-attachable trace hooks called on every change
 * of a supported map while a program is attached to them, a per-map change
 * ring they append to while a bpf_map_change iterator link is attached,
 * and that iterator target.
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
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/cred.h>
#include <linux/filter.h>
#include <linux/kprobes.h>
#include <linux/rcupdate_trace.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/unaligned.h>

#define MAP_TRACE_BUSY		BIT_ULL(63)
#define MAP_TRACE_CLOSED	BIT_ULL(62)
#define MAP_TRACE_DEFAULT	4096
#define MAP_TRACE_MAX		BIT(20)
#define MAP_TRACE_MAX_BYTES	(256ULL << 20)
/* how long a reader waits for a record being written before it stops */
#define MAP_TRACE_WAIT_NS	NSEC_PER_MSEC
#define MAP_TRACE_RESCHED	1024

struct map_trace_slot {
	atomic64_t state;	/* 0: empty, seq + 1: published, | BUSY: writing */
	atomic64_t dropped;	/* largest seq + 1 whose writer gave up the slot */
	struct bpf_map_change hdr;
	u8 data[];		/* key, padded to 8 bytes, then the value */
};

struct bpf_map_trace_ring {
	atomic64_t head;	/* next sequence number, | CLOSED when unpublished */
	u64 base;		/* first sequence number of this ring */
	u64 closed_at;		/* the head when it was closed, or U64_MAX */
	refcount_t refcnt;	/* one for being published, one per reader */
	u32 links;		/* attached links, under map_trace_mutex */
	u32 entries;
	u32 slot_size;
	u32 key_off;
	u32 value_cap;
	u64 bytes;
	/* records dropped in NMI where 64-bit atomics are not NMI-safe */
	u64 __percpu *nmi_lost;
	struct rcu_head rcu;
	u8 slots[] ____cacheline_aligned;
};

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
 * hooks. No attach path runs in an RCU read-side section (the
 * verifier keeps bpf_sys_bpf() out of them), and RCU readers never wait
 * on the mutexes held here (tr->mutex).
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

static bool map_is_percpu(const struct bpf_map *map)
{
	return map->map_type == BPF_MAP_TYPE_PERCPU_HASH ||
	       map->map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       map->map_type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Largest value a record holds: every CPU's value for per-CPU maps. */
static u32 map_trace_value_max(const struct bpf_map *map)
{
	if (map_is_percpu(map))
		return round_up(map->value_size, 8) * num_possible_cpus();
	return map->value_size;
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

static __always_inline struct map_trace_slot *
map_trace_slot(struct bpf_map_trace_ring *ring, u64 seq)
{
	return (void *)ring->slots + (seq & (ring->entries - 1)) * ring->slot_size;
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
 * Keys and values of 4 and 8 bytes, the common ones, without a call to
 * memcpy(): a record is mostly small copies. @src may be a program's stack.
 */
static __always_inline void map_trace_copy(void *dst, const void *src,
					   u32 size)
{
	switch (size) {
	case 4:
		put_unaligned(get_unaligned((const u32 *)src), (u32 *)dst);
		break;
	case 8:
		put_unaligned(get_unaligned((const u64 *)src), (u64 *)dst);
		break;
	default:
		memcpy(dst, src, size);
	}
}

/*
 * Copy @n values: one value is value_size bytes (a program's buffer may end
 * there), several are the syscall's per-CPU layout of 8-byte-rounded values.
 */
static __always_inline void map_trace_copy_values(struct bpf_map *map,
						  void *dst, void *src, u32 n)
{
	u32 stride = round_up(map->value_size, 8), i;

	if (n <= 1 && IS_ERR_OR_NULL(map->record)) {
		map_trace_copy(dst, src, map->value_size);
		return;
	}
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

static __always_inline void map_trace_fill_hdr(struct bpf_map_change *h,
					       struct bpf_map *map, u64 seq,
					       u32 op, u64 flags, u32 nr_percpu)
{
	struct task_struct *task = current;

	h->seq = seq;
	h->ts_ns = ktime_get_mono_fast_ns();
	h->lost = 0;
	h->op = op;
	h->flags = flags;
	h->pid = task->pid;
	h->tgid = task->tgid;
	/* init_user_ns maps every kuid to itself: from_kuid() is identity */
	h->uid = __kuid_val(current_uid());
	h->cpu = raw_smp_processor_id();
	h->origin = map_trace_origin(task);
	h->key_size = map->key_size;
	h->nr_percpu = nr_percpu;
	h->value_size = nr_percpu > 1 ?
			round_up(map->value_size, 8) * nr_percpu : map->value_size;
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
 * Claim a slot, fill its header and key; the caller copies the value and
 * publishes. Preemption is off from the claim to the publish, so that
 * readers wait a bounded time for a claimed slot.
 */
static __always_inline struct map_trace_slot *
map_trace_begin(struct bpf_map *map, struct bpf_map_trace_ring **ringp,
		u64 *seqp, u32 op, void *key, u64 flags, u32 nr_percpu)
{
	struct bpf_map_trace_ring *ring = map_trace_ring(map);
	struct map_trace_slot *slot;

	if (!ring || !map_trace_context_ok(ring))
		return NULL;
	slot = map_trace_claim(ring, seqp);
	if (!slot)
		return NULL;
	map_trace_fill_hdr(&slot->hdr, map, *seqp, op, flags, nr_percpu);
	map_trace_copy(slot->data, key, map->key_size);
	*ringp = ring;
	return slot;
}

/* Pairs with atomic64_read_acquire() in map_change_copy(). */
static __always_inline void map_trace_publish(struct map_trace_slot *slot,
					      u64 seq)
{
	atomic64_set_release(&slot->state, seq + 1);
}

/*
 * The ring writers run under bucket and LRU locks: nothing may attach to
 * them (notrace, NOKPROBE_SYMBOL), or a program on them that changes the
 * same map would deadlock.
 */
static __always_inline void map_trace_record(struct bpf_map *map, u32 op,
					     void *key, void *value,
					     u32 nr_percpu, u64 flags)
{
	struct bpf_map_trace_ring *ring;
	struct map_trace_slot *slot;
	u64 seq;

	nr_percpu = map_trace_nr_percpu(nr_percpu);
	preempt_disable_notrace();
	slot = map_trace_begin(map, &ring, &seq, op, key, flags, nr_percpu);
	if (slot) {
		map_trace_copy_values(map, slot->data + ring->key_off, value,
				      nr_percpu);
		map_trace_publish(slot, seq);
	}
	preempt_enable_notrace();
}

notrace void __bpf_map_trace_record(struct bpf_map *map, u32 op, void *key,
				    void *value, u32 nr_percpu, u64 flags)
{
	map_trace_record(map, op, key, value, nr_percpu, flags);
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
	struct bpf_map_trace_ring *ring;
	struct map_trace_slot *slot;
	void *dst;
	u64 seq;

	preempt_disable_notrace();
	slot = map_trace_begin(map, &ring, &seq, op, key, flags, 0);
	if (slot) {
		dst = slot->data + ring->key_off;
		if (btf_record_has_field(map->record, BPF_SPIN_LOCK) &&
		    op != BPF_MAP_CHANGE_EVICT && !in_nmi())
			copy_map_value_locked(map, dst, value, true);
		else
			copy_map_value(map, dst, value);
		map_trace_zero_fields(map, dst);
		map_trace_publish(slot, seq);
	}
	preempt_enable_notrace();
}

NOKPROBE_SYMBOL(__bpf_map_trace_record_elem);

notrace void __bpf_map_trace_record_pcpu(struct bpf_map *map, u32 op,
					 void *key, void __percpu *pptr,
					 u64 flags)
{
	u32 stride = round_up(map->value_size, 8);
	struct bpf_map_trace_ring *ring;
	struct map_trace_slot *slot;
	void *dst;
	u64 seq;
	int cpu;

	preempt_disable_notrace();
	slot = map_trace_begin(map, &ring, &seq, op, key, flags,
			       num_possible_cpus());
	if (slot) {
		dst = slot->data + ring->key_off;
		for_each_possible_cpu(cpu) {
			copy_map_value_long(map, dst, per_cpu_ptr(pptr, cpu));
			map_trace_zero_fields(map, dst);
			dst += stride;
		}
		map_trace_publish(slot, seq);
	}
	preempt_enable_notrace();
}

NOKPROBE_SYMBOL(__bpf_map_trace_record_pcpu);

/* An update at a call site that holds no lock: record it, call the hook. */
notrace void __bpf_map_trace_update(struct bpf_map *map, void *key,
				    void *value, u32 nr_percpu, u64 flags)
{
	if (rcu_access_pointer(map->trace_ring))
		map_trace_record(map, BPF_MAP_CHANGE_UPDATE, key, value,
				 nr_percpu, flags);
	bpf_map_trace_hook_update(map, key, value, flags, nr_percpu);
}

NOKPROBE_SYMBOL(__bpf_map_trace_update);

static void map_trace_ring_free(struct bpf_map_trace_ring *ring)
{
	free_percpu(ring->nmi_lost);
	kvfree(ring);
}

static struct bpf_map_trace_ring *map_trace_ring_alloc(struct bpf_map *map,
						       u32 entries)
{
	struct bpf_map_trace_ring *ring;
	u32 key_off, value_cap, slot_size;
	u64 bytes;

	key_off = round_up(map->key_size, 8);
	value_cap = round_up(map_trace_value_max(map), 8);
	slot_size = sizeof(struct map_trace_slot) + key_off + value_cap;
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
static void map_trace_ring_put(struct bpf_map_trace_ring *ring)
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
static int map_trace_enable(struct bpf_map *map, u32 entries)
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

static void map_trace_disable(struct bpf_map *map)
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
	map_trace_ring_put(ring);
}

static struct bpf_map_trace_ring *map_trace_ring_get(struct bpf_map *map)
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

/* The bpf_map_change iterator. */
struct bpf_iter_seq_map_change_info {
	struct bpf_map *map;
	struct bpf_map_trace_ring *ring;	/* NULL: nothing recorded */
	struct bpf_map_change hdr;
	void *key;
	void *value;
	u64 end;	/* sequence number where this read stops */
	u64 cur;	/* record in hdr/key/value */
	u64 next;	/* first sequence number not yet shown */
	u64 skip;	/* bpf_map_change_skip(): show nothing before it */
	u32 since_resched;
	bool valid;
};

enum map_change_copied {
	MC_COPIED,
	MC_LOST,	/* overwritten, or dropped by its writer */
	MC_PENDING,	/* its writer has not published it yet */
};

/* Wait for @slot to hold @seq; how long is bounded by time, not spins. */
static enum map_change_copied map_change_wait(struct map_trace_slot *slot,
					      u64 seq)
{
	u64 state, deadline = 0, now;

	for (;;) {
		/* pairs with map_trace_publish(): the record is complete */
		state = atomic64_read_acquire(&slot->state);
		if (state == seq + 1)
			return MC_COPIED;
		/* a newer record, or one newer than @seq gave the slot up */
		if ((state & ~MAP_TRACE_BUSY) > seq + 1 ||
		    (u64)atomic64_read(&slot->dropped) > seq)
			return MC_LOST;
		/*
		 * BUSY with @seq: being written, with preemption off. Older:
		 * the writer of @seq is between taking the number and claiming
		 * the slot, or about to drop it. Either way it is quick, unless
		 * an interrupt or a preempted vCPU holds it up.
		 */
		now = ktime_get_mono_fast_ns();
		if (!deadline)
			deadline = now + MAP_TRACE_WAIT_NS;
		else if (now > deadline)
			return MC_PENDING;
		cpu_relax();
	}
}

/* Copy record @seq out of the ring. */
static enum map_change_copied
map_change_copy(struct bpf_iter_seq_map_change_info *info, u64 seq)
{
	struct bpf_map_trace_ring *ring = info->ring;
	struct map_trace_slot *slot = map_trace_slot(ring, seq);
	enum map_change_copied ret;
	u32 len;

	ret = map_change_wait(slot, seq);
	if (ret != MC_COPIED)
		return ret;
	/* a lapping writer may write the slot as we copy it: checked below */
	data_race(memcpy(&info->hdr, &slot->hdr, sizeof(info->hdr)));
	len = min(info->hdr.value_size, ring->value_cap);
	/* racy as the header */
	data_race(memcpy(info->key, slot->data, info->map->key_size));
	/* racy as the header */
	data_race(memcpy(info->value, slot->data + ring->key_off, len));
	memset(info->value + len, 0, ring->value_cap - len);
	/*
	 * Order the copy before the re-check; a writer lapping us sets BUSY
	 * with a full barrier (cmpxchg) before touching the data.
	 */
	smp_rmb();
	return atomic64_read(&slot->state) == seq + 1 ? MC_COPIED : MC_LOST;
}

/*
 * The next record from @from on. A record still being written ends this
 * read before it, and is neither shown nor counted lost: the next read
 * shows it.
 */
static bool map_change_fetch(struct bpf_iter_seq_map_change_info *info,
			     u64 from)
{
	u64 seq;

	for (seq = from; seq < info->end; seq++) {
		/* long reads on !PREEMPT kernels */
		if (++info->since_resched >= MAP_TRACE_RESCHED) {
			info->since_resched = 0;
			cond_resched();
		}
		switch (map_change_copy(info, seq)) {
		case MC_COPIED:
			info->hdr.lost = seq - info->next;
			info->cur = seq;
			return info->valid = true;
		case MC_PENDING:
			info->end = seq;
			return info->valid = false;
		case MC_LOST:
			break;
		}
	}
	return info->valid = false;
}

static void *bpf_map_change_seq_start(struct seq_file *seq, loff_t *pos)
{
	struct bpf_iter_seq_map_change_info *info = seq->private;
	struct bpf_map_trace_ring *ring = info->ring;
	u64 head;

	if (!ring)
		return NULL;
	if (*pos == 0) {
		head = atomic64_read(&ring->head);
		if (head & MAP_TRACE_CLOSED)
			head = min(head & ~MAP_TRACE_CLOSED,
				   READ_ONCE(ring->closed_at));
		info->end = head;
		info->next = ring->base;
		if (!map_change_fetch(info, head - ring->base > ring->entries ?
					    head - ring->entries : ring->base))
			return NULL;
		return info;
	}
	/* a later read(): show the pending record afresh, as the ring has it */
	if (!info->valid || !map_change_fetch(info, info->cur))
		return NULL;
	return info;
}

static void *bpf_map_change_seq_next(struct seq_file *seq, void *v,
				     loff_t *pos)
{
	struct bpf_iter_seq_map_change_info *info = seq->private;

	++*pos;
	/* records skipped on request are not lost */
	info->next = max(info->cur + 1, info->skip);
	return map_change_fetch(info, info->next) ? info : NULL;
}

struct bpf_iter__bpf_map_change {
	__bpf_md_ptr(struct bpf_iter_meta *, meta);
	__bpf_md_ptr(struct bpf_map *, map);
	__bpf_md_ptr(struct bpf_map_change *, change);
	__bpf_md_ptr(void *, key);
	__bpf_md_ptr(void *, value);
};

DEFINE_BPF_ITER_FUNC(bpf_map_change, struct bpf_iter_meta *meta,
		     struct bpf_map *map, struct bpf_map_change *change,
		     void *key, void *value)

static int __bpf_map_change_seq_show(struct seq_file *seq, void *v,
				     bool in_stop)
{
	struct bpf_iter_seq_map_change_info *info = seq->private;
	struct bpf_iter__bpf_map_change ctx = {};
	struct bpf_iter_meta meta;
	struct bpf_prog *prog;

	meta.seq = seq;
	prog = bpf_iter_get_info(&meta, in_stop);
	if (!prog)
		return 0;
	ctx.meta = &meta;
	ctx.map = info->map;
	if (v) {
		ctx.change = &info->hdr;
		ctx.key = info->key;
		ctx.value = info->value;
	}
	return bpf_iter_run_prog(prog, &ctx);
}

static int bpf_map_change_seq_show(struct seq_file *seq, void *v)
{
	return __bpf_map_change_seq_show(seq, v, false);
}

static void bpf_map_change_seq_stop(struct seq_file *seq, void *v)
{
	if (!v)
		(void)__bpf_map_change_seq_show(seq, NULL, true);
}

static const struct seq_operations bpf_map_change_seq_ops = {
	.start	= bpf_map_change_seq_start,
	.next	= bpf_map_change_seq_next,
	.stop	= bpf_map_change_seq_stop,
	.show	= bpf_map_change_seq_show,
};

/*
 * Each open seq_file holds a uref on the map and a reference on the ring,
 * so a read outlives the link, the map fd and the end of recording.
 */
static int bpf_iter_init_map_change(void *priv_data,
				    struct bpf_iter_aux_info *aux)
{
	struct bpf_iter_seq_map_change_info *info = priv_data;
	struct bpf_map *map = aux->map;
	u32 value_cap = round_up(map_trace_value_max(map), 8);

	info->key = kzalloc(map->key_size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	info->value = kvzalloc(value_cap, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!info->key || !info->value) {
		kfree(info->key);
		kvfree(info->value);
		return -ENOMEM;
	}
	bpf_map_inc_with_uref(map);
	info->map = map;
	info->ring = map_trace_ring_get(map);
	return 0;
}

static void bpf_iter_fini_map_change(void *priv_data)
{
	struct bpf_iter_seq_map_change_info *info = priv_data;

	if (info->ring)
		map_trace_ring_put(info->ring);
	bpf_map_put_with_uref(info->map);
	kfree(info->key);
	kvfree(info->value);
}

static const struct bpf_iter_seq_info bpf_map_change_seq_info = {
	.seq_ops		= &bpf_map_change_seq_ops,
	.init_seq_private	= bpf_iter_init_map_change,
	.fini_seq_private	= bpf_iter_fini_map_change,
	.seq_priv_size		= sizeof(struct bpf_iter_seq_map_change_info),
};

static int bpf_iter_attach_map_change(struct bpf_prog *prog,
				      union bpf_iter_link_info *linfo,
				      struct bpf_iter_aux_info *aux)
{
	struct bpf_map *map;
	int err;

	/*
	 * History shows other tasks' data: as privileged as tracing, with
	 * the capabilities the program was loaded with a BPF token for.
	 */
	if (!bpf_token_capable(prog->aux->token, CAP_BPF) ||
	    !bpf_token_capable(prog->aux->token, CAP_PERFMON))
		return -EPERM;
	if (!linfo->map_change.map_fd)
		return -EBADF;
	map = bpf_map_get_with_uref(linfo->map_change.map_fd);
	if (IS_ERR(map))
		return PTR_ERR(map);

	err = -EOPNOTSUPP;
	if (!map_trace_supported(map) || bpf_map_is_offloaded(map))
		goto put_map;
	err = -EACCES;
	if (prog->aux->max_rdonly_access > map->key_size ||
	    prog->aux->max_rdwr_access > map_trace_value_max(map))
		goto put_map;
	err = map_trace_enable(map, linfo->map_change.ring_entries);
	if (err)
		goto put_map;
	aux->map = map;
	return 0;

put_map:
	bpf_map_put_with_uref(map);
	return err;
}

static void bpf_iter_detach_map_change(struct bpf_iter_aux_info *aux)
{
	map_trace_disable(aux->map);
	bpf_map_put_with_uref(aux->map);
}

static int bpf_iter_fill_link_info_map_change(const struct bpf_iter_aux_info *aux,
					      struct bpf_link_info *info)
{
	struct bpf_map_trace_ring *ring;

	info->iter.map.map_id = aux->map->id;
	/* the ring's size never changes while it is published */
	rcu_read_lock();
	ring = rcu_dereference(aux->map->trace_ring);
	info->iter.map_change.ring_entries = ring ? ring->entries : 0;
	rcu_read_unlock();
	return 0;
}

static void bpf_iter_show_fdinfo_map_change(const struct bpf_iter_aux_info *aux,
					    struct seq_file *seq)
{
	struct bpf_map_trace_ring *ring;
	u64 nmi_lost = 0;
	int cpu;

	seq_printf(seq, "map_id:\t%u\n", aux->map->id);
	rcu_read_lock();
	ring = rcu_dereference(aux->map->trace_ring);
	if (ring) {
		seq_printf(seq, "ring_entries:\t%u\nnext_seq:\t%llu\n",
			   ring->entries,
			   atomic64_read(&ring->head) & ~MAP_TRACE_CLOSED);
		if (ring->nmi_lost) {
			for_each_possible_cpu(cpu)
				nmi_lost += *per_cpu_ptr(ring->nmi_lost, cpu);
			seq_printf(seq, "lost_in_nmi:\t%llu\n", nmi_lost);
		}
	}
	rcu_read_unlock();
}

BTF_ID_LIST_SINGLE(btf_bpf_map_change_id, struct, bpf_map_change)

static struct bpf_iter_reg bpf_map_change_reg_info = {
	.target			= "bpf_map_change",
	.attach_target		= bpf_iter_attach_map_change,
	.detach_target		= bpf_iter_detach_map_change,
	.show_fdinfo		= bpf_iter_show_fdinfo_map_change,
	.fill_link_info		= bpf_iter_fill_link_info_map_change,
	.ctx_arg_info_size	= 3,
	.ctx_arg_info		= {
		{ offsetof(struct bpf_iter__bpf_map_change, change),
		  PTR_TO_BTF_ID_OR_NULL | PTR_TRUSTED },
		{ offsetof(struct bpf_iter__bpf_map_change, key),
		  PTR_TO_BUF | PTR_MAYBE_NULL | MEM_RDONLY },
		{ offsetof(struct bpf_iter__bpf_map_change, value),
		  PTR_TO_BUF | PTR_MAYBE_NULL },
	},
	.seq_info		= &bpf_map_change_seq_info,
};

__bpf_kfunc_start_defs();

/**
 * bpf_map_change_skip() - go on with the records from @seq
 * @meta: the bpf_map_change iterator program's ctx->meta
 * @seq: the first sequence number to show next
 *
 * A reader that knows where it stopped (a replay, a follower) skips what
 * it has seen without having each record copied out of the ring. The
 * records skipped are not counted as lost; skipping back does nothing.
 *
 * Return: 0, or -EINVAL if @meta is not a bpf_map_change iterator's.
 */
__bpf_kfunc int bpf_map_change_skip(struct bpf_iter_meta *meta, u64 seq)
{
	struct bpf_iter_seq_map_change_info *info;

	if (meta->seq->op != &bpf_map_change_seq_ops)
		return -EINVAL;
	/* the program runs from this seq_file's show, under its lock */
	info = meta->seq->private;
	info->skip = max(info->skip, seq);
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(map_change_kfunc_ids)
BTF_ID_FLAGS(func, bpf_map_change_skip, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(map_change_kfunc_ids)

static const struct btf_kfunc_id_set map_change_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &map_change_kfunc_ids,
};

static int __init bpf_map_change_iter_init(void)
{
	int err;

	bpf_map_change_reg_info.ctx_arg_info[0].btf_id = *btf_bpf_map_change_id;
	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING,
					&map_change_kfunc_set);
	return err ?: bpf_iter_reg_target(&bpf_map_change_reg_info);
}

late_initcall(bpf_map_change_iter_init);
