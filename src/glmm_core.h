// glmm_core.h: the Laplace approximation for generalized linear mixed models.
//
// Notation as in lmm_core.h: u spherical random effects, b = Lambda u, eta = X beta + Z Lambda u
// + offset. For given (theta, beta, phi), PIRLS finds the conditional mode u^ of
//   g(u) = -2 sum_i l_i(eta_i) + |u|^2
// by Newton steps with step halving, with H = Lambda'Z' D Z Lambda + I, D = diag(-d2l/deta2)
// (the observed information): the PenalizedSystem of the LMM core with W = D, reweighted at each
// step (penalized_system.h), so both model kinds share one sparse engine and its blocked factor.
// The Laplace approximation to -2 log L is g(u^) + log|H|. The core's parameter vector
// (mixed_core.h) is (theta, beta, log phi if the family has a dispersion, then the family's
// shape parameter if it has one: tweedie's power, t's df, on glmmTMB's psi scale).
//
// REML, as glmmTMB defines it for GLMMs: the fixed effects are integrated out with the random
// effects (flat prior), so the Laplace approximation is over (u, beta): PIRLS finds the joint mode
// of g(u, beta) = -2 sum_i l_i + |u|^2, and with A = Z Lambda the joint Hessian (halved) is
//   J = [H, A'DX; X'DA, X'DX],  log|J| = log|H| + log|S_X|,  S_X = X'DX - X'DA H^{-1} A'DX,
// giving -2 log L_R = g(u^, beta^) + log|H| + log|S_X| - p log(2 pi). The parameter vector is
// then (theta, log phi, shape); Newton steps solve J by elimination of beta through S_X (p solves with
// H's factor). For gaussian models with the identity link this is the LMM's REML criterion.
// The criterion depends on beta's scale: when the core's X is the user's X A (a conditioned
// design), log|S_X| is that of the user's beta after adding -log|A|^2 (`reml_log_jacobian`).
#ifndef GLMMLAB_GLMM_CORE_H
#define GLMMLAB_GLMM_CORE_H

#include "mixed_core.h"
#include "observation_model.h"
#include "penalized_system.h"
#include <limits>
#include <utility>
#include <vector>

class GlmmCore : public MixedCore {
 public:
  // X (n x p, column-major), y, weights and offset (n values each) are read in place, not
  // copied: they must outlive the core (the R entry point keeps R's vectors alive with the core's
  // pointer); set_response() replaces y and weights by copies the core owns.
  GlmmCore(const double* X, int n, int p, const double* y, const double* weights, const double* offset, ReDesign re,
           int family, int link, int factor_method, double max_bytes, double reml_log_jacobian = 0);
  // not copyable: the data views may point into the core's own copies
  GlmmCore(const GlmmCore&) = delete;
  GlmmCore& operator=(const GlmmCore&) = delete;

  // Laplace deviance at (theta, beta, phi, shape); PIRLS starts from `start` when given (and
  // finite there), else from the previous mode.
  double laplace_deviance(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, double phi,
                          double shape = std::numeric_limits<double>::quiet_NaN(), const Eigen::VectorXd* start = nullptr);
  // The REML criterion at (theta, phi, shape) (see above); PIRLS over (u, beta) from the previous mode.
  double reml_deviance(const Eigen::VectorXd& theta, double phi, double shape = std::numeric_limits<double>::quiet_NaN());

