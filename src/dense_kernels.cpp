// dense_kernels.cpp: the choice of the wide (AVX2/FMA) dense kernels (see dense_kernels.h).
#include "dense_kernels.h"
#include <atomic>

namespace {

// Does this processor run AVX2 and FMA instructions? (GCC's test includes the operating system's
// support for the wide registers.) Only asked where unit_avx2.cpp can build the kernels.
bool processor_has_avx2_fma() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

// -1: not yet decided; 0: off; 1: on.
std::atomic<int> wide_state(-1);

}  // namespace

bool wide_kernels_in_use() {
  int state = wide_state.load(std::memory_order_relaxed);
  if (state < 0) {
    state = (wide_kernels_compiled() && processor_has_avx2_fma()) ? 1 : 0;
    wide_state.store(state, std::memory_order_relaxed);
  }
  return state == 1;
}

const DenseKernels* wide_kernels(double flops) {
  if (flops < wide_min_flops || !wide_kernels_in_use()) return nullptr;
  return &avx2_kernel_table();
}

bool set_wide_kernels(bool on) {
  wide_state.store(on && wide_kernels_compiled() && processor_has_avx2_fma() ? 1 : 0, std::memory_order_relaxed);
  return wide_kernels_in_use();
}
