# SPDX-License-Identifier: GPL-2.0-or-later
#
# One non-recursive Makefile for nflvs.  Everything it builds goes to build/.
#   make            the daemons and the CLI
#   sudo make check install what is missing, build, run every test
#   sudo make demo  a namespace lab with traffic through a VIP
#   make bench      the benchmarks under tests/bench (root)
#   make deb        Debian packages in build/deb (debhelper, lintian)
#   sudo make install  PREFIX, DESTDIR, SBINDIR, UNITDIR... as usual

PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DOCDIR  ?= $(PREFIX)/share/doc/nflvs
# systemd reads /usr/local/lib/systemd/system too; Debian 12 has /lib/...
UNITDIR ?= $(PREFIX)/lib/systemd/system

CC      ?= cc
CFLAGS  ?= -O2 -g
BUILD   := build

PKGS    := libnftnl libmnl libnetfilter_queue libnetfilter_conntrack libconfig \
	   libcurl libcrypto libbpf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := 0.1
CPPFLAGS += -D_GNU_SOURCE -DNFLVS_VERSION='"$(VERSION)"'
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -fno-strict-aliasing -pthread -MMD -MP $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -pthread -lrt

# SANITIZE=1: everything built with ASan and UBSan in build-san/ (so that
# the normal build stays), and `make check SANITIZE=1` runs the suites with
# those binaries.  FUZZ=1 (used by `make fuzz`): clang, the same sanitizers
# and libFuzzer's coverage, in build-fuzz/.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif
ifeq ($(FUZZ),1)
BUILD   := build-fuzz
CC      := clang
# { NULL } ends a table for gcc; clang would want every field named
CFLAGS  += $(SAN_FLAGS) -fsanitize=fuzzer-no-link -Wno-missing-field-initializers
LDFLAGS += $(SAN_FLAGS)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Each folder is built with the include path of what it may use, so that a
# module can only include the headers of the modules below it:
#   common/              include/ and itself
#   director/            the daemon; also its schedulers' interface
#   director/sched/      the schedulers (scheduler.h brings the service,
#                        packet and address types)
#   director/nflvsadm/   the CLI: the control protocol and common/ only
#   director/tundecap/   nflvs-tundecap, the real server's BPF decapsulator:
#                        the BPF maps' header only
#   healthcheck/         the checker
#   import/              nflvs-import-keepalived: common/ only
# Tests see what they test.
INC_common            := -Iinclude -Icommon
INC_director          := $(INC_common) -Idirector -Idirector/sched
INC_director/sched    := $(INC_common) -Idirector/sched
INC_director/nflvsadm := $(INC_common) -Idirector/nflvsadm
INC_director/tundecap := -Idirector/bpf
INC_healthcheck       := $(INC_common) -Ihealthcheck
INC_import            := $(INC_common) -Iimport
INC_tests/unit        := $(INC_director) -Idirector/nflvsadm -Ihealthcheck -Iimport -Itests/unit
INC_tests/e2e         := $(INC_common) -Itests/e2e
INC_tests/helpers     := $(INC_common) -Itests/helpers
INC_tests/bench       := $(INC_director)
INC_tests/fuzz        := $(INC_director) -Idirector/nflvsadm -Ihealthcheck
inc = $(or $(INC_$(patsubst %/,%,$(dir $(1)))),$(error $(1): no include path for its folder))

