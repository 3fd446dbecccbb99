// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpftool map history: print a map's change history, recorded by the
 * kernel's bpf_map_change iterator target.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/err.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "json_writer.h"
#include "main.h"

#ifdef BPFTOOL_WITHOUT_SKELETONS
int do_map_history(int argc, char **argv)
{
	p_err("bpftool was built without skeletons: map history needs them");
	return -1;
}
#else
#include "skeleton/map_history.h"
#include "map_history.skel.h"

#define FOLLOW_INTERVAL_MS	200
/* one read() of a bpf iterator buffers this much: a record must fit */
#define ITER_READ_MAX		(32 * 1024)

struct history {
	struct map_history_bpf *skel;
	struct bpf_map_info info;
	struct btf *btf;
	__u32 vbuf_size;	/* value bytes per record */
	__u32 rec_size;
	bool have_last;
	__u64 last_seq;
	char *buf;
	size_t buf_size;
};

static volatile sig_atomic_t stop;

static void history_stop(int sig)
{
	stop = 1;
}

static const char *op_name(__u32 op)
{
	switch (op) {
	case BPF_MAP_CHANGE_UPDATE:
		return "update";
	case BPF_MAP_CHANGE_DELETE:
		return "delete";
	case BPF_MAP_CHANGE_LOOKUP_DELETE:
		return "lookup_delete";
	case BPF_MAP_CHANGE_EVICT:
		return "evict";
	default:
		return "unknown";
	}
}

static const char *origin_name(__u32 origin)
{
	return origin == BPF_MAP_CHANGE_SYSCALL ? "syscall" : "prog";
}

/* The map as one record holds it: a program's per-CPU update has one value. */
static struct bpf_map_info record_info(const struct history *h,
				       const struct map_history_hdr *r)
{
	struct bpf_map_info info = h->info;

	if (r->nr_percpu == 1)
		info.type = BPF_MAP_TYPE_HASH;
	return info;
}

static void print_record_json(struct history *h, const struct map_history_hdr *r,
			      __u64 lost, unsigned char *key, unsigned char *value)
{
	struct bpf_map_info info = record_info(h, r);

	jsonw_start_object(json_wtr);
	jsonw_uint_field(json_wtr, "seq", r->seq);
	jsonw_uint_field(json_wtr, "lost", lost);
	jsonw_uint_field(json_wtr, "time_ns", r->ts_ns);
	jsonw_string_field(json_wtr, "op", op_name(r->op));
	jsonw_uint_field(json_wtr, "flags", r->flags);
	jsonw_string_field(json_wtr, "origin", origin_name(r->origin));
	jsonw_uint_field(json_wtr, "pid", r->tgid);
	jsonw_uint_field(json_wtr, "tid", r->pid);
	jsonw_uint_field(json_wtr, "uid", r->uid);
	jsonw_string_field(json_wtr, "comm", r->comm);
	jsonw_uint_field(json_wtr, "cpu", r->cpu);
	print_entry_json_fields(&info, key, value, h->btf);
	jsonw_end_object(json_wtr);
}

static void print_record_plain(struct history *h, const struct map_history_hdr *r,
			       __u64 lost, unsigned char *key, unsigned char *value)
{
	struct bpf_map_info info = record_info(h, r);

	if (lost)
		printf("... %llu records lost (overwritten before they were read)\n",
		       (unsigned long long)lost);
	printf("seq %llu  time %llu ns  %s flags 0x%x  %s  pid %u tid %u (%s)  uid %u  cpu %u\n",
	       (unsigned long long)r->seq, (unsigned long long)r->ts_ns,
	       op_name(r->op), r->flags, origin_name(r->origin), r->tgid,
	       r->pid, r->comm, r->uid, r->cpu);
	if (h->btf)
		print_entry_btf_plain(&info, key, value, h->btf);
	else
		print_entry_plain(&info, key, value);
}

