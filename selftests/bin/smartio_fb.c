// SPDX-License-Identifier: GPL-2.0
/*
 * smartio_fb: put a framebuffer on its GPU's screen and fill it with one
 * colour, so that the host can read the pixels back from the device (QMP
 * screendump). Test helper, run in the guest.
 *
 *   smartio_fb FBDEV write|mmap 0xRRGGBB
 *
 * The fbdev emulation of a DRM driver programs the display only when a
 * mode is set on the framebuffer (fbcon does that for the console's one),
 * so the variable screen info is put back with FB_ACTIVATE_FORCE first.
 * "write" fills it with write(2), "mmap" through a shared mapping. Prints
 * the geometry as WIDTHxHEIGHT@BPP.
 */
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	uint32_t colour, *line;
	size_t size, x, y;
	char *map;
	int fd;

	if (argc != 4 || (strcmp(argv[2], "write") && strcmp(argv[2], "mmap"))) {
		fprintf(stderr, "usage: %s FBDEV write|mmap 0xRRGGBB\n", argv[0]);
		return 2;
	}
	colour = strtoul(argv[3], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) ||
	    ioctl(fd, FBIOGET_VSCREENINFO, &var)) {
		perror(argv[1]);
		return 1;
	}
	if (var.bits_per_pixel != 32) {
		fprintf(stderr, "%s: %u bits per pixel, not 32\n", argv[1],
			var.bits_per_pixel);
		return 1;
	}
	var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
	if (ioctl(fd, FBIOPUT_VSCREENINFO, &var)) {
		perror("FBIOPUT_VSCREENINFO");
		return 1;
	}
	size = (size_t)fix.line_length * var.yres;
	line = malloc(fix.line_length);
	if (!line)
		return 1;
	for (x = 0; x < fix.line_length / 4; x++)
		line[x] = colour;
	if (!strcmp(argv[2], "mmap")) {
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (y = 0; y < var.yres; y++)
			memcpy(map + y * fix.line_length, line, fix.line_length);
		if (msync(map, size, MS_SYNC))
			perror("msync");
		munmap(map, size);
	} else {
		for (y = 0; y < var.yres; y++) {
			if (write(fd, line, fix.line_length) != fix.line_length) {
				perror("write");
				return 1;
			}
		}
	}
	/* A pan commits the plane: the whole framebuffer is flushed. */
	if (ioctl(fd, FBIOPAN_DISPLAY, &var))
		perror("FBIOPAN_DISPLAY");
	printf("%ux%u@%u\n", var.xres, var.yres, var.bits_per_pixel);
	free(line);
	close(fd);
	return 0;
}
