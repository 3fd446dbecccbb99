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
/* the kernel's ring sizes (Documentation/bpf/map_trace.rst) */
#define RING_MIN		2
#define RING_MAX		1048576U	/* 2^20, the kernel's limit */
#define RING_DEFAULT		4096
#define OP_ANY			UINT_MAX

struct history_opts {
	__u32 entries;		/* 0: the ring's size, or the default */
	const char *pin;
	bool follow;
	__u64 since;		/* the first sequence number to show */
	unsigned char *key;	/* only this key */
	__u32 op;		/* only this op, or OP_ANY */
	__u64 count;		/* at most this many records, 0: no limit */
};

struct history {
	struct history_opts o;
	struct bpf_map_info info;
	struct btf *btf;
	__u32 key_len;		/* key bytes in a record, padded */
	__u32 vbuf_size;	/* value bytes per record */
	__u32 rec_size;
	bool have_last;
	__u64 last_seq;		/* of the last record read */
	__u64 lost;		/* not printed yet */
	__u64 printed;
	long long wall_offset;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, in ns */
	char *buf;
	size_t buf_size;
};

static volatile sig_atomic_t stop;

static void history_stop(int sig)
{
	stop = 1;
}

static const char * const op_names[] = {
	[BPF_MAP_CHANGE_UPDATE]		= "update",
	[BPF_MAP_CHANGE_DELETE]		= "delete",
	[BPF_MAP_CHANGE_LOOKUP_DELETE]	= "lookup_delete",
	[BPF_MAP_CHANGE_EVICT]		= "evict",
};

static const char *op_name(__u32 op)
{
	if (op < ARRAY_SIZE(op_names) && op_names[op])
		return op_names[op];
	return "unknown";
}

static const char *origin_name(__u32 origin)
{
	return origin == BPF_MAP_CHANGE_SYSCALL ? "syscall" : "prog";
}

/* Update flags as map update spells them: any, noexist, exist, lock. */
static void flags_name(__u32 flags, char *buf, size_t size)
{
	static const char * const modes[] = { "any", "noexist", "exist" };
	__u32 mode = flags & ~BPF_F_LOCK;

	if (mode < ARRAY_SIZE(modes))
		snprintf(buf, size, "%s%s", modes[mode],
			 flags & BPF_F_LOCK ? ",lock" : "");
	else
		snprintf(buf, size, "0x%x", flags);
}

/* Monotonic ns as wall-clock time, as prog show prints loaded_at. */
static void wall_time(const struct history *h, __u64 ns, char *buf,
		      size_t size)
{
	long long wall = h->wall_offset + (long long)ns;
	time_t secs = wall / 1000000000LL;
	char date[32], zone[8];
	struct tm tm;

	if (!localtime_r(&secs, &tm) ||
	    !strftime(date, sizeof(date), "%FT%T", &tm) ||
	    !strftime(zone, sizeof(zone), "%z", &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s.%06lld%s", date, wall % 1000000000LL / 1000,
		 zone);
}

static long long get_wall_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000LL +
	       (rt.tv_nsec - mono.tv_nsec);
}

/* A per-CPU record holds every CPU's value, or @r->cpu's only. */
static int record_cpu(const struct history *h, const struct map_history_hdr *r)
{
	return map_is_per_cpu(h->info.type) && r->nr_percpu == 1 ?
	       (int)r->cpu : -1;
}

static void print_record_json(struct history *h, const struct map_history_hdr *r,
			      __u64 lost, unsigned char *key, unsigned char *value)
{
	char wall[64];

	wall_time(h, r->ts_ns, wall, sizeof(wall));
	jsonw_start_object(json_wtr);
	jsonw_uint_field(json_wtr, "seq", r->seq);
	jsonw_uint_field(json_wtr, "lost", lost);
	jsonw_uint_field(json_wtr, "time_ns", r->ts_ns);
	jsonw_string_field(json_wtr, "time", wall);
	jsonw_string_field(json_wtr, "op", op_name(r->op));
	jsonw_uint_field(json_wtr, "flags", r->flags);
	jsonw_string_field(json_wtr, "origin", origin_name(r->origin));
	jsonw_uint_field(json_wtr, "pid", r->tgid);
	jsonw_uint_field(json_wtr, "tid", r->pid);
	jsonw_uint_field(json_wtr, "uid", r->uid);
	jsonw_string_field(json_wtr, "comm", r->comm);
	jsonw_uint_field(json_wtr, "cpu", r->cpu);
	print_entry_json_fields(&h->info, key, value, h->btf, record_cpu(h, r));
	jsonw_end_object(json_wtr);
}

