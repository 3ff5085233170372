// exports_core.cpp: the R entry points of the cores (all named cpp_core_*), one set for both
// model kinds (mixed_core.h): a core lives in an external pointer and every read takes the
// parameter vector and the criterion (reml) it is read at. R reaches them only through
// R/core.R.
#include "glmm_core.h"
#include "lmm_core.h"
#include "optimizer.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;

// The core behind an external pointer (an error for a fit saved and reloaded).
MixedCore* core_from(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP || R_ExternalPtrAddr(ptr) == NULL)
    Rcpp::stop("the model's C++ core is not available (was the fit saved and reloaded?)");
  return static_cast<MixedCore*>(R_ExternalPtrAddr(ptr));
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
  ReDesign re = build_re_design(terms, X.rows());
  MixedCore* core = new LmmCore(X, y, weights, offset, std::move(re), factor_method, max_bytes);
  return Rcpp::XPtr<MixedCore>(core, true);
}

// A GLMM's core for family and link codes (families.h); a Gauss-Hermite rule (nodes, weights)
// of more than one point replaces the Laplace approximation by adaptive quadrature.
// factor_method and max_bytes as for cpp_core_lmm(). X is the conditioned design X A;
// reml_log_jacobian = -log|A|^2 puts the REML criterion on the user's beta (glmm_core.h).
// [[Rcpp::export]]
SEXP cpp_core_glmm(const Eigen::Map<Eigen::MatrixXd> X, const Eigen::Map<Eigen::VectorXd> y,
                   const Eigen::Map<Eigen::VectorXd> weights, const Eigen::Map<Eigen::VectorXd> offset,
                   Rcpp::List terms, int family, int link, const Eigen::VectorXd gh_nodes,
                   const Eigen::VectorXd gh_weights, int factor_method, double max_bytes, double reml_log_jacobian) {
  check_rows(X, y, weights, offset);
  ReDesign re = build_re_design(terms, X.rows());
  GlmmCore* core = new GlmmCore(X, y, weights, offset, std::move(re), family, link, factor_method, max_bytes,
                                reml_log_jacobian);
  Rcpp::XPtr<MixedCore> ptr(core, true);
  core->set_quadrature(gh_nodes, gh_weights);
  return ptr;
}

// [[Rcpp::export]]
double cpp_core_objective(SEXP ptr, const Eigen::VectorXd par, bool reml) { return core_from(ptr)->objective(par, reml); }

// The objective's exact gradient (attribute "value": the objective); NaN where there is none.
// [[Rcpp::export]]
Rcpp::NumericVector cpp_core_gradient(SEXP ptr, const Eigen::VectorXd par, bool reml) {
  VectorXd grad;
  const double value = core_from(ptr)->objective_gradient(par, reml, grad);
  Rcpp::NumericVector out = Rcpp::wrap(grad);
  out.attr("value") = value;
  return out;
}

// [[Rcpp::export]]
Rcpp::List cpp_core_state(SEXP ptr, const Eigen::VectorXd par, bool reml) { return core_from(ptr)->state(par, reml); }

// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_core_condvar(SEXP ptr, const Eigen::VectorXd par, bool reml, int term) {
  MixedCore* core = core_from(ptr);
  if (term < 1 || term > (int)core->design().term_ncol.size()) Rcpp::stop("no random-effect term %d", term);
  return Rcpp::wrap(core->cond_var(par, reml, term - 1));
}

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
  OptimResult opt;
  if (gradient && core->has_gradient(reml)) {
    ValueGradient fg = [&](const VectorXd& v, VectorXd& grad) {
      VectorXd g;
      const double value = core->objective_gradient(par_at(v), reml, g);
      grad = affine ? VectorXd(directions.transpose() * g) : g;
      return value;
    };
    opt = minimize_lbfgs(fg, x0, lower, upper, optim_control_from_list(control));
  } else {
    std::function<double(const VectorXd&)> f = [&](const VectorXd& v) { return core->objective(par_at(v), reml); };
    opt = minimize_bobyqa(f, x0, lower, upper, optim_control_from_list(control));
  }
  Rcpp::List state = core->state(par_at(opt.par), reml);
  state["v"] = opt.par;
  state["evaluations"] = opt.evaluations;
  state["status"] = opt.status;
  state["message"] = opt.message;
  return state;
}

// Does the core use the blocked factor (or the simplicial sparse one)?
// [[Rcpp::export]]
bool cpp_core_uses_blocked(SEXP ptr) { return core_from(ptr)->uses_blocked_factor(); }

// The LMM's moment start for theta (LmmCore::moment_theta()).
// [[Rcpp::export]]
Rcpp::NumericVector cpp_core_moment_theta(SEXP ptr) { return Rcpp::wrap(lmm_core_from(ptr, "the moment start")->moment_theta()); }

// S_X at the REML mode for par (GlmmCore::reml_information()).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_core_reml_information(SEXP ptr, const Eigen::VectorXd par) {
  const MatrixXd S = glmm_core_from(ptr, "the REML information")->reml_information(par);
  if (S.size() == 0) Rcpp::stop("the REML criterion is not finite at these parameters");
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
