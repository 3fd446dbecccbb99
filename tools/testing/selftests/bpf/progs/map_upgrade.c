// SPDX-License-Identifier: GPL-2.0
/*
 * Live upgrade of a stateful program: the old hot path keeps changing map A
 * while its entries move to map B of the new layout. Two ways:
 * - history: bulk copy, then replay A's change history from where the copy
 *   started (the ring's sequence numbers say whether it lost records);
 * - tracing: programs on the trace hooks translate every change of A into
 *   B, and a bulk copy that defers to them fills in the rest.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "map_upgrade.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct old_key);
	__type(value, struct old_val);
} map_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct new_val);
} map_b SEC(".maps");

/*
 * Tracing: what B should hold for a key, as of the latest version. The
 * hooks and the bulk copy each make a version under the lock, change B
 * outside it (helpers cannot be called under a bpf_spin_lock), and apply
 * the latest version again if a newer one came meanwhile: see settle().
 */
struct want {
	struct bpf_spin_lock lock;
	__u32 present;		/* 0: B should not hold the key */
	__u64 ver;		/* 0: neither a hook nor the copy made one yet */
	struct new_val val;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct want);
} wants SEC(".maps");

__u64 hot_calls;
struct upgrade_stats stats;
__u32 a_id;		/* tracing: the map whose changes are translated */
__u32 armed;		/* tracing: set once both hooks are attached */
__u32 inject_races;	/* copy: bit fd set: race the copy of {RACE_PID, fd} */

/* The old program's hot path: account a call on {pid 100, fd}, or close it. */
SEC("tc")
int old_hot_path(struct __sk_buff *skb)
{
	__u32 r = bpf_get_prandom_u32();
	struct old_key k = { .pid = HOT_PID, .fd = r % NR_FDS };
	struct old_val v = { .bytes = r, .calls = ++hot_calls };

	if (r % 4 == 0)
		bpf_map_delete_elem(&map_a, &k);
	else
		bpf_map_update_elem(&map_a, &k, &v, BPF_ANY);
	return 0;
}

/*
 * What a writer does between the copy's read of an element and its write
 * to B, made certain to happen for the RACE_PID keys: fd 0 is deleted,
 * fd 1 updated.
 */
static void race_the_copy(const struct old_key *k, const struct old_val *v)
{
	struct old_key rk = *k;
	struct old_val rv = *v;

	if (rk.pid != RACE_PID || rk.fd > 1 || !(inject_races & 1 << rk.fd))
		return;
	inject_races &= ~(1 << rk.fd);
	if (rk.fd == 0) {
		bpf_map_delete_elem(&map_a, &rk);
	} else {
		rv.calls += 1000;
		bpf_map_update_elem(&map_a, &rk, &rv, BPF_ANY);
	}
	__sync_fetch_and_add(&stats.injected, 1);
}

/* History: bulk copy, every element of A translated into B. */
SEC("iter/bpf_map_elem")
int copy_a_to_b(struct bpf_iter__bpf_map_elem *ctx)
{
	struct old_key *k = ctx->key;
	struct old_val *v = ctx->value;
	struct new_val n;
	__u64 nk;

	if (!k || !v)
		return 0;
	nk = new_key(k);
	new_value(&n, v);
	race_the_copy(k, v);
	bpf_map_update_elem(&map_b, &nk, &n, BPF_ANY);
	return 0;
}

extern int bpf_map_change_skip(struct bpf_iter_meta *meta, __u64 seq) __ksym;

/*
 * History: replay A's records from stats.next_seq on, in sequence order. A
 * gap in the sequence numbers is counted as lost: the replay cannot be exact.
 * Each pass skips what the previous ones replayed, in the kernel.
 */
SEC("iter/bpf_map_change")
int replay_a_to_b(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;
	struct old_key *k = ctx->key;
	struct old_val *v = ctx->value;
	struct new_val n;
	__u64 nk;

	if (!c || !k || !v)
		return 0;
	if (c->seq < stats.next_seq) {
		bpf_map_change_skip(ctx->meta, stats.next_seq);
		return 0;
	}
	stats.lost += c->seq - stats.next_seq;
	stats.next_seq = c->seq + 1;
	stats.replayed++;
	nk = new_key(k);
	if (c->op == BPF_MAP_CHANGE_UPDATE) {
		new_value(&n, v);
		bpf_map_update_elem(&map_b, &nk, &n, BPF_ANY);
	} else {
		bpf_map_delete_elem(&map_b, &nk);
		stats.deletes++;
	}
	return 0;
}

/*
 * Tracing: translate each change of A into B, once both programs are
 * attached: a delete between the two attachments would be missed while the
 * update before it was translated. Read with a full barrier: a change that
 * found the translation unarmed is one the bulk copy, started after arming,
 * sees in A.
 */
static bool translate(const struct bpf_map *map)
{
	return map->id == a_id && __sync_fetch_and_add(&armed, 0);
}

enum actor { BY_COPY, UPDATE_HOOK, DELETE_HOOK };

/*
 * A change of B (or of wants) made by a hook program calls a hook again;
 * when it is the hook the program is attached to, the trampoline skips the
 * nested run and counts it in the program's recursion_misses. Count those
 * here, so that the misses beyond them are changes of A not seen.
 */
