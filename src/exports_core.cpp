// exports_core.cpp: the R entry points of the cores (all named cpp_core_*), one set for both
// model kinds (mixed_core.h): a core lives in an external pointer and every read takes the
// parameter vector and the criterion (reml) it is read at. R reaches them only through
// R/core.R. Also the GLM start (cpp_glm_fit) and the family and link tables with per-observation
// evaluations for the tests (cpp_family_*).
#include "exports.h"
#include "dense_kernels.h"
#include <string>
#include <thread>
#include <vector>
#include "families.h"
#include "glm_start.h"
#include "glmm_core.h"
#include "lmm_core.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

MixedCore* core_from(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrAddr(ptr) == NULL)
    Rcpp::stop("the model's C++ core is not available (was the fit saved and reloaded?)");
  return static_cast<MixedCore*>(R_ExternalPtrAddr(ptr));
}

std::vector<ReTermData> re_terms_from_list(const Rcpp::List& terms, int n) {
  std::vector<ReTermData> out;
  for (int i = 0; i < terms.size(); ++i) {
    Rcpp::List term = terms[i];
    SEXP codes = term["codes"], Xt = term["Xt"];
    if (TYPEOF(codes) != INTSXP || Rf_length(codes) != n) Rcpp::stop("random-effect term %d: grouping factor has the wrong length", i + 1);
    if (TYPEOF(Xt) != REALSXP || !Rf_isMatrix(Xt)) Rcpp::stop("random-effect term %d: its model matrix must be a numeric matrix", i + 1);
    out.push_back(ReTermData{INTEGER(codes), Rcpp::as<int>(term["nlev"]), REAL(Xt), Rf_nrows(Xt), Rf_ncols(Xt)});
  }
  return out;
}

OptimControl optim_control_from_list(const Rcpp::List& control) {
  OptimControl c;
  if (control.containsElementNamed("ftol_abs")) c.ftol_abs = Rcpp::as<double>(control["ftol_abs"]);
  if (control.containsElementNamed("ftol_rel")) c.ftol_rel = Rcpp::as<double>(control["ftol_rel"]);
  if (control.containsElementNamed("xtol_abs")) c.xtol_abs = Rcpp::as<double>(control["xtol_abs"]);
  if (control.containsElementNamed("xtol_rel")) c.xtol_rel = Rcpp::as<double>(control["xtol_rel"]);
  if (control.containsElementNamed("maxeval")) c.maxeval = Rcpp::as<int>(control["maxeval"]);
  if (control.containsElementNamed("initial_step")) c.initial_step = Rcpp::as<double>(control["initial_step"]);
  if (control.containsElementNamed("initial_steps")) c.initial_steps = Rcpp::as<Eigen::VectorXd>(control["initial_steps"]);
  if (control.containsElementNamed("scale")) c.scale = Rcpp::as<Eigen::VectorXd>(control["scale"]);
  if (control.containsElementNamed("verbose")) c.verbose = Rcpp::as<int>(control["verbose"]);
  if (control.containsElementNamed("stall_evaluations")) c.stall_evaluations = Rcpp::as<int>(control["stall_evaluations"]);
  return c;
}

Rcpp::List state_to_list(const CoreState& state) {
  Rcpp::List out(state.size());
  Rcpp::CharacterVector names(state.size());
  for (std::size_t k = 0; k < state.size(); ++k) {
    const StateEntry& e = state[k];
    names[k] = e.name;
    if (e.kind == 0) out[k] = e.scalar;
    else if (e.kind == 1) out[k] = Rcpp::wrap(e.vector);
    else out[k] = Rcpp::wrap(e.matrix);
  }
  out.attr("names") = names;
  return out;
}

namespace {

// The LMM core behind ptr, or an error naming what needed it.
LmmCore* lmm_core_from(SEXP ptr, const char* what) {
  LmmCore* core = dynamic_cast<LmmCore*>(core_from(ptr));
  if (!core) Rcpp::stop("%s needs a linear mixed model's core", what);
  return core;
}

GlmmCore* glmm_core_from(SEXP ptr, const char* what) {
  GlmmCore* core = dynamic_cast<GlmmCore*>(core_from(ptr));
  if (!core) Rcpp::stop("%s needs a generalized linear mixed model's core", what);
  return core;
}

void check_rows(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::VectorXd>& y,
                const Eigen::Map<Eigen::VectorXd>& weights, const Eigen::Map<Eigen::VectorXd>& offset) {
  const int n = X.rows();
  if (y.size() != n || weights.size() != n || offset.size() != n)
    Rcpp::stop("response, weights and offset must have one value per row of the model matrix");
}

}  // namespace

