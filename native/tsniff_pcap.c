/*
 * tsniff_pcap: a small Node-API addon over libpcap.
 *
 * Design (see README.md, "How it works"):
 *  - Node-API only, so one build works across Node versions.
 *  - Live capture never blocks the event loop: the handle is non-blocking and its selectable fd is
 *    watched with a uv_poll_t on Node's own loop. When the fd is readable, live_run() reads the kernel's
 *    ring into one batch buffer laid out as pcap file records (16-byte header + bytes) and makes ONE call
 *    into JavaScript per batch, never one per packet. The record layout means `-w` can write a batch as it
 *    is.
 *  - JavaScript never runs inside pcap_dispatch(): the per-packet callback only copies the record. Each
 *    pcap_dispatch() is bounded (DISPATCH_MAX packets) and the buffer keeps room for DISPATCH_MAX maximal
 *    records past BATCH_BYTES, so it never overflows and libpcap never has to be interrupted; the batch
 *    goes to JavaScript after pcap_dispatch() has returned.
 *  - A handle is never freed while live_run() is on the stack: close() from a batch callback only marks
 *    the handle closed (nothing more is delivered) and live_run() releases it when it returns. drain()
 *    from a batch callback does nothing (dispatch is never re-entered; the delivery in progress goes on).
 *  - The work per wakeup is bounded (WAKE_BUDGET_NS, WAKE_MAX_BATCHES, counting the time JavaScript took):
 *    under a flood the fd stays readable, but we return to the loop anyway and libuv calls again after the
 *    signal handlers and timers ran, so Ctrl-C and --duration act at once. What the kernel drops
 *    meanwhile is counted by libpcap (pcap_stats: "dropped by kernel").
 *  - Filters are compiled by libpcap (pcap_compile on a pcap_open_dead handle) and returned to JS as a
 *    flat Uint32Array (code, jt, jf, k) so JS can disassemble them (-d) and run them over files.
 *  - filterBatch() runs libpcap's own bpf_filter over a whole batch in one call: it is the oracle that
 *    the JS evaluator is tested against.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <netpacket/packet.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

/* Longest program taken from JS. The kernel takes 4096 instructions; libpcap's compiler makes longer ones
 * for big expressions, run in user space by bpf_filter (files) or by libpcap when the kernel refuses them. */
#define PROGRAM_MAX_INSNS (1 << 20)

#define CHECK(call)                                                            \
  do {                                                                         \
    napi_status status_ = (call);                                              \
    if (status_ != napi_ok) {                                                  \
      napi_throw_error(env, NULL, "tsniff native: N-API call failed: " #call); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

/* Value makers return NULL when N-API fails; set_prop/set_elem then fail too (a NULL value is an invalid
 * argument), so a builder checks only those and throws once (napi_failed). */
static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  if (!s) return napi_get_null(env, &v) == napi_ok ? v : NULL;
  return napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) == napi_ok ? v : NULL;
}
static napi_value make_int(napi_env env, int64_t n) {
  napi_value v; return napi_create_int64(env, n, &v) == napi_ok ? v : NULL;
}
static napi_value make_bool(napi_env env, int b) {
  napi_value v; return napi_get_boolean(env, b, &v) == napi_ok ? v : NULL;
}
/* 0 on success, 1 on failure (so failures can be or-ed together) */
static int set_prop(napi_env env, napi_value obj, const char *k, napi_value v) {
  return !obj || !v || napi_set_named_property(env, obj, k, v) != napi_ok;
}
static int set_elem(napi_env env, napi_value arr, uint32_t i, napi_value v) {
  return !arr || !v || napi_set_element(env, arr, i, v) != napi_ok;
}
static napi_value new_object(napi_env env) {
  napi_value v; return napi_create_object(env, &v) == napi_ok ? v : NULL;
}
static napi_value new_array(napi_env env) {
  napi_value v; return napi_create_array(env, &v) == napi_ok ? v : NULL;
}
/* Throws the N-API failure (unless an exception is already pending) and returns NULL from the caller. */
static napi_value napi_failed(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, what);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, cap, &len) != napi_ok) return -1;
  return (int)len;
}
static int64_t get_int(napi_env env, napi_value v, int64_t dflt) {
  napi_valuetype t; int64_t n;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return dflt;
  if (napi_get_value_int64(env, v, &n) != napi_ok) return dflt;
  return n;
}
static int get_bool_prop(napi_env env, napi_value obj, const char *k, int dflt) {
  napi_value v; napi_valuetype t; bool b;
  if (napi_get_named_property(env, obj, k, &v) != napi_ok) return dflt;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) return dflt;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return dflt;
  return b;
}
static int64_t get_int_prop(napi_env env, napi_value obj, const char *k, int64_t dflt) {
  napi_value v;
  if (napi_get_named_property(env, obj, k, &v) != napi_ok) return dflt;
  return get_int(env, v, dflt);
}

/* Error objects carry libpcap's text as message and a code naming the kind of failure. */
static void throw_code(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
}

static napi_value sockaddr_to_js(napi_env env, struct sockaddr *sa) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (!sa) return make_string(env, NULL);
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
    return make_string(env, buf);
  }
  if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
    return make_string(env, buf);
  }
  if (sa->sa_family == AF_PACKET) {
    struct sockaddr_ll *ll = (struct sockaddr_ll *)sa;
    char mac[3 * 8 + 1]; size_t o = 0; int i;
    mac[0] = 0;
    for (i = 0; i < ll->sll_halen && i < 8; i++) o += snprintf(mac + o, sizeof mac - o, i ? ":%02x" : "%02x", ll->sll_addr[i]);
    return make_string(env, mac);
  }
  return make_string(env, NULL);
}

