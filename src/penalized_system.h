// penalized_system.h: the random-effects system both cores factor,
//   A(theta, W) = Lambda' Z'WZ Lambda + I = P' L L' P,
// with W diagonal: the prior weights for a linear mixed model (set once), the observed
// information of each observation for a GLMM (reset at every PIRLS step). Z'WZ has a fixed
// sparsity pattern (worked out once from Z's); set_weights() writes its values observation by
// observation into that pattern, factor() writes A's values from Z'WZ's and Lambda's block by
// block and refactors: Lambda is block diagonal, one lower-triangular p x p block T per level of a
// term, so the block of A for levels g and h is T_g' (Z'WZ)_gh T_h, a small dense product. Which
// blocks the factor reads, and where their entries lie in Z'WZ and A, is worked out once (a few
// ints per column of a block; nothing per entry of A beyond its pattern). The factor is the
// leading-block + supernodal one of blocked_cholesky.h (symbolic analysis once); a simplicial
// sparse Cholesky (Eigen, AMD order) only when asked for.
//
// Memory guard: before anything of the factor's size is allocated, the symbolic analysis counts
// the factor's entries; if they would need more than `max_bytes`, construction stops with an
// error giving the estimate and the random-effect terms that fill it in.
#ifndef GLMMLAB_PENALIZED_SYSTEM_H
#define GLMMLAB_PENALIZED_SYSTEM_H

#include "blocked_cholesky.h"
#include "re_design.h"
#include <memory>

struct SimplicialFactor;   // Eigen's simplicial Cholesky and its selected inverse (penalized_system.cpp)

class PenalizedSystem {
 public:
  enum Method { kChoose = 0, kBlocked = 1, kSimplicial = 2 };
  PenalizedSystem();
  // The pattern of Z'WZ and of A, and the factor's symbolic analysis (theta and W not yet set);
  // `copies`: arrays of the factor's size the caller needs (2 with the selected inverse).
  PenalizedSystem(const ReDesign& re, int method, double max_bytes, int copies = 1);
  PenalizedSystem(PenalizedSystem&&);
  PenalizedSystem& operator=(PenalizedSystem&&);
  ~PenalizedSystem();

  // Z'WZ <- sum_i w_i z_i z_i' (z_i row i of Z); w of length n, entries may be 0. Without
  // keep_positions, where each observation's products land is released after use (a linear mixed
  // model sets its weights once; the positions are worked out again at the next call).
  void set_weights(const Eigen::VectorXd& w, bool keep_positions = true);
  // A <- Lambda' Z'WZ Lambda + I with Lambda's current values (ReDesign::set_theta), and factor it;
  // false if A is not positive definite.
  bool factor(const ReDesign& re);

  void solve_L(Eigen::MatrixXd& B) const;    // B <- L^{-1} P B
  void solve_Lt(Eigen::VectorXd& v) const;   // v <- P' L^{-T} v
  Eigen::VectorXd solve(const Eigen::VectorXd& b) const;   // A^{-1} b
  double logdet2() const { return logdet2_; }   // log |A|

  // Entries of A^{-1} on the factor's pattern (the selected inverse): compute after factor(), then
  // read (A^{-1})_rc for (r, c) in A's pattern (columns of Z) by inverse_position()/inverse_values().
  bool compute_selected_inverse();
  Eigen::Index inverse_position(int r, int c) const;   // -1 if (r, c) is outside the factor's pattern
  const double* inverse_values() const;
  double inverse_at(int r, int c) const {
    const Eigen::Index k = inverse_position(r, c);
    return k < 0 ? NAN : inverse_values()[k];
  }

  const SpMat& ZtWZ() const { return ZtWZ_; }   // both triangles, rows sorted
  const SpMat& Zt() const { return Zt_; }       // Z' (row i of Z as column i), compressed
  bool blocked() const { return blocked_; }
  bool dense_lead() const { return blocked_ && blocked_chol_.dense_lead(); }

 private:
  void build_observation_positions();
  void build_pattern_of_A(const ReDesign& re);
  bool whole_level_blocks() const;   // is Z'WZ made of whole level blocks (then A's pattern is its own)?
  void pattern_of_A_from_blocks();   // A's pattern: Z'WZ's with the diagonal
  void copy_lower_to_upper();   // Z'WZ's upper triangle from its lower one
  struct ScalarColumn { int h, first; };   // column h; its first entry of Z'WZ whose A entry the factor reads
  struct BlockPair { int g, h; };   // first columns of the level blocks g (rows) and h (columns)
  void build_block_schedule();
  void form_A(const ReDesign& re);
  template <int PG, int PH>
  void form_A_block(const double* lv, const int* lambda_outer, const BlockPair& pair, const int* range);

  int q_ = 0;
  SpMat Zt_, ZtWZ_, A_;   // Z' (row i of Z as column i), Z'WZ, A
  // Z'WZ values: observation i adds w_i Z(i, s) Z(i, t) to ZtWZ_ entry zz_pos_[k] for its k-th pair
  // (s, t) of Z's stored entries (s >= t), k from zz_start_[i] (empty when released: set_weights())
  std::vector<int> zz_start_, zz_pos_;
  // the level blocks: column j of Z lies in the block of columns [block_first_[j], block_first_[j] +
  // block_width_[j]) (one level of one term), whose T is read off Lambda's columns
  std::vector<int> block_first_, block_width_, diagonal_of_A_;
  // form_A's schedule (build_block_schedule): the columns of scalar levels whose rows in Z'WZ are
  // all scalar levels'; for the other columns the blocks (g, h) of A the factor reads, in column
  // order, and per block and column c of h four entries: Z'WZ's entries [m_begin, m_end) and A's
  // [a_begin, a_end) of column h + c in g's rows; A's diagonal entries no block writes
  std::vector<ScalarColumn> scalar_columns_;
  std::vector<BlockPair> block_pairs_;
  std::vector<int> pair_ranges_, identity_only_;
  // form_A's scratch: (Z'WZ)_gh's columns that are not full, then T_g' (Z'WZ)_gh T_h; (Z'WZ)_gh T_h
  std::vector<double> dense_m_, dense_mt_;
  std::vector<const double*> m_columns_;     // form_A's columns of (Z'WZ)_gh
  std::vector<char> entry_used_;   // entries of A the factor reads (the other triangle is skipped)
  bool blocked_ = false;
  BlockedCholesky blocked_chol_;
  std::unique_ptr<SimplicialFactor> simplicial_;   // when not blocked_
  double logdet2_ = 0;
};

#endif
