// exports_lmm.cpp: R entry points that only the linear mixed model's core has (cpp_lmm_*); the
// interface both cores share is in exports_core.cpp.
#include "exports.h"
#include "lmm_core.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
LmmCore* lmm_from(SEXP ptr) {
  LmmCore* core = dynamic_cast<LmmCore*>(core_from(ptr));
  if (!core) Rcpp::stop("the joint covariance needs a linear mixed model's core");
  return core;
}
}  // namespace

// Covariance of the ML fixed effects from the joint Hessian of -2 log L in (beta, theta, log sigma),
// as glmmTMB reports it. With beta fixed at betahat, -2 log L = g(theta) + 2 n s + Q(theta) e^{-2s}
// + const (s = log sigma), where Q = pwrss + |RX (beta - betahat(theta))|^2 and g = log|L|^2; so
// every derivative in s is analytic, the beta block is exact (2 RX'RX / sigma^2) and only the
// theta block and dQ/dtheta, dbetahat/dtheta take central differences: 1 + 2k + k(k - 1)
// evaluations for k parameters (second cross differences through the (+,+) and (-,-) corners).
// Steps are relative to |theta|, at least 1e-5 theta_unit (theta's natural size given the weights).
// Returns an empty matrix when the variance-parameter block is not positive definite; attributes
// h, deviance_plus and deviance_minus give the ML deviance at theta +- h along each axis.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_lmm_vcov_joint(SEXP ptr, const Eigen::VectorXd theta, double sigma, double theta_unit) {
  LmmCore* core = lmm_from(ptr);
  const int p = core->p(), k = theta.size(), m = k + 1;
  core->deviance(theta, false);
  const VectorXd beta = core->beta();
  const MatrixXd Hbb = 2.0 * core->RX().transpose() * core->RX() / (sigma * sigma);
  const double s2 = sigma * sigma;
  // at theta: g + Q / sigma^2 (the theta part of -2 log L), Q, and betahat
  struct Point { double f, Q, d; VectorXd beta; };
  auto at = [&](const VectorXd& th) {
    Point pt;
    const double d = core->deviance(th, false);
    pt.d = d;
    pt.beta = core->beta();
    const VectorXd delta = core->RX() * (beta - pt.beta);
    pt.Q = core->pwrss() + delta.squaredNorm();
    pt.f = std::isfinite(d) ? core->logdet_L2() + pt.Q / s2 : d;
    return pt;
  };
  VectorXd h(k);
  for (int i = 0; i < k; ++i) h[i] = 1e-4 * std::max(std::abs(theta[i]), 0.1 * theta_unit);
  const Point p0 = at(theta);
  std::vector<Point> plus(k), minus(k);
  for (int i = 0; i < k; ++i) {
    VectorXd a = theta, b = theta;
    a[i] += h[i];
    b[i] -= h[i];
    plus[i] = at(a);
    minus[i] = at(b);
  }
  MatrixXd Hpp(m, m);
  MatrixXd Hbp = MatrixXd::Zero(p, m);   // zero in log sigma at beta = betahat
  for (int i = 0; i < k; ++i) {
    Hpp(i, i) = (plus[i].f - 2.0 * p0.f + minus[i].f) / (h[i] * h[i]);
    for (int j = 0; j < i; ++j) {
      VectorXd pp = theta, mm = theta;
      pp[i] += h[i]; pp[j] += h[j];
      mm[i] -= h[i]; mm[j] -= h[j];
      const double fpp = at(pp).f, fmm = at(mm).f;
      Hpp(i, j) = Hpp(j, i) = (fpp + fmm - plus[i].f - minus[i].f - plus[j].f - minus[j].f + 2.0 * p0.f) / (2.0 * h[i] * h[j]);
    }
    // d2/dtheta ds of Q e^{-2s} = -2 dQ/dtheta / sigma^2
    Hpp(i, k) = Hpp(k, i) = -2.0 * (plus[i].Q - minus[i].Q) / (2.0 * h[i]) / s2;
    // d2f / dbeta dtheta = -2/sigma^2 RX'RX dbetahat/dtheta
    Hbp.col(i) = -Hbb * (plus[i].beta - minus[i].beta) / (2.0 * h[i]);
    Rcpp::checkUserInterrupt();
  }
  Hpp(k, k) = 4.0 * p0.Q / s2;
  // the profiled deviance along each axis, which check_lmm_convergence() reuses
  VectorXd d_plus(k), d_minus(k);
  for (int i = 0; i < k; ++i) {
    d_plus[i] = plus[i].d;
    d_minus[i] = minus[i].d;
  }
  auto with_axes = [&](Rcpp::NumericMatrix out) {
    out.attr("h") = h;
    out.attr("deviance_plus") = d_plus;
    out.attr("deviance_minus") = d_minus;
    return out;
  };
  if (!Hpp.allFinite()) return with_axes(Rcpp::NumericMatrix(0, 0));
  Eigen::LLT<MatrixXd> lpp(Hpp);
  if (lpp.info() != Eigen::Success) return with_axes(Rcpp::NumericMatrix(0, 0));
  const MatrixXd S = Hbb - Hbp * lpp.solve(Hbp.transpose());
  Eigen::LLT<MatrixXd> ls(S);
  if (ls.info() != Eigen::Success) return with_axes(Rcpp::NumericMatrix(0, 0));
  return with_axes(Rcpp::wrap(MatrixXd(2.0 * ls.solve(MatrixXd::Identity(p, p)))));
}