/* findAllDevs(): [{name, description, flags, loopback, up, running, wireless, addresses:[{family, addr, netmask, broadaddr}]}] */
static napi_value find_all_devs(napi_env env, napi_callback_info info) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_if_t *devs = NULL, *d;
  napi_value arr; uint32_t i = 0;
  (void)info;
  if (pcap_findalldevs(&devs, err) != 0) { throw_code(env, "EPCAP", err); return NULL; }
  int bad = 0;
  arr = new_array(env);
  bad |= !arr;
  for (d = devs; d && !bad; d = d->next) {
    napi_value o, addrs; pcap_addr_t *a; uint32_t j = 0;
    o = new_object(env);
    bad |= set_prop(env, o, "name", make_string(env, d->name));
    bad |= set_prop(env, o, "description", make_string(env, d->description));
    bad |= set_prop(env, o, "flags", make_int(env, d->flags));
    bad |= set_prop(env, o, "loopback", make_bool(env, (d->flags & PCAP_IF_LOOPBACK) != 0));
    bad |= set_prop(env, o, "up", make_bool(env, (d->flags & PCAP_IF_UP) != 0));
    bad |= set_prop(env, o, "running", make_bool(env, (d->flags & PCAP_IF_RUNNING) != 0));
    bad |= set_prop(env, o, "wireless", make_bool(env, (d->flags & PCAP_IF_WIRELESS) != 0));
    bad |= set_prop(env, o, "connectionStatus", make_int(env, d->flags & PCAP_IF_CONNECTION_STATUS));
    addrs = new_array(env);
    bad |= !addrs;
    for (a = d->addresses; a && !bad; a = a->next) {
      napi_value ao; const char *fam = "other";
      if (!a->addr) continue;
      if (a->addr->sa_family == AF_INET) fam = "inet";
      else if (a->addr->sa_family == AF_INET6) fam = "inet6";
      else if (a->addr->sa_family == AF_PACKET) fam = "link";
      ao = new_object(env);
      bad |= set_prop(env, ao, "family", make_string(env, fam));
      bad |= set_prop(env, ao, "addr", sockaddr_to_js(env, a->addr));
      bad |= set_prop(env, ao, "netmask", sockaddr_to_js(env, a->netmask));
      bad |= set_prop(env, ao, "broadaddr", sockaddr_to_js(env, a->broadaddr));
      bad |= set_elem(env, addrs, j++, ao);
    }
    bad |= set_prop(env, o, "addresses", addrs);
    bad |= set_elem(env, arr, i++, o);
  }
  pcap_freealldevs(devs);
  if (bad) return napi_failed(env, "tsniff native: N-API call failed while listing interfaces");
  return arr;
}

/* compile(expr, linktype, snaplen, optimize, netmask) -> Uint32Array [code, jt, jf, k]*n; throws libpcap's text */
static napi_value compile_filter(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  char *expr; size_t len = 0;
  int linktype, snaplen, optimize; uint32_t netmask;
  pcap_t *dead; struct bpf_program prog;
  napi_value ab, arr; void *data; u_int i, n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) { throw_code(env, "EINVAL", "compile(expr, linktype, snaplen, optimize, netmask)"); return NULL; }
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) { throw_code(env, "EINVAL", "compile: the expression must be a string"); return NULL; }
  expr = malloc(len + 1);
  if (!expr) { throw_code(env, "ENOMEM", "out of memory"); return NULL; }
  if (napi_get_value_string_utf8(env, argv[0], expr, len + 1, &len) != napi_ok) {
    free(expr); throw_code(env, "EINVAL", "compile: the expression must be a string"); return NULL;
  }
  linktype = (int)get_int(env, argc > 1 ? argv[1] : NULL, DLT_EN10MB);
  snaplen = (int)get_int(env, argc > 2 ? argv[2] : NULL, 262144);
  optimize = (int)get_int(env, argc > 3 ? argv[3] : NULL, 1);
  netmask = (uint32_t)get_int(env, argc > 4 ? argv[4] : NULL, PCAP_NETMASK_UNKNOWN);
  dead = pcap_open_dead(linktype, snaplen);
  if (!dead) { free(expr); throw_code(env, "EPCAP", "pcap_open_dead failed"); return NULL; }
  if (pcap_compile(dead, &prog, expr, optimize, netmask) != 0) {
    char msg[PCAP_ERRBUF_SIZE + 64];
    snprintf(msg, sizeof msg, "%s", pcap_geterr(dead));
    pcap_close(dead); free(expr);
    throw_code(env, "EFILTER", msg);
    return NULL;
  }
  free(expr);
  n = prog.bf_len;
  if (napi_create_arraybuffer(env, (size_t)n * 16, &data, &ab) != napi_ok) {
    pcap_freecode(&prog); pcap_close(dead);
    napi_throw_error(env, NULL, "tsniff native: N-API call failed: napi_create_arraybuffer");
    return NULL;
  }
  for (i = 0; i < n; i++) {
    uint32_t *w = (uint32_t *)data + i * 4;
    w[0] = prog.bf_insns[i].code; w[1] = prog.bf_insns[i].jt; w[2] = prog.bf_insns[i].jf; w[3] = prog.bf_insns[i].k;
  }
  pcap_freecode(&prog); pcap_close(dead);
  CHECK(napi_create_typedarray(env, napi_uint32_array, (size_t)n * 4, ab, 0, &arr));
  return arr;
}

/* The opcodes libpcap's bpf_filter() implements: bpf_validate() lets some others through (unknown
 * BPF_MISC or size/mode combinations), and bpf_filter() abort()s on those, so they are refused here. */
static int known_opcode(uint32_t code) {
  static const uint16_t ok[] = {
    0x00, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x60, 0x80,             /* ld imm, abs w/h/b, ind w/h/b, mem, len */
    0x01, 0x61, 0x81, 0xb1,                                           /* ldx imm, mem, len, msh */
    0x02, 0x03,                                                       /* st, stx */
    0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x94, 0xa4,       /* alu op k */
    0x0c, 0x1c, 0x2c, 0x3c, 0x4c, 0x5c, 0x6c, 0x7c, 0x9c, 0xac, 0x84, /* alu op x, neg */
    0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,             /* ja, jeq, jgt, jge, jset */
    0x06, 0x0e, 0x16,                                                 /* ret k, x, a */
    0x07, 0x87,                                                       /* tax, txa */
  };
  size_t i;
  for (i = 0; i < sizeof ok / sizeof ok[0]; i++) if (ok[i] == code) return 1;
  return 0;
}

/* A program from JS (Uint32Array of [code, jt, jf, k] words), checked by libpcap's bpf_validate so that a
 * bad one is refused with a clear error instead of being run. Throws (and returns -1) on a bad one. */
