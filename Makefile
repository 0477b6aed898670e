# One build for everything. Output goes under build/ only:
#   build/bin/      release binaries          build/lib/   release libraries
#   build/check/    the sanitizer (ASan+UBSan) build used by `make check`
#   build/bench/    benchmarks (release flags)  build/fuzz/  libFuzzer targets (clang)
#
# Each module folder's *.c files form lib<module>.a, except *_main.c files, which are program
# entry points (see PROGRAMS). Tests are discovered: every tests/unit/*.c and
# tests/integration/*.c defines one or more `Suite *<name>_suite(void)`, all linked into one
# Check runner so `make check` ends with Check's summary line.

.DEFAULT_GOAL := all
SHELL := /bin/bash

CC      ?= gcc
CLANG   ?= clang
BUILD   ?= build
PREFIX  ?= /usr/local
FUZZ_SECONDS ?= 30
FUZZ_SHORT   ?= 5

# Modules in dependency order (a module may use those before it).
MODULES := actor wire master sched exec slave

BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wstrict-prototypes -Wmissing-prototypes -I. -pthread -MMD -MP
REL_CFLAGS  := $(BASE_CFLAGS) -O2 -g
CHK_CFLAGS  := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -DACT_TEST_BUILD
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -DACT_TEST_BUILD -DACT_FUZZING

LDLIBS := -lev -lhttp_parser -lmsgpackc -ljansson -lcurl -lpthread -lm
CHK_LDFLAGS := -fsanitize=address,undefined
TEST_LDLIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck_pic -lsubunit -lrt -lm)

