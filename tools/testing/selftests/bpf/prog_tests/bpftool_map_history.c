// SPDX-License-Identifier: GPL-2.0
/*
 * bpftool map history, run as a user would in the VM: plain and JSON output
 * checked against the changes the test made (BTF struct key and value, a
 * per-CPU map), follow picking up later changes, the pinned history link in
 * link show, and clear errors.
 */
#define _GNU_SOURCE
#include <test_progs.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "map_history_btf.skel.h"

#define HIST_PIN "/sys/fs/bpf/bpftool_history_test"
#define OUT_MAX 65536

static char out[OUT_MAX];

/* Start a shell command as @uid (0: as we are), its stdout+stderr on *rfd. */
static pid_t start(uid_t uid, const char *cmd, int *rfd)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, NULL);
		_exit(127);
	}
	close(pfd[1]);
	*rfd = pfd[0];
	return pid;
}

/* Run a shell command as @uid (0: as we are); its stdout+stderr in out[]. */
static int run(uid_t uid, const char *fmt, ...)
{
	int rfd, status, len = 0, n;
	char cmd[512];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pid = start(uid, cmd, &rfd);
	if (pid < 0)
		return -1;
	while ((n = read(rfd, out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(rfd);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	/* shown by test_progs if the test fails */
	printf("$ %s\n%s(exit %d)\n", cmd, out, status);
	return status;
}

/* A small JSON syntax checker: -j output must parse. */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s && *s != '"'; s++)
		if (*s == '\\' && !*++s)
			return NULL;
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_list(const char *s, char close, bool members)
{
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (members) {
			s = json_string(json_ws(s));
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = json_value(s);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *s)
{
	s = json_ws(s);
	if (*s == '{')
		return json_list(s, '}', true);
	if (*s == '[')
		return json_list(s, ']', false);
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		strtod(s, (char **)&s);
		return s;
	}
	return NULL;
}

static bool json_valid(const char *s)
{
	s = json_value(s);
	return s && !*json_ws(s);
}

/* JSON Lines: one JSON value per line, every line ending with '\n'. */
static bool json_lines_valid(const char *s, int *lines)
{
	const char *nl;
	char line[OUT_MAX];

	*lines = 0;
	for (; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl || nl == s || nl - s >= (long)sizeof(line))
			return false;
		memcpy(line, s, nl - s);
		line[nl - s] = 0;
		if (!json_valid(line))
			return false;
		(*lines)++;
	}
	return true;
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/*
 * A hash map of 4-byte keys and 8-byte values, no BTF; its memory usage
 * before any ring in *base.
 */
static int hash_map(const char *name, __u32 entries, long long *base)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, 4, 8, entries, NULL);

	if (ASSERT_GE(fd, 0, "map_create"))
		*base = map_memlock(fd);
	return fd;
}

/* Remove the pinned history link: recording stops once it is released. */
static void unpin_history(int fd, long long base)
{
	unlink(HIST_PIN);
	ASSERT_EQ(wait_memlock(fd, base), base, "recording stopped");
}

struct hkey { __u32 a, b; };
struct hval { __u64 x; __u32 y, z; };