static int js_to_program(napi_env env, napi_value v, struct bpf_program *prog) {
  napi_typedarray_type t; size_t n; void *data; napi_value ab; size_t off; u_int i; bool is_ta = false;
  prog->bf_len = 0; prog->bf_insns = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok || t != napi_uint32_array) {
    throw_code(env, "EINVAL", "a BPF program must be a Uint32Array of [code, jt, jf, k] words");
    return -1;
  }
  if (n == 0 || n % 4 || n / 4 > PROGRAM_MAX_INSNS) {
    char msg[128];
    snprintf(msg, sizeof msg, "invalid BPF program: %zu words (expected 4 per instruction, 1 to %d instructions)", n, PROGRAM_MAX_INSNS);
    throw_code(env, "EFILTER", msg);
    return -1;
  }
  prog->bf_len = (u_int)(n / 4);
  prog->bf_insns = calloc(prog->bf_len, sizeof(struct bpf_insn));
  if (!prog->bf_insns) { throw_code(env, "ENOMEM", "out of memory"); return -1; }
  for (i = 0; i < prog->bf_len; i++) {
    uint32_t *w = (uint32_t *)data + i * 4;
    if (w[0] <= 0xffff && w[1] <= 0xff && w[2] <= 0xff && !known_opcode(w[0])) {
      char msg[128];
      snprintf(msg, sizeof msg, "invalid BPF program: instruction %u has an unknown opcode 0x%x", i, w[0]);
      free(prog->bf_insns); prog->bf_insns = NULL;
      throw_code(env, "EFILTER", msg);
      return -1;
    }
    if (w[0] > 0xffff || w[1] > 0xff || w[2] > 0xff) {
      char msg[128];
      snprintf(msg, sizeof msg, "invalid BPF program: instruction %u has an out-of-range code or jump", i);
      free(prog->bf_insns); prog->bf_insns = NULL;
      throw_code(env, "EFILTER", msg);
      return -1;
    }
    prog->bf_insns[i].code = (u_short)w[0]; prog->bf_insns[i].jt = (u_char)w[1];
    prog->bf_insns[i].jf = (u_char)w[2]; prog->bf_insns[i].k = w[3];
  }
  if (!bpf_validate(prog->bf_insns, (int)prog->bf_len)) {
    free(prog->bf_insns); prog->bf_insns = NULL;
    throw_code(env, "EFILTER", "invalid BPF program (refused by bpf_validate: a bad opcode, jump, memory slot or no final return)");
    return -1;
  }
  return 0;
}

/* A Uint32Array argument with at least `need` elements, or a thrown EINVAL naming it. */
static uint32_t *u32_arg(napi_env env, napi_value v, const char *name, uint32_t need) {
  napi_typedarray_type t; size_t n; void *data; napi_value ab; size_t off; bool is_ta = false;
  char msg[160];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok || t != napi_uint32_array) {
    snprintf(msg, sizeof msg, "filterBatch: %s must be a Uint32Array", name);
    throw_code(env, "EINVAL", msg); return NULL;
  }
  if (n < need) {
    snprintf(msg, sizeof msg, "filterBatch: %s has %zu elements, fewer than count (%u)", name, n, need);
    throw_code(env, "EINVAL", msg); return NULL;
  }
  return (uint32_t *)data;
}

/* filterBatch(program, buf, offsets, caplens, wirelens, count) -> Uint32Array of bpf_filter's return values.
 * One call per batch: libpcap's own verdicts, used as the oracle for the JS evaluator and by tests. Every
 * argument is checked (types, lengths against count, the program by bpf_validate); a record outside the
 * buffer gets verdict 0. */
static napi_value filter_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6];
  struct bpf_program prog; uint8_t *buf; size_t buflen;
  napi_typedarray_type t; napi_value ab, out; size_t off; bool is_ta = false;
  uint32_t *offs, *caps, *wires; void *res; uint32_t count, i; double dcount; napi_valuetype vt;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) { throw_code(env, "EINVAL", "filterBatch(program, buf, offs, caplens, wirelens, count)"); return NULL; }
  if (napi_typeof(env, argv[5], &vt) != napi_ok || vt != napi_number || napi_get_value_double(env, argv[5], &dcount) != napi_ok ||
      !(dcount >= 0) || dcount > 0xffffffffu || dcount != (double)(uint32_t)dcount) {
    throw_code(env, "EINVAL", "filterBatch: count must be a whole number >= 0"); return NULL;
  }
  count = (uint32_t)dcount;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &t, &buflen, (void **)&buf, &ab, &off) != napi_ok || t != napi_uint8_array) {
    throw_code(env, "EINVAL", "filterBatch: buf must be a Buffer or Uint8Array"); return NULL;
  }
  if (!(offs = u32_arg(env, argv[2], "offs", count))) return NULL;
  if (!(caps = u32_arg(env, argv[3], "caplens", count))) return NULL;
  if (!(wires = u32_arg(env, argv[4], "wirelens", count))) return NULL;
  if (js_to_program(env, argv[0], &prog) != 0) return NULL;
  if (napi_create_arraybuffer(env, (size_t)count * 4 + 4, &res, &ab) != napi_ok) {
    free(prog.bf_insns); napi_throw_error(env, NULL, "tsniff native: N-API call failed: napi_create_arraybuffer"); return NULL;
  }
  for (i = 0; i < count; i++) {
    uint32_t o = offs[i], c = caps[i], w = wires[i];
    if ((size_t)o + c > buflen) { ((uint32_t *)res)[i] = 0; continue; }
    ((uint32_t *)res)[i] = bpf_filter(prog.bf_insns, buf + o, w, c);
  }
  free(prog.bf_insns);
  CHECK(napi_create_typedarray(env, napi_uint32_array, count, ab, 0, &out));
  return out;
}

static napi_value lib_version(napi_env env, napi_callback_info info) {
  (void)info; return make_string(env, pcap_lib_version());
}
static napi_value dlt_name(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return make_string(env, pcap_datalink_val_to_name((int)get_int(env, argv[0], -1)));
}
static napi_value dlt_description(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  return make_string(env, pcap_datalink_val_to_description((int)get_int(env, argv[0], -1)));
}
static napi_value dlt_value(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; char name[128];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (get_string(env, argv[0], name, sizeof name) < 0) return make_int(env, -1);
  return make_int(env, pcap_datalink_name_to_val(name));
}
/* lookupNet(device) -> {net, mask} or null (tcpdump compiles with the device's netmask) */
static napi_value lookup_net(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], o; char dev[256], err[PCAP_ERRBUF_SIZE];
  bpf_u_int32 net = 0, mask = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (get_string(env, argv[0], dev, sizeof dev) < 0) return make_string(env, NULL);
  if (pcap_lookupnet(dev, &net, &mask, err) != 0) return make_string(env, NULL);
  o = new_object(env);
  if (set_prop(env, o, "net", make_int(env, ntohl(net))) | set_prop(env, o, "mask", make_int(env, ntohl(mask))))
    return napi_failed(env, "tsniff native: N-API call failed in lookupNet");
  return o;
}

/* ---------------------------------------------------------------- live capture */

/* A batch is handed to JavaScript once it holds BATCH_BYTES or BATCH_PACKETS (or the ring is empty). Each pcap_dispatch()
 * takes at most DISPATCH_MAX packets, and the buffer has room for DISPATCH_MAX maximal records past
 * BATCH_BYTES, so the packet callback never runs out of room and never has to stop libpcap. */
#define BATCH_BYTES (256u << 10)
#define DISPATCH_MAX 64
/* ... or BATCH_PACKETS packets; fewer while JavaScript is slow: when a batch took JavaScript more than
 * FLUSH_TARGET_NS (e.g. -V printing), the next batches are smaller (down to BATCH_PACKETS_MIN), and they grow
 * back when it is fast, so the loop gets back to signal handlers after about that long even then. */
