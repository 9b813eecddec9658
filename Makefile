# SPDX-License-Identifier: GPL-2.0
#
# smartio top-level Makefile.
#
#   make            build smartio.ko, smartio_port.ko and smartio_emul.ko for the running
#                   kernel (KVER=<release> for another installed one,
#                   KDIR=/path/to/kernel/build for any kernel tree)
#   make matrix     build them for every supported Debian kernel whose
#                   headers are installed (what make check tests), or for
#                   the releases in KVERS="a b"
#   make install    install the modules (for KVER, default the running
#                   kernel) under /lib/modules/KVER/updates and run depmod,
#                   and smartio_tool, its man pages, bash completion, the
#                   smartio-apply.service unit and example configuration
#                   under PREFIX (default /usr/local);
#                   DESTDIR stages it all elsewhere (then without depmod)
#   make uninstall  remove what make install installed
#   make deb        Debian packages smartio-dkms, smartio-emul-dkms (tests
#                   only) and smartio-tools and the source package, in
#                   build/deb (debhelper, dh-dkms); version: debian/changelog
#   make dist       the release tarball build/smartio-<version>.tar.xz, from
#                   which "make deb" builds the same packages
#   make check      install what is missing, build, run every test in QEMU
#   make demo       install what is missing, boot the emulated fabric, show it
#   make bench      run the benchmarks and print their numbers
#
# Built modules land in build/<kernel release>/. Nothing here loads a
# module on the build host.

VERSION := $(shell cat $(CURDIR)/VERSION)
BUILD   ?= $(CURDIR)/build
MODULES := smartio smartio_port smartio_emul

# The kernel to build for: KDIR's release, else KVER, else the running one.
ifneq ($(KDIR),)
KVER    := $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
else
KVER    ?= $(shell uname -r)
KDIR    := $(wildcard /lib/modules/$(KVER)/build)
endif

PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
COMPDIR ?= $(DATADIR)/bash-completion/completions
MODDIR  ?= /lib/modules/$(KVER)/updates
DOCDIR  ?= $(DATADIR)/doc/smartio
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVDIR ?= $(PREFIX)/lib/udev/rules.d
INSTALL ?= install

