// SPDX-License-Identifier: GPL-2.0-only
/*
 * Map change history: fentry-attachable trace hooks called on every change
 * of a supported map, a per-map change ring they append to while a
 * bpf_map_change iterator link is attached, and that iterator target.
 *
 * The ring is an array of fixed-size slots. A writer claims the next
 * sequence number with an atomic increment, marks the slot BUSY with a
 * cmpxchg, fills it and publishes it with a release store of seq + 1. It
 * never blocks and never takes a lock, so it is safe under bucket and LRU
 * locks and in NMI. A writer that finds its slot still BUSY (lapped by a
 * ring's worth of newer writers) drops its record; the reader sees the gap.
 * Readers copy a slot and re-check its state, seqlock style, so they never
 * show a torn record.
 */
#include <linux/bpf.h>
#include <linux/bpf_map_trace.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/cred.h>
#include <linux/filter.h>
#include <linux/rcupdate_trace.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#define MAP_TRACE_BUSY		BIT_ULL(63)
#define MAP_TRACE_DEFAULT	4096
#define MAP_TRACE_MAX		BIT(20)
#define MAP_TRACE_MAX_BYTES	(256ULL << 20)
#define MAP_TRACE_READ_SPINS	100000

struct map_trace_slot {
	u64 state;		/* 0: empty, seq + 1: published, | BUSY: writing */
	struct bpf_map_change hdr;
	u8 data[];		/* key, padded to 8 bytes, then the value */
};

struct bpf_map_trace_ring {
	atomic64_t head;	/* next sequence number */
	refcount_t refcnt;	/* one for being published, one per reader */
	u32 links;		/* attached links, under map_trace_mutex */
	u32 entries;
	u32 slot_size;
	u32 key_off;
	u32 value_cap;
	u64 bytes;
	struct rcu_head rcu;
	u8 slots[] ____cacheline_aligned;
};

DEFINE_STATIC_KEY_FALSE(bpf_map_trace_key);
struct bpf_run_ctx bpf_map_trace_syscall_ctx;
static DEFINE_MUTEX(map_trace_mutex);

/*
 * The hooks. Empty and noinline, with an asm barrier so that the compiler
 * neither drops nor constant-folds the calls: their job is to be a stable
 * fentry/fexit target with the map, key, value and flags as arguments.
 */
noinline void bpf_map_trace_update_elem(struct bpf_map *map, void *key,
					void *value, u64 flags, u32 nr_percpu)
{
	asm volatile("");
}

noinline void bpf_map_trace_delete_elem(struct bpf_map *map, void *key,
					void *value)
{
	asm volatile("");
}

static bool map_trace_supported(const struct bpf_map *map)
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

static struct map_trace_slot *map_trace_slot(struct bpf_map_trace_ring *ring,
					     u64 seq)
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
	h->origin = in_task() && task->bpf_ctx == &bpf_map_trace_syscall_ctx ?
		    BPF_MAP_CHANGE_SYSCALL : BPF_MAP_CHANGE_PROG;
	h->key_size = map->key_size;
	h->nr_percpu = nr_percpu;
	h->value_size = nr_percpu > 1 ?
			round_up(map->value_size, 8) * nr_percpu : map->value_size;
	/* a racing prctl(PR_SET_NAME) may tear it, as it may anywhere */
	memcpy(h->comm, task->comm, sizeof(h->comm));
	h->comm[sizeof(h->comm) - 1] = 0;
}

/* Claim the slot for a new sequence number; NULL if it must be dropped. */
static __always_inline struct map_trace_slot *
map_trace_claim(struct bpf_map_trace_ring *ring, u64 *seqp)
{
	u64 seq = atomic64_fetch_inc(&ring->head);
	struct map_trace_slot *slot = map_trace_slot(ring, seq);
	u64 old = READ_ONCE(slot->state);

	do {
		/* still being written by a lapped writer, or already newer */
		if ((old & MAP_TRACE_BUSY) || old > seq)
			return NULL;
	} while (!try_cmpxchg64(&slot->state, &old, (seq + 1) | MAP_TRACE_BUSY));
	*seqp = seq;
	return slot;
}

