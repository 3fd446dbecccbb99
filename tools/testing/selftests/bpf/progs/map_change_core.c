// SPDX-License-Identifier: GPL-2.0
/*
 * Writers for the map change history regression tests (map_change_core):
 * programs nested in syscall map commands, BPF_F_LOCK updates, and many
 * updates per run for a small ring. The records are read with the common
 * iterator programs of map_change.c (struct change_rec).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* Set by the test before load. */
const volatile __u32 target_tgid;
const volatile __u32 perf_key_base = 1000;
const volatile __u32 fentry_key_base = 2000;
const volatile __u32 key_range = 1000;
const volatile __u64 lock_prog_tag;

/* origin_nested: the traced map, and an untraced one watched by fentry */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} origin_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} other_map SEC(".maps");

/* lookup_delete_flags, lock_replay: preallocated, a spin lock in the value */
struct lock_val {
	struct bpf_spin_lock lock;
	__u64 v;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct lock_val);
} lock_map SEC(".maps");

/* small_ring_churn */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} churn_map SEC(".maps");

/* the batch's user buffers: faults on them happen inside the command */
__u64 buf_lo, buf_hi;
__u32 perf_runs, perf_buf_faults, perf_updates;
__u32 other_map_id, fentry_runs, fentry_updates;
__u64 lock_prog_runs, lock_prog_updates;
__u64 churn_updates;

/*
 * On page faults of the test's thread (a software event): runs in task
 * context, with no run context of its own. Records the faulting address.
 */
SEC("perf_event")
int origin_perf(struct bpf_perf_event_data *ctx)
{
	__u64 addr = ctx->addr;
	__u32 key, n;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	n = __sync_fetch_and_add(&perf_runs, 1);
	if (addr >= buf_lo && addr < buf_hi)
		__sync_fetch_and_add(&perf_buf_faults, 1);
	if (n >= key_range)
		return 0;
	key = perf_key_base + n;
	if (!bpf_map_update_elem(&origin_map, &key, &addr, BPF_ANY))
		__sync_fetch_and_add(&perf_updates, 1);
	return 0;
}

/* A syscall update of other_map: a program updates origin_map from inside. */
SEC("fentry/htab_map_update_elem")
int BPF_PROG(origin_fentry, struct bpf_map *map, void *key, void *value,
	     __u64 flags)
{
	__u64 val = 0;
	__u32 k, n;

	if (map->id != other_map_id)
		return 0;
	n = __sync_fetch_and_add(&fentry_runs, 1);
	if (n >= key_range)
		return 0;
	k = fentry_key_base + n;
	bpf_probe_read_kernel(&val, sizeof(val), value);
	if (!bpf_map_update_elem(&origin_map, &k, &val, BPF_ANY))
		__sync_fetch_and_add(&fentry_updates, 1);
	return 0;
}

/* BPF_F_LOCK updates of keys 0..3 from a program, values tagged and rising. */
SEC("tc")
int lock_update(struct __sk_buff *skb)
{
	struct lock_val val = {};
	__u64 n = __sync_fetch_and_add(&lock_prog_runs, 1);
	__u32 key = n & 3;

	val.v = lock_prog_tag | n;
	if (!bpf_map_update_elem(&lock_map, &key, &val, BPF_F_LOCK))
		__sync_fetch_and_add(&lock_prog_updates, 1);
	return 0;
}

#define CHURN_UPDATES	32

/* Many updates per run: writers keep lapping a small ring. */
SEC("tc")
int churn_write(struct __sk_buff *skb)
{
	__u32 base = (bpf_get_smp_processor_id() & 7) * 8, i, ok = 0;
	__u64 val = bpf_ktime_get_ns();

	for (i = 0; i < CHURN_UPDATES; i++) {
		__u32 key = base + (i & 7);

		if (!bpf_map_update_elem(&churn_map, &key, &val, BPF_ANY))
			ok++;
	}
	__sync_fetch_and_add(&churn_updates, ok);
	return 0;
}

/*
 * attach_inflight: an LRU update from thread hold_tid is held inside the
 * update, past the entry and before the change, until the test releases
 * it, hold_max_ns passed or HOLD_LOOPS bpf_loop() calls ran out of
 * iterations (seconds, on a fast machine).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} inflight_map SEC(".maps");

#define HOLD_LOOPS	16

__u32 hold_tid, held, release, updated;
__u64 hold_max_ns = 10000000000ULL;

static __always_inline bool hold_over(__u64 start)
{
	return release || bpf_ktime_get_ns() - start > hold_max_ns;
}

static int hold_cb(__u32 i, __u64 *start)
{
	return hold_over(*start);
}

SEC("fentry/bpf_lru_pop_free")
int BPF_PROG(hold_lru_pop)
{
	__u64 start;
	int i;

	if ((__u32)bpf_get_current_pid_tgid() != hold_tid || held)
		return 0;
	held = 1;
	start = bpf_ktime_get_ns();
	for (i = 0; i < HOLD_LOOPS && !hold_over(start); i++)
		bpf_loop(1 << 23, hold_cb, &start, 0);
	held = 2;
	return 0;
}

/* the held update made its change and returned, still under RCU */
SEC("fexit/htab_lru_map_update_elem")
int BPF_PROG(held_update_done)
{
	if ((__u32)bpf_get_current_pid_tgid() == hold_tid)
		updated = 1;
	return 0;
}

/* attach_inflight from a sleepable program: the same update */
SEC("syscall")
int inflight_sys(void *ctx)
{
	__u32 k = 7;
	__u64 v = 70;

	return bpf_map_update_elem(&inflight_map, &k, &v, BPF_ANY);
}