  // The model's components besides the conditional mean (observation_model.h): a zero model
  // (ZeroModel) with design Xzi and offset, and a dispersion model log phi = Xd gamma + offset
  // (when dispersion_by_observation; else the family's single log phi). par then is
  // (theta, beta, beta_zi, gamma or log phi, shape). Laplace (nAGQ = 1) and ML only.
  void set_components(int zero_model, const Eigen::MatrixXd& Xzi, const Eigen::VectorXd& zi_offset,
                      bool dispersion_by_observation, const Eigen::MatrixXd& Xd, const Eigen::VectorXd& disp_offset);
  // Random effects in the zero model (terms as for the constructor): par gains their theta_zi at
  // its end, and the Laplace approximation is over (u, v) jointly (zi_laplace_deviance()).
  void set_zi_random(const std::vector<ReTermData>& terms);
  // MixedCore: par = (theta, beta, [beta_zi,] log phi (or gamma) if the family has one, shape if it has one[, theta_zi]).
  // A read at the point the core holds (the last one evaluated) returns its value (and gradient)
  // without recomputing them.
  double objective(const Eigen::VectorXd& par, bool reml) override;
  bool has_gradient(bool reml) const override { return !reml && gh_nodes_.size() <= 1 && !zi_random_; }
  // The exact gradient in par (Laplace only; see glmm_core.cpp; the shape parameter's component
  // by a central difference). grad is NaN where it cannot be computed (a non-finite objective).
  double objective_gradient(const Eigen::VectorXd& par, bool reml, Eigen::VectorXd& grad) override;
  CoreState state(const Eigen::VectorXd& par, bool reml) override;
  Eigen::MatrixXd cond_var(const Eigen::VectorXd& par, bool reml, int term) override;
  Eigen::MatrixXd half_solve(const Eigen::VectorXd& par, bool reml, const Eigen::MatrixXd& V) override;
  void set_response(const Eigen::VectorXd& y, const Eigen::VectorXd& weights) override;
  void clear_cache() override;
  Eigen::VectorXd lower(bool reml) const override;
  bool uses_blocked_factor() const override { return system_.blocked(); }
  bool uses_dense_lead() const override { return system_.dense_lead(); }

  int ntheta() const { return re_.ntheta; }
  int p() const { return X_.cols(); }
  bool has_dispersion() const { return model_.has_dispersion(); }
  int n_shape() const { return model_.family().n_shape; }
  int p_zi() const { return Xzi_.cols(); }
  // the dispersion's entries of par: gamma's length, or 1 (log phi), or 0
  int p_disp() const { return model_.dispersion_by_observation() ? Xd_.cols() : (model_.has_dispersion() ? 1 : 0); }
  bool has_components() const { return model_.zero_model() != kZeroNone || model_.dispersion_by_observation(); }
  int ntheta_zi() const { return zi_random_ ? re_zi_.ntheta : 0; }
  // What start_values() in R needs at par: per term (formula order) the mean over its levels of
  // u_l u_l' + (H^{-1})_ll, p_i x p_i blocks side by side (T_i M_i T_i' is the EM update of the
  // term's covariance); diag(H^{-1}) in the formula's order; and X'DX - X'D A H^{-1} A'D X, the
  // information on beta given theta (A = Z Lambda). False where unavailable.
  bool start_info(const Eigen::VectorXd& par, double& value, Eigen::MatrixXd& moments, Eigen::VectorXd& cond_diag,
                  Eigen::MatrixXd& beta_info);
  // Gradients (ML, columns) at the columns of `points`, all near `centre` (finite differences of
  // the gradient): each PIRLS starts from the centre's mode and tangent, plus, for a point that
  // is the reflection through the centre of the one before it (x - c = -(x' - c) to first
  // order), that point's second-order remainder (u(x') - u(c) - T (x' - c)), so the start is
  // off by O(h^3) rather than O(h^2); no tangent is computed at the points. Leaves the centre's
  // prediction ready for the next read. On small models (below kLargeRows rows), and without a
  // tangent at the centre (components, a shape parameter, no random effects), the gradients one
  // after the other as objective_gradient() gives them.
  Eigen::MatrixXd gradients_near(const Eigen::VectorXd& centre, const Eigen::MatrixXd& points);
  // S_X = X'DX - X'DA H^{-1} A'DX at the mode for par (REML: the joint mode, S_X the information on
  // beta in the joint Laplace approximation; ML: the information on beta given theta, without the
  // log-determinant's part); empty where the criterion is not finite.
  Eigen::MatrixXd beta_information(const Eigen::VectorXd& par, bool reml);
  // Adaptive Gauss-Hermite quadrature (one scalar random-effect term only): nodes and weights
  // of the rule for the integral of exp(-x^2) f(x); an empty rule means the Laplace approximation.
  void set_quadrature(const Eigen::VectorXd& nodes, const Eigen::VectorXd& weights);

