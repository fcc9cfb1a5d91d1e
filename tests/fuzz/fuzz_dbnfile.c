/*
 * fuzz_dbnfile.c - libFuzzer target for the streaming DBN file reader
 * (controlplane/rs_dbnfile.c): the input is written to a memfd and read
 * back through /proc/self/fd/N in mapped mode and in read(2) window mode,
 * with v3 upgrades on; zstd inputs exercise the decompression paths
 * (truncated frames, garbage after frames, skippable frames).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "controlplane/rs_dbnfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_dbnfile", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (unsigned mode = 0; mode < 2; mode++) {
		struct rs_dbnfile *f;
		if (rs_dbnfile_open(&f, path, RS_DBNFILE_UPGRADE | (mode ? RS_DBNFILE_NO_MMAP : 0)))
			continue;
		const struct rs_rec_hdr *rec;
		uint64_t sum = 0;
		while (rs_dbnfile_next(f, &rec) > 0) {
			sum += rec->length;
			if (rec->rtype == RS_RTYPE_DEFINITION) {
				struct rs_instrument in;
				rs_dbn_def_to_instrument((const void *)rec, &in);
				sum += in.tick_size != 0;
			}
		}
		(void)sum;
		rs_dbnfile_close(f);
	}
	close(fd);
	return 0;
}