#define BATCH_PACKETS 1024
#define BATCH_PACKETS_MIN 8
#define BATCH_PACKETS_START 64 /* the first batches are small, until JavaScript's speed is known */
#define FLUSH_TARGET_NS (10u * 1000u * 1000u)
/* Work per wakeup of the fd (uv_poll callback) or per drain(): after this much time or this many
 * batches we return to the event loop even when the kernel has more (libuv calls again, after signal
 * handlers and timers ran). */
#define WAKE_BUDGET_NS (15u * 1000u * 1000u)
#define WAKE_MAX_BATCHES 8

typedef struct {
  pcap_t *p;
  napi_env env;
  napi_ref self;       /* keeps the JS object alive while polling */
  napi_ref cb;         /* onBatch(err, buffer, count, done) */
  uv_poll_t *poll;
  int fd;
  int polling;
  int closed;          /* close() was called: nothing more is delivered */
  int depth;           /* > 0 while live_run() is on the stack (a dispatch or a JS call) */
  int release_pending; /* close() came during live_run(): the handle is released when it returns */
  int nano;
  int64_t remaining;   /* packets still wanted; -1 = unlimited */
  size_t rec_max;      /* 16 + snapshot length: the largest record */
  uint8_t *buf; size_t cap, used; uint32_t count;
  uint64_t delivered;
  uint64_t oversize;   /* records that did not fit (cannot happen with caplen <= snapshot; counted, not written) */
  uint32_t batch_limit; /* packets per batch now (BATCH_PACKETS_MIN..BATCH_PACKETS, adapts to JS's speed) */
  uint32_t err_wakeups; /* POLLERR wakeups in a row that libpcap did not fail (bounded: see on_readable) */
} Live;

/* Hands the batch to JavaScript: one call, outside pcap_dispatch. Returns 0, or -1 if N-API failed. */
static int live_flush_code(Live *h, int done, const char *errmsg, const char *errcode);
static int live_flush(Live *h, int done, const char *errmsg) { return live_flush_code(h, done, errmsg, NULL); }
/* As live_flush, the error (if any) carrying `errcode` as its code. */
static int live_flush_code(Live *h, int done, const char *errmsg, const char *errcode) {
  napi_env env = h->env;
  napi_handle_scope scope; napi_value cb, global, argv[4], res;
  char oom[96];
  int rc = 0;
  if (!h->cb || h->closed) { h->used = 0; h->count = 0; return 0; }
  if (napi_open_handle_scope(env, &scope) != napi_ok) return -1;
  if (napi_get_reference_value(env, h->cb, &cb) != napi_ok || napi_get_global(env, &global) != napi_ok) { rc = -1; goto out; }
  if (h->used) {
    void *d;
    if (napi_create_buffer_copy(env, h->used, h->buf, &d, &argv[1]) != napi_ok) {
      bool pending = false; napi_value e;
      napi_is_exception_pending(env, &pending);
      if (pending) napi_get_and_clear_last_exception(env, &e);
      snprintf(oom, sizeof oom, "out of memory for a batch of %u packets (%zu bytes); capture stopped", h->count, h->used);
      errmsg = oom; done = 1; h->count = 0;
      if (h->poll && h->polling) { uv_poll_stop(h->poll); h->polling = 0; }
      if (napi_get_null(env, &argv[1]) != napi_ok) { rc = -1; goto out; }
    }
  } else if (napi_get_null(env, &argv[1]) != napi_ok) { rc = -1; goto out; }
  if (errmsg) {
    napi_value msg, code = NULL;
    if (errcode && napi_create_string_utf8(env, errcode, NAPI_AUTO_LENGTH, &code) != napi_ok) { rc = -1; goto out; }
    if (napi_create_string_utf8(env, errmsg, NAPI_AUTO_LENGTH, &msg) != napi_ok || napi_create_error(env, code, msg, &argv[0]) != napi_ok) { rc = -1; goto out; }
  } else if (napi_get_null(env, &argv[0]) != napi_ok) { rc = -1; goto out; }
  if (napi_create_uint32(env, h->count, &argv[2]) != napi_ok || napi_get_boolean(env, done, &argv[3]) != napi_ok) { rc = -1; goto out; }
  h->delivered += h->count;
  h->used = 0; h->count = 0;
  /* JS exceptions thrown by the callback become uncaught exceptions of the process, as for any event. */
  if (napi_make_callback(env, NULL, global, cb, 4, argv, &res) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) { napi_value e; if (napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e); }
  }
out:
  h->used = 0; h->count = 0;
  napi_close_handle_scope(env, scope);
  return rc;
}

/* libpcap's per-packet callback: copies the record into the batch and nothing else (no JS, no syscall). */
static void on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes) {
  Live *h = (Live *)user;
  size_t need = 16 + (size_t)hdr->caplen;
  uint32_t w[4];
  if (need > h->cap - h->used) { h->oversize++; return; }
  /* records follow each other at any offset (caplen may be odd): the header is copied, not stored as words */
  w[0] = (uint32_t)hdr->ts.tv_sec; w[1] = (uint32_t)hdr->ts.tv_usec; w[2] = hdr->caplen; w[3] = hdr->len;
  memcpy(h->buf + h->used, w, sizeof w);
  memcpy(h->buf + h->used + 16, bytes, hdr->caplen);
  h->used += need; h->count++;
}

static void live_stop_poll(Live *h);
static void live_release(Live *h);

/* Reads what the kernel has, a batch at a time, one JS call per batch, until the ring is empty or the
 * budget is spent. Never re-entered (drain() from a batch callback does nothing: this loop is already
 * delivering), and close() from a batch callback is deferred to its end. */
