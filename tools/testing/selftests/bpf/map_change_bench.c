// SPDX-License-Identifier: GPL-2.0
/*
 * map_change_bench: the cost of map change history per map update, against
 * what users do today, in one boot. Run in QEMU with -icount shift=0, where
 * guest nanoseconds count instructions.
 *
 * Configurations: (a) recording off, (b) our ring on, (c) fentry on the
 * map's update/delete function copying key and value into a BPF ringbuf,
 * (d) kprobe with a perf buffer, (f) an fentry program on our own hook.
 * Prints CSV lines "BENCH,..." (medians over interleaved rounds), checked:
 * every configuration must have captured what it should.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/kernel.h>
#include "map_trace_helpers.h"
#include "map_change_bench.skel.h"

#define NR_KEYS		64
#define MAX_ENTRIES	4096
#define ROUNDS		5

enum cfg { CFG_A, CFG_B, CFG_C, CFG_D, CFG_F, NR_CFG };
static const char *cfg_name = "abcdf";

struct mtype {
	const char *name;
	enum bpf_map_type type;
	__u32 flags;
	const char *upd_fn, *del_fn;
	bool percpu;
};

static const struct mtype mtypes[] = {
	{ "hash", BPF_MAP_TYPE_HASH, 0, "htab_map_update_elem", "htab_map_delete_elem" },
	{ "hash_noprealloc", BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC,
	  "htab_map_update_elem", "htab_map_delete_elem" },
	{ "lru_hash", BPF_MAP_TYPE_LRU_HASH, 0, "htab_lru_map_update_elem",
	  "htab_lru_map_delete_elem" },
	{ "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 0, "htab_percpu_map_update_elem",
	  "htab_map_delete_elem", true },
	{ "array", BPF_MAP_TYPE_ARRAY, 0, "array_map_update_elem", NULL },
};

static const __u32 sizes[][2] = { { 4, 8 }, { 16, 64 }, { 64, 256 } };

/* "pcpu" mode: removals that copy every possible CPU's value */
static const struct mtype pcpu_types[] = {
	{ "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 0, "htab_percpu_map_update_elem",
	  "htab_map_delete_elem", true },
	{ "lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH, 0,
	  "htab_lru_percpu_map_update_elem", "htab_lru_map_delete_elem", true },
};

struct bench {
	struct map_change_bench *skel;
	const struct mtype *mt;
	__u32 ks, vs;
	int fd;
	int nr_ops;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
};

static bool patched;
static int ncpus;
static const char *kernel_name;
/* "quick" mode: the matrix at the smallest and the largest size only */
static bool quick;
static unsigned char keybuf[64], *valbuf;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int rb_event(void *ctx, void *data, size_t len)
{
	return 0;
}

static void pb_event(void *ctx, int cpu, void *data, __u32 len)
{
}

/* records handed out by the map's ring so far (the link's fdinfo) */
static long long recorded(struct bpf_link *link)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_link__fd(link));
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "next_seq: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* the perf buffer's pages per CPU, but for the scale's peers */
#define PB_PAGES	256

/*
 * The measured map and the programs, the peers' buffers sized: the BPF
 * ringbuf of rb_bytes (0: as the program declares it), pb_pages per CPU.
 */
static int bench_open_bufs(struct bench *b, const struct mtype *mt, __u32 ks,
			   __u32 vs, __u32 rb_bytes, size_t pb_pages)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = mt->flags);
	struct map_change_bench *skel;
	__u32 k;

	memset(b, 0, sizeof(*b));
	b->mt = mt, b->ks = ks, b->vs = vs;
	b->fd = bpf_map_create(mt->type, mt->name, ks, vs, MAX_ENTRIES, &mopts);
	if (b->fd < 0)
		return -errno;
	for (k = 0; k < NR_KEYS; k++) {
		memcpy(keybuf, &k, 4);
		bpf_map_update_elem(b->fd, keybuf, valbuf, BPF_ANY);
	}
	skel = map_change_bench__open();
	if (!skel)
		return -errno;
	b->skel = skel;
	if (rb_bytes)
		bpf_map__set_max_entries(skel->maps.rb, rb_bytes);
	bpf_map__reuse_fd(skel->maps.target, b->fd);
	bpf_program__set_attach_target(skel->progs.peer_fentry_upd, 0, mt->upd_fn);
	if (mt->del_fn)
		bpf_program__set_attach_target(skel->progs.peer_fentry_del, 0, mt->del_fn);
	else
		bpf_program__set_autoload(skel->progs.peer_fentry_del, false);
	if (!patched) {
		bpf_program__set_autoload(skel->progs.hook_upd, false);
		bpf_program__set_autoload(skel->progs.hook_del, false);
		bpf_program__set_autoload(skel->progs.read_changes, false);
		bpf_program__set_autoload(skel->progs.poll_changes, false);
	}
	if (map_change_bench__load(skel))
		return -errno;
	skel->bss->nr_keys = NR_KEYS;
	skel->bss->target_id = map_id(b->fd);
	b->rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), rb_event, NULL, NULL);
	b->pb = perf_buffer__new(bpf_map__fd(skel->maps.pb), pb_pages, pb_event,
				 NULL, NULL, NULL);
	return b->rb && b->pb ? 0 : -ENOMEM;
}

