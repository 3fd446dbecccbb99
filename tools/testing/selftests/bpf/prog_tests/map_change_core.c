// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the map change history core: who a record says made
 * a change when a program runs inside a syscall map command, ring writers
 * nothing may attach to, BPF_F_LOCK in removal records, BPF_F_LOCK updates
 * racing deletes and element reuse, sequence numbers across rings, and
 * readers of a small ring under churn.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <test_progs.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "progs/map_change_common.h"
#include "map_change.skel.h"
#include "map_change_core.skel.h"
#include "map_change_notrace.skel.h"

#define O_SYS	BPF_MAP_CHANGE_SYSCALL
#define O_PROG	BPF_MAP_CHANGE_PROG
#define UPD	BPF_MAP_CHANGE_UPDATE
#define DEL	BPF_MAP_CHANGE_DELETE
#define LDEL	BPF_MAP_CHANGE_LOOKUP_DELETE
#define EVICT	BPF_MAP_CHANGE_EVICT

/* A value of lock_map: struct { struct bpf_spin_lock lock; __u64 v; } */
struct lock_val {
	__u32 lock;
	__u32 pad;
	__u64 v;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One read() session of an iterator: the records present when it started. */
static int read_recs(struct bpf_link *link, struct change_rec *recs, int max)
{
	return read_iter_recs(link, recs, max * sizeof(*recs), sizeof(*recs));
}

static struct map_change_core *open_core(__u64 lock_tag)
{
	struct map_change_core *skel;

	skel = map_change_core__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	skel->rodata->target_tgid = getpid();
	skel->rodata->lock_prog_tag = lock_tag;
	if (!ASSERT_OK(map_change_core__load(skel), "load")) {
		map_change_core__destroy(skel);
		return NULL;
	}
	return skel;
}

/* The CPUs this process may run on; at most max of them. */
static int usable_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * origin_nested: a program is a program even when it runs inside a bpf()
 * map command. Keys 1..BATCH_KEYS come from the batch update, keys from
 * PERF_KEY from the perf_event program, keys from FENTRY_KEY from the
 * fentry program.
 */
#define PERF_KEY	1000
#define FENTRY_KEY	2000
#define KEY_RANGE	1000
#define BATCH_KEYS	512
#define ORIGIN_RING	4096
/* keys and values in different fault-around windows (64 KiB) */
#define BUF_WINDOW	(128 * 1024)
#define BUF_SIZE	(2 * BUF_WINDOW)

/*
 * The batch's keys and values, in a shmem file mapped afresh and never
 * touched from user space: the first access to each page, made by the
 * batch command's copy_from_user(), faults. (Anonymous pages never touched
 * would hold zeros only.)
 */
static void *map_batch_buffers(void)
{
	__u32 keys[BATCH_KEYS];
	__u64 vals[BATCH_KEYS];
	void *p;
	int fd, i;

	for (i = 0; i < BATCH_KEYS; i++) {
		keys[i] = i + 1;
		vals[i] = (i + 1) * 10;
	}
	fd = memfd_create("map_change_core", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, BUF_SIZE) ||
	    pwrite(fd, keys, sizeof(keys), 0) != sizeof(keys) ||
	    pwrite(fd, vals, sizeof(vals), BUF_WINDOW) != sizeof(vals)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void test_origin_nested(struct map_change *mc)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_ADDR,
		.disabled = 1,
	};
	int nperf = 0, nperf_batch = 0, bad_perf = 0, bad_perf_batch = 0;
	int nfentry = 0, bad_fentry = 0, nbatch = 0, bad_batch = 0;
	int nother = 0, lost = 0, fd, other, pfd = -1, n, i, err;
	struct bpf_link *link = NULL, *perf_link = NULL;
	__u32 keys[2] = { 3, 4 }, count, k;
	__u64 vals[2] = { 30, 40 }, v, lo, hi;
	struct change_rec *recs = NULL;
	struct map_change_core *skel;
	void *buf = NULL;

	skel = open_core(0);
	if (!skel)
		return;
	fd = bpf_map__fd(skel->maps.origin_map);
	other = bpf_map__fd(skel->maps.other_map);
	recs = calloc(ORIGIN_RING, sizeof(*recs));
	if (!ASSERT_OK_PTR(recs, "calloc"))
		goto out;
	buf = map_batch_buffers();
	if (!ASSERT_OK_PTR(buf, "batch buffers"))
		goto out;
	lo = (unsigned long)buf;
	hi = lo + BUF_SIZE;
	link = attach_map_iter(mc->progs.dump_u64, fd, ORIGIN_RING);
	if (!ASSERT_OK_PTR(link, "attach iter"))
		goto out;

