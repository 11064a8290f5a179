# leadscore: build, test, demo. `make` builds bin/leadscored and bin/leadscore.

CC       ?= cc
Q        ?= @
PKGS      = libpq libzmq jansson inih libmicrohttpd libsystemd libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      = -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion \
            -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wvla
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) \
             -I/usr/include/libsvm $(PKG_CFLAGS) -MMD -MP
LIBS      = $(PKG_LIBS) -lsvm -llinear -lm -lpthread

SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

LIB_SRC   = $(filter-out daemon/leadscored.c, $(wildcard daemon/*.c)) $(wildcard model/*.c) \
            $(filter-out cli/leadscore.c, $(wildcard cli/*.c))
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
INTEG_SRC = $(wildcard tests/integration/test_*.c)
HARNESS_SRC = $(wildcard tests/harness/*.c)
SCHEMA_SQL = $(sort $(wildcard schema/[0-9]*.sql))

# $(1): build dir, $(2): extra flags
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(ALL_CFLAGS) $(2) -c $$< -o $$@
$(1)/gen/schema_sql.c: $$(SCHEMA_SQL) scripts/embed-sql.sh
	@mkdir -p $$(dir $$@)
	scripts/embed-sql.sh $$(SCHEMA_SQL) > $$@
$(1)/obj/gen/schema_sql.o: $(1)/gen/schema_sql.c
	@mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(ALL_CFLAGS) $(2) -I$$(CURDIR) -c $$< -o $$@
$(1)/libleadscore.a: $$(LIB_SRC:%.c=$(1)/obj/%.o) $(1)/obj/gen/schema_sql.o
	@rm -f $$@
	$$(Q)ar rcs $$@ $$^
$(1)/bin/leadscored: $(1)/obj/daemon/leadscored.o $(1)/libleadscore.a
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/bin/leadscore: $(1)/obj/cli/leadscore.o $(1)/libleadscore.a
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/tests/%: $(1)/obj/tests/%.o $$(HARNESS_SRC:%.c=$(1)/obj/%.o) $(1)/libleadscore.a
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $(2) -o $$@ $$^ $$(LIBS)
endef

# BUILD lets several builds of one tree live side by side (make BUILD=/tmp/b check).
BUILD ?= build
$(eval $(call variant,$(BUILD)/release,))
$(eval $(call variant,$(BUILD)/asan,$(SAN_FLAGS)))
$(eval $(call variant,$(BUILD)/debug,-O1 -g))

ASAN_TESTS = $(UNIT_SRC:tests/%.c=$(BUILD)/asan/tests/%) $(INTEG_SRC:tests/%.c=$(BUILD)/asan/tests/%)

.PHONY: all deps check unit test memcheck fuzz demo bench eval soak format format-check clean
all: bin/leadscored bin/leadscore

bin/%: $(BUILD)/release/bin/%
	@mkdir -p bin
	cp $< $@

deps:
	@scripts/install-deps.sh

# Every test, under AddressSanitizer and UBSan, against a throwaway PostgreSQL cluster. The
# bench programs are built too (not run), so that a change to a function they share with the
# daemon cannot break `make bench` unseen.
check: deps
	$(MAKE) $(BUILD)/asan/bin/leadscored $(BUILD)/asan/bin/leadscore $(ASAN_TESTS) $(BENCH_PROGS)
	tests/run.sh $(BUILD)/asan

unit: $(BUILD)/asan/bin/leadscore $(UNIT_SRC:tests/%.c=$(BUILD)/asan/tests/%)
	tests/run.sh $(BUILD)/asan unit

# One test (or a group) by name: make test T=test_ingest
test: $(BUILD)/asan/bin/leadscored $(BUILD)/asan/bin/leadscore $(ASAN_TESTS)
	tests/run.sh $(BUILD)/asan all $(T)

demo: deps
	$(MAKE) all
	scripts/demo.sh

# The whole suite under valgrind (tests, daemon and CLI processes alike), on a plain build.
DEBUG_TESTS = $(UNIT_SRC:tests/%.c=$(BUILD)/debug/tests/%) $(INTEG_SRC:tests/%.c=$(BUILD)/debug/tests/%)
memcheck: deps
	$(MAKE) $(BUILD)/debug/bin/leadscored $(BUILD)/debug/bin/leadscore $(DEBUG_TESTS)
	LEADSCORE_VALGRIND=1 tests/run.sh $(BUILD)/debug all $(T)

# Each libFuzzer target for FUZZ_SECONDS (default 60); a crash fails the run.
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

# Performance, side by side in one run (scripts/bench.sh; BENCH_* variables scale it down).
# Release build: -O2, no sanitizers. bench/bench_*.c are programs, the other bench/*.c helpers.
BENCH_PROGS = $(patsubst bench/%.c,$(BUILD)/release/bench/%,$(wildcard bench/bench_*.c))
BENCH_HELPERS = $(patsubst %.c,$(BUILD)/release/obj/%.o,$(filter-out bench/bench_%,$(wildcard bench/*.c)))
$(BUILD)/release/bench/%: $(BUILD)/release/obj/bench/%.o $(BENCH_HELPERS) $(BUILD)/release/libleadscore.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LIBS)
bench: deps
	$(MAKE) $(BUILD)/release/bin/leadscored $(BUILD)/release/bin/leadscore $(BENCH_PROGS)
	scripts/bench.sh $(BUILD)

# Each model kind on ../shared/data/leads.csv beside scikit-learn (same split and columns), and
# on a simulated funnel beside its hidden truth: one table each (scripts/eval.sh). Needs the
# data file (make check never does) and python3-sklearn, which it installs when missing.
eval: deps
	@scripts/eval.sh --check-data
	$(MAKE) $(BUILD)/release/bin/leadscored $(BUILD)/release/bin/leadscore
	scripts/eval.sh $(BUILD)/release

# The daemon at half the sustained rate for SOAK_SECONDS (default 600): RSS, descriptors, errors.
soak: deps
	$(MAKE) $(BUILD)/release/bin/leadscored $(BUILD)/release/bin/leadscore $(BENCH_PROGS)
	scripts/soak.sh $(BUILD)

format:
	clang-format -i $(LIB_SRC) daemon/*.h model/*.h cli/*.h daemon/leadscored.c cli/leadscore.c \
		$(UNIT_SRC) $(INTEG_SRC)

format-check:
	clang-format --dry-run --Werror $(LIB_SRC) daemon/*.h model/*.h cli/*.h \
		daemon/leadscored.c cli/leadscore.c $(UNIT_SRC) $(INTEG_SRC)

clean:
	rm -rf build bin

# Keep objects between runs (they are intermediate files to make).
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