/* Where cmpxchg64 is emulated with a lock, NMI writers could deadlock. */
static bool map_trace_context_ok(void)
{
	return IS_ENABLED(CONFIG_ARCH_HAVE_NMI_SAFE_CMPXCHG) || !in_nmi();
}

static struct bpf_map_trace_ring *map_trace_ring(struct bpf_map *map)
{
	return rcu_dereference_check(map->trace_ring, bpf_rcu_lock_held());
}

void __bpf_map_trace_record(struct bpf_map *map, u32 op, void *key,
			    void *value, u32 nr_percpu, u64 flags)
{
	struct bpf_map_trace_ring *ring = map_trace_ring(map);
	struct map_trace_slot *slot;
	u64 seq;

	if (!ring || !map_trace_context_ok())
		return;
	/* bounded time between claim and publish */
	preempt_disable();
	slot = map_trace_claim(ring, &seq);
	if (slot) {
		map_trace_fill_hdr(&slot->hdr, map, seq, op, flags, nr_percpu);
		memcpy(slot->data, key, map->key_size);
		map_trace_copy_values(map, slot->data + ring->key_off, value,
				      nr_percpu);
		/* publish: pairs with smp_load_acquire() in map_change_copy() */
		smp_store_release(&slot->state, seq + 1);
	}
	preempt_enable();
}

void __bpf_map_trace_record_pcpu(struct bpf_map *map, u32 op, void *key,
				 void __percpu *pptr)
{
	struct bpf_map_trace_ring *ring = map_trace_ring(map);
	u32 stride = round_up(map->value_size, 8);
	struct map_trace_slot *slot;
	void *dst;
	u64 seq;
	int cpu;

	if (!ring || !map_trace_context_ok())
		return;
	preempt_disable();
	slot = map_trace_claim(ring, &seq);
	if (slot) {
		map_trace_fill_hdr(&slot->hdr, map, seq, op, 0,
				   num_possible_cpus());
		memcpy(slot->data, key, map->key_size);
		dst = slot->data + ring->key_off;
		for_each_possible_cpu(cpu) {
			copy_map_value_long(map, dst, per_cpu_ptr(pptr, cpu));
			map_trace_zero_fields(map, dst);
			dst += stride;
		}
		/* publish: pairs with smp_load_acquire() in map_change_copy() */
		smp_store_release(&slot->state, seq + 1);
	}
	preempt_enable();
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
	refcount_set(&ring->refcnt, 1);
	ring->entries = entries;
	ring->slot_size = slot_size;
	ring->key_off = key_off;
	ring->value_cap = value_cap;
	ring->bytes = bytes;
	return ring;
}