	/* a perf_event program on our page faults, during a batch update */
	skel->bss->buf_lo = lo;
	skel->bss->buf_hi = hi;
	pfd = syscall(__NR_perf_event_open, &attr, 0, -1, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (!ASSERT_GE(pfd, 0, "perf_event_open"))
		goto out;
	perf_link = bpf_program__attach_perf_event(skel->progs.origin_perf,
						   pfd);
	if (!ASSERT_OK_PTR(perf_link, "attach perf_event"))
		goto out;
	pfd = -1;	/* the link closes it */
	count = BATCH_KEYS;
	err = bpf_map_update_batch(fd, buf, (char *)buf + BUF_WINDOW, &count,
				   NULL);
	bpf_link__destroy(perf_link);
	perf_link = NULL;
	ASSERT_OK(err, "update batch");
	ASSERT_EQ(count, BATCH_KEYS, "batch count");
	/* the point of the test: it ran, and inside the batch command */
	ASSERT_GT(skel->bss->perf_runs, 0, "perf_event program ran");
	ASSERT_GT(skel->bss->perf_buf_faults, 0,
		  "perf_event program ran on the batch's faults");

	/* an fentry program on syscall updates of another, untraced map */
	skel->bss->other_map_id = map_id(other);
	skel->links.origin_fentry =
		bpf_program__attach(skel->progs.origin_fentry);
	if (!ASSERT_OK_PTR(skel->links.origin_fentry, "attach fentry"))
		goto out;
	k = 1;
	v = 10;
	ASSERT_OK(bpf_map_update_elem(other, &k, &v, BPF_ANY), "update B");
	k = 2;
	v = 20;
	ASSERT_OK(bpf_map_update_elem(other, &k, &v, BPF_ANY), "update B");
	count = 2;
	ASSERT_OK(bpf_map_update_batch(other, keys, vals, &count, NULL),
		  "update batch B");
	bpf_link__destroy(skel->links.origin_fentry);
	skel->links.origin_fentry = NULL;
	ASSERT_EQ(skel->bss->fentry_updates, 4, "fentry program updates");

	n = read_recs(link, recs, ORIGIN_RING);
	if (!ASSERT_GT(n, 0, "read records"))
		goto out;
	ASSERT_LT(n, ORIGIN_RING, "ring not full");
	for (i = 0; i < n; i++) {
		struct change_rec *r = &recs[i];
		bool in_batch;

		if (r->lost || r->seq != i)
			lost++;
		if (r->key >= PERF_KEY && r->key < PERF_KEY + KEY_RANGE) {
			/* the value is the faulting address */
			in_batch = r->val[0] >= lo && r->val[0] < hi;
			nperf++;
			nperf_batch += in_batch;
			if (r->origin != O_PROG) {
				bad_perf++;
				bad_perf_batch += in_batch;
			}
		} else if (r->key >= FENTRY_KEY &&
			   r->key < FENTRY_KEY + KEY_RANGE) {
			nfentry++;
			if (r->origin != O_PROG)
				bad_fentry++;
		} else if (r->key >= 1 && r->key <= BATCH_KEYS) {
			nbatch++;
			if (r->origin != O_SYS || r->op != UPD ||
			    r->val[0] != r->key * 10)
				bad_batch++;
		} else {
			nother++;
		}
	}
	printf("%s: %d records: batch %d, perf %d (%d on batch faults), fentry %d; perf runs %u\n",
	       __func__, n, nbatch, nperf, nperf_batch, nfentry,
	       skel->bss->perf_runs);
	ASSERT_EQ(lost, 0, "no record lost");
	ASSERT_EQ(nother, 0, "unexpected keys");
	ASSERT_EQ(nbatch, BATCH_KEYS, "batch records");
	ASSERT_EQ(bad_batch, 0, "batch records say syscall");
	ASSERT_EQ(nperf, skel->bss->perf_updates, "perf_event records");
	ASSERT_GT(nperf_batch, 0, "perf_event records made inside the batch");
	ASSERT_EQ(bad_perf_batch, 0,
		  "perf_event records inside the batch say prog");
	ASSERT_EQ(bad_perf, 0, "perf_event records say prog");
	ASSERT_EQ(nfentry, 4, "fentry records");
	ASSERT_EQ(bad_fentry, 0, "fentry records say prog");
out:
	bpf_link__destroy(perf_link);
	if (pfd >= 0)
		close(pfd);
	bpf_link__destroy(link);
	if (buf)
		munmap(buf, BUF_SIZE);
	free(recs);
	map_change_core__destroy(skel);
}

/*
 * notrace_writers: the ring writers run under LRU locks; no fentry and no
 * kprobe may attach to them. The trace hooks stay attachable (control).
 * A name the kernel does not have cannot be attached to either.
 */
static const char * const ring_writers[] = {
	"__bpf_map_trace_record",
	"__bpf_map_trace_record_pcpu",
	"__bpf_map_trace_record_elem",
	"__bpf_map_trace_update",
	/* out of line, called by them */
	"map_trace_copy_any",
};

enum { FENTRY_NO_LOAD, FENTRY_NO_ATTACH, FENTRY_ATTACHED };

static int try_fentry(const char *func)
{
	struct map_change_notrace *skel;
	struct bpf_program *prog;
	struct bpf_link *link;
	int ret = FENTRY_NO_LOAD;

	skel = map_change_notrace__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return -1;
	prog = skel->progs.notrace_fentry;
	bpf_program__set_autoload(prog, true);
	if (bpf_program__set_attach_target(prog, 0, func) ||
	    map_change_notrace__load(skel))
		goto out;
	link = bpf_program__attach(prog);
	ret = link ? FENTRY_ATTACHED : FENTRY_NO_ATTACH;
	bpf_link__destroy(link);
out:
	map_change_notrace__destroy(skel);
	return ret;
}

static void test_notrace_writers(void)
{
	struct map_change_notrace *skel;
	struct bpf_link *link;
	int i, ret;

	ASSERT_EQ(try_fentry("bpf_map_trace_update_elem"), FENTRY_ATTACHED,
		  "fentry on a hook (control)");
	for (i = 0; i < ARRAY_SIZE(ring_writers); i++) {
		ret = try_fentry(ring_writers[i]);
		if (!ASSERT_NEQ(ret, FENTRY_ATTACHED,
				"fentry on a ring writer"))
			printf("%s: fentry attached to %s\n", __func__,
			       ring_writers[i]);
	}

	skel = map_change_notrace__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_program__set_autoload(skel->progs.notrace_kprobe, true);
	if (!ASSERT_OK(map_change_notrace__load(skel), "load kprobe"))
		goto out;
	link = bpf_program__attach_kprobe(skel->progs.notrace_kprobe, false,
					  "bpf_map_trace_update_elem");
	ASSERT_OK_PTR(link, "kprobe on a hook (control)");
	bpf_link__destroy(link);
	for (i = 0; i < ARRAY_SIZE(ring_writers); i++) {
		link = bpf_program__attach_kprobe(skel->progs.notrace_kprobe,
						  false, ring_writers[i]);
		if (!ASSERT_ERR_PTR(link, "kprobe on a ring writer"))
			printf("%s: kprobe attached to %s\n", __func__,
			       ring_writers[i]);
		bpf_link__destroy(link);
	}
out:
	map_change_notrace__destroy(skel);
}

/*
 * lookup_delete_flags: lookup-and-delete with BPF_F_LOCK, single and batch,
 * records the flag; the removed value's lock is zero.
 */
static void test_lookup_delete_flags(struct map_change *mc)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts, .elem_flags = BPF_F_LOCK);
	struct lock_val val, out_vals[8];
	struct change_rec recs[8];
	struct map_change_core *skel;
	struct bpf_link *link = NULL;
	__u32 k, out_keys[8], batch, count;
	int fd, n, i, err;

	skel = open_core(0);
	if (!skel)
		return;
	fd = bpf_map__fd(skel->maps.lock_map);
	link = attach_map_iter(mc->progs.dump_pcpu, fd, 64);
	if (!ASSERT_OK_PTR(link, "attach iter"))
		goto out;

	/* garbage where the lock is: never copied into the map */
	memset(&val, 0, sizeof(val));
	val.lock = ~0U;
	k = 1;
	val.v = 11;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &val, BPF_ANY), "update 1");
	k = 2;
	val.v = 22;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &val, BPF_ANY), "update 2");

	k = 1;
	memset(&val, 0, sizeof(val));
	err = bpf_map_lookup_and_delete_elem_flags(fd, &k, &val, BPF_F_LOCK);
	ASSERT_OK(err, "lookup_and_delete F_LOCK");
	ASSERT_EQ(val.v, 11, "looked up value");
	count = ARRAY_SIZE(out_keys);
	err = bpf_map_lookup_and_delete_batch(fd, NULL, &batch, out_keys,
					      out_vals, &count, &bopts);
	ASSERT_TRUE(err == 0 || err == -ENOENT,
		    "lookup_and_delete_batch F_LOCK");
	if (ASSERT_EQ(count, 1, "batch count")) {
		ASSERT_EQ(out_keys[0], 2, "batch key");
		ASSERT_EQ(out_vals[0].v, 22, "batch value");
	}

	n = read_recs(link, recs, ARRAY_SIZE(recs));
	if (!ASSERT_EQ(n, 4, "records"))
		goto out;
	for (i = 0; i < n; i++) {
		struct change_rec *r = &recs[i];
		__u32 key = i % 2 + 1;

		ASSERT_EQ(r->seq, i, "seq");
		ASSERT_EQ(r->key, key, "key");
		ASSERT_EQ(r->origin, O_SYS, "origin");
		ASSERT_EQ((__u32)r->val[0], 0, "lock zero");
		ASSERT_EQ(r->val[1], key * 11, "value");
		if (i < 2) {
			ASSERT_EQ(r->op, UPD, "op update");
			ASSERT_EQ(r->flags, BPF_ANY, "update flags");
		} else {
			ASSERT_EQ(r->op, LDEL, "op lookup_delete");
			ASSERT_EQ(r->flags, BPF_F_LOCK,
				  i == 2 ? "lookup_and_delete flags" :
					   "lookup_and_delete_batch flags");
		}
	}