static int bench_open(struct bench *b, const struct mtype *mt, __u32 ks, __u32 vs)
{
	return bench_open_bufs(b, mt, ks, vs, 0, PB_PAGES);
}

static void bench_close(struct bench *b)
{
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	map_change_bench__destroy(b->skel);
	if (b->fd > 0)
		close(b->fd);
}

/* bench_open() for a table of 500 operations per round; says why not */
static int bench_setup(struct bench *b, const struct mtype *mt, __u32 ks, __u32 vs)
{
	if (bench_open(b, mt, ks, vs)) {
		fprintf(stderr, "bench: %s %u/%u: setup failed\n", mt->name, ks, vs);
		bench_close(b);
		return -1;
	}
	b->nr_ops = 500;
	return 0;
}

/* run nr_ops updates (or insert+delete pairs); instructions per op */
static __u64 run_ops(struct bench *b, bool prog, bool insdel, int nr)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = valbuf, .data_size_in = 64,
		    .repeat = 1);
	struct bpf_program *p;
	__u64 t0;
	__u32 k;
	int i;

	if (prog) {
		b->skel->bss->nr_ops = nr;
		p = insdel ? b->skel->progs.bench_insdel : b->skel->progs.bench_update;
		if (bpf_prog_test_run_opts(bpf_program__fd(p), &topts))
			return 0;
		return b->skel->bss->elapsed_ns / nr;
	}
	t0 = now_ns();
	for (i = 0; i < nr; i++) {
		k = insdel ? NR_KEYS + i : i % NR_KEYS;
		memcpy(keybuf, &k, 4);
		bpf_map_update_elem(b->fd, keybuf, valbuf, insdel ? BPF_NOEXIST : BPF_ANY);
		if (insdel)
			bpf_map_delete_elem(b->fd, keybuf);
	}
	return (now_ns() - t0) / nr;
}

struct result {
	__u64 instr[ROUNDS];
	long long captured;	/* records the configuration captured, last round */
};

/* One configuration once: attach, run, check what it captured, detach. */
static __u64 measure(struct bench *b, enum cfg config, bool prog, bool insdel,
		     __u32 ring, long long *captured)
{
	struct bpf_link *l1 = NULL, *l2 = NULL;
	struct map_change_bench__bss *bss = b->skel->bss;
	long long before = 0;
	__u64 instr;

	bss->peer_records = bss->peer_drops = bss->hook_calls = 0;
	switch (config) {
	case CFG_B:
		l1 = attach_map_iter(b->skel->progs.read_changes, b->fd, ring);
		before = recorded(l1);
		break;
	case CFG_C:
		l1 = bpf_program__attach(b->skel->progs.peer_fentry_upd);
		if (b->mt->del_fn)
			l2 = bpf_program__attach(b->skel->progs.peer_fentry_del);
		break;
	case CFG_D:
		l1 = bpf_program__attach_kprobe(b->skel->progs.peer_kprobe_upd, false,
						b->mt->upd_fn);
		if (b->mt->del_fn)
			l2 = bpf_program__attach_kprobe(b->skel->progs.peer_kprobe_del,
							false, b->mt->del_fn);
		break;
	case CFG_F:
		l1 = bpf_program__attach(b->skel->progs.hook_upd);
		l2 = bpf_program__attach(b->skel->progs.hook_del);
		break;
	default:
		break;
	}
	instr = run_ops(b, prog, insdel, b->nr_ops);
	switch (config) {
	case CFG_B:
		*captured = recorded(l1) - before;
		break;
	case CFG_C:
	case CFG_D:
		*captured = bss->peer_records;
		ring_buffer__consume(b->rb);
		perf_buffer__consume(b->pb);
		break;
	case CFG_F:
		*captured = bss->hook_calls;
		break;
	default:
		*captured = -1;
	}
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	return instr;
}

