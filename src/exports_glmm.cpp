// exports_glmm.cpp: the R entry points of the GLMM core (all named cpp_glmm_*) and the family
// table shared with R. The outer parameters are packed as (theta, beta, log phi).
#include "glmm_core.h"
#include "families.h"
#include "numeric_hessian.h"
#include "optimizer.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
GlmmCore* glmm_core_from(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrAddr(ptr) == NULL)
    Rcpp::stop("the model's C++ core is not available (was the fit saved and reloaded?)");
  return static_cast<GlmmCore*>(R_ExternalPtrAddr(ptr));
}
}  // namespace

// [[Rcpp::export]]
Rcpp::List cpp_family_table() {
  Rcpp::CharacterVector fam(FAM_COUNT), lnk(LINK_COUNT);
  Rcpp::LogicalVector disp(FAM_COUNT);
  for (int i = 0; i < FAM_COUNT; ++i) {
    fam[i] = family_names[i];
    disp[i] = family_has_dispersion(i);
  }
  for (int i = 0; i < LINK_COUNT; ++i) lnk[i] = link_names[i];
  return Rcpp::List::create(Rcpp::Named("family") = fam, Rcpp::Named("link") = lnk,
                            Rcpp::Named("has_dispersion") = disp);
}

// Per-observation log-likelihood, gradient, information, mean mu, dmu/deta, variance function
// V(mu) and IRLS weight (unnamed columns 1-7; for tests against stats::family() and the d*() densities).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_family_eval(int family, int link, const Eigen::VectorXd y, const Eigen::VectorXd eta,
                                    const Eigen::VectorXd weights, double phi) {
  if (family < 0 || family >= FAM_COUNT || link < 0 || link >= LINK_COUNT) Rcpp::stop("unknown family or link code");
  if (y.size() != eta.size() || weights.size() != eta.size()) Rcpp::stop("y, eta and weights must have the same length");
  Rcpp::NumericMatrix out(eta.size(), 7);
  for (int i = 0; i < eta.size(); ++i) {
    const ObsLogLik o = obs_loglik(family, link, y[i], eta[i], weights[i], phi);
    const LinkValues v = link_values(link, eta[i]);
    out(i, 0) = o.value + obs_constant(family, y[i], weights[i]);
    out(i, 1) = o.grad;
    out(i, 2) = o.info;
    out(i, 3) = v.mu;
    out(i, 4) = v.dmu;
    out(i, 5) = unit_variance(family, v.mu, phi);
    out(i, 6) = irls_weight(family, link, eta[i], weights[i], phi);
  }
  return out;
}

// [[Rcpp::export]]
SEXP cpp_glmm_create(const Eigen::Map<Eigen::MatrixXd> X, const Eigen::Map<Eigen::VectorXd> y,
                     const Eigen::Map<Eigen::VectorXd> weights, const Eigen::Map<Eigen::VectorXd> offset,
                     Rcpp::List terms, int family, int link) {
  const int n = X.rows();
  if (y.size() != n || weights.size() != n || offset.size() != n)
    Rcpp::stop("response, weights and offset must have one value per row of the model matrix");
  ReDesign re = build_re_design(terms, n);
  Rcpp::XPtr<GlmmCore> ptr(new GlmmCore(X, y, weights, offset, std::move(re), family, link), true);
  return ptr;
}

// State of the core at the packed parameters (after evaluating the objective there).
Rcpp::List glmm_state(GlmmCore* core, const VectorXd& par) {
  const double dev = core->objective(par);
  return Rcpp::List::create(
      Rcpp::Named("par") = par, Rcpp::Named("deviance") = dev, Rcpp::Named("u") = core->u(),
      Rcpp::Named("b") = core->b(), Rcpp::Named("eta") = core->eta(),
      Rcpp::Named("loglik_cond") = core->loglik_cond(), Rcpp::Named("logdet_L2") = core->logdet_L2(),
      Rcpp::Named("pirls_iterations") = core->pirls_iterations());
}

// [[Rcpp::export]]
double cpp_glmm_objective(SEXP ptr, const Eigen::VectorXd par) { return glmm_core_from(ptr)->objective(par); }

// The objective and its analytic gradient (attribute "gradient"); NaN gradient where unavailable.
// [[Rcpp::export]]
Rcpp::NumericVector cpp_glmm_gradient(SEXP ptr, const Eigen::VectorXd par) {
  VectorXd grad;
  const double value = glmm_core_from(ptr)->objective_gradient(par, grad);
  Rcpp::NumericVector out = Rcpp::wrap(grad);
  out.attr("value") = value;
  return out;
}