out:
	bpf_link__destroy(link);
	map_change_core__destroy(skel);
}

/*
 * lock_replay: BPF_F_LOCK updates (syscall and program) of keys 0..3 race
 * deletes of those keys and inserts and deletes of keys 4..7, which reuse
 * the preallocated elements. Replaying the history, in sequence order,
 * must give the map's contents exactly.
 */
#define LOCK_OPS	20000
#define LOCK_PROG_RUNS	10000
#define LOCK_PROG_REPEAT 100
#define LOCK_RING	65536
#define LOCK_SECS	10
#define TAG_SYS_LOCK	0x100000000ULL	/* bit 32 */
#define TAG_PROG_LOCK	(2ULL << 32)
#define TAG_SYS_INSERT	(3ULL << 32)

struct lock_race {
	int map_fd, prog_fd;
	int cpu[2];
	__u64 deadline;
	__u64 lock_updates, lock_fails;
	__u64 deletes, inserts;
	__u64 prog_calls;
};

static void *lock_updater(void *arg)
{
	struct lock_race *s = arg;
	struct lock_val val = {};
	__u32 i, k;

	pin_self(s->cpu[0]);
	for (i = 0; i < LOCK_OPS; i++) {
		if (!(i & 255) && now_ns() > s->deadline)
			break;
		k = i & 3;
		val.v = TAG_SYS_LOCK | i;
		if (!bpf_map_update_elem(s->map_fd, &k, &val, BPF_F_LOCK))
			s->lock_updates++;
		else
			s->lock_fails++;
	}
	return NULL;
}

