// SPDX-License-Identifier: GPL-2.0
/*
 * Live upgrade of a stateful BPF program without losing a write, through
 * the history ring: writers (syscall threads and the old program's hot
 * path) keep updating and deleting entries of map A, keyed by {pid, fd},
 * while the migration records A's history, bulk-copies A into map B (new
 * key and value layout) with a bpf_map_elem iterator, and replays A's
 * history from the sequence number where the copy started. The gapless
 * sequence numbers make the replay exact, or tell it that it lost records.
 * After the switch, B must be exactly the translation of A.
 */
#include <test_progs.h>
#include <pthread.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "progs/map_upgrade.h"
#include "map_upgrade.skel.h"

#define WRITERS		3
#define RING		16384

struct upgrade {
	struct map_upgrade *skel;
	int fd_a, fd_b;
	volatile bool stop;
	struct bpf_link *history;
	__u64 next_seq;		/* first sequence number not replayed yet */
	__u64 replayed, lost, deletes;
	struct upgrade_rec *recs;
};

struct writer {
	struct upgrade *u;
	__u32 pid;
};

/* A syscall writer: its own pid, 64 fds, updates and closes. */
static void *syscall_writer(void *arg)
{
	struct writer *w = arg;
	unsigned int seed = w->pid;
	struct old_key k = { .pid = w->pid };
	struct old_val v = {};

	while (!w->u->stop) {
		k.fd = rand_r(&seed) % 64;
		if (rand_r(&seed) % 4 == 0) {
			bpf_map_delete_elem(w->u->fd_a, &k);
		} else {
			v.bytes += rand_r(&seed) % 1500;
			v.calls++;
			bpf_map_update_elem(w->u->fd_a, &k, &v, BPF_ANY);
		}
		/* a busy hot path, not a flood: the replay must keep up */
		usleep(1000);
	}
	return NULL;
}

/* The old program's hot path, run in a loop. */
static void *prog_writer(void *arg)
{
	struct upgrade *u = arg;
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 20);

	while (!u->stop) {
		bpf_prog_test_run_opts(bpf_program__fd(u->skel->progs.old_hot_path), &topts);
		usleep(10000);
	}
	return NULL;
}

/*
 * Replay the records not replayed yet, in sequence order. Returns the number
 * replayed; a gap in the sequence numbers is counted in u->lost.
 */
static int replay(struct upgrade *u)
{
	int fd, len, n, i, done = 0;
	struct new_val nv;
	__u64 nk;

	u->skel->bss->replay_from = u->next_seq;
	fd = bpf_iter_create(bpf_link__fd(u->history));
	if (fd < 0)
		return -errno;
	len = read_all(fd, u->recs, RING * sizeof(*u->recs));
	close(fd);
	if (len < 0)
		return len;
	n = len / sizeof(*u->recs);
	for (i = 0; i < n; i++) {
		struct upgrade_rec *r = &u->recs[i];

		if (r->seq < u->next_seq)
			continue;
		if (r->seq != u->next_seq)
			u->lost += r->seq - u->next_seq;
		nk = new_key(&r->key);
		if (r->op == BPF_MAP_CHANGE_UPDATE) {
			new_value(&nv, &r->val);
			bpf_map_update_elem(u->fd_b, &nk, &nv, BPF_ANY);
		} else {
			bpf_map_delete_elem(u->fd_b, &nk);
			u->deletes++;
		}
		u->next_seq = r->seq + 1;
		done++;
	}
	u->replayed += done;
	return done;
}

static int bulk_copy(struct upgrade *u)
{
	struct bpf_link *link;
	char buf[64];
	int fd, n;

	link = attach_map_iter(u->skel->progs.copy_a_to_b, u->fd_a, 0);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	return fd < 0 ? -1 : 0;
}

/* B == translation of A, key by key, both ways. */
static void check_equal(struct upgrade *u, int *nr_keys)
{
	struct old_key k, *prev = NULL;
	struct old_val v;
	struct new_val want, got;
	__u64 nk, *pnk = NULL;
	int na = 0, nb = 0;

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
	*nr_keys = na;
}

void test_map_upgrade(void)
{
	struct upgrade u = {};
	struct writer w[WRITERS];
	pthread_t th[WRITERS + 1];
	__u64 copy_changes = 0;
	int i, keys = 0;

	u.recs = calloc(RING, sizeof(*u.recs));
	u.skel = map_upgrade__open_and_load();
	if (!ASSERT_OK_PTR(u.recs, "calloc") || !ASSERT_OK_PTR(u.skel, "open_and_load"))
		goto out;
	u.fd_a = bpf_map__fd(u.skel->maps.map_a);
	u.fd_b = bpf_map__fd(u.skel->maps.map_b);

	/* the old program at work */
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ &u, 1 + i };
		pthread_create(&th[i], NULL, syscall_writer, &w[i]);
	}
	pthread_create(&th[WRITERS], NULL, prog_writer, &u);
	usleep(200000);

	/* 1. record A's history from now on: the replay starts at seq 0 */
	u.history = attach_map_iter(u.skel->progs.history_of_a, u.fd_a, RING);
	if (!ASSERT_OK_PTR(u.history, "start recording"))
		goto stop;
	/* 2. bulk copy, racing the writers' updates and deletes */
	ASSERT_OK(bulk_copy(&u), "bulk copy");
	/* 3. replay while the writers run: first what happened during the copy */
	ASSERT_GE(replay(&u), 0, "replay");
	copy_changes = u.next_seq;
	for (i = 0; i < 5; i++)
		ASSERT_GE(replay(&u), 0, "replay");
stop:
	/* 4. switch: the old program stops writing A; replay the rest */
	u.stop = true;
	for (i = 0; i <= WRITERS; i++)
		pthread_join(th[i], NULL);
	if (!u.history)
		goto out;
	ASSERT_GE(replay(&u), 0, "final replay");
	ASSERT_EQ(u.lost, 0, "no record lost");
	ASSERT_GT(copy_changes, 0, "A changed during the copy");
	ASSERT_GT(u.deletes, 0, "deletes replayed");
	check_equal(&u, &keys);
	report_figures("map_upgrade",
		       "upgrade (ring replay): %llu changes of A replayed (%llu while the copy ran, "
		       "%llu deletes), lost %llu, B = translation of A on %d keys\n",
		       (unsigned long long)u.replayed, (unsigned long long)copy_changes,
		       (unsigned long long)u.deletes, (unsigned long long)u.lost, keys);
out:
	bpf_link__destroy(u.history);
	map_upgrade__destroy(u.skel);
	free(u.recs);
}