// A linear mixed model's core. factor_method: 0 chooses, 1 forces the blocked factor, 2 the
// simplicial sparse one; max_bytes: the memory the factor may use.
// [[Rcpp::export]]
SEXP cpp_core_lmm(const Eigen::Map<Eigen::MatrixXd> X, const Eigen::Map<Eigen::VectorXd> y,
                  const Eigen::Map<Eigen::VectorXd> weights, const Eigen::Map<Eigen::VectorXd> offset,
                  Rcpp::List terms, int factor_method, double max_bytes) {
  check_rows(X, y, weights, offset);
  return interruptible([&]() -> SEXP {
    ReDesign re = build_re_design(re_terms_from_list(terms, X.rows()), X.rows());
    MixedCore* core = new LmmCore(X, y, weights, offset, std::move(re), factor_method, max_bytes);
    return Rcpp::XPtr<MixedCore>(core, true);
  });
}

namespace {

// An owner of `x` that keeps it from R's garbage collector until the last copy is destroyed.
std::shared_ptr<void> preserve_for_core(SEXP x) {
  R_PreserveObject(x);
  return std::shared_ptr<void>(nullptr, [x](void*) { R_ReleaseObject(x); });
}

}  // namespace

// A GLMM's core for family and link codes (families.h); a Gauss-Hermite rule (nodes, weights)
// of more than one point replaces the Laplace approximation by adaptive quadrature.
// factor_method and max_bytes as for cpp_core_lmm(). X is the conditioned design X A;
// reml_log_jacobian = -log|A|^2 puts the REML criterion on the user's beta (glmm_core.h).
// [[Rcpp::export]]
SEXP cpp_core_glmm(Rcpp::NumericMatrix X, Rcpp::NumericVector y, Rcpp::NumericVector weights,
                   Rcpp::NumericVector offset,
                   Rcpp::List terms, int family, int link, const Eigen::VectorXd gh_nodes,
                   const Eigen::VectorXd gh_weights, int factor_method, double max_bytes, double reml_log_jacobian) {
  const Eigen::Map<Eigen::MatrixXd> Xm(X.begin(), X.nrow(), X.ncol());
  check_rows(Xm, Eigen::Map<Eigen::VectorXd>(y.begin(), y.size()), Eigen::Map<Eigen::VectorXd>(weights.begin(), weights.size()),
             Eigen::Map<Eigen::VectorXd>(offset.begin(), offset.size()));
  return interruptible([&]() -> SEXP {
    ReDesign re = build_re_design(re_terms_from_list(terms, Xm.rows()), Xm.rows());
    // the core reads X, y, weights and offset in place: it holds them preserved from R's
    // collector for its life (not as the pointer's `prot`, which serialize() would write out)
    std::shared_ptr<void> inputs = preserve_for_core(Rcpp::List::create(X, y, weights, offset));
    std::unique_ptr<GlmmCore> core(new GlmmCore(X.begin(), Xm.rows(), Xm.cols(), y.begin(), weights.begin(), offset.begin(),
                                                std::move(re), family, link, factor_method, max_bytes, reml_log_jacobian));
    core->hold_inputs(std::move(inputs));
    core->set_quadrature(gh_nodes, gh_weights);
    return Rcpp::XPtr<MixedCore>(core.release(), true);
  });
}

// [[Rcpp::export]]
double cpp_core_objective(SEXP ptr, const Eigen::VectorXd par, bool reml) { return core_from(ptr)->objective(par, reml); }