static void *lock_deleter(void *arg)
{
	struct lock_race *s = arg;
	struct lock_val val = {};
	__u32 i, k, phase;

	pin_self(s->cpu[1]);
	for (i = 0; i < LOCK_OPS; i++) {
		if (!(i & 255) && now_ns() > s->deadline)
			break;
		phase = i % 12;
		k = phase & 3;
		if (phase < 4) {
			if (!bpf_map_delete_elem(s->map_fd, &k))
				s->deletes++;
			continue;
		}
		k += 4;
		if (phase < 8) {
			val.v = TAG_SYS_INSERT | i;
			if (!bpf_map_update_elem(s->map_fd, &k, &val,
						 BPF_NOEXIST))
				s->inserts++;
		} else {
			if (!bpf_map_delete_elem(s->map_fd, &k))
				s->deletes++;
		}
	}
	return NULL;
}

static void *lock_prog_writer(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4),
		    .repeat = LOCK_PROG_REPEAT);
	struct lock_race *s = arg;
	int i;

	for (i = 0; i < LOCK_PROG_RUNS / LOCK_PROG_REPEAT; i++) {
		if (now_ns() > s->deadline)
			break;
		if (!bpf_prog_test_run_opts(s->prog_fd, &topts))
			s->prog_calls++;
	}
	return NULL;
}

