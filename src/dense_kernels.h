// dense_kernels.h: the factor's large dense block operations (Cholesky of a diagonal block, the
// triangular solve of the rows below it, rank updates and products) in a second build of Eigen
// for x86-64 processors with AVX2 and FMA (src/unit_avx2.cpp). R compiles packages for the
// baseline x86-64 (SSE2), where Eigen's products and Cholesky run at about a third of the speed
// these processors have: the dense 1,500-column block of a MovieLens-shaped model factors in
// 38 ms instead of 126 ms. wide_kernels() gives that build when the processor has AVX2 and FMA
// (asked once) and the operation is large enough (flops >= wide_min_flops, so small models run
// the baseline code exactly as before); otherwise nullptr, and the caller runs its own Eigen code.
// All matrices are column-major with explicit leading dimensions.
#ifndef GLMMLAB_DENSE_KERNELS_H
#define GLMMLAB_DENSE_KERNELS_H

#include <cstddef>

struct DenseKernels {
  // A (n x n, lower triangle) <- its Cholesky factor L; false if A is not positive definite.
  bool (*cholesky_lower)(double* a, std::ptrdiff_t n, std::ptrdiff_t lda);
  // B (m x n) <- B L^{-T}, L (n x n) lower triangular.
  void (*solve_right_lower_transpose)(const double* l, std::ptrdiff_t n, std::ptrdiff_t ldl, double* b, std::ptrdiff_t m,
                                      std::ptrdiff_t ldb);
  // lower triangle of C (n x n) += alpha A A', A n x k.
  void (*rank_update_lower)(double* c, std::ptrdiff_t n, std::ptrdiff_t ldc, const double* a, std::ptrdiff_t k,
                            std::ptrdiff_t lda, double alpha);
  // C (m x n) = beta C + alpha op(A) op(B), op(X) = X' when the flag is set; beta is 0 or 1.
  void (*product)(double* c, std::ptrdiff_t m, std::ptrdiff_t n, std::ptrdiff_t ldc, const double* a, std::ptrdiff_t lda,
                  bool transpose_a, const double* b, std::ptrdiff_t ldb, bool transpose_b, std::ptrdiff_t k, double alpha,
                  double beta);
};

// Operations of fewer flops than this keep the baseline code (and its exact rounding).
const double wide_min_flops = 65536.0;

// The AVX2/FMA kernels for an operation of `flops` floating-point operations, or nullptr (no such
// processor, not compiled in, switched off, or a small operation).
const DenseKernels* wide_kernels(double flops);

// Are the wide kernels in use (for operations large enough)?
bool wide_kernels_in_use();

// Switch the wide kernels on (when available) or off for this process; returns whether they are
// in use afterwards. For tests comparing the two builds.
bool set_wide_kernels(bool on);

// Does this build contain the AVX2/FMA kernels (src/unit_avx2.cpp), and their table?
bool wide_kernels_compiled();
const DenseKernels& avx2_kernel_table();

#endif
