// lmm_gradient.cpp: the exact gradient of the profiled deviance in theta, and the parts of
// -2 log L at a fixed beta that the ML standard errors need (notation and formulas in lmm_core.h).
#include "lmm_core.h"
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

void LmmCore::invert_A() {
  zinv_.resize(A_.nonZeros());
  if (blocked_) {
    blocked_chol_.invert();
    blocked_chol_.inverse_on_pattern(A_, zinv_.data());
    return;
  }
  if (!simplicial_inverse_.compute(chol_.matrixL().nestedExpression()))
    Rcpp::stop("internal error: the sparse Cholesky factor does not have the layout the selected inverse needs");
  const Eigen::VectorXi& P = chol_.permutationP().indices();
  for (int c = 0; c < A_.outerSize(); ++c)
    for (SpMat::InnerIterator it(A_, c); it; ++it)
      zinv_[&it.value() - A_.valuePtr()] = simplicial_inverse_(P[it.row()], P[c]);
}

std::vector<MatrixXd> LmmCore::trace_blocks() const {
  std::vector<MatrixXd> out(T_.size());
  for (std::size_t i = 0; i < T_.size(); ++i) out[i] = MatrixXd::Zero(T_[i].rows(), T_[i].cols());
  MatrixXd LZ;   // Lambda A^{-1} on block column g: T_h times each row block h
  for (const ColumnBlock& cb : blocks_) {
    const Eigen::Map<const MatrixXd> Zg(zinv_.data() + cb.start, cb.rows, cb.p);
    const Eigen::Map<const MatrixXd> Mg(M_in_A_.data() + cb.start, cb.rows, cb.p);
    LZ = Zg;
    for (int k = cb.run_begin; k < cb.run_end; ++k) {
      const RowRun& run = runs_[k];
      const MatrixXd& Th = T_[run.term];
      const int ph = Th.rows();
      if (ph == 1) {
        LZ.middleRows(run.begin, run.end - run.begin) *= Th(0, 0);
        continue;
      }
      for (int s0 = run.begin; s0 < run.end; s0 += ph) {
        const MatrixXd chunk = Th.triangularView<Eigen::Lower>() * LZ.middleRows(s0, ph);
        LZ.middleRows(s0, ph) = chunk;
      }
    }
    out[cb.term].noalias() += Mg.transpose() * LZ;
  }
  return out;
}

std::vector<MatrixXd> LmmCore::outer_blocks(const VectorXd& v, const VectorXd& w) const {
  std::vector<MatrixXd> out(T_.size());
  for (std::size_t i = 0; i < T_.size(); ++i) out[i] = MatrixXd::Zero(T_[i].rows(), T_[i].cols());
  for (const ColumnBlock& cb : blocks_)
    out[cb.term].noalias() += v.segment(cb.first_col, cb.p) * w.segment(cb.first_col, cb.p).transpose();
  return out;
}

VectorXd LmmCore::at_theta(const std::vector<MatrixXd>& blocks) const {
  VectorXd out(re_.ntheta);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const int p = blocks[i].rows();
    for (int c = 0, t = theta_offset_[i]; c < p; ++c)
      for (int r = c; r < p; ++r) out[t++] = blocks[i](r, c);
  }
  return out;
}

double LmmCore::deviance_gradient(const VectorXd& theta, bool reml, VectorXd& grad) {
  const double dev = deviance(theta, reml);
  grad = VectorXd::Constant(re_.ntheta, std::numeric_limits<double>::quiet_NaN());
  if (!std::isfinite(dev)) return dev;
  invert_A();
  std::vector<MatrixXd> G = trace_blocks();
  if (reml && p_ > 0) {   // the derivative of log |RX|^2: (H G')_gg
    MatrixXd F = RZX_;   // A^{-1} Lambda'Z'WX = P' L^{-T} RZX, column by column
    for (int j = 0; j < p_; ++j) {
      VectorXd col = F.col(j);
      solve_Lt(col);
      F.col(j) = col;
    }
    MatrixXd H = ZtWZ_ * (re_.Lambda * F) - ZtWX_;
    RX_.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(F);   // F RX^{-1}
    RX_.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(H);
    for (const ColumnBlock& cb : blocks_)
      G[cb.term].noalias() += H.middleRows(cb.first_col, cb.p) * F.middleRows(cb.first_col, cb.p).transpose();
  }
  const VectorXd v = ZtWy_ - ZtWX_ * beta_ - ZtWZ_ * (re_.Lambda * u_);
  const double nmp = reml ? double(n_ - p_) : double(n_);
  grad = 2.0 * at_theta(G) - 2.0 * (nmp / pwrss_) * at_theta(outer_blocks(v, u_));
  return dev;
}

LmmCore::FixedBeta LmmCore::at_fixed_beta(const VectorXd& theta, const VectorXd& beta, bool with_dlogdet) {
  FixedBeta out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.profiled_ml = deviance(theta, false);
  if (!std::isfinite(out.profiled_ml)) {
    out.logdet_A = out.Q = nan;
    out.dlogdet_A = out.dQ = VectorXd::Constant(re_.ntheta, nan);
    out.dQ_dbeta = VectorXd::Constant(p_, nan);
    return out;
  }
  out.logdet_A = ldL2_;
  if (with_dlogdet) {
    invert_A();
    out.dlogdet_A = 2.0 * at_theta(trace_blocks());
  }
  const VectorXd b = beta - beta_shift_;   // the core's y is shifted by X beta_shift
  const VectorXd ZtWr = ZtWy_ - ZtWX_ * b;   // Z'W(y - X b)
  MatrixXd c = re_.Lambda.transpose() * ZtWr;
  solve_L(c);   // L^{-1} P Lambda'Z'W(y - X b)
  out.Q = ytWy_ - 2.0 * b.dot(XtWy_) + b.dot(XtWX_ * b) - c.squaredNorm();
  VectorXd u = c.col(0);
  solve_Lt(u);   // the conditional mode at b
  const VectorXd Lu = re_.Lambda * u;
  out.dQ = -2.0 * at_theta(outer_blocks(ZtWr - ZtWZ_ * Lu, u));
  out.dQ_dbeta = -2.0 * (XtWy_ - XtWX_ * b - ZtWX_.transpose() * Lu);
  return out;
}
