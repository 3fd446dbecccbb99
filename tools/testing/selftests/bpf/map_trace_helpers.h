/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MAP_TRACE_HELPERS_H
#define __MAP_TRACE_HELPERS_H

#include <errno.h>
#include <unistd.h>

/* Read fd until EOF into buf (at most size bytes); returns bytes or -errno. */
static inline int read_all(int fd, void *buf, int size)
{
	int len = 0, n;

	while (len < size) {
		n = read(fd, (char *)buf + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

#endif
