// glmm_core.cpp: PIRLS and the Laplace approximation (notation in glmm_core.h).
#include "glmm_core.h"
#include <algorithm>
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

GlmmCore::GlmmCore(const double* X, int n, int p, const double* y, const double* w, const double* offset,
                   ReDesign re, int family, int link, int factor_method, double max_bytes, double reml_log_jacobian)
    : MixedCore(std::move(re)), X_(X, n, p), y_(y, n), w_(w, n), offset_(offset, n), model_(family, link),
      system_(re_, factor_method, max_bytes, 2),   // the factor and its selected inverse; in place (no sparse copies)
      reml_log_jacobian_(reml_log_jacobian) {
  lambda_rows_.assign(re_.q, std::vector<std::pair<int, int> >());
  const int* outer = re_.Lambda.outerIndexPtr();
  const int* inner = re_.Lambda.innerIndexPtr();
  for (int c = 0; c < re_.q; ++c)
    for (int e = outer[c]; e < outer[c + 1]; ++e) lambda_rows_[inner[e]].push_back(std::make_pair(c, re_.lambda_index[e]));
  check_ZL_pattern();
  update_ZL();
  re_.Z = SpMat(re_.n, re_.q);   // the system's Z' replaces it (see glmm_core.h)
  large_model_ = n >= kLargeRows;
  reset_response();
}

// A new response: the constants and every cache (the mode, the last parameters) start afresh.
void GlmmCore::set_response(const VectorXd& y, const VectorXd& w) {
  const int n = X_.rows();
  if (y.size() != n || w.size() != n) engine_stop("the response and weights must have %d values", n);
  y_owned_ = y;
  w_owned_ = w;
  new (&y_) Eigen::Map<const VectorXd>(y_owned_.data(), n);
  new (&w_) Eigen::Map<const VectorXd>(w_owned_.data(), n);
  reset_response();
}

void GlmmCore::reset_response() {
  const int n = X_.rows();
  loglik_constant_ = 0;
  for (int i = 0; i < n; ++i) loglik_constant_ += model_.constant(y_[i], w_[i]);
  u_ = VectorXd::Zero(re_.q);
  v_ = VectorXd::Zero(zi_random_ ? re_zi_.q : 0);
  reml_beta_ = VectorXd::Zero(X_.cols());
  clear_cache();
  eta_ = offset_;
  eta_fixed_ = offset_;
  grad_ = info_ = VectorXd::Zero(n);
  weights_.resize(0);
  weights_are_info_ = true;
  model_.set_parameters(1.0);
}

void GlmmCore::clear_cache() {
  invalidate_cache();
  factor_valid_ = false;
  u_.setZero();
  v_.setZero();
  reml_beta_.setZero();
}

VectorXd GlmmCore::lower(bool reml) const {
  const int p = reml ? 0 : X_.cols();
  VectorXd out = VectorXd::Constant(re_.ntheta + p + p_zi() + p_disp() + n_shape() + ntheta_zi(),
                                    -std::numeric_limits<double>::infinity());
  out.head(re_.ntheta) = re_.theta_lower;
  if (zi_random_) out.tail(ntheta_zi()) = re_zi_.theta_lower;
  return out;
}

void GlmmCore::set_eta(const VectorXd& u) {
  const SpMat& Zt = system_.Zt();
  const int* outer = Zt.outerIndexPtr();
  const int* inner = Zt.innerIndexPtr();
  const double* a = zl_values_.data();
  const int n = eta_fixed_.size();
  eta_.resize(n);
  for (int i = 0; i < n; ++i) {
    double e = eta_fixed_[i];
    for (int k = outer[i]; k < outer[i + 1]; ++k) e += a[k] * u[inner[k]];
    eta_[i] = e;
  }
}

double GlmmCore::penalized_deviance(const VectorXd& u, bool derivatives) {
  set_eta(u);
  double ll = loglik_constant_;
  const int n = eta_.size();
  if (derivatives) {   // the family's batch where it has one (same numbers, no per-observation dispatch)
    // in chunks, so that the observations' values need no n-vector of their own
    const int chunk = 1024;
    double value[chunk];
    double compensation = 0;
    bool batch = true;
    for (int s = 0; s < n && batch; s += chunk) {
      const int len = std::min(chunk, n - s);
      batch = model_.evaluate_all(len, y_.data() + s, eta_.data() + s, w_.data() + s, value, grad_.data() + s,
                                  info_.data() + s, nullptr);
      if (!batch) break;
      if (!large_model_) {
        for (int i = 0; i < len; ++i) ll += value[i];
        continue;
      }
      for (int i = 0; i < len; ++i) {   // Neumaier's compensated sum (see large_model_)
        const double t = ll + value[i];
        compensation += std::abs(ll) >= std::abs(value[i]) ? (ll - t) + value[i] : (value[i] - t) + ll;
        ll = t;
      }
    }
    ll += compensation;
    batched_ = batch;
    if (batch) {
      loglik_cond_ = ll;
      const double dev = -2.0 * ll + u.squaredNorm();
      return std::isfinite(dev) ? dev : std::numeric_limits<double>::infinity();
    }
    ll = loglik_constant_;   // no batch (decided by the model, at the first chunk)
  }
  double compensation = 0;   // Neumaier's, on large models (see large_model_)
  for (int i = 0; i < n; ++i) {
    const ObsLogLik o = model_.loglik(i, y_[i], eta_[i], w_[i]);
    if (large_model_) {
      const double t = ll + o.value;
      compensation += std::abs(ll) >= std::abs(o.value) ? (ll - t) + o.value : (o.value - t) + ll;
      ll = t;
    } else {
      ll += o.value;
    }
    if (derivatives) {
      grad_[i] = o.grad;
      info_[i] = o.info;
    }
  }
  ll += compensation;
  loglik_cond_ = ll;
  const double dev = -2.0 * ll + u.squaredNorm();
  return std::isfinite(dev) ? dev : std::numeric_limits<double>::infinity();
}

