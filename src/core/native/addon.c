/* N-API face of the native kernels: paths() and scan(path, header, start, count, top, max). */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdlib.h>
#include "sha256d.h"

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "mm_native: N-API call failed");    \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value js_paths(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, mm_cpu_paths(), &r));
  return r;
}

static napi_value js_scan(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) {
    napi_throw_type_error(env, NULL, "scan(path, header, start, count, top, max) takes 6 arguments");
    return NULL;
  }
  int32_t path, maxout;
  uint32_t start, top;
  double count;
  bool is_typed;
  CHECK(napi_get_value_int32(env, argv[0], &path));
  CHECK(napi_is_typedarray(env, argv[1], &is_typed));
  if (!is_typed) {
    napi_throw_type_error(env, NULL, "header must be a Uint8Array");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &offset));
  if (type != napi_uint8_array || length != 80) {
    napi_throw_range_error(env, NULL, "header must be 80 bytes");
    return NULL;
  }
  CHECK(napi_get_value_uint32(env, argv[2], &start));
  CHECK(napi_get_value_double(env, argv[3], &count));
  CHECK(napi_get_value_uint32(env, argv[4], &top));
  CHECK(napi_get_value_int32(env, argv[5], &maxout));
  if (!(count >= 0) || count > 4294967296.0 || (double)start + count > 4294967296.0) {
    napi_throw_range_error(env, NULL, "start + count must be <= 2^32");
    return NULL;
  }
  if (maxout < 1) maxout = 1;
  if (maxout > 1 << 20) maxout = 1 << 20;
  uint32_t stackbuf[256];
  uint32_t *out = maxout <= 256 ? stackbuf : malloc(sizeof(uint32_t) * (size_t)maxout);
  if (!out) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  int n = mm_scan(path, (const uint8_t *)data, start, (uint64_t)count, top, out, maxout);
  napi_value arr;
  napi_status st = napi_create_array_with_length(env, (size_t)n, &arr);
  for (int i = 0; st == napi_ok && i < n; i++) {
    napi_value v;
    st = napi_create_uint32(env, out[i], &v);
    if (st == napi_ok) st = napi_set_element(env, arr, (uint32_t)i, v);
  }
  if (out != stackbuf) free(out);
  CHECK(st);
  return arr;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "paths", NULL, js_paths, NULL, NULL, NULL, napi_default, NULL },
    { "scan", NULL, js_scan, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, exports, 2, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
