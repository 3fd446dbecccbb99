// SPDX-License-Identifier: GPL-2.0
/*
 * Map change history under stress, across lifetimes, with bad input, under
 * a small randomized syscall fuzzer, and against unprivileged readers.
 * Run on the debug kernel (KASAN, lockdep, kmemleak): a splat fails the run.
 */
#include <test_progs.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/perf_event.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "progs/map_change_robust.h"
#include "map_change_robust.skel.h"

#define RING_ENTRIES	65536
#define SYS_WRITERS	3
#define SYS_OPS		1500
#define TESTRUN_REPEAT	2000
#define READ_MAX	(RING_ENTRIES * sizeof(struct stress_rec))

struct stress {
	struct map_change_robust *skel;
	struct bpf_link *link;
	int fd;
	bool writers_done;	/* READ_ONCE(), WRITE_ONCE() */
	/* results */
	__u64 sys_updates[SYS_WRITERS];
	__u64 sys_deletes;
	__u64 reads, records_read, lost_seen, torn, order_errors, gap_errors;
	pthread_mutex_t lock;
};

static int stress_read(struct stress *s, struct stress_rec *recs)
{
	int fd, len;

	fd = bpf_iter_create(bpf_link__fd(s->link));
	if (fd < 0)
		return -errno;
	len = read_all(fd, recs, READ_MAX);
	close(fd);
	return len < 0 ? len : len / (int)sizeof(*recs);
}

/* Check one read session: no torn record, increasing seq, gaps = lost. */
static void stress_check_read(struct stress *s, struct stress_rec *recs, int n)
{
	__u64 torn = 0, order = 0, gaps = 0, lost = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct stress_rec *r = &recs[i];

		if (r->key >= STRESS_KEYS ||
		    r->val.check != stress_check(r->key, r->val.tag))
			torn++;
		if (i && r->seq <= recs[i - 1].seq)
			order++;
		if (i && r->seq - recs[i - 1].seq - 1 != r->lost)
			gaps++;
		lost += r->lost;
	}
	/* every sequence number up to the last is shown or counted lost */
	if (n && lost + n != recs[n - 1].seq + 1)
		gaps++;
	pthread_mutex_lock(&s->lock);
	s->reads++;
	s->records_read += n;
	s->torn += torn;
	s->order_errors += order;
	s->gap_errors += gaps;
	s->lost_seen += lost;
	pthread_mutex_unlock(&s->lock);
}

static void *stress_reader(void *arg)
{
	struct stress *s = arg;
	struct stress_rec *recs = malloc(READ_MAX);
	int n;

	if (!recs)
		return NULL;
	while (!READ_ONCE(s->writers_done)) {
		n = stress_read(s, recs);
		if (n < 0)
			break;
		stress_check_read(s, recs, n);
	}
	free(recs);
	return NULL;
}

struct sys_writer {
	struct stress *s;
	int id;
};