 private:
  // eta_ = eta_fixed_ + A u, row by row (no n-vector temporary; each row's terms added to
  // eta_fixed_ in column order, as a column-major product would)
  void set_eta(const Eigen::VectorXd& u);
  // set_response()'s work once y_ and w_ point at the data
  void reset_response();
  // eta_fixed_ = X beta + offset, without an n-vector temporary
  void set_eta_fixed(const Eigen::VectorXd& beta) {
    eta_fixed_.noalias() = X_ * beta;
    eta_fixed_ += offset_;
  }
  // objective() without the cache; `predict`: PIRLS starts from the tangent's prediction of the mode
  double evaluate_objective(const Eigen::VectorXd& par, bool reml, bool predict);
  // Forget the cached value, gradient and tangent (the core's state no longer is theirs).
  void invalidate_cache() { cache_valid_ = cache_has_grad_ = tangent_ready_ = false; }
  // With H factored at the mode for par (ML, no components): the tangent of the mode,
  // du^/dpar = H^{-1} d(A'l' - u)/dpar (implicit function theorem), from the per-observation
  // information (d) and dl'/dlog phi (l1p), dLambda_t u (dLu, q x ntheta) and Z'l' (Zt_l1).
  void update_tangent(const Eigen::VectorXd& par, const Eigen::VectorXd& d, const Eigen::VectorXd& l1p,
                      const Eigen::MatrixXd& dLu, const Eigen::VectorXd& Zt_l1);
  // -2 sum l + |u|^2 at u; fills eta, grad, info when wanted
  double penalized_deviance(const Eigen::VectorXd& u, bool derivatives);
  // H with the current information (negative information floored at 0 when `floor`)
  bool factor_H(bool floor);
  // Newton steps from u_ (at penalized deviance dev, grad_ and info_ at u_) with the factor the
  // system holds from the last evaluation (glmm_core.cpp); returns the deviance at the new u_.
  double chord_steps(double dev);
  // On large models (large_model_), PIRLS without a predicted start begins from the previous
  // mode's b = Lambda u at the new theta (u = Lambda^{-1} b_prev) rather than from its u.
  void keep_b_at_new_theta(const Eigen::VectorXd& b_prev);
  // -2 log L by adaptive Gauss-Hermite quadrature around the mode found by PIRLS
  double agq_deviance();
  // With H factored: B = L^{-1} P A'DX and S_X = X'DX - B'B for the information in weights_.
  bool beta_schur(Eigen::MatrixXd& B, Eigen::LLT<Eigen::MatrixXd>& S) const;
  // (theta, beta, phi, shape) checked and set (Lambda, Z Lambda, the family's parameters); false if invalid.
  bool set_parameters(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, double phi, double shape);
  // d objective/d shape (the last element of par) by a central difference, both sides' PIRLS
  // from the same warm start, which is left as it was
  double shape_derivative(const Eigen::VectorXd& par, bool reml);
  // Per observation, where each pair of a_i's columns lies in the selected inverse (built once).
  bool build_inverse_positions();
  // A = Z Lambda for the current theta, kept as A' on the pattern of Z' (system_.Zt()): Z stores
  // every coefficient of a term in each row (explicit zeros too) and Lambda is block diagonal
  // within terms, so A has Z's pattern; zl_values_[k] (entry k of Z': observation i, column j)
  // is the sum over Lambda's column j of Z(i, r) Lambda(r, j), Z(i, r) being entry k + r - j.
  void update_ZL();
  // That layout checked once (an internal error otherwise).
  void check_ZL_pattern() const;
  // A' (q x n, column i = row i of A) as a sparse matrix over Z''s indices and zl_values_.
  Eigen::Map<const SpMat> At() const {
    const SpMat& Zt = system_.Zt();
    return Eigen::Map<const SpMat>(Zt.rows(), Zt.cols(), Zt.nonZeros(), Zt.outerIndexPtr(), Zt.innerIndexPtr(),
                                   zl_values_.data());
  }

