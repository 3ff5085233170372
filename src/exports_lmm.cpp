// exports_lmm.cpp: the R entry points of the linear mixed-model core (all named cpp_lmm_*).
// An LmmCore lives in an external pointer so that R can evaluate the deviance at any theta
// (profiles, devfun) without rebuilding the cross-products.
#include "lmm_core.h"
#include "numeric_hessian.h"
#include "optimizer.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
LmmCore* core_from(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrAddr(ptr) == NULL)
    Rcpp::stop("the model's C++ core is not available (was the fit saved and reloaded?)");
  return static_cast<LmmCore*>(R_ExternalPtrAddr(ptr));
}
}  // namespace

// [[Rcpp::export]]
SEXP cpp_lmm_create(const Eigen::Map<Eigen::MatrixXd> X, const Eigen::Map<Eigen::VectorXd> y,
                    const Eigen::Map<Eigen::VectorXd> weights, const Eigen::Map<Eigen::VectorXd> offset,
                    Rcpp::List terms) {
  const int n = X.rows();
  if (y.size() != n || weights.size() != n || offset.size() != n)
    Rcpp::stop("response, weights and offset must have one value per row of the model matrix");
  ReDesign re = build_re_design(terms, n);
  Rcpp::XPtr<LmmCore> ptr(new LmmCore(X, y, weights, offset, std::move(re)), true);
  return ptr;
}

// [[Rcpp::export]]
double cpp_lmm_deviance(SEXP ptr, const Eigen::VectorXd theta, bool reml) {
  return core_from(ptr)->deviance(theta, reml);
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
Rcpp::List cpp_lmm_optimize(SEXP ptr, const Eigen::VectorXd theta0, bool reml, Rcpp::List control) {
  LmmCore* core = core_from(ptr);
  const VectorXd lower = core->design().theta_lower;
  const VectorXd upper = VectorXd::Constant(lower.size(), std::numeric_limits<double>::infinity());
  if (theta0.size() != lower.size()) Rcpp::stop("start: theta has length %d, expected %d", (int)theta0.size(), (int)lower.size());
  std::function<double(const VectorXd&)> f = [core, reml](const VectorXd& th) { return core->deviance(th, reml); };
  OptimResult opt = minimize_bobyqa(f, theta0.cwiseMax(lower), lower, upper, optim_control_from_list(control));
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

// Covariance of the ML fixed effects from the joint Hessian of -2 log L in (beta, theta, log sigma),
// as glmmTMB reports it: the beta block is exact, the rest by central differences.
// Returns an empty matrix when the variance-parameter block is not positive definite.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_lmm_vcov_joint(SEXP ptr, const Eigen::VectorXd theta, double sigma) {
  LmmCore* core = core_from(ptr);
  const int p = core->p(), k = theta.size(), m = k + 1;
  core->deviance(theta, false);
  const VectorXd beta = core->beta();
  const MatrixXd RX = core->RX();
  const MatrixXd Hbb = 2.0 * RX.transpose() * RX / (sigma * sigma);
  // psi = (theta, log sigma); f(psi) at beta fixed
  VectorXd psi(m);
  psi.head(k) = theta;
  psi[k] = std::log(sigma);
  auto f = [&](const VectorXd& ps) { return core->deviance_full(ps.head(k), beta, std::exp(ps[k])); };
  VectorXd h(m);
  for (int i = 0; i < m; ++i) h[i] = 1e-4 * std::max(std::abs(psi[i]), 0.1);
  const MatrixXd Hpp = numeric_hessian(f, psi, h);
  // d2f / dbeta dtheta = -2/sigma^2 RX'RX dbetahat/dtheta; zero in log sigma at beta = betahat
  MatrixXd Hbp = MatrixXd::Zero(p, m);
  for (int i = 0; i < k; ++i) {
    VectorXd a = theta, b = theta;
    a[i] += h[i];
    b[i] -= h[i];
    core->deviance(a, false);
    const VectorXd ba = core->beta();
    core->deviance(b, false);
    const VectorXd bb = core->beta();
    Hbp.col(i) = -Hbb * (ba - bb) / (2.0 * h[i]);
  }
  core->deviance(theta, false);   // leave the core at the optimum
  Eigen::LLT<MatrixXd> lpp(Hpp);
  if (lpp.info() != Eigen::Success) return Rcpp::NumericMatrix(0, 0);
  const MatrixXd S = Hbb - Hbp * lpp.solve(Hbp.transpose());
  Eigen::LLT<MatrixXd> ls(S);
  if (ls.info() != Eigen::Success) return Rcpp::NumericMatrix(0, 0);
  return Rcpp::wrap(MatrixXd(2.0 * ls.solve(MatrixXd::Identity(p, p))));
}