static void test_lock_replay(struct map_change *mc)
{
	void *(*fns[3])(void *) = { lock_updater, lock_deleter,
				    lock_prog_writer };
	struct { bool live; __u64 v; } shadow[8] = {};
	int fd, n, i, cpus[2], ncpu, gaps = 0, bad = 0, diff = 0, extra = 0;
	struct lock_race s = {};
	struct change_rec *recs = NULL;
	struct map_change_core *skel;
	struct bpf_link *link = NULL;
	bool started[3] = {};
	pthread_t th[3];
	__u64 total, nupd = 0, nrem = 0;
	struct lock_val val;
	__u32 k, next;

	/* the updater and the deleter race on two CPUs */
	if (skip_if_cpus_below(__func__, 2, 2))
		return;
	skel = open_core(TAG_PROG_LOCK);
	if (!skel)
		return;
	fd = bpf_map__fd(skel->maps.lock_map);
	recs = malloc(LOCK_RING * sizeof(*recs));
	if (!ASSERT_OK_PTR(recs, "malloc"))
		goto out;
	link = attach_map_iter(mc->progs.dump_pcpu, fd, LOCK_RING);
	if (!ASSERT_OK_PTR(link, "attach iter"))
		goto out;

	ncpu = usable_cpus(cpus, 2);
	s.map_fd = fd;
	s.prog_fd = bpf_program__fd(skel->progs.lock_update);
	s.cpu[0] = ncpu >= 2 ? cpus[0] : -1;
	s.cpu[1] = ncpu >= 2 ? cpus[1] : -1;
	s.deadline = now_ns() + LOCK_SECS * 1000000000ULL;
	for (i = 0; i < 3; i++)
		started[i] = !pthread_create(&th[i], NULL, fns[i], &s);
	for (i = 0; i < 3; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	if (!ASSERT_TRUE(started[0] && started[1] && started[2], "threads"))
		goto out;

	total = s.lock_updates + s.inserts + s.deletes +
		skel->bss->lock_prog_updates;
	n = read_recs(link, recs, LOCK_RING);
	printf("%s: F_LOCK sys %llu (%llu fail), prog %llu/%llu; ins %llu, del %llu; %d records\n",
	       __func__, (unsigned long long)s.lock_updates,
	       (unsigned long long)s.lock_fails,
	       (unsigned long long)skel->bss->lock_prog_updates,
	       (unsigned long long)skel->bss->lock_prog_runs,
	       (unsigned long long)s.inserts, (unsigned long long)s.deletes,
	       n);
	if (!ASSERT_GT(n, 0, "read records"))
		goto out;
	ASSERT_LT(n, LOCK_RING, "ring not full");
	ASSERT_EQ(n, total, "every change recorded once");
	ASSERT_GT(s.lock_updates, 0, "syscall F_LOCK updates");
	ASSERT_GT(skel->bss->lock_prog_updates, 0, "program F_LOCK updates");

	for (i = 0; i < n; i++) {
		struct change_rec *r = &recs[i];

		if (r->seq != i || r->lost)
			gaps++;
		if (r->key >= 8) {
			bad++;
			continue;
		}
		switch (r->op) {
		case UPD:
			shadow[r->key].live = true;
			shadow[r->key].v = r->val[1];
			nupd++;
			break;
		case DEL:
		case LDEL:
		case EVICT:
			shadow[r->key].live = false;
			nrem++;
			break;
		default:
			bad++;
		}
	}
	ASSERT_EQ(gaps, 0, "seq without gaps, nothing lost");
	ASSERT_EQ(bad, 0, "records of keys 0..7, known ops");

	for (k = 0; k < 8; k++) {
		bool live;

		memset(&val, 0, sizeof(val));
		live = !bpf_map_lookup_elem_flags(fd, &k, &val, BPF_F_LOCK);
		if (live == shadow[k].live && (!live || val.v == shadow[k].v))
			continue;
		diff++;
		printf("%s: key %u: map %s %#llx, replay %s %#llx\n", __func__,
		       k, live ? "has" : "lacks", (unsigned long long)val.v,
		       shadow[k].live ? "has" : "lacks",
		       (unsigned long long)shadow[k].v);
	}
	for (i = bpf_map_get_next_key(fd, NULL, &next); !i;
	     i = bpf_map_get_next_key(fd, &next, &next))
		if (next >= 8)
			extra++;
	printf("%s: replayed %llu updates, %llu removals; %d keys differ\n",
	       __func__, (unsigned long long)nupd, (unsigned long long)nrem,
	       diff);
	ASSERT_EQ(extra, 0, "no key outside 0..7 in the map");
	ASSERT_EQ(diff, 0, "replay = map");
out:
	bpf_link__destroy(link);
	free(recs);
	map_change_core__destroy(skel);
}

/*
 * seq_continues: a ring freed with its last link and a new one for the
 * same map go on with the map's sequence numbers.
 */
static void test_seq_continues(struct map_change *mc)
{
	struct bpf_link *link = NULL;
	struct change_rec recs[8];
	long long base;
	int fd, n, i;
	__u32 k;
	__u64 v;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "seq_cont", 4, 8, 8, NULL);
	if (!ASSERT_GE(fd, 0, "map_create"))
		return;
	base = map_memlock(fd);
	link = attach_map_iter(mc->progs.dump_u64, fd, 0);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	for (k = 1; k <= 3; k++) {
		v = k * 10;
		ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	}
	n = read_recs(link, recs, ARRAY_SIZE(recs));
	if (ASSERT_EQ(n, 3, "first ring's records"))
		for (i = 0; i < n; i++) {
			ASSERT_EQ(recs[i].seq, i, "seq");
			ASSERT_EQ(recs[i].lost, 0, "lost");
		}
	bpf_link__destroy(link);
	link = NULL;
	/* the ring went with its last link */
	ASSERT_EQ(wait_memlock(fd, base), base, "ring freed");

	link = attach_map_iter(mc->progs.dump_u64, fd, 0);
	if (!ASSERT_OK_PTR(link, "attach again"))
		goto out;
	k = 4;
	v = 40;
	ASSERT_OK(bpf_map_update_elem(fd, &k, &v, BPF_ANY), "update");
	n = read_recs(link, recs, ARRAY_SIZE(recs));
	if (ASSERT_EQ(n, 1, "second ring's records")) {
		ASSERT_EQ(recs[0].seq, 3, "seq goes on");
		ASSERT_EQ(recs[0].lost, 0, "nothing lost in this ring");
		ASSERT_EQ(recs[0].key, 4, "key");
		ASSERT_EQ(recs[0].val[0], 40, "value");
	}
out:
	bpf_link__destroy(link);
	close(fd);
}