# ---- sources ------------------------------------------------------------------------------
mod_srcs  = $(filter-out %_main.c,$(wildcard $(1)/*.c))
ALL_LIB_SRCS := $(foreach m,$(MODULES),$(call mod_srcs,$(m)))

# lib order for the linker: dependents first
LINK_ORDER := $(shell echo $(MODULES) | tr ' ' '\n' | tac | tr '\n' ' ')

REL_LIBS := $(foreach m,$(LINK_ORDER),$(BUILD)/lib/lib$(m).a)
CHK_LIBS := $(foreach m,$(LINK_ORDER),$(BUILD)/check/lib/lib$(m).a)
FUZZ_LIBS := $(foreach m,$(LINK_ORDER),$(BUILD)/fuzz/lib/lib$(m).a)

# Programs: name:source pairs; those whose source does not exist yet are skipped.
ALL_PROGRAMS := mesos-master:master/master_main.c mesos-slave:slave/slave_main.c \
                mesos-executor:exec/executor_main.c mesos-execute:tools/mesos_execute.c \
                mesos-local:tools/mesos_local.c \
                example-framework:sched/examples/example_framework.c \
                example-executor:exec/examples/example_executor.c
PROGRAMS := $(foreach p,$(ALL_PROGRAMS),$(if $(wildcard $(word 2,$(subst :, ,$(p)))),$(p)))
PROG_NAMES := $(foreach p,$(PROGRAMS),$(word 1,$(subst :, ,$(p))))
prog_src = $(word 2,$(subst :, ,$(filter $(1):%,$(PROGRAMS))))

TEST_SRCS := $(wildcard tests/unit/*.c) $(wildcard tests/integration/*.c)
TEST_SUPPORT_SRCS := $(wildcard tests/support/*.c)
BENCH_SRCS := $(wildcard tests/bench/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

# ---- release build ------------------------------------------------------------------------
Q := $(if $(V),,@)
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@

define lib_rules
$(BUILD)/lib/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call mod_srcs,$(1)))
	@mkdir -p $$(dir $$@)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/check/lib/lib$(1).a: $(patsubst %.c,$(BUILD)/check/obj/%.o,$(call mod_srcs,$(1)))
	@mkdir -p $$(dir $$@)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/fuzz/lib/lib$(1).a: $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(call mod_srcs,$(1)))
	@mkdir -p $$(dir $$@)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call lib_rules,$(m))))

define prog_rules
$(BUILD)/bin/$(1): $(BUILD)/obj/$(patsubst %.c,%.o,$(call prog_src,$(1))) $(REL_LIBS)
	@mkdir -p $$(dir $$@)
	@$(if $(V),,echo "  LD      $$@")
	$(Q)$(CC) -pthread -o $$@ $$^ $(LDLIBS)
$(BUILD)/check/bin/$(1): $(BUILD)/check/obj/$(patsubst %.c,%.o,$(call prog_src,$(1))) $(CHK_LIBS)
	@mkdir -p $$(dir $$@)
	$(CC) -pthread $(CHK_LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach p,$(PROG_NAMES),$(eval $(call prog_rules,$(p))))

.PHONY: all
all: deps-quiet $(REL_LIBS) $(addprefix $(BUILD)/bin/,$(PROG_NAMES))

# ---- Go programs (the mesos-go tests) -----------------------------------------------------
# Each tests/go/<name>/ is a Go program built against Debian's packaged Go sources (mesos-go,
# gogo/protobuf) in GOPATH mode, with no network, into build/go/bin/<name>. The Go build cache
# lives in build/go/cache, so only the first build compiles the dependencies.
GO_PROGRAMS := $(notdir $(wildcard tests/go/*))
GO_BINS := $(addprefix $(BUILD)/go/bin/,$(GO_PROGRAMS))
GO_ENV := GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(abspath $(BUILD)/go/cache) \
          GOFLAGS= CGO_ENABLED=0

define go_rules
$(BUILD)/go/bin/$(1): $(wildcard tests/go/$(1)/*.go)
	@mkdir -p $$(dir $$@)
	@$(if $(V),,echo "  GO      $$@")
	$(Q)cd tests/go/$(1) && $(GO_ENV) go build -o $(abspath $(BUILD)/go/bin/$(1)) .
endef
$(foreach g,$(GO_PROGRAMS),$(eval $(call go_rules,$(g))))

# ---- check build --------------------------------------------------------------------------
$(BUILD)/check/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC [chk] $<")
	$(Q)$(CC) $(CHK_CFLAGS) -DTEST_BIN_DIR='"$(abspath $(BUILD)/check/bin)"' -c $< -o $@

# The suite list is generated from the test sources: SUITE(name) per `Suite *name_suite(void)`.
$(BUILD)/check/suites.inc: $(TEST_SRCS) Makefile
	@mkdir -p $(dir $@)
	@grep -ho '^Suite \*[a-z0-9_]*_suite(void)' $(TEST_SRCS) /dev/null \
	  | sed -E 's/^Suite \*([a-z0-9_]*)_suite\(void\)/SUITE(\1)/' | sort -u > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

# Suites are found by name, not declared in headers.
$(BUILD)/check/obj/tests/%.o: CHK_CFLAGS += -Wno-missing-prototypes
$(BUILD)/check/obj/tests/main.o: $(BUILD)/check/suites.inc
$(BUILD)/check/obj/tests/main.o: CHK_CFLAGS += -I$(BUILD)/check

TEST_OBJS := $(patsubst %.c,$(BUILD)/check/obj/%.o,$(TEST_SRCS) $(TEST_SUPPORT_SRCS) tests/main.c)

$(BUILD)/check/bin/tests: $(TEST_OBJS) $(CHK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -pthread $(CHK_LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

.PHONY: check check-build
check-build: deps-quiet $(BUILD)/check/bin/tests $(addprefix $(BUILD)/check/bin/,$(PROG_NAMES)) \
             $(GO_BINS)
check: check-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(BUILD)/check/bin/tests

# ---- benchmarks (release flags) ------------------------------------------------------------
$(BUILD)/bench/%: tests/bench/%.c $(REL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $< $(REL_LIBS) $(LDLIBS)

BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
.PHONY: bench
bench: deps-quiet $(BENCH_BINS) $(addprefix $(BUILD)/bin/,$(PROG_NAMES))
	@set -e; for b in $(BENCH_BINS); do $$b; done

# ---- fuzzing (clang + libFuzzer) ----------------------------------------------------------
$(BUILD)/fuzz/obj/tests/%.o: FUZZ_CFLAGS += -Wno-missing-prototypes
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC [fuzz] $<")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/obj/tests/fuzz/%.o $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/bin/%,$(FUZZ_SRCS))

# Runs every target for $(1) seconds: a crash, a leak, or one allocation above the target's
# limit (libFuzzer -malloc_limit_mb) fails the run. Seeds come from tests/fuzz/corpus/<target>.
define run_fuzzers
	@set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus/$$n; \
	  seeds=; [ -d tests/fuzz/corpus/$$n ] && seeds=tests/fuzz/corpus/$$n; \
	  echo "fuzz: $$n for $(1)s"; \
	  $$f -max_total_time=$(1) -max_len=65536 -malloc_limit_mb=64 -rss_limit_mb=2048 \
	      -print_final_stats=0 $(BUILD)/fuzz/corpus/$$n $$seeds 2>$(BUILD)/fuzz/$$n.log \
	    || { tail -50 $(BUILD)/fuzz/$$n.log; echo "fuzz: $$n FAILED"; exit 1; }; \
	  grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs' $(BUILD)/fuzz/$$n.log | tail -1; \
	done
endef

.PRECIOUS: $(BUILD)/fuzz/obj/tests/fuzz/%.o
.PHONY: fuzz fuzz-build fuzz-run
fuzz-build: deps-quiet $(FUZZ_BINS)
fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SHORT))
fuzz-run: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

# ---- run, install, clean ------------------------------------------------------------------
.PHONY: deps deps-quiet run install clean
deps:
	tools/install-deps.sh
deps-quiet:
	@tools/install-deps.sh

run: all
	@tools/run-local.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/mesos
	install -m 644 $(REL_LIBS) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 actor/actor.h $(DESTDIR)$(PREFIX)/include/mesos/
	$(if $(PROG_NAMES),install -m 755 $(addprefix $(BUILD)/bin/,$(PROG_NAMES)) $(DESTDIR)$(PREFIX)/bin/)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