static void live_run(Live *h, uint64_t budget_ns, int max_batches) {
  uint64_t t0 = uv_hrtime();
  int batches = 0;
  if (!h->p || h->closed || h->depth) return;
  h->depth++;
  for (;;) {
    int empty = 0, failed = 0, rounds = 0;
    char msg[PCAP_ERRBUF_SIZE + 8];
    /* Fill one batch: bounded dispatches, each with room for all the packets it may take. */
    while (h->used < BATCH_BYTES && h->count < h->batch_limit && h->remaining != 0 && rounds++ < BATCH_PACKETS) {
      int cnt = DISPATCH_MAX, n;
      if (h->batch_limit - h->count < (uint32_t)cnt) cnt = (int)(h->batch_limit - h->count);
      if (h->remaining > 0 && h->remaining < cnt) cnt = (int)h->remaining;
      n = pcap_dispatch(h->p, cnt, on_packet, (u_char *)h);
      if (n < 0) {
        snprintf(msg, sizeof msg, "%s", n == PCAP_ERROR_BREAK ? "capture interrupted" : pcap_geterr(h->p));
        failed = n == PCAP_ERROR_BREAK ? 1 : 2;
        break;
      }
      if (h->remaining > 0) h->remaining -= n > h->remaining ? h->remaining : n;
      /* fewer than asked: the ring has nothing more ready now */
      if (n < cnt) { empty = 1; break; }
      if (uv_hrtime() - t0 > budget_ns) break;
    }
    if (failed) {
      live_stop_poll(h);
      live_flush(h, 1, failed == 2 ? msg : NULL);
      break;
    }
    if (h->remaining == 0) { live_stop_poll(h); live_flush(h, 1, NULL); break; }
    if (h->count) {
      uint32_t sent = h->count;
      uint64_t f0 = uv_hrtime(), dt;
      if (live_flush(h, 0, NULL) != 0) break;
      dt = uv_hrtime() - f0;
      if (dt > FLUSH_TARGET_NS) {
        /* as many packets as JavaScript handles in FLUSH_TARGET_NS at this speed */
        uint64_t fit = (uint64_t)sent * FLUSH_TARGET_NS / dt;
        h->batch_limit = fit < BATCH_PACKETS_MIN ? BATCH_PACKETS_MIN : fit < h->batch_limit ? (uint32_t)fit : h->batch_limit;
      } else if (dt < FLUSH_TARGET_NS / 4 && sent >= h->batch_limit && h->batch_limit < BATCH_PACKETS) {
        h->batch_limit = h->batch_limit * 2 > BATCH_PACKETS ? BATCH_PACKETS : h->batch_limit * 2;
      }
    }
    if (h->closed) break;
    if (empty || ++batches >= max_batches || uv_hrtime() - t0 > budget_ns) break;
  }
  h->depth--;
  if (h->depth == 0 && h->release_pending) live_release(h);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  Live *h = (Live *)poll->data;
  (void)events;
  if (!h->p || h->closed) return;
  if (status < 0) {
    /* POLLERR (libuv stopped the handle): the socket has an error, ENETDOWN when the interface went down
     * or away. libpcap reads it in pcap_dispatch: an interface that is gone is an error; one that only went
     * down is not (the kernel hooks the socket again when it comes back up, so the handle is kept, as
     * tcpdump keeps it, and nothing is missed after the up). JS is told either way, outside any dispatch. */
    int n, cnt = DISPATCH_MAX;
    char msg[PCAP_ERRBUF_SIZE + 8];
    live_stop_poll(h);
    if (h->depth || h->remaining == 0) return;
    if (h->remaining > 0 && h->remaining < cnt) cnt = (int)h->remaining;
    h->depth++;
    /* an error libpcap keeps ignoring would wake us forever: after many in a row it ends the capture */
    n = ++h->err_wakeups > 10000 ? PCAP_ERROR_BREAK : pcap_dispatch(h->p, cnt, on_packet, (u_char *)h);
    if (n < 0) {
      snprintf(msg, sizeof msg, "%s", n == PCAP_ERROR_BREAK ? uv_strerror(status) : pcap_geterr(h->p));
      live_flush(h, 1, msg);
    } else {
      if (h->remaining > 0) h->remaining -= n > h->remaining ? h->remaining : n;
      live_flush_code(h, h->remaining == 0, "the interface went down", "ELINKDOWN");
    }
    h->depth--;
    if (h->release_pending) { live_release(h); return; }
    if (n >= 0 && !h->closed && h->p && h->poll && h->remaining != 0 && uv_poll_start(h->poll, UV_READABLE, on_readable) == 0) h->polling = 1;
    return;
  }
  h->err_wakeups = 0;
  live_run(h, WAKE_BUDGET_NS, WAKE_MAX_BATCHES);
}

static void on_poll_closed(uv_handle_t *hd) { free(hd); }

static void live_stop_poll(Live *h) {
  if (h->poll && h->polling) { uv_poll_stop(h->poll); h->polling = 0; }
}

/* Releases the handle; while live_run() is on the stack (close() from a batch callback) only marks it
 * closed and leaves the release to live_run's end, so libpcap never sees its handle freed under it. */
static void live_release(Live *h) {
  live_stop_poll(h);
  h->closed = 1;
  if (h->depth > 0) { h->release_pending = 1; return; }
  h->release_pending = 0;
  if (h->poll) { uv_close((uv_handle_t *)h->poll, on_poll_closed); h->poll = NULL; }
  if (h->p) { pcap_close(h->p); h->p = NULL; }
  if (h->cb) { napi_delete_reference(h->env, h->cb); h->cb = NULL; }
  if (h->self) { napi_delete_reference(h->env, h->self); h->self = NULL; }
}

static void live_finalize(napi_env env, void *data, void *hint) {
  Live *h = (Live *)data; (void)env; (void)hint;
  h->depth = 0;
  live_release(h);
  free(h->buf); free(h);
}

static Live *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self; void *p = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &p) != napi_ok || !p) { napi_throw_error(env, "EINVAL", "not a live handle"); return NULL; }
  return (Live *)p;
}

static const char *pcap_status_code(int rc) {
  switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return "ENODEV";
    case PCAP_ERROR_PERM_DENIED: case PCAP_ERROR_PROMISC_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_IFACE_NOT_UP: return "ENETDOWN";
    default: return "EPCAP";
  }
}