// Factor H = ZL' D ZL + I with D = info_. For Newton directions (floor = true) negative
// information is floored at 0 so H stays positive definite; the Laplace log-determinant uses
// the observed information itself (floor = false), as glmmTMB does.
bool GlmmCore::factor_H(bool floor) {
  h_floored_ = false;
  const int n = info_.size();
  bool as_is = true;   // info_ needs no flooring or cleaning
  for (int i = 0; i < n && as_is; ++i) as_is = std::isfinite(info_[i]) && !(floor && info_[i] < 0);
  weights_are_info_ = as_is;
  if (!as_is) {
    weights_.resize(n);
    for (int i = 0; i < n; ++i) {
      double d = info_[i];
      if (floor && d < 0) h_floored_ = true;
      if (!std::isfinite(d) || (floor && d < 0)) d = 0;
      weights_[i] = d;
    }
  }
  system_.set_weights(factor_weights());
  factor_valid_ = system_.factor(re_);
  return factor_valid_;
}

// Chord steps: Newton steps for the mode whose H is the factor the system holds (of the last
// evaluation, at a nearby point on large models' finite differences and converging optimizers)
// instead of H at u_: a solve and a deviance evaluation each, no factorization. From a start near
// the mode they converge linearly at the rate at which the two H differ (about 1e-3 per step at
// the steps of 1e-3 of the standard errors' Hessian). They stop at a decrement far below PIRLS's
// test (1e-24 rather than 1e-20 relative: the standard errors' Hessian, differences of gradients
// over steps of 1e-3, needs the mode that accurate; a mode that only just passes PIRLS's test moved
// the Poisson bench row's intercept variance by 7e-6 relative, these are within 1e-10 of modes
// from cold starts), when a step gains less than a factor 100, when a step does not descend, or
// after 8; PIRLS then factors at the point reached and, where its test holds there, stops with
// that one factorization.
double GlmmCore::chord_steps(double dev) {
  const double target = 1e-24 * (1.0 + std::abs(dev));
  double last = std::numeric_limits<double>::infinity();
  for (int k = 0; k < 8; ++k) {
    const VectorXd rhs = At() * grad_ - u_;
    const VectorXd delta = system_.solve(rhs);
    const double decrement = rhs.dot(delta);
    if (!(decrement > target) || !(decrement < 1e-2 * last)) break;
    const VectorXd u_new = u_ + delta;
    const double dev_new = penalized_deviance(u_new, true);
    if (!(dev_new <= dev + 1e-13 * std::abs(dev))) {   // no descent: back to u_ (and its derivatives)
      penalized_deviance(u_, true);
      break;
    }
    u_ = u_new;
    dev = dev_new;
    last = decrement;
  }
  return dev;
}

void GlmmCore::keep_b_at_new_theta(const VectorXd& b_prev) {
  const int* outer = re_.Lambda.outerIndexPtr();
  const int* inner = re_.Lambda.innerIndexPtr();
  const double* lv = re_.Lambda.valuePtr();
  for (int c = 0; c < re_.q; ++c)   // Lambda lower triangular, each column's diagonal first
    if (outer[c] == outer[c + 1] || inner[outer[c]] != c || !(std::abs(lv[outer[c]]) > 1e-8)) return;
  VectorXd u = b_prev;
  re_.Lambda.triangularView<Eigen::Lower>().solveInPlace(u);
  if (u.allFinite()) u_ = u;
}

void GlmmCore::update_ZL() {
  const SpMat& Zt = system_.Zt();
  const int nnz = Zt.nonZeros();
  const int* inner = Zt.innerIndexPtr();
  const double* zv = Zt.valuePtr();
  const int* l_outer = re_.Lambda.outerIndexPtr();
  const int* l_inner = re_.Lambda.innerIndexPtr();
  const double* lv = re_.Lambda.valuePtr();
  zl_values_.resize(nnz);
  for (int k = 0; k < nnz; ++k) {
    const int j = inner[k];
    double sum = 0;
    for (int l = l_outer[j]; l < l_outer[j + 1]; ++l) sum += zv[k + (l_inner[l] - j)] * lv[l];
    zl_values_[k] = sum;
  }
}

void GlmmCore::check_ZL_pattern() const {
  const SpMat& Zt = system_.Zt();
  const int* outer = Zt.outerIndexPtr();
  const int* inner = Zt.innerIndexPtr();
  const int* l_outer = re_.Lambda.outerIndexPtr();
  const int* l_inner = re_.Lambda.innerIndexPtr();
  for (int i = 0; i < Zt.cols(); ++i) {
    for (int k = outer[i]; k < outer[i + 1]; ++k) {
      const int j = inner[k];
      for (int l = l_outer[j]; l < l_outer[j + 1]; ++l) {   // Z(i, r) for Lambda(r, j): entry k + r - j
        const int at = k + (l_inner[l] - j);
        if (at < outer[i] || at >= outer[i + 1] || inner[at] != l_inner[l]) engine_stop("internal error: Z lacks a coefficient of a term");
      }
      for (const std::pair<int, int>& e : lambda_rows_[j]) {   // Lambda(j, c) stored: Z(i, c) must be too
        const int at = k - (j - e.first);
        if (at < outer[i] || at >= outer[i + 1] || inner[at] != e.first) engine_stop("internal error: Z lacks a coefficient of a term");
      }
    }
  }
}