// Per-observation derivatives for the analytic gradient (for tests against finite differences).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_family_derivs(int family, int link, const Eigen::VectorXd y, const Eigen::VectorXd eta,
                                      const Eigen::VectorXd weights, double phi) {
  if (family < 0 || family >= FAM_COUNT || link < 0 || link >= LINK_COUNT) Rcpp::stop("unknown family or link code");
  if (y.size() != eta.size() || weights.size() != eta.size()) Rcpp::stop("y, eta and weights must have the same length");
  Rcpp::NumericMatrix out(eta.size(), 6);
  for (int i = 0; i < eta.size(); ++i) {
    const ObsDerivs o = obs_derivs(family, link, y[i], eta[i], weights[i], phi);
    out(i, 0) = o.grad; out(i, 1) = o.info; out(i, 2) = o.dinfo;
    out(i, 3) = o.dphi; out(i, 4) = o.dgrad_phi; out(i, 5) = o.dinfo_phi;
  }
  return out;
}

// [[Rcpp::export]]
Rcpp::List cpp_glmm_state(SEXP ptr, const Eigen::VectorXd par) { return glmm_state(glmm_core_from(ptr), par); }

// The objective at par and GlmmCore::start_info() there (NULL entries when unavailable).
// [[Rcpp::export]]
Rcpp::List cpp_glmm_start_info(SEXP ptr, const Eigen::VectorXd par) {
  GlmmCore* core = glmm_core_from(ptr);
  const double value = core->objective(par);
  MatrixXd moments, beta_info;
  VectorXd cond_diag;
  if (!std::isfinite(value) || !core->start_info(moments, cond_diag, beta_info)) return Rcpp::List::create(Rcpp::Named("value") = value);
  return Rcpp::List::create(Rcpp::Named("value") = value, Rcpp::Named("moments") = moments,
                            Rcpp::Named("cond_diag") = cond_diag, Rcpp::Named("beta_info") = beta_info);
}

// [[Rcpp::export]]
Rcpp::NumericVector cpp_glmm_theta_lower(SEXP ptr) { return Rcpp::wrap(glmm_core_from(ptr)->design().theta_lower); }

// Minimize the Laplace deviance: by L-BFGS with the analytic gradient when `gradient` is true
// (Laplace approximation only), else by BOBYQA.
// [[Rcpp::export]]
Rcpp::List cpp_glmm_optimize(SEXP ptr, const Eigen::VectorXd par0, const Eigen::VectorXd lower,
                             const Eigen::VectorXd upper, Rcpp::List control, bool gradient = false) {
  GlmmCore* core = glmm_core_from(ptr);
  const VectorXd start = par0.cwiseMax(lower).cwiseMin(upper);
  OptimResult opt;
  if (gradient && core->has_gradient()) {
    ValueGradient fg = [core](const VectorXd& par, VectorXd& grad) { return core->objective_gradient(par, grad); };
    opt = minimize_lbfgs(fg, start, lower, upper, optim_control_from_list(control));
  } else {
    std::function<double(const VectorXd&)> f = [core](const VectorXd& par) { return core->objective(par); };
    opt = minimize_bobyqa(f, start, lower, upper, optim_control_from_list(control));
  }
  Rcpp::List state = glmm_state(core, opt.par);
  state["evaluations"] = opt.evaluations;
  state["status"] = opt.status;
  state["message"] = opt.message;
  return state;
}

// Hessian of the Laplace deviance at par by central differences with steps h; each evaluation
// starts PIRLS from the mode at par, so the differences see a smooth function.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_glmm_hessian(SEXP ptr, const Eigen::VectorXd par, const Eigen::VectorXd h) {
  GlmmCore* core = glmm_core_from(ptr);
  core->objective(par);
  const VectorXd u0 = core->mode();   // every evaluation starts PIRLS from the mode at par
  auto f = [&](const VectorXd& x) { core->set_mode(u0); return core->objective(x); };
  const MatrixXd H = numeric_hessian(f, par, h);
  core->set_mode(u0);
  core->objective(par);   // leave the core at par
  return Rcpp::wrap(H);
}

// [[Rcpp::export]]
void cpp_glmm_set_quadrature(SEXP ptr, const Eigen::VectorXd nodes, const Eigen::VectorXd weights) {
  glmm_core_from(ptr)->set_quadrature(nodes, weights);
}

// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_glmm_condvar(SEXP ptr, const Eigen::VectorXd par, int term) {
  GlmmCore* core = glmm_core_from(ptr);
  core->objective(par);
  if (term < 1 || term > (int)core->design().term_ncol.size()) Rcpp::stop("no random-effect term %d", term);
  return Rcpp::wrap(core->cond_var(term - 1));
}

// L^{-1} P Lambda' V at the mode for par, for V (q x k, rows in the formula's order of the core's
// b): its cross-products are V' Lambda H^{-1} Lambda' V, the conditional covariances of V'b.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_glmm_half_solve(SEXP ptr, const Eigen::VectorXd par, const Eigen::MatrixXd V) {
  GlmmCore* core = glmm_core_from(ptr);
  if (!std::isfinite(core->objective(par))) Rcpp::stop("the Laplace approximation is not finite at these parameters");
  return Rcpp::wrap(core->half_solve(V));
}
