/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_TRACE_HELPERS_H
#define __MAP_TRACE_HELPERS_H

#include <errno.h>
#include <stdarg.h>
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
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));

	/* map_change.map_fd is at the offset of map.map_fd */
	linfo.map_change.map_fd = map_fd;
	linfo.map_change.ring_entries = entries;
	return bpf_program__attach_iter(prog, &opts);
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

/* Unpinned links are released from a workqueue: give memory usage time. */
static inline long long wait_memlock(int fd, long long want)
{
	long long v;
	int i;

	for (i = 0; i < 100 && (v = map_memlock(fd)) != want; i++)
		usleep(20000);
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

#endif
