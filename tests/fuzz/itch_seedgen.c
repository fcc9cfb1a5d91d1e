/*
 * itch_seedgen.c - build-time tool: extract the UDP payloads (MoldUDP64
 * packets) of the ITCH captures under DATA_DIR/itch into OUT_DIR, one file
 * per packet (plus the whole Ethernet frame), as the fuzz_itch seed corpus. Missing data is not an error
 * (the corpus is then only the committed hand-made seeds).
 *
 *   itch_seedgen DATA_DIR OUT_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "controlplane/rs_pcapfile.h"

#define DLT_EN10MB_VALUE 1

static int g_n;

static void one_pcap(const char *path, const char *out, const char *tag)
{
	struct rs_pcapfile *f;
	if (rs_pcapfile_open(&f, path) < 0)
		return;
	struct rs_pcapfile_udp u;
	while (rs_pcapfile_next_udp(f, NULL, &u) > 0) {
		char name[4096];
		snprintf(name, sizeof(name), "%s/%s-%llu.bin", out, tag, (unsigned long long)u.frame.index);
		FILE *o = fopen(name, "wb");
		if (!o)
			continue;
		fwrite(u.udp.payload, 1, u.udp.payload_len, o);
		fclose(o);
		g_n++;
		/* the whole Ethernet frame too (the harness also parses frames) */
		if (rs_pcapfile_linktype(f) != DLT_EN10MB_VALUE)
			continue;
		snprintf(name, sizeof(name), "%s/%s-%llu.frame", out, tag, (unsigned long long)u.frame.index);
		if (!(o = fopen(name, "wb")))
			continue;
		fwrite(u.frame.data, 1, u.frame.caplen, o);
		fclose(o);
		g_n++;
	}
	rs_pcapfile_close(f);
}

static void scan(const char *dir, const char *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".pcap")) {
			char p[4096], tag[256];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			snprintf(tag, sizeof(tag), "%.*s", (int)(l - 5), e->d_name);
			one_pcap(p, out, tag);
		}
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: itch_seedgen DATA_DIR OUT_DIR\n");
		return 64;
	}
	char p[4096];
	mkdir(argv[2], 0755);
	snprintf(p, sizeof(p), "%s/itch", argv[1]);
	scan(p, argv[2]);
	snprintf(p, sizeof(p), "%s/itch/omi_2023_anonymized", argv[1]);
	scan(p, argv[2]);
	snprintf(p, sizeof(p), "%s/itch/omi_single_packets", argv[1]);
	scan(p, argv[2]);
	printf("itch_seedgen: %d seeds in %s\n", g_n, argv[2]);
	return 0;
}
