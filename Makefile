# shrinkbox — see README.md.
#   make            dynamic build against Debian's -dev packages (fast loop)
#   make static     fully static musl build (libraries built from Debian sources)
#   make check      every test level this machine supports; closing line "N passed, N failed"
#   make install DESTDIR=...
#   make deb / make rpm   the packages, from a clean tree (git archive of HEAD), in build/pkg

# A top-level VERSION file, when there is one, else this default (src/version.h has the same).
VERSION    ?= $(or $(shell cat VERSION 2>/dev/null),0.1)
CC         ?= cc
PKG_CONFIG ?= pkg-config
LIBS_PC    := libcryptsetup devmapper blkid fdisk popt json-c
WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wno-missing-field-initializers
CPPFLAGS   += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DSHRINKBOX_VERSION='"$(VERSION)"'
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 $(WARN)

SRCS       := $(wildcard src/*.c src/*/*.c)
LIB_SRCS   := $(filter-out src/main.c,$(SRCS))

# The test hooks (src/util/teststop.h: SHRINKBOX_TEST_STOP_AFTER, SHRINKBOX_TEST_FAIL) are in
# a build only with TEST_HOOKS=1, as the loop and VM suites build; make install and make static
# build without them. Only teststop.c changes with the flag: its two objects live side by side,
# and a stamp holding the flavour relinks the binary whenever the flavour differs from the last
# link's.
TEST_HOOKS ?=
HOOKS      := $(if $(filter 1,$(TEST_HOOKS)),hooks,plain)
OBJS       := $(filter-out build/dyn/src/util/teststop.o,$(SRCS:%.c=build/dyn/%.o)) \
              build/dyn/teststop-$(HOOKS).o
FLAVOUR    := build/dyn/flavour
$(shell mkdir -p build/dyn && { [ "$$(cat $(FLAVOUR) 2>/dev/null)" = $(HOOKS) ] || \
	echo $(HOOKS) >$(FLAVOUR); })

PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
# Applet links live apart from $(SBINDIR): pvresize and lvresize would otherwise
# shadow lvm2's tools of the same name, which mean something else.
APPLETDIR  ?= $(PREFIX)/lib/shrinkbox/bin

.PHONY: all static check unit loopcheck vmcheck fuzz fuzz-smoke install clean demo man
all: shrinkbox

shrinkbox: $(OBJS) $(FLAVOUR)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(shell $(PKG_CONFIG) --libs $(LIBS_PC))

build/dyn/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(LIBS_PC)) -MMD -MP -c -o $@ $<

build/dyn/teststop-hooks.o: CPPFLAGS += -DSHRINKBOX_TEST_HOOKS
build/dyn/teststop-hooks.o build/dyn/teststop-plain.o: src/util/teststop.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)

# ---- static (musl) -------------------------------------------------------
STATIC_DIR := build/static
static: $(STATIC_DIR)/env.mk
	$(MAKE) -f Makefile.static STATIC_DIR=$(STATIC_DIR) VERSION=$(VERSION)

$(STATIC_DIR)/env.mk: scripts/build-static-deps.sh
	scripts/build-static-deps.sh $(abspath $(STATIC_DIR))

# ---- tests ---------------------------------------------------------------
UNIT_SRCS  := $(wildcard tests/unit/*.c)
SAN        := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The unit tests exercise the test hooks too (the table writer's write log): always with them.
build/unit/run-unit: $(UNIT_SRCS) $(LIB_SRCS) $(wildcard src/*.h src/*/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DSHRINKBOX_TEST_HOOKS -std=gnu11 $(WARN) -O1 -g $(SAN) -Isrc \
		$(shell $(PKG_CONFIG) --cflags $(LIBS_PC)) -o $@ $(UNIT_SRCS) $(LIB_SRCS) \
		$(shell $(PKG_CONFIG) --libs $(LIBS_PC))

unit: build/unit/run-unit
	build/unit/run-unit tests/data

loopcheck: shrinkbox
	tests/loop/run.sh

vmcheck:
	tests/vm/run.sh

check: shrinkbox build/unit/run-unit
	tests/run-all.sh

demo: shrinkbox
	scripts/demo.sh

# ---- fuzzing (clang libFuzzer) ---------------------------------------------
FUZZ_TARGETS := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz-*.c))
build/fuzz/%: fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc \
		$(shell $(PKG_CONFIG) --cflags $(LIBS_PC)) -o $@ $< \
		$(filter src/lvm/% src/util/% src/layer/sysfs.c,$(LIB_SRCS))