/* Live(device, {snaplen, promisc, bufferSize, immediate, nano, timeoutMs, direction, datalink}) */
static napi_value live_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], self;
  char dev[512], err[PCAP_ERRBUF_SIZE]; Live *h; int rc; int64_t v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 1 || get_string(env, argv[0], dev, sizeof dev) < 0) { throw_code(env, "EINVAL", "Live(device, options)"); return NULL; }
  if (argc > 1) {
    v = get_int_prop(env, argv[1], "bufferSize", 0);
    if (v < 0 || v > INT32_MAX) {
      char msg[128]; snprintf(msg, sizeof msg, "buffer size %lld bytes is out of range (at most %d)", (long long)v, INT32_MAX);
      throw_code(env, "EINVAL", msg); return NULL;
    }
  }
  h = calloc(1, sizeof *h);
  if (!h) { throw_code(env, "ENOMEM", "out of memory"); return NULL; }
  h->env = env; h->remaining = -1; h->fd = -1; h->batch_limit = BATCH_PACKETS_START;
  err[0] = 0;
  h->p = pcap_create(dev, err);
  if (!h->p) { free(h); throw_code(env, "EPCAP", err); return NULL; }
  if (argc > 1) {
    int64_t snap = get_int_prop(env, argv[1], "snaplen", 262144);
    pcap_set_snaplen(h->p, snap > 0 && snap <= INT32_MAX ? (int)snap : 262144);
    pcap_set_promisc(h->p, get_bool_prop(env, argv[1], "promisc", 1));
    v = get_int_prop(env, argv[1], "bufferSize", 0);
    if (v > 0) pcap_set_buffer_size(h->p, (int)v);
    v = get_int_prop(env, argv[1], "timeoutMs", 100);
    pcap_set_timeout(h->p, v >= 0 && v <= INT32_MAX ? (int)v : 100);
    if (get_bool_prop(env, argv[1], "immediate", 0)) pcap_set_immediate_mode(h->p, 1);
    if (get_bool_prop(env, argv[1], "nano", 0)) {
      if (pcap_set_tstamp_precision(h->p, PCAP_TSTAMP_PRECISION_NANO) == 0) h->nano = 1;
    }
  } else {
    pcap_set_snaplen(h->p, 262144); pcap_set_promisc(h->p, 1); pcap_set_timeout(h->p, 100);
  }
  rc = pcap_activate(h->p);
  if (rc < 0) {
    char msg[PCAP_ERRBUF_SIZE + 768];
    const char *perr = pcap_geterr(h->p);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED || rc == PCAP_ERROR_IFACE_NOT_UP)
      snprintf(msg, sizeof msg, "%s: %s%s%s", dev, pcap_statustostr(rc), perr && *perr ? " (" : "", perr && *perr ? perr : "");
    else snprintf(msg, sizeof msg, "%s: %s", dev, perr && *perr ? perr : pcap_statustostr(rc));
    pcap_close(h->p); free(h);
    throw_code(env, pcap_status_code(rc), msg);
    return NULL;
  }
  if (argc > 1) {
    v = get_int_prop(env, argv[1], "datalink", -1);
    if (v >= 0 && (v > INT32_MAX || pcap_set_datalink(h->p, (int)v) != 0)) {
      char msg[PCAP_ERRBUF_SIZE]; snprintf(msg, sizeof msg, "%s", v > INT32_MAX ? "link type out of range" : pcap_geterr(h->p));
      pcap_close(h->p); free(h); throw_code(env, "EPCAP", msg); return NULL;
    }
    v = get_int_prop(env, argv[1], "direction", 0); /* 0 inout, 1 in, 2 out */
    if (v == 1 || v == 2) {
      if (pcap_setdirection(h->p, v == 1 ? PCAP_D_IN : PCAP_D_OUT) != 0) {
        char msg[PCAP_ERRBUF_SIZE]; snprintf(msg, sizeof msg, "%s", pcap_geterr(h->p));
        pcap_close(h->p); free(h); throw_code(env, "EPCAP", msg); return NULL;
      }
    }
  }
  if (pcap_setnonblock(h->p, 1, err) != 0) { pcap_close(h->p); free(h); throw_code(env, "EPCAP", err); return NULL; }
  h->fd = pcap_get_selectable_fd(h->p);
  if (h->fd < 0) { pcap_close(h->p); free(h); throw_code(env, "EPCAP", "this capture has no selectable file descriptor"); return NULL; }
  h->rec_max = 16 + (size_t)(pcap_snapshot(h->p) > 0 ? pcap_snapshot(h->p) : 262144);
  h->cap = BATCH_BYTES + (size_t)DISPATCH_MAX * h->rec_max;
  h->buf = malloc(h->cap);
  if (!h->buf) { pcap_close(h->p); free(h); throw_code(env, "ENOMEM", "out of memory"); return NULL; }
  if (napi_wrap(env, self, h, live_finalize, NULL, NULL) != napi_ok) {
    pcap_close(h->p); free(h->buf); free(h); throw_code(env, "EPCAP", "wrap failed"); return NULL;
  }
  return self;
}

/* Watches the capture's descriptor on the loop (start, resume); throws EPCAP when libuv can't. */
static void live_watch(napi_env env, Live *h) {
  int rc = uv_poll_start(h->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    char msg[160]; snprintf(msg, sizeof msg, "cannot watch the capture's descriptor: %s", uv_strerror(rc));
    throw_code(env, "EPCAP", msg); return;
  }
  h->polling = 1;
}

/* start(onBatch, maxCount) */
static napi_value live_start(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2], self; Live *h; uv_loop_t *loop; napi_valuetype t; int rc;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (napi_unwrap(env, self, (void **)&h) != napi_ok || !h || !h->p || h->closed) { throw_code(env, "EINVAL", "capture is closed"); return NULL; }
  if (h->polling) { throw_code(env, "EINVAL", "capture already started"); return NULL; }
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) { throw_code(env, "EINVAL", "start(onBatch: function, maxCount?)"); return NULL; }
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (!h->poll) {
    uv_poll_t *poll = calloc(1, sizeof(uv_poll_t));
    if (!poll) { throw_code(env, "ENOMEM", "out of memory"); return NULL; }
    rc = uv_poll_init(loop, poll, h->fd);
    if (rc != 0) {
      char msg[160]; snprintf(msg, sizeof msg, "cannot watch the capture's descriptor: %s", uv_strerror(rc));
      free(poll); throw_code(env, "EPCAP", msg); return NULL;
    }
    poll->data = h;
    h->poll = poll;
  }
  if (h->cb) { napi_delete_reference(env, h->cb); h->cb = NULL; }
  CHECK(napi_create_reference(env, argv[0], 1, &h->cb));
  h->remaining = argc > 1 ? get_int(env, argv[1], -1) : -1;
  if (h->remaining <= 0) h->remaining = -1;
  if (!h->self) CHECK(napi_create_reference(env, self, 1, &h->self));
  live_watch(env, h);
  return NULL;
}

/* pause(): stop reading (the kernel keeps buffering); start() resumes. */
static napi_value live_pause(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  live_stop_poll(h);
  return NULL;
}

/* resume(): reading again after pause() (the batch callback and count of start() stay). */
static napi_value live_resume(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  if (!h->p || h->closed || !h->poll || !h->cb || h->polling || h->remaining == 0) return NULL;
  live_watch(env, h);
  return NULL;
}

static napi_value live_set_filter(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; struct bpf_program prog; Live *h = unwrap_this(env, info, &argc, argv);
  if (!h) return NULL;
  if (!h->p || h->closed) { throw_code(env, "EINVAL", "capture is closed"); return NULL; }
  if (argc < 1 || js_to_program(env, argv[0], &prog) != 0) return NULL;
  if (pcap_setfilter(h->p, &prog) != 0) {
    char msg[PCAP_ERRBUF_SIZE]; snprintf(msg, sizeof msg, "%s", pcap_geterr(h->p));
    free(prog.bf_insns); throw_code(env, "EFILTER", msg); return NULL;
  }
  free(prog.bf_insns);
  return NULL;
}

