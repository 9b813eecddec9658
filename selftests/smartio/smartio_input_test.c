// SPDX-License-Identifier: GPL-2.0
/*
 * smartio hostile input: every writable attribute is fed malformed values,
 * and nothing may change. Run as root inside the QEMU guest booted with the
 * "basic" fabric (one NVMe behind the emulated adapter's switch).
 *
 * The input contract:
 * - scan, <fdid>/borrow, <fdid>/return: exactly "1", optionally followed
 *   by one "\n"; autoborrow_transparent: "0" or "1", the same way.
 * - hotplug_poll_ms, button_cancel_ms: a decimal unsigned integer
 *   0..60000 without sign or leading zeros, optionally followed by one "\n".
 * - adapter0/slot_power_on: a slot's port address "bb:dd.f" in hex (device
 *   at most 1f, function at most 7), optionally followed by one "\n".
 * - autoborrow_policy: rules in the grammar of smartio_tool's policy file;
 *   a malformed one fails with EINVAL, one over the limits with EINVAL or
 *   E2BIG, and the policy loaded before stays.
 * - Every other non-empty write fails with EINVAL; a zero-length write
 *   returns 0 and does nothing.
 *
 * After every write the pool (devices, their states and PCI links), the
 * autoborrow setting, hotplug_poll_ms, button_cancel_ms and the slots of
 * adapter0 are compared with a snapshot taken before it. Read-only
 * attributes must refuse writes.
 *
 * SMARTIO_KO names the module (default /smartio/smartio.ko), SMARTIO_EMUL_KO
 * the emulated adapter backend (default /smartio/smartio_emul.ko).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#define PARAMS		"/sys/module/smartio/parameters"
#define POLL_MS		PARAMS "/hotplug_poll_ms"
#define CANCEL_MS	PARAMS "/button_cancel_ms"
#define SLOTS		DEVS "/adapter0/slots"
#define SLOT_POWER_ON	DEVS "/adapter0/slot_power_on"
#define AUTOBORROW	BUS "/autoborrow_transparent"
#define POLICY		BUS "/autoborrow_policy"
#define DEBUGFS		"/sys/kernel/debug/smartio/adapter0"
/* Test-only hook of the emulated adapter: presses a slot's button. */
#define BUTTON		DEBUGFS "/attention_button"
#define NVME_SLOT	"82:00.0"
#define CLASS_NVME	0x010802
#define MAX_DEVS	32
#define BIG		4096	/* one page: the most sysfs hands to a store */
#define RANDOM_INPUTS	20
#define POLL_BASE	"200"

/* One hostile input: a buffer that may hold NUL bytes. */
struct input {
	char *buf;
	size_t len;
};

#define LIT(s)	{ (char *)(s), sizeof(s) - 1 }

/* Malformed for every attribute, whatever its valid values. */
static const struct input common_bad[] = {
	LIT("+1"), LIT("-1"), LIT("-0"), LIT(" 1"), LIT("1 "), LIT("\t1"),
	LIT("1\t"), LIT("1\r"), LIT("1\r\n"), LIT("1\n\n"), LIT("\n"),
	LIT("\n1"), LIT("1\n1"), LIT(" "), LIT("\v1"), LIT("1\f"),
	LIT("4294967296"), LIT("18446744073709551616"),
	LIT("18446744073709551617"),
	LIT("99999999999999999999999999999999999999999999999999"),
	LIT("-99999999999999999999999999999999999999999999999999"),
	LIT("0x1"), LIT("0X1"), LIT("0b1"), LIT("01"), LIT("00"), LIT("001"),
	LIT("1e3"), LIT("1.0"), LIT("1.5"),
	LIT("\xef\xbc\x91"),		/* U+FF11 FULLWIDTH DIGIT ONE */
	LIT("\xd9\xa1"),		/* U+0661 ARABIC-INDIC DIGIT ONE */
	LIT("\xef\xbc\x90"),		/* U+FF10 FULLWIDTH DIGIT ZERO */
	LIT("\xc2\xa0\x31"),		/* no-break space, "1" */
	LIT("\xef\xbb\xbf\x31"),	/* byte order mark, "1" */
	LIT("yes"), LIT("no"), LIT("true"), LIT("false"), LIT("on"),
	LIT("off"), LIT("y"), LIT("Y"), LIT("n"), LIT("N"), LIT("garbage"),
	LIT("1x"), LIT("x1"), LIT("1 1"), LIT("1,1"), LIT("1;1"), LIT("11"),
	LIT("10"), LIT("2"), LIT("-"), LIT("+"), LIT("%n%n%s%s"),
	LIT("\0"), LIT("\0\0\0\0\0\0\0\0"), LIT("\0001"), LIT("\0001\n"),
	LIT(" \0001"), LIT("x\0001"), LIT("\n\0"),
};

/*
 * Malformed for every attribute, but the text before the first NUL is a
 * valid value. sysfs hands the store the whole buffer with its length;
 * module parameters get only the NUL-terminated string (param_attr_store()
 * passes no length), so hotplug_poll_ms cannot see the rest: for it these
 * may also be taken as the text before the NUL.
 */
static const struct input nul_tail_bad[] = {
	LIT("1\0"), LIT("1\0junk"), LIT("1\n\0"), LIT("0\0"), LIT("1\0\n"),
	LIT("1\0001"), LIT("0\n\0001"),
};

