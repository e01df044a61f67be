// The kernel side of `zswap kernel`: a process in a memory cgroup whose pages go through the
// machine's own swap and zswap. It fills a working set with a corpus's pages, pushes them out,
// replays accesses (writes and re-reads) and reads every page back, checking each one against
// what it must hold: the content rule of src/workload/resident.ts (pageContent), so that the
// same bytes go through the kernel and through zswap-ts.
//
// usage: helper PROCS CORPUS ACCESSES PAGES
//   PROCS     a cgroup's cgroup.procs: the helper moves itself there before it allocates
//   CORPUS    4096-byte pages back to back; page i of the working set is CORPUS page i % n
//   ACCESSES  little-endian u32s, one an access: page | 1 << 31 for a write
// Commands on stdin, one a line; after each, one line on stdout:
//   "<command> <ns> <pages that held the wrong bytes> <major faults>"
//   fill     write every page of the working set, in order
//   pageout  madvise(MADV_PAGEOUT) the whole working set
//   replay   the accesses: a write gives the page its next version, a read checks it
//   reread   read every page in order, checking it
//   quit

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#define PAGE 4096

static const uint8_t *corpus;
static size_t corpus_pages;
static const uint32_t *accesses;
static size_t access_count;
static size_t pages;
static uint8_t *memory;
static uint32_t *version;
static uint8_t expected[PAGE];

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static void die(const char *why) {
  fprintf(stderr, "%s\n", why);
  exit(1);
}

static const void *map_file(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) fail(path);
  *size = (size_t)st.st_size;
  void *p = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) fail(path);
  close(fd);
  return p;
}

/** What page `page` holds after `v` writes: its corpus page, then a stamp (pageContent). */
static void content(uint8_t *into, uint32_t page, uint32_t v) {
  memcpy(into, corpus + (size_t)(page % corpus_pages) * PAGE, PAGE);
  if (v == 0) return;
  memcpy(into, &page, 4);
  memcpy(into + 4, &v, 4);
  uint32_t at = (uint32_t)(v * 0x9e3779b1u) % (PAGE / 8);
  double stamp = (double)v + (double)page / 1e9;
  memcpy(into + (size_t)at * 8, &stamp, 8);
}

static uint8_t *page_at(size_t i) { return memory + i * PAGE; }

static int check(uint32_t page) {
  content(expected, page, version[page]);
  return memcmp(page_at(page), expected, PAGE) != 0;
}

/** Runs one command; returns the pages found wrong. */
static size_t run(const char *cmd) {
  size_t bad = 0;
  if (strcmp(cmd, "fill") == 0) {
    for (size_t i = 0; i < pages; i++) content(page_at(i), (uint32_t)i, 0);
  } else if (strcmp(cmd, "pageout") == 0) {
    if (madvise(memory, pages * PAGE, MADV_PAGEOUT) != 0) fail("madvise(MADV_PAGEOUT)");
  } else if (strcmp(cmd, "replay") == 0) {
    for (size_t i = 0; i < access_count; i++) {
      uint32_t page = accesses[i] & 0x7fffffffu;
      if (accesses[i] >> 31) content(page_at(page), page, ++version[page]);
      else bad += check(page);
    }
  } else if (strcmp(cmd, "reread") == 0) {
    for (size_t i = 0; i < pages; i++) bad += check((uint32_t)i);
  } else {
    fprintf(stderr, "unknown command %s\n", cmd);
    exit(2);
  }
  return bad;
}

static void setup(char **argv) {
  FILE *procs = fopen(argv[1], "w");
  if (procs == NULL || fprintf(procs, "%d\n", getpid()) < 0 || fclose(procs) != 0) fail(argv[1]);
  size_t size;
  corpus = map_file(argv[2], &size);
  corpus_pages = size / PAGE;
  accesses = map_file(argv[3], &size);
  access_count = size / 4;
  pages = strtoul(argv[4], NULL, 10);
  if (corpus_pages == 0 || pages == 0) die("an empty corpus or working set");
  for (size_t i = 0; i < access_count; i++)
    if ((accesses[i] & 0x7fffffffu) >= pages) die("an access outside the working set");
  // Versions are the helper's own bookkeeping: locked, so they never compete with the working set.
  version = mmap(NULL, pages * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (version == MAP_FAILED || mlock(version, pages * 4) != 0 || mlock(expected, PAGE) != 0)
    fail("versions");
  memory = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) fail("working set");
  // 4 KiB pages, as zswap-ts swaps them: no huge page folios.
  if (madvise(memory, pages * PAGE, MADV_NOHUGEPAGE) != 0) fail("madvise(MADV_NOHUGEPAGE)");
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PROCS CORPUS ACCESSES PAGES\n", argv[0]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the command that set the machine up
  setup(argv);
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\n")] = 0;
    if (strcmp(line, "quit") == 0) break;
    struct timespec t0, t1;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t bad = run(line);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &r1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("%s %lld %zu %ld\n", line, ns, bad, r1.ru_majflt - r0.ru_majflt);
    fflush(stdout);
  }
  return 0;
}
