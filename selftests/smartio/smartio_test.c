// SPDX-License-Identifier: GPL-2.0
/*
 * smartio sysfs ABI and kernel behaviour, run as root inside the QEMU guest
 * booted with the "basic" fabric: one NVMe behind the emulated adapter's
 * switch, one empty hot-plug slot, one native NVMe in domain 0000.
 *
 * SMARTIO_KO names the module (default /smartio/smartio.ko), SMARTIO_EMUL_KO
 * the emulated adapter backend (default /smartio/smartio_emul.ko).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smartio_util.h"

#define BUS		"/sys/bus/smartio"
#define DEVS		BUS "/devices"
#define PCI_DEVS	"/sys/bus/pci/devices"
#define CLASS_NVME	0x010802
#define CYCLES		20
#define MAX_WINDOWS	8
/*
 * Waits and timeouts are generous: the debug kernel (KASAN, lockdep) under
 * TCG is ten times slower than the distribution kernels. They only matter
 * when something is stuck.
 */
#define WAIT_STEPS	1800		/* of 100 ms */
#define SLOW		10		/* test timeouts, in the harness default */

/* Returns 0 or the errno of the write, as user space sees it. */
static int write_attr(const char *path, const char *val, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = write(fd, val, len);
	if (n < 0)
		err = errno;
	close(fd);
	return err;
}

static int write_str(const char *path, const char *val)
{
	return write_attr(path, val, strlen(val));
}

static int dev_attr(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DEVS "/%s/%s", dev, attr);
	return read_attr(path, buf, len);
}

static int dev_write(const char *dev, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DEVS "/%s/%s", dev, attr);
	return write_str(path, val);
}

static bool module_loaded(void)
{
	return access(BUS, F_OK) == 0;
}

/* smartio.ko with @params, then the emulated adapter backend. */
static int load_module(const char *params)
{
	return run("insmod %s %s && insmod %s", ko_path(),
		   params ? params : "", emul_ko_path());
}

/*
 * A kernel with DEBUG_KOBJECT_RELEASE removes a driver's or a bus's sysfs
 * directory only at its delayed release: a load before then finds the
 * name taken ("cannot create duplicate filename"). Wait up to 10 s.
 */
static void wait_gone(const char *path)
{
	int i;

	for (i = 0; i < 100 && access(path, F_OK) == 0; i++)
		usleep(100000);
}

static int unload_module(void)
{
	int ret = 0;

	/* The backend first: it depends on smartio. */
	if (access("/sys/module/smartio_emul", F_OK) == 0)
		ret = run("rmmod smartio_emul");
	ret = ret ? ret : run("rmmod smartio");
	if (!ret) {
		wait_gone("/sys/bus/pci/drivers/smartio_emul");
		wait_gone(BUS);
	}
	return ret;
}

/* Fabric devices of the pool: the entries of devices/ that are not adapters. */
static int fabric_devices(char names[][32], int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(DEVS);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "adapter", 7))
			continue;
		if (n < max)
			snprintf(names[n], 32, "%.31s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static bool find_class(unsigned long class, char *name)
{
	char names[64][32], buf[64];
	int i, n;

	n = fabric_devices(names, 64);
	for (i = 0; i < n && i < 64; i++) {
		if (dev_attr(names[i], "class", buf, sizeof(buf)))
			continue;
		if (strtoul(buf, NULL, 16) == class) {
			strcpy(name, names[i]);
			return true;
		}
	}
	return false;
}

static int do_scan(void)
{
	return write_str(BUS "/scan", "1");
}

/* The local PCI address ("10000:83:00.0") of a borrowed device. */
static int local_address(const char *dev, char *addr, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), DEVS "/%s/pci_dev", dev);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(addr, len, "%s", strrchr(target, '/') + 1);
	return 0;
}

static bool pci_exists(const char *addr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVS "/%s", addr);
	return access(path, F_OK) == 0;
}

/*
 * Waits for the namespace block device below a borrowed NVMe. Any
 * namespace instance: on the debug kernel a lingering NVM subsystem may
 * give it n2. Hidden multipath paths (nvmeXcYnZ) have no device node.
 */