bool GlmmCore::build_inverse_positions() {
  const SpMat& Zt = system_.Zt();   // A's pattern
  const int n = Zt.cols();
  const int* outer = Zt.outerIndexPtr();
  const int* inner = Zt.innerIndexPtr();
  // every row of Z has each term's coefficients (re_design.cpp), so every a_i has m columns
  const int m = n > 0 ? outer[1] - outer[0] : 0;
  for (int i = 0; i < n; ++i)
    if (outer[i + 1] - outer[i] != m) engine_stop("internal error: the rows of Z differ in their number of entries");
  pairs_per_obs_ = m * (m + 1) / 2;
  g_pos_.resize((std::size_t)n * pairs_per_obs_);
  std::size_t k = 0;
  for (int i = 0; i < n; ++i) {
    for (int s = outer[i]; s < outer[i + 1]; ++s) {
      for (int t = outer[i]; t <= s; ++t) {
        const Eigen::Index pos = system_.inverse_position(inner[s], inner[t]);
        if (pos < 0 || pos > std::numeric_limits<int>::max()) {
          g_pos_.clear();
          return false;
        }
        g_pos_[k++] = (int)pos;
      }
    }
  }
  return true;
}

bool GlmmCore::set_parameters(const VectorXd& theta, const VectorXd& beta, double phi, double shape) {
  if (!theta.allFinite() || !beta.allFinite() || !std::isfinite(phi) || (model_.has_dispersion() && !(phi > 0))) return false;
  if (n_shape() > 0 && !std::isfinite(shape)) return false;
  if (!(phi == model_.phi()) || !(n_shape() == 0 || shape == model_.shape())) model_.set_parameters(phi, shape);
  re_.set_theta(theta.data());
  update_ZL();
  set_eta_fixed(beta);
  return true;
}

double GlmmCore::laplace_deviance(const VectorXd& theta, const VectorXd& beta, double phi, double shape,
                                  const VectorXd* start) {
  const double inf = std::numeric_limits<double>::infinity();
  // the previous mode's b, for a start without a prediction (keep_b_at_new_theta())
  const bool keep_b = large_model_ && start == nullptr && u_.allFinite() && re_.q > 0;
  const VectorXd b_prev = keep_b ? VectorXd(re_.Lambda * u_) : VectorXd();
  if (!set_parameters(theta, beta, phi, shape)) return inf;
  if (keep_b) keep_b_at_new_theta(b_prev);
  if (!u_.allFinite()) u_.setZero();
  double dev;
  if (start != nullptr && start->size() == u_.size() && start->allFinite()) {
    // the prediction alone when its penalized deviance is near the last mode's (as at the small
    // steps of finite differences and of converging optimizers); else (far from the tangent's
    // point it can put a mean at the edge of the double range) the better of it and the previous mode
    const VectorXd previous = u_;
    u_ = *start;
    dev = penalized_deviance(u_, true);
    const bool near = std::isfinite(dev) && dev <= last_mode_deviance_ + std::max(1.0, 1e-3 * std::abs(last_mode_deviance_));
    if (!near) {
      const double dev_start = dev;
      const VectorXd predicted = u_;
      u_ = previous;
      dev = penalized_deviance(u_, true);
      if (dev_start <= dev) {
        u_ = predicted;
        dev = penalized_deviance(u_, true);
      }
    }
  } else {
    dev = penalized_deviance(u_, true);
  }
  if (!std::isfinite(dev)) {   // a poor warm start: begin again at u = 0
    u_.setZero();
    dev = penalized_deviance(u_, true);
    if (!std::isfinite(dev)) return inf;
  }
  pirls_iter_ = 0;
  if (large_model_ && batched_ && factor_valid_) dev = chord_steps(dev);
  bool factor_at_mode = false;   // does the system hold H at the current u_?
  for (int it = 0; it < 100; ++it) {
    if (!factor_H(true)) return inf;
    factor_at_mode = true;
    const VectorXd rhs = At() * grad_ - u_;
    const VectorXd delta = system_.solve(rhs);
    const double decrement = rhs.dot(delta);
    ++pirls_iter_;
    if (!(decrement > 1e-20 * (1.0 + std::abs(dev)))) break;
    double step = 1.0, dev_new = inf;
    VectorXd u_new;
    for (int k = 0; k < 30; ++k, step *= 0.5) {   // derivatives too: usually the first step is kept
      u_new = u_ + step * delta;
      dev_new = penalized_deviance(u_new, true);
      if (dev_new <= dev + 1e-13 * std::abs(dev)) break;
    }
    if (!(dev_new <= dev + 1e-13 * std::abs(dev))) {   // no descent: at the mode to rounding
      penalized_deviance(u_, true);
      break;
    }
    u_ = u_new;
    factor_at_mode = false;
    const double change = dev - dev_new;
    dev = dev_new;
    if (change < 1e-14 * (1.0 + std::abs(dev)) && decrement < 1e-18 * (1.0 + std::abs(dev))) break;
    // a shortened step that gained only rounding: the Newton direction is no longer that of the
    // deviance's values (a density summed to rounding, as the Tweedie series near p = 2); at the mode
    if (step < 1.0 && change <= 1e-13 * std::abs(dev) && decrement < 1e-6 * (1.0 + std::abs(dev))) break;
  }
  // the Laplace log-determinant needs H with the unfloored information at the mode: the last
  // Newton factor is that H when it is at the mode and nothing was floored
  if (!(factor_at_mode && !h_floored_) && !factor_H(false)) return inf;   // mode not a maximum
  last_mode_deviance_ = dev;
  ldL2_ = system_.logdet2();
  if (gh_nodes_.size() > 1) return agq_deviance();
  return dev + ldL2_;
}