/* Syscall writer: updates, deletes, batch updates, and getppid() for fentry. */
static void *stress_sys_writer(void *arg)
{
	struct sys_writer *w = arg;
	struct stress *s = w->s;
	struct stress_val vals[4];
	unsigned int seed = 1000 + w->id;
	__u32 keys[4], count, k;
	__u64 n = 0;
	int i, j;

	for (i = 0; i < SYS_OPS; i++) {
		int op = rand_r(&seed) % 10;

		getppid();
		if (op < 6) {
			k = rand_r(&seed) % STRESS_KEYS;
			vals[0].tag = MAKE_TAG(w->id, n++);
			vals[0].check = stress_check(k, vals[0].tag);
			if (!bpf_map_update_elem(s->fd, &k, &vals[0], BPF_ANY))
				__atomic_add_fetch(&s->sys_updates[w->id], 1, __ATOMIC_RELAXED);
		} else if (op < 9) {
			k = rand_r(&seed) % STRESS_KEYS;
			if (!bpf_map_delete_elem(s->fd, &k))
				__atomic_add_fetch(&s->sys_deletes, 1, __ATOMIC_RELAXED);
		} else {
			for (j = 0; j < 4; j++) {
				keys[j] = (rand_r(&seed) % (STRESS_KEYS / 4)) * 4 + j;
				vals[j].tag = MAKE_TAG(w->id, n++);
				vals[j].check = stress_check(keys[j], vals[j].tag);
			}
			count = 4;
			bpf_map_update_batch(s->fd, keys, vals, &count, NULL);
			__atomic_add_fetch(&s->sys_updates[w->id], count, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *stress_testrun_writer(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = TESTRUN_REPEAT);
	struct stress *s = arg;

	bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.stress_testrun), &topts);
	return NULL;
}

/* A software timer event on every CPU: the program runs in hardirq context. */
static int open_perf_events(struct stress *s, int *pfds, struct bpf_link **links,
			    int ncpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
		.sample_freq = 200,
	};
	int cpu, n = 0;

	for (cpu = 0; cpu < ncpu; cpu++) {
		pfds[cpu] = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, 0);
		if (pfds[cpu] < 0)
			continue;
		links[cpu] = bpf_program__attach_perf_event(s->skel->progs.stress_perf,
							    pfds[cpu]);
		if (links[cpu])
			n++;
	}
	return n;
}

#define MAX_PERF_CPUS	64

/*
 * Writers on every vCPU (syscall threads, BPF_PROG_TEST_RUN, fentry,
 * perf_event in hardirq, on the first MAX_PERF_CPUS) while two readers
 * read: no torn record, increasing sequence numbers, every gap counted as
 * lost. With a ring large enough, one final read then holds every change
 * exactly once; with a small one, readers keep losing records to
 * overwrite, and say so.
 */