static napi_value live_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0; struct pcap_stat st; napi_value o; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  if (!h->p) return make_string(env, NULL);
  if (pcap_stats(h->p, &st) != 0) { throw_code(env, "EPCAP", pcap_geterr(h->p)); return NULL; }
  o = new_object(env);
  if (set_prop(env, o, "received", make_int(env, st.ps_recv)) | set_prop(env, o, "dropped", make_int(env, st.ps_drop)) |
      set_prop(env, o, "ifDropped", make_int(env, st.ps_ifdrop)))
    return napi_failed(env, "tsniff native: N-API call failed in stats");
  return o;
}

static napi_value live_datalink(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  return make_int(env, h->p ? pcap_datalink(h->p) : -1);
}
static napi_value live_snaplen(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  return make_int(env, h->p ? pcap_snapshot(h->p) : -1);
}
static napi_value live_nano(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  return make_bool(env, h->nano);
}
static napi_value live_datalinks(napi_env env, napi_callback_info info) {
  size_t argc = 0; int *list = NULL, n, i; napi_value arr; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h || !h->p) return NULL;
  n = pcap_list_datalinks(h->p, &list);
  if (n < 0) { throw_code(env, "EPCAP", pcap_geterr(h->p)); return NULL; }
  arr = new_array(env);
  for (i = 0; i < n && arr; i++) if (set_elem(env, arr, (uint32_t)i, make_int(env, list[i]))) arr = NULL;
  pcap_free_datalinks(list);
  if (!arr) return napi_failed(env, "tsniff native: N-API call failed in datalinks");
  return arr;
}

static napi_value live_inject(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; void *data; size_t len; int rc; Live *h = unwrap_this(env, info, &argc, argv);
  if (!h) return NULL;
  if (!h->p) { throw_code(env, "EINVAL", "capture is closed"); return NULL; }
  CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
  rc = pcap_inject(h->p, data, len);
  if (rc < 0) { throw_code(env, "EPCAP", pcap_geterr(h->p)); return NULL; }
  return make_int(env, rc);
}

/* close(): stops polling, delivers nothing more, releases the handle (deferred to the end of the batch
 * delivery when called from a batch callback). Idempotent. */
static napi_value live_close(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  live_release(h);
  return NULL;
}

/* drain(): deliver what libpcap holds now, within one wakeup's budget (used when stopping). From a batch
 * callback it does nothing: the delivery in progress goes on by itself, and dispatch is never re-entered. */
static napi_value live_drain(napi_env env, napi_callback_info info) {
  size_t argc = 0; Live *h = unwrap_this(env, info, &argc, NULL);
  if (!h) return NULL;
  live_run(h, WAKE_BUDGET_NS, WAKE_MAX_BATCHES);
  return NULL;
}

/* ---------------------------------------------------------------- link events (netlink) */

/* LinkWatch(onEvents): a NETLINK_ROUTE socket subscribed to RTMGRP_LINK, watched on the loop like a capture.
 * Each wakeup reads what the kernel queued (bounded) and makes ONE call onEvents(events, overflow) with
 * [{name, index, up, running, deleted}]; overflow is true when the kernel dropped events (ENOBUFS), so the
 * listener should look at every interface again. Used by a capture waiting for its interface to come back
 * up (src/capture/live-source.ts), which keeps polling as a fallback. */
#define LINK_RECV_MAX 32
#define LINK_EVENTS_MAX 256

typedef struct {
  napi_env env;
  napi_ref cb;
  napi_ref self;
  uv_poll_t *poll;
  int fd;
  int depth;
  int closed;
} Links;

typedef struct { char name[IF_NAMESIZE]; int index; unsigned flags; int deleted; } LinkEvent;

static void links_release(Links *l) {
  l->closed = 1;
  if (l->poll) { uv_poll_stop(l->poll); }
  if (l->depth > 0) return; /* from the callback: finished when it returns */
  if (l->poll) { uv_close((uv_handle_t *)l->poll, on_poll_closed); l->poll = NULL; }
  if (l->fd >= 0) { close(l->fd); l->fd = -1; }
  if (l->cb) { napi_delete_reference(l->env, l->cb); l->cb = NULL; }
  if (l->self) { napi_delete_reference(l->env, l->self); l->self = NULL; }
}

static void links_deliver(Links *l, LinkEvent *ev, int n, int overflow) {
  napi_env env = l->env;
  napi_handle_scope scope; napi_value cb, global, argv[2], res; int i, bad = 0;
  if (!l->cb || l->closed) return;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (napi_get_reference_value(env, l->cb, &cb) != napi_ok || napi_get_global(env, &global) != napi_ok) bad = 1;
  argv[0] = bad ? NULL : new_array(env);
  bad |= !argv[0];
  for (i = 0; i < n && !bad; i++) {
    napi_value o = new_object(env);
    bad |= set_prop(env, o, "name", make_string(env, ev[i].name));
    bad |= set_prop(env, o, "index", make_int(env, ev[i].index));
    bad |= set_prop(env, o, "up", make_bool(env, (ev[i].flags & IFF_UP) != 0));
    bad |= set_prop(env, o, "running", make_bool(env, (ev[i].flags & IFF_RUNNING) != 0));
    bad |= set_prop(env, o, "deleted", make_bool(env, ev[i].deleted));
    bad |= set_elem(env, argv[0], (uint32_t)i, o);
  }
  if (!bad) { argv[1] = make_bool(env, overflow); bad |= !argv[1]; }
  if (!bad && napi_make_callback(env, NULL, global, cb, 2, argv, &res) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) { napi_value e; if (napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e); }
  }
  napi_close_handle_scope(env, scope);
}

static void on_links_readable(uv_poll_t *poll, int status, int events) {
  Links *l = (Links *)poll->data;
  static LinkEvent ev[LINK_EVENTS_MAX];
  /* aligned for struct nlmsghdr */
  static uint32_t buf[8192];
  int n = 0, overflow = 0, round;
  (void)events;
  if (l->closed) return;
  if (status < 0) { overflow = 1; }
  for (round = 0; round < LINK_RECV_MAX && status >= 0; round++) {
    ssize_t len = recv(l->fd, buf, sizeof buf, MSG_DONTWAIT);
    struct nlmsghdr *nh;
    if (len < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) { overflow = 1; continue; } /* the kernel dropped events: look at everything */
      break;                                            /* EAGAIN: all read */
    }
    if (len == 0) break;
    for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
      struct ifinfomsg *ifi; struct rtattr *rta; int alen; LinkEvent *e;
      if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) break;
      if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK) continue;
      if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *ifi)) continue;
      if (n >= LINK_EVENTS_MAX) { overflow = 1; continue; }
      ifi = (struct ifinfomsg *)NLMSG_DATA(nh);
      e = &ev[n];
      memset(e, 0, sizeof *e);
      e->index = ifi->ifi_index; e->flags = ifi->ifi_flags; e->deleted = nh->nlmsg_type == RTM_DELLINK;
      alen = (int)IFLA_PAYLOAD(nh);
      for (rta = IFLA_RTA(ifi); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
        if (rta->rta_type == IFLA_IFNAME) {
          size_t sl = RTA_PAYLOAD(rta);
          if (sl >= sizeof e->name) sl = sizeof e->name - 1;
          memcpy(e->name, RTA_DATA(rta), sl);
          e->name[sl] = 0;
        }
      }
      if (!e->name[0] && !if_indextoname((unsigned)e->index, e->name)) e->name[0] = 0;
      n++;
    }
  }
  if (n == 0 && !overflow) return;
  l->depth++;
  links_deliver(l, ev, n, overflow);
  l->depth--;
  if (l->closed) links_release(l);
}

