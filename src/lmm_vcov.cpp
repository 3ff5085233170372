// lmm_vcov.cpp: covariance of the ML fixed effects from the joint Hessian of -2 log L in
// (beta, theta, s = log sigma), inverted, as glmmTMB reports it.
//
// -2 log L = logdet_A(theta) + Q(beta, theta) e^{-2s} + 2 n s + const, Q the penalized residual
// sum of squares at beta (lmm_core.h, FixedBeta). Every derivative in s and the beta block are
// analytic at (betahat, thetahat, sigmahat): d2/dbeta2 = 2 RX'RX / sigma^2, d2/ds2 = 4 Q / sigma^2,
// d2/dbeta ds = 0, d2/dtheta ds = -2 dQ/dtheta / sigma^2. The theta block and d2/dbeta dtheta are
// central differences of the exact first derivatives (dlogdet_A + dQ / sigma^2 and dQ/dbeta /
// sigma^2) at theta +- h along each axis: 2k + 1 evaluations for k parameters.
#include "lmm_core.h"
#include "lmm_vcov.h"
#include <cmath>

using Eigen::MatrixXd;
using Eigen::VectorXd;

JointVcov lmm_joint_vcov(LmmCore& core, const VectorXd& theta, double sigma, double theta_unit) {
  const int p = core.p(), k = theta.size(), m = k + 1;
  const double s2 = sigma * sigma;
  JointVcov out;
  out.h.resize(k);
  for (int i = 0; i < k; ++i) out.h[i] = 1e-4 * std::max(std::abs(theta[i]), 0.1 * theta_unit);
  core.deviance(theta, false);
  const VectorXd beta = core.beta();
  const MatrixXd Hbb = 2.0 * core.RX().transpose() * core.RX() / s2;
  const LmmCore::FixedBeta at = core.at_fixed_beta(theta, beta);
  MatrixXd Hpp(m, m);
  MatrixXd Hbp = MatrixXd::Zero(p, m);   // zero in s at beta = betahat
  out.deviance_plus.resize(k);
  out.deviance_minus.resize(k);
  for (int i = 0; i < k; ++i) {
    VectorXd a = theta, b = theta;
    a[i] += out.h[i];
    b[i] -= out.h[i];
    const LmmCore::FixedBeta plus = core.at_fixed_beta(a, beta), minus = core.at_fixed_beta(b, beta);
    out.deviance_plus[i] = plus.profiled_ml;
    out.deviance_minus[i] = minus.profiled_ml;
    Hpp.col(i).head(k) = (plus.dlogdet_A - minus.dlogdet_A + (plus.dQ - minus.dQ) / s2) / (2.0 * out.h[i]);
    Hbp.col(i) = (plus.dQ_dbeta - minus.dQ_dbeta) / (2.0 * out.h[i] * s2);
    Rcpp::checkUserInterrupt();
  }
  Hpp.topLeftCorner(k, k) = (0.5 * (Hpp.topLeftCorner(k, k) + Hpp.topLeftCorner(k, k).transpose())).eval();
  Hpp.col(k).head(k) = -2.0 * at.dQ / s2;
  Hpp.row(k).head(k) = Hpp.col(k).head(k).transpose();
  Hpp(k, k) = 4.0 * at.Q / s2;
  core.deviance(theta, false);   // the core's state at the optimum again, for the callers' accessors
  out.ok = false;
  if (!Hpp.allFinite() || !Hbp.allFinite()) return out;
  Eigen::LLT<MatrixXd> lpp(Hpp);
  if (lpp.info() != Eigen::Success) return out;
  const MatrixXd S = Hbb - Hbp * lpp.solve(Hbp.transpose());
  Eigen::LLT<MatrixXd> ls(S);
  if (ls.info() != Eigen::Success) return out;
  out.vcov = 2.0 * ls.solve(MatrixXd::Identity(p, p));
  out.ok = true;
  return out;
}
