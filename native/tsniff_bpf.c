/*
 * tsniff_bpf: the loader of tsniff's process-attribution eBPF program (native/bpf/proc.bpf.c), a Node-API
 * addon of its own, built only where libbpf and clang exist (scripts/build-bpf.mjs) and loaded only when
 * process options are used. The pcap addon never depends on it.
 *
 *   open(objectPath, cgroupPath) -> handle | throws (one line: libbpf's last message, never its dump)
 *   consume(handle) -> Buffer of the events waiting in the ring buffer (88 bytes each; see ebpf-engine.ts)
 *   ringFd(handle) -> the ring buffer's epoll fd
 *   watch(handle, fn) -> calls fn() from the event loop whenever events wait (a uv_poll_t on the ring
 *     buffer's epoll fd, not keeping the loop alive); fn reads them with consume()
 *   close(handle)
 *
 * Every attachment is a bpf_link owned by this process's file descriptors: when the process ends, however
 * it ends, the kernel detaches them. No JS runs inside libbpf's callbacks; they only copy bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <node_api.h>
#include <uv.h>

#define MAX_LINKS 32
#define EVENT_SIZE 88
/* events taken per consume() call: bounds the work one call does however busy the network is */
#define MAX_EVENTS 65536

struct loader {
	struct bpf_object *obj;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct ring_buffer *rb;
	int cgroup_fd;
	unsigned char *buf;
	size_t len, cap;
	int closed;
	/* watch(): the ring buffer's fd on Node's loop, and the function it calls */
	uv_poll_t *poll;
	napi_env env;
	napi_ref cb;
};

static char last_msg[512];

static int on_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("TSNIFF_BPF_DEBUG")) {
		vfprintf(stderr, fmt, ap);
		return 0;
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = 0;
	const char *m = line;
	if (strncmp(m, "libbpf: ", 8) == 0)
		m += 8, n -= 8;
	if (n)
		memcpy(last_msg, m, n + 1);
	return 0;
}

#define CHECK(env, call)                                                                                          \
	do {                                                                                                      \
		if ((call) != napi_ok) {                                                                          \
			napi_throw_error(env, NULL, "tsniff_bpf: Node-API call failed: " #call);                 \
			return NULL;                                                                              \
		}                                                                                                 \
	} while (0)

static napi_value fail(napi_env env, const char *what, int err)
{
	char msg[800], why[200];
	if (libbpf_strerror(err > 0 ? err : -err, why, sizeof(why)))
		snprintf(why, sizeof(why), "%s", strerror(err > 0 ? err : -err));
	if (last_msg[0])
		snprintf(msg, sizeof(msg), "%s: %s (%s)", what, why, last_msg);
	else
		snprintf(msg, sizeof(msg), "%s: %s", what, why);
	napi_throw_error(env, NULL, msg);
	return NULL;
}

static void on_poll_closed(uv_handle_t *h)
{
	free(h);
}

static void unwatch(struct loader *l)
{
	if (l->poll) {
		uv_poll_stop(l->poll);
		uv_close((uv_handle_t *)l->poll, on_poll_closed);
		l->poll = NULL;
	}
	if (l->cb && l->env)
		napi_delete_reference(l->env, l->cb);
	l->cb = NULL;
}

static void destroy(struct loader *l)
{
	if (l->closed)
		return;
	l->closed = 1;
	unwatch(l);
	for (int i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	l->nlinks = 0;
	if (l->rb)
		ring_buffer__free(l->rb);
	l->rb = NULL;
	if (l->obj)
		bpf_object__close(l->obj);
	l->obj = NULL;
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;
	free(l->buf);
	l->buf = NULL;
}

static void finalize(napi_env env, void *data, void *hint)
{
	destroy((struct loader *)data);
	free(data);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct loader *l = ctx;
	if (size != EVENT_SIZE)
		return 0;
	if (l->len + size > l->cap) {
		if (l->cap >= (size_t)MAX_EVENTS * EVENT_SIZE)
			return 1; /* stop: the rest waits for the next call */
		size_t cap = l->cap ? l->cap * 2 : 64 * EVENT_SIZE;
		unsigned char *b = realloc(l->buf, cap);
		if (!b)
			return 1;
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, size);
	l->len += size;
	return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	char path[4096], cg[4096];
	size_t n;
	CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &n));
	CHECK(env, napi_get_value_string_utf8(env, argv[1], cg, sizeof(cg), &n));
	libbpf_set_print(on_print);
	last_msg[0] = 0;

	struct loader *l = calloc(1, sizeof(*l));
	if (!l)
		return fail(env, "out of memory", ENOMEM);
	l->cgroup_fd = -1;
	int err;
	l->obj = bpf_object__open_file(path, NULL);
	if (!l->obj) {
		err = errno;
		destroy(l);
		free(l);
		return fail(env, "cannot open the eBPF object", err);
	}
	err = bpf_object__load(l->obj);
	if (err) {
		destroy(l);
		free(l);
		return fail(env, "the kernel refused the eBPF program", err);
	}
	l->cgroup_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->cgroup_fd < 0) {
		err = errno;
		destroy(l);
		free(l);
		return fail(env, "cannot open the cgroup v2 root", err);
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, l->obj)
	{
		if (l->nlinks >= MAX_LINKS)
			break;
		enum bpf_prog_type t = bpf_program__type(prog);
		struct bpf_link *link;
		if (t == BPF_PROG_TYPE_CGROUP_SOCK || t == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || t == BPF_PROG_TYPE_CGROUP_SKB)
			link = bpf_program__attach_cgroup(prog, l->cgroup_fd);
		else
			link = bpf_program__attach(prog);
		if (!link) {
			err = errno;
			char what[300];
			snprintf(what, sizeof(what), "cannot attach %s", bpf_program__name(prog));
			destroy(l);
			free(l);
			return fail(env, what, err);
		}
		l->links[l->nlinks++] = link;
	}
	struct bpf_map *events = bpf_object__find_map_by_name(l->obj, "events");
	l->rb = events ? ring_buffer__new(bpf_map__fd(events), on_event, l, NULL) : NULL;
	if (!l->rb) {
		err = errno;
		destroy(l);
		free(l);
		return fail(env, "cannot open the ring buffer", err);
	}
	napi_value ext;
	if (napi_create_external(env, l, finalize, NULL, &ext) != napi_ok) {
		destroy(l);
		free(l);
		napi_throw_error(env, NULL, "tsniff_bpf: napi_create_external failed");
		return NULL;
	}
	return ext;
}

static struct loader *get(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	void *p = NULL;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok) {
		napi_throw_type_error(env, NULL, "tsniff_bpf: expected a handle");
		return NULL;
	}
	return p;
}

static napi_value js_consume(napi_env env, napi_callback_info info)
{
	struct loader *l = get(env, info);
	if (!l)
		return NULL;
	l->len = 0;
	if (!l->closed && l->rb)
		ring_buffer__consume(l->rb);
	napi_value out;
	void *data;
	CHECK(env, napi_create_buffer_copy(env, l->len, l->len ? (void *)l->buf : (void *)"", &data, &out));
	return out;
}

static napi_value js_ring_fd(napi_env env, napi_callback_info info)
{
	struct loader *l = get(env, info);
	if (!l)
		return NULL;
	napi_value v;
	CHECK(env, napi_create_int32(env, l->closed || !l->rb ? -1 : ring_buffer__epoll_fd(l->rb), &v));
	return v;
}

/* The ring buffer has events: fn() (which consumes them) from the event loop, never from libbpf's callbacks. */
static void on_ring_readable(uv_poll_t *poll, int status, int events)
{
	struct loader *l = poll->data;
	if (l->closed || !l->cb)
		return;
	napi_env env = l->env;
	napi_handle_scope scope;
	if (napi_open_handle_scope(env, &scope) != napi_ok)
		return;
	napi_value cb, global, res;
	if (napi_get_reference_value(env, l->cb, &cb) == napi_ok && cb && napi_get_global(env, &global) == napi_ok &&
	    napi_make_callback(env, NULL, global, cb, 0, NULL, &res) != napi_ok) {
		bool pending = false;
		napi_is_exception_pending(env, &pending);
		if (pending) {
			napi_value e;
			if (napi_get_and_clear_last_exception(env, &e) == napi_ok)
				napi_fatal_exception(env, e);
		}
	}
	napi_close_handle_scope(env, scope);
}

static napi_value js_watch(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	void *p = NULL;
	napi_valuetype t;
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || napi_get_value_external(env, argv[0], &p) != napi_ok || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
		napi_throw_type_error(env, NULL, "tsniff_bpf: watch(handle, fn)");
		return NULL;
	}
	struct loader *l = p;
	if (l->closed || !l->rb) {
		napi_throw_error(env, NULL, "tsniff_bpf: the handle is closed");
		return NULL;
	}
	unwatch(l);
	uv_loop_t *loop;
	CHECK(env, napi_get_uv_event_loop(env, &loop));
	uv_poll_t *poll = calloc(1, sizeof(*poll));
	if (!poll)
		return fail(env, "cannot watch the ring buffer", ENOMEM);
	int rc = uv_poll_init(loop, poll, ring_buffer__epoll_fd(l->rb));
	if (rc) {
		free(poll);
		char msg[160];
		snprintf(msg, sizeof(msg), "cannot watch the ring buffer: %s", uv_strerror(rc));
		napi_throw_error(env, NULL, msg);
		return NULL;
	}
	poll->data = l;
	if (napi_create_reference(env, argv[1], 1, &l->cb) != napi_ok) {
		uv_close((uv_handle_t *)poll, on_poll_closed);
		napi_throw_error(env, NULL, "tsniff_bpf: napi_create_reference failed");
		return NULL;
	}
	l->env = env;
	l->poll = poll;
	rc = uv_poll_start(poll, UV_READABLE, on_ring_readable);
	if (rc) {
		unwatch(l);
		char msg[160];
		snprintf(msg, sizeof(msg), "cannot watch the ring buffer: %s", uv_strerror(rc));
		napi_throw_error(env, NULL, msg);
		return NULL;
	}
	/* the capture keeps the process alive, not this */
	uv_unref((uv_handle_t *)poll);
	return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info)
{
	struct loader *l = get(env, info);
	if (!l)
		return NULL;
	destroy(l);
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	napi_property_descriptor d[] = {
		{"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
		{"consume", NULL, js_consume, NULL, NULL, NULL, napi_default, NULL},
		{"ringFd", NULL, js_ring_fd, NULL, NULL, NULL, napi_default, NULL},
		{"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
		{"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
	};
	if (napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d) != napi_ok)
		return NULL;
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