static int wait_blockdev(const char *dev, char *blk, size_t len)
{
	char pattern[PATH_MAX];
	glob_t g;
	size_t j;
	int i;

	snprintf(pattern, sizeof(pattern),
		 DEVS "/%s/pci_dev/nvme/nvme*/nvme*n[0-9]*", dev);
	for (i = 0; i < WAIT_STEPS; i++) {
		if (glob(pattern, 0, NULL, &g) == 0) {
			for (j = 0; j < g.gl_pathc; j++) {
				snprintf(blk, len, "/dev/%s",
					 strrchr(g.gl_pathv[j], '/') + 1);
				if (access(blk, F_OK) == 0) {
					globfree(&g);
					return 0;
				}
			}
			globfree(&g);
		}
		usleep(100000);
	}
	return -ETIMEDOUT;
}

static void return_all(void)
{
	char names[64][32], buf[32];
	int i, n;

	if (!module_loaded())
		return;
	write_str(BUS "/autoborrow_transparent", "0");
	n = fabric_devices(names, 64);
	for (i = 0; i < n && i < 64; i++)
		if (!dev_attr(names[i], "state", buf, sizeof(buf)) &&
		    !strcmp(buf, "borrowed"))
			dev_write(names[i], "return", "1");
}

struct window {
	unsigned long long start, end;
};

static int read_aperture(struct window *w, int max)
{
	char buf[512], *line, *save = NULL;
	int n = 0;

	if (read_attr(DEVS "/adapter0/aperture", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char type[8];

		if (sscanf(line, "%7s %llx-%llx", type, &w[n].start,
			   &w[n].end) == 3)
			n++;
	}
	return n;
}

/* Sum of active objects of the kmalloc caches, per cache, from slabinfo. */
static int slab_counts(char names[][32], long *counts, int max)
{
	char line[512];
	FILE *f;
	int n = 0;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		char name[64];
		long active;

		if (sscanf(line, "%63s %ld", name, &active) != 2)
			continue;
		if (strncmp(name, "kmalloc-", 8))
			continue;
		snprintf(names[n], 32, "%.31s", name);
		counts[n++] = active;
	}
	fclose(f);
	return n;
}

static void settle(void)
{
	run("sync; echo 3 > /proc/sys/vm/drop_caches");
	sleep(1);
}

/* Fails if any kmalloc cache grew by at least one object per cycle. */
static int slab_grown(char before_names[][32], long *before, int nb, int cycles,
		      char *culprit)
{
	char names[64][32];
	long after[64];
	int i, j, na;

	na = slab_counts(names, after, 64);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (!strcmp(names[i], before_names[j]) &&
			    after[i] - before[j] >= cycles) {
				sprintf(culprit, "%s %ld -> %ld", names[i],
					before[j], after[i]);
				return 1;
			}
	return 0;
}

/*
 * Where kmemleak exists (the debug kernel), KASAN's quarantine holds freed
 * objects, which /proc/slabinfo still counts as active: slab counts say
 * nothing there, so kmemleak decides, by what nobody references.
 */
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

static bool have_kmemleak(void)
{
	return access(KMEMLEAK, W_OK) == 0;
}

/* Forgets what kmemleak reported so far. */
static void leak_mark(void)
{
	if (have_kmemleak())
		write_str(KMEMLEAK, "clear");
}

/* Counts unreferenced objects with smartio in their backtrace. */
static int kmemleak_smartio(char *culprit, size_t len)
{
	char line[256], first[128] = "";
	bool named = false;
	int n = 0;
	FILE *f;

	/* An object is reported once it stayed unreferenced over two scans. */
	write_str(KMEMLEAK, "scan");
	sleep(6);
	write_str(KMEMLEAK, "scan");
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19)) {
			n += named;
			named = false;
			snprintf(first, sizeof(first), "%.100s", line);
		} else if (strstr(line, "smartio") && !named) {
			named = true;
			if (!*culprit)
				snprintf(culprit, len, "%.100s", first);
		}
	}
	fclose(f);
	return n + named;
}

/* 0 if nothing leaked over @cycles cycles, see slab_grown(). */
static int leaked(char names[][32], long *before, int nb, int cycles,
		  char *culprit)
{
	if (have_kmemleak())
		return kmemleak_smartio(culprit, 128);
	return slab_grown(names, before, nb, cycles, culprit);
}

/* Loading and the fabric before smartio acts */

/* Tests without the module loaded; a fixture only for its timeout. */
FIXTURE(bare) {
};

FIXTURE_SETUP(bare)
{
}

