// blocked_cholesky.h: Cholesky factor of A = Lambda'Z'WZ Lambda + I in two blocks, exploiting
// that the leading random-effect term (the largest one, q1 columns) has a block-diagonal
// diagonal block A11 (p1 x p1 blocks, one per level), as MixedModels.jl does:
//   L11 = chol(A11) block by block, L21 = A21 L11^{-T} (sparse), L22 = chol(A22 - L21 L21') (dense).
// The remaining terms (q2 = q - q1 columns) form one dense block, so this pays off when q2 is
// moderate (crossed designs like InstEval: q1 = 2972 students, q2 = 1142 lecturers and
// departments); LmmCore falls back to a general sparse Cholesky when q2 is large.
#ifndef GLMMLAB_BLOCKED_CHOLESKY_H
#define GLMMLAB_BLOCKED_CHOLESKY_H

#include "re_design.h"

class BlockedCholesky {
 public:
  BlockedCholesky() {}
  BlockedCholesky(int q, int q1, int p1) : q_(q), q1_(q1), q2_(q - q1), p1_(p1) {}
  // Factor A (symmetric, both triangles stored); false if A is not positive definite.
  bool factorize(const SpMat& A);
  void solve_L(Eigen::MatrixXd& B) const;    // B <- L^{-1} B
  void solve_Lt(Eigen::VectorXd& v) const;   // v <- L^{-T} v
  double logdet2() const { return logdet2_; }   // log |L|^2 = log |A|

 private:
  int q_ = 0, q1_ = 0, q2_ = 0, p1_ = 1;
  std::vector<Eigen::MatrixXd> L11_;   // lower-triangular p1 x p1 factors, one per level
  SpMat L21_;                          // q2 x q1
  Eigen::MatrixXd L22_;                // q2 x q2, lower triangular
  double logdet2_ = 0;
};

#endif