/* Malformed only for hotplug_poll_ms (and for the boolean attributes). */
static const struct input poll_bad[] = {
	LIT("60001"), LIT("65535"), LIT("65536"), LIT("99999"),
	LIT("100000"), LIT("4294967295"), LIT("2147483648"),
	LIT("200ms"), LIT("0x10"), LIT("0200"), LIT("+200"), LIT("-200"),
	LIT("2 00"), LIT("2e2"), LIT("200.0"), LIT("200\n\n"), LIT(" 200"),
	LIT("200 "), LIT("\xef\xbc\x92\xef\xbc\x90\xef\xbc\x90"),
};

/* Malformed slot addresses (and malformed for every other attribute). */
static const struct input slot_bad[] = {
	LIT("82:00.0\n\n"), LIT(" 82:00.0"), LIT("82:00.0 "), LIT("82:0.0"),
	LIT("8:00.0"), LIT("+2:00.0"), LIT("82:+0.0"), LIT("82:00.8"),
	LIT("82:20.0"), LIT("82:ff.0"), LIT("82-00.0"), LIT("82:00:0"),
	LIT("82.00.0"), LIT("082:00.0"), LIT("82:00.00"), LIT("82:00.0x"),
	LIT("0x82:00.0"), LIT("82:00.0\0"), LIT("82:00.0\n\0"),
	LIT("82:00.\n"), LIT("g2:00.0"), LIT("82:00.0\r\n"), LIT("8 :00.0"),
	LIT("8\0:00.0"), LIT("82:00.0\t"), LIT("\n82:00.0"), LIT(":::::::"),
};

/*
 * Whether snapshots include adapter0/slots: reading it reads remote config
 * space, which the scan test counts, so only the slot test sets it.
 */
static bool snapshot_slots;

struct snapshot {
	int ndev;
	char name[MAX_DEVS][32];
	char state[MAX_DEVS][16];
	bool linked[MAX_DEVS];
	char autoborrow[16];
	char ab_param[16];
	char poll[32];
	char cancel[32];
	char slots[512];
};

/*
 * Returns 0 or the errno of the write, as user space sees it; *written gets
 * what write() returned (-1 on error).
 */
static int write_buf(const char *path, const char *val, size_t len,
		     ssize_t *written)
{
	ssize_t n;
	int fd, err = 0;

	*written = -1;
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = write(fd, val, len);
	if (n < 0)
		err = errno;
	*written = n;
	close(fd);
	return err;
}

static int write_str(const char *path, const char *val)
{
	ssize_t n;

	return write_buf(path, val, strlen(val), &n);
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

static bool dev_linked(const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DEVS "/%s/pci_dev", dev);
	return access(path, F_OK) == 0;
}

static int take_snapshot(struct snapshot *s)
{
	struct dirent *de;
	DIR *d;

	memset(s, 0, sizeof(*s));
	d = opendir(DEVS);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "adapter", 7))
			continue;
		if (s->ndev < MAX_DEVS) {
			int i = s->ndev;

			snprintf(s->name[i], sizeof(s->name[i]), "%.31s",
				 de->d_name);
			if (dev_attr(s->name[i], "state", s->state[i],
				     sizeof(s->state[i])))
				strcpy(s->state[i], "?");
			s->linked[i] = dev_linked(s->name[i]);
		}
		s->ndev++;
	}
	closedir(d);
	if (read_attr(AUTOBORROW, s->autoborrow, sizeof(s->autoborrow)))
		strcpy(s->autoborrow, "?");
	if (read_attr(PARAMS "/autoborrow_transparent", s->ab_param,
		      sizeof(s->ab_param)))
		strcpy(s->ab_param, "?");
	if (read_attr(POLL_MS, s->poll, sizeof(s->poll)))
		strcpy(s->poll, "?");
	if (read_attr(CANCEL_MS, s->cancel, sizeof(s->cancel)))
		strcpy(s->cancel, "?");
	if (snapshot_slots && read_attr(SLOTS, s->slots, sizeof(s->slots)))
		strcpy(s->slots, "?");
	return 0;
}

/* Describes the first difference between two snapshots; 0 if none. */
static int snapshot_diff(const struct snapshot *a, const struct snapshot *b,
			 char *why, size_t len)
{
	int i, j, n = a->ndev < MAX_DEVS ? a->ndev : MAX_DEVS;

	if (a->ndev != b->ndev) {
		snprintf(why, len, "pool devices %d -> %d", a->ndev, b->ndev);
		return 1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(a->name[i], b->name[j]))
				break;
		if (j == n) {
			snprintf(why, len, "%s left the pool", a->name[i]);
			return 1;
		}
		if (strcmp(a->state[i], b->state[j]) ||
		    a->linked[i] != b->linked[j]) {
			snprintf(why, len, "%s: %s%s -> %s%s", a->name[i],
				 a->state[i], a->linked[i] ? "+pci_dev" : "",
				 b->state[j], b->linked[j] ? "+pci_dev" : "");
			return 1;
		}
	}
	if (strcmp(a->autoborrow, b->autoborrow) ||
	    strcmp(a->ab_param, b->ab_param)) {
		snprintf(why, len, "autoborrow_transparent %s/%s -> %s/%s",
			 a->autoborrow, a->ab_param, b->autoborrow, b->ab_param);
		return 1;
	}
	if (strcmp(a->poll, b->poll)) {
		snprintf(why, len, "hotplug_poll_ms %s -> %s", a->poll, b->poll);
		return 1;
	}
	if (strcmp(a->cancel, b->cancel)) {
		snprintf(why, len, "button_cancel_ms %s -> %s", a->cancel,
			 b->cancel);
		return 1;
	}
	if (strcmp(a->slots, b->slots)) {
		snprintf(why, len, "adapter0 slots \"%.60s\" -> \"%.60s\"",
			 a->slots, b->slots);
		return 1;
	}
	return 0;
}