static void test_btf_hash(struct map_history_btf *skel)
{
	int fd = bpf_map__fd(skel->maps.btf_hash);
	struct hkey k1 = { 1, 2 }, k2 = { 3, 4 };
	struct hval v1 = { 10, 11, 12 }, v2 = { 20, 21, 22 };
	long long base = map_memlock(fd);
	__u32 id = map_id(fd);

	unlink(HIST_PIN);
	/* recording starts before the reader: pin the history link */
	if (!ASSERT_OK(run(0, "bpftool map history id %u pin %s", id, HIST_PIN),
		       "history pin"))
		return;
	bpf_map_update_elem(fd, &k1, &v1, BPF_ANY);
	bpf_map_update_elem(fd, &k2, &v2, BPF_NOEXIST);
	bpf_map_delete_elem(fd, &k1);

	if (ASSERT_OK(run(0, "bpftool map history id %u", id), "history plain")) {
		ASSERT_HAS_SUBSTR(out, "seq 0 ", "plain seq 0");
		ASSERT_HAS_SUBSTR(out, "seq 2 ", "plain seq 2");
		ASSERT_EQ(count_str(out, " update "), 2, "plain updates");
		ASSERT_EQ(count_str(out, " delete "), 1, "plain deletes");
		ASSERT_EQ(count_str(out, "(test_progs)"), 3, "plain comm");
		ASSERT_HAS_SUBSTR(out, "\"b\": 4", "plain BTF key");
		ASSERT_HAS_SUBSTR(out, "\"x\": 20", "plain BTF value");
		/* flags by name, as map update spells them; wall-clock time */
		ASSERT_HAS_SUBSTR(out, "update noexist ", "plain flags noexist");
		ASSERT_HAS_SUBSTR(out, "update any ", "plain flags any");
		ASSERT_NULL(strstr(out, "flags 0x"), "no flags in hex");
		ASSERT_HAS_SUBSTR(out, "time 20", "plain wall-clock time");
		ASSERT_HAS_SUBSTR(out, " ns monotonic)", "plain monotonic time");
	}
	if (ASSERT_OK(run(0, "bpftool -j map history id %u", id), "history json")) {
		ASSERT_TRUE(json_valid(out), "json parses");
		ASSERT_EQ(count_str(out, "\"seq\":"), 3, "json records");
		ASSERT_HAS_SUBSTR(out, "\"seq\":1,\"lost\":0,", "json seq 1");
		ASSERT_HAS_SUBSTR(out, "\"op\":\"update\",\"flags\":1,\"origin\":\"syscall\"",
				  "json op, flags, origin");
		ASSERT_HAS_SUBSTR(out, "\"comm\":\"test_progs\"", "json comm");
		ASSERT_HAS_SUBSTR(out,
				  "\"formatted\":{\"key\":{\"a\":1,\"b\":2},\"value\":{\"x\":10,\"y\":11,\"z\":12}}",
				  "json formatted");
		ASSERT_HAS_SUBSTR(out, "\"key\":[\"0x03\",\"0x00\"", "json hex key");
	}
	if (ASSERT_OK(run(0, "bpftool -p map history id %u", id), "history pretty"))
		ASSERT_TRUE(json_valid(out), "pretty json parses");

	/* link show: the pinned history link with its map and ring size */
	if (ASSERT_OK(run(0, "bpftool link show pinned %s", HIST_PIN), "link show")) {
		ASSERT_HAS_SUBSTR(out, "target_name bpf_map_change", "link target");
		ASSERT_HAS_SUBSTR(out, "ring_entries 4096", "link ring_entries");
	}
	if (ASSERT_OK(run(0, "bpftool -j link show pinned %s", HIST_PIN), "link show -j")) {
		ASSERT_TRUE(json_valid(out), "link json parses");
		ASSERT_HAS_SUBSTR(out, "\"ring_entries\":4096", "link json ring_entries");
	}
	unpin_history(fd, base);
}

/* Syscall records hold every CPU's value, a program's one CPU's. */
static void test_percpu(struct map_history_btf *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 1);
	int fd = bpf_map__fd(skel->maps.btf_pcpu), ncpu, i;
	cpu_set_t cpus, old;
	__u32 id = map_id(fd), k = 7;
	long long base = map_memlock(fd);
	__u64 vals[64] = {};

	/* CPU 1's value is checked */
	if (skip_if_cpus_below("percpu", 2, 1))
		return;
	ncpu = libbpf_num_possible_cpus();
	if (!ASSERT_LE(ncpu, 64, "cpus"))
		return;
	unlink(HIST_PIN);
	if (!ASSERT_OK(run(0, "bpftool map history id %u pin %s", id, HIST_PIN),
		       "history pin"))
		return;
	for (i = 0; i < ncpu; i++)
		vals[i] = 500 + i;
	bpf_map_update_elem(fd, &k, vals, BPF_ANY);
	skel->bss->pkey = 7;
	skel->bss->pval = 77;
	/* the program runs, and records, on CPU 0 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_getaffinity(0, sizeof(old), &old);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pcpu_update), &topts);
	sched_setaffinity(0, sizeof(old), &old);

	if (ASSERT_OK(run(0, "bpftool -j map history id %u", id), "history json")) {
		ASSERT_TRUE(json_valid(out), "json parses");
		ASSERT_HAS_SUBSTR(out,
				  "\"formatted\":{\"key\":7,\"values\":[{\"cpu\":0,\"value\":500},{\"cpu\":1,\"value\":501}",
				  "syscall record: every CPU's value");
		ASSERT_HAS_SUBSTR(out, "\"origin\":\"prog\"", "prog origin");
		/* one shape per map: a program's record has one CPU's value */
		ASSERT_HAS_SUBSTR(out,
				  "\"formatted\":{\"key\":7,\"values\":[{\"cpu\":0,\"value\":77}]}",
				  "program record: one CPU's value");
		/* two records, each with hex and formatted values */
		ASSERT_EQ(count_str(out, "\"values\":["), 4, "every record has values");
		ASSERT_NULL(strstr(out, "\"formatted\":{\"key\":7,\"value\":"),
			    "no per-CPU record with a bare value");
	}
	unpin_history(fd, base);
}

