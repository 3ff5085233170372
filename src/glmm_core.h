// glmm_core.h: the Laplace approximation for generalized linear mixed models.
//
// Notation as in lmm_core.h: u spherical random effects, b = Lambda u, eta = X beta + Z Lambda u
// + offset. For given (theta, beta, phi), PIRLS finds the conditional mode u^ of
//   g(u) = -2 sum_i l_i(eta_i) + |u|^2
// by Newton steps with step halving, with H = Lambda'Z' D Z Lambda + I, D = diag(-d2l/deta2)
// (the observed information). The Laplace approximation to -2 log L is g(u^) + log|H|, where
// log|H| = log|L|^2 from the same sparse Cholesky machinery as the LMM core (symbolic analysis once).
#ifndef GLMMLAB_GLMM_CORE_H
#define GLMMLAB_GLMM_CORE_H

#include "re_design.h"
#include "selected_inverse.h"
#include <utility>
#include <vector>

class GlmmCore {
 public:
  GlmmCore(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& weights,
           const Eigen::VectorXd& offset, ReDesign re, int family, int link);

  // Laplace deviance at (theta, beta, phi); PIRLS starts from the previous mode.
  double laplace_deviance(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, double phi);
  // Laplace deviance at the packed outer parameters (theta, beta, log phi if the family has one).
  double objective(const Eigen::VectorXd& par);
  // objective(par) and its exact gradient in par (Laplace only; see glmm_core.cpp for the
  // formulas). grad is NaN where it cannot be computed (a non-finite objective).
  double objective_gradient(const Eigen::VectorXd& par, Eigen::VectorXd& grad);
  bool has_gradient() const { return gh_nodes_.size() <= 1; }

  int ntheta() const { return re_.ntheta; }
  int p() const { return X_.cols(); }
  bool has_dispersion() const { return has_phi_; }
  const ReDesign& design() const { return re_; }
  Eigen::VectorXd u() const { return re_.to_original(u_); }               // formula's term order
  Eigen::VectorXd b() const { return re_.to_original(re_.Lambda * u_); }
  const Eigen::VectorXd& mode() const { return u_; }                         // Z's column order
  Eigen::VectorXd eta() const { return eta_; }
  double loglik_cond() const { return loglik_cond_; }    // sum_i l_i at the mode
  double logdet_L2() const { return ldL2_; }
  int pirls_iterations() const { return pirls_iter_; }
  Eigen::MatrixXd cond_var(int term) const {   // blocks of Lambda H^{-1} Lambda' at the mode
    return cond_var_blocks(re_, [this](Eigen::MatrixXd& B) { B = chol_.permutationP() * B; chol_.matrixL().solveInPlace(B); }, term);
  }
  Eigen::MatrixXd half_solve(const Eigen::MatrixXd& V) const {   // L^{-1} P Lambda' V at the mode
    return half_solve_b(re_, [this](Eigen::MatrixXd& B) { B = chol_.permutationP() * B; chol_.matrixL().solveInPlace(B); }, V);
  }
  void set_mode(const Eigen::VectorXd& u) { u_ = u; }
  // What start_values() in R needs at the current mode (the objective just evaluated): per term
  // (formula order) the mean over its levels of u_l u_l' + (H^{-1})_ll, p_i x p_i blocks side by
  // side (T_i M_i T_i' is the EM update of the term's covariance); diag(H^{-1}) in the formula's
  // order; and X'DX - X'D A H^{-1} A'D X, the information on beta given theta (A = Z Lambda).
  bool start_info(Eigen::MatrixXd& moments, Eigen::VectorXd& cond_diag, Eigen::MatrixXd& beta_info);
  // Adaptive Gauss-Hermite quadrature (one scalar random-effect term only): nodes and weights
  // of the rule for the integral of exp(-x^2) f(x); an empty rule means the Laplace approximation.
  void set_quadrature(const Eigen::VectorXd& nodes, const Eigen::VectorXd& weights);

 private:
  // -2 sum l + |u|^2 at u; fills eta, grad, info when wanted
  double penalized_deviance(const Eigen::VectorXd& u, bool derivatives);
  bool factor_H(bool floor);
  // The lower triangle of H's pattern and, per observation, where each product a_is a_it lands
  // in H's values (built once; rebuilt only if the pattern of Z Lambda changes).
  void build_H_pattern();
  // -2 log L by adaptive Gauss-Hermite quadrature around the mode found by PIRLS
  double agq_deviance();

  Eigen::MatrixXd X_;
  Eigen::VectorXd y_, w_, offset_;
  ReDesign re_;
  int family_, link_;
  bool has_phi_;
  double phi_ = 1;
  SpMat ZL_, ZLt_, Zt_;
  // per column r of Z: the stored entries (c, theta index) of row r of Lambda
  std::vector<std::vector<std::pair<int, int> > > lambda_rows_;
  SelectedInverse selected_inverse_;
  Eigen::VectorXd eta_fixed_, eta_, grad_, info_, u_;
  double loglik_cond_ = 0, ldL2_ = 0, loglik_constant_ = 0;   // sum of obs_constant()
  int pirls_iter_ = 0;
  Eigen::SimplicialLLT<SpMat, Eigen::Lower, Eigen::AMDOrdering<int> > chol_;
  SpMat H_;                              // lower triangle of H, fixed pattern
  std::vector<int> h_pos_, h_row_start_, diag_pos_;
  std::vector<int> g_pos_;   // like h_pos_, into the values of L (and the selected inverse)
  // g_pos_ from the pattern of the current factor (fixed once H's pattern is).
  bool build_inverse_positions();
  Eigen::Index zl_nnz_ = -1;
  // ZL_ = Z Lambda and ZLt_ for the current theta, values only once the recipe is built: entry e
  // of ZL_ is the sum over k in [zl_start_[e], zl_start_[e+1]) of Z's value zl_z_[k] times
  // Lambda's value zl_lambda_[k]; entry k of ZLt_ is entry zlt_from_[k] of ZL_.
  void update_ZL();
  void build_ZL_recipe();
  std::vector<int> zl_start_, zl_z_, zl_lambda_, zlt_from_;
  bool h_floored_ = false;   // did the last factor_H(true) floor a negative information?
  Eigen::VectorXd gh_nodes_, gh_weights_;
};

#endif
