// SPDX-License-Identifier: GPL-2.0
/*
 * failwrite: an LD_PRELOAD shim for the fake sysfs tree of fake.bats.
 *
 * A plain file cannot refuse a write with the errno a sysfs attribute
 * returns (EBUSY, EINVAL, ENOSPC, ...), and a read-only file does not stop
 * root. With this shim, opening FILE for writing fails with errno N when
 * FILE.errno exists and holds the number N. smartio_tool is unchanged: it
 * sees the same error text from its shell as from a real sysfs write.
 *
 * A write that succeeds can also have an effect on the tree, as the
 * kernel's would (a scan adds a device, a borrow makes a PCI device): when
 * FILE.hook exists, opening FILE for writing first runs it with /bin/sh,
 * without the shim, and waits for it.
 *
 *   gcc -shared -fPIC -o failwrite.so failwrite.c -ldl
 *   echo 16 > fake/devices/83000/borrow.errno     # EBUSY
 *   LD_PRELOAD=./failwrite.so smartio_tool borrow 83000
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int injected_errno(const char *path, int flags)
{
	char name[4096];
	FILE *f;
	int err = 0;

	if ((flags & O_ACCMODE) == O_RDONLY)
		return 0;
	if (snprintf(name, sizeof(name), "%s.errno", path) >= (int)sizeof(name))
		return 0;
	f = fopen(name, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &err) != 1 || err < 0)
		err = 0;
	fclose(f);
	return err;
}

/* Runs PATH.hook, if there is one, for an open of PATH for writing. */
static void run_hook(const char *path, int flags)
{
	char name[4096];
	pid_t pid;
	int status;

	if ((flags & O_ACCMODE) == O_RDONLY)
		return;
	if (snprintf(name, sizeof(name), "%s.hook", path) >= (int)sizeof(name))
		return;
	if (access(name, R_OK))
		return;
	pid = fork();
	if (pid == 0) {
		unsetenv("LD_PRELOAD");
		execl("/bin/sh", "sh", name, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

typedef int (*open_fn)(const char *path, int flags, ...);

/* Opens PATH with the next definition of SYM, unless an errno is injected. */
static int failwrite_open(const char *sym, const char *path, int flags,
			  va_list ap)
{
	open_fn real = (open_fn)dlsym(RTLD_NEXT, sym);
	mode_t mode = 0;
	int err;

	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	err = injected_errno(path, flags);
	if (!err && !real)
		err = EIO;
	if (err) {
		errno = err;
		return -1;
	}
	run_hook(path, flags);
	return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = failwrite_open("open", path, flags, ap);
	va_end(ap);
	return ret;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = failwrite_open("open64", path, flags, ap);
	va_end(ap);
	return ret;
}
