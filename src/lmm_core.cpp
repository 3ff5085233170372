// lmm_core.cpp: penalized least squares and the profiled deviance (notation in lmm_core.h).
#include "lmm_core.h"
#include <algorithm>
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

LmmCore::LmmCore(const MatrixXd& X, const VectorXd& y, const VectorXd& w, const VectorXd& offset,
                 ReDesign re, int factor_method, double max_bytes)
    : MixedCore(std::move(re)), n_(X.rows()), p_(X.cols()), X_(X), offset_(offset),
      // built in place: a temporary moved in would be copied (Eigen's sparse matrices have no move
      // assignment), Z' and Z'WZ twice at the peak. The pattern of A does not depend on theta or
      // W (Z keeps explicit zeros; products keep structure)
      system_(re_, factor_method, max_bytes) {
  set_response(y, w);
  gradient_layout();
}

// The cross-products of the response and weights, formed once (the factor's pattern is kept).
void LmmCore::set_response(const VectorXd& y, const VectorXd& w) {
  if (y.size() != n_ || w.size() != n_) engine_stop("the response and weights must have %d values", n_);
  const VectorXd sw = w.array().sqrt();
  const MatrixXd Xw = sw.asDiagonal() * X_;
  VectorXd yw = sw.asDiagonal() * (y - offset_);
  // shift y by its weighted least-squares fit on X: conditions y'Wy, leaves theta unchanged (the
  // normal equations by LDLT, with one step of refinement on the residual)
  beta_shift_ = VectorXd::Zero(p_);
  if (p_ > 0) {
    Eigen::LDLT<MatrixXd> normal(Xw.transpose() * Xw);
    if (normal.info() == Eigen::Success) {
      for (int step = 0; step < 2; ++step) {
        const VectorXd delta = normal.solve(Xw.transpose() * yw);
        if (!delta.allFinite()) break;
        beta_shift_ += delta;
        yw -= Xw * delta;
      }
    }
  }
  system_.set_weights(w, false);   // set once per response: its positions are not kept
  factored_ = false;   // Z'WZ changed: the factor is stale
  const SpMat Zw = sw.asDiagonal() * re_.Z;
  ZtWX_ = Zw.transpose() * Xw;
  ZtWy_ = Zw.transpose() * yw;
  XtWX_ = Xw.transpose() * Xw;
  XtWy_ = Xw.transpose() * yw;
  ZtWyX_.resize(re_.q, p_ + 1);
  ZtWyX_.col(0) = ZtWy_;
  ZtWyX_.rightCols(p_) = ZtWX_;
  ytWy_ = yw.squaredNorm();
  sum_log_w_ = w.array().log().sum();
  // a well-defined state before the first evaluation (and after a failed one)
  u_ = VectorXd::Zero(re_.q);
  beta_ = VectorXd::Zero(p_);
  cu_ = VectorXd::Zero(re_.q);
  RZX_ = MatrixXd::Zero(re_.q, p_);
  RX_ = MatrixXd::Zero(p_, p_);
}

// Factor A(theta) = Lambda' Z'WZ Lambda + I (penalized_system.h), unless the factor held is A's
// at this theta already.
bool LmmCore::factor_A(const VectorXd& theta) {
  re_.set_theta(theta.data());
  if (factored_ && factored_theta_.size() == theta.size() && factored_theta_ == theta) return true;
  factored_ = system_.factor(re_);
  factored_theta_ = theta;
  return factored_;
}

