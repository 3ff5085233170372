// glmm_core.h: the Laplace approximation for generalized linear mixed models.
//
// Notation as in lmm_core.h: u spherical random effects, b = Lambda u, eta = X beta + Z Lambda u
// + offset. For given (theta, beta, phi), PIRLS finds the conditional mode u^ of
//   g(u) = -2 sum_i l_i(eta_i) + |u|^2
// by Newton steps with step halving, with H = Lambda'Z' D Z Lambda + I, D = diag(-d2l/deta2)
// (the observed information): the PenalizedSystem of the LMM core with W = D, reweighted at each
// step (penalized_system.h), so both model kinds share one sparse engine and its blocked factor.
// The Laplace approximation to -2 log L is g(u^) + log|H|. The core's parameter vector
// (mixed_core.h) is (theta, beta, log phi if the family has a dispersion).
//
// REML, as glmmTMB defines it for GLMMs: the fixed effects are integrated out with the random
// effects (flat prior), so the Laplace approximation is over (u, beta): PIRLS finds the joint mode
// of g(u, beta) = -2 sum_i l_i + |u|^2, and with A = Z Lambda the joint Hessian (halved) is
//   J = [H, A'DX; X'DA, X'DX],  log|J| = log|H| + log|S_X|,  S_X = X'DX - X'DA H^{-1} A'DX,
// giving -2 log L_R = g(u^, beta^) + log|H| + log|S_X| - p log(2 pi). The parameter vector is
// then (theta, log phi); Newton steps solve J by elimination of beta through S_X (p solves with
// H's factor). For gaussian models with the identity link this is the LMM's REML criterion.
// The criterion depends on beta's scale: when the core's X is the user's X A (a conditioned
// design), log|S_X| is that of the user's beta after adding -log|A|^2 (`reml_log_jacobian`).
#ifndef GLMMLAB_GLMM_CORE_H
#define GLMMLAB_GLMM_CORE_H

#include "families.h"
#include "mixed_core.h"
#include "penalized_system.h"
#include <utility>
#include <vector>

class GlmmCore : public MixedCore {
 public:
  GlmmCore(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& weights,
           const Eigen::VectorXd& offset, ReDesign re, int family, int link, int factor_method, double max_bytes,
           double reml_log_jacobian = 0);

  // Laplace deviance at (theta, beta, phi); PIRLS starts from the previous mode.
  double laplace_deviance(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, double phi);
  // The REML criterion at (theta, phi) (see above); PIRLS over (u, beta) from the previous mode.
  double reml_deviance(const Eigen::VectorXd& theta, double phi);

  // MixedCore: par = (theta, beta, log phi if the family has one).
  double objective(const Eigen::VectorXd& par, bool reml) override;
  bool has_gradient(bool reml) const override { return !reml && gh_nodes_.size() <= 1; }
  // The exact gradient in par (Laplace only; see glmm_core.cpp). grad is NaN where it cannot be
  // computed (a non-finite objective).
  double objective_gradient(const Eigen::VectorXd& par, bool reml, Eigen::VectorXd& grad) override;
  CoreState state(const Eigen::VectorXd& par, bool reml) override;
  Eigen::MatrixXd cond_var(const Eigen::VectorXd& par, bool reml, int term) override;
  Eigen::MatrixXd half_solve(const Eigen::VectorXd& par, bool reml, const Eigen::MatrixXd& V) override;
  void set_response(const Eigen::VectorXd& y, const Eigen::VectorXd& weights) override;
  void clear_cache() override;
  Eigen::VectorXd lower(bool reml) const override;
  bool uses_blocked_factor() const override { return system_.blocked(); }

  int ntheta() const { return re_.ntheta; }
  int p() const { return X_.cols(); }
  bool has_dispersion() const { return model_.has_dispersion(); }
  // What start_values() in R needs at par: per term (formula order) the mean over its levels of
  // u_l u_l' + (H^{-1})_ll, p_i x p_i blocks side by side (T_i M_i T_i' is the EM update of the
  // term's covariance); diag(H^{-1}) in the formula's order; and X'DX - X'D A H^{-1} A'D X, the
  // information on beta given theta (A = Z Lambda). False where unavailable.
  bool start_info(const Eigen::VectorXd& par, double& value, Eigen::MatrixXd& moments, Eigen::VectorXd& cond_diag,
                  Eigen::MatrixXd& beta_info);
  // S_X = X'DX - X'DA H^{-1} A'DX at the REML mode for par (the information on beta in the joint
  // Laplace approximation); empty where the criterion is not finite.
  Eigen::MatrixXd reml_information(const Eigen::VectorXd& par);
  // Adaptive Gauss-Hermite quadrature (one scalar random-effect term only): nodes and weights
  // of the rule for the integral of exp(-x^2) f(x); an empty rule means the Laplace approximation.
  void set_quadrature(const Eigen::VectorXd& nodes, const Eigen::VectorXd& weights);

 private:
  // -2 sum l + |u|^2 at u; fills eta, grad, info when wanted
  double penalized_deviance(const Eigen::VectorXd& u, bool derivatives);
  // H with the current information (negative information floored at 0 when `floor`)
  bool factor_H(bool floor);
  // -2 log L by adaptive Gauss-Hermite quadrature around the mode found by PIRLS
  double agq_deviance();
  // With H factored: B = L^{-1} P A'DX and S_X = X'DX - B'B for the information in weights_.
  bool beta_schur(Eigen::MatrixXd& B, Eigen::LLT<Eigen::MatrixXd>& S) const;
  // (theta, beta, phi) checked and set (Lambda, Z Lambda, the family's parameters); false if invalid.
  bool set_parameters(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, double phi);
  // Per observation, where each pair of a_i's columns lies in the selected inverse (built once).
  bool build_inverse_positions();
  // ZL_ = Z Lambda and ZLt_ for the current theta, values only once the recipe is built: entry e
  // of ZL_ is the sum over k in [zl_start_[e], zl_start_[e+1]) of Z's value zl_z_[k] times
  // Lambda's value zl_lambda_[k]; entry k of ZLt_ is entry zlt_from_[k] of ZL_.
  void update_ZL();
  void build_ZL_recipe();

  Eigen::MatrixXd X_;
  Eigen::VectorXd y_, w_, offset_;
  ResponseModel model_;   // the family and link at the current dispersion
  PenalizedSystem system_;   // H = Lambda'Z'DZ Lambda + I and its factor
  SpMat ZL_, ZLt_, Zt_;
  // per column r of Z: the stored entries (c, theta index) of row r of Lambda
  std::vector<std::vector<std::pair<int, int> > > lambda_rows_;
  Eigen::VectorXd eta_fixed_, eta_, grad_, info_, weights_, u_;
  Eigen::VectorXd reml_beta_;   // the REML mode's beta (warm start and state)
  double loglik_cond_ = 0, ldL2_ = 0, loglik_constant_ = 0;   // sum of the families' constant()
  double ld_SX2_ = 0;           // log|S_X| at the REML mode
  double reml_log_jacobian_ = 0;   // added to log|S_X| for the user's beta (log|A|^{-2})
  int pirls_iter_ = 0;
  std::vector<int> pair_start_;        // observation i's pairs (s >= t) of a_i's columns from here
  std::vector<Eigen::Index> g_pos_;    // their positions in the selected inverse
  std::vector<int> zl_start_, zl_z_, zl_lambda_, zlt_from_;
  bool h_floored_ = false;   // did the last factor_H(true) floor a negative information?
  Eigen::VectorXd gh_nodes_, gh_weights_;
};

#endif
