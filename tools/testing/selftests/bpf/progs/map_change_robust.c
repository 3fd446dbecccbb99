// SPDX-License-Identifier: GPL-2.0
/* Writers in several contexts and readers for the robustness tests. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "map_change_robust.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STRESS_KEYS);
	__type(key, __u32);
	__type(value, struct stress_val);
} stress_map SEC(".maps");

/* a 512-byte key and a 64 KiB value: records stay bounded and correct */
struct big_key {
	__u8 b[512];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, struct big_key);
	__uint(value_size, 65536);
} big_map SEC(".maps");

int enabled;
__u64 bpf_updates[3];	/* successful updates by W_TESTRUN, W_FENTRY, W_PERF */
__u64 bpf_counter[3];

/*
 * Keys spread by a multiplicative hash of the writer's count, not
 * bpf_get_prandom_u32(): its per-CPU state is written from task and
 * interrupt context without a lock, which KCSAN reports (make test-kcsan).
 */
static void stress_write(int w)
{
	__u64 n = __sync_fetch_and_add(&bpf_counter[w], 1);
	__u32 key = (__u32)(n * 2654435761u + w) % STRESS_KEYS;
	struct stress_val v;

	v.tag = MAKE_TAG(W_TESTRUN + w, n);
	v.check = stress_check(key, v.tag);
	if (!bpf_map_update_elem(&stress_map, &key, &v, BPF_ANY))
		__sync_fetch_and_add(&bpf_updates[w], 1);
}

/* process context, via BPF_PROG_TEST_RUN with repeat */
SEC("tc")
int stress_testrun(struct __sk_buff *skb)
{
	if (enabled)
		stress_write(0);
	return 0;
}

/* a tracing program, on a syscall the writer threads make */
SEC("fentry/__do_sys_getppid")
int BPF_PROG(stress_fentry)
{
	if (enabled)
		stress_write(1);
	return 0;
}

/* a perf_event program: runs in the timer interrupt */
SEC("perf_event")
int stress_perf(void *ctx)
{
	if (enabled)
		stress_write(2);
	return 0;
}

SEC("iter/bpf_map_change")
int stress_dump(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;
	struct stress_val *v = ctx->value;
	__u32 *key = ctx->key;
	struct stress_rec r;

	if (!c || !key || !v)
		return 0;
	r.seq = c->seq;
	r.lost = c->lost;
	r.op = c->op;
	r.key = *key;
	r.val = *v;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* The big map: first and last bytes of key and value, and sizes. */
SEC("iter/bpf_map_change")
int big_dump(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;
	__u8 *key = ctx->key, *val = ctx->value;
	__u64 out[6];

	if (!c || !key || !val)
		return 0;
	out[0] = c->seq;
	out[1] = c->value_size;
	out[2] = key[0];
	out[3] = key[511];
	out[4] = *(__u64 *)&val[0];
	out[5] = *(__u64 *)&val[65528];
	bpf_seq_write(ctx->meta->seq, out, sizeof(out));
	return 0;
}