/* Waits until a borrowed device has its driver bound (or gives up). */
static bool wait_driver(const char *dev)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), DEVS "/%s/pci_dev/driver", dev);
	for (i = 0; i < 300; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(100000);
	}
	return false;
}

/* Puts the pool and the settings back as they were in @s. */
static void restore(const struct snapshot *s)
{
	struct snapshot now;
	int i, j;

	write_str(AUTOBORROW, s->autoborrow);
	write_str(POLL_MS, s->poll);
	write_str(CANCEL_MS, s->cancel);
	take_snapshot(&now);
	for (i = 0; i < s->ndev && i < MAX_DEVS; i++) {
		for (j = 0; j < now.ndev && j < MAX_DEVS; j++)
			if (!strcmp(s->name[i], now.name[j]))
				break;
		if (j == now.ndev || j == MAX_DEVS ||
		    !strcmp(s->state[i], now.state[j]))
			continue;
		if (!strcmp(s->state[i], "borrowed")) {
			dev_write(s->name[i], "borrow", "1");
			wait_driver(s->name[i]);
		} else {
			dev_write(s->name[i], "return", "1");
		}
	}
}

/* A printable, bounded form of an input for the log. */
static const char *show(const struct input *in, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < in->len && o + 8 < len; i++) {
		unsigned char c = in->buf[i];

		if (i == 24) {
			o += snprintf(out + o, len - o, "...");
			break;
		}
		if (c == '\n')
			o += snprintf(out + o, len - o, "\\n");
		else if (c == '\\')
			o += snprintf(out + o, len - o, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			out[o++] = c;
		else
			o += snprintf(out + o, len - o, "\\x%02x", c);
	}
	out[o] = '\0';
	snprintf(out + o, len - o, "\" (%zu bytes)", in->len);
	return out;
}

/* Whether @in is exactly one of the @n strings of @valid. */
static bool is_one_of(const struct input *in, const char * const *valid,
		      int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (in->len == strlen(valid[i]) &&
		    !memcmp(in->buf, valid[i], in->len))
			return true;
	return false;
}

static const char * const valid_true[] = { "1", "1\n" };
static const char * const valid_bool[] = { "0", "1", "0\n", "1\n" };

