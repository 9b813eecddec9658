/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the smartio kselftests: the modules' paths, running a
 * shell command and reading a sysfs attribute.
 */
#ifndef SMARTIO_UTIL_H
#define SMARTIO_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* SMARTIO_KO names the module (default /smartio/smartio.ko). */
static inline const char *ko_path(void)
{
	const char *ko = getenv("SMARTIO_KO");

	return ko ? ko : "/smartio/smartio.ko";
}

/*
 * SMARTIO_EMUL_KO names the emulated adapter backend, loaded after
 * smartio.ko (default /smartio/smartio_emul.ko).
 */
static inline const char *emul_ko_path(void)
{
	const char *ko = getenv("SMARTIO_EMUL_KO");

	return ko ? ko : "/smartio/smartio_emul.ko";
}

static inline int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

static inline int read_attr(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

#endif /* SMARTIO_UTIL_H */