static void test_stress(__u32 ring_entries)
{
	bool exact = ring_entries == RING_ENTRIES;
	struct stress s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t readers[2], writers[SYS_WRITERS], trw;
	struct sys_writer sw[SYS_WRITERS];
	int pfds[MAX_PERF_CPUS], ncpu, nperf, i, n;
	struct bpf_link *plinks[MAX_PERF_CPUS] = {};
	__u64 upd = 0, del = 0, sys_upd = 0, *seen = NULL;
	struct stress_rec *recs = NULL;

	if (skip_if_cpus_below(__func__, 2, 2))
		return;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu > MAX_PERF_CPUS)
		ncpu = MAX_PERF_CPUS;
	s.skel = map_change_robust__open_and_load();
	if (!ASSERT_OK_PTR(s.skel, "open_and_load"))
		return;
	s.fd = bpf_map__fd(s.skel->maps.stress_map);
	s.link = attach_map_iter(s.skel->progs.stress_dump, s.fd, ring_entries);
	if (!ASSERT_OK_PTR(s.link, "attach_iter"))
		goto out;
	s.skel->links.stress_fentry = bpf_program__attach(s.skel->progs.stress_fentry);
	if (!ASSERT_OK_PTR(s.skel->links.stress_fentry, "attach fentry"))
		goto out;
	nperf = open_perf_events(&s, pfds, plinks, ncpu);
	s.skel->bss->enabled = 1;

	for (i = 0; i < 2; i++)
		pthread_create(&readers[i], NULL, stress_reader, &s);
	for (i = 0; i < SYS_WRITERS; i++) {
		sw[i] = (struct sys_writer){ &s, i };
		pthread_create(&writers[i], NULL, stress_sys_writer, &sw[i]);
	}
	pthread_create(&trw, NULL, stress_testrun_writer, &s);
	for (i = 0; i < SYS_WRITERS; i++)
		pthread_join(writers[i], NULL);
	pthread_join(trw, NULL);
	/*
	 * The timer's programs write at 200 Hz per CPU: however fast the
	 * writers were, keep them on until they wrote.
	 */
	if (nperf)
		WAIT_UNTIL(READ_ONCE(s.skel->bss->bpf_updates[2]) > 0);
	s.skel->bss->enabled = 0;
	for (i = 0; i < ncpu; i++) {
		bpf_link__destroy(plinks[i]);
		if (pfds[i] >= 0)
			close(pfds[i]);
	}
	WRITE_ONCE(s.writers_done, true);
	for (i = 0; i < 2; i++)
		pthread_join(readers[i], NULL);

	/* the final read: every change made, each once, nothing lost */
	recs = malloc(READ_MAX);
	seen = calloc(SYS_WRITERS, SYS_OPS * 4 * sizeof(*seen));
	if (!ASSERT_OK_PTR(recs, "malloc") || !ASSERT_OK_PTR(seen, "calloc"))
		goto out;
	n = stress_read(&s, recs);
	stress_check_read(&s, recs, n);
	for (i = 0; i < SYS_WRITERS; i++)
		sys_upd += s.sys_updates[i];
	for (i = 0; exact && i < n; i++) {
		struct stress_rec *r = &recs[i];
		__u64 w = TAG_WRITER(r->val.tag), c = TAG_COUNT(r->val.tag);

		ASSERT_EQ(r->seq, i, "final seq");
		if (r->op == BPF_MAP_CHANGE_DELETE) {
			del++;
			continue;
		}
		upd++;
		if (w < SYS_WRITERS && c < SYS_OPS * 4 && seen[w * SYS_OPS * 4 + c]++)
			ASSERT_FAIL("update of writer %llu #%llu recorded twice",
				    (unsigned long long)w, (unsigned long long)c);
	}
	if (exact) {
		ASSERT_EQ(upd, sys_upd + s.skel->bss->bpf_updates[0] +
			  s.skel->bss->bpf_updates[1] + s.skel->bss->bpf_updates[2],
			  "every update recorded once");
		ASSERT_EQ(del, s.sys_deletes, "every delete recorded once");
	} else {
		upd = sys_upd + s.skel->bss->bpf_updates[0] +
		      s.skel->bss->bpf_updates[1] + s.skel->bss->bpf_updates[2];
		del = s.sys_deletes;
		/* the final read: the newest ring's worth, the rest said lost */
		ASSERT_EQ(n, ring_entries, "a full small ring");
		ASSERT_EQ(recs[n - 1].seq + 1, upd + del, "last seq = changes made");
		ASSERT_EQ(recs[0].lost, recs[0].seq, "everything before said lost");
	}
	ASSERT_GT(s.skel->bss->bpf_updates[0], 0, "test_run writes");
	ASSERT_GT(s.skel->bss->bpf_updates[1], 0, "fentry writes");
	if (nperf)
		ASSERT_GT(s.skel->bss->bpf_updates[2], 0, "perf_event writes");
	ASSERT_EQ(s.torn, 0, "torn records");
	ASSERT_EQ(s.order_errors, 0, "seq order");
	ASSERT_EQ(s.gap_errors, 0, "gaps = lost");
	report_figures(exact ? "map_change_stress" : "map_change_stress_small",
		       "stress (ring %u): ops %llu (updates: syscall %llu, test_run %llu, fentry %llu, perf_event %llu on %d CPUs; deletes %llu); "
		       "reads %llu, records read %llu, lost (summed over reads) %llu, torn %llu\n",
		       ring_entries, (unsigned long long)(upd + del), (unsigned long long)sys_upd,
		       (unsigned long long)s.skel->bss->bpf_updates[0],
		       (unsigned long long)s.skel->bss->bpf_updates[1],
		       (unsigned long long)s.skel->bss->bpf_updates[2], nperf,
		       (unsigned long long)del, (unsigned long long)s.reads,
		       (unsigned long long)s.records_read, (unsigned long long)s.lost_seen,
		       (unsigned long long)s.torn);
