// SPDX-License-Identifier: GPL-2.0
/*
 * Who may start a map's history and on which maps: an iterator program
 * loaded with a BPF token attaches in the token's user namespace, with the
 * capabilities the attaching task holds there; offloaded maps, whose changes
 * the device makes, are refused.
 *
 * Needs CONFIG_USER_NS and CONFIG_NETDEVSIM (the debug kernel has both);
 * skipped without them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <test_progs.h>
#include "cap_helpers.h"
#include "map_trace_helpers.h"

/* from linux/mount.h, which conflicts with sys/mount.h */
#define FSCONFIG_SET_STRING	1
#define FSCONFIG_CMD_CREATE	6

/* A bpf_map_change iterator program that prints nothing: return 0. */
static int load_iter_prog(int token_fd)
{
	const struct bpf_insn insns[] = {
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_ITER);
	int btf_id;

	btf_id = libbpf_find_vmlinux_btf_id("bpf_map_change", BPF_TRACE_ITER);
	if (btf_id < 0)
		return btf_id;
	opts.attach_btf_id = btf_id;
	if (token_fd > 0) {
		opts.token_fd = token_fd;
		opts.prog_flags = BPF_F_TOKEN_FD;
	}
	return bpf_prog_load(BPF_PROG_TYPE_TRACING, "mc_priv", "GPL", insns,
			     ARRAY_SIZE(insns), &opts);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {}, c = 0;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {}, c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* Root of the parent namespace becomes root of a new user namespace. */
static int enter_userns(void)
{
	if (unshare(CLONE_NEWUSER))
		return -1;
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", "0 0 1") ||
	    write_file("/proc/self/gid_map", "0 0 1"))
		return -1;
	return unshare(CLONE_NEWNS);
}

enum {
	TOK_OK, TOK_USERNS, TOK_FSOPEN, TOK_MNT, TOK_CREATE, TOK_LOAD,
	TOK_CAPS, TOK_NO_PERFMON, TOK_NO_BPF, TOK_ATTACH, TOK_INFO,
};

/*
 * In a user namespace: a bpffs whose delegation the parent sets up, a token
 * from it, the iterator program loaded with the token, and attaches with
 * and without CAP_PERFMON in the namespace.
 */
static int token_child(int sock, int map_fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fs_fd, mnt_fd, bpffs_fd, token_fd, prog_fd, link_fd;

	if (enter_userns())
		return TOK_USERNS;
	fs_fd = syscall(__NR_fsopen, "bpf", 0);
	if (fs_fd < 0 || send_fd(sock, fs_fd))
		return TOK_FSOPEN;
	mnt_fd = recv_fd(sock);
	if (mnt_fd < 0)
		return TOK_MNT;
	/* fsmount() gives an O_PATH fd: open the root through it */
	bpffs_fd = openat(mnt_fd, ".", O_RDONLY);
	if (bpffs_fd < 0)
		return TOK_MNT;
	token_fd = bpf_token_create(bpffs_fd, NULL);
	if (token_fd < 0)
		return TOK_CREATE;
	prog_fd = load_iter_prog(token_fd);
	if (prog_fd < 0)
		return TOK_LOAD;

	/*
	 * The attach checks CAP_BPF and CAP_PERFMON in the token's namespace.
	 * CAP_SYS_ADMIN there implies both: drop it, then each in turn.
	 */
	if (cap_disable_effective(1ULL << CAP_SYS_ADMIN, NULL))
		return TOK_CAPS;
	if (attach_change_iter_without(prog_fd, map_fd, CAP_PERFMON) != -EPERM)
		return TOK_NO_PERFMON;
	if (attach_change_iter_without(prog_fd, map_fd, CAP_BPF) != -EPERM)
		return TOK_NO_BPF;

	link_fd = link_change_iter(prog_fd, map_fd, 64);
	if (link_fd < 0)
		return TOK_ATTACH;
	if (bpf_link_get_info_by_fd(link_fd, &info, &len) ||
	    info.iter.map_change.ring_entries != 64)
		return TOK_INFO;
	return TOK_OK;
}

