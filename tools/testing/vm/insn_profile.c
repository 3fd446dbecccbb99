// SPDX-License-Identifier: GPL-2.0
/*
 * insn_profile: a QEMU TCG plugin that counts how often each guest kernel
 * instruction runs, for make bench's breakdown of a record (bench_parts.py).
 *
 *   qemu-system-x86_64 -plugin insn_profile.so,out=PREFIX,trigger=ADDR ...
 *
 * Every time the guest runs the instruction at ADDR (a kernel function's
 * entry, called by the benchmark between its phases), the counts since the
 * last time go to PREFIX.N (N = 0, 1, ...), one "address count" line per
 * instruction that ran, and start again from zero. Only kernel addresses
 * are counted. Under -icount, QEMU runs one vCPU at a time: the counters
 * need no atomics.
 *
 * Written against QEMU's plugin API version 1 (QEMU 4.2 to 8.1), of which
 * it declares the few functions it uses: Debian ships QEMU with plugin
 * support but without qemu-plugin.h.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op,
						void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
	void (*cb)(unsigned int vcpu_index, void *udata),
	enum qemu_plugin_cb_flags flags, void *udata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define KERNEL_START	0xffff800000000000ULL
#define MAX_INSNS	(1u << 22)	/* distinct kernel instructions */
#define HASH_SLOTS	(1u << 23)

static uint64_t *counts, *addrs;	/* by index, in order of translation */
static uint32_t *slots;			/* address hash: index + 1, or 0 */
static uint32_t nr_insns;
static uint64_t trigger;
static const char *prefix;
static unsigned int nr_dumps;

/* The counter of the instruction at @vaddr, made on first sight. */
static uint64_t *counter(uint64_t vaddr)
{
	uint32_t h = (uint32_t)((vaddr * 0x9e3779b97f4a7c15ULL) >> 41);

	for (;; h = (h + 1) & (HASH_SLOTS - 1)) {
		if (!slots[h]) {
			if (nr_insns == MAX_INSNS)
				return NULL;
			addrs[nr_insns] = vaddr;
			slots[h] = ++nr_insns;
			return &counts[nr_insns - 1];
		}
		if (addrs[slots[h] - 1] == vaddr)
			return &counts[slots[h] - 1];
	}
}

static void dump(unsigned int vcpu, void *udata)
{
	char path[4096];
	uint32_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s.%u", prefix, nr_dumps++);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < nr_insns; i++) {
		if (counts[i])
			fprintf(f, "%" PRIx64 " %" PRIu64 "\n", addrs[i], counts[i]);
		counts[i] = 0;
	}
	fclose(f);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
		uint64_t *c;

		if (vaddr < KERNEL_START)
			continue;
		if (vaddr == trigger)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, dump,
					QEMU_PLUGIN_CB_NO_REGS, NULL);
		c = counter(vaddr);
		if (c)
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
					QEMU_PLUGIN_INLINE_ADD_U64, c, 1);
	}
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			prefix = argv[i] + 4;
		else if (!strncmp(argv[i], "trigger=", 8))
			trigger = strtoull(argv[i] + 8, NULL, 16);
	}
	if (!prefix || !trigger) {
		fprintf(stderr, "insn_profile: out=PREFIX,trigger=ADDR needed\n");
		return -1;
	}
	counts = calloc(MAX_INSNS, sizeof(*counts));
	addrs = calloc(MAX_INSNS, sizeof(*addrs));
	slots = calloc(HASH_SLOTS, sizeof(*slots));
	if (!counts || !addrs || !slots)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
