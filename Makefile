# SPDX-License-Identifier: GPL-2.0
#
# Map change history for BPF maps: one entry point.
#
#   make demo    build everything, boot the VM, show a map's history
#   make test    build everything, run every selftest on the debug kernel
#   make vm      a shell in the VM (bpftool, test_progs, bpffs mounted);
#                CMD='...' or a piped stdin: run that instead, with its status
#   make bench   the cost of history per map update, against the alternatives
#                (BENCH=quick: the smallest and largest sizes only)
#   make kernel-i386  the series built for 32-bit x86, warnings as errors
#   make test-kcsan   the stress and core tests on a KCSAN kernel
#   make test-vm      make vm's terminal: Ctrl-C, piped input, CMD= (3 boots)
#   make series       the series as mail, for git am: build/series/
#   make series-check apply it patch by patch; checkpatch and build each
#
# See README.md. Everything is built under build/ and incrementally.

SHELL := /bin/bash
REPO  := $(CURDIR)
B     := $(REPO)/build
VM    := $(REPO)/tools/testing/vm
STEP  := $(VM)/step.sh
LOGS  := $(B)/logs
TREE  := $(B)/linux
KDIR  := $(B)/kernel-debug
TOOLS := $(B)/tools
ST    := $(TOOLS)/selftests
INITRD := $(B)/initramfs.cpio.gz
KERNEL := $(KDIR)/arch/x86/boot/bzImage
KREL   := $(B)/kernel-release
KBASE  := $(B)/kernel-base

export MC_T0 := $(shell date +%s)
export CCACHE_DIR ?= $(HOME)/.ccache
export CCACHE_MAXSIZE ?= 5G
# hits across clones in other directories (CI builds a fresh clone)
export CCACHE_BASEDIR := $(REPO)
export CCACHE_NOHASHDIR := 1

# The base the series was tested on: deps installs this version of
# linux-source-6.12 if the archive still has it, and prepare-tree says when
# the installed one differs and whether the series applies to it (README,
# "The base").
export MC_BASE_DEB := 6.12.117-1~deb12u1
DEB_PKGS := gcc make git xz-utils bc flex bison cpio kmod rsync pkg-config \
	    libelf-dev zlib1g-dev libzstd-dev libcap-dev libssl-dev \
	    clang-19 llvm-19 lld-19 dwarves busybox-static quilt ccache \
	    qemu-system-x86 linux-source-6.12=$(MC_BASE_DEB) python3-docutils \
	    python3-ply python3-git

