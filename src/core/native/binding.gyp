{
  "targets": [
    {
      "target_name": "mm_native",
      "sources": ["addon.c", "sha256d.c"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fno-strict-aliasing"],
      "cflags_c": ["-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
