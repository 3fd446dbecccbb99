// SPDX-License-Identifier: GPL-2.0
/* A map value with a bpf_spin_lock and a kptr: records must show zeros there. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_experimental.h"

char _license[] SEC("license") = "GPL";

struct node_data {
	long x;
};

struct fields_val {
	struct bpf_spin_lock lock;
	__u64 data;
	struct node_data __kptr *node;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct fields_val);
} fields_map SEC(".maps");

/* A list head: bpf_obj_init() would write its own address into it. */
struct elem {
	long x;
	struct bpf_list_node node;
};

struct list_val {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
	__u64 data;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct list_val);
} list_map SEC(".maps");

int stored;

/* Store a kptr and write data under the lock, from a program. */
SEC("tc")
int store_kptr(struct __sk_buff *skb)
{
	struct node_data *n;
	struct fields_val *v;
	__u32 k = 1;

	v = bpf_map_lookup_elem(&fields_map, &k);
	if (!v)
		return 0;
	n = bpf_obj_new(typeof(*n));
	if (!n)
		return 0;
	n->x = 42;
	n = bpf_kptr_xchg(&v->node, n);
	if (n)
		bpf_obj_drop(n);
	bpf_spin_lock(&v->lock);
	v->data = 7;
	bpf_spin_unlock(&v->lock);
	stored = 1;
	return 0;
}

/* Put an element on the list of key 1 of list_map. */
SEC("tc")
int push_elem(struct __sk_buff *skb)
{
	struct list_val *v;
	struct elem *e;
	__u32 k = 1;

	v = bpf_map_lookup_elem(&list_map, &k);
	if (!v)
		return 0;
	e = bpf_obj_new(typeof(*e));
	if (!e)
		return 0;
	e->x = 1;
	bpf_spin_lock(&v->lock);
	bpf_list_push_front(&v->head, &e->node);
	bpf_spin_unlock(&v->lock);
	stored = 2;
	return 0;
}

SEC("iter/bpf_map_change")
int dump_list(struct bpf_iter__bpf_map_change *ctx)
{
	struct list_val *v = ctx->value;

	if (v)
		bpf_seq_write(ctx->meta->seq, v, sizeof(*v));
	return 0;
}

SEC("iter/bpf_map_change")
int dump_fields(struct bpf_iter__bpf_map_change *ctx)
{
	struct bpf_map_change *c = ctx->change;
	struct fields_val *v = ctx->value;
	__u64 out[4];

	if (!c || !v)
		return 0;
	out[0] = c->op;
	__builtin_memcpy(&out[1], v, sizeof(*v));
	bpf_seq_write(ctx->meta->seq, out, sizeof(out));
	return 0;
}
