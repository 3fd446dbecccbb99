// SPDX-License-Identifier: GPL-2.0
/*
 * Live upgrade of a stateful BPF program without losing a write. Writers
 * (syscall threads and the old program's hot path, at full speed) keep
 * updating and deleting entries of map A, keyed by {pid, fd}, while the
 * migration moves A into map B (new key and value layout), then switches:
 * the old program stops writing A. B must then be exactly the translation
 * of A. The bulk copy is made to race a delete and an update of the keys
 * it copies, on top of the writers' own races.
 *
 * history: record A's history, bulk-copy A with a bpf_map_elem iterator,
 *	replay A's history from sequence number 0 (where the copy started)
 *	while the writers run, switch, replay the rest. Gapless sequence
 *	numbers make the replay exact, or tell it that it lost records.
 * tracing: fentry programs on the trace hooks translate every change of A
 *	into B, then a bpf_map_elem iterator copies A; hooks and copy settle
 *	each key of B by versions (progs/map_upgrade.c), then switch. The
 *	programs' recursion_misses tell whether a hook run was missed.
 */
#include <test_progs.h>
#include <pthread.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "progs/map_upgrade.h"
#include "map_upgrade.skel.h"

#define WRITERS		3
#define RING		65536

struct upgrade {
	struct map_upgrade *skel;
	int fd_a, fd_b;
	bool stop;		/* READ_ONCE(), WRITE_ONCE() */
	pthread_t th[WRITERS + 1];
	int nr_threads;		/* started, not joined yet */
	__u32 last_pid;		/* the syscall writers' pids: 1..WRITERS */
	__u64 changes[WRITERS];	/* changes of A each made, once returned */
};

/* A syscall writer: its own pid, NR_FDS fds, updates and closes. */
static void *syscall_writer(void *arg)
{
	struct upgrade *u = arg;
	__u32 pid = __sync_add_and_fetch(&u->last_pid, 1);
	struct old_key k = { .pid = pid };
	unsigned int seed = pid;
	struct old_val v = {};
	int err;

	while (!READ_ONCE(u->stop)) {
		k.fd = rand_r(&seed) % NR_FDS;
		if (rand_r(&seed) % 4 == 0) {
			err = bpf_map_delete_elem(u->fd_a, &k);
		} else {
			v.bytes += rand_r(&seed) % 1500;
			v.calls++;
			err = bpf_map_update_elem(u->fd_a, &k, &v, BPF_ANY);
		}
		if (!err)
			__atomic_add_fetch(&u->changes[pid - 1], 1,
					   __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The syscall writers' changes of A so far, counted once they returned. */
static __u64 sys_changes(struct upgrade *u)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < WRITERS; i++)
		n += __atomic_load_n(&u->changes[i], __ATOMIC_RELAXED);
	return n;
}

/* Every syscall writer changed A, and the old program ran. */
static bool writers_running(struct upgrade *u)
{
	int i;

	for (i = 0; i < WRITERS; i++)
		if (!__atomic_load_n(&u->changes[i], __ATOMIC_RELAXED))
			return false;
	return READ_ONCE(u->skel->bss->hot_calls) > 0;
}

/* The old program's hot path, run in a loop: keys {HOT_PID, fd}. */
static void *prog_writer(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 20);
	struct upgrade *u = arg;

	while (!READ_ONCE(u->stop))
		bpf_prog_test_run_opts(bpf_program__fd(u->skel->progs.old_hot_path), &topts);
	return NULL;
}