void GlmmCore::set_quadrature(const VectorXd& nodes, const VectorXd& weights) {
  if (nodes.size() > 1 && (re_.term_ncol.size() != 1 || re_.term_ncol[0] != 1))
    engine_stop("adaptive Gauss-Hermite quadrature needs a single scalar random-effect term");
  gh_nodes_ = nodes;
  gh_weights_ = weights;
  invalidate_cache();
}

// Groups are independent given theta: L = prod_j L_j with, for h_j(u) = sum_{i in j} l_i - u^2/2
// and s_j = H_jj^{-1/2} at the mode u_j,
//   L_j = s_j sum_k (w_k / sqrt(pi)) exp(x_k^2 + h_j(u_j + sqrt(2) s_j x_k)).
double GlmmCore::agq_deviance() {
  const int q = re_.q, K = gh_nodes_.size(), n = y_.size();
  // one scalar term: observation i has one column of A, group_of[i], with value a[i]; the
  // observations of group j are members[first[j] .. first[j + 1]), in increasing order
  const int* group_of = system_.Zt().innerIndexPtr();
  const double* a = zl_values_.data();
  std::vector<int> first(q + 1, 0), members(n);
  for (int i = 0; i < n; ++i) ++first[group_of[i] + 1];
  for (int j = 0; j < q; ++j) first[j + 1] += first[j];
  std::vector<int> cursor(first.begin(), first.end() - 1);
  for (int i = 0; i < n; ++i) members[cursor[group_of[i]]++] = i;
  VectorXd Hdiag = VectorXd::Ones(q);
  for (int j = 0; j < q; ++j)
    for (int m = first[j]; m < first[j + 1]; ++m) Hdiag[j] += info_[members[m]] * a[members[m]] * a[members[m]];
  Eigen::MatrixXd h(q, K);   // h_j at each node
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < q; ++j) {
      const double s = 1.0 / std::sqrt(Hdiag[j]);
      const double uk = u_[j] + M_SQRT2 * s * gh_nodes_[k];
      double hj = -0.5 * uk * uk;
      for (int m = first[j]; m < first[j + 1]; ++m) {
        const int i = members[m];
        hj += model_.loglik(i, y_[i], eta_fixed_[i] + a[i] * uk, w_[i]).value;
      }
      h(j, k) = hj + gh_nodes_[k] * gh_nodes_[k] + std::log(gh_weights_[k] / std::sqrt(M_PI));
    }
  }
  double loglik = loglik_constant_;
  for (int j = 0; j < q; ++j) {
    const double top = h.row(j).maxCoeff();
    loglik += top + std::log((h.row(j).array() - top).exp().sum()) - 0.5 * std::log(Hdiag[j]);
  }
  return std::isfinite(loglik) ? -2.0 * loglik : std::numeric_limits<double>::infinity();
}

bool GlmmCore::beta_schur(MatrixXd& B, Eigen::LLT<MatrixXd>& S) const {
  const MatrixXd DX = factor_weights().asDiagonal() * X_;
  B = At() * DX;
  system_.solve_L(B);
  S.compute(X_.transpose() * DX - B.transpose() * B);
  return S.info() == Eigen::Success;
}

// PIRLS over (u, beta): Newton steps on J (glmm_core.h) by elimination through S_X, with step
// halving on g(u, beta); then log|H| + log|S_X| with the observed information at the mode.
double GlmmCore::reml_deviance(const VectorXd& theta, double phi, double shape) {
  const double inf = std::numeric_limits<double>::infinity();
  const int p = X_.cols();
  if (!reml_beta_.allFinite()) reml_beta_.setZero();
  if (!set_parameters(theta, reml_beta_, phi, shape)) return inf;
  if (!u_.allFinite()) u_.setZero();
  double dev = penalized_deviance(u_, true);
  if (!std::isfinite(dev)) {   // a poor warm start: begin again at u = 0, beta = 0
    u_.setZero();
    reml_beta_.setZero();
    eta_fixed_ = offset_;
    dev = penalized_deviance(u_, true);
    if (!std::isfinite(dev)) return inf;
  }
  pirls_iter_ = 0;
  MatrixXd B;
  Eigen::LLT<MatrixXd> S;
  for (int it = 0; it < 100; ++it) {
    if (!factor_H(true) || !beta_schur(B, S)) return inf;
    const VectorXd g_u = At() * grad_ - u_, g_b = X_.transpose() * grad_;
    MatrixXd c = g_u;
    system_.solve_L(c);   // L^{-1} P g_u
    const VectorXd d_beta = S.solve(g_b - B.transpose() * c.col(0));
    const MatrixXd AtDX = At() * (factor_weights().asDiagonal() * X_);
    const VectorXd d_u = system_.solve(g_u - AtDX * d_beta);
    const double decrement = g_u.dot(d_u) + g_b.dot(d_beta);
    ++pirls_iter_;
    if (!(decrement > 1e-20 * (1.0 + std::abs(dev)))) break;
    double step = 1.0, dev_new = inf;
    VectorXd u_new, beta_new;
    for (int k = 0; k < 30; ++k, step *= 0.5) {
      u_new = u_ + step * d_u;
      beta_new = reml_beta_ + step * d_beta;
      set_eta_fixed(beta_new);
      dev_new = penalized_deviance(u_new, true);
      if (dev_new <= dev + 1e-13 * std::abs(dev)) break;
    }
    if (!(dev_new <= dev + 1e-13 * std::abs(dev))) {   // no descent: at the mode to rounding
      set_eta_fixed(reml_beta_);
      penalized_deviance(u_, true);
      break;
    }
    u_ = u_new;
    reml_beta_ = beta_new;
    const double change = dev - dev_new;
    dev = dev_new;
    if (change < 1e-14 * (1.0 + std::abs(dev)) && decrement < 1e-18 * (1.0 + std::abs(dev))) break;
  }
  // the log-determinants with the unfloored information at the mode
  if (!factor_H(false) || !beta_schur(B, S)) return inf;
  ldL2_ = system_.logdet2();
  const MatrixXd& LS = S.matrixLLT();
  ld_SX2_ = 0;
  for (int j = 0; j < p; ++j) ld_SX2_ += 2.0 * std::log(LS(j, j));
  ld_SX2_ += reml_log_jacobian_;
  return dev + ldL2_ + ld_SX2_ - p * std::log(2.0 * M_PI);
}