fuzz: $(FUZZ_TARGETS)
fuzz-smoke: fuzz
	scripts/fuzz-smoke.sh $(FUZZ_SECONDS)

# ---- manual ----------------------------------------------------------------
# man/shrinkbox.8 is generated, by the binary itself, from man/shrinkbox.8.in
# and the help text beside each applet's options (src/applet/help.h), and
# committed; the unit test man_page_current fails when it is stale.
man: shrinkbox
	./shrinkbox --man man/shrinkbox.8.in >man/shrinkbox.8.tmp
	mv man/shrinkbox.8.tmp man/shrinkbox.8

# ---- install ---------------------------------------------------------------
# INSTALL_BIN: the binary make install installs, the dynamic build unless told (the packages
# install the static one, make install-package). Its --list names the applet links.
INSTALL_BIN   ?= shrinkbox
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
install: $(INSTALL_BIN)
	install -D -m 0755 $(INSTALL_BIN) $(DESTDIR)$(SBINDIR)/shrinkbox
	install -d $(DESTDIR)$(APPLETDIR)
	for a in $$($(DESTDIR)$(SBINDIR)/shrinkbox --list); do \
		ln -sf $(SBINDIR)/shrinkbox $(DESTDIR)$(APPLETDIR)/$$a; done
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/

# The bash completion, generated from the installed binary's --list and each applet's --help.
.PHONY: install-completion install-package deb rpm print-version
install-completion:
	install -d $(DESTDIR)$(COMPLETIONDIR)
	packaging/gen-completion.sh $(DESTDIR)$(SBINDIR)/shrinkbox \
		>$(DESTDIR)$(COMPLETIONDIR)/shrinkbox
	chmod 0644 $(DESTDIR)$(COMPLETIONDIR)/shrinkbox

# What the packages contain (debian/rules, packaging/shrinkbox.spec), from an existing
# make static: the static binary and its applet links, the manual, the boot script, the
# dracut module, the initramfs-tools hook and script, the bash completion.
install-package:
	$(MAKE) install INSTALL_BIN=$(STATIC_DIR)/shrinkbox
	$(MAKE) install-boot install-completion

# ---- packages ----------------------------------------------------------------
# From a clean tree: git archive of HEAD (uncommitted changes are not in it), then
# dpkg-buildpackage -b or rpmbuild -bb there; the static libraries are seeded from this
# tree's build/static when it has them (packaging/seed-static-deps.sh). Output in build/pkg.
PKG_OUT    := build/pkg
# What the packages are versioned by (packaging/mkpkg.sh asks, rather than parse this file).
print-version:
	@echo $(VERSION)

deb:
	packaging/mkpkg.sh deb $(PKG_OUT)
rpm:
	packaging/mkpkg.sh rpm $(PKG_OUT)

clean:
	rm -rf build/dyn build/unit build/fuzz shrinkbox

# ---- boot integration --------------------------------------------------------
# The boot script both initramfs generators run, the dracut module, and the
# initramfs-tools hook and local-premount script (README "Boot integration").
# The binary itself comes from make install (or the static build).
BOOTDIR    := dracut/modules.d/90shrinkbox
.PHONY: install-boot
install-boot:
	install -D -m 0755 $(BOOTDIR)/shrinkbox-boot.sh $(DESTDIR)/usr/lib/shrinkbox/shrinkbox-boot.sh
	install -d $(DESTDIR)/usr/lib/dracut/modules.d/90shrinkbox
	install -m 0755 $(BOOTDIR)/*.sh $(DESTDIR)/usr/lib/dracut/modules.d/90shrinkbox/
	install -D -m 0644 dracut/dracut.conf.d/50-shrinkbox.conf \
		$(DESTDIR)/usr/lib/dracut/dracut.conf.d/50-shrinkbox.conf
	install -D -m 0755 initramfs/hooks/shrinkbox \
		$(DESTDIR)/usr/share/initramfs-tools/hooks/shrinkbox
	install -D -m 0755 initramfs/scripts/local-premount/shrinkbox \
		$(DESTDIR)/usr/share/initramfs-tools/scripts/local-premount/shrinkbox
	install -D -m 0644 packaging/systemd/shrinkbox-grow.service \
		$(DESTDIR)/usr/lib/systemd/system/shrinkbox-grow.service
