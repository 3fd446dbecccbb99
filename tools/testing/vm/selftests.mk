# SPDX-License-Identifier: GPL-2.0
#
# Build test_progs with only this project's tests, from the patched tree:
#
#   make -f selftests.mk SRC=tree OUT=dir VMLINUX=vmlinux BPFTOOL=bpftool \
#        LIBBPF_DIR=dir TESTS="a.c b.c" PROGS="x.c y.c"
#
# TESTS are prog_tests/ files and PROGS progs/ files (names only); each
# progs/X.c becomes OUT/X.bpf.o and the skeleton OUT/X.skel.h.
#
# Upstream's own tests of the code the series changes are built too, from
# SRC (not copied): test_progs gets UP_TESTS, and test_lru_map and test_maps
# (with UP_MAP_TESTS) are built as upstream builds them; mc-selftests runs
# them all, DENYLIST says which subtests our VM cannot run.

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

# Upstream's tests of the code the series changes: bpf_iter.c (link update,
# seq_info, the hash map's bpf_map_elem walk), for_each (the hash map's
# other walk), and the hash and LRU map tests: updates from a program
# reentering the map (htab_update, fentry through the trampoline), element
# reuse under BPF_F_LOCK (htab_reuse), the LRU's preallocated element
# (lru_bug), lookup-and-delete of all four hash types (lookup_and_delete),
# per-CPU value init on update (map_init), large keys (hash_large_key).
UP_TESTS := bpf_iter.c for_each.c htab_update.c htab_reuse.c lru_bug.c \
	    lookup_and_delete.c map_init.c hash_large_key.c
# their skeletons, as upstream names them (progs/X.c gives X.skel.h)
UP_PROGS := $(patsubst %,bpf_iter_%.c,bpf_array_map bpf_hash_map bpf_link \
		bpf_map bpf_percpu_array_map bpf_percpu_hash_map \
		bpf_sk_storage_helpers bpf_sk_storage_map ipv6_route ksym \
		netlink sockmap task_btf task_file task_stack task_vmas tasks \
		tcp4 tcp6 test_kern1 test_kern2 test_kern3 test_kern4 \
		test_kern5 test_kern6 udp4 udp6 unix vma_offset) \
	    for_each_array_map_elem.c for_each_hash_map_elem.c \
	    for_each_map_elem_write_key.c for_each_multi_maps.c \
	    htab_update.c htab_reuse.c lru_bug.c test_lookup_and_delete.c \
	    test_map_init.c test_hash_large_key.c
# test_maps: its hash and per-CPU hash tests (update flags and their errors,
# a full map, delete, the zero seed), preallocated and not, and of
# map_tests/ the hash and array batch ops (update, lookup-and-delete).
# Not the rest: sockmap needs CONFIG_BPF_STREAM_PARSER, and test_hashmap_walk,
# test_map_large, test_map_parallel and map_percpu_stats (10,000 to 32,000
# elements each, many times) would add over 10 minutes in our VM (TCG).
UP_MAP_TESTS := htab_map_batch_ops.c array_map_batch_ops.c
# run_all_tests() is static and main() calls it: the definition becomes an
# unused mc_void_tests(void), main()'s call (no argument) mc__tests(), the
# hash tests. The two are told apart by their arguments, hence "...".
TEST_MAPS_HASH := '-Drun_all_tests(...)=mc_\#\#__VA_ARGS__\#\#_tests(__VA_ARGS__)' \
	'-Dmc__tests()=(test_hashmap(0, NULL), test_hashmap_percpu(0, NULL), \
	  test_hashmap_zero_seed())' -Wno-unused-function
# test_lru_map: the LRU lists (eviction order, the per-CPU free lists),
# where the series records an eviction.

HELPERS := test_progs.c cgroup_helpers.c trace_helpers.c network_helpers.c \
	   testing_helpers.c btf_helpers.c cap_helpers.c unpriv_helpers.c \
	   netlink_helpers.c json_writer.c jit_disasm_helpers.c disasm_helpers.c