MatrixXd GlmmCore::beta_information(const VectorXd& par, bool reml) {
  if (!std::isfinite(objective(par, reml))) return MatrixXd();
  MatrixXd B;
  Eigen::LLT<MatrixXd> S;
  beta_schur(B, S);
  return X_.transpose() * (factor_weights().asDiagonal() * X_) - B.transpose() * B;
}

bool GlmmCore::start_info(const VectorXd& par, double& value, MatrixXd& moments, VectorXd& cond_diag,
                          MatrixXd& beta_info) {
  value = objective(par, false);
  const int nterms = re_.term_ncol.size(), q = re_.q;
  if (!std::isfinite(value) || nterms == 0 || !system_.compute_selected_inverse()) return false;
  int width = 0;
  for (int t = 0; t < nterms; ++t) width += re_.term_ncol[t];
  moments = MatrixXd::Zero(*std::max_element(re_.term_ncol.begin(), re_.term_ncol.end()), width);
  for (int t = 0, col = 0; t < nterms; col += re_.term_ncol[t], ++t) {
    const int p = re_.term_ncol[t], nlev = re_.term_nlev[t], off = re_.term_offset[t];
    MatrixXd M = MatrixXd::Zero(p, p);
    for (int lev = 0; lev < nlev; ++lev) {
      const int first = off + lev * p;
      for (int a = 0; a < p; ++a)
        for (int b = 0; b <= a; ++b) M(a, b) += u_[first + a] * u_[first + b] + system_.inverse_at(first + a, first + b);
    }
    moments.block(0, col, p, p) = (M / nlev).selfadjointView<Eigen::Lower>();
  }
  VectorXd diag(q);
  for (int c = 0; c < q; ++c) diag[c] = system_.inverse_at(c, c);
  cond_diag = re_.to_original(diag);
  const MatrixXd DX = info_.asDiagonal() * X_;
  MatrixXd W = At() * DX;
  system_.solve_L(W);   // H^{-1} = P' L^{-T} L^{-1} P
  beta_info = X_.transpose() * DX - W.transpose() * W;
  return moments.allFinite() && cond_diag.allFinite() && beta_info.allFinite();
}

double GlmmCore::objective(const VectorXd& par, bool reml) {
  if (cache_valid_ && reml == cache_reml_ && par.size() == cache_par_.size() && par == cache_par_) return cache_value_;
  const bool predict = tangent_ready_;
  invalidate_cache();
  const double value = evaluate_objective(par, reml, predict);
  cache_par_ = par;
  cache_reml_ = reml;
  cache_value_ = value;
  cache_valid_ = true;
  return value;
}

double GlmmCore::evaluate_objective(const VectorXd& par, bool reml, bool predict) {
  const int pz = p_zi(), pd = p_disp(), kz = ntheta_zi();
  const int k = re_.ntheta, p = reml ? 0 : X_.cols(), expected = k + p + pz + pd + n_shape() + kz;
  if (par.size() != expected) engine_stop("the parameter vector has length %d, expected %d", (int)par.size(), expected);
  if (reml && gh_nodes_.size() > 1) engine_stop("REML is not available with adaptive quadrature (nAGQ > 1)");
  const double shape = n_shape() > 0 ? par[k + p + pz + pd] : std::numeric_limits<double>::quiet_NaN();
  if (has_components()) {
    if (reml) engine_stop("REML is not available with a zero-inflation or dispersion model");
    if (!set_component_parameters(par.segment(k + p, pz), par.segment(k + p + pz, pd), shape))
      return std::numeric_limits<double>::infinity();
    const double phi = model_.dispersion_by_observation() || pd == 0 ? 1.0 : std::exp(par[k + p + pz]);
    if (kz > 0) return zi_laplace_deviance(par.head(k), par.segment(k, p), phi, shape, par.tail(kz));
    return laplace_deviance(par.head(k), par.segment(k, p), phi, shape);
  }
  const double phi = pd ? std::exp(par[k + p]) : 1.0;
  if (reml) return reml_deviance(par.head(k), phi, shape);
  if (predict && tangent_par_.size() == par.size()) {
    const VectorXd start = tangent_u_ + tangent_ * (par - tangent_par_);
    return laplace_deviance(par.head(k), par.segment(k, p), phi, shape, &start);
  }
  return laplace_deviance(par.head(k), par.segment(k, p), phi, shape);
}

void GlmmCore::set_components(int zero_model, const MatrixXd& Xzi, const VectorXd& zi_offset, bool dispersion_by_observation,
                              const MatrixXd& Xd, const VectorXd& disp_offset) {
  const int n = X_.rows();
  if (zero_model != kZeroNone && (Xzi.rows() != n || zi_offset.size() != n))
    engine_stop("the zero model's design and offset must have %d rows", n);
  if (dispersion_by_observation && (Xd.rows() != n || disp_offset.size() != n))
    engine_stop("the dispersion model's design and offset must have %d rows", n);
  if (dispersion_by_observation && !model_.has_dispersion()) engine_stop("the family has no dispersion to model");
  if (gh_nodes_.size() > 1) engine_stop("adaptive quadrature (nAGQ > 1) is not available with a zero-inflation or dispersion model");
  model_.set_structure(zero_model, dispersion_by_observation);
  Xzi_ = zero_model != kZeroNone ? Xzi : MatrixXd(n, 0);
  zi_offset_ = zi_offset;
  Xd_ = dispersion_by_observation ? Xd : MatrixXd(n, 0);
  disp_offset_ = disp_offset;
  const VectorXd y = y_, w = w_;
  set_response(y, w);   // the constants depend on the zero model
}