SELFTESTS   := tools/testing/selftests/bpf
OUR_TESTS   := $(notdir $(wildcard $(SELFTESTS)/prog_tests/*.c))
OUR_PROGS   := $(notdir $(wildcard $(SELFTESTS)/progs/*.c))
BPFTOOL_MK  := -C $(TREE)/tools/bpf/bpftool OUTPUT=$(TOOLS)/bpftool/ \
	       CLANG=clang-19 LLVM_STRIP=llvm-strip-19 feature-llvm=0 \
	       VMLINUX_BTF=$(KDIR)/vmlinux CC="ccache gcc" HOSTCC="ccache gcc"
BPFTOOL     := $(TOOLS)/bpftool/bpftool
# bpftool's man pages: a broken rst fails the build. rst2man stops at the
# first warning, and .DELETE_ON_ERROR removes the page it began (else the
# next run would find it up to date).
BPFTOOL_MAN := --eval=.DELETE_ON_ERROR: -C $(TREE)/tools/bpf/bpftool/Documentation \
	       OUTPUT=$(TOOLS)/bpftool/man/ \
	       RST2MAN_OPTS="--halt=warning --verbose --strip-comments" man8

.PHONY: all deps tree quilt kernel kernel-release kernel-base tools initramfs \
	test vm demo bench checkpatch clean help kernel-i386 kernel-kcsan test-kcsan \
	test-vm series series-check

all: initramfs

help:
	@sed -n '3,18p' Makefile | sed 's/^# \?//'

deps:
	@$(STEP) deps $(LOGS)/deps.log $(VM)/deps.sh $(DEB_PKGS)

tree: deps
	@$(STEP) base $(LOGS)/base.log $(VM)/prepare-tree.sh $(REPO) $(B)
	@grep '^prepare-tree: base' $(LOGS)/base.log

quilt: deps
	@$(VM)/prepare-tree.sh $(REPO) $(B) quilt

kernel: tree
	@$(STEP) kernel $(LOGS)/kernel-debug.log $(VM)/build-kernel.sh $(TREE) $(KDIR) \
		$(VM)/config.release $(VM)/config.debug

# The benchmark's kernels: release config (-O2, no debug), patched and not.
kernel-release: tree
	@$(STEP) krelease $(LOGS)/kernel-release.log $(VM)/build-kernel.sh $(TREE) $(KREL) \
		$(VM)/config.release $(VM)/config.bench

kernel-base: deps
	@$(STEP) base-0 $(LOGS)/base-unpatched.log $(VM)/prepare-tree.sh $(REPO) $(B) unpatched
	@$(STEP) kbase $(LOGS)/kernel-base.log $(VM)/build-kernel.sh $(B)/linux-base $(KBASE) \
		$(VM)/config.release $(VM)/config.bench

# Checks that need a kernel of their own, kept out of `make test`.
kernel-i386: tree
	@KARCH=i386 $(STEP) ki386 $(LOGS)/kernel-i386.log $(VM)/build-kernel.sh \
		$(TREE) $(B)/kernel-i386 $(VM)/config.i386

kernel-kcsan: tree
	@$(STEP) kkcsan $(LOGS)/kernel-kcsan.log $(VM)/build-kernel.sh $(TREE) \
		$(B)/kernel-kcsan $(VM)/config.release $(VM)/config.kcsan

KCSAN_T ?= -t map_change_robust -t map_change_core
test-kcsan: kernel-kcsan initramfs
	@$(VM)/test.sh $(B)/kernel-kcsan/arch/x86/boot/bzImage $(INITRD) $(KCSAN_T)

tools: kernel
	@mkdir -p $(TOOLS)/libbpf $(TOOLS)/bpftool/man $(ST)
	@$(STEP) libbpf $(LOGS)/libbpf.log $(MAKE) -C $(TREE)/tools/lib/bpf \
		OUTPUT=$(TOOLS)/libbpf/ DESTDIR=$(TOOLS)/root prefix= CC="ccache gcc" \
		all install_headers
	@$(STEP) bpftool $(LOGS)/bpftool.log $(MAKE) $(BPFTOOL_MK)
	@$(STEP) man8 $(LOGS)/bpftool-man.log $(MAKE) $(BPFTOOL_MAN)
	@$(STEP) docs $(LOGS)/docs.log rst2html --halt=warning \
		$(REPO)/Documentation/bpf/map_trace.rst $(TOOLS)/map_trace.html
	@$(STEP) tests $(LOGS)/selftests.log $(MAKE) -f $(VM)/selftests.mk \
		SRC=$(TREE) OUT=$(ST) VMLINUX=$(KDIR)/vmlinux LIBBPF_DIR=$(TOOLS) \
		BPFTOOL=$(TOOLS)/bpftool/bootstrap/bpftool \
		TESTS="$(OUR_TESTS)" PROGS="$(OUR_PROGS)"

# For upstream's tests: glibc's pthread_exit() loads libgcc_s (bpf_iter
# calls it), and libbpf reads /boot/config-RELEASE for a program's __kconfig
# externs (bpf_iter's tcp and ipv6_route programs).
LIBGCC_S := /lib/x86_64-linux-gnu/libgcc_s.so.1

initramfs: tools
	@$(STEP) initrd $(LOGS)/initramfs.log $(VM)/mkinitramfs.sh $(INITRD) $(VM)/init \
		$(BPFTOOL) $(VM)/mc-selftests $(VM)/demo.sh:/root/demo.sh \
		$(ST)/test_progs:/root/selftests/test_progs $(ST)/map_change_bench \
		$$(for o in $(ST)/*.bpf.o; do echo $$o:/root/$${o##*/}; done) \
		$(VM)/DENYLIST:/root/selftests/DENYLIST \
		$(ST)/test_lru_map:/root/selftests/test_lru_map \
		$(ST)/test_maps:/root/selftests/test_maps $(LIBGCC_S):$(LIBGCC_S) \
		$(KDIR)/.config:/boot/config-$$(cat $(KDIR)/include/config/kernel.release)