// The objectives of several cores read at once, core i at pars[[i]] in a thread of its own (the
// cores must be distinct): what a caller fitting models in parallel threads relies on (tests).
// [[Rcpp::export]]
Rcpp::NumericVector cpp_cores_objective_in_threads(Rcpp::List ptrs, Rcpp::List pars, bool reml) {
  const int k = ptrs.size();
  if (pars.size() != k) engine_stop("one parameter vector per core is needed");
  std::vector<MixedCore*> cores(k);
  std::vector<VectorXd> at(k);
  for (int i = 0; i < k; ++i) {
    cores[i] = core_from(ptrs[i]);
    at[i] = Rcpp::as<VectorXd>(pars[i]);
    for (int j = 0; j < i; ++j)
      if (cores[j] == cores[i]) engine_stop("core %d is also core %d: one core cannot be read by two threads at once", i + 1, j + 1);
  }
  std::vector<double> values(k, NA_REAL);
  std::vector<std::string> errors(k);
  std::vector<std::thread> threads;
  for (int i = 0; i < k; ++i) {
    threads.emplace_back([&, i]() {
      try {
        values[i] = cores[i]->objective(at[i], reml);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < k; ++i)
    if (!errors[i].empty()) engine_stop("core %d: %s", i + 1, errors[i].c_str());
  return Rcpp::wrap(values);
}

// The objective's exact gradient (attribute "value": the objective); NaN where there is none.
// [[Rcpp::export]]
Rcpp::NumericVector cpp_core_gradient(SEXP ptr, const Eigen::VectorXd par, bool reml) {
  VectorXd grad;
  const double value = core_from(ptr)->objective_gradient(par, reml, grad);
  Rcpp::NumericVector out = Rcpp::wrap(grad);
  out.attr("value") = value;
  return out;
}

// Gradients (ML) at the columns of `points`, near `centre` (GlmmCore::gradients_near()): one column each.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_core_gradients_near(SEXP ptr, const Eigen::VectorXd centre, const Eigen::MatrixXd points) {
  GlmmCore* core = glmm_core_from(ptr, "gradients near a point");
  return Rcpp::wrap(interruptible([&]() { return core->gradients_near(centre, points); }));
}

// [[Rcpp::export]]
Rcpp::List cpp_core_state(SEXP ptr, const Eigen::VectorXd par, bool reml) { return state_to_list(core_from(ptr)->state(par, reml)); }

// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_core_condvar(SEXP ptr, const Eigen::VectorXd par, bool reml, int term) {
  MixedCore* core = core_from(ptr);
  if (term < 1 || term > (int)core->design().term_ncol.size()) Rcpp::stop("no random-effect term %d", term);
  return Rcpp::wrap(interruptible([&]() { return core->cond_var(par, reml, term - 1); }));
}

// L^{-1} P Lambda' V at par (MixedCore::half_solve()): crossprod() of it is the conditional
// covariance of V'b on the core's columns (times sigma^2 for the LMM).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_core_half_solve(SEXP ptr, const Eigen::VectorXd par, bool reml, const Eigen::MatrixXd V) {
  return Rcpp::wrap(core_from(ptr)->half_solve(par, reml, V));
}

// [[Rcpp::export]]
void cpp_core_set_response(SEXP ptr, const Eigen::VectorXd y, const Eigen::VectorXd weights) {
  core_from(ptr)->set_response(y, weights);
}

// [[Rcpp::export]]
void cpp_core_clear_cache(SEXP ptr) { core_from(ptr)->clear_cache(); }

// [[Rcpp::export]]
Rcpp::NumericVector cpp_core_lower(SEXP ptr, bool reml) { return Rcpp::wrap(core_from(ptr)->lower(reml)); }

// Minimize the objective from `start` within [lower, upper]: by L-BFGS with the exact gradient
// when `gradient` is true (and the core has one), else by BOBYQA. With `directions` T (npar x m,
// m > 0) the search is over v, par = origin + T v (start and bounds then refer to v): fixed
// coordinates and fixed linear combinations (a profiled fixed effect) on the same core. Returns
// the state at the end point with the optimizer's evaluations, status and message (and v).
// [[Rcpp::export]]
Rcpp::List cpp_core_optimize(SEXP ptr, const Eigen::VectorXd start, const Eigen::VectorXd lower,
                             const Eigen::VectorXd upper, Rcpp::List control, bool reml, bool gradient,
                             const Eigen::VectorXd origin, const Eigen::MatrixXd directions) {
  MixedCore* core = core_from(ptr);
  if (start.size() != lower.size() || start.size() != upper.size())
    Rcpp::stop("start: %d parameters, %d bounds", (int)start.size(), (int)lower.size());
  const bool affine = directions.size() > 0;
  if (affine && (directions.cols() != start.size() || directions.rows() != origin.size()))
    Rcpp::stop("directions must be a matrix with one column per parameter searched and one row per core parameter");
  auto par_at = [&](const VectorXd& v) { return affine ? VectorXd(origin + directions * v) : v; };
  const VectorXd x0 = start.cwiseMax(lower).cwiseMin(upper);
  const OptimControl settings = optim_control_from_list(control);
  OptimResult opt = interruptible([&]() {
    if (gradient && core->has_gradient(reml)) {
      ValueGradient fg = [&](const VectorXd& v, VectorXd& grad) {
        VectorXd g;
        const double value = core->objective_gradient(par_at(v), reml, g);
        grad = affine ? VectorXd(directions.transpose() * g) : g;
        return value;
      };
      return minimize_lbfgs(fg, x0, lower, upper, settings);
    }
    std::function<double(const VectorXd&)> f = [&](const VectorXd& v) { return core->objective(par_at(v), reml); };
    return minimize_bobyqa(f, x0, lower, upper, settings);
  });
  Rcpp::List state = state_to_list(core->state(par_at(opt.par), reml));
  state["v"] = opt.par;
  state["evaluations"] = opt.evaluations;
  state["status"] = opt.status;
  state["message"] = opt.message;
  return state;
}