# build_one KVER KDIR: both modules into $(BUILD)/KVER, W= and C= passed on.
define build_one
	set -e; \
	echo "== building for $(1)"; \
	rm -rf $(BUILD)/$(1)/src; mkdir -p $(BUILD)/$(1)/src; \
	cp $(CURDIR)/src/*.c $(CURDIR)/src/*.h $(CURDIR)/src/Kbuild $(BUILD)/$(1)/src/; \
	$(MAKE) -C $(2) M=$(BUILD)/$(1)/src SMARTIO_VERSION=$(VERSION) \
		CONFIG_SMARTIO_EMUL=m W=$(W) C=$(C) modules; \
	for m in $(MODULES); do cp $(BUILD)/$(1)/src/$$m.ko $(BUILD)/$(1)/; done
endef

ifneq ($(KVERS),)
# An explicit list of releases: the matrix.
all: matrix
else
all:
	@if [ -n "$(KDIR)" ] && [ -z "$(KVER)" ]; then \
		echo "$(KDIR) is not a configured kernel build tree (no include/generated/utsrelease.h)."; \
		exit 1; \
	fi
	@if [ -z "$(KDIR)" ] || [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "No kernel build tree for $(KVER) (/lib/modules/$(KVER)/build)."; \
		echo "Install its headers: apt-get install linux-headers-$(KVER)"; \
		echo "or pass KDIR=/path/to/kernel/build (KVER=<release> for another installed kernel)."; \
		exit 1; \
	fi
	@$(call build_one,$(KVER),$(KDIR))
endif

# The supported Debian kernels, resolved from the installed headers.
matrix: KVERS ?= $(shell $(CURDIR)/scripts/kernels.sh 2>/dev/null)
matrix:
	@test -n "$(KVERS)" || { echo "no supported kernel headers: run scripts/deps.sh"; exit 1; }
	@set -e; for v in $(KVERS); do \
		kdir=/lib/modules/$$v/build; \
		[ -e $$kdir/Makefile ] || kdir=$(BUILD)/kernels/$$v/root/lib/modules/$$v/build; \
		$(call build_one,$$v,$$kdir); \
	done

install: install-modules install-tools

install-modules:
	@for m in $(MODULES); do [ -e $(BUILD)/$(KVER)/$$m.ko ] || { \
		echo "$(BUILD)/$(KVER)/$$m.ko not built: run make (KVER=$(KVER)) first"; exit 1; }; done
	$(INSTALL) -d $(DESTDIR)$(MODDIR)
	$(INSTALL) -m 644 $(foreach m,$(MODULES),$(BUILD)/$(KVER)/$(m).ko) $(DESTDIR)$(MODDIR)/
	$(if $(DESTDIR),,depmod -a $(KVER))

# Everything but the modules (the smartio-tools package).
install-tools:
	$(INSTALL) -D -m 755 scripts/smartio_tool $(DESTDIR)$(SBINDIR)/smartio_tool
	$(INSTALL) -D -m 644 Documentation/man/smartio_tool.8 $(DESTDIR)$(MANDIR)/man8/smartio_tool.8
	$(INSTALL) -D -m 644 Documentation/man/smartio.4 $(DESTDIR)$(MANDIR)/man4/smartio.4
	$(INSTALL) -D -m 644 scripts/completion/smartio_tool $(DESTDIR)$(COMPDIR)/smartio_tool
	$(INSTALL) -D -m 644 Documentation/examples/modules-load.d/smartio.conf \
		$(DESTDIR)$(DOCDIR)/examples/modules-load.d/smartio.conf
	$(INSTALL) -D -m 644 Documentation/examples/modprobe.d/smartio.conf \
		$(DESTDIR)$(DOCDIR)/examples/modprobe.d/smartio.conf
	$(INSTALL) -D -m 644 Documentation/examples/smartio/policy \
		$(DESTDIR)$(DOCDIR)/examples/smartio/policy
	$(INSTALL) -D -m 644 Documentation/smartio.rst $(DESTDIR)$(DOCDIR)/smartio.rst
	$(INSTALL) -D -m 644 Documentation/ABI/testing/sysfs-bus-smartio \
		$(DESTDIR)$(DOCDIR)/ABI/sysfs-bus-smartio
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVDIR)
	sed 's|/usr/sbin/smartio_tool|$(SBINDIR)/smartio_tool|' scripts/systemd/smartio-apply.service \
		> $(DESTDIR)$(UNITDIR)/smartio-apply.service
	chmod 644 $(DESTDIR)$(UNITDIR)/smartio-apply.service
	sed 's|/usr/sbin/smartio_tool|$(SBINDIR)/smartio_tool|' scripts/udev/90-smartio.rules \
		> $(DESTDIR)$(UDEVDIR)/90-smartio.rules
	chmod 644 $(DESTDIR)$(UDEVDIR)/90-smartio.rules

uninstall:
	rm -f $(foreach m,$(MODULES),$(DESTDIR)$(MODDIR)/$(m).ko)
	-rmdir $(DESTDIR)$(MODDIR) 2>/dev/null
	$(if $(DESTDIR),,depmod -a $(KVER))
	rm -f $(DESTDIR)$(SBINDIR)/smartio_tool
	rm -f $(DESTDIR)$(MANDIR)/man8/smartio_tool.8 $(DESTDIR)$(MANDIR)/man4/smartio.4
	rm -f $(DESTDIR)$(COMPDIR)/smartio_tool
	rm -f $(DESTDIR)$(UNITDIR)/smartio-apply.service $(DESTDIR)$(UDEVDIR)/90-smartio.rules
	rm -rf $(DESTDIR)$(DOCDIR)

# Debian source and binary packages (smartio-dkms, smartio-tools) in
# $(BUILD)/deb, from the tracked files of this tree and VERSION alone.
deb:
	$(CURDIR)/scripts/mkdeb.sh

dist:
	$(CURDIR)/scripts/mkdeb.sh --dist

deps:
	$(CURDIR)/scripts/deps.sh

check:
	$(CURDIR)/scripts/check.sh

demo:
	$(CURDIR)/scripts/demo.sh

bench:
	$(CURDIR)/scripts/bench/run.sh

clean:
	rm -rf $(BUILD)
	rm -f src/*.o src/*.ko src/*.mod* src/.*.cmd src/modules.order src/Module.symvers

.PHONY: all matrix install install-modules install-tools uninstall deb dist deps check demo bench clean
