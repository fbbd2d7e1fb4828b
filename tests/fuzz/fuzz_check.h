// FUZZ_CHECK: the assertion of the fuzz targets. A broken invariant prints what broke and
// aborts, which libFuzzer (and the corpus replay test) reports as a crash with the input
// that caused it. Active in every build mode: the targets exist to check these.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, ...)                                             \
  do {                                                                         \
    if (!(condition)) {                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ", __FILE__, __LINE__, \
                   #condition);                                                \
      std::fprintf(stderr, __VA_ARGS__);                                       \
      std::fprintf(stderr, "\n");                                              \
      std::abort();                                                            \
    }                                                                          \
  } while (0)