static void map_trace_ring_free_rcu(struct rcu_head *rcu)
{
	kvfree(container_of(rcu, struct bpf_map_trace_ring, rcu));
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

/* A link starts recording; links of one map share its ring. */
static int map_trace_enable(struct bpf_map *map, u32 entries)
{
	struct bpf_map_trace_ring *ring;
	int n = map_trace_entries(entries);

	if (n < 0)
		return n;
	guard(mutex)(&map_trace_mutex);
	ring = map_trace_ring_locked(map);
	if (ring) {
		if (entries && entries != ring->entries)
			return -EBUSY;
		ring->links++;
		return 0;
	}
	ring = map_trace_ring_alloc(map, n);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	ring->links = 1;
	static_branch_inc(&bpf_map_trace_key);
	rcu_assign_pointer(map->trace_ring, ring);
	return 0;
}

static void map_trace_disable(struct bpf_map *map)
{
	struct bpf_map_trace_ring *ring;

	guard(mutex)(&map_trace_mutex);
	ring = map_trace_ring_locked(map);
	if (WARN_ON_ONCE(!ring) || --ring->links)
		return;
	RCU_INIT_POINTER(map->trace_ring, NULL);
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
	bool valid;
};

/* Copy record @seq out of the ring; false if it was overwritten or dropped. */
static bool map_change_copy(struct bpf_iter_seq_map_change_info *info, u64 seq)
{
	struct bpf_map_trace_ring *ring = info->ring;
	struct map_trace_slot *slot = map_trace_slot(ring, seq);
	u32 len, spins = 0;
	u64 state;

	/*
	 * Acquire pairs with the writer's publishing smp_store_release(): a
	 * published state means the record before it is complete. The writer
	 * of @seq may still be between taking it and publishing (BUSY with
	 * @seq, or an older state not yet claimed); it runs with preemption
	 * off, so wait a bounded time. A newer state means overwritten.
	 */
	state = smp_load_acquire(&slot->state);
	while (state != seq + 1 && (state & ~MAP_TRACE_BUSY) <= seq + 1 &&
	       spins++ < MAP_TRACE_READ_SPINS) {
		cpu_relax();
		state = smp_load_acquire(&slot->state); /* as above */
	}
	if (state != seq + 1)
		return false;
	info->hdr = slot->hdr;
	len = min(info->hdr.value_size, ring->value_cap);
	memcpy(info->key, slot->data, info->map->key_size);
	memcpy(info->value, slot->data + ring->key_off, len);
	memset(info->value + len, 0, ring->value_cap - len);
	/*
	 * Order the copy before the re-check; a writer lapping us sets BUSY
	 * with a full barrier (cmpxchg) before touching the data.
	 */
	smp_rmb();
	return READ_ONCE(slot->state) == seq + 1;
}

static bool map_change_fetch(struct bpf_iter_seq_map_change_info *info,
			     u64 from)
{
	u64 seq;

	for (seq = from; seq < info->end; seq++) {
		if (map_change_copy(info, seq)) {
			info->hdr.lost = seq - info->next;
			info->cur = seq;
			return info->valid = true;
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
		info->end = head;
		info->next = 0;
		if (!map_change_fetch(info, head > ring->entries ?
					    head - ring->entries : 0))
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

	info->key = kzalloc(map->key_size, GFP_USER | __GFP_NOWARN);
	info->value = kvzalloc(value_cap, GFP_USER | __GFP_NOWARN);
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

	/* history shows other tasks' data: as privileged as tracing */
	if (!bpf_capable() || !perfmon_capable())
		return -EPERM;
	if (!linfo->map.map_fd)
		return -EBADF;
	map = bpf_map_get_with_uref(linfo->map.map_fd);
	if (IS_ERR(map))
		return PTR_ERR(map);

	err = -EOPNOTSUPP;
	if (!map_trace_supported(map))
		goto put_map;
	err = -EACCES;
	if (prog->aux->max_rdonly_access > map->key_size ||
	    prog->aux->max_rdwr_access > map_trace_value_max(map))
		goto put_map;
	err = map_trace_enable(map, linfo->map.ring_entries);
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
	guard(mutex)(&map_trace_mutex);
	ring = map_trace_ring_locked(aux->map);
	info->iter.map_change.ring_entries = ring ? ring->entries : 0;
	return 0;
}

static void bpf_iter_show_fdinfo_map_change(const struct bpf_iter_aux_info *aux,
					    struct seq_file *seq)
{
	struct bpf_map_trace_ring *ring;

	seq_printf(seq, "map_id:\t%u\n", aux->map->id);
	guard(mutex)(&map_trace_mutex);
	ring = map_trace_ring_locked(aux->map);
	if (ring)
		seq_printf(seq, "ring_entries:\t%u\nrecorded:\t%llu\n",
			   ring->entries, (u64)atomic64_read(&ring->head));
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
