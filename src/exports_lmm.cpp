// exports_lmm.cpp: R entry points that only the linear mixed model's core has (cpp_lmm_*); the
// interface both cores share is in exports_core.cpp.
#include "exports.h"
#include "lmm_core.h"
#include "lmm_vcov.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
LmmCore* lmm_from(SEXP ptr) {
  LmmCore* core = dynamic_cast<LmmCore*>(core_from(ptr));
  if (!core) Rcpp::stop("the joint covariance needs a linear mixed model's core");
  return core;
}
}  // namespace

// Covariance of the ML fixed effects from the joint Hessian in (beta, theta, log sigma) (see
// lmm_vcov.h); an empty matrix when that Hessian is not positive definite. Attributes h,
// deviance_plus and deviance_minus: the profiled ML deviance at theta +- h along each axis, which
// check_lmm_convergence() reuses.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_lmm_vcov_joint(SEXP ptr, const Eigen::VectorXd theta, double sigma, double theta_unit) {
  LmmCore* core = lmm_from(ptr);
  if (theta.size() != core->design().ntheta) Rcpp::stop("theta has length %d, expected %d", (int)theta.size(), core->design().ntheta);
  const JointVcov jv = interruptible([&]() { return lmm_joint_vcov(*core, theta, sigma, theta_unit); });
  Rcpp::NumericMatrix out = jv.ok ? Rcpp::NumericMatrix(Rcpp::wrap(jv.vcov)) : Rcpp::NumericMatrix(0, 0);
  out.attr("h") = jv.h;
  out.attr("deviance_plus") = jv.deviance_plus;
  out.attr("deviance_minus") = jv.deviance_minus;
  return out;
}
