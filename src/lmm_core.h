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
// The factor is the leading-block + supernodal one of blocked_cholesky.h unless its storage would
// exceed kMaxBlockedDoubles (or the sparse path is asked for): then Eigen's simplicial sparse
// Cholesky with AMD ordering.
#ifndef GLMMLAB_LMM_CORE_H
#define GLMMLAB_LMM_CORE_H

#include "blocked_cholesky.h"
#include "re_design.h"

class LmmCore {
 public:
  LmmCore(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& weights,
          const Eigen::VectorXd& offset, ReDesign re, int factor_method = 0);
  // factor_method: 0 chooses, 1 forces the blocked factor, 2 the simplicial sparse one

  // Profiled deviance at theta (ML or REML); updates the state read by the accessors below.
  double deviance(const Eigen::VectorXd& theta, bool reml);

  // A start for theta from per-term moment estimates (each term's group-wise least-squares fits
  // of the residuals of y on X, as if it were the only term).
  Eigen::VectorXd moment_theta() const;

  Eigen::VectorXd beta() const { return beta_ + beta_shift_; }
  Eigen::VectorXd u() const { return re_.to_original(u_); }               // formula's term order
  Eigen::VectorXd b() const { return re_.to_original(re_.Lambda * u_); }
  double pwrss() const { return pwrss_; }
  double logdet_L2() const { return ldL2_; }
  double logdet_RX2() const { return ldRX2_; }
  Eigen::MatrixXd RX() const { return RX_; }                  // upper triangular, p x p
  Eigen::MatrixXd cond_var(int term) const;   // blocks of Lambda A^{-1} Lambda' (see re_design.h)
  Eigen::MatrixXd half_solve(const Eigen::MatrixXd& V) const;   // L^{-1} P Lambda' V (see re_design.h)
  bool uses_blocked_factor() const { return blocked_; }
  int n() const { return n_; }
  int p() const { return p_; }
  const ReDesign& design() const { return re_; }
  double sum_log_weights() const { return sum_log_w_; }

 private:
  bool factor_A(const Eigen::VectorXd& theta);
  void build_A_recipe();                        // A_'s pattern and the terms of each entry
  void form_A(const Eigen::VectorXd& theta);   // A_ <- Lambda' Z'WZ Lambda + I
  void solve_L(Eigen::MatrixXd& B) const;    // B <- L^{-1} P B
  void solve_Lt(Eigen::VectorXd& v) const;   // v <- P' L^{-T} v

  int n_, p_;
  ReDesign re_;
  SpMat ZtWZ_, identity_, A_;
  // A_'s stored entry e is the sum over t in [recipe_start_[e], recipe_start_[e + 1]) of
  // Lambda value recipe_left_[t] * Z'WZ value recipe_middle_[t] * Lambda value recipe_right_[t]
  std::vector<int> recipe_start_, recipe_left_, recipe_middle_, recipe_right_, diagonal_of_A_;
  Eigen::MatrixXd ZtWX_, XtWX_, ZtWyX_, half_solved_;   // [Z'Wy Z'WX]; L^{-1} P Lambda' of it
  Eigen::VectorXd ZtWy_, XtWy_, beta_shift_;
  double ytWy_, sum_log_w_;
  Eigen::SimplicialLLT<SpMat, Eigen::Lower, Eigen::AMDOrdering<int> > chol_;
  Eigen::Index pattern_nnz_ = -1;
  bool blocked_ = false;            // two-block factor (blocked_cholesky.h) instead of chol_
  BlockedCholesky blocked_chol_;
  // state of the last evaluation
  Eigen::MatrixXd RZX_, RX_;
  Eigen::VectorXd cu_, beta_, u_;
  double pwrss_ = 0, ldL2_ = 0, ldRX2_ = 0;
};

#endif