FIXTURE_TEARDOWN(bare)
{
}

TEST_F_TIMEOUT(bare, fabric_hidden_without_smartio, 30 * SLOW)
{
	bool native = false, fabric = false;
	struct dirent *de;
	DIR *d;

	if (module_loaded())
		ASSERT_EQ(0, unload_module());

	d = opendir(PCI_DEVS);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		char path[PATH_MAX], buf[32];
		unsigned int dom, bus;

		if (sscanf(de->d_name, "%x:%x:", &dom, &bus) != 2)
			continue;
		if (bus >= 0x80 || dom >= 0x10000)
			fabric = true;
		snprintf(path, sizeof(path), PCI_DEVS "/%s/class", de->d_name);
		if (!read_attr(path, buf, sizeof(buf)) &&
		    strtoul(buf, NULL, 16) == CLASS_NVME && dom == 0)
			native = true;
	}
	closedir(d);
	EXPECT_TRUE(native) TH_LOG("the native NVMe must be enumerated");
	EXPECT_FALSE(fabric) TH_LOG("no fabric device may be visible");
}

TEST_F_TIMEOUT(bare, load_unload, 30 * SLOW)
{
	char buf[64];

	if (module_loaded())
		ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module(NULL));
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/backend", buf, sizeof(buf)));
	EXPECT_STREQ("emul", buf);
	ASSERT_EQ(0, unload_module());
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access(DEVS "/adapter0", F_OK));
}

/*
 * A scan that can reach no fabric fails, so that a plain write of "scan"
 * says so: ENODEV without an adapter, ENOLINK with every link down.
 */
TEST_F_TIMEOUT(bare, scan_fails_without_a_fabric_to_scan, 60 * SLOW)
{
	char buf[64];

	if (module_loaded())
		ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, run("insmod %s", ko_path()));
	EXPECT_EQ(ENODEV, do_scan());
	ASSERT_EQ(0, run("insmod %s link_down_at_probe=1", emul_ko_path()));
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/link", buf, sizeof(buf)));
	ASSERT_STREQ("down", buf);
	EXPECT_EQ(ENOLINK, do_scan());
	EXPECT_EQ(0, fabric_devices(NULL, 0));
	ASSERT_EQ(0, unload_module());
}

/* The first scan after a load adds the whole pool; the next one nothing. */
TEST_F_TIMEOUT(bare, scan_counts_added_and_dropped, 60 * SLOW)
{
	char names[64][32], buf[64];
	int n;

	if (module_loaded())
		ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module(NULL));
	ASSERT_EQ(0, do_scan());
	n = fabric_devices(names, 64);
	ASSERT_GT(n, 0);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/scan_added", buf, sizeof(buf)));
	EXPECT_EQ(n, atoi(buf));
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/scan_dropped", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, do_scan());
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/scan_added", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/scan_dropped", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, unload_module());
}

FIXTURE(smartio) {
	char nvme[32];
};

FIXTURE_SETUP(smartio)
{
	if (!module_loaded())
		ASSERT_EQ(0, load_module(NULL));
	ASSERT_EQ(0, do_scan());
	ASSERT_TRUE(find_class(CLASS_NVME, self->nvme))
		TH_LOG("scan found no fabric NVMe");
}

FIXTURE_TEARDOWN(smartio)
{
	return_all();
}

TEST_F_TIMEOUT(smartio, adapter_attributes, 30 * SLOW)
{
	unsigned int domain, first, last;
	struct window w[MAX_WINDOWS];
	unsigned long long size, sum = 0;
	char buf[256];
	int i, n;

	ASSERT_EQ(0, read_attr(DEVS "/adapter0/domain", buf, sizeof(buf)));
	domain = strtoul(buf, NULL, 16);
	EXPECT_GE(domain, 0x10000);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/bus_range", buf, sizeof(buf)));
	n = sscanf(buf, "%x-%x", &first, &last);
	ASSERT_EQ(2, n);
	EXPECT_EQ(0x80, first);
	EXPECT_GE(last, first);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/link", buf, sizeof(buf)));
	EXPECT_STREQ("up", buf);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/aperture_size", buf, sizeof(buf)));
	size = strtoull(buf, NULL, 10);
	n = read_aperture(w, MAX_WINDOWS);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++)
		sum += w[i].end - w[i].start + 1;
	EXPECT_EQ(sum, size);
	EXPECT_GT(size, 0);
}