/* Load, put the keys the copy races on into A, start the old program. */
static int start(struct upgrade *u)
{
	struct old_val v = { .bytes = 1, .calls = 1 };
	struct old_key k = { .pid = RACE_PID };
	int i, err;

	u->skel = map_upgrade__open_and_load();
	if (!ASSERT_OK_PTR(u->skel, "open_and_load"))
		return -1;
	u->fd_a = bpf_map__fd(u->skel->maps.map_a);
	u->fd_b = bpf_map__fd(u->skel->maps.map_b);
	for (k.fd = 0; k.fd < 2; k.fd++)
		if (!ASSERT_OK(bpf_map_update_elem(u->fd_a, &k, &v, 0), "race keys"))
			return -1;
	u->skel->bss->inject_races = 3;
	for (i = 0; i <= WRITERS; i++) {
		err = pthread_create(&u->th[i], NULL,
				     i < WRITERS ? syscall_writer : prog_writer, u);
		if (!ASSERT_OK(err, "pthread_create"))
			return -1;
		u->nr_threads++;
	}
	/* the migration starts with the writers at full speed */
	if (!ASSERT_TRUE(WAIT_UNTIL(writers_running(u)), "writers running"))
		return -1;
	return 0;
}

/* The switch: the old program stops writing A. */
static void stop(struct upgrade *u)
{
	WRITE_ONCE(u->stop, true);
	while (u->nr_threads > 0)
		pthread_join(u->th[--u->nr_threads], NULL);
}

/* Run an iterator to its end. */
static int run_iter(struct bpf_link *link)
{
	char buf[64];
	int fd, n;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n;
}

static int bulk_copy(struct upgrade *u, struct bpf_program *prog)
{
	struct bpf_link *link;
	int err;

	link = attach_map_iter(prog, u->fd_a, 0);
	if (!link)
		return -errno;
	err = run_iter(link);
	bpf_link__destroy(link);
	return err;
}

/* B == translation of A, key by key, both ways. */
static int check_equal(struct upgrade *u)
{
	struct old_key k, *prev = NULL;
	struct new_val want, got;
	__u64 nk, *pnk = NULL;
	int na = 0, nb = 0;
	struct old_val v;

	while (!bpf_map_get_next_key(u->fd_a, prev, &k)) {
		prev = &k;
		if (bpf_map_lookup_elem(u->fd_a, &k, &v))
			continue;
		na++;
		nk = new_key(&k);
		new_value(&want, &v);
		if (!ASSERT_OK(bpf_map_lookup_elem(u->fd_b, &nk, &got), "key of A in B") ||
		    !ASSERT_OK(memcmp(&want, &got, sizeof(want)), "value translated"))
			break;
	}
	while (!bpf_map_get_next_key(u->fd_b, pnk, &nk)) {
		pnk = &nk;
		nb++;
	}
	ASSERT_EQ(nb, na, "B has as many keys as A");
	return na;
}

static void test_history(void)
{
	struct upgrade u = {};
	struct upgrade_stats *s;
	struct bpf_link *replay = NULL;
	__u64 first_pass = 0, recording;
	int i, keys;

	if (start(&u))
		goto out;
	s = &u.skel->bss->stats;
	/* 1. record A's history from now on: the replay starts at seq 0 */
	replay = attach_map_iter(u.skel->progs.replay_a_to_b, u.fd_a, RING);
	if (!ASSERT_OK_PTR(replay, "start recording"))
		goto out;
	recording = sys_changes(&u);
	/* 2. bulk copy, racing the writers' updates and deletes */
	ASSERT_OK(bulk_copy(&u, u.skel->progs.copy_a_to_b), "bulk copy");
	/*
	 * Writers changed A since the recording started, whatever the
	 * machine's speed: each writer counts at most one change made before
	 * it, once it returned. On a fast machine they did during the copy.
	 */
	ASSERT_TRUE(WAIT_UNTIL(sys_changes(&u) > recording + WRITERS),
		    "writers changed A while recording");
	/* 3. replay while the writers run: first what happened during the copy */
	ASSERT_OK(run_iter(replay), "replay");
	first_pass = s->replayed;
	for (i = 0; i < 10; i++)
		ASSERT_OK(run_iter(replay), "replay");
	/* 4. switch, then replay the rest */
	stop(&u);
	ASSERT_OK(run_iter(replay), "final replay");
	ASSERT_EQ(s->injected, 2, "copy raced a delete and an update");
	ASSERT_EQ(s->lost, 0, "no record lost");
	/* the copy's own races, and the writers' changes */
	ASSERT_GT(first_pass, s->injected, "first pass replays the writers' changes");
	ASSERT_GT(s->deletes, 0, "deletes replayed");
	keys = check_equal(&u);
	report_figures("map_upgrade_history",
		       "upgrade (history): %llu changes of A replayed (%llu in the pass after the copy, %llu deletes), lost %llu, B = translation of A on %d keys\n",
		       (unsigned long long)s->replayed, (unsigned long long)first_pass,
		       (unsigned long long)s->deletes, (unsigned long long)s->lost, keys);
out:
	stop(&u);
	bpf_link__destroy(replay);
	map_upgrade__destroy(u.skel);
}