/*
 * attach_inflight: an update in flight during the attach of a ring is
 * recorded, or made its change before the attach returned. The update,
 * from the syscall or from a sleepable program, is held inside the LRU
 * update (fentry on bpf_lru_pop_free), past the entry where it chose the
 * copy without trace calls (no map records, no program is on a hook: the
 * test is serial). A second thread releases it once the attach published
 * the ring (the map's memory usage grew). The kernel's attach waits for
 * it: it ends before the attach returns. An attach that did not wait
 * would return while the update is held, and the update would then make
 * its change unrecorded.
 */
struct inflight {
	struct map_change_core *skel;
	bool sleepable;
	int err;
	long long base;		/* the map's memory usage before the attach */
};

static void *inflight_update(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct inflight *in = arg;
	__u32 k = 7;
	__u64 v = 70;

	in->skel->bss->hold_tid = syscall(SYS_gettid);
	if (!in->sleepable) {
		in->err = bpf_map_update_elem(bpf_map__fd(in->skel->maps.inflight_map),
					      &k, &v, BPF_ANY);
		return NULL;
	}
	in->err = bpf_prog_test_run_opts(bpf_program__fd(in->skel->progs.inflight_sys),
					 &topts);
	if (!in->err)
		in->err = topts.retval;
	return NULL;
}

/* Release the held update once the attach published the ring. */
static void *inflight_release(void *arg)
{
	struct inflight *in = arg;
	int fd = bpf_map__fd(in->skel->maps.inflight_map);

	WAIT_UNTIL(READ_ONCE(in->skel->bss->release) ||
		   map_memlock(fd) > in->base);
	WRITE_ONCE(in->skel->bss->release, 1);
	return NULL;
}

