// lmm_vcov.cpp: covariance of the ML fixed effects from the joint Hessian of -2 log L in
// (beta, theta, s = log sigma), inverted, as glmmTMB reports it.
//
// -2 log L = logdet_A(theta) + Q(beta, theta) e^{-2s} + 2 n s + const, Q the penalized residual
// sum of squares at beta (lmm_core.h, FixedBeta). Every derivative in s and the beta block are
// analytic at (betahat, thetahat, sigmahat): d2/dbeta2 = 2 RX'RX / sigma^2, d2/ds2 = 4 Q / sigma^2,
// d2/dbeta ds = 0, d2/dtheta ds = -2 dQ/dtheta / sigma^2. d2/dbeta dtheta takes central
// differences of the exact dQ/dbeta / sigma^2 at theta +- h along each axis. The theta block,
// of f = logdet_A + Q / sigma^2, takes central differences of f's exact gradient at the same
// points (2k + 1 evaluations for k parameters, each with the selected inverse); with at most
// kSecondDifferences parameters, where that costs more than evaluating f alone, second differences
// of f (its values at the axis points and at theta +- (h_i e_i + h_j e_j): 1 + k + k^2
// evaluations, none with the inverse). Both agree to about 1e-8 (O(h^2), h = 1e-4 |theta|).
#include "lmm_vcov.h"
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

JointVcov lmm_joint_vcov(LmmCore& core, const VectorXd& theta, double sigma, double theta_unit) {
  const int kSecondDifferences = 4;
  const int p = core.p(), k = theta.size(), m = k + 1;
  const bool by_gradient = k > kSecondDifferences;
  const double s2 = sigma * sigma;
  JointVcov out;
  out.ok = false;
  out.h.resize(k);
  for (int i = 0; i < k; ++i) out.h[i] = 1e-4 * std::max(std::abs(theta[i]), 0.1 * theta_unit);
  const VectorXd& h = out.h;
  if (!std::isfinite(core.deviance(theta, false))) {
    out.deviance_plus = out.deviance_minus = VectorXd::Constant(k, std::numeric_limits<double>::quiet_NaN());
    return out;
  }
  const VectorXd beta = core.beta();
  const MatrixXd Hbb = 2.0 * core.RX().transpose() * core.RX() / s2;
  auto at = [&](const VectorXd& th, bool with_dlogdet) { return core.at_fixed_beta(th, beta, with_dlogdet); };
  auto f = [&](const LmmCore::FixedBeta& pt) { return pt.logdet_A + pt.Q / s2; };
  const LmmCore::FixedBeta at0 = at(theta, false);
  std::vector<LmmCore::FixedBeta> plus, minus;
  for (int i = 0; i < k; ++i) {
    plus.push_back(at(theta + h[i] * VectorXd::Unit(k, i), by_gradient));
    minus.push_back(at(theta - h[i] * VectorXd::Unit(k, i), by_gradient));
    check_user_interrupt();
  }
  MatrixXd Hpp(m, m);
  MatrixXd Hbp = MatrixXd::Zero(p, m);   // zero in s at beta = betahat
  out.deviance_plus.resize(k);
  out.deviance_minus.resize(k);
  for (int i = 0; i < k; ++i) {
    out.deviance_plus[i] = plus[i].profiled_ml;
    out.deviance_minus[i] = minus[i].profiled_ml;
    Hbp.col(i) = (plus[i].dQ_dbeta - minus[i].dQ_dbeta) / (2.0 * h[i] * s2);
    if (by_gradient) {
      Hpp.col(i).head(k) = (plus[i].dlogdet_A - minus[i].dlogdet_A + (plus[i].dQ - minus[i].dQ) / s2) / (2.0 * h[i]);
      continue;
    }
    Hpp(i, i) = (f(plus[i]) - 2.0 * f(at0) + f(minus[i])) / (h[i] * h[i]);
    for (int j = 0; j < i; ++j) {   // through the (+,+) and (-,-) corners
      const VectorXd step = h[i] * VectorXd::Unit(k, i) + h[j] * VectorXd::Unit(k, j);
      const double fpp = f(at(theta + step, false)), fmm = f(at(theta - step, false));
      Hpp(i, j) = Hpp(j, i) = (fpp + fmm - f(plus[i]) - f(minus[i]) - f(plus[j]) - f(minus[j]) + 2.0 * f(at0)) / (2.0 * h[i] * h[j]);
    }
  }
  Hpp.topLeftCorner(k, k) = (0.5 * (Hpp.topLeftCorner(k, k) + Hpp.topLeftCorner(k, k).transpose())).eval();
  Hpp.col(k).head(k) = -2.0 * at0.dQ / s2;
  Hpp.row(k).head(k) = Hpp.col(k).head(k).transpose();
  Hpp(k, k) = 4.0 * at0.Q / s2;
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