out:
	free(recs);
	free(seen);
	bpf_link__destroy(s.link);
	map_change_robust__destroy(s.skel);
}

static void *hammer(void *arg)
{
	struct stress *s = arg;
	struct stress_val v = {};
	__u32 k = 0;

	while (!READ_ONCE(s->writers_done)) {
		k = (k + 1) % STRESS_KEYS;
		v.tag++;
		v.check = stress_check(k, v.tag);
		bpf_map_update_elem(s->fd, &k, &v, BPF_ANY);
	}
	return NULL;
}

static struct bpf_link *attach_dump(struct map_change_robust *skel, int fd,
				    __u32 entries)
{
	return attach_map_iter(skel->progs.stress_dump, fd, entries);
}

/*
 * Lifetimes: attach/detach loops and the last link going away while
 * writers run; unpin during a read; a reader holding the ring after the
 * link, the map fd and the pin are gone. Memory usage returns to its base.
 */
static void test_lifetime(void)
{
	const char *pin = "/sys/fs/bpf/map_change_robust_life";
	struct stress s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct stress_rec recs[16];
	struct bpf_link *link;
	pthread_t th[2];
	long long base;
	int i, pfd, n, len;

	s.skel = map_change_robust__open_and_load();
	if (!ASSERT_OK_PTR(s.skel, "open_and_load"))
		return;
	s.fd = bpf_map_create(BPF_MAP_TYPE_HASH, "life", 4, sizeof(struct stress_val),
			      STRESS_KEYS, NULL);
	if (!ASSERT_GE(s.fd, 0, "map_create"))
		goto out;
	base = map_memlock(s.fd);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer, &s);
	for (i = 0; i < 50; i++) {
		link = attach_dump(s.skel, s.fd, 64);
		if (!ASSERT_OK_PTR(link, "attach under writers"))
			break;
		if (i % 5 == 0) {
			n = bpf_iter_create(bpf_link__fd(link));
			if (ASSERT_GE(n, 0, "iter_create")) {
				/* the last link goes away with a reader open */
				bpf_link__destroy(link);
				len = read_all(n, recs, sizeof(recs));
				ASSERT_GE(len, 0, "read after detach");
				close(n);
				continue;
			}
		}
		bpf_link__destroy(link);
	}
	WRITE_ONCE(s.writers_done, true);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(map_memlock(s.fd), base, "ring freed after the loops");

	/* unpin during a read; the map fd closed too: the reader keeps both */
	link = attach_dump(s.skel, s.fd, 4096);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	unlink(pin);
	ASSERT_OK(bpf_link__pin(link, pin), "pin");
	for (i = 0; i < 2000; i++) {
		struct stress_val v = { i, stress_check(i % STRESS_KEYS, i) };
		__u32 k = i % STRESS_KEYS;

		bpf_map_update_elem(s.fd, &k, &v, BPF_ANY);
	}
	bpf_link__destroy(link);
	pfd = open(pin, O_RDONLY);
	if (ASSERT_GE(pfd, 0, "open pinned")) {
		/* a first chunk, then the pin, the map fd and the program go */
		len = read(pfd, recs, sizeof(recs));
		ASSERT_EQ(len, sizeof(recs), "first chunk");
		unlink(pin);
		close(s.fd);
		s.fd = -1;
		map_change_robust__destroy(s.skel);
		s.skel = NULL;
		for (n = len; (len = read(pfd, recs, sizeof(recs))) > 0; n += len)
			;
		ASSERT_EQ(len, 0, "read to the end after unpin");
		ASSERT_EQ(n, 2000 * sizeof(struct stress_rec), "every record read");
		close(pfd);
	}
out:
	unlink(pin);
	if (s.fd >= 0)
		close(s.fd);
	map_change_robust__destroy(s.skel);
}