// Does the core use the blocked factor (or the simplicial sparse one)?
// [[Rcpp::export]]
bool cpp_core_uses_blocked(SEXP ptr) { return core_from(ptr)->uses_blocked_factor(); }

// Does the core's blocked factor use its dense mode for the leading term (blocked_cholesky.h)?
// [[Rcpp::export]]
bool cpp_core_uses_dense_lead(SEXP ptr) { return core_from(ptr)->uses_dense_lead(); }

// Switch the AVX2/FMA dense kernels (dense_kernels.h) on, when this build and processor have
// them, or off (on = NA: leave as is); whether they are in use afterwards.
// [[Rcpp::export]]
bool cpp_wide_kernels(Rcpp::LogicalVector on) {
  if (on.size() == 1 && on[0] != NA_LOGICAL) return set_wide_kernels(on[0]);
  return wide_kernels_in_use();
}

// The LMM's moment start for theta (LmmCore::moment_theta()).
// [[Rcpp::export]]
Rcpp::NumericVector cpp_core_moment_theta(SEXP ptr) { return Rcpp::wrap(lmm_core_from(ptr, "the moment start")->moment_theta()); }

// S_X at the (REML or ML) mode for par (GlmmCore::beta_information()).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_core_beta_information(SEXP ptr, const Eigen::VectorXd par, bool reml) {
  const MatrixXd S = glmm_core_from(ptr, "the information on beta")->beta_information(par, reml);
  if (S.size() == 0) Rcpp::stop("the Laplace approximation is not finite at these parameters");
  return Rcpp::wrap(S);
}

// The objective at par and GlmmCore::start_info() there (NULL entries when unavailable).
// [[Rcpp::export]]
Rcpp::List cpp_core_start_info(SEXP ptr, const Eigen::VectorXd par) {
  GlmmCore* core = glmm_core_from(ptr, "the EM start");
  double value;
  MatrixXd moments, beta_info;
  VectorXd cond_diag;
  if (!core->start_info(par, value, moments, cond_diag, beta_info)) return Rcpp::List::create(Rcpp::Named("value") = value);
  return Rcpp::List::create(Rcpp::Named("value") = value, Rcpp::Named("moments") = moments,
                            Rcpp::Named("cond_diag") = cond_diag, Rcpp::Named("beta_info") = beta_info);
}

// A GLMM core's zero model (0 none, 1 zero-inflation, 2 hurdle) and dispersion model
// (GlmmCore::set_components()); its par then is (theta, beta, beta_zi, gamma or log phi, shape).
// [[Rcpp::export]]
void cpp_core_set_components(SEXP ptr, int zero_model, const Eigen::MatrixXd Xzi, const Eigen::VectorXd zi_offset,
                             bool dispersion_by_observation, const Eigen::MatrixXd Xd, const Eigen::VectorXd disp_offset) {
  glmm_core_from(ptr, "a zero-inflation or dispersion model")
      ->set_components(zero_model, Xzi, zi_offset, dispersion_by_observation, Xd, disp_offset);
}

// Random effects in a GLMM core's zero model (GlmmCore::set_zi_random(); terms as cpp_core_glmm()'s).
// [[Rcpp::export]]
void cpp_core_set_zi_random(SEXP ptr, Rcpp::List terms) {
  GlmmCore* core = glmm_core_from(ptr, "random effects in the zero model");
  interruptible([&]() { core->set_zi_random(re_terms_from_list(terms, core->design().n)); });
}