/* The parent's half: delegation needs CAP_SYS_ADMIN in the init namespace. */
static int token_parent(int sock)
{
	char mask[32];
	int fs_fd, mnt_fd = -1;

	fs_fd = recv_fd(sock);
	if (!ASSERT_GE(fs_fd, 0, "recv fs_fd"))
		return -1;
	snprintf(mask, sizeof(mask), "0x%llx", 1ULL << BPF_PROG_LOAD);
	if (!ASSERT_OK(syscall(__NR_fsconfig, fs_fd, FSCONFIG_SET_STRING,
			       "delegate_cmds", mask, 0), "delegate_cmds"))
		goto out;
	snprintf(mask, sizeof(mask), "0x%llx", 1ULL << BPF_PROG_TYPE_TRACING);
	if (!ASSERT_OK(syscall(__NR_fsconfig, fs_fd, FSCONFIG_SET_STRING,
			       "delegate_progs", mask, 0), "delegate_progs"))
		goto out;
	snprintf(mask, sizeof(mask), "0x%llx", 1ULL << BPF_TRACE_ITER);
	if (!ASSERT_OK(syscall(__NR_fsconfig, fs_fd, FSCONFIG_SET_STRING,
			       "delegate_attachs", mask, 0), "delegate_attachs"))
		goto out;
	if (!ASSERT_OK(syscall(__NR_fsconfig, fs_fd, FSCONFIG_CMD_CREATE,
			       NULL, NULL, 0), "fs create"))
		goto out;
	mnt_fd = syscall(__NR_fsmount, fs_fd, 0, 0);
	if (ASSERT_GE(mnt_fd, 0, "fsmount"))
		ASSERT_OK(send_fd(sock, mnt_fd), "send mnt_fd");
out:
	close(fs_fd);
	if (mnt_fd >= 0)
		close(mnt_fd);
	return 0;
}

static void test_token(void)
{
	int map_fd, socks[2], status;
	long long base;
	pid_t pid;

	if (access("/proc/self/ns/user", F_OK)) {
		printf("%s: SKIP: no user namespaces (CONFIG_USER_NS)\n", __func__);
		test__skip();
		return;
	}
	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mc_tok", 4, 8, 16, NULL);
	if (!ASSERT_GE(map_fd, 0, "map_create"))
		return;
	base = map_memlock(map_fd);
	if (!ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, socks), "socketpair"))
		goto out;
	pid = fork();
	if (pid == 0) {
		close(socks[0]);
		_exit(token_child(socks[1], map_fd));
	}
	close(socks[1]);
	if (!ASSERT_GE(pid, 0, "fork")) {
		close(socks[0]);
		goto out;
	}
	token_parent(socks[0]);
	close(socks[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status), "child exited");
	/* TOK_NO_*: attached without the capability, or failed otherwise */
	ASSERT_EQ(WEXITSTATUS(status), TOK_OK, "token attach step");
	/* the child's link went with it, and its ring */
	ASSERT_EQ(wait_memlock(map_fd, base), base, "no ring left");
out:
	close(map_fd);
}

#define NSIM_ID "4711"

/* The netdev of the netdevsim device, or 0 if it has none (yet). */
static int nsim_netdev(void)
{
	const char *dir = "/sys/bus/netdevsim/devices/netdevsim" NSIM_ID "/net";
	struct dirent *de;
	int ifindex = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while (!ifindex && (de = readdir(d)))
		if (de->d_name[0] != '.')
			ifindex = if_nametoindex(de->d_name);
	closedir(d);
	return ifindex;
}

/* A new device's netdev appears when its driver probed it: wait for it. */
static int nsim_ifindex(void)
{
	int ifindex;

	WAIT_UNTIL((ifindex = nsim_netdev()) > 0);
	return ifindex;
}

/* A map offloaded to a device changes there: history cannot see it. */
static void test_offloaded(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts);
	int prog_fd, map_fd = -1, link_fd;
	long long base;

	if (access("/sys/bus/netdevsim/new_device", F_OK)) {
		printf("%s: SKIP: no netdevsim (CONFIG_NETDEVSIM)\n", __func__);
		test__skip();
		return;
	}
	if (!ASSERT_OK(write_file("/sys/bus/netdevsim/new_device", NSIM_ID " 1"),
		       "netdevsim new_device"))
		return;
	prog_fd = load_iter_prog(0);
	if (!ASSERT_GE(prog_fd, 0, "load iter prog"))
		goto out;
	mopts.map_ifindex = nsim_ifindex();
	if (!ASSERT_GT(mopts.map_ifindex, 0, "netdevsim netdev"))
		goto out;
	/* netdevsim offloads maps of at most 2 entries */
	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mc_off", 4, 8, 2, &mopts);
	if (!ASSERT_GE(map_fd, 0, "offloaded map_create"))
		goto out;
	base = map_memlock(map_fd);
	link_fd = link_change_iter(prog_fd, map_fd, 64);
	ASSERT_EQ(link_fd, -EOPNOTSUPP, "attach to an offloaded map");
	if (link_fd >= 0)
		close(link_fd);
	ASSERT_EQ(map_memlock(map_fd), base, "no ring left");
out:
	if (map_fd >= 0)
		close(map_fd);
	if (prog_fd >= 0)
		close(prog_fd);
	write_file("/sys/bus/netdevsim/del_device", NSIM_ID);
}

void test_map_change_priv(void)
{
	if (test__start_subtest("token"))
		test_token();
	if (test__start_subtest("offloaded"))
		test_offloaded();
}
