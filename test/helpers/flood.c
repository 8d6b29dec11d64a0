/*
 * A UDP flooder for the capture tests: sends datagrams of SIZE bytes to DST:PORT as fast as the kernel
 * takes them (sendmmsg, 64 at a time) for SECONDS or until SIGTERM, then prints how many it sent. Built by
 * test/helpers/flood.ts into a temporary directory; run inside a test network namespace, towards the
 * peer namespace's address only.
 *
 * usage: flood DST PORT SIZE SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static volatile sig_atomic_t stopped;
static void on_term(int sig) { (void)sig; stopped = 1; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  struct sockaddr_in dst;
  static char payload[65536];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  int fd, i, size;
  double secs, end;
  unsigned long long sent = 0;
  if (argc < 5) { fprintf(stderr, "usage: flood DST PORT SIZE SECONDS\n"); return 2; }
  memset(&dst, 0, sizeof dst);
  dst.sin_family = AF_INET;
  dst.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) { fprintf(stderr, "flood: bad address %s\n", argv[1]); return 2; }
  size = atoi(argv[3]);
  if (size < 0 || size > (int)sizeof payload) { fprintf(stderr, "flood: bad size\n"); return 2; }
  secs = atof(argv[4]);
  memset(payload, 'F', sizeof payload);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("flood: socket"); return 1; }
  memset(msgs, 0, sizeof msgs);
  for (i = 0; i < BATCH; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = (size_t)size;
    msgs[i].msg_hdr.msg_name = &dst;
    msgs[i].msg_hdr.msg_namelen = sizeof dst;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  end = now() + secs;
  while (!stopped && now() < end) {
    int n = sendmmsg(fd, msgs, BATCH, 0);
    if (n > 0) sent += (unsigned long long)n;
  }
  close(fd);
  printf("%llu\n", sent);
  return 0;
}