test: initramfs
	@$(STEP) vm-tty $(LOGS)/vm-tty.log $(VM)/vm-tty-test.sh $(KERNEL) $(INITRD)
	@echo "[$$(($$(date +%s) - $$MC_T0))s] run      selftests in the VM (console: $(B)/test.log)"
	@$(VM)/test.sh $(KERNEL) $(INITRD) $(T)

# CMD='...' runs that, not a shell, and fails with its status (make says
# "Error N"); so does a stdin that is not a terminal, read whole as a script.
vm: initramfs
	@$(VM)/run-vm.sh -i $(KERNEL) $(INITRD) $(if $(CMD),"$$CMD")

test-vm: initramfs
	@$(VM)/vm-tty-test.sh $(KERNEL) $(INITRD)

# The benchmark: release kernels with and without the series, -icount.
bench: kernel-release kernel-base initramfs
	@$(STEP) benchdeps $(LOGS)/deps-bench.log $(VM)/deps.sh gnuplot-nox
	@echo "[$$(($$(date +%s) - $$MC_T0))s] bench    in the VM, both kernels (takes a while under -icount)"
	@$(VM)/bench.sh $(KREL)/arch/x86/boot/bzImage $(KBASE)/arch/x86/boot/bzImage \
		$(INITRD) $(B)/bench$(if $(BENCH),-$(BENCH)) $(BENCH)

# The series as mailed (series/plan says what goes into which patch).
series: tree
	@$(STEP) series $(LOGS)/series.log $(VM)/mkseries.py $(REPO) $(B)
	@grep '^mkseries: ' $(LOGS)/series.log | tail -n 2

series-check: series
	@$(VM)/series-check.sh $(B)

demo: initramfs
	@$(VM)/run-vm.sh -l $(B)/demo.log $(KERNEL) $(INITRD) /bin/sh /root/demo.sh

# checkpatch.pl on the series and our new kernel files (run outside git:
# inside a git tree it mistakes patch files for changes to them; without
# git it cannot look up the commits that Fixes: tags name), then on
# the C of our selftests and of bpftool's map history. Those are held to
# checkpatch's default level, as tools/ code is upstream (--strict asks
# for kernel-only things there, such as BIT_ULL()), with two allowances
# that are standard practice in tools/testing/selftests/bpf:
# --ignore VOLATILE for a BPF program's `const volatile` globals (.rodata
# that user space sets before the load; bpftool's skeleton has them too)
# and for the `volatile sig_atomic_t` of a signal handler; and `__kptr`
# known as a type annotation, as `__user` is (it tags a kptr field's
# pointee type: checkpatch would read `struct node __kptr *p` as a product).
CHECKPATCH_TOOLS := $(addprefix $(REPO)/,$(wildcard \
	$(SELFTESTS)/*.[ch] $(SELFTESTS)/prog_tests/*.c $(SELFTESTS)/progs/*.[ch] \
	tools/bpf/bpftool/map_history.c tools/bpf/bpftool/skeleton/*.[ch]))

checkpatch: tree
	@cd $(TREE) && for p in $(REPO)/patches/*.patch; do \
		scripts/checkpatch.pl --no-tree -q --ignore UNKNOWN_COMMIT_ID $$p || exit 1; done && \
	scripts/checkpatch.pl --no-tree --strict -q -f \
		$$(cd $(REPO) && git ls-files -co --exclude-standard kernel include) && \
	scripts/checkpatch.pl --no-tree -q --ignore VOLATILE \
		--typedefsfile <(echo __kptr) -f $(CHECKPATCH_TOOLS) && \
	echo "checkpatch: clean"

clean:
	rm -rf $(B)
