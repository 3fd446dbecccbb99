// SPDX-License-Identifier: GPL-2.0
/*
 * bpftool map history, run as a user would in the VM: plain and JSON output
 * checked against the changes the test made (BTF struct key and value, a
 * per-CPU map), follow picking up later changes, the pinned history link in
 * link show, and clear errors.
 */
#include <test_progs.h>
#include <signal.h>
#include <sys/wait.h>
#include "network_helpers.h"
#include "map_trace_helpers.h"
#include "map_history_btf.skel.h"

#define HIST_PIN "/sys/fs/bpf/bpftool_history_test"
#define OUT_MAX 65536

static char out[OUT_MAX];

/* Run a shell command as @uid (0: as we are); its stdout+stderr in out[]. */
static int run(uid_t uid, const char *fmt, ...)
{
	int pfd[2], status, len = 0, n;
	char cmd[512];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
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
	while ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(pfd[0]);
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

static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
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
	}
	if (ASSERT_OK(run(0, "bpftool -j map history id %u", id), "history json")) {
		ASSERT_TRUE(json_valid(out), "json parses");
		ASSERT_EQ(count_str(out, "\"seq\":"), 3, "json records");
		ASSERT_HAS_SUBSTR(out, "\"seq\":1,\"lost\":0,", "json seq 1");
		ASSERT_HAS_SUBSTR(out, "\"op\":\"update\",\"flags\":1,\"origin\":\"syscall\"",
				  "json op, flags, origin");
		ASSERT_HAS_SUBSTR(out, "\"comm\":\"test_progs\"", "json comm");
		ASSERT_HAS_SUBSTR(out, "\"formatted\":{\"key\":{\"a\":1,\"b\":2},"
				       "\"value\":{\"x\":10,\"y\":11,\"z\":12}}",
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
	unlink(HIST_PIN);
	/* recording stops once the unpinned link is released */
	ASSERT_EQ(wait_memlock(fd, base), base, "recording stopped");
}

/* Syscall records hold every CPU's value, a program's one CPU's. */
static void test_percpu(struct map_history_btf *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = &pkt_v4,
		    .data_size_in = sizeof(pkt_v4), .repeat = 1);
	int fd = bpf_map__fd(skel->maps.btf_pcpu), ncpu, i;
	__u32 id = map_id(fd), k = 7;
	long long base = map_memlock(fd);
	__u64 vals[64] = {};

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
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pcpu_update), &topts);

	if (ASSERT_OK(run(0, "bpftool -j map history id %u", id), "history json")) {
		ASSERT_TRUE(json_valid(out), "json parses");
		ASSERT_HAS_SUBSTR(out, "\"formatted\":{\"key\":7,\"values\":"
				       "[{\"cpu\":0,\"value\":500},{\"cpu\":1,\"value\":501}",
				  "syscall record: every CPU's value");
		ASSERT_HAS_SUBSTR(out, "\"origin\":\"prog\"", "prog origin");
		ASSERT_HAS_SUBSTR(out, "\"formatted\":{\"key\":7,\"value\":77}",
				  "program record: one CPU's value");
	}
	unlink(HIST_PIN);
	ASSERT_EQ(wait_memlock(fd, base), base, "recording stopped");
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

/*
 * follow prints changes made after it started, each once, across its
 * polls, and stops on SIGINT; with -j the array is closed on exit and the
 * whole output parses.
 */
static void test_follow_one(struct map_history_btf *skel, bool json, __u64 x)
{
	int fd = bpf_map__fd(skel->maps.btf_hash), pfd[2], status, len = 0, n, i;
	struct hkey k = { 9, 9 };
	struct hval v = { x, 0, 0 };
	long long base = map_memlock(fd);
	char cmd[128], want[32], want2[32];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec bpftool %s map history id %u follow",
		 json ? "-j" : "", map_id(fd));
	snprintf(want, sizeof(want), json ? "\"x\":%llu" : "\"x\": %llu",
		 (unsigned long long)x);
	snprintf(want2, sizeof(want2), json ? "\"x\":%llu" : "\"x\": %llu",
		 (unsigned long long)x + 1000);
	out[0] = 0;
	if (!ASSERT_OK(pipe(pfd), "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl("/bin/sh", "sh", "-c", cmd, NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	/* bpftool has attached when the map's memory usage has the ring */
	for (i = 0; i < 100 && map_memlock(fd) <= base; i++)
		usleep(100000);
	ASSERT_GT(map_memlock(fd), base, "follow attached");
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	follow_until(pfd[0], &len, want);
	ASSERT_HAS_SUBSTR(out, want, "follow shows the new change");
	/* a later poll shows the next change, and not the first again */
	v.x += 1000;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	follow_until(pfd[0], &len, want2);
	ASSERT_EQ(count_str(out, want2), 1, "follow shows the next change once");
	ASSERT_EQ(count_str(out, want), 1, "follow shows the first change once");
	kill(pid, SIGINT);
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit on SIGINT");
	fcntl(pfd[0], F_SETFL, 0);
	while ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	if (json)
		ASSERT_TRUE(json_valid(out), "follow json parses after SIGINT");
	ASSERT_EQ(map_memlock(fd), base, "detached on exit");
	close(pfd[0]);
}

static void test_follow(struct map_history_btf *skel)
{
	test_follow_one(skel, false, 99);
	test_follow_one(skel, true, 98);
}

static void test_errors(struct map_history_btf *skel)
{
	__u32 id = map_id(bpf_map__fd(skel->maps.btf_hash));
	int qfd;

	ASSERT_NEQ(run(0, "bpftool map history id 999999"), 0, "no such map");
	ASSERT_HAS_SUBSTR(out, "No such file or directory", "no such map message");

	qfd = bpf_map_create(BPF_MAP_TYPE_QUEUE, "queue", 0, 8, 4, NULL);
	if (ASSERT_GE(qfd, 0, "queue map")) {
		ASSERT_NEQ(run(0, "bpftool map history id %u", map_id(qfd)), 0,
			   "unsupported type");
		ASSERT_HAS_SUBSTR(out, "map type not supported", "unsupported message");
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
	ASSERT_HAS_SUBSTR(out, "expected 'entries', 'pin' or 'follow'", "bad argument message");
	ASSERT_NEQ(run(0, "bpftool map history id %u entries 3", id), 0, "bad entries");
	ASSERT_HAS_SUBSTR(out, "Invalid argument", "bad entries message");
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
	map_history_btf__destroy(skel);
}
