# One build for everything. Output goes under build/ only:
#   build/bin/      release binaries          build/lib/   the SDK libraries (libmesos-*)
#   build/include/  the SDK headers as installed (include/mesos/)
#   build/check/    the sanitizer (ASan+UBSan) build used by `make check`
#   build/bench/    benchmarks (release flags)  build/fuzz/  libFuzzer targets (clang)
#
# Each module folder's *.c files form lib<module>.a (in build/obj/, linked into the binaries),
# except *_main.c files, which are program entry points (see PROGRAMS). The SDK libraries
# (libmesos-core, -sched, -exec) are made of the same objects: see "the SDK" below.
# Tests are discovered: every tests/unit/*.c and tests/integration/*.c defines one or more
# `Suite *<name>_suite(void)`, all linked into one Check runner so `make check` ends with
# Check's summary line.

.DEFAULT_GOAL := all
SHELL := /bin/bash

CC      ?= gcc
CLANG   ?= clang
BUILD   ?= build
PREFIX  ?= /usr/local
# Where `make install` puts things (the Mesos packages' layout); each may be given on its own.
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/mesos
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
FUZZ_SECONDS ?= 30
FUZZ_SHORT   ?= 5

# Modules in dependency order (a module may use those before it). tools/ is a module too:
# its sources other than the programs' (tools/cli.c, what the command-line tools share;
# tools/inspect*.c, what mesos-inspect is made of).
MODULES := actor wire master sched docker exec slave tools

BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wstrict-prototypes -Wmissing-prototypes -I. -pthread -MMD -MP
# Release objects are PIC (one set for the archives and the shared libraries) and hardened as
# Debian builds its packages.
REL_CFLAGS  := $(BASE_CFLAGS) -O2 -g -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2
REL_LDFLAGS := -Wl,-z,relro -Wl,-z,now
CHK_CFLAGS  := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -DACT_TEST_BUILD
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -DACT_TEST_BUILD -DACT_FUZZING

LDLIBS := -lev -lhttp_parser -lmsgpackc -ljansson -lcurl -lzookeeper_mt -lssl -lcrypto -lpthread -lm
CHK_LDFLAGS := -fsanitize=address,undefined
TEST_LDLIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck_pic -lsubunit -lrt -lm)

