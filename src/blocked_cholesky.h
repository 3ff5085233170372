// blocked_cholesky.h: Cholesky factor of A = Lambda'Z'WZ Lambda + I that exploits the leading
// random-effect term (the largest one, q1 columns, p1 per level): its diagonal block A11 is block
// diagonal, so its levels are eliminated first, one small dense block each:
//   L11 = chol(A11) level by level, L21 = A21 L11^{-T} (a few rows per level).
// The rest (q2 = q - q1 columns; its Schur complement S = A22 - L21 L21') is factored by a
// supernodal left-looking sparse Cholesky: S's columns in approximate-minimum-degree order,
// postordered, grouped into supernodes (consecutive columns stored as one dense column-major
// block, with a few explicit zeros allowed), each updated by dense products of the blocks below
// it. The leading levels act as width-p1 panels that update the supernodes their rows hit, so
// S is never formed as a separate matrix. On crossed designs like InstEval (q1 = 2972 students,
// q2 = 1142 lecturers and departments) S's factor is about half the dense triangle and most of
// the work is dense matrix products.
// The symbolic analysis (ordering, structure, update lists, the position of every entry of A in
// the factor's storage) is done once for A's sparsity pattern; factorize() then only fills
// values. L here is the factor of P A P', with P permuting the last q2 columns only.
// The selected inverse (entries of A^{-1} on L's pattern) follows the Takahashi recurrences in
// blocks: for a panel with diagonal block D, rows R below it and Y = L_RJ D^{-1},
//   S_RJ = -S_RR Y,   S_JJ = D^{-T} D^{-1} - Y' S_RJ,
// supernodes from last to first, then the leading levels (whose rows R all lie in the rest).
// S_RR is gathered from the panels already done (the rows below a panel form a clique of L).
// Dense mode: when the leading term is scalar, the rest is one dense supernode and the levels'
// rows fill a good part of it (two crossed terms, the second small), the levels update the rest
// by rank-128 dense products, 128 levels scattered into a q2 x 128 matrix at a time, and their
// entries of the selected inverse come from one dense product per 128 levels (use_dense_lead()).
// Memory: before the structure is stored, the factor's entries are counted (elimination tree and
// row subtrees, O(q) memory); beyond max_doubles the analysis stops with fits() false and
// needed_doubles() giving the count (a lower bound when the count itself was cut short).
#ifndef GLMMLAB_BLOCKED_CHOLESKY_H
#define GLMMLAB_BLOCKED_CHOLESKY_H

#include "re_design.h"
#include <Eigen/OrderingMethods>

class BlockedCholesky {
 public:
  BlockedCholesky() {}
  // Symbolic analysis of A's pattern (both triangles stored); q1 leading columns in blocks of p1.
  // Stops early, with fits() false, when the factor would hold more than max_doubles numbers.
  BlockedCholesky(const SpMat& A, int q1, int p1, double max_doubles = 1e300);
  bool fits() const { return fits_; }
  bool dense_lead() const { return dense_lead_; }   // the dense mode (dense_lead_update())
  double needed_doubles() const { return needed_doubles_; }
  bool needed_is_lower_bound() const { return needed_is_lower_bound_; }
  // Does factorize() read stored entry e of A (the other triangle of the rest is skipped)?
  bool reads(Eigen::Index e) const { return dest_wide_.empty() ? dest_[e] >= 0 : dest_wide_[e] >= 0; }
  // Factor A (same pattern as analyzed); false if A is not positive definite.
  bool factorize(const SpMat& A);
  void solve_L(Eigen::MatrixXd& B) const;    // B <- L^{-1} P B
  void solve_Lt(Eigen::VectorXd& v) const;   // v <- P' L^{-T} v
  double logdet2() const { return logdet2_; }   // log |L|^2 = log |A|
  // The selected inverse of the last factorized A (false if it is not finite).
  bool compute_inverse();
  // Position in inverse_values() of (A^{-1})_rc, r and c in A's numbering; -1 outside the pattern.
  Eigen::Index inverse_position(int r, int c) const;
  const double* inverse_values() const { return inverse_.data(); }

