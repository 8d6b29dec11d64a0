/*
 * tsniff_craft: sending crafted packets (src/craft), registered into the same addon by tsniff_pcap.c's init.
 *
 *  - Sender("link", device): a libpcap handle used only to inject (pcap_inject). It takes no packets: its
 *    kernel filter is `ret #0`, so the kernel copies nothing into its ring.
 *  - Sender("ip4" | "ip6"): a raw socket (IPPROTO_RAW: the header is ours, the kernel routes it and fills an
 *    IPv4 source of 0.0.0.0 and the IPv4 header checksum when they are 0). Each datagram goes to the
 *    destination address in its own header.
 *  - send(buf, lens, count): `count` frames laid end to end in buf, lens[i] bytes each, in ONE call from
 *    JavaScript (no per-packet crossing). The loop is bounded by count, which the caller gives, never by the
 *    network. Returns how many were sent; a failure before the first frame throws (code EPCAP / errno name),
 *    a failure later returns the count so far (the caller reports the short send).
 *  - routeSource(dst): the source address the kernel would use towards dst (a connected UDP socket's
 *    getsockname; nothing is sent), or null when there is no route.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define CCHECK(call)                                                           \
  do {                                                                         \
    napi_status status_ = (call);                                              \
    if (status_ != napi_ok) {                                                  \
      napi_throw_error(env, NULL, "tsniff native: N-API call failed: " #call); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

enum { S_LINK = 1, S_IP4 = 2, S_IP6 = 3 };

typedef struct {
  int kind;
  pcap_t *p;
  int fd;
} Sender;

static void sender_release(Sender *s) {
  if (s->p) { pcap_close(s->p); s->p = NULL; }
  if (s->fd >= 0) { close(s->fd); s->fd = -1; }
}

static void sender_finalize(napi_env env, void *data, void *hint) {
  Sender *s = data;
  sender_release(s);
  free(s);
}

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: case EACCES: return "EPERM";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case EINVAL: return "EINVAL";
    case ENODEV: case ENXIO: return "ENODEV";
    case ENETDOWN: return "ENETDOWN";
    default: return "ESEND";
  }
}

/* Sender(kind: "link" | "ip4" | "ip6", device?: string) */
static napi_value sender_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0; napi_value argv[2], self;
  char kind[8], dev[512], err[PCAP_ERRBUF_SIZE]; Sender *s; int rc;
  CCHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], kind, sizeof kind, &len) != napi_ok) {
    napi_throw_error(env, "EINVAL", "Sender(kind, device?)"); return NULL;
  }
  s = calloc(1, sizeof *s);
  if (!s) { napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  s->fd = -1;
  if (strcmp(kind, "link") == 0) {
    struct bpf_insn none = { 0x06 /* BPF_RET|BPF_K */, 0, 0, 0 };
    struct bpf_program prog = { 1, &none };
    if (argc < 2 || napi_get_value_string_utf8(env, argv[1], dev, sizeof dev, &len) != napi_ok || len == 0 || len >= sizeof dev - 1) {
      free(s); napi_throw_error(env, "EINVAL", "Sender(\"link\", device)"); return NULL;
    }
    s->kind = S_LINK;
    err[0] = 0;
    s->p = pcap_create(dev, err);
    if (!s->p) { free(s); napi_throw_error(env, "EPCAP", err); return NULL; }
    pcap_set_snaplen(s->p, 64);
    pcap_set_buffer_size(s->p, 65536);
    pcap_set_timeout(s->p, 1000);
    rc = pcap_activate(s->p);
    if (rc < 0) {
      char msg[PCAP_ERRBUF_SIZE + 1200];
      const char *perr = pcap_geterr(s->p);
      if (perr && strcmp(perr, pcap_statustostr(rc)) == 0) perr = NULL; /* said once */
      const char *code = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "ENODEV" : rc == PCAP_ERROR_PERM_DENIED ? "EPERM" : rc == PCAP_ERROR_IFACE_NOT_UP ? "ENETDOWN" : "EPCAP";
      snprintf(msg, sizeof msg, "%s: %s%s%s%s", dev, pcap_statustostr(rc), perr && *perr ? " (" : "", perr && *perr ? perr : "", perr && *perr ? ")" : "");
      pcap_close(s->p); free(s);
      napi_throw_error(env, code, msg); return NULL;
    }
    if (pcap_setfilter(s->p, &prog) != 0) {
      char msg[PCAP_ERRBUF_SIZE + 600]; snprintf(msg, sizeof msg, "%s: %s", dev, pcap_geterr(s->p));
      pcap_close(s->p); free(s); napi_throw_error(env, "EPCAP", msg); return NULL;
    }
  } else if (strcmp(kind, "ip4") == 0 || strcmp(kind, "ip6") == 0) {
    s->kind = kind[2] == '4' ? S_IP4 : S_IP6;
    s->fd = socket(s->kind == S_IP4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (s->fd < 0) {
      int e = errno; char msg[200];
      snprintf(msg, sizeof msg, "cannot open a raw %s socket: %s%s", s->kind == S_IP4 ? "IPv4" : "IPv6", strerror(e),
               e == EPERM || e == EACCES ? " (sending at layer 3 needs CAP_NET_RAW: run it as root)" : "");
      free(s); napi_throw_error(env, errno_code(e), msg); return NULL;
    }
  } else {
    free(s); napi_throw_error(env, "EINVAL", "Sender kind is \"link\", \"ip4\" or \"ip6\""); return NULL;
  }
  if (napi_wrap(env, self, s, sender_finalize, NULL, NULL) != napi_ok) {
    sender_release(s); free(s); napi_throw_error(env, "EPCAP", "wrap failed"); return NULL;
  }
  return self;
}

static Sender *sender_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self; Sender *s = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) { napi_throw_error(env, NULL, "tsniff native: napi_get_cb_info failed"); return NULL; }
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || !s) { napi_throw_error(env, "EINVAL", "not a Sender"); return NULL; }
  if (!s->p && s->fd < 0) { napi_throw_error(env, "EINVAL", "sender is closed"); return NULL; }
  return s;
}