/* Every map type of 6.12: six record, the others are refused with EOPNOTSUPP. */
static void test_all_map_types(struct map_change_robust *skel)
{
	int t, fd, inner, created = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "inner", 4, 4, 1, NULL);
	for (t = BPF_MAP_TYPE_UNSPEC + 1; t < __MAX_BPF_MAP_TYPE; t++) {
		LIBBPF_OPTS(bpf_map_create_opts, o);
		__u32 ks = 4, vs = sizeof(struct stress_val), max = 4;
		struct bpf_link *link;
		bool supported;

		switch (t) {
		case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_PERCPU_HASH:
		case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY:
			supported = true;
			break;
		default:
			supported = false;
		}
		if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS) {
			o.inner_map_fd = inner;
			vs = 4;
		} else if (t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK ||
			   t == BPF_MAP_TYPE_BLOOM_FILTER) {
			ks = 0;
		} else if (t == BPF_MAP_TYPE_RINGBUF || t == BPF_MAP_TYPE_USER_RINGBUF) {
			ks = 0;
			vs = 0;
			max = 4096;
		} else if (t == BPF_MAP_TYPE_LPM_TRIE) {
			ks = 8;
			o.map_flags = BPF_F_NO_PREALLOC;
		} else if (t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
			   t == BPF_MAP_TYPE_CGROUP_ARRAY || t == BPF_MAP_TYPE_DEVMAP ||
			   t == BPF_MAP_TYPE_CPUMAP || t == BPF_MAP_TYPE_XSKMAP ||
			   t == BPF_MAP_TYPE_SOCKMAP || t == BPF_MAP_TYPE_SOCKHASH ||
			   t == BPF_MAP_TYPE_DEVMAP_HASH ||
			   t == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY) {
			vs = 4;
		}
		fd = bpf_map_create(t, "types", ks, vs, max, &o);
		if (fd < 0) {
			/* not creatable like this, or not in this kernel config */
			ASSERT_FALSE(supported, "supported type creatable");
			continue;
		}
		created++;
		link = attach_dump(skel, fd, 0);
		if (supported) {
			ASSERT_OK_PTR(link, "supported type attaches");
		} else {
			ASSERT_ERR_PTR(link, "unsupported type refused");
			ASSERT_EQ(errno, EOPNOTSUPP, "unsupported type errno");
		}
		bpf_link__destroy(link);
		close(fd);
	}
	ASSERT_GE(created, 12, "map types tried");
	close(inner);
}

/* Raw BPF_LINK_CREATE: the uapi fields out of range, reserved bytes set. */
static void test_link_create_args(struct map_change_robust *skel)
{
	int prog = bpf_program__fd(skel->progs.stress_dump), fd, link;
	struct {
		union bpf_iter_link_info linfo;
		__u64 tail;
	} buf = {};
	LIBBPF_OPTS(bpf_link_create_opts, o);
	long long base;

	fd = bpf_map__fd(skel->maps.stress_map);
	base = map_memlock(fd);
	buf.linfo.map_change.map_fd = fd;
	o.iter_info = &buf.linfo;

	buf.tail = 1;
	o.iter_info_len = sizeof(buf);
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &o);
	ASSERT_EQ(link, -E2BIG, "bytes set past the union");
	buf.tail = 0;
	o.iter_info_len = sizeof(buf.linfo);
	link = bpf_link_create(prog, 0, BPF_CGROUP_INET_INGRESS, &o);
	ASSERT_LT(link, 0, "wrong attach type");
	link = bpf_link_create(bpf_program__fd(skel->progs.stress_testrun), 0,
			       BPF_TRACE_ITER, &o);
	ASSERT_LT(link, 0, "wrong program type");
	buf.linfo.map_change.ring_entries = 0xffffffff;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &o);
	ASSERT_EQ(link, -E2BIG, "ring_entries ~0");
	buf.linfo.map_change.ring_entries = 0x80000000;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &o);
	ASSERT_EQ(link, -E2BIG, "ring_entries 2^31");
	buf.linfo.map_change.ring_entries = 0;
	buf.linfo.map_change.map_fd = -1;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &o);
	ASSERT_EQ(link, -EBADF, "map_fd -1");
	ASSERT_EQ(map_memlock(fd), base, "nothing left behind");
}