# ---- sources ------------------------------------------------------------------------------
mod_srcs  = $(filter-out %_main.c $(PROG_SRCS),$(wildcard $(1)/*.c))
ALL_LIB_SRCS = $(foreach m,$(MODULES),$(call mod_srcs,$(m)))

# lib order for the linker: dependents first
LINK_ORDER := $(shell echo $(MODULES) | tr ' ' '\n' | tac | tr '\n' ' ')

REL_LIBS := $(foreach m,$(LINK_ORDER),$(BUILD)/obj/lib$(m).a)
CHK_LIBS := $(foreach m,$(LINK_ORDER),$(BUILD)/check/lib/lib$(m).a)
FUZZ_LIBS := $(foreach m,$(LINK_ORDER),$(BUILD)/fuzz/lib/lib$(m).a)

# Programs: name:source pairs; those whose source does not exist yet are skipped.
ALL_PROGRAMS := mesos-master:master/master_main.c mesos-slave:slave/slave_main.c \
                mesos-executor:exec/executor_main.c \
                mesos-docker-executor:exec/docker_executor_main.c \
                mesos-execute:tools/mesos_execute.c \
                mesos-local:tools/mesos_local.c mesos-resolve:tools/mesos_resolve.c \
                mesos:tools/mesos.c mesos-ps:tools/mesos_ps.c mesos-cat:tools/mesos_cat.c \
                mesos-tail:tools/mesos_tail.c mesos-ls:tools/mesos_ls.c \
                mesos-scp:tools/mesos_scp.c \
                mesos-inspect:tools/mesos_inspect.c mesos-fleet:slave/fleet_main.c \
                mesos-loadgen:tools/mesos_loadgen.c \
                example-framework:sched/examples/example_framework.c \
                example-executor:exec/examples/example_executor.c \
                minimal-scheduler:sched/examples/minimal_scheduler.c
PROG_SRCS := $(foreach p,$(ALL_PROGRAMS),$(word 2,$(subst :, ,$(p))))
PROGRAMS := $(foreach p,$(ALL_PROGRAMS),$(if $(wildcard $(word 2,$(subst :, ,$(p)))),$(p)))
PROG_NAMES := $(foreach p,$(PROGRAMS),$(word 1,$(subst :, ,$(p))))
prog_src = $(word 2,$(subst :, ,$(filter $(1):%,$(PROGRAMS))))

# Where `make install` puts each program (examples are not installed).
SBIN_PROGRAMS    := mesos-master mesos-slave
LIBEXEC_PROGRAMS := mesos-executor mesos-docker-executor
EXAMPLE_PROGRAMS := example-framework example-executor minimal-scheduler
BIN_PROGRAMS     := $(filter-out $(SBIN_PROGRAMS) $(LIBEXEC_PROGRAMS) $(EXAMPLE_PROGRAMS),\
                               $(PROG_NAMES))

TEST_SRCS := $(wildcard tests/unit/*.c) $(wildcard tests/integration/*.c)
TEST_SUPPORT_SRCS := $(wildcard tests/support/*.c)
BENCH_SRCS := $(wildcard tests/bench/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

# ---- release build ------------------------------------------------------------------------
Q := $(if $(V),,@)
# Release objects are rebuilt when the flags change (they became -fPIC for the SDK).
$(BUILD)/obj/.cflags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(REL_CFLAGS)' | cmp -s - $@ || echo '$(REL_CFLAGS)' > $@
.PHONY: FORCE

$(BUILD)/obj/%.o: %.c $(BUILD)/obj/.cflags
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@

# What state.json reports of the build (wire/build.c): when, and by whom. Only that file sees
# it, so the time is that of its last compilation; SOURCE_DATE_EPOCH overrides it (packages).
BUILD_INFO = -DBUILD_TIME=$(or $(SOURCE_DATE_EPOCH),$(shell date +%s)) \
             -DBUILD_USER='"$(or $(USER),$(shell id -un))"'
$(BUILD)/obj/wire/build.o: REL_CFLAGS += $(BUILD_INFO)
$(BUILD)/check/obj/wire/build.o: CHK_CFLAGS += $(BUILD_INFO)
$(BUILD)/fuzz/obj/wire/build.o: FUZZ_CFLAGS += $(BUILD_INFO)

define lib_rules
$(BUILD)/obj/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call mod_srcs,$(1)))
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
	$(Q)$(CC) -pthread $(REL_LDFLAGS) -o $$@ $$^ $(LDLIBS)
$(BUILD)/check/bin/$(1): $(BUILD)/check/obj/$(patsubst %.c,%.o,$(call prog_src,$(1))) $(CHK_LIBS)
	@mkdir -p $$(dir $$@)
	$(CC) -pthread $(CHK_LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach p,$(PROG_NAMES),$(eval $(call prog_rules,$(p))))

.PHONY: all
all: deps-quiet $(REL_LIBS) $(addprefix $(BUILD)/bin/,$(PROG_NAMES)) sdk webui

# ---- the web UI -----------------------------------------------------------------------------
# master/webui/ (our pages, scripts, styles) plus the libraries Debian ships that they use,
# staged as <dir>/share/mesos/webui beside <dir>/bin, where mesos-master looks by default:
# build/ for the release binaries, build/check/ for the test build. `make install` copies
# the staged tree to $(DATADIR)/mesos/webui, so an installed master needs no other package.
WEBUI_FILES  := $(filter-out master/webui/DESIGN.md,$(shell find master/webui -type f))
WEBUI_VENDOR := /usr/share/javascript/bootstrap5/css/bootstrap.min.css \
                /usr/share/javascript/chart.js/chart.min.js
WEBUI_STAGED := $(BUILD)/share/mesos/webui $(BUILD)/check/share/mesos/webui

$(addsuffix /.staged,$(WEBUI_STAGED)): %/.staged: $(WEBUI_FILES) $(WEBUI_VENDOR)
	$(Q)rm -rf $* && mkdir -p $*/static/vendor
	$(Q)cd master/webui && cp --parents $(patsubst master/webui/%,%,$(WEBUI_FILES)) $(abspath $*)/
	$(Q)cp $(WEBUI_VENDOR) $*/static/vendor/
	$(Q)touch $@

.PHONY: webui
webui: $(addsuffix /.staged,$(WEBUI_STAGED))

# ---- the SDK --------------------------------------------------------------------------------
# What a framework author builds against (`make install`, the libmesos-dev package):
#   libmesos-core   the runtime and the data model (actor/, wire/) that both drivers share, so
#                   a process that uses both drivers still has one runtime
#   libmesos-sched  the scheduler driver (sched/)   libmesos-exec  the executor driver (exec/)
# each as a static archive and a shared library with soname lib<name>.so.$(SO_MAJOR), made
# of the release objects. A library exports what its public headers (<name>_API) declare;
# everything else stays local. To move code into a library (the ZooKeeper leader detector
# for the scheduler driver, say) append its sources to <name>_SRCS. The system libraries
# every library may need are LDLIBS: it is what the shared libraries link and what the
# pkg-config files list as Libs.private (add a library there, and a pkg-config module the
# static link needs to SDK_REQUIRES_PRIVATE).
VERSION  := $(shell sed -n 's/^\#define WIRE_VERSION "\(.*\)"$$/\1/p' wire/wire.h)
SO_MAJOR := 0
SDK_LIBS := mesos-core mesos-sched mesos-exec
mesos-core_SRCS  := $(call mod_srcs,actor) $(call mod_srcs,wire)
mesos-core_API   := actor/actor.h wire/wire.h
mesos-core_USES  :=
# The driver finds the leading master through master/detector.h (host:port, zk://, file://)
# and authenticates with it through master/auth.h.
mesos-sched_SRCS := $(call mod_srcs,sched) master/detector.c master/zk.c \
                    master/authenticatee.c master/cram_md5.c master/credentials.c
mesos-sched_API  := sched/sched.h
mesos-sched_USES := mesos-core
mesos-sched_DESC := Scheduler driver of a Mesos 0.22 work-alike (MesosSchedulerDriver in C)
mesos-exec_SRCS  := $(call mod_srcs,exec)
mesos-exec_API   := exec/exec.h
mesos-exec_USES  := mesos-core
mesos-exec_DESC  := Executor driver of a Mesos 0.22 work-alike (MesosExecutorDriver in C)
SDK_PCS := mesos-sched mesos-exec
SDK_REQUIRES_PRIVATE :=

# The public headers, installed flat as <mesos/sched.h>, <mesos/exec.h>, <mesos/wire.h>,
# <mesos/actor.h> (and wire.h's <mesos/schema.def>); build/include/mesos/ holds them as
# installed, with their includes of each other rewritten, and the examples build against it.
SDK_HEADERS := actor/actor.h wire/wire.h wire/schema.def sched/sched.h exec/exec.h
SDK_INCLUDE := $(BUILD)/include/mesos
SDK_STAGED  := $(addprefix $(SDK_INCLUDE)/,$(notdir $(SDK_HEADERS)))

sdk_objs = $(patsubst %.c,$(BUILD)/obj/%.o,$($(1)_SRCS))
SDK_ARCHIVES := $(foreach l,$(SDK_LIBS),$(BUILD)/lib/lib$(l).a)
SDK_SHARED   := $(foreach l,$(SDK_LIBS),$(BUILD)/lib/lib$(l).so.$(VERSION))

define sdk_header_rule
$(SDK_INCLUDE)/$(notdir $(1)): $(1) tools/sdk-build.sh
	@mkdir -p $$(dir $$@)
	$(Q)tools/sdk-build.sh header $$< $$@ $(SDK_HEADERS)
endef
$(foreach h,$(SDK_HEADERS),$(eval $(call sdk_header_rule,$(h))))

define sdk_lib_rules
$(BUILD)/lib/lib$(1).a: $(call sdk_objs,$(1))
	@mkdir -p $$(dir $$@)
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/lib/lib$(1).map: $(call sdk_objs,$(1)) $($(1)_API) tools/sdk-build.sh
	@mkdir -p $$(dir $$@)
	$(Q)tools/sdk-build.sh exports "$(CC)" "$($(1)_API)" $(call sdk_objs,$(1)) > $$@
$(BUILD)/lib/lib$(1).so.$(VERSION): $(call sdk_objs,$(1)) $(BUILD)/lib/lib$(1).map \
                                    $(foreach u,$($(1)_USES),$(BUILD)/lib/lib$(u).so.$(VERSION))
	@$(if $(V),,echo "  LD      $$@")
	$(Q)$(CC) -shared $(REL_LDFLAGS) -Wl,-soname,lib$(1).so.$(SO_MAJOR) \
	  -Wl,--version-script=$(BUILD)/lib/lib$(1).map -Wl,-z,defs -Wl,--as-needed -o $$@ \
	  $(call sdk_objs,$(1)) -L$(BUILD)/lib $(addprefix -l,$($(1)_USES)) $(LDLIBS)
	$(Q)ln -sf lib$(1).so.$(VERSION) $(BUILD)/lib/lib$(1).so.$(SO_MAJOR)
	$(Q)ln -sf lib$(1).so.$(SO_MAJOR) $(BUILD)/lib/lib$(1).so
endef
$(foreach l,$(SDK_LIBS),$(eval $(call sdk_lib_rules,$(l))))

.PHONY: sdk
sdk: $(SDK_ARCHIVES) $(SDK_SHARED) $(SDK_STAGED)

# The examples include <mesos/sched.h> and <mesos/exec.h> as a framework author does.
EXAMPLE_SRCS := $(foreach p,$(EXAMPLE_PROGRAMS),$(call prog_src,$(p)))
$(foreach b,$(BUILD) $(BUILD)/check,$(patsubst %.c,$(b)/obj/%.o,$(EXAMPLE_SRCS))): $(SDK_STAGED)
$(patsubst %.c,$(BUILD)/obj/%.o,$(EXAMPLE_SRCS)): REL_CFLAGS += -I$(BUILD)/include
$(patsubst %.c,$(BUILD)/check/obj/%.o,$(EXAMPLE_SRCS)): CHK_CFLAGS += -I$(BUILD)/include

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
	$(Q)$(CC) $(CHK_CFLAGS) -DTEST_BIN_DIR='"$(abspath $(BUILD)/check/bin)"' \
	  -DTEST_SRC_DIR='"$(abspath .)"' -c $< -o $@

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
# Tests that install, package or document the release build need the tree and the build.
$(BUILD)/check/obj/tests/%.o: CHK_CFLAGS += -DTEST_SRC_DIR='"$(abspath .)"' \
                                       -DTEST_BUILD_DIR='"$(abspath $(BUILD))"'

TEST_OBJS := $(patsubst %.c,$(BUILD)/check/obj/%.o,$(TEST_SRCS) $(TEST_SUPPORT_SRCS) tests/main.c)

$(BUILD)/check/bin/tests: $(TEST_OBJS) $(CHK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) -pthread $(CHK_LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

.PHONY: check check-build
# The release build too: the SDK, package and docs tests install and run it.
check-build: deps-quiet all $(BUILD)/check/bin/tests $(addprefix $(BUILD)/check/bin/,$(PROG_NAMES)) \
             $(GO_BINS)
# Then, unless a suite or case was picked, every fuzz target's seeds (fuzz-replay).
check: check-build $(if $(CK_RUN_SUITE)$(CK_RUN_CASE),,fuzz-build)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) $(BUILD)/check/bin/tests
	$(if $(CK_RUN_SUITE)$(CK_RUN_CASE),,@$(call replay_fuzzers))

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

# Runs every target once on each of its seeds, no fuzzing: the same inputs every time, among
# them those that once crashed a target, so what was fixed stays fixed.
define replay_fuzzers
	set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); d=tests/fuzz/corpus/$$n; [ -d $$d ] || continue; \
	  $$f -malloc_limit_mb=64 -rss_limit_mb=2048 $$d/* >$(BUILD)/fuzz/$$n.replay.log 2>&1 \
	    || { tail -50 $(BUILD)/fuzz/$$n.replay.log; echo "fuzz: $$n FAILED on a seed"; exit 1; }; \
	  echo "fuzz: $$n ran its $$(ls $$d | wc -l) seeds"; \
	done
endef

# (kept: make would delete them as intermediates and rebuild them every time)
.SECONDARY: $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/obj/tests/fuzz/%.o,$(FUZZ_SRCS))
.PHONY: fuzz fuzz-build fuzz-run fuzz-replay
fuzz-build: deps-quiet $(FUZZ_BINS)
fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SHORT))
fuzz-run: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))
fuzz-replay: fuzz-build
	@$(call replay_fuzzers)

# ---- run, install, clean ------------------------------------------------------------------
.PHONY: deps deps-quiet run install uninstall deb docs docs-check clean
deps:
	tools/install-deps.sh
deps-quiet:
	@tools/install-deps.sh

run: all
	@tools/run-local.sh

# `make install [PREFIX=/usr/local] [DESTDIR=...]` lays things out as the Mesos packages do:
# the daemons in sbin/, the tools in bin/ with mesos-init-wrapper (which reads SYSCONFDIR),
# mesos-executor and mesos-docker-executor in libexec/mesos/ (where an installed slave looks
# for them), and the SDK: headers in include/mesos/, the libraries, and pkg-config files
# (mesos-sched.pc, mesos-exec.pc). `make uninstall` removes what it put there.
INSTALLED := $(addprefix $(SBINDIR)/,$(SBIN_PROGRAMS)) \
             $(addprefix $(LIBEXECDIR)/,$(LIBEXEC_PROGRAMS)) \
             $(addprefix $(BINDIR)/,$(BIN_PROGRAMS)) $(BINDIR)/mesos-init-wrapper \
             $(addprefix $(INCLUDEDIR)/mesos/,$(notdir $(SDK_HEADERS))) \
             $(foreach l,$(SDK_LIBS),$(addprefix $(LIBDIR)/lib$(l),.a .so .so.$(SO_MAJOR) \
                                                                   .so.$(VERSION))) \
             $(addprefix $(LIBDIR)/pkgconfig/,$(addsuffix .pc,$(SDK_PCS)))
WEBUIDIR := $(DATADIR)/mesos/webui

# Writes the pkg-config file of SDK library $(1) to $(2).
define pc_write
printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
  'Name: $(1)' 'Description: $($(1)_DESC)' 'Version: $(VERSION)' \
  $(if $(SDK_REQUIRES_PRIVATE),'Requires.private: $(SDK_REQUIRES_PRIVATE)') \
  'Cflags: -I$${includedir}' 'Libs: -L$${libdir} $(addprefix -l,$(1) $($(1)_USES))' \
  'Libs.private: $(LDLIBS)' > $(2)
endef

install: all
	install -d $(addprefix $(DESTDIR),$(BINDIR) $(SBINDIR) $(LIBEXECDIR) $(LIBDIR)/pkgconfig \
	                                  $(INCLUDEDIR)/mesos)
	install -m 755 $(addprefix $(BUILD)/bin/,$(SBIN_PROGRAMS)) $(DESTDIR)$(SBINDIR)/
	install -m 755 $(addprefix $(BUILD)/bin/,$(LIBEXEC_PROGRAMS)) $(DESTDIR)$(LIBEXECDIR)/
	$(if $(BIN_PROGRAMS),install -m 755 $(addprefix $(BUILD)/bin/,$(BIN_PROGRAMS)) \
	  $(DESTDIR)$(BINDIR)/)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	  tools/mesos-init-wrapper > $(DESTDIR)$(BINDIR)/mesos-init-wrapper
	chmod 755 $(DESTDIR)$(BINDIR)/mesos-init-wrapper
	install -m 644 $(SDK_STAGED) $(DESTDIR)$(INCLUDEDIR)/mesos/
	install -m 644 $(SDK_ARCHIVES) $(SDK_SHARED) $(DESTDIR)$(LIBDIR)/
	$(foreach l,$(SDK_LIBS),ln -sf lib$(l).so.$(VERSION) $(DESTDIR)$(LIBDIR)/lib$(l).so.$(SO_MAJOR) \
	  && ln -sf lib$(l).so.$(SO_MAJOR) $(DESTDIR)$(LIBDIR)/lib$(l).so;)
	$(foreach p,$(SDK_PCS),$(call pc_write,$(p),$(DESTDIR)$(LIBDIR)/pkgconfig/$(p).pc);)
	rm -rf $(DESTDIR)$(WEBUIDIR) && install -d $(DESTDIR)$(WEBUIDIR)
	cp -R $(BUILD)/share/mesos/webui/. $(DESTDIR)$(WEBUIDIR)/ && rm $(DESTDIR)$(WEBUIDIR)/.staged
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rm -rf $(DESTDIR)$(WEBUIDIR)
	rmdir $(addprefix $(DESTDIR),$(INCLUDEDIR)/mesos $(LIBEXECDIR) $(DATADIR)/mesos) 2>/dev/null || true

# ---- documentation --------------------------------------------------------------------------
# The flag and endpoint tables in docs/ and the example files shown in README.md and docs/ are
# generated from the programs (their --help and /help) and the tree: `make docs` rewrites
# them, `make docs-check` (run by a test in `make check`) fails when one is out of date.
# Every installed program must have a flag table in docs/operators-guide.md.
DOC_FILES := docs/operators-guide.md $(filter-out docs/operators-guide.md,$(wildcard docs/*.md)) \
             README.md
# (mesos, the dispatcher, has no flags of its own.)
DOC_ARGS   = --bin $(BUILD)/bin --require "$(SBIN_PROGRAMS) $(filter-out mesos,$(BIN_PROGRAMS))" \
             $(DOC_FILES)
docs: all
	tools/gen-docs.sh $(DOC_ARGS)
docs-check: all
	@tools/gen-docs.sh --check $(DOC_ARGS)

# ---- Debian packages ------------------------------------------------------------------------
# `make deb` builds mesos, libmesos-{core,sched,exec}0 and libmesos-dev with dpkg-buildpackage
# and debian/ in a copy of the tree under build/deb/, handing the copy this tree's release
# build so nothing is compiled twice; the .debs land in build/deb/.
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/mesos-$(VERSION)
BUILD_IN_TREE := $(patsubst $(abspath .)/%,%,$(abspath $(BUILD)))

deb: all
	@changelog=$$(dpkg-parsechangelog -S Version); [ "$$changelog" = "$(VERSION)" ] || \
	  { echo "debian/changelog is at $$changelog but wire/wire.h at $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)/build
	tar -c --exclude-vcs --exclude=./build --exclude=./run --exclude=./$(BUILD_IN_TREE) . \
	  | tar -x -C $(DEB_SRC)
	cp -a $(addprefix $(BUILD)/,obj bin lib include share) $(DEB_SRC)/build/
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	  dpkg-buildpackage --build=binary --no-sign --no-pre-clean \
	  > $(abspath $(DEB_DIR))/build.log 2>&1 || { tail -40 $(abspath $(DEB_DIR))/build.log; exit 1; }
	rm -rf $(DEB_SRC)
	@ls -1 $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