 private:
  // A dense column-major block of L: height x width at values_[offset], its row indices (in the
  // permuted numbering of the last q2 columns) at rows_[row_start ...]; `below` is the position
  // of the first row beyond the panel's own columns (0 for the leading levels).
  struct Panel {
    Eigen::Index offset;
    int height, width, row_start, below;
  };
  // Panel `source` (and the count - 1 leading panels after it, which have the same rows and are
  // stored right after it: together one height x (width count) block) updates a supernode with
  // its rows at positions [begin, end).
  struct Update {
    int source, begin, end, count;
  };
  Eigen::Map<Eigen::MatrixXd> block(const Panel& pn) { return Eigen::Map<Eigen::MatrixXd>(values_.data() + pn.offset, pn.height, pn.width); }
  Eigen::Map<const Eigen::MatrixXd> block(const Panel& pn) const {
    return Eigen::Map<const Eigen::MatrixXd>(values_.data() + pn.offset, pn.height, pn.width);
  }
  void analyze_rest(const SpMat& A, std::vector<std::vector<int> >& level_rows, double max_doubles);
  void apply_update(const Panel& target, const Update& update);
  // Dense mode (dense_lead_): scalar leading levels over a rest that is one dense supernode,
  // their rows dense enough there that rank-b updates by dense products (b levels at a time,
  // scattered into lead_dense_) beat per-level scattered outer products; the same batching
  // gives their entries of the selected inverse.
  bool use_dense_lead(int nsuper) const;
  void scatter_levels(int k0, int b, bool per_l11);
  void dense_lead_update(const Panel& target);
  void dense_lead_inverse();
  // Leading level k has one column and rows of its own (see single_updates_).
  bool single_column(int k) const { return p1_ == 1 && lead_group_[k] == 1; }
  // S on the rows rows_[first .. first + m) (sorted rest rows), from the panels done: m x m
  void gather_inverse(int first, int m, Eigen::MatrixXd& out) const;
  // Position of rest row `row` (factor numbering) in panel pn's rows; -1 if absent.
  int row_position(const Panel& pn, int row) const;

  int q_ = 0, q1_ = 0, q2_ = 0, p1_ = 1, nlev1_ = 0;
  Eigen::VectorXd values_;             // L11 blocks (p1 x p1 each), then the panels
  std::vector<Panel> panels_;          // nlev1 leading-level panels (L21 rows), then supernodes
  std::vector<int> rows_;              // row indices of all panels
  std::vector<int> perm_;              // perm_[original rest column] = its position in the order
  std::vector<int> first_col_;         // supernode s covers columns first_col_[s] .. +width - 1
  std::vector<int> snode_of_;          // supernode of each rest column (factor numbering)
  std::vector<int> update_start_;      // updates of supernode s: updates_[update_start_[s] ...]
  std::vector<Update> updates_;
  std::vector<int> lead_group_;        // leading levels k .. k + lead_group_[k] - 1 share their rows (0: inside a group)
  // updates of supernode s from one-column leading levels with rows of their own, applied one
  // target column at a time (factorize()): single_updates_[single_start_[s] ...]; the levels that
  // hit rest column c (factor numbering) are single_hits_[single_hit_start_[c] ...], each the index
  // of its update and the position of c in the level's rows, in the order of the updates
  std::vector<int> single_start_;
  std::vector<Update> single_updates_;
  std::vector<int> single_hit_start_;
  std::vector<std::pair<int, int> > single_hits_;
  // per stored entry of A: its place in values_ (-1: none), 4-byte places while values_ has fewer
  // than 2^31 entries, else 8-byte ones in dest_wide_ (dest_ then empty)
  std::vector<int> dest_;
  std::vector<Eigen::Index> dest_wide_;
  void set_dest(Eigen::Index e, Eigen::Index place) {
    if (dest_wide_.empty()) dest_[e] = (int)place;
    else dest_wide_[e] = place;
  }
  // values_ <- 0, then A's entries added at their places
  template <class Place>
  void scatter_A(const std::vector<Place>& dest, const double* av);
  mutable std::vector<int> relative_;  // scratch: row -> position in the current supernode
  typedef Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> RowMatrix;
  Eigen::MatrixXd product_;            // scratch for one update
  bool dense_lead_ = false;            // see dense_lead_update()
  Eigen::MatrixXd lead_dense_, lead_product_;   // q2 x b scratch of the dense mode
  mutable std::vector<int> positions_; // scratch: target positions of one update's rows
  int max_below_ = 0;                  // most rows below a supernode's columns
  mutable RowMatrix solve_buffer_, below_buffer_;   // scratch for the solves
  Eigen::VectorXd inverse_;           // the selected inverse, in values_'s layout
  double logdet2_ = 0;
  double needed_doubles_ = 0;
  bool needed_is_lower_bound_ = false;
  bool fits_ = true;
};

#endif
