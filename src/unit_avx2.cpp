// unit_avx2.cpp: the third translation unit (see Makevars): Eigen's dense kernels compiled for
// x86-64 processors with AVX2 and FMA, used only when the processor has them (dense_kernels.h).
// R's flags build for the baseline x86-64, so this unit asks GCC for the wider instructions with
// a target pragma and defines the instruction-set macros Eigen reads to choose its packets (the
// pragma does not define them). Eigen is renamed here (glmmlab_avx2_eigen) so that none of its
// template instantiations can be merged by the linker with the baseline ones of the other units;
// the standard headers come first, under the baseline target, for the same reason. Other
// compilers and processors get an empty table and wide_kernels_compiled() false.
#include "dense_kernels.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__AVX2__)

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cfloat>
#include <climits>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <iostream>
#include <limits>
#include <new>
#include <sstream>
#include <stdint.h>
#include <string>
#include <type_traits>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#define __SSE3__ 1
#define __SSSE3__ 1
#define __SSE4_1__ 1
#define __SSE4_2__ 1
#define __AVX__ 1
#define __AVX2__ 1
#define __FMA__ 1
#define Eigen glmmlab_avx2_eigen
#include <Eigen/Core>
#include <Eigen/Cholesky>

namespace {

typedef Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<> > Strided;
typedef Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<> > ConstStrided;

bool avx2_cholesky_lower(double* a, std::ptrdiff_t n, std::ptrdiff_t lda) {
  Strided A(a, n, n, Eigen::OuterStride<>(lda));
  Eigen::Ref<Eigen::MatrixXd, 0, Eigen::OuterStride<> > ref(A);
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd, 0, Eigen::OuterStride<> > > llt(ref);
  return llt.info() == Eigen::Success;
}

void avx2_solve_right_lower_transpose(const double* l, std::ptrdiff_t n, std::ptrdiff_t ldl, double* b, std::ptrdiff_t m,
                                      std::ptrdiff_t ldb) {
  ConstStrided L(l, n, n, Eigen::OuterStride<>(ldl));
  Strided B(b, m, n, Eigen::OuterStride<>(ldb));
  auto Bt = B.transpose();
  L.triangularView<Eigen::Lower>().solveInPlace(Bt);
}

void avx2_rank_update_lower(double* c, std::ptrdiff_t n, std::ptrdiff_t ldc, const double* a, std::ptrdiff_t k,
                            std::ptrdiff_t lda, double alpha) {
  Strided C(c, n, n, Eigen::OuterStride<>(ldc));
  ConstStrided A(a, n, k, Eigen::OuterStride<>(lda));
  C.selfadjointView<Eigen::Lower>().rankUpdate(A, alpha);
}

void avx2_product(double* c, std::ptrdiff_t m, std::ptrdiff_t n, std::ptrdiff_t ldc, const double* a, std::ptrdiff_t lda,
                  bool transpose_a, const double* b, std::ptrdiff_t ldb, bool transpose_b, std::ptrdiff_t k, double alpha,
                  double beta) {
  Strided C(c, m, n, Eigen::OuterStride<>(ldc));
  if (beta == 0) C.setZero();
  ConstStrided A(a, transpose_a ? k : m, transpose_a ? m : k, Eigen::OuterStride<>(lda));
  ConstStrided B(b, transpose_b ? n : k, transpose_b ? k : n, Eigen::OuterStride<>(ldb));
  if (!transpose_a && !transpose_b) C.noalias() += alpha * A * B;
  else if (!transpose_a) C.noalias() += alpha * A * B.transpose();
  else if (!transpose_b) C.noalias() += alpha * A.transpose() * B;
  else C.noalias() += alpha * A.transpose() * B.transpose();
}

const DenseKernels avx2_table = {avx2_cholesky_lower, avx2_solve_right_lower_transpose, avx2_rank_update_lower, avx2_product};

}  // namespace

#pragma GCC pop_options
#undef Eigen

bool wide_kernels_compiled() { return true; }
const DenseKernels& avx2_kernel_table() { return avx2_table; }

#else

bool wide_kernels_compiled() { return false; }
const DenseKernels& avx2_kernel_table() {
  static const DenseKernels none = {nullptr, nullptr, nullptr, nullptr};
  return none;
}

#endif