bool GlmmCore::set_component_parameters(const VectorXd& beta_zi, const VectorXd& gamma, double shape) {
  if (!beta_zi.allFinite() || !gamma.allFinite()) return false;
  const VectorXd zeta = model_.zero_model() != kZeroNone ? VectorXd(Xzi_ * beta_zi + zi_offset_) : VectorXd();
  zeta_fixed_ = zeta;
  const VectorXd log_phi = model_.dispersion_by_observation() ? VectorXd(Xd_ * gamma + disp_offset_) : VectorXd();
  return model_.set_components(zeta, log_phi, shape);
}

double GlmmCore::shape_derivative(const VectorXd& par, bool reml) {
  const int j = par.size() - 1;
  const double h = 1e-4 * std::max(1.0, std::abs(par[j]));
  const VectorXd u0 = u_, beta0 = reml_beta_;
  invalidate_cache();   // both sides from the same warm start
  VectorXd x = par;
  x[j] = par[j] + h;
  const double up = objective(x, reml);
  u_ = u0;
  reml_beta_ = beta0;
  x[j] = par[j] - h;
  const double down = objective(x, reml);
  u_ = u0;
  reml_beta_ = beta0;
  invalidate_cache();   // the state is no longer that of the last point read
  return (up - down) / (2.0 * h);
}

// The state at par: the mode, the linear predictor and the parts of the deviance.
CoreState GlmmCore::state(const VectorXd& par, bool reml) {
  const double dev = objective(par, reml);
  CoreState s;
  add_state(s, "par", par);
  add_state(s, "deviance", dev);
  add_state(s, "u", re_.to_original(u_));
  add_state(s, "b", re_.to_original(re_.Lambda * u_));
  add_state(s, "eta", eta_);
  add_state(s, "loglik_cond", loglik_cond_);
  add_state(s, "logdet_L2", ldL2_);
  add_state(s, "pirls_iterations", (double)pirls_iter_);
  add_state(s, "beta", reml ? reml_beta_ : VectorXd());
  add_state(s, "logdet_SX2", reml ? ld_SX2_ : NAN);
  add_state(s, "b_zi", zi_random_ ? VectorXd(re_zi_.to_original(re_zi_.Lambda * v_)) : VectorXd());
  add_state(s, "u_zi", zi_random_ ? VectorXd(re_zi_.to_original(v_)) : VectorXd());
  return s;
}

// Blocks of Lambda H^{-1} Lambda' at the mode for par.
MatrixXd GlmmCore::cond_var(const VectorXd& par, bool reml, int term) {
  if (zi_random_) engine_stop("conditional variances are not available yet with random effects in the zero-inflation model");
  if (!std::isfinite(objective(par, reml))) engine_stop("the Laplace approximation is not finite at these parameters");
  return cond_var_blocks(re_, [this](MatrixXd& B) { system_.solve_L(B); }, term);
}

// L^{-1} P Lambda' V at the mode for par (re_design.h's half_solve_b()).
MatrixXd GlmmCore::half_solve(const VectorXd& par, bool reml, const MatrixXd& V) {
  if (zi_random_) engine_stop("this is not available yet with random effects in the zero-inflation model");
  if (!std::isfinite(objective(par, reml))) engine_stop("the Laplace approximation is not finite at these parameters");
  return half_solve_b(re_, [this](MatrixXd& B) { system_.solve_L(B); }, V);
}