TEST_F_TIMEOUT(smartio, pool_holds_endpoints_only, 30 * SLOW)
{
	char names[64][32], buf[64];
	int i, n, nvmes = 0;

	n = fabric_devices(names, 64);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++) {
		unsigned long class;

		ASSERT_EQ(0, dev_attr(names[i], "class", buf, sizeof(buf)));
		class = strtoul(buf, NULL, 16);
		EXPECT_NE(0x06, class >> 16) TH_LOG("%s is a bridge", names[i]);
		if (class == CLASS_NVME)
			nvmes++;
		ASSERT_EQ(0, dev_attr(names[i], "state", buf, sizeof(buf)));
		EXPECT_STREQ("available", buf);
	}
	/* One NVMe in the first slot; the empty slot adds nothing. */
	EXPECT_EQ(1, nvmes);
	EXPECT_EQ(1, n);
}

TEST_F_TIMEOUT(smartio, fdid_is_stable_and_named, 30 * SLOW)
{
	char buf[64], before[32];

	ASSERT_EQ(0, dev_attr(self->nvme, "fdid", buf, sizeof(buf)));
	EXPECT_STREQ(self->nvme, buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "remote_address", buf, sizeof(buf)));
	EXPECT_STREQ("83:00.0", buf);
	EXPECT_STREQ("83000", self->nvme);
	strcpy(before, self->nvme);
	ASSERT_EQ(0, do_scan());
	ASSERT_TRUE(find_class(CLASS_NVME, self->nvme));
	EXPECT_STREQ(before, self->nvme);
	ASSERT_EQ(0, dev_attr(self->nvme, "vendor", buf, sizeof(buf)));
	EXPECT_STREQ("0x1b36", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "device", buf, sizeof(buf)));
	EXPECT_STREQ("0x0010", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "adapter", buf, sizeof(buf)));
	EXPECT_STREQ("adapter0", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "resources", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "0 mem64 nopref ", 15)) TH_LOG("%s", buf);
}

TEST_F_TIMEOUT(smartio, borrow_mount_return_borrow, 300 * SLOW)
{
	struct window w[MAX_WINDOWS];
	char addr[64], buf[256], path[PATH_MAX], blk[64], sum1[128], sum2[128];
	unsigned int domain;
	int i, n, bars = 0;
	FILE *f;

	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	ASSERT_EQ(0, local_address(self->nvme, addr, sizeof(addr)));
	n = sscanf(addr, "%x:", &domain);
	ASSERT_EQ(1, n);
	EXPECT_GE(domain, 0x10000);
	EXPECT_TRUE(pci_exists(addr));

	/* Every memory BAR sits inside the aperture. */
	n = read_aperture(w, MAX_WINDOWS);
	snprintf(path, sizeof(path), PCI_DEVS "/%s/resource", addr);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	for (i = 0; i < 6 && fgets(buf, sizeof(buf), f); i++) {
		unsigned long long start, end, flags;
		bool inside = false;
		int j;

		int fields = sscanf(buf, "%llx %llx %llx", &start, &end,
				    &flags);

		ASSERT_EQ(3, fields);
		if (!(flags & 0x200) || !end)	/* IORESOURCE_MEM */
			continue;
		bars++;
		for (j = 0; j < n; j++)
			if (start >= w[j].start && end <= w[j].end)
				inside = true;
		EXPECT_TRUE(inside) TH_LOG("BAR %d %llx-%llx", i, start, end);
	}
	fclose(f);
	EXPECT_GT(bars, 0);

	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver", addr);
	ASSERT_GT(readlink(path, buf, sizeof(buf) - 1), 0);
	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));

	ASSERT_EQ(0, run("mkfs.ext4 -F -q %s && mkdir -p /mnt/st", blk));
	ASSERT_EQ(0, run("mount %s /mnt/st", blk));
	ASSERT_EQ(0, run("dd if=/dev/urandom of=/mnt/st/data bs=1M count=16 status=none"));
	ASSERT_EQ(0, run("sha256sum /mnt/st/data | cut -d' ' -f1 > /tmp/st.sum1"));
	ASSERT_EQ(0, run("umount /mnt/st"));

	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
	EXPECT_FALSE(pci_exists(addr));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
	snprintf(path, sizeof(path), DEVS "/%s/pci_dev", self->nvme);
	EXPECT_NE(0, access(path, F_OK));

	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	ASSERT_EQ(0, run("mount %s /mnt/st", blk));
	ASSERT_EQ(0, run("sha256sum /mnt/st/data | cut -d' ' -f1 > /tmp/st.sum2"));
	ASSERT_EQ(0, run("umount /mnt/st"));
	ASSERT_EQ(0, read_attr("/tmp/st.sum1", sum1, sizeof(sum1)));
	ASSERT_EQ(0, read_attr("/tmp/st.sum2", sum2, sizeof(sum2)));
	EXPECT_STREQ(sum1, sum2);
	EXPECT_EQ(64, strlen(sum1));
}