static void links_finalize(napi_env env, void *data, void *hint) {
  Links *l = (Links *)data; (void)env; (void)hint;
  l->depth = 0;
  links_release(l);
  free(l);
}

static napi_value links_ctor(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], self; napi_valuetype t; Links *l; uv_loop_t *loop;
  struct sockaddr_nl sa; int rc;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) { throw_code(env, "EINVAL", "LinkWatch(onEvents: function)"); return NULL; }
  CHECK(napi_get_uv_event_loop(env, &loop));
  l = calloc(1, sizeof *l);
  if (!l) { throw_code(env, "ENOMEM", "out of memory"); return NULL; }
  l->env = env;
  l->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (l->fd < 0) { char msg[128]; snprintf(msg, sizeof msg, "netlink socket: %s", strerror(errno)); free(l); throw_code(env, "EPCAP", msg); return NULL; }
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK;
  if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    char msg[128]; snprintf(msg, sizeof msg, "netlink bind: %s", strerror(errno));
    close(l->fd); free(l); throw_code(env, "EPCAP", msg); return NULL;
  }
  l->poll = calloc(1, sizeof(uv_poll_t));
  if (!l->poll) { close(l->fd); free(l); throw_code(env, "ENOMEM", "out of memory"); return NULL; }
  rc = uv_poll_init(loop, l->poll, l->fd);
  if (rc != 0) {
    char msg[128]; snprintf(msg, sizeof msg, "cannot watch the netlink socket: %s", uv_strerror(rc));
    free(l->poll); close(l->fd); free(l); throw_code(env, "EPCAP", msg); return NULL;
  }
  l->poll->data = l;
  if (napi_create_reference(env, argv[0], 1, &l->cb) != napi_ok || napi_create_reference(env, self, 1, &l->self) != napi_ok ||
      napi_wrap(env, self, l, links_finalize, NULL, NULL) != napi_ok) {
    if (l->cb) napi_delete_reference(env, l->cb);
    if (l->self) napi_delete_reference(env, l->self);
    l->cb = l->self = NULL;
    uv_close((uv_handle_t *)l->poll, on_poll_closed); close(l->fd); free(l);
    return napi_failed(env, "tsniff native: N-API call failed in LinkWatch");
  }
  rc = uv_poll_start(l->poll, UV_READABLE, on_links_readable);
  if (rc != 0) {
    char msg[128]; snprintf(msg, sizeof msg, "cannot watch the netlink socket: %s", uv_strerror(rc));
    links_release(l); throw_code(env, "EPCAP", msg); return NULL;
  }
  return self;
}

/* close(): stops watching and closes the socket (deferred to the end of a callback that calls it). Idempotent. */
static napi_value links_close(napi_env env, napi_callback_info info) {
  size_t argc = 0; napi_value self; void *p = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  if (napi_unwrap(env, self, &p) != napi_ok || !p) { throw_code(env, "EINVAL", "not a link watch"); return NULL; }
  links_release((Links *)p);
  return NULL;
}

/* noNewPrivs(): prctl(PR_SET_NO_NEW_PRIVS) after -Z's drop, so nothing this process runs afterwards (a plugin's
 * child process, a set-user-ID program) can gain privileges again. Irreversible; inherited by children. */
static napi_value no_new_privs(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    char msg[128]; snprintf(msg, sizeof msg, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
    throw_code(env, "EPERM", msg);
  }
  return NULL;
}

/* native/tsniff_craft.c: Sender and routeSource (sending crafted packets) */
napi_value tsniff_craft_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
    {"findAllDevs", NULL, find_all_devs, NULL, NULL, NULL, napi_default, NULL},
    {"compile", NULL, compile_filter, NULL, NULL, NULL, napi_default, NULL},
    {"filterBatch", NULL, filter_batch, NULL, NULL, NULL, napi_default, NULL},
    {"libVersion", NULL, lib_version, NULL, NULL, NULL, napi_default, NULL},
    {"datalinkName", NULL, dlt_name, NULL, NULL, NULL, napi_default, NULL},
    {"datalinkDescription", NULL, dlt_description, NULL, NULL, NULL, napi_default, NULL},
    {"datalinkValue", NULL, dlt_value, NULL, NULL, NULL, napi_default, NULL},
    {"lookupNet", NULL, lookup_net, NULL, NULL, NULL, napi_default, NULL},
    {"noNewPrivs", NULL, no_new_privs, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_property_descriptor methods[] = {
    {"start", NULL, live_start, NULL, NULL, NULL, napi_default, NULL},
    {"pause", NULL, live_pause, NULL, NULL, NULL, napi_default, NULL},
    {"resume", NULL, live_resume, NULL, NULL, NULL, napi_default, NULL},
    {"drain", NULL, live_drain, NULL, NULL, NULL, napi_default, NULL},
    {"setFilter", NULL, live_set_filter, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, live_stats, NULL, NULL, NULL, napi_default, NULL},
    {"datalink", NULL, live_datalink, NULL, NULL, NULL, napi_default, NULL},
    {"datalinks", NULL, live_datalinks, NULL, NULL, NULL, napi_default, NULL},
    {"snaplen", NULL, live_snaplen, NULL, NULL, NULL, napi_default, NULL},
    {"isNano", NULL, live_nano, NULL, NULL, NULL, napi_default, NULL},
    {"inject", NULL, live_inject, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, live_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_property_descriptor link_methods[] = {
    {"close", NULL, links_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, links;
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok) return NULL;
  if (napi_define_class(env, "Live", NAPI_AUTO_LENGTH, live_ctor, NULL, sizeof methods / sizeof methods[0], methods, &cls) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "Live", cls) != napi_ok) return NULL;
  if (napi_define_class(env, "LinkWatch", NAPI_AUTO_LENGTH, links_ctor, NULL, 1, link_methods, &links) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "LinkWatch", links) != napi_ok) return NULL;
  if (!tsniff_craft_init(env, exports)) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