# director/: the daemon (main.c + the rest), its schedulers in sched/ and
# nflvsadm in nflvsadm/; healthcheck/: the checker (main.c + the rest);
# import/: the keepalived converter.  Everything but the mains is linked
# into the unit tests.
COMMON_SRC   := $(wildcard common/*.c)
DIRLIB_SRC   := $(filter-out director/main.c,$(wildcard director/*.c director/sched/*.c))
ADMLIB_SRC   := $(filter-out director/nflvsadm/nflvsadm.c,$(wildcard director/nflvsadm/*.c))
HCLIB_SRC    := $(filter-out healthcheck/main.c,$(wildcard healthcheck/*.c))
IMPLIB_SRC   := $(filter-out import/main.c,$(wildcard import/*.c))
UNIT_SRC     := $(wildcard tests/unit/*_test.c)
E2E_SRC      := $(wildcard tests/e2e/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ   := $(call obj,$(COMMON_SRC))
# the TUN encapsulator's BPF object, embedded (director/tunbpf.h)
DIRLIB_OBJ   := $(call obj,$(DIRLIB_SRC)) $(BUILD)/obj/director/bpf/tun_encap.blob.o
ADMLIB_OBJ   := $(call obj,$(ADMLIB_SRC))
HCLIB_OBJ    := $(call obj,$(HCLIB_SRC))
IMPLIB_OBJ   := $(call obj,$(IMPLIB_SRC))

PROGS := $(BUILD)/nflvs-director
PROGS += $(BUILD)/nflvsadm
PROGS += $(BUILD)/nflvs-healthcheck
PROGS += $(BUILD)/nflvs-import-keepalived
PROGS += $(BUILD)/nflvs-tundecap
TEST_PROGS := $(BUILD)/tests/unit $(BUILD)/tests/e2e $(BUILD)/tests/nflvs-testnet \
	      $(BUILD)/tests/nflvs-decap $(BUILD)/tests/nflvs-rawpkt \
	      $(BUILD)/tests/sched-bench $(BUILD)/tests/nflvs-memfill

all: $(PROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(call inc,$<) $(CFLAGS) -c -o $@ $<

# BPF programs: clang for the BPF target, the kernel's UAPI headers (the
# multiarch folder as gcc names it: clang says x86_64-pc-linux-gnu).
CLANG   ?= clang
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -mcpu=v3 \
	      -I/usr/include/$(shell gcc -dumpmachine) -Idirector/bpf

$(BUILD)/bpf/%.bpf.o: director/bpf/%.bpf.c director/bpf/tunbpf.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

# kept: the embedded copy is made from it
.SECONDARY: $(BUILD)/bpf/tun_encap.bpf.o $(BUILD)/bpf/tun_decap.bpf.o

# an object file holding another's bytes, between two symbols
$(BUILD)/obj/director/bpf/%.blob.o: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  EMBED   $<")
	$(Q)printf '\t.section .rodata\n\t.balign 8\n\t.globl nflvs_%s_obj\nnflvs_%s_obj:\n\t.incbin "%s"\n\t.globl nflvs_%s_obj_end\nnflvs_%s_obj_end:\n\t.section .note.GNU-stack,"",@progbits\n' \
		$* $* $< $* $* | $(CC) -c -x assembler -o $@ -

$(BUILD)/nflvs-director: $(call obj,director/main.c) $(DIRLIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/nflvsadm: $(call obj,director/nflvsadm/nflvsadm.c) $(ADMLIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/nflvs-healthcheck: $(call obj,healthcheck/main.c) $(HCLIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the real server's BPF decapsulator (nflvs-realserver tun up)
$(BUILD)/nflvs-tundecap: $(call obj,director/tundecap/tundecap.c) \
			 $(BUILD)/obj/director/bpf/tun_decap.blob.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lbpf

# import/: nflvs-import-keepalived, keepalived.conf to nflvs.conf
$(BUILD)/nflvs-import-keepalived: $(call obj,import/main.c) $(IMPLIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

# Tests ------------------------------------------------------------------

$(BUILD)/tests/unit: $(call obj,$(UNIT_SRC)) $(DIRLIB_OBJ) $(ADMLIB_OBJ) $(HCLIB_OBJ) $(IMPLIB_OBJ) \
		     $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(BUILD)/tests/e2e: $(call obj,$(E2E_SRC)) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(BUILD)/tests/nflvs-testnet: $(call obj,tests/helpers/testnet.c tests/helpers/tool.c) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/nflvs-decap: $(call obj,tests/helpers/decap.c tests/helpers/tool.c) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/nflvs-rawpkt: $(call obj,tests/helpers/rawpkt.c tests/helpers/tool.c) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/sched-bench: $(call obj,tests/bench/sched_bench.c) $(DIRLIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/nflvs-memfill: $(call obj,tests/bench/memfill.c) $(DIRLIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: $(PROGS) $(TEST_PROGS)

# `check` first installs what is missing, then re-enters make so that the
# pkg-config flags above are computed with the packages present.
check:
	$(Q)contrib/install-deps.sh $$([ "$$(id -u)" -eq 0 ] && echo --deb --pkg)
	$(Q)$(MAKE) --no-print-directory run-tests

run-tests: tests
	$(Q)NFLVS_BUILD=$(BUILD) tests/run-tests.sh

demo:
	$(Q)contrib/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tests/nflvs-testnet
	$(Q)contrib/demo.sh

bench:
	$(Q)contrib/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tests/bench/run.sh

UNITS    := nflvs-director.service nflvs-healthcheck.service
EXAMPLES := conf/nat.conf conf/dr.conf conf/tun.conf

# The programs, nflvs-realserver, the man pages, the systemd units (with
# this install's paths), the example configs, and conf/nat.conf as
# SYSCONFDIR/nflvs/nflvs.conf unless that exists: it is the admin's.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/nflvs
	install -m 0755 $(PROGS) contrib/nflvs-realserver $(DESTDIR)$(SBINDIR)/
	install -m 0644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	for u in $(UNITS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			contrib/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	test -e $(DESTDIR)$(SYSCONFDIR)/nflvs/nflvs.conf || \
		install -m 0644 conf/nat.conf $(DESTDIR)$(SYSCONFDIR)/nflvs/nflvs.conf

# Debian packages in build/deb/ (contrib/build-deb.sh), checked by lintian.
deb:
	$(Q)contrib/install-deps.sh --deb
	$(Q)contrib/build-deb.sh

# For contrib/build-deb.sh: the pkg-config modules the programs link.
print-pkgs:
	@echo $(PKGS)

# Only the package's test (also part of check): a fresh Debian 12 root,
# the package installed, its units run by a real systemd in a container,
# then purged (tests/pkg/deb.sh).
check-pkg: deb
	$(Q)contrib/install-deps.sh --pkg
	$(Q)tests/pkg/deb.sh

clean:
	rm -rf $(BUILD)

.PHONY: all check run-tests tests demo bench install clean deb check-pkg print-pkgs

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzzing (clang, libFuzzer, ASan, UBSan): `make fuzz` builds every
# tests/fuzz/*_fuzz.c as build-fuzz/fuzz/NAME, linked with everything the
# unit tests link; `make fuzz-run` runs each on its seeds in
# tests/fuzz/corpus/NAME for FUZZ_SECONDS (tests/fuzz/run.sh).
FUZZ_SRC     := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 30

fuzz:
	$(Q)contrib/install-deps.sh --fuzz
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-targets

fuzz-targets: $(FUZZ_TARGETS)

fuzz-run: fuzz
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(notdir $(FUZZ_TARGETS))

build-fuzz/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(DIRLIB_OBJ) $(ADMLIB_OBJ) $(HCLIB_OBJ) \
		   $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the targets' objects stay, so that a rebuild relinks only what changed
.SECONDARY: $(patsubst tests/fuzz/%.c,build-fuzz/obj/tests/fuzz/%.o,$(FUZZ_SRC))

.PHONY: fuzz fuzz-targets fuzz-run
