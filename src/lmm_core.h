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
// A is stored by dense blocks: block g is one level of one term (p_g columns of Z); its columns
// hold the same rows, whole blocks h, so A's block column g is a dense matrix with
// A_hg = T_h' (Z'WZ)_hg T_g (+ I when h = g), formed in place from Z'WZ stored in A's layout.
//
// Gradient (lmm_gradient.cpp): with Lambda_k = dLambda/dtheta_k (theta_k at (r, c) of T_i),
//   d log|A| / dtheta_k = 2 sum_{g in term i} (Z'WZ Lambda A^{-1})_gg[r, c]   (A^{-1} selected),
//   d r2 / dtheta_k = -2 sum_{g in term i} v_g[r] u_g[c],  v = Z'W(y - X beta) - Z'WZ Lambda u,
// and for REML log|A| + log|RX|^2 = log|M|, M the system in (u, beta), whose derivative adds
// (H G')_gg with G = A^{-1} Lambda'Z'WX RX^{-1}, H = (Z'WZ Lambda A^{-1} Lambda'Z'WX - Z'WX) RX^{-1}.
#ifndef GLMMLAB_LMM_CORE_H
#define GLMMLAB_LMM_CORE_H

#include "blocked_cholesky.h"
#include "re_design.h"
#include "selected_inverse.h"

class LmmCore {
 public:
  LmmCore(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& weights,
          const Eigen::VectorXd& offset, ReDesign re, int factor_method = 0);
  // factor_method: 0 chooses, 1 forces the blocked factor, 2 the simplicial sparse one

  // Profiled deviance at theta (ML or REML); updates the state read by the accessors below.
  double deviance(const Eigen::VectorXd& theta, bool reml);
  // The profiled deviance and its gradient in theta (grad is resized; not finite where A is not
  // positive definite).
  double deviance_gradient(const Eigen::VectorXd& theta, bool reml, Eigen::VectorXd& grad);

  // -2 log L at (beta, theta) with sigma profiled in none of them, in parts: -2 log L =
  // logdet_A + Q / sigma^2 + n log(2 pi sigma^2) - sum(log w), where Q is the penalized residual
  // sum of squares at beta; with its derivatives in theta and beta (beta on the user's scale).
  // dlogdet_A (which needs the selected inverse) only when asked for, else empty.
  struct FixedBeta {
    double profiled_ml;       // the profiled ML deviance at theta
    double logdet_A, Q;
    Eigen::VectorXd dlogdet_A, dQ;   // in theta
    Eigen::VectorXd dQ_dbeta;
  };
  FixedBeta at_fixed_beta(const Eigen::VectorXd& theta, const Eigen::VectorXd& beta, bool with_dlogdet);

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
  // One level of one term: columns first_col .. + p - 1 of A, each holding `rows` stored entries
  // (whole blocks), the first at `start` in A's values; entries from position `from` on are the
  // ones the factor reads (the rest of the column is A's other triangle).
  struct ColumnBlock {
    int term, first_col, p;
    Eigen::Index start;
    int rows, from, run_begin, run_end;   // row runs runs_[run_begin .. run_end - 1]
  };
  struct RowRun { int term, begin, end; };   // positions [begin, end) of a column: levels of `term`

  bool factor_A(const Eigen::VectorXd& theta);
  void build_A_blocks();                       // A_'s block pattern, Z'WZ in its layout
  void set_from(bool blocked);                 // which rows of each block column the factor reads
  void form_A(const Eigen::VectorXd& theta);   // A_ <- Lambda' Z'WZ Lambda + I (the part read)
  void solve_L(Eigen::MatrixXd& B) const;    // B <- L^{-1} P B
  void solve_Lt(Eigen::VectorXd& v) const;   // v <- P' L^{-T} v
  void invert_A();                           // zinv_ <- A^{-1} on A's pattern (after factor_A)
  // per term, the p_i x p_i matrix sum_{g in term i} (Z'WZ Lambda A^{-1})_gg (after invert_A)
  std::vector<Eigen::MatrixXd> trace_blocks() const;
  // per term, sum_{g in term i} v_g w_g' (v, w in Z's column order)
  std::vector<Eigen::MatrixXd> outer_blocks(const Eigen::VectorXd& v, const Eigen::VectorXd& w) const;
  // the entries of per-term p_i x p_i matrices at theta's positions
  Eigen::VectorXd at_theta(const std::vector<Eigen::MatrixXd>& blocks) const;

  int n_, p_;
  ReDesign re_;
  SpMat ZtWZ_, A_;
  std::vector<ColumnBlock> blocks_;
  std::vector<RowRun> runs_;
  std::vector<int> diagonal_of_A_, theta_offset_;
  Eigen::VectorXd M_in_A_, zinv_;    // Z'WZ and A^{-1} at A's stored entries
  std::vector<Eigen::MatrixXd> T_;   // per term, T_i at the last theta
  Eigen::MatrixXd ZtWX_, XtWX_, ZtWyX_, half_solved_;   // [Z'Wy Z'WX]; L^{-1} P Lambda' of it
  Eigen::VectorXd ZtWy_, XtWy_, beta_shift_;
  double ytWy_, sum_log_w_;
  Eigen::SimplicialLLT<SpMat, Eigen::Lower, Eigen::AMDOrdering<int> > chol_;
  Eigen::Index pattern_nnz_ = -1;
  bool blocked_ = false;            // two-block factor (blocked_cholesky.h) instead of chol_
  BlockedCholesky blocked_chol_;
  SelectedInverse simplicial_inverse_;
  // state of the last evaluation
  Eigen::MatrixXd RZX_, RX_;
  Eigen::VectorXd cu_, beta_, u_;
  double pwrss_ = 0, ldL2_ = 0, ldRX2_ = 0;
};

#endif
