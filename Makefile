# SPDX-License-Identifier: GPL-2.0
#
# smartio top-level Makefile.
#
#   make            build the module for every supported Debian kernel whose
#                   headers are installed (KDIR=/path/to/build builds one)
#   make check      install what is missing, build, run every test in QEMU
#   make demo       install what is missing, boot the emulated fabric, show it
#   make bench      run the benchmarks and print their numbers
#
# Nothing here loads a module on the build host.

VERSION := $(shell cat $(CURDIR)/VERSION)
BUILD   ?= $(CURDIR)/build

# The kernel versions we support, resolved from the installed headers.
KVERS ?= $(shell $(CURDIR)/scripts/kernels.sh 2>/dev/null)

ifneq ($(KDIR),)
all:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/src SMARTIO_VERSION=$(VERSION) modules
else
all:
	@test -n "$(KVERS)" || { echo "no supported kernel headers: run scripts/deps.sh"; exit 1; }
	@set -e; for v in $(KVERS); do \
		echo "== building for $$v"; \
		rm -rf $(BUILD)/$$v/src; mkdir -p $(BUILD)/$$v/src; \
		cp $(CURDIR)/src/*.c $(CURDIR)/src/*.h $(CURDIR)/src/Kbuild $(BUILD)/$$v/src/; \
		kdir=/lib/modules/$$v/build; \
		[ -e $$kdir/Makefile ] || kdir=$(BUILD)/kernels/$$v/root/lib/modules/$$v/build; \
		$(MAKE) -C $$kdir M=$(BUILD)/$$v/src \
			SMARTIO_VERSION=$(VERSION) W=$(W) C=$(C) modules; \
		cp $(BUILD)/$$v/src/smartio.ko $(BUILD)/$$v/src/smartio_emul.ko $(BUILD)/$$v/; \
	done
endif

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

.PHONY: all deps check demo bench clean