/* One frame; 0 or an errno-like failure (for the link kind, -1 with libpcap's message in s->p). */
static int send_one(Sender *s, const uint8_t *f, size_t n) {
  if (s->kind == S_LINK) return pcap_inject(s->p, f, n) < 0 ? -1 : 0;
  if (s->kind == S_IP4) {
    struct sockaddr_in to;
    if (n < 20) return EINVAL;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    memcpy(&to.sin_addr, f + 16, 4);
    return sendto(s->fd, f, n, 0, (struct sockaddr *)&to, sizeof to) < 0 ? errno : 0;
  } else {
    struct sockaddr_in6 to;
    if (n < 40) return EINVAL;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    memcpy(&to.sin6_addr, f + 24, 16);
    return sendto(s->fd, f, n, 0, (struct sockaddr *)&to, sizeof to) < 0 ? errno : 0;
  }
}

/* send(buf: Uint8Array, lens: Uint32Array, count: number): number */
static napi_value sender_send(napi_env env, napi_callback_info info) {
  size_t argc = 3, blen, llen, off = 0; napi_value argv[3], out; napi_typedarray_type t; napi_value ab; size_t aoff;
  void *bdata, *ldata; int64_t count; uint32_t *lens; Sender *s = sender_this(env, info, &argc, argv);
  if (!s) return NULL;
  if (argc < 3) { napi_throw_error(env, "EINVAL", "send(buf, lens, count)"); return NULL; }
  if (napi_get_typedarray_info(env, argv[0], &t, &blen, &bdata, &ab, &aoff) != napi_ok || t != napi_uint8_array) { napi_throw_error(env, "EINVAL", "send: buf must be a Uint8Array"); return NULL; }
  if (napi_get_typedarray_info(env, argv[1], &t, &llen, &ldata, &ab, &aoff) != napi_ok || t != napi_uint32_array) { napi_throw_error(env, "EINVAL", "send: lens must be a Uint32Array"); return NULL; }
  CCHECK(napi_get_value_int64(env, argv[2], &count));
  if (count < 0 || (uint64_t)count > llen) { napi_throw_error(env, "EINVAL", "send: count out of range"); return NULL; }
  lens = ldata;
  for (int64_t i = 0; i < count; i++) {
    size_t n = lens[i]; int rc;
    if (n > blen - off) { napi_throw_error(env, "EINVAL", "send: frame lengths run past the buffer"); return NULL; }
    rc = send_one(s, (const uint8_t *)bdata + off, n);
    if (rc != 0) {
      if (i > 0) { CCHECK(napi_create_int64(env, i, &out)); return out; }
      if (s->kind == S_LINK) { napi_throw_error(env, "EPCAP", pcap_geterr(s->p)); return NULL; }
      { char msg[160]; snprintf(msg, sizeof msg, "send: %s", strerror(rc)); napi_throw_error(env, errno_code(rc), msg); }
      return NULL;
    }
    off += n;
  }
  CCHECK(napi_create_int64(env, count, &out));
  return out;
}

static napi_value sender_close(napi_env env, napi_callback_info info) {
  size_t argc = 0; napi_value self; Sender *s = NULL;
  CCHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  if (napi_unwrap(env, self, (void **)&s) == napi_ok && s) sender_release(s);
  return NULL;
}

/* routeSource(dst: string): string | null */
static napi_value route_source(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0; napi_value argv[1], out; char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN];
  struct sockaddr_storage ss; socklen_t sl = sizeof ss; int fd, fam;
  CCHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], dst, sizeof dst, &len) != napi_ok) { napi_throw_error(env, "EINVAL", "routeSource(address)"); return NULL; }
  memset(&ss, 0, sizeof ss);
  if (inet_pton(AF_INET, dst, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
    fam = AF_INET; ((struct sockaddr_in *)&ss)->sin_family = AF_INET; ((struct sockaddr_in *)&ss)->sin_port = htons(9); sl = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, dst, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
    fam = AF_INET6; ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6; ((struct sockaddr_in6 *)&ss)->sin6_port = htons(9); sl = sizeof(struct sockaddr_in6);
  } else { napi_throw_error(env, "EINVAL", "routeSource: not an IP address"); return NULL; }
  fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0) {
    if (fd >= 0) close(fd);
    CCHECK(napi_get_null(env, &out)); return out;
  }
  sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
      !inet_ntop(fam, fam == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, src, sizeof src)) {
    close(fd); CCHECK(napi_get_null(env, &out)); return out;
  }
  close(fd);
  CCHECK(napi_create_string_utf8(env, src, NAPI_AUTO_LENGTH, &out));
  return out;
}

/* Called from tsniff_pcap.c's init: adds Sender and routeSource to the addon's exports. */
napi_value tsniff_craft_init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"send", NULL, sender_send, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, sender_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_property_descriptor fns[] = {
    {"routeSource", NULL, route_source, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  if (napi_define_properties(env, exports, 1, fns) != napi_ok) return NULL;
  if (napi_define_class(env, "Sender", NAPI_AUTO_LENGTH, sender_ctor, NULL, 2, methods, &cls) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "Sender", cls) != napi_ok) return NULL;
  return exports;
}