/* Whether @in is a valid hotplug_poll_ms value under the contract. */
static bool valid_poll(const struct input *in)
{
	size_t n = in->len, i;
	unsigned long v = 0;

	if (n && in->buf[n - 1] == '\n')
		n--;
	if (n < 1 || n > 5 || (n > 1 && in->buf[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (in->buf[i] < '0' || in->buf[i] > '9')
			return false;
		v = v * 10 + in->buf[i] - '0';
	}
	return v <= 60000;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Whether @in is a valid slot address under the contract. */
static bool valid_slot(const struct input *in)
{
	size_t n = in->len;
	char dev[3];

	if (n == 8 && in->buf[7] == '\n')
		n--;
	if (n != 7 || in->buf[2] != ':' || in->buf[5] != '.')
		return false;
	if (!is_hex(in->buf[0]) || !is_hex(in->buf[1]) ||
	    !is_hex(in->buf[3]) || !is_hex(in->buf[4]) ||
	    in->buf[6] < '0' || in->buf[6] > '7')
		return false;
	memcpy(dev, in->buf + 3, 2);
	dev[2] = '\0';
	return strtoul(dev, NULL, 16) <= 0x1f;
}

/* xorshift32: the same "random" inputs on every run and every libc. */
static unsigned int next_rand(unsigned int *state)
{
	unsigned int x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* The generated inputs: page-sized ones and RANDOM_INPUTS random ones. */
static int generated(struct input *in, int max)
{
	unsigned int seed = 0x5a17710;
	int n = 0, i;
	size_t j;

	if (max < 6 + RANDOM_INPUTS)
		return 0;
	in[n].buf = malloc(BIG);
	memset(in[n].buf, '1', BIG);
	in[n++].len = BIG;
	in[n].buf = malloc(BIG);
	memset(in[n].buf, ' ', BIG);
	in[n++].len = BIG;
	in[n].buf = malloc(BIG);
	memset(in[n].buf, '0', BIG);
	in[n++].len = BIG;
	/* "1\n" and then a page of NUL bytes. */
	in[n].buf = calloc(1, BIG);
	memcpy(in[n].buf, "1\n", 2);
	in[n++].len = BIG;
	/* "1" then spaces, one byte short of a page. */
	in[n].buf = malloc(BIG);
	memset(in[n].buf, ' ', BIG - 1);
	in[n].buf[0] = '1';
	in[n++].len = BIG - 1;
	/* More than a page: sysfs hands the first page to the store. */
	in[n].buf = malloc(2 * BIG);
	memset(in[n].buf, '1', 2 * BIG);
	in[n++].len = 2 * BIG;
	for (i = 0; i < RANDOM_INPUTS; i++) {
		size_t len = 1 + next_rand(&seed) % 48;

		in[n].buf = malloc(len);
		for (j = 0; j < len; j++)
			in[n].buf[j] = next_rand(&seed) & 0xff;
		/* A few short ones drawn from digits and whitespace. */
		if (i % 4 == 0) {
			static const char pool[] = "01\n \t+-x";

			len = 1 + len % 3;
			for (j = 0; j < len; j++)
				in[n].buf[j] = pool[next_rand(&seed) %
						    (sizeof(pool) - 1)];
		}
		in[n++].len = len;
	}
	return n;
}

static void free_generated(struct input *in, int n)
{
	while (n--)
		free(in[n].buf);
}

enum kind { KIND_TRUE, KIND_BOOL, KIND_POLL, KIND_CANCEL, KIND_SLOT };

static bool is_valid(enum kind kind, const struct input *in)
{
	switch (kind) {
	case KIND_TRUE:
		return is_one_of(in, valid_true, ARRAY_SIZE(valid_true));
	case KIND_BOOL:
		return is_one_of(in, valid_bool, ARRAY_SIZE(valid_bool));
	case KIND_SLOT:
		return valid_slot(in);
	default:
		return valid_poll(in);
	}
}

struct result {
	int tried, refused, wrong;
};

/*
 * Writes @in to @path and checks the contract: EINVAL and nothing changed.
 * For the module parameters and an input that is valid up to a NUL byte,
 * taking the text before the NUL is allowed too (see nul_tail_bad).
 */
static void try_one(struct __test_metadata *_metadata, const char *path,
		    enum kind kind, const struct input *in, struct result *r)
{
	struct snapshot before, after;
	char why[160], text[160], prefix[32] = "";
	bool nul_prefix = false;
	ssize_t written;
	int err;

	if (is_valid(kind, in))
		return;
	bool param = kind == KIND_POLL || kind == KIND_CANCEL;
	char *got;

	if (param && memchr(in->buf, '\0', in->len)) {
		struct input head = { in->buf, strlen(in->buf) };

		if (valid_poll(&head)) {
			nul_prefix = true;
			snprintf(prefix, sizeof(prefix), "%.*s",
				 (int)strcspn(in->buf, "\n"), in->buf);
		}
	}
	r->tried++;
	ASSERT_EQ(0, take_snapshot(&before));
	err = write_buf(path, in->buf, in->len, &written);
	ASSERT_EQ(0, take_snapshot(&after));
	show(in, text, sizeof(text));

	if (nul_prefix && !err) {
		/* Taken as the text before the NUL: that, and nothing else. */
		got = kind == KIND_POLL ? after.poll : after.cancel;
		EXPECT_STREQ(prefix, got) {
			TH_LOG("%s <- \"%s: read back %s", path, text, got);
			r->wrong++;
		}
		strcpy(got, kind == KIND_POLL ? before.poll : before.cancel);
		if (snapshot_diff(&before, &after, why, sizeof(why))) {
			TH_LOG("%s <- \"%s changed %s", path, text, why);
			r->wrong++;
			_metadata->passed = 0;
		}
		restore(&before);
		return;
	}
	if (err == EINVAL)
		r->refused++;
	EXPECT_EQ(EINVAL, err) {
		TH_LOG("%s <- \"%s: %s (write returned %zd)", path, text,
		       err ? strerror(err) : "accepted", written);
		r->wrong++;
	}
	if (snapshot_diff(&before, &after, why, sizeof(why))) {
		TH_LOG("%s <- \"%s changed %s", path, text, why);
		r->wrong++;
		_metadata->passed = 0;
	}
	restore(&before);
}

/* Feeds every hostile input to @path. */
static void feed_all(struct __test_metadata *_metadata, const char *path,
		     enum kind kind, struct result *r)
{
	struct input gen[6 + RANDOM_INPUTS];
	struct snapshot before, after;
	char why[160];
	ssize_t written;
	unsigned int i;
	int n, err;

	for (i = 0; i < ARRAY_SIZE(common_bad); i++)
		try_one(_metadata, path, kind, &common_bad[i], r);
	for (i = 0; i < ARRAY_SIZE(nul_tail_bad); i++)
		try_one(_metadata, path, kind, &nul_tail_bad[i], r);
	for (i = 0; i < ARRAY_SIZE(poll_bad); i++)
		try_one(_metadata, path, kind, &poll_bad[i], r);
	for (i = 0; i < ARRAY_SIZE(slot_bad); i++)
		try_one(_metadata, path, kind, &slot_bad[i], r);
	n = generated(gen, ARRAY_SIZE(gen));
	ASSERT_GT(n, 0);
	for (i = 0; i < (unsigned int)n; i++)
		try_one(_metadata, path, kind, &gen[i], r);
	free_generated(gen, n);

	/* A zero-length write returns 0 and does nothing. */
	ASSERT_EQ(0, take_snapshot(&before));
	err = write_buf(path, "1", 0, &written);
	EXPECT_EQ(0, err) TH_LOG("%s <- empty: %s", path, strerror(err));
	EXPECT_EQ(0, written);
	ASSERT_EQ(0, take_snapshot(&after));
	EXPECT_EQ(0, snapshot_diff(&before, &after, why, sizeof(why)))
		TH_LOG("%s <- empty changed %s", path, why);
	restore(&before);

	TH_LOG("%s: %d malformed inputs, %d refused with EINVAL, %d wrong",
	       path, r->tried, r->refused, r->wrong);
	EXPECT_GE(r->tried, 30);
	EXPECT_EQ(0, r->wrong);
}

/* Reads a debugfs counter; -1 if there is none. */
static long long counter(const char *name)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), DEBUGFS "/%s", name);
	if (read_attr(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

static bool find_nvme(char *name)
{
	struct snapshot s;
	char buf[32];
	int i;

	if (take_snapshot(&s))
		return false;
	for (i = 0; i < s.ndev && i < MAX_DEVS; i++)
		if (!dev_attr(s.name[i], "class", buf, sizeof(buf)) &&
		    strtoul(buf, NULL, 16) == CLASS_NVME &&
		    !strcmp(s.name[i], "83000")) {
			strcpy(name, s.name[i]);
			return true;
		}
	return false;
}

FIXTURE(input) {
	char nvme[32];
	char poll[32];
};

FIXTURE_SETUP(input)
{
	if (!module_loaded())
		ASSERT_EQ(0, run("insmod %s && insmod %s", ko_path(),
				 emul_ko_path()));
	ASSERT_EQ(0, write_str(AUTOBORROW, "0"));
	ASSERT_EQ(0, read_attr(POLL_MS, self->poll, sizeof(self->poll)));
	ASSERT_EQ(0, write_str(POLL_MS, POLL_BASE));
	ASSERT_EQ(0, write_str(CANCEL_MS, "0"));
	ASSERT_EQ(0, write_str(BUS "/scan", "1"));
	ASSERT_EQ(0, write_str(SLOT_POWER_ON, NVME_SLOT));
	ASSERT_TRUE(find_nvme(self->nvme)) TH_LOG("scan found no fabric NVMe 83000");
	if (dev_linked(self->nvme))
		ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
}

FIXTURE_TEARDOWN(input)
{
	if (!module_loaded())
		return;
	write_str(POLICY, "\n");
	write_str(AUTOBORROW, "0");
	write_str(POLL_MS, self->poll);
	write_str(CANCEL_MS, "0");
	write_str(SLOT_POWER_ON, NVME_SLOT);
	if (dev_linked(self->nvme))
		dev_write(self->nvme, "return", "1");
}

TEST_F_TIMEOUT(input, scan, 300)
{
	struct result r = { 0 };
	long long reads, base;

	/*
	 * A scan reads remote config space; with the hot-plug watcher paused
	 * and nothing borrowed nothing else does, so the adapter's config
	 * read counter tells whether a refused write scanned anyway.
	 */
	ASSERT_EQ(0, write_str(POLL_MS, "0"));
	usleep(1000000);
	base = counter("config_reads");
	usleep(500000);
	if (base >= 0 && counter("config_reads") != base) {
		TH_LOG("config_reads moves on its own: no scan detection");
		base = -1;
	}
	ASSERT_EQ(0, write_str(POLL_MS, POLL_BASE));

	/*
	 * The snapshot holds hotplug_poll_ms: pause it again for the feed. A
	 * new interval runs the watcher at once, so the count starts again
	 * once that poll is over.
	 */
	ASSERT_EQ(0, write_str(POLL_MS, "0"));
	usleep(1000000);
	if (base >= 0)
		base = counter("config_reads");
	feed_all(_metadata, BUS "/scan", KIND_TRUE, &r);
	reads = counter("config_reads");
	if (base >= 0)
		EXPECT_EQ(base, reads) TH_LOG("a refused write scanned the fabric");

	/* The valid forms scan. */
	EXPECT_EQ(0, write_str(BUS "/scan", "1"));
	EXPECT_EQ(0, write_str(BUS "/scan", "1\n"));
	if (base >= 0)
		EXPECT_LT(reads, counter("config_reads"));
	ASSERT_EQ(0, write_str(POLL_MS, POLL_BASE));
}

TEST_F_TIMEOUT(input, borrow, 600)
{
	struct result r = { 0 };
	char buf[32];

	/* Available: a write wrongly taken would borrow it. */
	feed_all(_metadata, DEVS "/83000/borrow", KIND_TRUE, &r);
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
	EXPECT_FALSE(access("/sys/bus/pci/devices/10000:83:00.0", F_OK) == 0);

	/* The valid form with its newline borrows. */
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1\n"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_TRUE(wait_driver(self->nvme));
	EXPECT_EQ(0, dev_write(self->nvme, "return", "1"));
}

TEST_F_TIMEOUT(input, return, 600)
{
	static const char * const not_force[] = {
		"Force", "FORCE", "forced", "force ", "force\n\n", " force",
		"forc", "force\t",
	};
	struct result r = { 0 };
	unsigned int i;
	char buf[32];

	/* Borrowed and bound: a write wrongly taken would return it. */
	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_TRUE(wait_driver(self->nvme));
	feed_all(_metadata, DEVS "/83000/return", KIND_TRUE, &r);
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);
	EXPECT_TRUE(dev_linked(self->nvme));

	/* Nothing but "force", with or without its newline, forces it. */
	for (i = 0; i < ARRAY_SIZE(not_force); i++) {
		EXPECT_EQ(EINVAL, dev_write(self->nvme, "return", not_force[i])) {
			TH_LOG("return <- '%s'", not_force[i]);
		}
	}
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("borrowed", buf);

	ASSERT_EQ(0, dev_write(self->nvme, "return", "1\n"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
	EXPECT_FALSE(dev_linked(self->nvme));

	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_TRUE(wait_driver(self->nvme));
	ASSERT_EQ(0, dev_write(self->nvme, "return", "force\n"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
}

TEST_F_TIMEOUT(input, autoborrow_transparent, 300)
{
	struct result r0 = { 0 }, r1 = { 0 };
	char buf[16];

	/* From 0 a wrong "1"-like input shows, from 1 a "0"-like one does. */
	ASSERT_EQ(0, write_str(AUTOBORROW, "0"));
	feed_all(_metadata, AUTOBORROW, KIND_BOOL, &r0);
	ASSERT_EQ(0, write_str(AUTOBORROW, "1"));
	feed_all(_metadata, AUTOBORROW, KIND_BOOL, &r1);

	/* Every valid form is taken. */
	ASSERT_EQ(0, write_str(AUTOBORROW, "0\n"));
	ASSERT_EQ(0, read_attr(AUTOBORROW, buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	ASSERT_EQ(0, read_attr(PARAMS "/autoborrow_transparent", buf, sizeof(buf)));
	EXPECT_STREQ("N", buf);
	ASSERT_EQ(0, write_str(AUTOBORROW, "1\n"));
	ASSERT_EQ(0, read_attr(AUTOBORROW, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	ASSERT_EQ(0, read_attr(PARAMS "/autoborrow_transparent", buf, sizeof(buf)));
	EXPECT_STREQ("Y", buf);
	ASSERT_EQ(0, write_str(AUTOBORROW, "0"));
	ASSERT_EQ(0, read_attr(AUTOBORROW, buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	/* Nothing was scanned or borrowed by any of it. */
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
}

TEST_F_TIMEOUT(input, hotplug_poll_ms, 300)
{
	static const char * const good[] = {
		"0", "1", "9", "10", "200", "1000", "59999", "60000",
		"60000\n", "0\n", "200\n",
	};
	struct result r0 = { 0 }, r1 = { 0 };
	char buf[32], want[32];
	unsigned int i;

	/* From a value with many digits, and from 0 (watching paused). */
	feed_all(_metadata, POLL_MS, KIND_POLL, &r0);
	ASSERT_EQ(0, write_str(POLL_MS, "0"));
	feed_all(_metadata, POLL_MS, KIND_POLL, &r1);

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		EXPECT_EQ(0, write_str(POLL_MS, good[i]))
			TH_LOG("hotplug_poll_ms <- %s refused", good[i]);
		snprintf(want, sizeof(want), "%.*s",
			 (int)strcspn(good[i], "\n"), good[i]);
		ASSERT_EQ(0, read_attr(POLL_MS, buf, sizeof(buf)));
		EXPECT_STREQ(want, buf);
	}
	/* Just past the limit, from the limit. */
	ASSERT_EQ(0, write_str(POLL_MS, "60000"));
	EXPECT_EQ(EINVAL, write_str(POLL_MS, "60001"));
	ASSERT_EQ(0, read_attr(POLL_MS, buf, sizeof(buf)));
	EXPECT_STREQ("60000", buf);
	ASSERT_EQ(0, write_str(POLL_MS, POLL_BASE));
}

/* Malformed policies: each is refused whole, and the old one stays. */
static const struct input policy_bad[] = {
	LIT("1"), LIT("+1"), LIT("take"), LIT("Borrow"), LIT("borrow,"),
	LIT("borrow CLASS=0108*"), LIT("borrow colour=red"),
	LIT("borrow class="), LIT("borrow =0108"), LIT("borrow class"),
	LIT("borrow fdid=0x"), LIT("borrow class=0108 vendor"),
	LIT("borrow\x01"), LIT("borrow class=01\x7f"),
	LIT("borrow\vclass=0108"), LIT("borrow vendor=\xef\xbc\x91"),
	LIT("borrow serial=\xc3\xa9"), LIT("\xc2\xa0\x62orrow"),
	LIT("borrow\0"), LIT("\0"), LIT("\n\0"), LIT("borrow class=0108\0junk"),
	LIT("ignore\nborrow colour=red\n"), LIT("ignore # fine\nfrob\n"),
	LIT("%n%n%s%s"),
	/* A shell's negation, which glob_match() would take as a set. */
	LIT("borrow class=[^0]*"),
};

/* Policies over the limits: 64 rules, 8 matches, 63-byte patterns. */
static int policy_big(struct input *in, int max)
{
	int n = 0, i;
	char *p;

	if (max < 5)
		return 0;
	in[n].buf = malloc(BIG);
	p = in[n].buf;
	for (i = 0; i < 65; i++)
		p += sprintf(p, "ignore\n");
	in[n].len = p - in[n].buf;
	n++;
	in[n].buf = malloc(BIG);
	p = in[n].buf;
	p += sprintf(p, "borrow");
	for (i = 0; i < 9; i++)
		p += sprintf(p, " class=*");
	in[n].len = p - in[n].buf;
	n++;
	in[n].buf = malloc(BIG);
	in[n].len = sprintf(in[n].buf, "borrow serial=%064d", 0);
	n++;
	/* A page, and more: the first is too long to show, the second to write. */
	in[n].buf = malloc(2 * BIG);
	memset(in[n].buf, '#', BIG);
	in[n++].len = BIG;
	in[n].buf = malloc(2 * BIG);
	memset(in[n].buf, ' ', 2 * BIG);
	in[n++].len = 2 * BIG;
	return n;
}

TEST_F_TIMEOUT(input, autoborrow_policy, 300)
{
	static const char base[] = "ignore class=0x0200*  # NICs\nborrow fdid=0083000\n";
	struct input big[5];
	char before[256], after[256], text[160], *limit, *p;
	int n, i, err, tried = 0;
	ssize_t written;

	ASSERT_EQ(0, write_str(POLICY, base));
	ASSERT_EQ(0, read_attr(POLICY, before, sizeof(before)));
	EXPECT_STREQ("ignore class=0200*\nborrow fdid=83000", before);

	for (i = 0; i < (int)ARRAY_SIZE(policy_bad); i++, tried++) {
		err = write_buf(POLICY, policy_bad[i].buf, policy_bad[i].len,
				&written);
		show(&policy_bad[i], text, sizeof(text));
		EXPECT_EQ(EINVAL, err) TH_LOG("policy <- \"%s: %s", text,
					      err ? strerror(err) : "accepted");
		ASSERT_EQ(0, read_attr(POLICY, after, sizeof(after)));
		EXPECT_STREQ(before, after) TH_LOG("policy <- \"%s changed it", text);
	}
	n = policy_big(big, ARRAY_SIZE(big));
	ASSERT_EQ(5, n);
	for (i = 0; i < n; i++, tried++) {
		err = write_buf(POLICY, big[i].buf, big[i].len, &written);
		show(&big[i], text, sizeof(text));
		EXPECT_TRUE(err == EINVAL || err == E2BIG)
			TH_LOG("policy <- \"%s: %s", text,
			       err ? strerror(err) : "accepted");
		ASSERT_EQ(0, read_attr(POLICY, after, sizeof(after)));
		EXPECT_STREQ(before, after) TH_LOG("policy <- \"%s changed it", text);
	}
	free_generated(big, n);
	TH_LOG("autoborrow_policy: %d malformed policies refused", tried);

	/* A zero-length write changes nothing. */
	EXPECT_EQ(0, write_buf(POLICY, "ignore", 0, &written));
	ASSERT_EQ(0, read_attr(POLICY, after, sizeof(after)));
	EXPECT_STREQ(before, after);

	/* The limits themselves are taken: 8 matches of 63 bytes, 64 rules. */
	limit = malloc(BIG);
	ASSERT_NE(NULL, limit);
	p = limit + sprintf(limit, "borrow");
	for (i = 0; i < 8; i++)
		p += sprintf(p, " serial=%063d", i);
	EXPECT_EQ(0, write_str(POLICY, limit));
	p = limit;
	for (i = 0; i < 64; i++)
		p += sprintf(p, "ignore\n");
	EXPECT_EQ(0, write_str(POLICY, limit));
	free(limit);

	/* Only comments and blanks: no rules, autoborrow takes everything. */
	EXPECT_EQ(0, write_str(POLICY, " # none\n\t\n"));
	ASSERT_EQ(0, read_attr(POLICY, after, sizeof(after)));
	EXPECT_STREQ("", after);
	/* Nothing was borrowed by any of it. */
	ASSERT_EQ(0, dev_attr(self->nvme, "state", after, sizeof(after)));
	EXPECT_STREQ("available", after);
}

TEST_F_TIMEOUT(input, button_cancel_ms, 300)
{
	static const char * const good[] = {
		"1", "10", "5000", "60000", "60000\n", "0\n", "0",
	};
	struct result r0 = { 0 }, r1 = { 0 };
	char buf[32], want[32];
	unsigned int i;

	/* From 0 (the default) and from a value with many digits. */
	feed_all(_metadata, CANCEL_MS, KIND_CANCEL, &r0);
	ASSERT_EQ(0, write_str(CANCEL_MS, "12345"));
	feed_all(_metadata, CANCEL_MS, KIND_CANCEL, &r1);

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		EXPECT_EQ(0, write_str(CANCEL_MS, good[i]))
			TH_LOG("button_cancel_ms <- %s refused", good[i]);
		snprintf(want, sizeof(want), "%.*s",
			 (int)strcspn(good[i], "\n"), good[i]);
		ASSERT_EQ(0, read_attr(CANCEL_MS, buf, sizeof(buf)));
		EXPECT_STREQ(want, buf);
	}
	EXPECT_EQ(EINVAL, write_str(CANCEL_MS, "60001"));
	ASSERT_EQ(0, read_attr(CANCEL_MS, buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
}

/* Whether adapter0/slots lists @slot in @state, within about ten seconds. */
static bool wait_slot(const char *slot, const char *state)
{
	char buf[512], line[64];
	int i;

	snprintf(line, sizeof(line), "%s %s\n", slot, state);
	for (i = 0; i < 100; i++) {
		if (!read_attr(SLOTS, buf, sizeof(buf)) && strstr(buf, line))
			return true;
		usleep(100000);
	}
	return false;
}

TEST_F_TIMEOUT(input, slot_power_on, 600)
{
	struct result r = { 0 };
	char buf[32];
	int i;

	/* Held off by its button, card in: a write wrongly taken powers it on. */
	ASSERT_EQ(0, write_str(BUTTON, NVME_SLOT));
	ASSERT_TRUE(wait_slot(NVME_SLOT, "held"));
	/* It leaves sysfs just after the slot is held. */
	for (i = 0; i < 50 && !dev_attr(self->nvme, "state", buf, sizeof(buf));
	     i++)
		usleep(100000);
	ASSERT_NE(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	snapshot_slots = true;
	feed_all(_metadata, SLOT_POWER_ON, KIND_SLOT, &r);
	snapshot_slots = false;
	EXPECT_TRUE(wait_slot(NVME_SLOT, "held"));

	/* A slot that is not held, and one that does not exist. */
	EXPECT_EQ(0, write_str(SLOT_POWER_ON, "82:01.0"));
	EXPECT_EQ(ENODEV, write_str(SLOT_POWER_ON, "83:00.0"));
	EXPECT_TRUE(wait_slot(NVME_SLOT, "held"));

	/* The valid form with its newline powers it on; the NVMe is back. */
	ASSERT_EQ(0, write_str(SLOT_POWER_ON, NVME_SLOT "\n"));
	EXPECT_TRUE(wait_slot(NVME_SLOT, "on"));
	ASSERT_EQ(0, dev_attr(self->nvme, "state", buf, sizeof(buf)));
	EXPECT_STREQ("available", buf);
	EXPECT_EQ(0, write_str(SLOT_POWER_ON, NVME_SLOT));
}

/* Writable files smartio (or the driver core for it) may have. */
static bool known_writable(const char *name)
{
	static const char * const known[] = {
		"scan", "autoborrow_transparent", "autoborrow_policy",
		"borrow", "return",
		"hotplug_poll_ms", "uevent", "drivers_autoprobe",
		"drivers_probe", "button_cancel_ms", "slot_power_on",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

/*
 * Tries to write every read-only regular file of @dir; returns how many it
 * tried. Opening for writing must fail with EACCES or EPERM (or, if the
 * open is allowed, the write must fail), and the contents must not change.
 */
static int poke_read_only(struct __test_metadata *_metadata, const char *dir)
{
	static const char * const vals[] = { "1", "0", "borrowed", "" };
	struct dirent *de;
	int tried = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[PATH_MAX], before[4096], after[4096];
		struct snapshot s0, s1;
		unsigned int i;
		struct stat st;
		char why[160];
		int err;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mode & 0222) {
			EXPECT_TRUE(known_writable(de->d_name))
				TH_LOG("%s is writable but no input test covers it", path);
			continue;
		}
		tried++;
		/* Some fail to read in some states (ENODEV): compare that too. */
		err = read_attr(path, before, sizeof(before));
		if (err)
			snprintf(before, sizeof(before), "<%s>", strerror(-err));
		ASSERT_EQ(0, take_snapshot(&s0));
		for (i = 0; i < ARRAY_SIZE(vals); i++) {
			int flags[] = { O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC };
			unsigned int f;

			for (f = 0; f < ARRAY_SIZE(flags); f++) {
				int fd = open(path, flags[f]);

				if (fd < 0) {
					EXPECT_TRUE(errno == EACCES || errno == EPERM)
						TH_LOG("open %s: %s", path, strerror(errno));
					continue;
				}
				EXPECT_GT(0, write(fd, vals[i], strlen(vals[i]) + 1))
					TH_LOG("%s took a write", path);
				close(fd);
			}
		}
		err = read_attr(path, after, sizeof(after));
		if (err)
			snprintf(after, sizeof(after), "<%s>", strerror(-err));
		EXPECT_STREQ(before, after) TH_LOG("%s changed", path);
		ASSERT_EQ(0, take_snapshot(&s1));
		EXPECT_EQ(0, snapshot_diff(&s0, &s1, why, sizeof(why)))
			TH_LOG("writing %s changed %s", path, why);
	}
	closedir(d);
	return tried;
}

TEST_F_TIMEOUT(input, read_only_attributes, 300)
{
	char dir[PATH_MAX];
	int n;

	/* Available, then borrowed: pci_dev and fit change with the state. */
	snprintf(dir, sizeof(dir), DEVS "/%s", self->nvme);
	n = poke_read_only(_metadata, dir);
	EXPECT_GE(n, 12) TH_LOG("%d read-only attributes of %s", n, self->nvme);
	n = poke_read_only(_metadata, DEVS "/adapter0");
	EXPECT_GE(n, 8) TH_LOG("%d read-only attributes of adapter0", n);
	poke_read_only(_metadata, BUS);
	n = poke_read_only(_metadata, PARAMS);
	EXPECT_GE(n, 1) TH_LOG("autoborrow_transparent parameter is read-only");

	ASSERT_EQ(0, dev_write(self->nvme, "borrow", "1"));
	ASSERT_TRUE(wait_driver(self->nvme));
	n = poke_read_only(_metadata, dir);
	EXPECT_GE(n, 12);
	n = poke_read_only(_metadata, DEVS "/adapter0");
	EXPECT_GE(n, 8);
	ASSERT_EQ(0, dev_write(self->nvme, "return", "1"));
}

TEST_HARNESS_MAIN
