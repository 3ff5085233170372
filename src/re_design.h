// re_design.h: the random-effects design of a mixed model.
//
// Notation: n observations; random-effect term i has p_i columns (its model matrix Xt_i,
// n x p_i) and nlev_i levels of its grouping factor (codes_i, 0-based); q = sum_i nlev_i p_i.
// Z (n x q, sparse) holds term i in the columns off_i + level * p_i + k (level-major, as lme4),
// terms in decreasing order of size; u, b and theta are exchanged with R in the formula's order.
// Lambda (q x q, sparse) is block diagonal: term i contributes nlev_i copies of a p_i x p_i
// lower-triangular factor T_i whose entries are theta, column-major over the lower triangle.
// The covariance of the random effects b = Lambda u is sigma^2 Lambda Lambda'.
#ifndef GLMMLAB_RE_DESIGN_H
#define GLMMLAB_RE_DESIGN_H

#include "engine_base.h"
#include <utility>
#include <vector>

struct ReDesign {
  int n = 0, q = 0, ntheta = 0;
  SpMat Z;                    // n x q
  SpMat Lambda;               // q x q, fixed sparsity pattern
  std::vector<int> lambda_index;   // theta index of each stored entry of Lambda
  Eigen::VectorXd theta_lower;     // 0 for diagonal elements of T_i, -Inf otherwise
  std::vector<int> term_offset, term_ncol, term_nlev;   // per term (formula order): first column in Z, p_i, nlev_i
  std::vector<int> to_original_index;   // column of Z -> position in the formula-ordered u and b
  int leading_size = 0, leading_block = 1;   // the first (largest) term in Z: q_1 and its p_1

  ReDesign() = default;
  ReDesign(const ReDesign&) = default;
  ReDesign& operator=(const ReDesign&) = default;
  // Moves that do not copy: Eigen 3.3's SparseMatrix has no move constructor, so the implicit
  // move would copy Z (n entries per term) at every hand-over. Every member is listed here.
  ReDesign(ReDesign&& other) noexcept { *this = std::move(other); }
  ReDesign& operator=(ReDesign&& other) noexcept {
    n = other.n;
    q = other.q;
    ntheta = other.ntheta;
    Z.swap(other.Z);
    Lambda.swap(other.Lambda);
    lambda_index.swap(other.lambda_index);
    theta_lower.swap(other.theta_lower);
    term_offset.swap(other.term_offset);
    term_ncol.swap(other.term_ncol);
    term_nlev.swap(other.term_nlev);
    to_original_index.swap(other.to_original_index);
    leading_size = other.leading_size;
    leading_block = other.leading_block;
    return *this;
  }

  // A vector in Z's column order, returned in the formula's term order.
  Eigen::VectorXd to_original(const Eigen::VectorXd& v) const {
    Eigen::VectorXd out(v.size());
    for (int j = 0; j < v.size(); ++j) out[to_original_index[j]] = v[j];
    return out;
  }

  // Write theta into the stored values of Lambda (the pattern never changes).
  void set_theta(const double* theta) {
    double* v = Lambda.valuePtr();
    for (std::size_t k = 0; k < lambda_index.size(); ++k) v[k] = theta[lambda_index[k]];
  }
};

// Diagonal blocks of Lambda A^{-1} Lambda' for one term, side by side (p_i x p_i nlev_i), where
// half_solve(B) overwrites B with L^{-1} P B for the factor A = P' L L' P: the conditional
// covariance of b, up to sigma^2. Any factorization supplies its own half_solve.
template <class HalfSolve>
Eigen::MatrixXd cond_var_blocks(const ReDesign& re, HalfSolve&& half_solve, int term) {
  const int p = re.term_ncol[term], nlev = re.term_nlev[term], off = re.term_offset[term];
  Eigen::MatrixXd out(p, p * nlev);
  const SpMat LambdaT = re.Lambda.transpose();
  for (int lev = 0; lev < nlev; ++lev) {
    Eigen::MatrixXd S = Eigen::MatrixXd(LambdaT.middleCols(off + lev * p, p));
    half_solve(S);
    out.middleCols(lev * p, p) = S.transpose() * S;
    if (lev % 64 == 63) check_user_interrupt();
  }
  return out;
}

// L^{-1} P Lambda' V for a dense V (q x k) whose rows follow the formula's order of b, where
// half_solve(B) overwrites B with L^{-1} P B for the factor A = P' L L' P. Cross-products of the
// result are V' Lambda A^{-1} Lambda' V: conditional covariances of linear combinations of b (up
// to sigma^2), for prediction standard errors of any rows, across terms.
template <class HalfSolve>
Eigen::MatrixXd half_solve_b(const ReDesign& re, HalfSolve&& half_solve, const Eigen::MatrixXd& V) {
  if (V.rows() != re.q) engine_stop("the matrix to solve with has %d rows, the random effects %d", (int)V.rows(), re.q);
  Eigen::MatrixXd in_z_order(re.q, V.cols());
  for (int j = 0; j < re.q; ++j) in_z_order.row(j) = V.row(re.to_original_index[j]);
  Eigen::MatrixXd S = re.Lambda.transpose() * in_z_order;
  half_solve(S);
  return S;
}

// One random-effect term's data as R holds it: 0-based level codes (n), its number of levels and
// its model matrix Xt (n x ncol, column-major).
struct ReTermData {
  const int* codes;
  int nlev;
  const double* Xt;
  int nrow, ncol;
};

// Build Z and the Lambda template from the terms (formula order); checks inputs.
ReDesign build_re_design(const std::vector<ReTermData>& terms, int n);

#endif