static void print_row(struct bench *b, const char *op, bool prog, enum cfg cfg,
		      struct result *r, long long expected, const char *extra)
{
	const char *note = "ok";

	qsort(r->instr, ROUNDS, sizeof(r->instr[0]), cmp_u64);
	if (cfg == CFG_D && !prog && r->captured == 0)
		note = "kprobe-not-run-in-syscall";
	else if (cfg != CFG_A && r->captured != expected)
		note = "MISMATCH";
	/* e.g. fentry on htab_percpu_map_update_elem: the syscall path skips it */
	printf("BENCH,%s,%s,%u,%u,%s,%s,%c,%llu,%lld,%lld,%s,%s\n", kernel_name,
	       b->mt->name, b->ks, b->vs, op, prog ? "prog" : "syscall", cfg_name[cfg],
	       (unsigned long long)r->instr[ROUNDS / 2], r->captured, expected, note,
	       extra ?: "");
	fflush(stdout);
}

/* (b) and (f) need the series */
static bool cfg_ok(enum cfg c)
{
	return patched || (c != CFG_B && c != CFG_F);
}

/* One row group: an op from one origin, the configurations interleaved. */
static void bench_op(struct bench *b, bool insdel, bool prog)
{
	long long exp = b->nr_ops * (insdel ? 2 : 1);
	struct result r[NR_CFG] = {};
	int c, round;

	for (round = 0; round < ROUNDS; round++)
		for (c = 0; c < NR_CFG; c++)
			if (cfg_ok(c))
				r[c].instr[round] = measure(b, c, prog, insdel, 4096,
							    &r[c].captured);
	for (c = 0; c < NR_CFG; c++)
		if (cfg_ok(c))
			print_row(b, insdel ? "insdel" : "update", prog, c, &r[c],
				  exp, NULL);
}

/* Every map type x size x op x origin. */
static void bench_matrix(void)
{
	struct bench b;
	int t, s, o;

	for (t = 0; t < (int)ARRAY_SIZE(mtypes); t++) {
		for (s = 0; s < 3; s += quick ? 2 : 1) {
			if (bench_setup(&b, &mtypes[t], sizes[s][0], sizes[s][1]))
				continue;
			for (o = 0; o < 2; o++) {
				if (o && !mtypes[t].del_fn)
					continue;
				bench_op(&b, o, true);
				bench_op(&b, o, false);
			}
			bench_close(&b);
		}
	}
}

/*
 * The peers at the scale's ring sizes: buffers that hold as many records
 * of theirs (struct peer_rec, as large whatever the map's key and value).
 * A BPF ringbuf record is peer_rec after an 8-byte header, in a power of 2
 * of bytes; a perf buffer's, a raw sample (header, u32 size, peer_rec,
 * padded to 8 bytes), in a power of 2 of pages per CPU. Each peer's
 * buffers together take at most PEER_BUF_MAX of the VM's memory (2 GiB,
 * run-vm.sh): what our ring of 1M records of hash 4/8 takes (128-byte
 * slots). 1M peer records would need a 512 MiB ringbuf, and 512 MiB per
 * CPU of perf buffer.
 */
#define PEER_BUF_MAX	(128ULL << 20)