  Eigen::Map<const Eigen::MatrixXd> X_{nullptr, 0, 0};   // read in place (see the constructor)
  // the data, read in place (see the constructor) or from the owned copies of set_response()
  Eigen::Map<const Eigen::VectorXd> y_{nullptr, 0}, w_{nullptr, 0}, offset_{nullptr, 0};
  Eigen::VectorXd y_owned_, w_owned_;
  ObservationModel model_;   // the family and link at the current dispersion, with the zero model
  Eigen::MatrixXd Xzi_, Xd_;   // the zero model's and the dispersion model's designs
  Eigen::VectorXd zi_offset_, disp_offset_;
  // zeta and log phi per observation at the current par (the components; empty without them)
  bool set_component_parameters(const Eigen::VectorXd& beta_zi, const Eigen::VectorXd& gamma, double shape);
  // The zero model's random effects (zero_laplace.cpp): design, spherical modes v, Z_zi Lambda_zi,
  // the zero model's fixed predictor; the joint Laplace approximation over (u, v) by Newton steps
  // with the exact 2 x 2 per-observation Hessian (a sparse LLT of the (q + q_zi) square system).
  bool zi_random_ = false;
  ReDesign re_zi_;
  Eigen::VectorXd v_, zeta_fixed_;
  SpMat ZLzi_;
  double zi_laplace_deviance(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, double phi, double shape,
                             const Eigen::VectorXd& theta_zi);
  // -2 sum l + |u|^2 + |v|^2 at (u, v) with the per-observation derivatives in (eta, zeta) when wanted
  double zi_penalized_deviance(const Eigen::VectorXd& u, const Eigen::VectorXd& v, Eigen::VectorXd* le,
                               Eigen::VectorXd* lz, Eigen::VectorXd* dee, Eigen::VectorXd* dez, Eigen::VectorXd* dzz);
  PenalizedSystem system_;   // H = Lambda'Z'DZ Lambda + I and its factor
  // A' = (Z Lambda)' values on Z''s pattern (update_ZL()); Z itself lives only as the system's Z'
  // (re_.Z is released once the system is built: one copy of the design, not four)
  Eigen::VectorXd zl_values_;
  // per column r of Z: the stored entries (c, theta index) of row r of Lambda
  std::vector<std::vector<std::pair<int, int> > > lambda_rows_;
  Eigen::VectorXd eta_fixed_, eta_, grad_, info_, u_;
  // the weights of the last factor_H(): info_ itself when it needed no flooring or cleaning (no
  // copy), else weights_ (allocated only then)
  Eigen::VectorXd weights_;
  bool weights_are_info_ = true;
  const Eigen::VectorXd& factor_weights() const { return weights_are_info_ ? info_ : weights_; }
  Eigen::VectorXd reml_beta_;   // the REML mode's beta (warm start and state)
  double loglik_cond_ = 0, ldL2_ = 0, loglik_constant_ = 0;   // sum of the families' constant()
  double ld_SX2_ = 0;           // log|S_X| at the REML mode
  double reml_log_jacobian_ = 0;   // added to log|S_X| for the user's beta (log|A|^{-2})
  int pirls_iter_ = 0;
  int pairs_per_obs_ = 0;              // every a_i has the same columns' count m: m (m + 1) / 2 pairs each
  std::vector<int> g_pos_;             // their positions in the selected inverse, observation by observation
  bool h_floored_ = false;   // did the last factor_H(true) floor a negative information?
  // Does the system hold a factor (of the last factor_H(), at whatever point)? chord_steps() use it.
  bool factor_valid_ = false;
  // Large models (at least kLargeRows rows): PIRLS takes chord_steps() first and keeps b across
  // theta changes, gradients_near() starts from the centre, and the log-likelihood is summed with
  // compensation (plain summation of 200,000 terms is off by about 1e-8, more than the optimum's
  // differences the tests and the benchmark compare); smaller models (whose factorizations are
  // cheap) run as before, bit for bit.
  static const int kLargeRows = 10000;
  bool large_model_ = false;
  bool skip_tangent_ = false;   // gradients_near(): no tangent at the displaced points
  // Did the last evaluation with derivatives use the family's batch (binomial-logit, Poisson-log)?
  // Only then do chord_steps() pay: elsewhere (nbinom2, probit, ...) a pass over the observations
  // costs more than the factorization it saves on the designs measured (40,000 rows, 400 x 60
  // crossed levels: 1.13-1.17 of main's time with them, 0.7-0.85 without).
  bool batched_ = false;
  Eigen::VectorXd gh_nodes_, gh_weights_;
  // The last objective(): its par, criterion, value and (once computed) gradient; valid while the
  // core's state (mode, eta, factor) is that point's.
  bool cache_valid_ = false, cache_reml_ = false, cache_has_grad_ = false;
  Eigen::VectorXd cache_par_, cache_grad_;
  double cache_value_ = 0;
  // The mode's tangent at the last gradient's point: the next evaluation's PIRLS starts from
  // tangent_u_ + tangent_ (par - tangent_par_), a first-order prediction of its mode (one Newton
  // step fewer, typically); used once, by the evaluation right after that gradient.
  bool tangent_ready_ = false;
  // the penalized deviance at the last Laplace evaluation's mode (judges the tangent's prediction)
  double last_mode_deviance_ = std::numeric_limits<double>::infinity();
  Eigen::VectorXd tangent_par_, tangent_u_;
  Eigen::MatrixXd tangent_;
};

#endif