static void test_attach_inflight(struct map_change *mc, bool sleepable)
{
	struct bpf_link *hold = NULL, *done = NULL, *link = NULL;
	__u32 held = 0, before_attach = 0;
	bool releaser = false;
	struct inflight in = {};
	struct change_rec recs[4];
	pthread_t th, rel;
	int fd, n;

	/* the held update spins in the kernel while this thread attaches */
	if (skip_if_cpus_below(__func__, 2, 2))
		return;
	in.sleepable = sleepable;
	in.skel = open_core(0);
	if (!in.skel)
		return;
	fd = bpf_map__fd(in.skel->maps.inflight_map);
	in.base = map_memlock(fd);
	hold = bpf_program__attach(in.skel->progs.hold_lru_pop);
	done = bpf_program__attach(in.skel->progs.held_update_done);
	if (!ASSERT_OK_PTR(hold, "attach hold") ||
	    !ASSERT_OK_PTR(done, "attach done"))
		goto out;
	if (!ASSERT_OK(pthread_create(&th, NULL, inflight_update, &in), "thread"))
		goto out;
	/* held: 1 while the update is held, 2 after */
	if (ASSERT_TRUE(WAIT_UNTIL(READ_ONCE(in.skel->bss->held)),
			"update held") &&
	    ASSERT_OK(pthread_create(&rel, NULL, inflight_release, &in),
		      "releaser thread")) {
		releaser = true;
		held = READ_ONCE(in.skel->bss->held);
		link = attach_map_iter(mc->progs.dump_u64, fd, 0);
		ASSERT_OK_PTR(link, "attach ring");
		before_attach = READ_ONCE(in.skel->bss->updated);
	}
	WRITE_ONCE(in.skel->bss->release, 1);
	if (releaser)
		pthread_join(rel, NULL);
	pthread_join(th, NULL);
	ASSERT_OK(in.err, "update");
	if (!link)
		goto out;
	n = read_recs(link, recs, ARRAY_SIZE(recs));
	printf("%s: the update was %s when the attach began, ended %s it returned; %d record(s)\n",
	       __func__, held == 1 ? "held" : "no longer held",
	       before_attach ? "before" : "after", n);
	/* the contract: in flight during the attach, recorded or done before */
	if (!before_attach)
		ASSERT_EQ(n, 1, "an update ending after the attach is recorded");
	else
		ASSERT_LE(n, 1, "an update ending before the attach: once at most");
	if (n == 1) {
		ASSERT_EQ(recs[0].op, UPD, "op");
		ASSERT_EQ(recs[0].key, 7, "key");
		ASSERT_EQ(recs[0].val[0], 70, "value");
	}
out:
	bpf_link__destroy(link);
	bpf_link__destroy(done);
	bpf_link__destroy(hold);
	map_change_core__destroy(in.skel);
}

/*
 * small_ring_churn: writers on every CPU keep lapping a 2-entry ring while
 * the reader attaches and detaches a second link and reads through the
 * first one, for CHURN_SECS and at least CHURN_READS reads (a slow machine
 * gets up to CHURN_MAX_SECS for them). A read must not wait for records
 * that will never be published.
 */
#define CHURN_SECS	3
#define CHURN_MAX_SECS	(CHURN_SECS + WAIT_MS / 1000)
#define CHURN_READS	20
#define CHURN_MAX_CPUS	64
#define CHURN_REPEAT	8

struct churn {
	int map_fd, prog_fd;
	bool stop;
};

struct churn_writer {
	struct churn *c;
	pthread_t th;
	int cpu;
	bool started;
	__u64 runs, sys_updates;
};

static void *churn_writer(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = CHURN_REPEAT);
	struct churn_writer *w = arg;
	__u32 i = 0, k;
	__u64 v;

	pin_self(w->cpu);
	while (!__atomic_load_n(&w->c->stop, __ATOMIC_RELAXED)) {
		if (!bpf_prog_test_run_opts(w->c->prog_fd, &topts))
			w->runs++;
		k = 56 + (i++ & 7);
		v = i;
		if (!bpf_map_update_elem(w->c->map_fd, &k, &v, BPF_ANY))
			w->sys_updates++;
	}
	return NULL;
}