// Maximum-likelihood beta of the GLM without random effects from eta_start (glm_start.h);
// list(beta, eta, converged).
// [[Rcpp::export]]
Rcpp::List cpp_glm_fit(const Eigen::Map<Eigen::MatrixXd> X, const Eigen::Map<Eigen::VectorXd> y,
                       const Eigen::Map<Eigen::VectorXd> weights, const Eigen::Map<Eigen::VectorXd> offset,
                       const Eigen::Map<Eigen::VectorXd> eta_start, int family, int link, double phi) {
  VectorXd beta, eta;
  const bool converged = interruptible([&]() { return fit_glm(X, y, weights, offset, eta_start, family, link, phi, beta, eta); });
  return Rcpp::List::create(Rcpp::Named("beta") = beta, Rcpp::Named("eta") = eta, Rcpp::Named("converged") = converged);
}

// ---- Families (families.h)

// The family and link tables of families.h: $family, $link (names; a code is a position - 1),
// $has_dispersion, and per family its default link, response support, dispersion name ("" if
// none) and number of shape parameters.
// [[Rcpp::export]]
Rcpp::List cpp_family_table() {
  const int nf = family_count(), nl = link_count();
  Rcpp::CharacterVector fam(nf), default_link(nf), support(nf), dispersion(nf), lnk(nl);
  Rcpp::LogicalVector disp(nf);
  Rcpp::IntegerVector n_shape(nf);
  for (int i = 0; i < nf; ++i) {
    const FamilyFunctions& f = family_at(i);
    fam[i] = f.name;
    disp[i] = f.dispersion != nullptr;
    default_link[i] = f.default_link;
    support[i] = f.support;
    dispersion[i] = f.dispersion ? f.dispersion : "";
    n_shape[i] = f.n_shape;
  }
  for (int i = 0; i < nl; ++i) lnk[i] = link_at(i).name;
  return Rcpp::List::create(Rcpp::Named("family") = fam, Rcpp::Named("link") = lnk,
                            Rcpp::Named("has_dispersion") = disp, Rcpp::Named("default_link") = default_link,
                            Rcpp::Named("support") = support, Rcpp::Named("dispersion") = dispersion,
                            Rcpp::Named("n_shape") = n_shape);
}

// Per-observation log-likelihood, gradient, information, mean mu, dmu/deta, variance function
// V(mu) and IRLS weight (unnamed columns 1-7; for tests against stats::family() and the d*() densities),
// at dispersion phi and (families with one) shape parameter `shape`.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_family_eval(int family, int link, Rcpp::NumericVector y, Rcpp::NumericVector eta,
                                    Rcpp::NumericVector weights, double phi, double shape = NA_REAL) {
  ResponseModel model(family, link);
  model.set_parameters(phi, shape);
  if (y.size() != eta.size() || weights.size() != eta.size()) Rcpp::stop("y, eta and weights must have the same length");
  Rcpp::NumericMatrix out(eta.size(), 7);
  for (int i = 0; i < eta.size(); ++i) {
    const ObsLogLik o = model.loglik(y[i], eta[i], weights[i]);
    const LinkValues v = model.link_values(eta[i]);
    out(i, 0) = o.value + model.constant(y[i], weights[i]);
    out(i, 1) = o.grad;
    out(i, 2) = o.info;
    out(i, 3) = v.mu;
    out(i, 4) = v.dmu;
    out(i, 5) = model.variance(v.mu);
    out(i, 6) = model.irls_weight(eta[i], weights[i]);
  }
  return out;
}

// Per-observation derivatives for the analytic gradient (for tests against finite differences).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_family_derivs(int family, int link, Rcpp::NumericVector y, Rcpp::NumericVector eta,
                                      Rcpp::NumericVector weights, double phi, double shape = NA_REAL) {
  ResponseModel model(family, link);
  model.set_parameters(phi, shape);
  if (y.size() != eta.size() || weights.size() != eta.size()) Rcpp::stop("y, eta and weights must have the same length");
  Rcpp::NumericMatrix out(eta.size(), 6);
  for (int i = 0; i < eta.size(); ++i) {
    const ObsLogLik o = model.derivs(y[i], eta[i], weights[i]);
    out(i, 0) = o.grad; out(i, 1) = o.info; out(i, 2) = o.dinfo;
    out(i, 3) = o.dphi; out(i, 4) = o.dgrad_phi; out(i, 5) = o.dinfo_phi;
  }
  return out;
}