/* A map without BTF prints hex; pin prints null in JSON mode. */
static void test_no_btf(void)
{
	__u32 k = 1, id;
	__u64 v = 0x2a;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "nobtf", 4, 8, 4, NULL);
	if (!ASSERT_GE(fd, 0, "map_create"))
		return;
	id = map_id(fd);
	unlink(HIST_PIN);
	if (ASSERT_OK(run(0, "bpftool -j map history id %u pin %s", id, HIST_PIN),
		      "pin -j")) {
		ASSERT_STREQ(out, "null\n", "pin prints null");
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		if (ASSERT_OK(run(0, "bpftool map history id %u", id), "history"))
			ASSERT_HAS_SUBSTR(out, "key: 01 00 00 00  value: 2a 00 00 00 00 00 00 00",
					  "hex key and value");
		if (ASSERT_OK(run(0, "bpftool -j map history id %u", id), "history -j")) {
			ASSERT_TRUE(json_valid(out), "json parses");
			ASSERT_NULL(strstr(out, "formatted"), "no formatted without BTF");
		}
	}
	unlink(HIST_PIN);
	close(fd);
}

/* Read pfd into out[] until it holds @want, for at most 10 seconds. */
static void follow_until(int pfd, int *len, const char *want)
{
	int i, n;

	for (i = 0; i < 100 && !strstr(out, want); i++) {
		usleep(100000);
		n = read(pfd, out + *len, sizeof(out) - 1 - *len);
		if (n > 0)
			*len += n;
		out[*len] = 0;
	}
}

/* Start a command with its stdout and stderr on a non-blocking pipe. */
static pid_t spawn(int *rfd, const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pid = start(0, cmd, rfd);
	if (pid > 0)
		fcntl(*rfd, F_SETFL, O_NONBLOCK);
	return pid;
}

/* Stop a follower with @sig; the rest of its output into out[]. */
static void stop_follow(pid_t pid, int rfd, int *len, int sig, const char *name)
{
	int status, n;

	kill(pid, sig);
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, name);
	fcntl(rfd, F_SETFL, 0);
	while ((n = read(rfd, out + *len, sizeof(out) - 1 - *len)) > 0)
		*len += n;
	out[*len] = 0;
	close(rfd);
}

/* bpftool has attached when the map's memory usage has the ring. */
static bool wait_attached(int fd, long long base)
{
	return ASSERT_TRUE(WAIT_UNTIL(map_memlock(fd) > base), "follow attached");
}

/*
 * follow prints changes made after it started, each once, across its
 * polls, and stops on SIGINT, SIGTERM and SIGHUP alike. With -j it writes
 * JSON Lines: one object per line, each flushed when it is printed.
 */