HELPER_OBJS := $(patsubst %.c,$(OUT)/helpers/%.o,$(HELPERS)) $(OUT)/helpers/disasm.o
TEST_OBJS   := $(patsubst %.c,$(OUT)/tests/%.o,$(TESTS))
SKELS       := $(patsubst %.c,$(OUT)/%.skel.h,$(PROGS))
BPF_OBJS    := $(patsubst %.c,$(OUT)/%.bpf.o,$(PROGS))
UP_TEST_OBJS := $(patsubst %.c,$(OUT)/tests/%.o,$(UP_TESTS))
UP_SKELS     := $(patsubst %.c,$(OUT)/%.skel.h,$(UP_PROGS))
UP_MAP_OBJS  := $(patsubst %.c,$(OUT)/map_tests/%.o,$(UP_MAP_TESTS))

all: $(OUT)/test_progs $(BPF_OBJS) $(OUT)/map_change_bench \
     $(OUT)/test_lru_map $(OUT)/test_maps

$(OUT)/vmlinux.h: $(VMLINUX)
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

$(OUT)/%.bpf.o: $(SELF)/progs/%.c $(OUT)/vmlinux.h $(wildcard $(SELF)/progs/*.h)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Upstream's programs, with its flags for test_progs' (atomics tests on),
# in OUT/up/: the initramfs takes OUT/*.bpf.o, ours, for the demo; these
# travel in their skeletons.
$(OUT)/up/%.bpf.o: $(SELF)/progs/%.c $(OUT)/vmlinux.h $(wildcard $(SELF)/progs/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DENABLE_ATOMICS_TESTS -c $< -o $@

$(UP_SKELS): $(OUT)/%.skel.h: $(OUT)/up/%.bpf.o
	$(BPFTOOL) gen object $(OUT)/up/$*.linked.o $<
	$(BPFTOOL) gen skeleton $(OUT)/up/$*.linked.o name $* > $@.tmp && mv $@.tmp $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen object $(OUT)/$*.linked.o $<
	$(BPFTOOL) gen skeleton $(OUT)/$*.linked.o name $* > $@.tmp && mv $@.tmp $@

# Regenerated every time (the list of tests may shrink), rewritten only
# when its content changes.
$(OUT)/prog_tests/tests.h: FORCE
	@mkdir -p $(@D)
	@(echo '/* Generated header, do not edit */'; \
	 sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' \
		$(addprefix $(SELF)/prog_tests/,$(TESTS) $(UP_TESTS)) | sort) > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

# test_maps' list, made the same way
$(OUT)/map_tests/tests.h: FORCE
	@mkdir -p $(@D)
	@(echo '/* Generated header, do not edit */'; \
	 sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' \
		$(addprefix $(SELF)/map_tests/,$(UP_MAP_TESTS)) | sort) > $@.tmp
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

# Upstream's tests are theirs: built as they are, warnings allowed.
$(UP_TEST_OBJS): $(OUT)/tests/%.o: $(SELF)/prog_tests/%.c $(UP_SKELS) \
		 $(wildcard $(SELF)/*.h) $(UAPI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/test_progs: $(HELPER_OBJS) $(TEST_OBJS) $(UP_TEST_OBJS) $(LIBBPF_A)
	$(CC) -o $@ $(HELPER_OBJS) $(TEST_OBJS) $(UP_TEST_OBJS) $(LDLIBS)

$(OUT)/test_lru_map: $(SELF)/test_lru_map.c $(LIBBPF_A)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(UP_MAP_OBJS): $(OUT)/map_tests/%.o: $(SELF)/map_tests/%.c $(SELF)/test_maps.h $(UAPI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/test_maps: $(SELF)/test_maps.c $(OUT)/map_tests/tests.h $(UP_MAP_OBJS) \
		  $(OUT)/helpers/testing_helpers.o $(LIBBPF_A)
	$(CC) $(CFLAGS) $(TEST_MAPS_HASH) -o $@ $< $(UP_MAP_OBJS) \
		$(OUT)/helpers/testing_helpers.o $(LDLIBS)

# the benchmark (make bench): a program of its own
$(OUT)/map_change_bench: $(SELF)/map_change_bench.c $(OUT)/map_change_bench.skel.h $(LIBBPF_A)
	$(CC) $(CFLAGS) -Werror -o $@ $< $(LDLIBS)

.PHONY: all FORCE
.DELETE_ON_ERROR:
.SECONDARY:
