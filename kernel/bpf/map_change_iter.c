// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bpf_map_change iterator: a map's change history, record by record.
 *
 * Attaching a link starts recording the map's changes into its ring
 * (map_trace.c); each read() of an iterator shows the records in the ring
 * from the oldest it still holds, or from where the program asked to go
 * on (bpf_map_change_skip()). A read copies each record out of its slot
 * and checks the slot again, seqlock style: it never shows a torn record,
 * and counts the records it could not show in the next one's lost.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "map_trace.h"

/* how long a reader waits for a record being written before it stops */
#define MAP_TRACE_WAIT_NS	NSEC_PER_MSEC
#define MAP_TRACE_RESCHED	1024

struct bpf_iter_seq_map_change_info {
	struct bpf_map *map;
	struct bpf_map_trace_ring *ring;	/* NULL: nothing recorded */
	/* a copy of a slot's record: the header, the key, the value */
	struct bpf_map_change *hdr;
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

/*
 * Wait for @slot to hold @seq; how long is bounded by time, not spins. Out
 * of line: most records are published when they are read.
 */
static noinline enum map_change_copied
map_change_wait(struct map_trace_slot *slot, u64 seq)
{
	u64 state, deadline = 0, now;

	for (;;) {
		/* pairs with map_trace_commit() (map_trace.c): record complete */
		state = atomic64_read_acquire(&slot->state);
		if (state == seq + 1)
			return MC_COPIED;
		/* a newer record */
		if ((state & ~MAP_TRACE_BUSY) > seq + 1)
			return MC_LOST;
		/*
		 * Not yet claimed for @seq, and a writer of @seq or newer gave
		 * the slot up: @seq's own, or a newer one that met an older
		 * writer there, as @seq's most likely did too (a record is then
		 * counted lost that a later read may show). A newer writer that
		 * found @seq's writing it leaves it to be published.
		 */
		if (state != ((seq + 1) | MAP_TRACE_BUSY) &&
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

/*
 * The header, key and value, laid out in info->hdr as in the slot. Keys
 * and values of 4 or 8 bytes (ring->copy) of maps that are not per-CPU are
 * 16 bytes of data with their padding, without a call. A lapping writer
 * may write the slot as we copy it: the caller checks.
 */
static __always_inline void
map_change_copy_record(struct bpf_iter_seq_map_change_info *info,
		       struct bpf_map_trace_ring *ring,
		       struct map_trace_slot *slot)
{
	const u64 *src = (const u64 *)slot->data;
	u64 *dst = info->key;
	u32 len;

	/* info->key follows the header, 8-byte aligned as in the slot */
	BUILD_BUG_ON(!IS_ALIGNED(sizeof(struct bpf_map_change), 8));
	/* racy: a lapping writer; the caller checks the state again */
	data_race(*info->hdr = slot->hdr);
	if (ring->copy >= MAP_TRACE_COPY_K4_V4 && !ring->percpu) {
		/* racy as the header */
		dst[0] = data_race(src[0]);
		/* racy as the header */
		dst[1] = data_race(src[1]);
		return;
	}
	len = min(info->hdr->value_size, ring->value_cap);
	/* racy as the header */
	data_race(memcpy(dst, src, ring->key_off + len));
	/* one CPU's value in a buffer for all of them, or a size not 8n */
	if (len < ring->value_cap)
		memset(info->value + len, 0, ring->value_cap - len);
}

/* Copy record @seq out of the ring. */
static enum map_change_copied
map_change_copy(struct bpf_iter_seq_map_change_info *info, u64 seq)
{
	struct bpf_map_trace_ring *ring = info->ring;
	struct map_trace_slot *slot = map_trace_slot(ring, seq);
	enum map_change_copied ret;

	/* pairs with map_trace_commit() (map_trace.c): record complete */
	if (atomic64_read_acquire(&slot->state) != seq + 1) {
		ret = map_change_wait(slot, seq);
		if (ret != MC_COPIED)
			return ret;
	}
	map_change_copy_record(info, ring, slot);
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
 * shows it. Inline: in seq_next, once a record.
 */
static __always_inline bool
map_change_fetch(struct bpf_iter_seq_map_change_info *info, u64 from)
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
			info->hdr->lost = seq - info->next;
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
	u64 head, from;

	if (!ring)
		return NULL;
	if (*pos == 0) {
		head = atomic64_read(&ring->head);
		if (head & MAP_TRACE_CLOSED)
			head = min(head & ~MAP_TRACE_CLOSED,
				   READ_ONCE(ring->closed_at));
		info->end = head;
		info->next = ring->base;
		from = head - ring->base > ring->entries ?
		       head - ring->entries : ring->base;
	} else if (info->valid) {
		/* a later read(): the pending record afresh, as the ring has it */
		from = info->cur;
	} else {
		return NULL;
	}
	return map_change_fetch(info, from) ? info : NULL;
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
		ctx.change = info->hdr;
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
	u32 key_off = round_up(map->key_size, 8);
	u32 value_cap = round_up(map_trace_value_max(map), 8);

	/* as a slot lays a record out (map_trace_ring_alloc()) */
	info->hdr = kvzalloc(sizeof(*info->hdr) + key_off + value_cap,
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!info->hdr)
		return -ENOMEM;
	info->key = info->hdr + 1;
	info->value = info->key + key_off;
	bpf_map_inc_with_uref(map);
	info->map = map;
	info->ring = bpf_map_trace_ring_get(map);
	return 0;
}

static void bpf_iter_fini_map_change(void *priv_data)
{
	struct bpf_iter_seq_map_change_info *info = priv_data;

	if (info->ring)
		bpf_map_trace_ring_put(info->ring);
	bpf_map_put_with_uref(info->map);
	kvfree(info->hdr);
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
	err = bpf_map_trace_enable(map, linfo->map_change.ring_entries);
	if (err)
		goto put_map;
	aux->map = map;
	aux->rdonly_buf_size = map->key_size;
	aux->rdwr_buf_size = map_trace_value_max(map);
	return 0;

put_map:
	bpf_map_put_with_uref(map);
	return err;
}

static void bpf_iter_detach_map_change(struct bpf_iter_aux_info *aux)
{
	bpf_map_trace_disable(aux->map);
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