static void test_follow_one(struct map_history_btf *skel, bool json, __u64 x,
			    int sig)
{
	int fd = bpf_map__fd(skel->maps.btf_hash), rfd, len = 0, lines;
	struct hkey k = { 9, 9 };
	struct hval v = { x, 0, 0 };
	long long base = map_memlock(fd);
	char want[32], want2[32];
	pid_t pid;

	snprintf(want, sizeof(want), json ? "\"x\":%llu" : "\"x\": %llu",
		 (unsigned long long)x);
	snprintf(want2, sizeof(want2), json ? "\"x\":%llu" : "\"x\": %llu",
		 (unsigned long long)x + 1000);
	out[0] = 0;
	pid = spawn(&rfd, "exec bpftool %s map history id %u follow",
		    json ? "-j" : "", map_id(fd));
	if (!ASSERT_GT(pid, 0, "spawn"))
		return;
	if (!wait_attached(fd, base))
		goto stop;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	follow_until(rfd, &len, want);
	ASSERT_HAS_SUBSTR(out, want, "follow shows the new change");
	if (json)
		/* the record's line is complete before the next one comes */
		ASSERT_TRUE(json_lines_valid(out, &lines) && lines == 1,
			    "one JSON line per record, flushed");
	/* a later poll shows the next change, and not the first again */
	v.x += 1000;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	follow_until(rfd, &len, want2);
	ASSERT_EQ(count_str(out, want2), 1, "follow shows the next change once");
	ASSERT_EQ(count_str(out, want), 1, "follow shows the first change once");
stop:
	stop_follow(pid, rfd, &len, sig, "exit 0 on the signal");
	if (json) {
		ASSERT_TRUE(json_lines_valid(out, &lines), "JSON Lines after the signal");
		ASSERT_EQ(lines, 2, "two records, two lines");
	}
	ASSERT_EQ(wait_memlock(fd, base), base, "detached on exit");
}

/*
 * A follower slower than the ring: entries 4, then 7 changes between two
 * polls. The lost count comes from the gap in sequence numbers, and
 * following goes on past the wrap.
 */
static void test_follow_wrap(void)
{
	int fd, rfd, len = 0, lines, i;
	long long base;
	__u32 k = 1;
	__u64 v;
	pid_t pid;

	fd = hash_map("wrap", 4, &base);
	if (fd < 0)
		return;
	out[0] = 0;
	pid = spawn(&rfd, "exec bpftool -j map history id %u entries 4 follow",
		    map_id(fd));
	if (!ASSERT_GT(pid, 0, "spawn"))
		goto out;
	if (!wait_attached(fd, base))
		goto stop;
	v = 1;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	follow_until(rfd, &len, "\"seq\":0,");
	/* stop the follower between two polls: 7 changes into 4 slots */
	kill(pid, SIGSTOP);
	for (v = 2; v <= 8; v++)
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	kill(pid, SIGCONT);
	follow_until(rfd, &len, "\"seq\":7,");
	v = 9;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	follow_until(rfd, &len, "\"seq\":8,");
stop:
	stop_follow(pid, rfd, &len, SIGINT, "exit 0 on SIGINT");
	ASSERT_TRUE(json_lines_valid(out, &lines), "JSON Lines");
	ASSERT_EQ(lines, 6, "records 0, 4-7 and 8");
	ASSERT_HAS_SUBSTR(out, "\"seq\":4,\"lost\":3,", "3 lost before seq 4");
	ASSERT_HAS_SUBSTR(out, "\"seq\":8,\"lost\":0,", "none lost after the wrap");
	for (i = 1; i <= 3; i++) {
		char seq[16];

		snprintf(seq, sizeof(seq), "\"seq\":%d,", i);
		ASSERT_NULL(strstr(out, seq), "overwritten records not shown");
	}
out:
	close(fd);
}

static void test_follow(struct map_history_btf *skel)
{
	test_follow_one(skel, false, 99, SIGINT);
	test_follow_one(skel, true, 98, SIGTERM);
	test_follow_one(skel, true, 97, SIGHUP);
	test_follow_wrap();
}

/*
 * A history nothing records is not an empty one: say so, exit non-zero,
 * and leave nothing behind (no ring, no link).
 */
static void test_not_recording(void)
{
	long long base;
	__u32 k = 1;
	__u64 v = 1;
	int fd;

	fd = hash_map("idle", 4, &base);
	if (fd < 0)
		return;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	ASSERT_NEQ(run(0, "bpftool map history id %u", map_id(fd)), 0,
		   "not recording: exit status");
	ASSERT_HAS_SUBSTR(out, "does not record its changes", "not recording message");
	ASSERT_HAS_SUBSTR(out, "pin FILE", "how to start: pin");
	ASSERT_HAS_SUBSTR(out, "follow", "how to start: follow");
	ASSERT_NEQ(run(0, "bpftool -j map history id %u", map_id(fd)), 0,
		   "not recording -j: exit status");
	ASSERT_HAS_SUBSTR(out, "\"error\":", "not recording -j: an error object");
	ASSERT_EQ(map_memlock(fd), base, "no ring left behind");
	close(fd);
}

/*
 * bpftool's own bookkeeping: with a ring of 2 and 5 updates, the 3 oldest
 * records are overwritten, and a snapshot says so in both formats.
 */
static void test_lost(void)
{
	long long base;
	__u32 k = 1;
	__u64 v;
	int fd;

	fd = hash_map("lost", 4, &base);
	if (fd < 0)
		return;
	unlink(HIST_PIN);
	if (!ASSERT_OK(run(0, "bpftool map history id %u entries 2 pin %s",
			   map_id(fd), HIST_PIN), "pin entries 2"))
		goto out;
	for (v = 0; v < 5; v++)
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	if (ASSERT_OK(run(0, "bpftool map history id %u", map_id(fd)), "plain")) {
		ASSERT_HAS_SUBSTR(out, "3 records lost", "plain lost count");
		ASSERT_EQ(count_str(out, "seq "), 2, "two records left");
	}
	if (ASSERT_OK(run(0, "bpftool -j map history id %u", map_id(fd)), "json")) {
		ASSERT_TRUE(json_valid(out), "json parses");
		ASSERT_HAS_SUBSTR(out, "\"seq\":3,\"lost\":3,", "json lost count");
		ASSERT_HAS_SUBSTR(out, "\"seq\":4,\"lost\":0,", "json next record");
	}
	/* another size while it records: refused before the kernel is asked */
	ASSERT_NEQ(run(0, "bpftool map history id %u entries 8 follow", map_id(fd)), 0,
		   "other ring size");
	ASSERT_HAS_SUBSTR(out, "already records into a ring of 2 entries", "EBUSY message");
out:
	unpin_history(fd, base);
	close(fd);
}

/* since SEQ, key KEY, op OP and count N select what is printed. */
static void test_options(void)
{
	__u32 id, k;
	long long base;
	__u64 v = 5;
	int fd;

	fd = hash_map("opts", 8, &base);
	if (fd < 0)
		return;
	id = map_id(fd);
	unlink(HIST_PIN);
	if (!ASSERT_OK(run(0, "bpftool map history id %u pin %s", id, HIST_PIN), "pin"))
		goto out;
	/* seq 0-3: update 1, 2, 3, 4; seq 4: delete 2; seq 5: update 2 */
	for (k = 1; k <= 4; k++)
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	k = 2;
	bpf_map_delete_elem(fd, &k);
	bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST);

	if (ASSERT_OK(run(0, "bpftool -j map history id %u since 3", id), "since")) {
		ASSERT_EQ(count_str(out, "\"seq\":"), 3, "since 3: seq 3-5");
		ASSERT_HAS_SUBSTR(out, "[{\"seq\":3,\"lost\":0,", "since 3 starts at 3");
	}
	if (ASSERT_OK(run(0, "bpftool -j map history id %u key 2 0 0 0", id), "key")) {
		ASSERT_EQ(count_str(out, "\"seq\":"), 3, "key 2: three changes");
		ASSERT_HAS_SUBSTR(out, "\"seq\":4,\"lost\":0,", "key 2 delete");
		ASSERT_NULL(strstr(out, "\"seq\":0,"), "key 1 not shown");
	}
	if (ASSERT_OK(run(0, "bpftool -j map history id %u key hex 02 00 00 00 op delete",
			  id), "key and op")) {
		ASSERT_EQ(count_str(out, "\"seq\":"), 1, "one delete of key 2");
		ASSERT_HAS_SUBSTR(out, "\"op\":\"delete\"", "the delete");
	}
	if (ASSERT_OK(run(0, "bpftool -j map history id %u count 2", id), "count"))
		ASSERT_EQ(count_str(out, "\"seq\":"), 2, "count 2");
	ASSERT_NEQ(run(0, "bpftool map history id %u op frobnicate", id), 0, "bad op");
	ASSERT_HAS_SUBSTR(out, "update, delete, lookup_delete or evict", "bad op message");
	ASSERT_NEQ(run(0, "bpftool map history id %u key 1 0", id), 0, "short key");
	ASSERT_HAS_SUBSTR(out, "key", "short key message");
	ASSERT_NEQ(run(0, "bpftool map history id %u count 0", id), 0, "count 0");
	ASSERT_HAS_SUBSTR(out, "count", "count 0 message");
