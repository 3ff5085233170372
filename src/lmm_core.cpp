// lmm_core.cpp: penalized least squares and the profiled deviance (notation in lmm_core.h).
#include "lmm_core.h"
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

LmmCore::LmmCore(const MatrixXd& X, const VectorXd& y, const VectorXd& w, const VectorXd& offset,
                 ReDesign re)
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
  const int kMaxDenseBlock = 3000;
  blocked_ = re_.q - re_.leading_size <= kMaxDenseBlock;
  if (blocked_) blocked_chol_ = BlockedCholesky(re_.q, re_.leading_size, re_.leading_block);
}

// Factor A(theta) = Lambda' Z'WZ Lambda + I; for the sparse path the symbolic analysis is done once.
bool LmmCore::factor_A(const VectorXd& theta) {
  re_.set_theta(theta.data());
  const SpMat LtZtZL = SpMat(re_.Lambda.transpose()) * ZtWZ_ * re_.Lambda;
  const SpMat A = LtZtZL + identity_;
  if (blocked_) return blocked_chol_.factorize(A);
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
  const SpMat LambdaT = re_.Lambda.transpose();
  // cu and RZX: half-solves with L
  MatrixXd cu = LambdaT * ZtWy_;
  solve_L(cu);
  cu_ = cu.col(0);
  RZX_ = LambdaT * ZtWX_;
  solve_L(RZX_);
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

// -2 log L(theta, beta, sigma) = log|L|^2 + n log(2 pi sigma^2) + (r2 + |RX (beta - betahat)|^2) / sigma^2 - sum log w
double LmmCore::deviance_full(const VectorXd& theta, const VectorXd& beta, double sigma) {
  const double d = deviance(theta, false);
  if (!std::isfinite(d)) return d;
  const VectorXd delta = RX_ * (beta - beta_shift_ - beta_);
  return ldL2_ + n_ * std::log(2.0 * M_PI * sigma * sigma) + (pwrss_ + delta.squaredNorm()) / (sigma * sigma) -
         sum_log_w_;
}

MatrixXd LmmCore::cond_var(int term) const {
  return cond_var_blocks(re_, [this](MatrixXd& B) { solve_L(B); }, term);
}