/* A 512-byte key and a 64 KiB value: refused at the default size, exact at 256. */
static void test_big_record(struct map_change_robust *skel)
{
	int fd = bpf_map__fd(skel->maps.big_map), iter, len, i;
	__u8 key[512], *val;
	struct bpf_link *link;
	__u64 out[4][6];

	val = malloc(65536);
	if (!ASSERT_OK_PTR(val, "malloc"))
		return;
	link = attach_map_iter(skel->progs.big_dump, fd, 0);
	ASSERT_ERR_PTR(link, "default ring of 64 KiB values");
	ASSERT_EQ(errno, E2BIG, "errno");
	link = attach_map_iter(skel->progs.big_dump, fd, 256);
	if (!ASSERT_OK_PTR(link, "256 entries"))
		goto out;
	for (i = 0; i < 3; i++) {
		memset(key, 0, sizeof(key));
		key[0] = i;
		key[511] = 0xa0 + i;
		memset(val, 0, 65536);
		*(__u64 *)val = 0x1111 * (i + 1);
		*(__u64 *)(val + 65528) = 0x2222 * (i + 1);
		ASSERT_OK(bpf_map_update_elem(fd, key, val, BPF_ANY), "update big");
		if (i == 2)
			ASSERT_OK(bpf_map_delete_elem(fd, key), "delete big");
	}
	iter = bpf_iter_create(bpf_link__fd(link));
	if (ASSERT_GE(iter, 0, "iter_create")) {
		len = read_all(iter, out, sizeof(out));
		close(iter);
		if (ASSERT_EQ(len, 4 * sizeof(out[0]), "four records")) {
			for (i = 0; i < 4; i++) {
				int w = i < 3 ? i : 2;

				ASSERT_EQ(out[i][0], i, "seq");
				ASSERT_EQ(out[i][1], 65536, "value_size");
				ASSERT_EQ(out[i][2], w, "key first byte");
				ASSERT_EQ(out[i][3], 0xa0 + w, "key last byte");
				ASSERT_EQ(out[i][4], 0x1111 * (w + 1), "value first word");
				ASSERT_EQ(out[i][5], 0x2222 * (w + 1), "value last word");
			}
		}
	}
	bpf_link__destroy(link);
out:
	free(val);
}

static void test_bad_input(void)
{
	struct map_change_robust *skel = map_change_robust__open_and_load();

	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	test_all_map_types(skel);
	test_link_create_args(skel);
	test_big_record(skel);
	map_change_robust__destroy(skel);
}

/*
 * Random sequences of link create, iter create, read, close, pin, unpin and
 * map operations on traced maps. Bounded; the seed is printed.
 */