static void test_small_ring_churn(struct map_change *mc)
{
	__u64 t0, t1, start, ns, max_ns = 0, sum_ns = 0, sys_updates = 0;
	int cpus[CHURN_MAX_CPUS], ncpu, i, it, len, reads = 0;
	__u64 elapsed;
	int attach_errs = 0, read_errs = 0, nwriters = 0;
	struct churn_writer *w = NULL;
	struct bpf_link *link = NULL, *link2;
	struct map_change_core *skel;
	struct change_rec recs[8];
	__u64 mean_ns = 0;
	struct churn c = {};

	if (skip_if_cpus_below(__func__, 2, 2))
		return;
	ncpu = usable_cpus(cpus, CHURN_MAX_CPUS);
	if (ncpu < 2) {
		printf("%s: SKIP: this process may run on %d CPU(s)\n",
		       __func__, ncpu);
		test__skip();
		return;
	}
	skel = open_core(0);
	if (!skel)
		return;
	c.map_fd = bpf_map__fd(skel->maps.churn_map);
	c.prog_fd = bpf_program__fd(skel->progs.churn_write);
	w = calloc(ncpu, sizeof(*w));
	if (!ASSERT_OK_PTR(w, "calloc"))
		goto out;
	link = attach_map_iter(mc->progs.dump_u64, c.map_fd, 2);
	if (!ASSERT_OK_PTR(link, "attach 2-entry ring"))
		goto out;

	for (i = 0; i < ncpu; i++) {
		w[i].c = &c;
		w[i].cpu = cpus[i];
		w[i].started = !pthread_create(&w[i].th, NULL, churn_writer,
					       &w[i]);
		nwriters += w[i].started;
	}

	start = now_ns();
	for (;;) {
		elapsed = now_ns() - start;
		if (elapsed >= CHURN_MAX_SECS * 1000000000ULL ||
		    (elapsed >= CHURN_SECS * 1000000000ULL &&
		     reads >= CHURN_READS))
			break;
		link2 = attach_map_iter(mc->progs.dump_u64, c.map_fd, 2);
		if (!link2)
			attach_errs++;
		t0 = now_ns();
		it = bpf_iter_create(bpf_link__fd(link));
		if (it >= 0) {
			len = read_all(it, recs, sizeof(recs));
			t1 = now_ns();
			close(it);
		} else {
			len = -errno;
			t1 = now_ns();
		}
		bpf_link__destroy(link2);
		if (len < 0 || len % sizeof(recs[0])) {
			read_errs++;
			continue;
		}
		ns = t1 - t0;
		sum_ns += ns;
		if (ns > max_ns)
			max_ns = ns;
		reads++;
	}

	/* the writers' programs ran, however slow the machine */
	WAIT_UNTIL(READ_ONCE(skel->bss->churn_updates) > 0);
	__atomic_store_n(&c.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < ncpu; i++) {
		if (!w[i].started)
			continue;
		pthread_join(w[i].th, NULL);
		sys_updates += w[i].sys_updates;
	}
	if (reads)
		mean_ns = sum_ns / reads;
	printf("%s: %d writers, %llu prog, %llu sys updates; %d reads, mean %.3f, max %.3f ms\n",
	       __func__, nwriters, (unsigned long long)skel->bss->churn_updates,
	       (unsigned long long)sys_updates, reads, mean_ns / 1e6,
	       max_ns / 1e6);
	report_figures("map_change_core_churn",
		       "small ring churn (2 entries, %d writers): %llu program updates, %llu syscall updates; %d reads, mean %.3f ms, max %.3f ms\n",
		       nwriters, (unsigned long long)skel->bss->churn_updates,
		       (unsigned long long)sys_updates, reads, mean_ns / 1e6,
		       max_ns / 1e6);
	ASSERT_EQ(nwriters, ncpu, "writer threads");
	ASSERT_GT(skel->bss->churn_updates, 0, "program updates");
	ASSERT_EQ(attach_errs, 0, "second link attaches");
	ASSERT_EQ(read_errs, 0, "reads");
	ASSERT_GE(reads, CHURN_READS, "number of reads");
	ASSERT_LT(max_ns, 100000000ULL, "longest read < 100 ms");
	ASSERT_LT(mean_ns, 20000000ULL, "mean read < 20 ms");
out:
	bpf_link__destroy(link);
	free(w);
	map_change_core__destroy(skel);
}

/*
 * Serial: attach_inflight needs a system where no map records and no
 * program is on a hook (a change then takes the copy without trace calls),
 * which other tests running in parallel (test_progs -j) would not leave.
 */
void serial_test_map_change_core(void)
{
	struct map_change *mc;

	/* the common record writers: dump_u64 and dump_pcpu */
	mc = map_change__open_and_load();
	if (!ASSERT_OK_PTR(mc, "map_change open_and_load"))
		return;
	/* first: other subtests' rings would make the update a traced one */
	if (test__start_subtest("attach_inflight"))
		test_attach_inflight(mc, false);
	if (test__start_subtest("attach_inflight_sleepable"))
		test_attach_inflight(mc, true);
	if (test__start_subtest("origin_nested"))
		test_origin_nested(mc);
	if (test__start_subtest("notrace_writers"))
		test_notrace_writers();
	if (test__start_subtest("lookup_delete_flags"))
		test_lookup_delete_flags(mc);
	if (test__start_subtest("lock_replay"))
		test_lock_replay(mc);
	if (test__start_subtest("seq_continues"))
		test_seq_continues(mc);
	if (test__start_subtest("small_ring_churn"))
		test_small_ring_churn(mc);
	map_change__destroy(mc);
}
