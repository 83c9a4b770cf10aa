/* fsync_delay.so: an LD_PRELOAD shim that makes fsync() and fdatasync() take at least
 * FSYNC_DELAY_US microseconds, to give both servers of a durability benchmark the same
 * disk: put their data dirs on tmpfs (where a sync costs nothing) and preload this into
 * both, and each sync then costs what a chosen device would (0.05 ms NVMe, 0.2 ms a
 * fast SSD, 3.5 ms a slow one), whatever this machine's own disk does.
 *
 * The delay is a sleep, not a busy loop: a real sync leaves the CPU to other threads,
 * and the servers share one CPU in the benchmark. It counts from the call, so a real
 * sync slower than the delay is not lengthened. The calling thread's timer slack is
 * lowered for the sleep (50 us by default, which would otherwise add a quarter to a
 * 0.2 ms delay) and put back afterwards.
 *
 * With FSYNC_COUNT_FILE set, it also counts the calls and the time spent in them into
 * that file, shared by every thread and read by the benchmark around each run: two
 * native-endian uint64 (calls, nanoseconds), so `od -An -tu8 -N16 FILE` prints them.
 *
 * Built by bench/durability-always.sh: cc -O2 -shared -fPIC -o fsync_delay.so
 * fsync_delay.c -ldl. Without FSYNC_DELAY_US (or with 0) it only passes the calls on. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static long delay_ns = -1; /* -1: FSYNC_DELAY_US not read yet */

static long configured_delay_ns(void) {
  if (delay_ns < 0) {
    const char* text = getenv("FSYNC_DELAY_US");
    double us = text != NULL ? strtod(text, NULL) : 0.0;
    delay_ns = us > 0 ? (long)(us * 1000.0) : 0;
  }
  return delay_ns;
}

/* Sleeps until `start` + the delay. */
static void wait_out(const struct timespec* start) {
  long ns = configured_delay_ns();
  if (ns == 0) return;
  struct timespec until = *start;
  until.tv_sec += ns / 1000000000L;
  until.tv_nsec += ns % 1000000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000L;
  }
  const int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
  }
  if (slack > 0) prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
}

/* FSYNC_COUNT_FILE mapped: [0] calls, [1] nanoseconds in them; NULL without it. */
static uint64_t* counters = NULL;
static pthread_once_t counters_once = PTHREAD_ONCE_INIT;

static void map_counters(void) {
  const char* path = getenv("FSYNC_COUNT_FILE");
  if (path == NULL || path[0] == 0) return;
  const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (ftruncate(fd, 2 * sizeof(uint64_t)) == 0) {
    void* mapped = mmap(NULL, 2 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped != MAP_FAILED) counters = mapped;
  }
  close(fd);
}

static void count(const struct timespec* start) {
  pthread_once(&counters_once, map_counters);
  if (counters == NULL) return;
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  const int64_t ns = (int64_t)(end.tv_sec - start->tv_sec) * 1000000000 + (end.tv_nsec - start->tv_nsec);
  __atomic_fetch_add(&counters[0], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&counters[1], (uint64_t)(ns > 0 ? ns : 0), __ATOMIC_RELAXED);
}

typedef int (*sync_fn)(int);

static int delayed(const char* name, sync_fn* real, int fd) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  if (*real == NULL) *real = (sync_fn)dlsym(RTLD_NEXT, name);
  const int result = (*real)(fd);
  const int saved_errno = errno;
  wait_out(&start);
  count(&start);
  errno = saved_errno;
  return result;
}

int fsync(int fd) {
  static sync_fn real = NULL;
  return delayed("fsync", &real, fd);
}

int fdatasync(int fd) {
  static sync_fn real = NULL;
  return delayed("fdatasync", &real, fd);
}
