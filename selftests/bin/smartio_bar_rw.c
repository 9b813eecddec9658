// SPDX-License-Identifier: GPL-2.0
/*
 * smartio_bar_rw: write or read a 64-bit word in a PCI BAR through its sysfs
 * resource file, the way user space uses a GPU-class BAR of a borrowed
 * device. Test helper, run in the guest.
 *
 *   smartio_bar_rw RESOURCE_FILE OFFSET write VALUE
 *   smartio_bar_rw RESOURCE_FILE OFFSET read
 *
 * OFFSET and VALUE are hex or decimal; read prints the value as 0x%016llx.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long long off, page, val = 0;
	volatile uint64_t *word;
	int fd, wr;
	void *map;

	if (argc < 4 || (strcmp(argv[3], "read") && argc != 5)) {
		fprintf(stderr, "usage: %s FILE OFFSET read|write [VALUE]\n", argv[0]);
		return 2;
	}
	wr = !strcmp(argv[3], "write");
	off = strtoull(argv[2], NULL, 0);
	if (wr)
		val = strtoull(argv[4], NULL, 0);
	page = off & ~((unsigned long long)sysconf(_SC_PAGESIZE) - 1);

	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	map = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, page);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	word = (volatile uint64_t *)((char *)map + (off - page));
	if (wr)
		*word = val;
	else
		printf("0x%016llx\n", (unsigned long long)*word);
	munmap(map, sysconf(_SC_PAGESIZE));
	close(fd);
	return 0;
}