double LmmCore::deviance(const VectorXd& theta, bool reml) {
  const double inf = std::numeric_limits<double>::infinity();
  if (theta.size() != re_.ntheta) engine_stop("theta has length %d, expected %d", (int)theta.size(), re_.ntheta);
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
  ldL2_ = system_.logdet2();
  // (without random effects, q = 0: the products with the empty RZX and cu are skipped, as Eigen's
  // kernels would read their null data pointers)
  const bool has_re = re_.q > 0;
  VectorXd cbeta = XtWy_;
  if (has_re) cbeta.noalias() -= RZX_.transpose() * cu_;
  ldRX2_ = 0;
  beta_ = VectorXd::Zero(p_);
  RX_ = MatrixXd::Zero(p_, p_);
  double cbeta2 = 0;
  if (p_ > 0) {
    MatrixXd M = XtWX_;
    if (has_re) M.noalias() -= RZX_.transpose() * RZX_;
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
  u_ = cu_;
  if (has_re && p_ > 0) u_.noalias() -= RZX_ * beta_;
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
// sigma_i^2 from the residual sum of squares left, Sigma_i = (sum b_g b_g' - sigma_i^2 sum M_g^{-1}) / G
// with eigenvalues raised to at least 1e-4 of the largest (or 1e-4); R_i = Sigma_i / sigma_i^2.
// Term i alone leaves the other terms in its residuals, sigma_i^2 = sigma^2 (1 + sum_{j != i} c_j)
// with c_j = tr(R_j sum_g M_g) / n the relative variance term j adds to an observation (exact
// for crossed scalar terms), so R_i is scaled by 1 + sum_{j != i} c_j, the c_j from the scaled
// R_j; theta_i from chol(R_i).
VectorXd LmmCore::moment_theta() const {
  const int nterms = re_.term_ncol.size();
  std::vector<MatrixXd> relative(nterms), load(nterms);
  for (int i = 0; i < nterms; ++i) {
    const int p = re_.term_ncol[i], nlev = re_.term_nlev[i], off = re_.term_offset[i];
    MatrixXd outer = MatrixXd::Zero(p, p), sampling = MatrixXd::Zero(p, p);
    load[i] = MatrixXd::Zero(p, p);
    double explained = 0;
    int used = 0;
    for (int g = 0; g < nlev; ++g) {
      MatrixXd M(p, p);
      for (int a = 0; a < p; ++a)
        for (int b = 0; b < p; ++b) M(a, b) = system_.ZtWZ().coeff(off + g * p + a, off + g * p + b);
      load[i] += M;
      const VectorXd sg = ZtWy_.segment(off + g * p, p);
      Eigen::LDLT<MatrixXd> ldlt(M);
      if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().minCoeff() > 1e-10 * std::max(1.0, M.diagonal().maxCoeff()))) continue;
      const VectorXd bg = ldlt.solve(sg);
      explained += sg.dot(bg);
      outer += bg * bg.transpose();
      sampling += ldlt.solve(MatrixXd::Identity(p, p));
      ++used;
    }
    load[i] /= std::max(1, n_);
    const double df = std::max(1.0, double(n_ - p_) - double(used) * p);
    const double sigma2 = std::max(ytWy_ - explained, 1e-12 * std::max(ytWy_, 1e-300)) / df;
    MatrixXd Sigma = MatrixXd::Identity(p, p) * sigma2;
    if (used > 0) Sigma = (outer - sigma2 * sampling) / double(used);
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(Sigma);
    VectorXd ev = eig.eigenvalues();
    const double floor = 1e-4 * std::max(ev.maxCoeff(), sigma2);
    ev = ev.cwiseMax(floor);
    relative[i] = eig.eigenvectors() * ev.asDiagonal() * eig.eigenvectors().transpose() / sigma2;
  }
  // the scales s solve s_i = 1 + sum_{j != i} s_j c_j (c_j from the unscaled R_j); kept at 1 when
  // that system has no solution with every s_i >= 1
  VectorXd scale = VectorXd::Ones(nterms);
  if (nterms > 1) {
    MatrixXd system = MatrixXd::Identity(nterms, nterms);
    for (int j = 0; j < nterms; ++j) {
      const double c = (relative[j] * load[j]).trace();
      for (int i = 0; i < nterms; ++i) if (i != j) system(i, j) = -c;
    }
    const VectorXd solved = system.partialPivLu().solve(VectorXd::Ones(nterms));
    if (solved.allFinite() && (solved.array() >= 1.0).all()) scale = solved;
  }
  VectorXd theta(re_.ntheta);
  for (int i = 0, t0 = 0; i < nterms; ++i) {
    const int p = re_.term_ncol[i];
    const MatrixXd T = (relative[i] * scale[i]).llt().matrixL();
    for (int c = 0; c < p; ++c)
      for (int r = c; r < p; ++r) theta[t0++] = T(r, c);
  }
  return theta;
}

MatrixXd LmmCore::cond_var(int term) const {
  return cond_var_blocks(re_, [this](MatrixXd& B) { solve_L(B); }, term);
}

// The profiled state at theta (beta and sigma at their optimum given theta).
CoreState LmmCore::state(const VectorXd& theta, bool reml) {
  const double dev = deviance(theta, reml);
  const double nmp = reml ? n_ - p_ : n_;
  CoreState s;
  add_state(s, "par", theta);
  add_state(s, "deviance", dev);
  add_state(s, "beta", beta());
  add_state(s, "u", u());
  add_state(s, "b", b());
  add_state(s, "pwrss", pwrss_);
  add_state(s, "logdet_L2", ldL2_);
  add_state(s, "logdet_RX2", ldRX2_);
  add_state(s, "RX", RX_);
  add_state(s, "sigma", std::sqrt(pwrss_ / nmp));
  return s;
}

MatrixXd LmmCore::half_solve(const VectorXd& theta, bool reml, const MatrixXd& V) {
  if (!std::isfinite(deviance(theta, reml))) engine_stop("the model's factor is not available at this theta");
  return half_solve_b(re_, [this](MatrixXd& B) { solve_L(B); }, V);
}

MatrixXd LmmCore::cond_var(const VectorXd& theta, bool reml, int term) {
  deviance(theta, reml);
  const double nmp = reml ? n_ - p_ : n_;
  return cond_var(term) * (pwrss_ / nmp);
}
