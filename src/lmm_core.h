// lmm_core.h: penalized least squares for linear mixed models (profiled ML and REML).
//
// Notation (Bates et al. 2015, "Fitting linear mixed-effects models using lme4"):
// W = diag(prior weights), A(theta) = Lambda' Z'WZ Lambda + I = P' L L' P (sparse Cholesky,
// fill-reducing permutation P found once), RZX = L^{-1} P Lambda' Z'WX, RX'RX = X'WX - RZX'RZX,
// cu = L^{-1} P Lambda' Z'Wy, cbeta = RX^{-T}(X'Wy - RZX' cu). The penalized weighted residual
// sum of squares is r2 = y'Wy - |cu|^2 - |cbeta|^2, and the profiled deviances are
//   ML:   log|L|^2 + n (1 + log(2 pi r2 / n)) - sum(log w)
//   REML: log|L|^2 + log|RX|^2 + (n - p)(1 + log(2 pi r2 / (n - p))) - sum(log w).
// All cross-products are formed once; one evaluation costs nothing that grows with n.
// y is replaced internally by its weighted least-squares residual on X (beta_shift), which
// changes nothing in theta but keeps y'Wy of the size of r2 (no cancellation).
// A and its factor are the PenalizedSystem both cores share (penalized_system.h), with W the
// prior weights. The core's parameter vector (mixed_core.h) is theta.
//
// Gradient (lmm_gradient.cpp), with M = Z'WZ and T_i term i's block of Lambda; theta_k at (r, c)
// of T_i, sums over the levels g of term i (blocks of p_i columns):
//   d log|A| / dtheta_k = 2 sum_g (M Lambda A^{-1})_gg[r, c]   (A^{-1} on M's pattern: the selected
//                                                               inverse of the shared factor),
//   d r2 / dtheta_k     = -2 sum_g v_g[r] u_g[c],   v = Z'W(y - X beta) - M Lambda u,
// and for REML log|A| + log|RX|^2 = log|K|, K the system in (u, beta), whose derivative adds
// 2 sum_g (H F')_gg[r, c] with F = A^{-1} Lambda'Z'WX RX^{-1}, H = (M Lambda A^{-1} Lambda'Z'WX - Z'WX) RX^{-1}.
#ifndef GLMMLAB_LMM_CORE_H
#define GLMMLAB_LMM_CORE_H

#include "mixed_core.h"
#include "penalized_system.h"

class LmmCore : public MixedCore {
 public:
  // factor_method: 0 chooses, 1 forces the blocked factor, 2 the simplicial sparse one;
  // max_bytes: the memory guard of the factor (penalized_system.h).
  LmmCore(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& weights,
          const Eigen::VectorXd& offset, ReDesign re, int factor_method, double max_bytes);

  // Profiled deviance at theta (ML or REML); updates the state read by the accessors below.
  double deviance(const Eigen::VectorXd& theta, bool reml);

  // MixedCore: par = theta.
  double objective(const Eigen::VectorXd& par, bool reml) override { return deviance(par, reml); }
  // The exact gradient of the profiled deviance in theta (see above); NaN where the deviance is
  // not finite.
  bool has_gradient(bool) const override { return layout_ok_; }
  double objective_gradient(const Eigen::VectorXd& par, bool reml, Eigen::VectorXd& grad) override;

  // -2 log L at (beta, theta) with sigma profiled in neither, in parts: -2 log L = logdet_A + Q /
  // sigma^2 + n log(2 pi sigma^2) - sum(log w), Q the penalized residual sum of squares at beta
  // (the user's beta); with the derivatives in theta and beta that the ML standard errors need
  // (lmm_vcov.h). dlogdet_A (which needs the selected inverse) only when asked for, else empty.
  struct FixedBeta {
    double profiled_ml;              // the profiled ML deviance at theta
    double logdet_A, Q;
    Eigen::VectorXd dlogdet_A, dQ;   // in theta
    Eigen::VectorXd dQ_dbeta;
  };
  FixedBeta at_fixed_beta(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, bool with_dlogdet);
  CoreState state(const Eigen::VectorXd& par, bool reml) override;
  Eigen::MatrixXd cond_var(const Eigen::VectorXd& par, bool reml, int term) override;
  void set_response(const Eigen::VectorXd& y, const Eigen::VectorXd& weights) override;
  Eigen::MatrixXd half_solve(const Eigen::VectorXd& par, bool reml, const Eigen::MatrixXd& V) override;
  Eigen::VectorXd lower(bool) const override { return re_.theta_lower; }

  // A start for theta from per-term moment estimates (each term's group-wise least-squares fits
  // of the residuals of y on X, as if it were the only term), each scaled for the variance the
  // other terms leave in its residuals.
  Eigen::VectorXd moment_theta() const;

  Eigen::VectorXd beta() const { return beta_ + beta_shift_; }
  Eigen::VectorXd u() const { return re_.to_original(u_); }               // formula's term order
  Eigen::VectorXd b() const { return re_.to_original(re_.Lambda * u_); }
  double pwrss() const { return pwrss_; }
  double logdet_L2() const { return ldL2_; }
  double logdet_RX2() const { return ldRX2_; }
  Eigen::MatrixXd RX() const { return RX_; }                  // upper triangular, p x p
  Eigen::MatrixXd cond_var(int term) const;   // blocks of Lambda A^{-1} Lambda' (see re_design.h)
  bool uses_blocked_factor() const override { return system_.blocked(); }
  bool uses_dense_lead() const override { return system_.dense_lead(); }
  int n() const { return n_; }
  int p() const { return p_; }
  double sum_log_weights() const { return sum_log_w_; }

 private:
  // A(theta) factored, or kept when theta is the theta of the last successful factorization (a
  // fit reads the core at its optimum several times: the end state, standard errors, methods)
  bool factor_A(const Eigen::VectorXd& theta);
  void solve_L(Eigen::MatrixXd& B) const { system_.solve_L(B); }    // B <- L^{-1} P B
  void solve_Lt(Eigen::VectorXd& v) const { system_.solve_Lt(v); }  // v <- P' L^{-T} v
  bool gradient_layout();   // the gradient's layout; false if M is not block-dense
  // the selected inverse, and A^{-1}'s places in it at M's entries (after a successful factor_A);
  // false if not available or not finite there
  bool invert_on_M();
  int first_entry_from(int c, int row) const;   // M's first stored entry in column c at or beyond `row`
  int level_first(int c) const;                 // the first column of column c's level block
  // per term, the p_i x p_i matrix sum_g (M Lambda A^{-1})_gg at theta (after invert_on_M)
  std::vector<Eigen::MatrixXd> trace_blocks(const Eigen::VectorXd& theta) const;
  // per term, sum_g v_g w_g' (v, w in Z's column order)
  std::vector<Eigen::MatrixXd> outer_blocks(const Eigen::VectorXd& v, const Eigen::VectorXd& w) const;
  // the entries of per-term p_i x p_i matrices at theta's positions
  Eigen::VectorXd at_theta(const std::vector<Eigen::MatrixXd>& blocks) const;
  // T_i at theta (lower triangular)
  Eigen::MatrixXd term_factor(const Eigen::VectorXd& theta, int term) const;

  int n_, p_;
  Eigen::MatrixXd X_;
  Eigen::VectorXd offset_;
  PenalizedSystem system_;   // Z'WZ, A(theta) and its factor
  Eigen::MatrixXd ZtWX_, XtWX_, ZtWyX_, half_solved_;   // [Z'Wy Z'WX]; L^{-1} P Lambda' of it
  Eigen::VectorXd ZtWy_, XtWy_, beta_shift_;
  double ytWy_, sum_log_w_;
  // the gradient's layout (built at its first use): the term of each column of A, theta's offset
  // per term; the place in the selected inverse of each stored entry of M in the rows of its
  // column's level block and beyond (column c's from inverse_at_M_start_[c]; 4-byte places: no gradient
  // for a factor of 2^31 entries or more, as for the GLMM); those in earlier rows read at their
  // mirror (the factor stores a level's own diagonal block with both triangles, the rest once)
  std::vector<int> column_term_, theta_offset_;
  std::vector<int> inverse_at_M_start_, inverse_at_M_;
  bool layout_checked_ = false, layout_ok_ = false;
  // the theta whose factor system_ holds (factored_ false: none, or the weights changed since)
  Eigen::VectorXd factored_theta_;
  bool factored_ = false;
  // state of the last evaluation
  Eigen::MatrixXd RZX_, RX_;
  Eigen::VectorXd cu_, beta_, u_;
  double pwrss_ = 0, ldL2_ = 0, ldRX2_ = 0;
};

#endif