static void print_record_plain(struct history *h, const struct map_history_hdr *r,
			       __u64 lost, unsigned char *key, unsigned char *value)
{
	int cpu = record_cpu(h, r);
	char wall[64], flags[32];

	if (lost)
		printf("... %llu records lost (overwritten before they were read)\n",
		       (unsigned long long)lost);
	wall_time(h, r->ts_ns, wall, sizeof(wall));
	printf("seq %llu  time %s (%llu ns monotonic)  %s",
	       (unsigned long long)r->seq, wall, (unsigned long long)r->ts_ns,
	       op_name(r->op));
	/* flags are those of an update, or a lookup-and-delete's lock */
	if (r->op == BPF_MAP_CHANGE_UPDATE ||
	    (r->op == BPF_MAP_CHANGE_LOOKUP_DELETE && r->flags)) {
		flags_name(r->flags, flags, sizeof(flags));
		printf(" %s", flags);
	}
	printf("  %s  pid %u tid %u (%s)  uid %u  cpu %u\n",
	       origin_name(r->origin), r->tgid, r->pid, r->comm, r->uid, r->cpu);
	if (h->btf)
		print_entry_btf_plain(&h->info, key, value, h->btf, cpu);
	else
		print_entry_plain_cpu(&h->info, key, value, cpu);
}

static bool record_wanted(const struct history *h,
			  const struct map_history_hdr *r, unsigned char *key)
{
	if (h->o.op != OP_ANY && r->op != h->o.op)
		return false;
	return !h->o.key || !memcmp(key, h->o.key, h->info.key_size);
}

/*
 * One record: a sequence gap before it is records lost. Records that the
 * filters leave out still count as read, so that they are not lost.
 */
static void history_record(struct history *h, const char *rec)
{
	unsigned char *key = (unsigned char *)rec + sizeof(struct map_history_hdr);
	unsigned char *value = key + h->key_len;
	struct map_history_hdr r;

	memcpy(&r, rec, sizeof(r));
	if (h->have_last && r.seq <= h->last_seq)
		return;
	h->lost += h->have_last ? r.seq - h->last_seq - 1 : r.lost;
	h->have_last = true;
	h->last_seq = r.seq;
	if (!record_wanted(h, &r, key))
		return;
	if (json_output)
		print_record_json(h, &r, h->lost, key, value);
	else
		print_record_plain(h, &r, h->lost, key, value);
	h->lost = 0;
	h->printed++;
	if (h->o.count && h->printed == h->o.count)
		stop = 1;
	/* JSON Lines: one object a line, each complete when it is written */
	if (json_output && h->o.follow) {
		jsonw_reset(json_wtr);
		putchar('\n');
	}
	fflush(stdout);
}

/*
 * One read session of the iterator: the records the ring holds now,
 * printed as each read() returns them. A record may straddle two reads.
 */
static int history_read(int link_fd, struct history *h,
			struct map_history_bpf *skel)
{
	size_t len = 0, off;
	ssize_t n = 0;
	int fd;

