# SPDX-License-Identifier: GPL-2.0
#
# Build test_progs with only this project's tests, from the patched tree:
#
#   make -f selftests.mk SRC=tree OUT=dir VMLINUX=vmlinux BPFTOOL=bpftool \
#        LIBBPF_DIR=dir TESTS="a.c b.c" PROGS="x.c y.c"
#
# TESTS are prog_tests/ files and PROGS progs/ files (names only); each
# progs/X.c becomes OUT/X.bpf.o and the skeleton OUT/X.skel.h.

SELF     := $(SRC)/tools/testing/selftests/bpf
CLANG    ?= clang-19
CC       := ccache gcc
LIBBPF_A := $(LIBBPF_DIR)/libbpf/libbpf.a
LIBBPF_I := $(LIBBPF_DIR)/root/include

CFLAGS := -g -O2 -Wall -fno-omit-frame-pointer -fno-strict-aliasing \
	  -I$(SELF) -I$(OUT) -I$(LIBBPF_I) -I$(SRC)/tools/include \
	  -I$(SRC)/tools/include/uapi -I$(SRC)/tools/lib \
	  -I$(SRC)/tools/arch/x86/include -I$(SRC)/include/generated
LDLIBS := $(LIBBPF_A) -lelf -lz -lzstd -lrt -lpthread -lcap

BPF_CFLAGS := -g -O2 -Wall -Werror --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
	      -I$(OUT) -I$(SELF) -I$(LIBBPF_I) -I$(SRC)/tools/include/uapi \
	      -Wno-compare-distinct-pointer-types \
	      $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
		sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

HELPERS := test_progs.c cgroup_helpers.c trace_helpers.c network_helpers.c \
	   testing_helpers.c btf_helpers.c cap_helpers.c unpriv_helpers.c \
	   netlink_helpers.c json_writer.c jit_disasm_helpers.c disasm_helpers.c
HELPER_OBJS := $(patsubst %.c,$(OUT)/helpers/%.o,$(HELPERS)) $(OUT)/helpers/disasm.o
TEST_OBJS   := $(patsubst %.c,$(OUT)/tests/%.o,$(TESTS))
SKELS       := $(patsubst %.c,$(OUT)/%.skel.h,$(PROGS))
BPF_OBJS    := $(patsubst %.c,$(OUT)/%.bpf.o,$(PROGS))

all: $(OUT)/test_progs $(BPF_OBJS) $(OUT)/map_change_bench

$(OUT)/vmlinux.h: $(VMLINUX)
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

$(OUT)/%.bpf.o: $(SELF)/progs/%.c $(OUT)/vmlinux.h $(wildcard $(SELF)/progs/*.h)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen object $(OUT)/$*.linked.o $<
	$(BPFTOOL) gen skeleton $(OUT)/$*.linked.o name $* > $@.tmp && mv $@.tmp $@

# Regenerated every time (the list of tests may shrink), rewritten only
# when its content changes.
$(OUT)/prog_tests/tests.h: FORCE
	@mkdir -p $(@D)
	@(echo '/* Generated header, do not edit */'; \
	 sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' \
		$(addprefix $(SELF)/prog_tests/,$(TESTS)) | sort) > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(OUT)/helpers/disasm.o: $(SRC)/kernel/bpf/disasm.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

UAPI := $(SRC)/tools/include/uapi/linux/bpf.h

$(OUT)/helpers/%.o: $(SELF)/%.c $(OUT)/prog_tests/tests.h $(UAPI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# Our own tests build with -Werror; upstream's helpers may warn with gcc 12.
$(OUT)/tests/%.o: $(SELF)/prog_tests/%.c $(SKELS) $(wildcard $(SELF)/*.h) $(UAPI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Werror -c $< -o $@

$(OUT)/test_progs: $(HELPER_OBJS) $(TEST_OBJS) $(LIBBPF_A)
	$(CC) -o $@ $(HELPER_OBJS) $(TEST_OBJS) $(LDLIBS)

# the benchmark (make bench): a program of its own
$(OUT)/map_change_bench: $(SELF)/map_change_bench.c $(OUT)/map_change_bench.skel.h $(LIBBPF_A)
	$(CC) $(CFLAGS) -Werror -o $@ $< $(LDLIBS)

.PHONY: all FORCE
.DELETE_ON_ERROR:
.SECONDARY:
