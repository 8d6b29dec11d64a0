/* A Node-API module with deliberate memory errors, built with scripts/asan.mjs's flags by test/native/asan.test.ts:
 * it proves that the ASan job sees an overflow, a leak and undefined behaviour in an addon (libasan preloaded, reports found). */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;
static volatile char byte;

static napi_value overflow(napi_env env, napi_callback_info info) {
  volatile size_t n = 16, i = 16; /* sizes unknown to the compiler: ASan's finding, not UBSan's object-size */
  char *p = malloc(n);
  byte = p[i]; /* one byte past the end (a read: -O1 drops a store to memory that is freed next) */
  free(p);
  return NULL;
}

static napi_value leak(napi_env env, napi_callback_info info) {
  char *p = malloc(77);
  memset(p, 1, 77);
  sink = p;
  sink = NULL; /* the only pointer is gone */
  return NULL;
}

static napi_value undefined_behaviour(napi_env env, napi_callback_info info) {
  volatile int big = 2147483647;
  byte = (char)(big + 1); /* signed overflow: UBSan */
  return NULL;
}

static napi_value fine(napi_env env, napi_callback_info info) {
  char *volatile p = malloc(16);
  memset(p, 0, 16);
  free(p);
  return NULL;
}

static void def(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &f) == napi_ok) napi_set_named_property(env, exports, name, f);
}

NAPI_MODULE_INIT() {
  def(env, exports, "overflow", overflow);
  def(env, exports, "leak", leak);
  def(env, exports, "ub", undefined_behaviour);
  def(env, exports, "fine", fine);
  return exports;
}