static void own_miss(enum actor self, enum actor hook)
{
	if (self != hook)
		return;
	if (hook == UPDATE_HOOK)
		__sync_fetch_and_add(&stats.own_update_misses, 1);
	else
		__sync_fetch_and_add(&stats.own_delete_misses, 1);
}

static struct want *want_of(__u64 nk, enum actor self)
{
	struct want *w = bpf_map_lookup_elem(&wants, &nk);
	struct want none = {};

	if (w)
		return w;
	if (!bpf_map_update_elem(&wants, &nk, &none, BPF_NOEXIST))
		own_miss(self, UPDATE_HOOK);
	return bpf_map_lookup_elem(&wants, &nk);
}

/*
 * Make B hold what version @ver says, until no newer version came
 * meanwhile: two actors may change B in the other order than they made
 * their versions, and the one that overtook a newer version applies the
 * newer one again. The last change of B is then always of the latest
 * version. An actor is the copy or the hook of a change, and the hooks of
 * one key run in the order of its changes, as one thread changes it (keys
 * are per {pid, fd}). Returns false if B did not settle.
 */
static bool settle(__u64 nk, struct want *w, __u64 ver, struct want *s,
		   enum actor self)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (s->present) {
			if (!bpf_map_update_elem(&map_b, &nk, &s->val, BPF_ANY))
				own_miss(self, UPDATE_HOOK);
		} else if (!bpf_map_delete_elem(&map_b, &nk)) {
			own_miss(self, DELETE_HOOK);
		}
		bpf_spin_lock(&w->lock);
		if (w->ver == ver) {
			bpf_spin_unlock(&w->lock);
			return true;
		}
		ver = w->ver;
		s->present = w->present;
		s->val = w->val;
		bpf_spin_unlock(&w->lock);
		__sync_fetch_and_add(&stats.reapplied, 1);
	}
	return false;
}

/* A hook: a new version for the key, then settle B. */
static void translate_change(struct old_key *k, struct old_val *v,
			     enum actor self)
{
	__u64 nk = new_key(k), ver;
	struct want s = {}, *w;

	w = want_of(nk, self);
	if (!w) {
		__sync_fetch_and_add(&stats.errors, 1);
		return;
	}
	s.present = !!v;
	if (v)
		new_value(&s.val, v);
	bpf_spin_lock(&w->lock);
	ver = ++w->ver;
	w->present = s.present;
	w->val = s.val;
	bpf_spin_unlock(&w->lock);
	if (!settle(nk, w, ver, &s, self))
		__sync_fetch_and_add(&stats.errors, 1);
}

SEC("fentry/bpf_map_trace_update_elem")
int BPF_PROG(a_updated, struct bpf_map *map, void *key, void *value,
	     __u64 flags, __u32 nr_percpu)
{
	struct old_key k;
	struct old_val v;

	if (!translate(map))
		return 0;
	if (bpf_probe_read_kernel(&k, sizeof(k), key) ||
	    bpf_probe_read_kernel(&v, sizeof(v), value)) {
		__sync_fetch_and_add(&stats.errors, 1);
		return 0;
	}
	translate_change(&k, &v, UPDATE_HOOK);
	__sync_fetch_and_add(&stats.hook_updates, 1);
	return 0;
}

SEC("fentry/bpf_map_trace_delete_elem")
int BPF_PROG(a_deleted, struct bpf_map *map, void *key, void *value)
{
	struct old_key k;

	if (!translate(map))
		return 0;
	if (bpf_probe_read_kernel(&k, sizeof(k), key)) {
		__sync_fetch_and_add(&stats.errors, 1);
		return 0;
	}
	translate_change(&k, NULL, DELETE_HOOK);
	__sync_fetch_and_add(&stats.hook_deletes, 1);
	return 0;
}

/*
 * Tracing: bulk copy. A key that a hook has a version for is the hooks'
 * to settle: what the copy read may be older. Otherwise the copy's read
 * is version 1, and any change after the read gets a later version from
 * its hook. The copy is made to race a delete and an update right between
 * making its version and changing B, so that both settle again.
 */
SEC("iter/bpf_map_elem")
int copy_a_to_b_traced(struct bpf_iter__bpf_map_elem *ctx)
{
	struct old_key *k = ctx->key;
	struct old_val *v = ctx->value;
	struct want s = { .present = 1 }, *w;
	__u64 nk;

	if (!k || !v)
		return 0;
	nk = new_key(k);
	new_value(&s.val, v);
	w = want_of(nk, BY_COPY);
	if (!w) {
		stats.errors++;
		return 0;
	}
	bpf_spin_lock(&w->lock);
	if (w->ver) {
		bpf_spin_unlock(&w->lock);
		stats.copy_deferred++;
		return 0;
	}
	w->ver = 1;
	w->present = 1;
	w->val = s.val;
	bpf_spin_unlock(&w->lock);
	stats.copied++;
	race_the_copy(k, v);
	if (!settle(nk, w, 1, &s, BY_COPY))
		stats.errors++;
	return 0;
}