static __u64 recursion_misses(struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return -1ULL;
	return info.recursion_misses;
}

static void test_tracing(void)
{
	struct bpf_link *on_update = NULL, *on_delete = NULL;
	__u64 during_copy, missed_update, missed_delete;
	struct upgrade_stats *s;
	struct upgrade u = {};
	int keys;

	if (start(&u))
		goto out;
	s = &u.skel->bss->stats;
	/* 1. translate every change of A into B from now on */
	u.skel->bss->a_id = map_id(u.fd_a);
	on_update = bpf_program__attach(u.skel->progs.a_updated);
	on_delete = bpf_program__attach(u.skel->progs.a_deleted);
	if (!ASSERT_OK_PTR(on_update, "attach a_updated") ||
	    !ASSERT_OK_PTR(on_delete, "attach a_deleted"))
		goto out;
	__atomic_store_n(&u.skel->bss->armed, 1, __ATOMIC_SEQ_CST);
	/* 2. bulk copy, racing the writers' updates and deletes */
	during_copy = s->hook_updates + s->hook_deletes;
	ASSERT_OK(bulk_copy(&u, u.skel->progs.copy_a_to_b_traced), "bulk copy");
	during_copy = s->hook_updates + s->hook_deletes - during_copy;
	/*
	 * 3. let the writers run on A a while, the hooks keeping B in step:
	 * no check depends on how much they ran (the copy's races are made
	 * certain by the copy itself).
	 */
	usleep(300000);
	/* 4. switch */
	stop(&u);
	missed_update = recursion_misses(u.skel->progs.a_updated) - s->own_update_misses;
	missed_delete = recursion_misses(u.skel->progs.a_deleted) - s->own_delete_misses;
	ASSERT_EQ(s->errors, 0, "translation errors");
	ASSERT_EQ(missed_update, 0, "update hook runs missed");
	ASSERT_EQ(missed_delete, 0, "delete hook runs missed");
	ASSERT_EQ(s->injected, 2, "copy raced a delete and an update");
	ASSERT_GE(s->reapplied, 2, "B settled again after the races");
	ASSERT_GT(s->hook_deletes, 0, "deletes translated");
	keys = check_equal(&u);
	report_figures("map_upgrade_tracing",
		       "upgrade (tracing): %llu updates and %llu deletes of A translated (%llu while the copy ran), copy: %llu copied, %llu left to the hooks; B changed again %llu times, hook runs missed %llu, B = translation of A on %d keys\n",
		       (unsigned long long)s->hook_updates, (unsigned long long)s->hook_deletes,
		       (unsigned long long)during_copy,
		       (unsigned long long)s->copied, (unsigned long long)s->copy_deferred,
		       (unsigned long long)s->reapplied,
		       (unsigned long long)(missed_update + missed_delete), keys);
out:
	stop(&u);
	bpf_link__destroy(on_update);
	bpf_link__destroy(on_delete);
	map_upgrade__destroy(u.skel);
}

/*
 * Serial: the tracing upgrade's hook programs run for every map change of
 * the system, and a change in an interrupt on their CPU (another test's
 * perf_event program, test_progs -j) would count in their
 * recursion_misses as a hook run missed.
 */
void serial_test_map_upgrade(void)
{
	if (test__start_subtest("history"))
		test_history();
	if (test__start_subtest("tracing"))
		test_tracing();
}