static __u64 pow2_up(__u64 x)
{
	__u64 p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static __u64 pow2_down(__u64 x)
{
	__u64 p = 1;

	while (p * 2 <= x)
		p <<= 1;
	return p;
}

struct peer_bufs {
	__u32 rb_bytes;		/* BPF ringbuf: max_entries */
	size_t pb_pages;	/* perf buffer: pages per CPU */
	__u64 rb_holds, pb_holds; /* records they hold (the perf buffer's per CPU) */
};

static void size_peer_bufs(struct peer_bufs *pb, __u64 records, __u64 rec_size)
{
	__u64 page = sysconf(_SC_PAGESIZE);
	__u64 rb_rec = (rec_size + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	__u64 pb_rec = 8 + ((4 + rec_size + 7) & ~7ULL);
	__u64 rb = pow2_up(records * rb_rec);
	__u64 pages = pow2_up((records * pb_rec + page - 1) / page);
	__u64 pb_max = pow2_down(PEER_BUF_MAX / page / ncpus);

	if (rb < page)
		rb = page;
	pb->rb_bytes = rb < PEER_BUF_MAX ? rb : PEER_BUF_MAX;
	pb->pb_pages = pages < pb_max ? pages : pb_max;
	pb->rb_holds = pb->rb_bytes / rb_rec;
	/* a perf buffer keeps one byte free */
	pb->pb_holds = (pb->pb_pages * page - 1) / pb_rec;
}

/*
 * (c) and (d) with buffers of as many records as our ring has, hash 4/8
 * updates from a program: rows as ours, extra "ring=N buf=BYTES holds=R"
 * (the perf buffer's per CPU), R below N where PEER_BUF_MAX caps BYTES.
 */
static void bench_scale_peers(__u32 records, __u64 rec_size)
{
	__u64 page = sysconf(_SC_PAGESIZE);
	struct result r[2] = {};
	struct peer_bufs pbuf;
	char extra[96];
	struct bench b;
	int round;

	size_peer_bufs(&pbuf, records, rec_size);
	if (bench_open_bufs(&b, &mtypes[0], 4, 8, pbuf.rb_bytes, pbuf.pb_pages)) {
		fprintf(stderr, "bench: peers at ring=%u: setup failed\n", records);
		bench_close(&b);
		return;
	}
	b.nr_ops = 500;
	for (round = 0; round < ROUNDS; round++) {
		r[0].instr[round] = measure(&b, CFG_C, true, false, 0, &r[0].captured);
		r[1].instr[round] = measure(&b, CFG_D, true, false, 0, &r[1].captured);
	}
	snprintf(extra, sizeof(extra), "ring=%u buf=%u holds=%llu", records,
		 pbuf.rb_bytes, (unsigned long long)pbuf.rb_holds);
	print_row(&b, "update", true, CFG_C, &r[0], b.nr_ops, extra);
	snprintf(extra, sizeof(extra), "ring=%u buf=%llu holds=%llu", records,
		 (unsigned long long)(pbuf.pb_pages * page),
		 (unsigned long long)pbuf.pb_holds);
	print_row(&b, "update", true, CFG_D, &r[1], b.nr_ops, extra);
	bench_close(&b);
}

/*
 * Cost per update with rings of 1K, 64K, 1M records, and 1/16/256 maps;
 * the peers with buffers of as many records.
 */
static void bench_scale(void)
{
	static const __u32 rings[] = { 1024, 65536, 1 << 20 };
	static const int nmaps[] = { 1, 16, 256 };
	struct bpf_link *links[256];
	int fds[256], i, j, round;
	struct result r;
	char extra[32];
	struct bench b;
	__u32 rec_size;

	if (bench_setup(&b, &mtypes[0], 4, 8))
		return;
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		for (round = 0; round < ROUNDS; round++)
			r.instr[round] = measure(&b, CFG_B, true, false, rings[i], &r.captured);
		snprintf(extra, sizeof(extra), "ring=%u", rings[i]);
		print_row(&b, "update", true, CFG_B, &r, b.nr_ops, extra);
	}
	for (i = 0; i < 3; i++) {
		/* nmaps - 1 other maps recording at once, then ours */
		for (j = 0; j < nmaps[i] - 1; j++) {
			fds[j] = bpf_map_create(BPF_MAP_TYPE_HASH, "other", 4, 8, 16, NULL);
			links[j] = attach_map_iter(b.skel->progs.read_changes, fds[j], 1024);
		}
		memset(&r, 0, sizeof(r));
		for (round = 0; round < ROUNDS; round++)
			r.instr[round] = measure(&b, CFG_B, true, false, 1024, &r.captured);
		snprintf(extra, sizeof(extra), "maps=%d", nmaps[i]);
		print_row(&b, "update", true, CFG_B, &r, b.nr_ops, extra);
		for (j = 0; j < nmaps[i] - 1; j++) {
			bpf_link__destroy(links[j]);
			close(fds[j]);
		}
	}
	rec_size = b.skel->rodata->peer_rec_size;
	bench_close(&b);
	for (i = 0; i < 3; i++)
		bench_scale_peers(rings[i], rec_size);
}

/*
 * A removal from a per-CPU map records every possible CPU's value, copied
 * with IRQs off under the bucket lock: insert+delete pairs with recording
 * off (a) and on (b), at as many possible CPUs as the boot has.
 */
static void bench_pcpu(void)
{
	static const __u32 psizes[][2] = { { 4, 8 }, { 64, 256 } };
	int t, s, g, round;
	char extra[32];
	struct bench b;

	snprintf(extra, sizeof(extra), "cpus=%d", ncpus);
	for (t = 0; t < 2; t++) {
		for (s = 0; s < 2; s++) {
			if (bench_setup(&b, &pcpu_types[t], psizes[s][0], psizes[s][1]))
				continue;
			for (g = 0; g < 2; g++) {
				struct result r[2] = {};

				for (round = 0; round < ROUNDS; round++) {
					r[0].instr[round] = measure(&b, CFG_A, !g, true, 1024,
								    &r[0].captured);
					r[1].instr[round] = measure(&b, CFG_B, !g, true, 1024,
								    &r[1].captured);
				}
				print_row(&b, "insdel", !g, CFG_A, &r[0], -1, extra);
				print_row(&b, "insdel", !g, CFG_B, &r[1], 2 * b.nr_ops, extra);
			}
			bench_close(&b);
		}
	}
}

static __u64 read_all_ns(int iter_fd, long long *bytes)
{
	static char buf[1 << 16];
	__u64 t0 = now_ns();
	int n;

	*bytes = 0;
	while ((n = read(iter_fd, buf, sizeof(buf))) > 0)
		*bytes += n;
	close(iter_fd);
	return now_ns() - t0;
}

/*
 * A follower's poll of a full ring with POLL_NEW records it has not seen:
 * the iterator program skipping to them in the kernel, or filtering out
 * the records before them.
 */
#define POLL_NEW	64

static void bench_poll(struct bench *b, int n, bool skip)
{
	struct bpf_link *poll;
	__u64 t[ROUNDS];
	long long bytes = 0;
	int round;

	b->skel->bss->poll_from = n - POLL_NEW;
	b->skel->bss->poll_skip = skip;
	poll = attach_map_iter(b->skel->progs.poll_changes, b->fd, n);
	if (!poll)
		return;
	for (round = 0; round < ROUNDS; round++)
		t[round] = read_all_ns(bpf_iter_create(bpf_link__fd(poll)), &bytes);
	qsort(t, ROUNDS, sizeof(t[0]), cmp_u64);
	printf("READER,%s,poll %s,%d,%lld,%llu\n", kernel_name,
	       skip ? "skipping" : "filtering", n, bytes / 32,
	       (unsigned long long)t[ROUNDS / 2]);
	bpf_link__destroy(poll);
}

/*
 * A hash 4/8 map of @n elements, changed @n times into a ring of @n
 * records; both readers attached.
 */
static int reader_open(struct bench *b, int n, struct bpf_link **ring,
		       struct bpf_link **elem)
{
	__u32 k;

	*ring = *elem = NULL;
	if (bench_open(b, &mtypes[0], 4, 8))
		return -1;
	close(b->fd);
	b->fd = bpf_map_create(BPF_MAP_TYPE_HASH, "reader", 4, 8, n, NULL);
	*ring = attach_map_iter(b->skel->progs.read_changes, b->fd, n);
	for (k = 0; k < (__u32)n; k++)
		bpf_map_update_elem(b->fd, &k, valbuf, BPF_ANY);
	*elem = attach_map_iter(b->skel->progs.read_elems, b->fd, 0);
	return *ring && *elem ? 0 : -1;
}

/* The reader: records per second through the ring against bpf_map_elem. */
static void bench_reader(void)
{
	const int n = 65536;
	struct bpf_link *ring, *elem;
	__u64 tr[ROUNDS], te[ROUNDS];
	long long br = 0, be = 0;
	struct bench b;
	int round;

	if (reader_open(&b, n, &ring, &elem))
		goto out;
	for (round = 0; round < ROUNDS; round++) {
		tr[round] = read_all_ns(bpf_iter_create(bpf_link__fd(ring)), &br);
		te[round] = read_all_ns(bpf_iter_create(bpf_link__fd(elem)), &be);
	}
	qsort(tr, ROUNDS, sizeof(tr[0]), cmp_u64);
	qsort(te, ROUNDS, sizeof(te[0]), cmp_u64);
	printf("READER,%s,bpf_map_change,%d,%lld,%llu\n", kernel_name, n, br / 32,
	       (unsigned long long)tr[ROUNDS / 2]);
	printf("READER,%s,bpf_map_elem,%d,%lld,%llu\n", kernel_name, n, be / 32,
	       (unsigned long long)te[ROUNDS / 2]);
	bench_poll(&b, n, false);
	bench_poll(&b, n, true);
out:
	bpf_link__destroy(ring);
	bpf_link__destroy(elem);
	bench_close(&b);
}

/*
 * "parts" mode, for make bench's breakdown of a record: the benchmark
 * boots with a QEMU plugin (insn_profile.c) that counts each kernel
 * instruction's runs and writes the counts out whenever the kernel enters
 * sched_rr_get_interval(), which nothing else here calls. Each phase
 * between two such marks is one configuration's run (PARTS lines name
 * them); bench_parts.py subtracts (a) from (b) instruction by instruction.
 */
static int nr_marks;

static void mark(const char *label, const char *phase, int ops)
{
	struct timespec ts;

	syscall(SYS_sched_rr_get_interval, 0, &ts);
	if (label)
		printf("PARTS,%s,%s,%d,%d\n", label, phase, ops, nr_marks);
	fflush(stdout);
	nr_marks++;
}

/* One phase: a warm-up run, then the run between two marks. */
static void parts_phase(struct bench *b, bool insdel, const char *label,
			const char *phase)
{
	run_ops(b, true, insdel, b->nr_ops);
	mark(NULL, NULL, 0);
	run_ops(b, true, insdel, b->nr_ops);
	mark(label, phase, b->nr_ops);
}

static void parts_op(const struct mtype *mt, __u32 ks, __u32 vs, bool insdel)
{
	struct bpf_link *ring;
	char label[64];
	struct bench b;

	if (bench_setup(&b, mt, ks, vs))
		return;
	b.nr_ops = 2000;
	snprintf(label, sizeof(label), "%s %u/%u %s prog", mt->name, ks, vs,
		 insdel ? "insdel" : "update");
	parts_phase(&b, insdel, label, "a");
	ring = attach_map_iter(b.skel->progs.read_changes, b.fd, 4096);
	parts_phase(&b, insdel, label, "b");
	bpf_link__destroy(ring);
	bench_close(&b);
}

/* One reader's phase: a warm-up read, then the read between two marks. */
static void parts_read(struct bpf_link *link, const char *phase)
{
	long long bytes;

	read_all_ns(bpf_iter_create(bpf_link__fd(link)), &bytes);
	mark(NULL, NULL, 0);
	read_all_ns(bpf_iter_create(bpf_link__fd(link)), &bytes);
	mark("reader", phase, bytes / 32);
}

/* The readers: one read(2) of each iterator over n records or elements. */
static void parts_reader(void)
{
	const int n = 4096;
	struct bpf_link *ring, *elem;
	struct bench b;

	if (!reader_open(&b, n, &ring, &elem)) {
		parts_read(ring, "bpf_map_change");
		parts_read(elem, "bpf_map_elem");
	}
	bpf_link__destroy(ring);
	bpf_link__destroy(elem);
	bench_close(&b);
}

static void bench_parts(void)
{
	mark(NULL, NULL, 0);
	parts_op(&mtypes[0], 4, 8, false);
	parts_op(&mtypes[0], 4, 8, true);
	parts_op(&mtypes[0], 64, 256, false);
	parts_op(&mtypes[4], 4, 8, false);
	parts_reader();
	printf("PARTS_MARKS,%d\n", nr_marks);
}

/*
 * "mt" mode, a sanity check rather than a figure: updates per second from
 * one and from two threads, each pinned to a vCPU, recording off and on,
 * in a boot under multi-threaded TCG without -icount (real time, on host
 * cores that may run other work). Two threads slower than one with
 * recording on, or an on/off ratio much worse at two threads than at one,
 * would point at contention on the ring; agreement says nothing of more
 * CPUs (Documentation/bpf/map_trace.rst, "Scaling with CPUs").
 */
#define MT_RUNS		40
#define MT_OPS		2000

struct mt_thread {
	pthread_t tid;
	int cpu, prog_fd;
};

static void *mt_run(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = valbuf,
		    .data_size_in = 64, .repeat = 1);
	struct mt_thread *t = arg;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (i = 0; i < MT_RUNS; i++)
		bpf_prog_test_run_opts(t->prog_fd, &topts);
	return NULL;
}

