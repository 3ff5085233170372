// lmm_core.cpp: penalized least squares and the profiled deviance (notation in lmm_core.h).
#include "lmm_core.h"
#include <algorithm>
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

LmmCore::LmmCore(const MatrixXd& X, const VectorXd& y, const VectorXd& w, const VectorXd& offset,
                 ReDesign re, int factor_method)
    : n_(X.rows()), p_(X.cols()), re_(std::move(re)) {
  const VectorXd sw = w.array().sqrt();
  const MatrixXd Xw = sw.asDiagonal() * X;
  VectorXd yw = sw.asDiagonal() * (y - offset);
  // shift y by its weighted least-squares fit on X: conditions y'Wy, leaves theta unchanged
  beta_shift_ = VectorXd::Zero(p_);
  if (p_ > 0) {
    Eigen::ColPivHouseholderQR<MatrixXd> qr(Xw);
    beta_shift_ = qr.solve(yw);
    yw -= Xw * beta_shift_;
  }
  const SpMat Zw = sw.asDiagonal() * re_.Z;
  ZtWZ_ = SpMat(Zw.transpose()) * Zw;
  ZtWX_ = Zw.transpose() * Xw;
  ZtWy_ = Zw.transpose() * yw;
  XtWX_ = Xw.transpose() * Xw;
  XtWy_ = Xw.transpose() * yw;
  ZtWyX_.resize(re_.q, p_ + 1);
  ZtWyX_.col(0) = ZtWy_;
  ZtWyX_.rightCols(p_) = ZtWX_;
  ytWy_ = yw.squaredNorm();
  sum_log_w_ = w.array().log().sum();
  identity_.resize(re_.q, re_.q);
  identity_.setIdentity();
  // a well-defined state before the first evaluation (and after a failed one)
  u_ = VectorXd::Zero(re_.q);
  beta_ = VectorXd::Zero(p_);
  cu_ = VectorXd::Zero(re_.q);
  RZX_ = MatrixXd::Zero(re_.q, p_);
  RX_ = MatrixXd::Zero(p_, p_);
  // the pattern of A does not depend on theta (Z keeps explicit zeros; products keep structure)
  const double kMaxBlockedDoubles = 1e8;
  build_A_recipe();
  form_A(VectorXd::Ones(re_.ntheta));
  if (factor_method != 2 && re_.q > 0) {
    blocked_chol_ = BlockedCholesky(A_, re_.leading_size, re_.leading_block, factor_method == 1 ? 1e300 : kMaxBlockedDoubles);
    blocked_ = blocked_chol_.fits();
    if (!blocked_) blocked_chol_ = BlockedCholesky();
  }
}

// A's pattern from one symbolic product; then, per stored entry (i, j), the products
// Lambda(k, i) Z'WZ(k, l) Lambda(l, j) that sum to it (Lambda is block diagonal, so few).
void LmmCore::build_A_recipe() {
  const SpMat& L = re_.Lambda;
  A_ = SpMat(L.transpose()) * ZtWZ_ * L + identity_;
  A_.makeCompressed();
  ZtWZ_ = SpMat(ZtWZ_.transpose());   // the same symmetric matrix, with sorted row indices
  recipe_start_.assign(1, 0);
  recipe_left_.clear();
  recipe_middle_.clear();
  recipe_right_.clear();
  diagonal_of_A_.assign(re_.q, -1);
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  for (int j = 0; j < re_.q; ++j) {
    for (SpMat::InnerIterator it(A_, j); it; ++it) {
      const int i = it.row();
      if (i == j) diagonal_of_A_[j] = &it.value() - A_.valuePtr();
      for (SpMat::InnerIterator li(L, i); li; ++li)
        for (SpMat::InnerIterator lj(L, j); lj; ++lj) {
          const int k = li.row(), l = lj.row();
          const int* first = m_inner + m_outer[l];
          const int* last = m_inner + m_outer[l + 1];
          const int* hit = std::lower_bound(first, last, k);
          if (hit == last || *hit != k) continue;
          recipe_left_.push_back(&li.value() - L.valuePtr());
          recipe_middle_.push_back(hit - m_inner);
          recipe_right_.push_back(&lj.value() - L.valuePtr());
        }
      recipe_start_.push_back(recipe_left_.size());
    }
  }
}

void LmmCore::form_A(const VectorXd& theta) {
  re_.set_theta(theta.data());
  const double* lv = re_.Lambda.valuePtr();
  const double* mv = ZtWZ_.valuePtr();
  double* av = A_.valuePtr();
  const Eigen::Index nnz = A_.nonZeros();
  for (Eigen::Index e = 0; e < nnz; ++e) {
    double sum = 0;
    for (int t = recipe_start_[e]; t < recipe_start_[e + 1]; ++t)
      sum += lv[recipe_left_[t]] * mv[recipe_middle_[t]] * lv[recipe_right_[t]];
    av[e] = sum;
  }
  for (int j = 0; j < re_.q; ++j) av[diagonal_of_A_[j]] += 1.0;
}

// Factor A(theta) = Lambda' Z'WZ Lambda + I; the symbolic analysis is done once per pattern.
bool LmmCore::factor_A(const VectorXd& theta) {
  form_A(theta);
  const SpMat& A = A_;
  if (blocked_) return blocked_chol_.factorize(A);   // A's pattern is fixed (build_A_recipe)
  if (A.nonZeros() != pattern_nnz_) {
    chol_.analyzePattern(A);
    pattern_nnz_ = A.nonZeros();
  }
  chol_.factorize(A);
  return chol_.info() == Eigen::Success;
}

void LmmCore::solve_L(MatrixXd& B) const {
  if (blocked_) return blocked_chol_.solve_L(B);
  B = chol_.permutationP() * B;
  chol_.matrixL().solveInPlace(B);
}