// The gradient of f = -2 sum_i l_i(eta_i) + |u|^2 + log|H| at the mode u^ (found by PIRLS) in
// the outer parameters (theta, beta, log phi). With A = Z Lambda (rows a_i), D = diag(info),
// d'_i = dinfo_i/deta_i, the leverages h_i = a_i' H^{-1} a_i (from the selected inverse),
// v = h o d', r = H^{-1} A'v, s = v - D A r and dL_k = dLambda/dtheta_k:
//   df/dbeta    = X'(s - 2 l')
//   df/dtheta_k = (s - 2 l')' Z dL_k u + l'' Z dL_k r + 2 sum_i info_i a_i' H^{-1} (Z dL_k)_i'
//   df/dlog phi = -2 sum_i dl_i/dlog phi + h' dinfo/dlog phi + (A r)' dl'/dlog phi
// The mode's own dependence on the parameters enters only through r (one extra solve): the
// first two terms of f are stationary in u at the mode (envelope theorem), and the change of
// log|H| through u^ is v'A du^ with du^ = -H^{-1} (d grad_u (f/2)), which r folds into one solve.
double GlmmCore::objective_gradient(const VectorXd& par, bool reml, VectorXd& grad) {
  if (cache_valid_ && cache_has_grad_ && reml == cache_reml_ && par.size() == cache_par_.size() && par == cache_par_) {
    grad = cache_grad_;
    return cache_value_;
  }
  const int k = re_.ntheta, p = X_.cols(), n = y_.size(), q = re_.q;
  grad = VectorXd::Constant(par.size(), NAN);
  const double shape_grad = n_shape() > 0 && has_gradient(reml) ? shape_derivative(par, reml) : NAN;
  const double value = objective(par, reml);
  if (!std::isfinite(value) || !has_gradient(reml)) return value;
  const int pz = p_zi(), pd = p_disp();
  const bool zero = model_.zero_model() != kZeroNone;
  // the log-phi derivatives (lp, l1p, dp) only for a family with a dispersion (never batched)
  // l' and the information go into grad_ and info_ (the mode's, which PIRLS left there: the same
  // values), d(info)/d eta into dd
  VectorXd& l1 = grad_;
  VectorXd& d = info_;
  VectorXd dd(n), lp, l1p, dp, lz(zero ? n : 0), l1z(zero ? n : 0), dz(zero ? n : 0);
  // the leverages h_i = a_i' H^{-1} a_i as a vector only where a per-observation parameter needs
  // them (and A r); else v = h o d' takes dd's place at once (n-vectors are the memory here)
  const bool per_obs = zero || model_.has_dispersion() || model_.dispersion_by_observation();
  VectorXd h(per_obs ? n : 0);
  bool batch = true;
  {
    const int chunk = 1024;
    double value[chunk];   // the values, not needed here
    for (int s = 0; s < n && batch; s += chunk) {
      const int len = std::min(chunk, n - s);
      batch = model_.evaluate_all(len, y_.data() + s, eta_.data() + s, w_.data() + s, value, l1.data() + s, d.data() + s,
                                  dd.data() + s);
    }
  }
  if (!batch) {
    lp.resize(n);
    l1p.resize(n);
    dp.resize(n);
  }
  for (int i = 0; i < (batch ? 0 : n); ++i) {
    ZeroDerivs zd;
    const ObsLogLik o = model_.derivs(i, y_[i], eta_[i], w_[i], &zd);
    l1[i] = o.grad; d[i] = o.info; dd[i] = o.dinfo;
    lp[i] = o.dphi; l1p[i] = o.dgrad_phi; dp[i] = o.dinfo_phi;
    if (zero) {
      lz[i] = zd.dz; l1z[i] = zd.dgrad_z; dz[i] = zd.dinfo_z;
    }
  }
  if (!system_.compute_selected_inverse()) return value;
  if (g_pos_.empty() && system_.Zt().nonZeros() > 0 && !build_inverse_positions()) return value;
  const double* G = system_.inverse_values();
  const int* outer = system_.Zt().outerIndexPtr();   // A's pattern
  const int* inner = system_.Zt().innerIndexPtr();
  const double* av = zl_values_.data();
  VectorXd trace = VectorXd::Zero(k);
  std::vector<double> Ha;   // H^{-1} a_i on a_i's columns
  // the selected inverse's entries of observation i + kAhead, requested ahead: on large crossed
  // designs they are scattered over megabytes, and waiting for each was half this loop's time
  const int kAhead = 16;
  const std::size_t n_pos = g_pos_.size();
  for (int i = 0; i < n; ++i) {
    const std::size_t ahead = (std::size_t)(i + kAhead) * pairs_per_obs_;
    for (int e = 0; e < pairs_per_obs_ && ahead + e < n_pos; ++e) __builtin_prefetch(G + g_pos_[ahead + e]);
    const int m = outer[i + 1] - outer[i];
    if (m == 0) {   // no random effect touches row i (or none in the model)
      if (per_obs) h[i] = 0;
      dd[i] *= 0.0;
      continue;
    }
    const double* a = av + outer[i];
    const int* pos = g_pos_.data() + (std::size_t)i * pairs_per_obs_;
    Ha.assign(m, 0.0);
    for (int s = 0; s < m; ++s) {
      for (int t = 0; t < s; ++t) {
        const double g = G[*pos++];
        Ha[s] += g * a[t];
        Ha[t] += g * a[s];
      }
      Ha[s] += G[*pos++] * a[s];
    }
    double hi = 0;
    for (int s = 0; s < m; ++s) hi += a[s] * Ha[s];
    if (per_obs) h[i] = hi;
    dd[i] *= hi;   // v_i
    if (k == 0 || d[i] == 0) continue;
    const int* cols = inner + outer[i];
    for (SpMat::InnerIterator it(system_.Zt(), i); it; ++it) {
      for (const std::pair<int, int>& e : lambda_rows_[it.row()]) {
        const int* hit = cols;   // a_i has few columns (one per term and coefficient): a linear search
        while (hit != cols + m && *hit < e.first) ++hit;
        const double Ha_c = (hit != cols + m && *hit == e.first) ? Ha[hit - cols] : NAN;
        trace[e.second] += 2.0 * d[i] * it.value() * Ha_c;
      }
    }
  }
  // s = v - D A r - 2 l' in v's place (dd's)
  VectorXd& s_m2l = dd;
  const VectorXd r = system_.solve(At() * s_m2l);
  VectorXd Ar;
  if (per_obs) {
    Ar = At().transpose() * r;
    s_m2l = s_m2l - d.cwiseProduct(Ar) - 2.0 * l1;
  } else {
    const int* a_outer = system_.Zt().outerIndexPtr();
    const int* a_inner = system_.Zt().innerIndexPtr();
    for (int i = 0; i < n; ++i) {
      double Ar_i = 0;
      for (int e = a_outer[i]; e < a_outer[i + 1]; ++e) Ar_i += av[e] * r[a_inner[e]];
      s_m2l[i] = (s_m2l[i] - d[i] * Ar_i) - 2.0 * l1[i];
    }
  }
  if (p > 0) grad.segment(k, p) = X_.transpose() * s_m2l;
  MatrixXd dLu, dLr;   // dLambda_t u and dLambda_t r, column t
  VectorXd Zt_l1;      // Z' l'
  if (k > 0) {
    dLu = MatrixXd::Zero(q, k);
    dLr = MatrixXd::Zero(q, k);
    const int* outer = re_.Lambda.outerIndexPtr();
    const int* inner = re_.Lambda.innerIndexPtr();
    for (int c = 0; c < q; ++c) {
      for (int e = outer[c]; e < outer[c + 1]; ++e) {
        dLu(inner[e], re_.lambda_index[e]) += u_[c];
        dLr(inner[e], re_.lambda_index[e]) += r[c];
      }
    }
    // (Z dLambda_t u)' s = (dLambda_t u)' Z' s: products of length q, no n x k temporaries
    Zt_l1 = system_.Zt() * l1;
    grad.head(k) = dLu.transpose() * (system_.Zt() * s_m2l) + dLr.transpose() * Zt_l1 + trace;
  }
  // a parameter entering observation i only (zeta_i, log phi_i): -2 dl_i + h_i dinfo_i + (A r)_i dl'_i
  if (zero) grad.segment(k + p, pz) = Xzi_.transpose() * (-2.0 * lz + h.cwiseProduct(dz) + Ar.cwiseProduct(l1z));
  if (model_.dispersion_by_observation()) {
    grad.segment(k + p + pz, pd) = Xd_.transpose() * (-2.0 * lp + h.cwiseProduct(dp) + Ar.cwiseProduct(l1p));
  } else if (model_.has_dispersion()) {
    grad[k + p + pz] = -2.0 * lp.sum() + h.dot(dp) + Ar.dot(l1p);
  }
  if (n_shape() > 0) grad[par.size() - 1] = shape_grad;
  if (cache_valid_ && par == cache_par_) {
    cache_grad_ = grad;
    cache_has_grad_ = true;
    if (!has_components() && q > 0 && grad.allFinite() && !skip_tangent_) update_tangent(par, d, l1p, dLu, Zt_l1);
  }
  return value;
}