static void test_fuzz(void)
{
	const char *pin = "/sys/fs/bpf/map_change_fuzz";
	int maps[3], iters[8], i, j, seed = 20261122;
	struct map_change_robust *skel;
	struct bpf_link *links[8] = {};
	struct stress_rec recs[64];
	unsigned int rs = seed;
	long long base[3];

	printf("fuzz: seed %d, 3000 steps\n", seed);
	skel = map_change_robust__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	maps[0] = bpf_map_create(BPF_MAP_TYPE_HASH, "f0", 4, 16, 16, NULL);
	maps[1] = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "f1", 4, 16, 8, NULL);
	maps[2] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "f2", 4, 16, 16, NULL);
	for (i = 0; i < 3; i++) {
		if (!ASSERT_GE(maps[i], 0, "map_create"))
			goto out;
		base[i] = map_memlock(maps[i]);
	}
	for (i = 0; i < 8; i++)
		iters[i] = -1;
	unlink(pin);
	for (i = 0; i < 3000; i++) {
		int slot = rand_r(&rs) % 8, m = rand_r(&rs) % 3;
		__u32 k = rand_r(&rs) % 20;
		struct stress_val v = { i, stress_check(k, i) };
		__u32 entries = 1U << (rand_r(&rs) % 12);

		switch (rand_r(&rs) % 9) {
		case 0:
			if (!links[slot]) {
				links[slot] = attach_dump(skel, maps[m],
							  rand_r(&rs) % 2 ? 0 : entries);
			}
			break;
		case 1:
			bpf_link__destroy(links[slot]);
			links[slot] = NULL;
			break;
		case 2:
			if (links[slot] && iters[slot] < 0)
				iters[slot] = bpf_iter_create(bpf_link__fd(links[slot]));
			break;
		case 3:
			if (iters[slot] >= 0 && read(iters[slot], recs, sizeof(recs)) <= 0) {
				close(iters[slot]);
				iters[slot] = -1;
			}
			break;
		case 4:
			if (iters[slot] >= 0) {
				close(iters[slot]);
				iters[slot] = -1;
			}
			break;
		case 5:
			if (links[slot])
				bpf_link__pin(links[slot], pin);
			else
				unlink(pin);
			break;
		case 6:
			bpf_map_update_elem(maps[m], &k, &v, rand_r(&rs) % 3);
			break;
		case 7:
			bpf_map_delete_elem(maps[m], &k);
			break;
		default:
			bpf_map_lookup_and_delete_elem(maps[m], &k, &v);
			break;
		}
	}
	for (j = 0; j < 8; j++) {
		if (iters[j] >= 0)
			close(iters[j]);
		bpf_link__destroy(links[j]);
	}
	unlink(pin);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(wait_memlock(maps[i], base[i]), base[i], "no ring left");
out:
	for (i = 0; i < 3; i++)
		if (maps[i] >= 0)
			close(maps[i]);
	map_change_robust__destroy(skel);
}

/* Only who may attach tracing iterators reads history. */
static void test_security(void)
{
	const char *pin = "/sys/fs/bpf/map_change_secret";
	struct map_change_robust *skel;
	struct bpf_link *link;
	int status, fd;
	pid_t pid;

	skel = map_change_robust__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	fd = bpf_map__fd(skel->maps.stress_map);
	link = attach_dump(skel, fd, 0);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	unlink(pin);
	if (!ASSERT_OK(bpf_link__pin(link, pin), "pin"))
		goto out;
	pid = fork();
	if (pid == 0) {
		int err = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		/* the pinned iterator, its link, the map by id: all refused */
		if (open(pin, O_RDONLY) >= 0 || errno != EACCES)
			err |= 1;
		if (bpf_obj_get(pin) >= 0 || (errno != EACCES && errno != EPERM))
			err |= 2;
		if (bpf_map_get_fd_by_id(map_id(fd)) >= 0 || errno != EPERM)
			err |= 4;
		if (bpf_link_get_fd_by_id(1) >= 0 || errno != EPERM)
			err |= 8;
		_exit(err);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status), "exited");
	ASSERT_EQ(WEXITSTATUS(status), 0, "unprivileged reader refused everywhere");
out:
	unlink(pin);
	bpf_link__destroy(link);
	map_change_robust__destroy(skel);
}

void test_map_change_robust(void)
{
	if (test__start_subtest("stress"))
		test_stress(RING_ENTRIES);
	if (test__start_subtest("stress_small_ring"))
		test_stress(256);
	if (test__start_subtest("lifetime"))
		test_lifetime();
	if (test__start_subtest("bad_input"))
		test_bad_input();
	if (test__start_subtest("fuzz"))
		test_fuzz();
	if (test__start_subtest("security"))
		test_security();
}