void LmmCore::solve_Lt(VectorXd& v) const {
  if (blocked_) return blocked_chol_.solve_Lt(v);
  chol_.matrixU().solveInPlace(v);
  v = chol_.permutationPinv() * v;
}

double LmmCore::deviance(const VectorXd& theta, bool reml) {
  const double inf = std::numeric_limits<double>::infinity();
  if (theta.size() != re_.ntheta) Rcpp::stop("theta has length %d, expected %d", (int)theta.size(), re_.ntheta);
  for (int k = 0; k < theta.size(); ++k) if (!std::isfinite(theta[k])) return inf;
  if (!factor_A(theta)) {   // keep the state's shapes valid for the accessors
    u_ = VectorXd::Zero(re_.q);
    beta_ = VectorXd::Zero(p_);
    return inf;
  }
  // cu and RZX: one half-solve with L of [Lambda'Z'Wy Lambda'Z'WX]
  half_solved_.noalias() = re_.Lambda.transpose() * ZtWyX_;
  solve_L(half_solved_);
  cu_ = half_solved_.col(0);
  RZX_ = half_solved_.rightCols(p_);
  ldL2_ = blocked_ ? blocked_chol_.logdet2() : 2.0 * chol_.matrixL().nestedExpression().diagonal().array().log().sum();
  VectorXd cbeta = XtWy_ - RZX_.transpose() * cu_;
  ldRX2_ = 0;
  beta_ = VectorXd::Zero(p_);
  RX_ = MatrixXd::Zero(p_, p_);
  double cbeta2 = 0;
  if (p_ > 0) {
    const MatrixXd M = XtWX_ - RZX_.transpose() * RZX_;
    Eigen::LLT<MatrixXd> llt(M);
    if (llt.info() != Eigen::Success) return inf;
    RX_ = llt.matrixU();
    llt.matrixL().solveInPlace(cbeta);
    cbeta2 = cbeta.squaredNorm();
    beta_ = cbeta;
    llt.matrixU().solveInPlace(beta_);
    for (int j = 0; j < p_; ++j) ldRX2_ += 2.0 * std::log(RX_(j, j));
  }
  // u = P' L^{-T} (cu - RZX beta)
  u_ = cu_ - RZX_ * beta_;
  solve_Lt(u_);
  pwrss_ = ytWy_ - cu_.squaredNorm() - cbeta2;
  if (!(pwrss_ > 0)) pwrss_ = std::numeric_limits<double>::min();
  const double nmp = reml ? double(n_ - p_) : double(n_);
  double dev = ldL2_ + nmp * (1.0 + std::log(2.0 * M_PI * pwrss_ / nmp)) - sum_log_w_;
  if (reml) dev += ldRX2_;
  return dev;
}

// Per term i (p_i columns, G levels): the least-squares fit b_g = M_g^{-1} s_g of the residuals
// (y is stored as its residual on X) in each level g, M_g and s_g its blocks of Z'WZ and Z'Wy;
// sigma^2 from the residual sum of squares left, Sigma = (sum b_g b_g' - sigma^2 sum M_g^{-1}) / G
// with eigenvalues raised to at least 1e-4 of the largest (or 1e-4); theta from chol(Sigma / sigma^2).
VectorXd LmmCore::moment_theta() const {
  VectorXd theta(re_.ntheta);
  for (int i = 0, t0 = 0; i < (int)re_.term_ncol.size(); ++i) {
    const int p = re_.term_ncol[i], nlev = re_.term_nlev[i], off = re_.term_offset[i];
    MatrixXd outer = MatrixXd::Zero(p, p), sampling = MatrixXd::Zero(p, p);
    double explained = 0;
    int used = 0;
    for (int g = 0; g < nlev; ++g) {
      MatrixXd M(p, p);
      for (int a = 0; a < p; ++a)
        for (int b = 0; b < p; ++b) M(a, b) = ZtWZ_.coeff(off + g * p + a, off + g * p + b);
      const VectorXd sg = ZtWy_.segment(off + g * p, p);
      Eigen::LDLT<MatrixXd> ldlt(M);
      if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().minCoeff() > 1e-10 * std::max(1.0, M.diagonal().maxCoeff()))) continue;
      const VectorXd bg = ldlt.solve(sg);
      explained += sg.dot(bg);
      outer += bg * bg.transpose();
      sampling += ldlt.solve(MatrixXd::Identity(p, p));
      ++used;
    }
    const double df = std::max(1.0, double(n_ - p_) - double(used) * p);
    const double sigma2 = std::max(ytWy_ - explained, 1e-12 * std::max(ytWy_, 1e-300)) / df;
    MatrixXd Sigma = MatrixXd::Identity(p, p) * sigma2;
    if (used > 0) Sigma = (outer - sigma2 * sampling) / double(used);
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(Sigma);
    VectorXd ev = eig.eigenvalues();
    const double floor = 1e-4 * std::max(ev.maxCoeff(), sigma2);
    ev = ev.cwiseMax(floor);
    const MatrixXd relative = eig.eigenvectors() * ev.asDiagonal() * eig.eigenvectors().transpose() / sigma2;
    const MatrixXd T = relative.llt().matrixL();
    for (int c = 0; c < p; ++c)
      for (int r = c; r < p; ++r) theta[t0++] = T(r, c);
  }
  return theta;
}

MatrixXd LmmCore::cond_var(int term) const {
  return cond_var_blocks(re_, [this](MatrixXd& B) { solve_L(B); }, term);
}

MatrixXd LmmCore::half_solve(const MatrixXd& V) const {
  return half_solve_b(re_, [this](MatrixXd& B) { solve_L(B); }, V);
}
