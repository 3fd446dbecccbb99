/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_CHANGE_ROBUST_H
#define __MAP_CHANGE_ROBUST_H

#define STRESS_KEYS	64

/* Every value written carries a check of its key and tag: a torn record fails it. */
struct stress_val {
	__u64 tag;
	__u64 check;
};

static inline __u64 stress_check(__u32 key, __u64 tag)
{
	return (key * 0x9E3779B97F4A7C15ULL) ^ tag ^ 0x5bd1e9955bd1e995ULL;
}

/* Tags: the writer in the top byte, its own counter below. */
#define TAG_WRITER(t)	((__u64)(t) >> 56)
#define TAG_COUNT(t)	((t) & ((1ULL << 56) - 1))
#define MAKE_TAG(w, n)	(((__u64)(w) << 56) | (n))
#define W_TESTRUN	0xb0
#define W_FENTRY	0xb1
#define W_PERF		0xb2

/* What the stress iterator writes per record. */
struct stress_rec {
	__u64 seq;
	__u64 lost;
	__u32 op;
	__u32 key;
	struct stress_val val;
};

#endif
