// exports_lmm.cpp: the R entry points of the linear mixed-model core (all named cpp_lmm_*).
// An LmmCore lives in an external pointer so that R can evaluate the deviance at any theta
// (profiles, devfun) without rebuilding the cross-products.
#include "lmm_core.h"
#include "lmm_optimize.h"
#include "lmm_vcov.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
LmmCore* core_from(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrAddr(ptr) == NULL)
    Rcpp::stop("the model's C++ core is not available (was the fit saved and reloaded?)");
  return static_cast<LmmCore*>(R_ExternalPtrAddr(ptr));
}
}  // namespace

// factor_method: 0 lets the core choose, 1 forces the blocked factor, 2 the simplicial sparse one.
// [[Rcpp::export]]
SEXP cpp_lmm_create(const Eigen::Map<Eigen::MatrixXd> X, const Eigen::Map<Eigen::VectorXd> y,
                    const Eigen::Map<Eigen::VectorXd> weights, const Eigen::Map<Eigen::VectorXd> offset,
                    Rcpp::List terms, int factor_method = 0) {
  if (factor_method < 0 || factor_method > 2) Rcpp::stop("factor_method must be 0, 1 or 2");
  const int n = X.rows();
  if (y.size() != n || weights.size() != n || offset.size() != n)
    Rcpp::stop("response, weights and offset must have one value per row of the model matrix");
  ReDesign re = build_re_design(terms, n);
  Rcpp::XPtr<LmmCore> ptr(new LmmCore(X, y, weights, offset, std::move(re), factor_method), true);
  return ptr;
}

// [[Rcpp::export]]
double cpp_lmm_deviance(SEXP ptr, const Eigen::VectorXd theta, bool reml) {
  return core_from(ptr)->deviance(theta, reml);
}

// Which factor the core uses (blocked or simplicial sparse).
// [[Rcpp::export]]
bool cpp_lmm_uses_blocked(SEXP ptr) {
  return core_from(ptr)->uses_blocked_factor();
}

// [[Rcpp::export]]
Rcpp::NumericVector cpp_lmm_theta_lower(SEXP ptr) {
  return Rcpp::wrap(core_from(ptr)->design().theta_lower);
}

// State of the core at theta, as a list (after deviance(theta)).
Rcpp::List lmm_state(LmmCore* core, const VectorXd& theta, bool reml) {
  const double dev = core->deviance(theta, reml);
  const double nmp = reml ? core->n() - core->p() : core->n();
  return Rcpp::List::create(
      Rcpp::Named("theta") = theta, Rcpp::Named("deviance") = dev,
      Rcpp::Named("beta") = core->beta(), Rcpp::Named("u") = core->u(), Rcpp::Named("b") = core->b(),
      Rcpp::Named("pwrss") = core->pwrss(), Rcpp::Named("logdet_L2") = core->logdet_L2(),
      Rcpp::Named("logdet_RX2") = core->logdet_RX2(), Rcpp::Named("RX") = core->RX(),
      Rcpp::Named("sigma") = std::sqrt(core->pwrss() / nmp));
}

// [[Rcpp::export]]
Rcpp::List cpp_lmm_state(SEXP ptr, const Eigen::VectorXd theta, bool reml) {
  return lmm_state(core_from(ptr), theta, reml);
}

// [[Rcpp::export]]
Rcpp::List cpp_lmm_optimize(SEXP ptr, const Eigen::VectorXd theta0, bool reml, Rcpp::List control,
                            bool try_moment_start, std::string optimizer = "bobyqa") {
  LmmCore* core = core_from(ptr);
  if (theta0.size() != core->design().ntheta) Rcpp::stop("start: theta has length %d, expected %d", (int)theta0.size(), core->design().ntheta);
  if (optimizer != "bobyqa" && optimizer != "lbfgs") Rcpp::stop("optimizer must be \"bobyqa\" or \"lbfgs\"");
  const OptimResult opt = optimize_lmm(*core, theta0, reml, optim_control_from_list(control), try_moment_start, optimizer == "lbfgs");
  Rcpp::List state = lmm_state(core, opt.par, reml);
  state["evaluations"] = opt.evaluations;
  state["status"] = opt.status;
  state["message"] = opt.message;
  return state;
}

// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_lmm_condvar(SEXP ptr, const Eigen::VectorXd theta, int term) {
  LmmCore* core = core_from(ptr);
  core->deviance(theta, false);
  if (term < 1 || term > (int)core->design().term_ncol.size()) Rcpp::stop("no random-effect term %d", term);
  return Rcpp::wrap(core->cond_var(term - 1));
}

// L^{-1} P Lambda' V at theta for V (q x k, rows in the formula's order of b): its cross-products
// are V' Lambda A^{-1} Lambda' V, the conditional covariances of V'b up to sigma^2.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_lmm_half_solve(SEXP ptr, const Eigen::VectorXd theta, const Eigen::MatrixXd V) {
  LmmCore* core = core_from(ptr);
  if (!std::isfinite(core->deviance(theta, false))) Rcpp::stop("the model's factor is not available at this theta");
  return Rcpp::wrap(core->half_solve(V));
}

// Covariance of the ML fixed effects from the joint Hessian in (beta, theta, log sigma) (see
// lmm_vcov.h); an empty matrix when that Hessian is not positive definite. Attributes h,
// deviance_plus and deviance_minus: the profiled ML deviance at theta +- h along each axis.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_lmm_vcov_joint(SEXP ptr, const Eigen::VectorXd theta, double sigma, double theta_unit) {
  const JointVcov jv = lmm_joint_vcov(*core_from(ptr), theta, sigma, theta_unit);
  Rcpp::NumericMatrix out = jv.ok ? Rcpp::NumericMatrix(Rcpp::wrap(jv.vcov)) : Rcpp::NumericMatrix(0, 0);
  out.attr("h") = jv.h;
  out.attr("deviance_plus") = jv.deviance_plus;
  out.attr("deviance_minus") = jv.deviance_minus;
  return out;
}

// The profiled deviance at theta and its exact gradient in theta.
// [[Rcpp::export]]
Rcpp::List cpp_lmm_gradient(SEXP ptr, const Eigen::VectorXd theta, bool reml) {
  VectorXd grad;
  const double dev = core_from(ptr)->deviance_gradient(theta, reml, grad);
  return Rcpp::List::create(Rcpp::Named("deviance") = dev, Rcpp::Named("gradient") = grad);
}