MatrixXd GlmmCore::gradients_near(const VectorXd& centre, const MatrixXd& points) {
  if (points.rows() != centre.size()) engine_stop("the points must have %d rows", (int)centre.size());
  MatrixXd out(centre.size(), points.cols());
  VectorXd g;
  // the centre's mode and tangent (cached when just read)
  if (large_model_ && n_shape() == 0 && !has_components() && re_.q > 0) objective_gradient(centre, false, g);
  const bool anchored = large_model_ && tangent_ready_ && cache_valid_ && !cache_reml_ && tangent_par_.size() == centre.size() &&
                        tangent_par_ == centre && n_shape() == 0;
  if (!anchored) {
    for (int j = 0; j < points.cols(); ++j) {
      objective_gradient(points.col(j), false, g);
      out.col(j) = g;
    }
    return out;
  }
  const VectorXd u0 = tangent_u_;
  VectorXd remainder, last_dx;   // the previous point's u - u0 - T dx, and its dx
  for (int j = 0; j < points.cols(); ++j) {
    const VectorXd dx = points.col(j) - centre;
    const bool reflected = last_dx.size() > 0 && remainder.size() > 0 &&
                           (dx + last_dx).lpNorm<Eigen::Infinity>() <= 1e-2 * dx.lpNorm<Eigen::Infinity>();
    tangent_u_ = reflected ? VectorXd(u0 + remainder) : u0;
    tangent_ready_ = true;   // (tangent_par_ and tangent_ are the centre's still)
    {
      struct NoTangent {   // skip_tangent_ for this read only, however it ends
        bool& flag;
        explicit NoTangent(bool& f) : flag(f) { flag = true; }
        ~NoTangent() { flag = false; }
      } no_tangent(skip_tangent_);
      objective_gradient(points.col(j), false, g);
    }
    out.col(j) = g;
    remainder = u_ - u0 - tangent_ * dx;
    if (!remainder.allFinite()) remainder.resize(0);
    last_dx = dx;
  }
  tangent_u_ = u0;
  tangent_ready_ = true;   // the next read (near the centre, typically the centre itself) starts from its mode
  return out;
}

void GlmmCore::update_tangent(const VectorXd& par, const VectorXd& d, const VectorXd& l1p, const MatrixXd& dLu,
                              const VectorXd& Zt_l1) {
  const int k = re_.ntheta, p = X_.cols(), q = re_.q;
  MatrixXd R = MatrixXd::Zero(q, par.size());   // d(A'l' - u)/dpar, column by column
  VectorXd work(d.size());   // one n-vector for each column's D d eta/d par
  if (k > 0) {
    const int* outer = re_.Lambda.outerIndexPtr();
    const int* inner = re_.Lambda.innerIndexPtr();
    for (int c = 0; c < q; ++c)
      for (int e = outer[c]; e < outer[c + 1]; ++e) R(c, re_.lambda_index[e]) += Zt_l1[inner[e]];   // (Z dLambda_t)' l'
    for (int t = 0; t < k; ++t) {   // D d eta/d theta_t, one t at a time
      work.noalias() = system_.Zt().transpose() * dLu.col(t);
      work.array() *= d.array();
      R.col(t).noalias() -= At() * work;
    }
  }
  for (int j = 0; j < p; ++j) {   // one column of D X at a time
    work = d.cwiseProduct(X_.col(j));
    R.col(k + j).noalias() = -(At() * work);
  }
  if (model_.has_dispersion()) R.col(k + p) = At() * l1p;
  system_.solve_L(R);
  for (int j = 0; j < R.cols(); ++j) {
    VectorXd col = R.col(j);
    system_.solve_Lt(col);
    R.col(j) = col;
  }
  if (!R.allFinite()) return;
  tangent_ = R;
  tangent_par_ = par;
  tangent_u_ = u_;
  tangent_ready_ = true;
}