	if (h->have_last)
		skel->bss->start_seq = h->last_seq + 1;
	fd = bpf_iter_create(link_fd);
	if (fd < 0)
		return -errno;
	while (!stop) {
		n = read(fd, h->buf + len, h->buf_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		for (off = 0; off + h->rec_size <= len && !stop; off += h->rec_size)
			history_record(h, h->buf + off);
		memmove(h->buf, h->buf + off, len - off);
		len -= off;
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

static void history_signals(void)
{
	struct sigaction sa = { .sa_handler = history_stop };

	/* no SA_RESTART: a read or a sleep returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int history_loop(int link_fd, struct history *h,
			struct map_history_bpf *skel)
{
	struct timespec ts = { 0, FOLLOW_INTERVAL_MS * 1000000L };
	int err;

	/* a snapshot is an array, as map dump prints; follow writes lines */
	if (json_output && !h->o.follow)
		jsonw_start_array(json_wtr);
	if (json_output && h->o.follow)
		jsonw_pretty(json_wtr, false);
	stop = 0;
	history_signals();
	do {
		err = history_read(link_fd, h, skel);
		if (err) {
			p_err("failed to read history: %s", strerror(-err));
			break;
		}
		if (h->o.follow && !stop)
			nanosleep(&ts, NULL);
	} while (h->o.follow && !stop);
	if (json_output && !h->o.follow)
		jsonw_end_array(json_wtr);
	/*
	 * The records were the whole output: the JSON writer's closing
	 * newline in main() would add an empty line to the stream.
	 */
	if (json_output && h->o.follow && !err) {
		fflush(stdout);
		if (!freopen("/dev/null", "w", stdout))
			return -errno;
	}
	return err;
}

static int parse_u64(const char *arg, const char *what, __u64 max, __u64 *v)
{
	unsigned long long n;
	char *endptr;

	errno = 0;
	n = strtoull(arg, &endptr, 0);
	if (!*arg || *endptr || errno || n > max || *arg == '-') {
		p_err("can't parse %s as %s", arg, what);
		return -1;
	}
	*v = n;
	return 0;
}

static int parse_op(const char *arg, __u32 *op)
{
	__u32 i;

	for (i = 0; i < ARRAY_SIZE(op_names); i++) {
		if (op_names[i] && !strcmp(arg, op_names[i])) {
			*op = i;
			return 0;
		}
	}
	p_err("unknown op '%s': expected update, delete, lookup_delete or evict",
	      arg);
	return -1;
}

static int parse_entries(const char *arg, __u32 *entries)
{
	__u64 n;

	if (parse_u64(arg, "number of entries", UINT_MAX, &n))
		return -1;
	if (n < RING_MIN || n > RING_MAX || (n & (n - 1))) {
		p_err("entries must be a power of two from %u to %u, got %llu",
		      RING_MIN, RING_MAX, (unsigned long long)n);
		return -1;
	}
	*entries = n;
	return 0;
}

static int parse_key(struct history *h, char ***argv, int *argc)
{
	char **next;

	if (h->o.key) {
		p_err("'key' given twice");
		return -1;
	}
	h->o.key = calloc(1, h->info.key_size ?: 1);
	if (!h->o.key) {
		p_err("mem alloc failed");
		return -1;
	}
	next = parse_bytes(*argv, "key", h->o.key, h->info.key_size);
	if (!next)
		return -1;
	*argc -= next - *argv;
	*argv = next;
	return 0;
}

static int parse_history_args(int argc, char **argv, struct history *h)
{
	struct history_opts *o = &h->o;
	__u64 n;

	o->op = OP_ANY;
	while (argc) {
		if (is_prefix(*argv, "entries")) {
			NEXT_ARG();
			if (!REQ_ARGS(1) || parse_entries(*argv, &o->entries))
				return -1;
			NEXT_ARG();
		} else if (is_prefix(*argv, "pin")) {
			NEXT_ARG();
			if (!REQ_ARGS(1))
				return -1;
			o->pin = GET_ARG();
		} else if (is_prefix(*argv, "follow")) {
			NEXT_ARG();
			o->follow = true;
		} else if (is_prefix(*argv, "since")) {
			NEXT_ARG();
			if (!REQ_ARGS(1) ||
			    parse_u64(*argv, "sequence number", ULLONG_MAX - 1,
				      &o->since))
				return -1;
			NEXT_ARG();
		} else if (is_prefix(*argv, "key")) {
			NEXT_ARG();
			if (!REQ_ARGS(1) || parse_key(h, &argv, &argc))
				return -1;
		} else if (is_prefix(*argv, "op")) {
			NEXT_ARG();
			if (!REQ_ARGS(1) || parse_op(*argv, &o->op))
				return -1;
			NEXT_ARG();
		} else if (is_prefix(*argv, "count")) {
			NEXT_ARG();
			if (!REQ_ARGS(1) ||
			    parse_u64(*argv, "count", ULLONG_MAX, &n))
				return -1;
			if (!n) {
				p_err("count must be at least 1");
				return -1;
			}
			o->count = n;
			NEXT_ARG();
		} else {
			p_err("expected 'entries', 'pin', 'follow', 'since', 'key', 'op' or 'count', got: '%s'",
			      *argv);
			return -1;
		}
	}
	if (o->pin && o->follow) {
		p_err("'pin' and 'follow' do not go together");
		return -1;
	}
	return 0;
}

/*
 * Does the map record already? Its bpf_map_change links say, and the size
 * of its ring. Links this process may not open are not seen.
 */
static bool map_recording(__u32 map_id, __u32 *ring_entries)
{
	struct bpf_link_info info;
	__u32 id = 0, len;
	char target[32];
	bool found = false;
	int fd;

	while (!found && !bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.iter.target_name = ptr_to_u64(target);
		info.iter.target_name_len = sizeof(target);
		len = sizeof(info);
		if (!bpf_link_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_ITER &&
		    !strcmp(target, "bpf_map_change") &&
		    info.iter.map.map_id == map_id) {
			*ring_entries = info.iter.map_change.ring_entries;
			found = true;
		}
		close(fd);
	}
	return found;
}

static void busy_error(const struct history *h, __u32 ring)
{
	p_err("map %u already records into a ring of %u entries: leave out 'entries' or ask for %u",
	      h->info.id, ring, ring);
}

/* The documented errnos of a bpf_map_change attach, in words. */
static void attach_error(const struct history *h, int err)
{
	__u32 id = h->info.id, ring = 0;

	switch (err) {
	case EPERM:
		p_err("recording the history of map %u needs CAP_BPF and CAP_PERFMON",
		      id);
		break;
	case EOPNOTSUPP:
		p_err("the kernel does not record maps of type %s%s (only hash, percpu_hash, lru_hash, lru_percpu_hash, array and percpu_array), nor offloaded maps",
		      libbpf_bpf_map_type_str(h->info.type) ?: "unknown",
		      h->info.ifindex ? " offloaded" : "");
		break;
	case EBUSY:
		if (map_recording(id, &ring))
			busy_error(h, ring);
		else
			p_err("map %u already records into a ring of another size", id);
		break;
	case E2BIG:
		p_err("a ring of %u records of map %u would take more than 256 MiB: ask for fewer entries",
		      h->o.entries ?: RING_DEFAULT, id);
		break;
	case ENOMEM:
		p_err("not enough memory for a ring of %u records of map %u",
		      h->o.entries ?: RING_DEFAULT, id);
		break;
	case EINVAL:
		p_err("the kernel refused a ring of %u entries for map %u: entries must be a power of two from %u to %u",
		      h->o.entries ?: RING_DEFAULT, id, RING_MIN, RING_MAX);
		break;
	case EACCES:
		p_err("the kernel refused bpftool's history iterator for map %u: it reads past the map's key or value",
		      id);
		break;
	default:
		p_err("failed to start the history of map %u: %s", id,
		      strerror(err));
	}
}

/*
 * The ring's size: the one the map records into, if it does. Without pin
 * or follow, a map that does not record has no history to show.
 */
static int check_recording(struct history *h)
{
	__u32 ring;

	if (!map_recording(h->info.id, &ring)) {
		if (h->o.pin || h->o.follow)
			return 0;
		p_err("map %u does not record its changes: start recording with 'bpftool map history id %u pin FILE', or watch its changes from now on with 'bpftool map history id %u follow'",
		      h->info.id, h->info.id, h->info.id);
		return -1;
	}
	if (h->o.entries && h->o.entries != ring) {
		busy_error(h, ring);
		return -1;
	}
	return 0;
}

static int attach_history(struct map_history_bpf *skel, int map_fd,
			  __u32 entries)
{
	union bpf_iter_link_info linfo = {};
	struct bpf_link_create_opts opts = {
		.sz = sizeof(opts),
		.iter_info = &linfo,
		.iter_info_len = sizeof(linfo),
	};
	int fd;

	linfo.map_change.map_fd = map_fd;
	linfo.map_change.ring_entries = entries;
	fd = bpf_link_create(bpf_program__fd(skel->progs.dump_history), 0,
			     BPF_TRACE_ITER, &opts);
	return fd < 0 ? -errno : fd;
}

/* The map, its BTF and the record layout the skeleton writes. */
static int history_init(struct history *h)
{
	/* one read() of a bpf iterator buffers 8 pages: a record must fit */
	size_t read_max = (size_t)get_page_size() << 3;

	h->key_len = round_up(h->info.key_size, 8);
	h->vbuf_size = h->info.value_size;
	if (map_is_per_cpu(h->info.type))
		h->vbuf_size = round_up(h->info.value_size, 8) * get_possible_cpus();
	h->rec_size = sizeof(struct map_history_hdr) + h->key_len +
		      round_up(h->vbuf_size, 8);
	if (h->rec_size > read_max) {
		p_err("records of map %u take %u bytes, more than one iterator read holds (%zu)",
		      h->info.id, h->rec_size, read_max);
		return -1;
	}
	h->buf_size = read_max + h->rec_size;
	h->buf = malloc(h->buf_size);
	if (!h->buf) {
		p_err("mem alloc failed");
		return -1;
	}
	h->wall_offset = get_wall_offset();
	if (h->o.since) {
		h->have_last = true;
		h->last_seq = h->o.since - 1;
	}
	/* pin prints no record */
	return h->o.pin ? 0 : get_map_kv_btf(&h->info, &h->btf);
}

static struct map_history_bpf *history_load(struct history *h)
{
	struct map_history_bpf *skel;

	skel = map_history_bpf__open();
	if (!skel) {
		p_err("failed to open the history iterator");
		return NULL;
	}
	skel->rodata->key_size = h->info.key_size;
	skel->rodata->key_pad = h->key_len - h->info.key_size;
	skel->rodata->value_size = h->vbuf_size;
	skel->rodata->value_pad = round_up(h->vbuf_size, 8) - h->vbuf_size;
	if (map_history_bpf__load(skel)) {
		p_err("failed to load the history iterator (does this kernel record map changes?): %s",
		      strerror(errno));
		map_history_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int history_pin(int link_fd, const char *pin)
{
	int err;

	/* the pinned link keeps recording until it is removed */
	err = do_pin_fd(link_fd, pin);
	if (err)
		return err;
	if (json_output)
		jsonw_null(json_wtr);
	return 0;
}

int do_map_history(int argc, char **argv)
{
	struct history h = {};
	struct map_history_bpf *skel = NULL;
	__u32 len = sizeof(h.info);
	int fd, link_fd = -1, err = -1;

	if (!REQ_ARGS(2))
		return -1;
	fd = map_parse_fd_and_info(&argc, &argv, &h.info, &len);
	if (fd < 0)
		return -1;
	if (parse_history_args(argc, argv, &h))
		goto out;
	/* before anything is printed: an error is then the only output */
	if (history_init(&h) || check_recording(&h))
		goto out;
	skel = history_load(&h);
	if (!skel)
		goto out;
	link_fd = attach_history(skel, fd, h.o.entries);
	if (link_fd < 0) {
		attach_error(&h, -link_fd);
		goto out;
	}
	if (h.o.pin)
		err = history_pin(link_fd, h.o.pin);
	else
		err = history_loop(link_fd, &h, skel);
out:
	if (link_fd >= 0)
		close(link_fd);
	free_map_kv_btf(h.btf);
	free(h.buf);
	free(h.o.key);
	map_history_bpf__destroy(skel);
	close(fd);
	return err ? -1 : 0;
}
#endif /* BPFTOOL_WITHOUT_SKELETONS */