out:
	unpin_history(fd, base);
	close(fd);
}

/* pin mounts bpffs where the file's directory has none, as iter pin does. */
static void test_pin_mount(void)
{
	const char *dir = "/tmp/bpftool_history_fs";
	long long base;
	struct statfs st;
	char path[64];
	int fd;

	fd = hash_map("pinfs", 4, &base);
	if (fd < 0)
		return;
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/h", dir);
	if (ASSERT_OK(run(0, "bpftool map history id %u pin %s", map_id(fd), path),
		      "pin outside bpffs")) {
		ASSERT_OK(statfs(dir, &st), "statfs");
		ASSERT_EQ(st.f_type, BPF_FS_MAGIC, "bpffs mounted");
		ASSERT_OK(unlink(path), "pinned");
	}
	umount(dir);
	rmdir(dir);
	ASSERT_EQ(wait_memlock(fd, base), base, "recording stopped");
	close(fd);
}

static void test_errors(struct map_history_btf *skel)
{
	__u32 id = map_id(bpf_map__fd(skel->maps.btf_hash));
	int qfd;

	ASSERT_NEQ(run(0, "bpftool map history id 999999"), 0, "no such map");
	ASSERT_HAS_SUBSTR(out, "No such file or directory", "no such map message");

	qfd = bpf_map_create(BPF_MAP_TYPE_QUEUE, "queue", 0, 8, 4, NULL);
	if (ASSERT_GE(qfd, 0, "queue map")) {
		ASSERT_NEQ(run(0, "bpftool map history id %u follow", map_id(qfd)), 0,
			   "unsupported type");
		ASSERT_HAS_SUBSTR(out, "does not record maps of type queue",
				  "unsupported message");
		close(qfd);
	}

	/* refused at the map lookup already: bpf() needs privileges here */
	ASSERT_NEQ(run(65534, "bpftool map history id %u", id), 0, "unprivileged");
	ASSERT_HAS_SUBSTR(out, "Operation not permitted", "unprivileged message");
	ASSERT_NEQ(run(0, "bpftool map history id %u entries 4294967296", id), 0,
		   "entries past 32 bits");
	ASSERT_HAS_SUBSTR(out, "can't parse", "entries past 32 bits message");
	ASSERT_NEQ(run(0, "bpftool map history id %u entries", id), 0, "missing entries");
	ASSERT_HAS_SUBSTR(out, "needs at least 1 arguments", "missing entries message");
	ASSERT_NEQ(run(0, "bpftool map history id %u bogus", id), 0, "bad argument");
	ASSERT_HAS_SUBSTR(out, "expected 'entries', 'pin', 'follow'", "bad argument message");
	/* checked before the kernel is asked: no libbpf warning, the rule */
	ASSERT_NEQ(run(0, "bpftool map history id %u entries 3 follow", id), 0,
		   "bad entries");
	ASSERT_HAS_SUBSTR(out, "a power of two from 2 to 1048576", "bad entries message");
	ASSERT_NULL(strstr(out, "libbpf"), "no libbpf warning");
	ASSERT_NEQ(run(0, "bpftool map history id %u entries 2097152 follow", id), 0,
		   "entries too big");
	ASSERT_HAS_SUBSTR(out, "a power of two from 2 to 1048576", "entries too big message");
	ASSERT_NEQ(run(0, "bpftool map history id %u pin /sys/fs/bpf/x follow", id), 0,
		   "pin and follow");
	ASSERT_HAS_SUBSTR(out, "'pin' and 'follow' do not go together", "pin and follow message");
}

void test_bpftool_map_history(void)
{
	struct map_history_btf *skel;

	skel = map_history_btf__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	if (test__start_subtest("btf_hash"))
		test_btf_hash(skel);
	if (test__start_subtest("percpu"))
		test_percpu(skel);
	if (test__start_subtest("follow"))
		test_follow(skel);
	if (test__start_subtest("no_btf"))
		test_no_btf();
	if (test__start_subtest("errors"))
		test_errors(skel);
	if (test__start_subtest("not_recording"))
		test_not_recording();
	if (test__start_subtest("lost"))
		test_lost();
	if (test__start_subtest("options"))
		test_options();
	if (test__start_subtest("pin_mount"))
		test_pin_mount();
	map_history_btf__destroy(skel);
}
