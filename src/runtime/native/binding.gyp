{
  "targets": [
    {
      "target_name": "nnspec_native",
      "sources": ["kernels.c"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lopenblas", "-lm"]
    }
  ]
}