/* One read session of the iterator: every record the ring holds now. */
static int read_records(struct bpf_link *link, struct history *h, size_t *len)
{
	int fd, n;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	*len = 0;
	for (;;) {
		if (*len + h->rec_size > h->buf_size) {
			size_t sz = h->buf_size ? h->buf_size * 2 : 64 * h->rec_size;
			char *nb = realloc(h->buf, sz);

			if (!nb) {
				close(fd);
				return -ENOMEM;
			}
			h->buf = nb;
			h->buf_size = sz;
		}
		n = read(fd, h->buf + *len, h->buf_size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += n;
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Print the records not printed yet; a sequence gap is records lost. */
static int print_new_records(struct bpf_link *link, struct history *h,
			     bool follow)
{
	struct map_history_hdr r;
	unsigned char *key, *value;
	size_t len = 0, off;
	__u64 lost;
	int err;

	if (h->have_last)
		h->skel->bss->start_seq = h->last_seq + 1;
	err = read_records(link, h, &len);
	if (err)
		return err;
	for (off = 0; off + h->rec_size <= len; off += h->rec_size) {
		memcpy(&r, h->buf + off, sizeof(r));
		if (h->have_last && r.seq <= h->last_seq)
			continue;
		lost = h->have_last ? r.seq - h->last_seq - 1 : r.lost;
		key = (unsigned char *)h->buf + off + sizeof(r);
		value = key + h->info.key_size;
		if (json_output) {
			print_record_json(h, &r, lost, key, value);
		} else {
			print_record_plain(h, &r, lost, key, value);
		}
		h->have_last = true;
		h->last_seq = r.seq;
	}
	fflush(stdout);
	return 0;
}

static int history_loop(struct bpf_link *link, struct history *h, bool follow)
{
	struct timespec ts = { 0, FOLLOW_INTERVAL_MS * 1000000L };
	int err;

	/* an array, flushed record by record with follow, as event_pipe */
	if (json_output)
		jsonw_start_array(json_wtr);
	stop = 0;
	signal(SIGINT, history_stop);
	signal(SIGTERM, history_stop);
	do {
		err = print_new_records(link, h, follow);
		if (err) {
			p_err("failed to read history: %s", strerror(-err));
			break;
		}
		if (follow)
			nanosleep(&ts, NULL);
	} while (follow && !stop);
	if (json_output)
		jsonw_end_array(json_wtr);
	return err;
}

static int parse_history_args(int argc, char **argv, __u32 *entries,
			      const char **pin, bool *follow)
{
	unsigned long n;
	char *endptr;

	while (argc) {
		if (is_prefix(*argv, "entries")) {
			NEXT_ARG();
			if (!REQ_ARGS(1))
				return -1;
			errno = 0;
			n = strtoul(*argv, &endptr, 0);
			*entries = n;
			if (!**argv || *endptr || errno || n > UINT_MAX) {
				p_err("can't parse %s as number of entries", *argv);
				return -1;
			}
			NEXT_ARG();
		} else if (is_prefix(*argv, "pin")) {
			NEXT_ARG();
			if (!REQ_ARGS(1))
				return -1;
			*pin = *argv;
			NEXT_ARG();
		} else if (is_prefix(*argv, "follow")) {
			NEXT_ARG();
			*follow = true;
		} else {
			p_err("expected 'entries', 'pin' or 'follow', got: '%s'",
			      *argv);
			return -1;
		}
	}
	if (*pin && *follow) {
		p_err("'pin' and 'follow' do not go together");
		return -1;
	}
	return 0;
}

static struct bpf_link *attach_history(struct map_history_bpf *skel, int fd,
				       __u32 entries)
{
	union bpf_iter_link_info linfo = {};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &linfo,
		    .link_info_len = sizeof(linfo));

	linfo.map_change.map_fd = fd;
	linfo.map_change.ring_entries = entries;
	return bpf_program__attach_iter(skel->progs.dump_history, &opts);
}

int do_map_history(int argc, char **argv)
{
	struct history h = { .have_last = false };
	__u32 len = sizeof(h.info), entries = 0;
	struct map_history_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	const char *pin = NULL;
	bool follow = false;
	int fd, err = -1;

	if (!REQ_ARGS(2))
		return -1;
	fd = map_parse_fd_and_info(&argc, &argv, &h.info, &len);
	if (fd < 0)
		return -1;
	if (parse_history_args(argc, argv, &entries, &pin, &follow))
		goto out;

	h.vbuf_size = h.info.value_size;
	if (map_is_per_cpu(h.info.type))
		h.vbuf_size = round_up(h.info.value_size, 8) * get_possible_cpus();
	h.rec_size = sizeof(struct map_history_hdr) + h.info.key_size + h.vbuf_size;
	if (h.rec_size > ITER_READ_MAX) {
		p_err("records of map %u take %u bytes, more than one iterator read holds (%u)",
		      h.info.id, h.rec_size, ITER_READ_MAX);
		goto out;
	}
	/* before anything is printed: an error is then the only output */
	if (!pin && get_map_kv_btf(&h.info, &h.btf))
		goto out;

	skel = map_history_bpf__open();
	if (!skel) {
		p_err("failed to open the history iterator");
		goto out;
	}
	h.skel = skel;
	skel->rodata->key_size = h.info.key_size;
	skel->rodata->value_size = h.vbuf_size;
	if (map_history_bpf__load(skel)) {
		p_err("failed to load the history iterator: %s", strerror(errno));
		goto out;
	}
	link = attach_history(skel, fd, entries);
	if (!link) {
		p_err("failed to start history of map %u: %s", h.info.id,
		      errno == EOPNOTSUPP ? "map type not supported" :
		      strerror(errno));
		goto out;
	}

	if (pin) {
		/* the pinned link keeps recording until it is removed */
		err = bpf_link__pin(link, pin);
		if (err) {
			p_err("failed to pin history link at %s: %s", pin,
			      strerror(-err));
			goto out;
		}
		if (json_output)
			jsonw_null(json_wtr);
		goto out;
	}

	err = history_loop(link, &h, follow);
out:
	free_map_kv_btf(h.btf);
	free(h.buf);
	bpf_link__destroy(link);
	map_history_bpf__destroy(skel);
	close(fd);
	return err ? -1 : 0;
}
#endif /* BPFTOOL_WITHOUT_SKELETONS */