/*
 * A disk below the device that is open (mounted, or open in a process)
 * refuses "return" with EBUSY, and in_use names it; "force" returns the
 * device all the same.
 */
TEST_F_TIMEOUT(smartio, return_refused_while_a_disk_is_open, 120 * SLOW)
{
	char buf[64], blk[64];
	int fd, i;

	ASSERT_EQ(0, dev_attr(self->nvme, "in_use", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	/* The kernel's partition scan of the new disk opens it a moment. */
	for (i = 0; i < WAIT_STEPS; i++) {
		ASSERT_EQ(0, dev_attr(self->nvme, "in_use", buf, sizeof(buf)));
		if (!buf[0])
			break;
		usleep(100000);
	}
	EXPECT_STREQ("", buf);

	ASSERT_EQ(0, run("mkfs.ext4 -F -q %s && mkdir -p /mnt/st && mount %s /mnt/st",
			 blk, blk));
	EXPECT_EQ(EBUSY, dev_write(self->nvme, "return", "1"));
	ASSERT_EQ(0, dev_attr(self->nvme, "in_use", buf, sizeof(buf)));
	EXPECT_STREQ(blk + strlen("/dev/"), buf);
	ASSERT_EQ(0, run("umount /mnt/st"));

	fd = open(blk, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EBUSY, dev_write(self->nvme, "return", "1\n"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_EQ(0, dev_write(self->nvme, "return", "force"));
	close(fd);
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "in_use", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
}

/*
 * pci_driver names the driver once its probe succeeded, is empty again
 * from its unbind on, and is empty in the pool.
 */
TEST_F_TIMEOUT(smartio, pci_driver_follows_the_binding, 120 * SLOW)
{
	char addr[64], buf[64], blk[64];

	ASSERT_EQ(0, dev_attr(self->nvme, "pci_driver", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, local_address(self->nvme, addr, sizeof(addr)));
	/* nvme makes its disk after its probe has returned. */
	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	ASSERT_EQ(0, dev_attr(self->nvme, "pci_driver", buf, sizeof(buf)));
	EXPECT_STREQ("nvme", buf);

	ASSERT_EQ(0, write_str("/sys/bus/pci/drivers/nvme/unbind", addr));
	ASSERT_EQ(0, dev_attr(self->nvme, "pci_driver", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	/* A bind through sysfs probes before the write returns. */
	ASSERT_EQ(0, write_str("/sys/bus/pci/drivers/nvme/bind", addr));
	ASSERT_EQ(0, dev_attr(self->nvme, "pci_driver", buf, sizeof(buf)));
	EXPECT_STREQ("nvme", buf);

	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
	ASSERT_EQ(0, dev_attr(self->nvme, "pci_driver", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
}

TEST_F_TIMEOUT(smartio, cycles_do_not_leak, 600 * SLOW)
{
	char names[64][32], culprit[128] = "", addr[64], blk[64];
	long before[64];
	int i, nb;

	/* One warm-up cycle so caches that grow once are not counted. */
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
	settle();
	leak_mark();
	nb = slab_counts(names, before, 64);
	ASSERT_GT(nb, 0);

	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
		ASSERT_EQ(0, local_address(self->nvme, addr, sizeof(addr)));
		ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)))
			TH_LOG("cycle %d", i);
		ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
		ASSERT_FALSE(pci_exists(addr));
	}
	settle();
	EXPECT_EQ(0, leaked(names, before, nb, CYCLES, culprit))
		TH_LOG("leak after %d cycles: %s", CYCLES, culprit);
}

TEST_F_TIMEOUT(smartio, bad_input_changes_nothing, 30 * SLOW)
{
	static const char * const bad[] = {
		"garbage", "\n", "2", "-1", "1x", "10", "0x1", " ", "yes",
		/* Only a return takes it, of a borrowed device. */
		"force",
	};
	const char *huge = "99999999999999999999999";
	const char *targets[3];
	char borrow[PATH_MAX], ret[PATH_MAX], buf[64];
	unsigned int i, t;

	snprintf(borrow, sizeof(borrow), DEVS "/%s/borrow", self->nvme);
	snprintf(ret, sizeof(ret), DEVS "/%s/return", self->nvme);
	targets[0] = BUS "/scan";
	targets[1] = borrow;
	targets[2] = ret;

	for (t = 0; t < ARRAY_SIZE(targets); t++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(EINVAL, write_str(targets[t], bad[i])) {
				TH_LOG("%s <- '%s'", targets[t], bad[i]);
			}
		}
		EXPECT_EQ(EINVAL, write_str(targets[t], huge));
		/* "0" is no request to scan, borrow or return. */
		EXPECT_EQ(EINVAL, write_str(targets[t], "0"));
		/* An empty write is no write. */
		EXPECT_EQ(0, write_attr(targets[t], "", 0));
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(EINVAL, write_str(BUS "/autoborrow_transparent", bad[i])) {
			TH_LOG("autoborrow_transparent <- '%s'", bad[i]);
		}
	}
	EXPECT_EQ(EINVAL, write_str(BUS "/autoborrow_transparent", huge));
	ASSERT_EQ(0, read_attr(BUS "/autoborrow_transparent", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);

	/* Return of an available device, borrow of a borrowed one. */
	EXPECT_EQ(EINVAL, dev_write(self->nvme, "return", "1"));
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	EXPECT_EQ(EBUSY, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));

	/* Unknown fdid: no such attribute to write. */
	EXPECT_EQ(ENOENT, write_str(DEVS "/fffff/borrow", "1"));
	/* Read-only attributes refuse writes. */
	EXPECT_EQ(EACCES, dev_write(self->nvme, "state", "borrowed"));
	EXPECT_EQ(EACCES, write_str(DEVS "/adapter0/domain", "1"));
	EXPECT_EQ(EACCES, write_str(DEVS "/adapter0/aperture_used", "0"));
	EXPECT_EQ(EACCES, write_str(DEVS "/adapter0/aperture_free", "0"));
	EXPECT_EQ(EACCES, dev_write(self->nvme, "fit", "0 0 fits"));
	EXPECT_EQ(EACCES, dev_write(self->nvme, "pci_driver", "nvme"));
	EXPECT_EQ(EACCES, dev_write(self->nvme, "in_use", "nvme0n1"));
	EXPECT_EQ(EACCES, write_str(DEVS "/adapter0/scan_added", "5"));
	EXPECT_EQ(EACCES, write_str(DEVS "/adapter0/scan_dropped", "5"));
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/aperture_used", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "pci_driver", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "in_use", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/scan_added", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, read_attr(DEVS "/adapter0/scan_dropped", buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
}

TEST_F_TIMEOUT(smartio, autoborrow_attribute, 120 * SLOW)
{
	char buf[64], blk[64];

	ASSERT_EQ(0, write_str(BUS "/autoborrow_transparent", "1"));
	ASSERT_EQ(0, read_attr(BUS "/autoborrow_transparent", buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	ASSERT_EQ(0, read_attr("/sys/module/smartio/parameters/autoborrow_transparent",
			       buf, sizeof(buf)));
	EXPECT_STREQ("Y", buf);
	ASSERT_EQ(0, do_scan());
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	/* Idempotent: writing the same value again is fine. */
	EXPECT_EQ(0, write_str(BUS "/autoborrow_transparent", "1"));
	ASSERT_EQ(0, write_str(BUS "/autoborrow_transparent", "0"));
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
	ASSERT_EQ(0, do_scan());
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
}

TEST_F_TIMEOUT(smartio, autoborrow_policy_filters, 120 * SLOW)
{
	char buf[256], want[256], blk[64], rule[160];

	ASSERT_EQ(0, read_attr(BUS "/autoborrow_policy", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "policy", buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	/*
	 * First match wins: the NVMe is ignored though line 4 wants it.
	 * Rules keep their lines: comments and blank lines read as empty.
	 */
	snprintf(rule, sizeof(rule),
		 "# lab\nignore vendor=0x1B36  device=0010 # the NVMe\n\n\tborrow fdid=0x0%s\n",
		 self->nvme);
	ASSERT_EQ(0, write_str(BUS "/autoborrow_policy", rule));
	ASSERT_EQ(0, read_attr(BUS "/autoborrow_policy", buf, sizeof(buf)));
	snprintf(want, sizeof(want),
		 "\nignore vendor=1b36 device=0010\n\nborrow fdid=%s", self->nvme);
	EXPECT_STREQ(want, buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "policy", buf, sizeof(buf)));
	EXPECT_STREQ("ignore 2", buf);
	/* Idempotent. */
	EXPECT_EQ(0, write_str(BUS "/autoborrow_policy", rule));
	ASSERT_EQ(0, write_str(BUS "/autoborrow_transparent", "1"));
	ASSERT_EQ(0, do_scan());
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);

	/* Every match of a rule must hold; patterns are globs. */
	snprintf(rule, sizeof(rule),
		 "borrow class=0x0108* adapter=adapter9\nborrow class=0x0108?? adapter=adapter[0-3] fdid=%s\n",
		 self->nvme);
	ASSERT_EQ(0, write_str(BUS "/autoborrow_policy", rule));
	ASSERT_EQ(0, dev_attr(self->nvme, "policy", buf, sizeof(buf)));
	EXPECT_STREQ("borrow 2", buf);
	ASSERT_EQ(0, do_scan());
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));

	/* Without rules autoborrow takes everything again. */
	ASSERT_EQ(0, write_str(BUS "/autoborrow_transparent", "0"));
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
	ASSERT_EQ(0, write_str(BUS "/autoborrow_policy", "  # none\n\n"));
	ASSERT_EQ(0, read_attr(BUS "/autoborrow_policy", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, dev_attr(self->nvme, "policy", buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
}

TEST_F_TIMEOUT(smartio, autoborrow_module_parameter, 120 * SLOW)
{
	char buf[64], blk[64];

	ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module("autoborrow_transparent=1"));
	ASSERT_EQ(0, read_attr(BUS "/autoborrow_transparent", buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	/* Loading with the parameter scans and borrows without a scan write. */
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	return_all();
	ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module(NULL));
}

TEST_F_TIMEOUT(smartio, external_pci_remove_returns, 120 * SLOW)
{
	char addr[64], path[PATH_MAX], buf[64];

	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, local_address(self->nvme, addr, sizeof(addr)));
	snprintf(path, sizeof(path), PCI_DEVS "/%s/remove", addr);
	ASSERT_EQ(0, write_str(path, "1"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
	/* A PCI rescan must not find a device that is back in the pool. */
	ASSERT_EQ(0, write_str("/sys/bus/pci/rescan", "1"));
	EXPECT_FALSE(pci_exists(addr));
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	EXPECT_TRUE(pci_exists(addr));
}

/*
 * A borrowed device holds its backend's module: rmmod fails and changes
 * nothing until the device is returned.
 */
TEST_F_TIMEOUT(smartio, rmmod_refused_while_borrowed, 300 * SLOW)
{
	char names[64][32], culprit[128] = "", addr[64], blk[64], buf[32];
	long before[64];
	int i, nb;

	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_EQ(0, local_address(self->nvme, addr, sizeof(addr)));
	ASSERT_EQ(0, wait_blockdev(self->nvme, blk, sizeof(blk)));
	EXPECT_NE(0, run("rmmod smartio_emul 2>/dev/null"));
	EXPECT_TRUE(pci_exists(addr));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_EQ(0, run("dd if=%s of=/dev/null bs=4k count=16 2>/dev/null",
			 blk));
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
	EXPECT_FALSE(pci_exists(addr));
	ASSERT_EQ(0, unload_module());
	EXPECT_FALSE(module_loaded());

	settle();
	leak_mark();
	nb = slab_counts(names, before, 64);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, load_module(NULL));
		ASSERT_EQ(0, do_scan());
		ASSERT_EQ(0, unload_module());
	}
	settle();
	EXPECT_EQ(0, leaked(names, before, nb, 10, culprit))
		TH_LOG("leak after 10 load cycles: %s", culprit);
	ASSERT_EQ(0, load_module(NULL));
}

TEST_HARNESS_MAIN