/* updates per second from @nthreads threads running @prog, one map */
static double mt_rate(struct bpf_program *prog, int nthreads)
{
	struct mt_thread t[2];
	__u64 t0 = now_ns();
	int i;

	for (i = 0; i < nthreads; i++) {
		t[i].cpu = i;
		t[i].prog_fd = bpf_program__fd(prog);
		pthread_create(&t[i].tid, NULL, mt_run, &t[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i].tid, NULL);
	return (double)nthreads * MT_RUNS * MT_OPS * 1e9 / (now_ns() - t0);
}

/*
 * Recording off, off with the program reading the clock once an update
 * as a record does (to tell what a clock read costs two vCPUs under TCG
 * from what the ring costs them), and on.
 */
static void bench_mt(void)
{
	static const char * const names[] = { "off", "clock", "on" };
	double r[3][2][ROUNDS];
	long long before, after;
	struct bpf_program *prog;
	struct bpf_link *ring;
	int round, n, c;
	struct bench b;

	if (ncpus < 2 || bench_setup(&b, &mtypes[0], 4, 8))
		return;
	b.skel->bss->nr_ops = MT_OPS;
	for (round = 0; round < ROUNDS; round++) {
		for (c = 0; c < 3; c++) {
			prog = c == 1 ? b.skel->progs.bench_update_clock :
					b.skel->progs.bench_update;
			ring = c == 2 ? attach_map_iter(b.skel->progs.read_changes,
							b.fd, 65536) : NULL;
			for (n = 0; n < 2; n++) {
				before = ring ? recorded(ring) : 0;
				r[c][n][round] = mt_rate(prog, n + 1);
				after = ring ? recorded(ring) : 0;
				if (ring && after - before != (n + 1) * MT_RUNS * MT_OPS)
					printf("MT,MISMATCH,%lld records for %d updates\n",
					       after - before, (n + 1) * MT_RUNS * MT_OPS);
			}
			bpf_link__destroy(ring);
		}
	}
	for (c = 0; c < 3; c++)
		for (n = 0; n < 2; n++) {
			qsort(r[c][n], ROUNDS, sizeof(double), cmp_double);
			printf("MT,%s,%d,%.0f\n", names[c], n + 1,
			       r[c][n][ROUNDS / 2]);
		}
	bench_close(&b);
}

int main(int argc, char **argv)
{
	kernel_name = argc > 1 ? argv[1] : "patched";
	ncpus = libbpf_num_possible_cpus();
	valbuf = calloc(ncpus, 256);
	patched = libbpf_find_vmlinux_btf_id("bpf_map_trace_update_elem",
					     BPF_TRACE_FENTRY) > 0;
	if (!getenv("BENCH_DEBUG"))
		libbpf_set_print(NULL);
	printf("bench: kernel %s, %s, %d CPUs, %d rounds\n", kernel_name,
	       patched ? "with map trace" : "without map trace", ncpus, ROUNDS);
	if (argc > 2 && !strcmp(argv[2], "mt")) {
		if (patched)
			bench_mt();
		return 0;
	}
	if (argc > 2 && !strcmp(argv[2], "parts")) {
		if (patched)
			bench_parts();
		return 0;
	}
	if (argc > 2 && !strcmp(argv[2], "pcpu")) {
		if (patched)
			bench_pcpu();
		return 0;
	}
	quick = argc > 2 && !strcmp(argv[2], "quick");
	bench_matrix();
	if (patched && !quick) {
		bench_scale();
		bench_reader();
	}
	return 0;
}
