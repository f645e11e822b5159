# SPDX-License-Identifier: GPL-2.0-only
#
# tsnkit build. Everything generated lands in build/; nothing generated is committed.
#   make            build every binary and BPF object
#   make test       unit + integration tests (installs missing Debian packages first)
#   make demo       the self-contained demo node
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the commands
#   CFLAGS CPPFLAGS LDFLAGS  a packager's own (dpkg-buildflags, any -O level); the warnings
#                   and includes below are added to them
#   SANITIZE=1      AddressSanitizer and UndefinedBehaviorSanitizer, every finding fatal, in
#                   build-san/ (then: TK_BUILD=build-san tests/run.sh)

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := progs/vmlinux/$(ARCH)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS := libbpf json-c ncursesw libpcap
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -g -O2
ifneq ($(SAN_FLAGS),)
override CFLAGS += $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)
endif
override CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(BUILD) -Iprogs -Ilib $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -lelf -lz
# tsnproxy's metrics server links libmicrohttpd; NO_HTTP=1 builds it without one (the static
# binaries of deploy/Containerfile: the library has no static build of its TLS dependencies)
ifeq ($(NO_HTTP),1)
override CFLAGS += -DTSN_NO_HTTP
else
HTTP_LIBS = $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
endif

# BPF: CO-RE against the checked-in vmlinux.h; -Werror like userspace.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -Iprogs \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers

# Product programs in progs/, test-only ones in tests/progs/ and bench/progs/; each X.bpf.c
# builds to build/X.bpf.o and build/X.skel.h whichever directory it is in.
BPF_SRCS := $(wildcard progs/*.bpf.c)
TEST_BPF_SRCS := $(wildcard tests/progs/*.bpf.c bench/progs/*.bpf.c)
BPF_HDRS := $(wildcard progs/*.h) $(VMLINUX_DIR)/vmlinux.h
bpf_outs = $(patsubst %.bpf.c,$(BUILD)/%$(2),$(notdir $(1)))
BPF_OBJS := $(call bpf_outs,$(BPF_SRCS) $(TEST_BPF_SRCS),.bpf.o)
SKELS := $(call bpf_outs,$(BPF_SRCS),.skel.h)
TEST_SKELS := $(call bpf_outs,$(TEST_BPF_SRCS),.skel.h)
ifneq ($(words $(BPF_OBJS)),$(words $(sort $(BPF_OBJS))))
$(error a BPF program name is used twice in progs/, tests/progs/ and bench/progs/)
endif

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIBTSN := $(BUILD)/libtsnkit.a

# Each binary is the set of .c files in its directory, linked with lib/.
TSNTRACE_SRCS := $(wildcard tools/tsntrace/*.c)
TSNTOP_SRCS := $(wildcard tui/*.c)
TSNPROXY_SRCS := $(wildcard proxy/tsnproxy/*.c)
CNI_SRCS := $(wildcard proxy/cni/*.c)
# the unit tests draw tsntop's model with its view, headless, and parse CNI configurations
UNIT_SHARED := $(if $(TSNTOP_SRCS),tui/model.c tui/view.c) $(if $(CNI_SRCS),proxy/cni/config.c)
# each tests/tools/X.c is one test-only binary build/X
TEST_TOOL_SRCS := $(wildcard tests/tools/*.c)
UNIT_SRCS := $(wildcard tests/unit/*.c)

BINS := $(if $(TSNTRACE_SRCS),$(BUILD)/tsntrace) $(if $(TSNTOP_SRCS),$(BUILD)/tsntop) \
	$(if $(TSNPROXY_SRCS),$(BUILD)/tsnproxy) $(if $(CNI_SRCS),$(BUILD)/tsn)
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/%,$(TEST_TOOL_SRCS))
TEST_BINS := $(TEST_TOOLS) $(if $(UNIT_SRCS),$(BUILD)/test_unit)

# -j for the set-up targets' builds, unless the caller gave one (make's jobserver then rules;
# MAKEFLAGS names -j only in recipes, hence the late expansion)
NPROC := $(shell nproc 2>/dev/null || echo 1)
JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(NPROC))

objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all deps test test-vm demo bench install clean vmlinux fuzz
.DEFAULT_GOAL := all
# skeletons and BPF objects are products, not intermediates make may delete
.SECONDARY:

all: $(BINS) $(TEST_BINS) $(BPF_OBJS)

deps:
	$(Q)scripts/deps.sh

$(BUILD) $(BUILD)/obj:
	$(Q)mkdir -p $@

define bpf_compile
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
endef

$(BUILD)/%.bpf.o: progs/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(bpf_compile)
$(BUILD)/%.bpf.o: tests/progs/%.bpf.c $(BPF_HDRS) $(wildcard tests/progs/*.h) | $(BUILD)
	$(bpf_compile)
$(BUILD)/%.bpf.o: bench/progs/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(bpf_compile)

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

define cc_compile
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(1) -MMD -MP -c $< -o $@
endef

# Product objects see the product skeletons, so a tool can embed any product BPF object; test
# and bench tools (tests/) also see the test-only skeletons and tests/progs/'s headers.
$(BUILD)/obj/%.o: %.c $(SKELS)
	$(call cc_compile)
$(call objs,$(TEST_TOOL_SRCS) $(UNIT_SRCS)): $(BUILD)/obj/%.o: %.c $(SKELS) $(TEST_SKELS)
	$(call cc_compile,-Itests/progs)

$(LIBTSN): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tsntrace: $(call objs,$(TSNTRACE_SRCS)) $(LIBTSN)
$(BUILD)/tsntop: $(call objs,$(TSNTOP_SRCS)) $(LIBTSN)
$(BUILD)/tsnproxy: $(call objs,$(TSNPROXY_SRCS)) $(LIBTSN)
$(BUILD)/tsnproxy: LDLIBS += $(HTTP_LIBS)
$(BUILD)/tsn: $(call objs,$(CNI_SRCS)) $(LIBTSN)
# The CNI plugin is exec'd for every pod event: linked statically, its start loads no shared
# library (a third of an ADD's time on a PVM guest), and it runs on any node it is copied to.
# (Dynamic with SANITIZE=1: the sanitizers' runtimes cannot be linked statically.)
$(BUILD)/tsn: LDLIBS := $(if $(SAN_FLAGS),,-static) -lbpf -ljson-c -lelf -lz
$(TEST_TOOLS): $(BUILD)/%: $(BUILD)/obj/tests/tools/%.o $(LIBTSN)
$(BUILD)/test_unit: $(call objs,$(UNIT_SRCS) $(UNIT_SHARED)) $(LIBTSN)

$(BINS) $(TEST_BINS):
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d)

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_DIR)/vmlinux.h

# The set-up targets build with a job per CPU (a fresh machine's first build) once the packages
# are in; the build itself is declared completely enough for any -j.
test: deps
	$(Q)$(MAKE) --no-print-directory $(JOBS) all
	$(Q)tests/run.sh

test-vm: deps
	$(Q)$(MAKE) --no-print-directory $(JOBS) all
	$(Q)tests/vm/run.sh --lane

demo: deps
	$(Q)$(MAKE) --no-print-directory $(JOBS) all
	$(Q)scripts/demo.sh

bench: deps
	$(Q)scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory $(JOBS) all
	$(Q)bench/run.sh

fuzz: all
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(wildcard docs/man/*.8),install -m 0644 $(wildcard docs/man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/)

clean:
	rm -rf $(BUILD)
