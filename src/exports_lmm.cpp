// exports_lmm.cpp: the R entry points of the linear mixed-model core (all named cpp_lmm_*).
// An LmmCore lives in an external pointer so that R can evaluate the deviance at any theta
// (profiles, devfun) without rebuilding the cross-products.
#include "lmm_core.h"
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
                            bool try_moment_start) {
  LmmCore* core = core_from(ptr);
  const VectorXd lower = core->design().theta_lower;
  const VectorXd upper = VectorXd::Constant(lower.size(), std::numeric_limits<double>::infinity());
  if (theta0.size() != lower.size()) Rcpp::stop("start: theta has length %d, expected %d", (int)theta0.size(), (int)lower.size());
  std::function<double(const VectorXd&)> f = [core, reml](const VectorXd& th) { return core->deviance(th, reml); };
  // Large models: start from the moment estimate when its deviance is lower (from the identity,
  // BOBYQA's first steps are far too long for InstEval-sized data: 122 evaluations instead of 58).
  // Small models, and fits given a start by the user or a caller, keep the given start.
  // From that close start, first steps of 10% of each parameter (at least 0.005) save another ~12.
  const int kLargeN = 10000;
  VectorXd start = theta0.cwiseMax(lower);
  OptimControl settings = optim_control_from_list(control);
  int extra_evaluations = 0;
  if (try_moment_start && core->n() >= kLargeN && start.size() > 0) {
    const VectorXd moment = core->moment_theta().cwiseMax(lower);
    if (moment.allFinite() && f(moment) < f(start)) {
      start = moment;
      if (settings.initial_step <= 0 && settings.initial_steps.size() == 0) {
        // floor 0.05 in the optimizer's units (theta times its scale, see fit_lmm's theta_unit)
        VectorXd floor = VectorXd::Constant(start.size(), 0.05);
        if (settings.scale.size() == start.size()) floor = floor.cwiseQuotient(settings.scale);
        settings.initial_steps = 0.1 * start.cwiseAbs().cwiseMax(floor);
      }
    }
    extra_evaluations = 2;
  }
  OptimResult opt = minimize_bobyqa(f, start, lower, upper, settings);
  opt.evaluations += extra_evaluations;
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
  LmmCore* core = core_from(ptr);
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
  core->deviance(theta, false);   // leave the core at the optimum
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
