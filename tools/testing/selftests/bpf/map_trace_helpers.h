/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_TRACE_HELPERS_H
#define __MAP_TRACE_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Read fd until EOF into buf (at most size bytes); returns bytes or -errno. */
static inline int read_all(int fd, void *buf, int size)
{
	int len = 0, n;

	while (len < size) {
		n = read(fd, (char *)buf + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

/*
 * One read() session of an iterator link: the records present when it
 * started, rec_size bytes each; returns their number or -errno.
 */
static inline int read_iter_recs(struct bpf_link *link, void *buf, int size,
				 int rec_size)
{
	int fd, len;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	len = read_all(fd, buf, size);
	close(fd);
	if (len < 0)
		return len;
	if (len % rec_size)
		return -EIO;
	return len / rec_size;
}

/*
 * Attach a map iterator (bpf_map_change, or bpf_map_elem with entries 0)
 * to a map; entries sizes a new change ring, 0 for the default.
 */
static inline struct bpf_link *attach_map_iter(struct bpf_program *prog,
					       int map_fd, __u32 entries)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};

	/* map_change.map_fd is at the offset of map.map_fd */
	linfo.map_change.map_fd = map_fd;
	linfo.map_change.ring_entries = entries;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	return bpf_program__attach_iter(prog, &opts);
}

/*
 * BPF_LINK_CREATE of a bpf_map_change iterator: @prog_fd on @map_fd's
 * history, in a ring of @entries records (0: the default). The link's fd,
 * or -errno.
 */
static inline int link_change_iter(int prog_fd, int map_fd, __u32 entries)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	union bpf_iter_link_info linfo = {};

	linfo.map_change.map_fd = map_fd;
	linfo.map_change.ring_entries = entries;
	opts.iter_info = &linfo;
	opts.iter_info_len = sizeof(linfo);
	return bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
}

static inline __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_map_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* memlock as shown in fdinfo: the map's memory usage, ring included. */
static inline long long map_memlock(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * How long a test waits for a condition before it calls it failed: long
 * enough for a debug kernel under emulation on a busy host. A wait ends as
 * soon as the condition holds, so a fast machine does not pay for it.
 */
#define WAIT_MS		10000

/*
 * Poll @cond every millisecond until it holds, giving up after WAIT_MS
 * polls (WAIT_MS milliseconds at least); its value when the wait ended
 * (true: it holds).
 */
#define WAIT_UNTIL(cond) ({						\
	bool __ok;							\
	int __ms;							\
									\
	for (__ms = 0; !(__ok = (cond)) && __ms < WAIT_MS; __ms++)	\
		usleep(1000);						\
	__ok;								\
})

/*
 * A link whose last reference goes with a pin or an exiting process is
 * released from a workqueue: wait until the map's memory usage is @want
 * again, giving up after WAIT_MS; returns the last value seen.
 */
static inline long long wait_memlock(int fd, long long want)
{
	long long v;

	WAIT_UNTIL((v = map_memlock(fd)) == want);
	return v;
}

/* Figures for the run's summary: mc-selftests prints /tmp/figures after. */
static inline void report_figures(const char *name, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	mkdir("/tmp/figures", 0755);
	snprintf(path, sizeof(path), "/tmp/figures/%s", name);
	f = fopen(path, "w");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* What only test_progs tests use: include test_progs.h first. */
#ifdef __TEST_PROGS_H
#include "cap_helpers.h"

/*
 * A test of writers on several CPUs cannot run on fewer: skip the running
 * test or subtest, and say why, when fewer than @possible CPUs are
 * possible or fewer than @online are online. True if it skipped.
 */
static inline bool skip_if_cpus_below(const char *who, int possible, int online)
{
	long nr_online = sysconf(_SC_NPROCESSORS_ONLN);
	int nr_possible = libbpf_num_possible_cpus();

	if (nr_possible >= possible && nr_online >= online)
		return false;
	printf("%s: SKIP: needs %d possible and %d online CPUs, has %d and %ld\n",
	       who, possible, online, nr_possible, nr_online);
	test__skip();
	return true;
}

/*
 * Attach @prog_fd, a bpf_map_change iterator program, to @map_fd with
 * capability @cap dropped from the effective set, which is restored after:
 * 0 if it attached (the link is closed at once), else -errno; -ECANCELED
 * if the capability could not be dropped or restored.
 */
static inline int attach_change_iter_without(int prog_fd, int map_fd, int cap)
{
	__u64 old;
	int fd;

	if (cap_disable_effective(1ULL << cap, &old))
		return -ECANCELED;
	fd = link_change_iter(prog_fd, map_fd, 0);
	if (fd >= 0)
		close(fd);
	if (cap_enable_effective(old & (1ULL << cap), NULL))
		return -ECANCELED;
	return fd < 0 ? fd : 0;
}
#endif /* __TEST_PROGS_H */

#endif
