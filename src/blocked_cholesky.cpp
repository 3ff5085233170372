// blocked_cholesky.cpp: the leading-block + supernodal Cholesky factor (see blocked_cholesky.h).
#include "blocked_cholesky.h"
#include "dense_kernels.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Rows below the diagonal of each column of the Cholesky factor of the symmetric pattern `adj`
// (neighbours per column, original numbering) taken in `order` (order[new] = original), sorted,
// in the new numbering; `parent` receives the elimination tree (-1 for roots). Gives up (returns
// an empty list) once more than `budget` rows are stored.
std::vector<std::vector<int> > factor_columns(const std::vector<std::vector<int> >& adj, const std::vector<int>& order,
                                              std::vector<int>& parent, double budget) {
  double stored = 0;
  const int n = order.size();
  std::vector<int> position(n), mark(n, -1);
  for (int k = 0; k < n; ++k) position[order[k]] = k;
  std::vector<std::vector<int> > cols(n), children(n);
  parent.assign(n, -1);
  for (int j = 0; j < n; ++j) {
    std::vector<int>& s = cols[j];
    mark[j] = j;
    for (int r : adj[order[j]]) {
      const int i = position[r];
      if (i > j && mark[i] != j) { mark[i] = j; s.push_back(i); }
    }
    for (int c : children[j])
      for (int i : cols[c])
        if (mark[i] != j) { mark[i] = j; s.push_back(i); }
    std::sort(s.begin(), s.end());
    stored += s.size();
    if (stored > budget) return std::vector<std::vector<int> >();
    if (j % 256 == 255) check_user_interrupt();
    if (!s.empty()) {
      parent[j] = s[0];
      children[s[0]].push_back(j);
    }
  }
  return cols;
}

// The number of entries below the diagonal of the Cholesky factor of the symmetric pattern `adj`
// taken in `order` (order[new] = original), without storing them: the elimination tree by
// Liu's algorithm (path compression), then each row's subtree walked once. O(nnz(L)) time, O(n)
// memory; stops counting beyond `cap` (then the count is a lower bound).
double count_factor_entries(const std::vector<std::vector<int> >& adj, const std::vector<int>& order, double cap) {
  const int n = order.size();
  std::vector<int> position(n), parent(n, -1), ancestor(n, -1), mark(n, -1);
  for (int k = 0; k < n; ++k) position[order[k]] = k;
  for (int j = 0; j < n; ++j) {
    for (int r : adj[order[j]]) {
      int i = position[r];
      if (i >= j) continue;
      while (ancestor[i] != -1 && ancestor[i] != j) {
        const int next = ancestor[i];
        ancestor[i] = j;
        i = next;
      }
      if (ancestor[i] == -1) {
        ancestor[i] = j;
        parent[i] = j;
      }
    }
  }
  double count = 0;
  for (int j = 0; j < n; ++j) {
    mark[j] = j;
    for (int r : adj[order[j]]) {
      for (int i = position[r]; i < j && mark[i] != j; i = parent[i]) {
        mark[i] = j;
        ++count;
      }
    }
    if (count > cap) return count;
    if (j % 1024 == 1023) check_user_interrupt();
  }
  return count;
}

// A postorder of the forest `parent` (children visited in increasing order): post[k] = node.
std::vector<int> postorder(const std::vector<int>& parent) {
  const int n = parent.size();
  std::vector<int> head(n, -1), next(n, -1), post, stack;
  for (int j = n - 1; j >= 0; --j)
    if (parent[j] >= 0) { next[j] = head[parent[j]]; head[parent[j]] = j; }
  post.reserve(n);
  for (int root = 0; root < n; ++root) {
    if (parent[root] != -1) continue;
    stack.push_back(root);
    while (!stack.empty()) {
      const int top = stack.back(), child = head[top];
      if (child == -1) { stack.pop_back(); post.push_back(top); }
      else { head[top] = next[child]; stack.push_back(child); }
    }
  }
  return post;
}

// Should a supernode of width w with `entries` stored and `nonzeros` true entries be accepted?
// (relaxed amalgamation: few explicit zeros buy larger dense blocks)
bool accept_merge(int w, double entries, double nonzeros) {
  const double zeros = (entries - nonzeros) / entries;
  return zeros <= 0 || w <= 4 || (w <= 16 && zeros < 0.8) || (w <= 48 && zeros < 0.1) || zeros < 0.05;
}

}  // namespace

BlockedCholesky::BlockedCholesky(const SpMat& A, int q1, int p1, double max_doubles)
    : q_(A.rows()), q1_(q1), q2_(A.rows() - q1), p1_(p1), nlev1_(q1 / p1) {
  if (!A.isCompressed()) engine_stop("internal error: the blocked Cholesky factor needs a compressed matrix");
  // rows of the rest touched by each leading level
  std::vector<std::vector<int> > level_rows(nlev1_);
  for (int c = 0; c < q1_; ++c)
    for (SpMat::InnerIterator it(A, c); it; ++it)
      if (it.row() >= q1_) level_rows[c / p1_].push_back(it.row() - q1_);
  for (auto& r : level_rows) {
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
  }
  analyze_rest(A, level_rows, max_doubles);
}

// Ordering, supernodes, panels, update lists and A's entry positions (the symbolic analysis).
void BlockedCholesky::analyze_rest(const SpMat& A, std::vector<std::vector<int> >& level_rows, double max_doubles) {
  // pattern of S = A22 - L21 L21': A22's plus a clique on the rows of each leading level
  std::vector<std::vector<int> > levels_of(q2_), adj(q2_);
  for (int k = 0; k < nlev1_; ++k)
    for (int r : level_rows[k]) levels_of[r].push_back(k);
  std::vector<int> mark(q2_, -1);
  for (int c = 0; c < q2_; ++c) {
    mark[c] = c;
    for (SpMat::InnerIterator it(A, q1_ + c); it; ++it) {
      const int r = it.row() - q1_;
      if (r >= 0 && mark[r] != c) { mark[r] = c; adj[c].push_back(r); }
    }
    for (int k : levels_of[c]) {
      if ((int)adj[c].size() == q2_ - 1) break;   // every other column already: S's column c is full
      for (int r : level_rows[k])
        if (mark[r] != c) { mark[r] = c; adj[c].push_back(r); }
    }
  }
  // approximate minimum degree order, then postordered so that supernodes are consecutive; when
  // S is (nearly) dense no order saves fill, and AMD's copies of a dense pattern would be the
  // analysis' peak memory (about 25 bytes per entry of S): the natural order then
  std::vector<int> order(q2_);
  double s_entries = 0;
  for (const std::vector<int>& a : adj) s_entries += a.size();
  const bool dense_rest = q2_ > 1 && s_entries >= 0.95 * (double)q2_ * (q2_ - 1);
  for (int k = 0; k < q2_; ++k) order[k] = k;
  if (q2_ > 0 && !dense_rest) {
    // S's pattern with its diagonal, built column by column (no triplets: a dense rest has q2^2
    // entries, and triplets with Eigen's sorting copies would triple the analysis' peak memory)
    SpMat pattern(q2_, q2_);
    {
      Eigen::VectorXi sizes(q2_);
      for (int c = 0; c < q2_; ++c) sizes[c] = adj[c].size() + 1;
      pattern.reserve(sizes);
      std::vector<int> column;
      for (int c = 0; c < q2_; ++c) {
        column.assign(adj[c].begin(), adj[c].end());
        column.push_back(c);
        std::sort(column.begin(), column.end());
        for (int r : column) pattern.insert(r, c) = 1.0;
      }
      pattern.makeCompressed();
    }
    Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> amd_inverse;
    Eigen::AMDOrdering<int>()(pattern, amd_inverse);
    for (int k = 0; k < q2_; ++k) order[k] = amd_inverse.indices()[k];
  }
  // the memory guard: the factor's size before any of it is stored
  double leading = (double)nlev1_ * p1_ * p1_;
  for (int k = 0; k < nlev1_; ++k) leading += (double)level_rows[k].size() * p1_;
  // counted on to 4 times the limit (at most 2e9 entries), so an error can say by how much it fails
  const double cap = std::min(4.0 * max_doubles, 2e9);
  const double rest = q2_ > 0 ? count_factor_entries(adj, order, cap) : 0.0;
  needed_doubles_ = leading + rest + q2_;
  needed_is_lower_bound_ = rest > cap;
  if (needed_doubles_ > max_doubles) { fits_ = false; return; }
  std::vector<int> parent;
  if (q2_ > 0 && factor_columns(adj, order, parent, max_doubles).empty()) { fits_ = false; return; }
  const std::vector<int> post = postorder(parent);
  std::vector<int> final_order(q2_);
  for (int k = 0; k < q2_; ++k) final_order[k] = order[post[k]];
  std::vector<std::vector<int> > cols = factor_columns(adj, final_order, parent, max_doubles);
  // S's pattern is not needed again: freed before the factor's storage is allocated
  std::vector<std::vector<int> >().swap(adj);
  std::vector<std::vector<int> >().swap(levels_of);
  perm_.assign(q2_, 0);
  for (int k = 0; k < q2_; ++k) perm_[final_order[k]] = k;
  // supernodes: chains j-1 -> j of the elimination tree, merged while accept_merge() agrees
  first_col_.clear();
  std::vector<int>& snode_of = snode_of_;
  snode_of.assign(q2_, 0);
  for (int f = 0, j = 1; j <= q2_; ++j) {
    bool merge = false;
    if (j < q2_ && parent[j - 1] == j) {
      const double w = j - f + 1, h = w + cols[j].size();
      double nonzeros = 0;
      for (int c = f; c <= j; ++c) nonzeros += cols[c].size() + 1.0;
      merge = accept_merge(w, w * h - w * (w - 1) / 2, nonzeros);
    }
    if (!merge) {
      first_col_.push_back(f);
      f = j;
    }
  }
  const int nsuper = first_col_.size();
  first_col_.push_back(q2_);
  // panels: leading levels (rows in the new numbering, sorted), then supernodes
  panels_.clear();
  rows_.clear();
  Index offset = (Index)nlev1_ * p1_ * p1_;
  for (int k = 0; k < nlev1_; ++k) {
    Panel pn = {offset, (int)level_rows[k].size(), p1_, (int)rows_.size(), 0};
    for (int r : level_rows[k]) rows_.push_back(perm_[r]);
    std::sort(rows_.begin() + pn.row_start, rows_.end());
    offset += (Index)pn.height * pn.width;
    panels_.push_back(pn);
  }
  for (int s = 0; s < nsuper; ++s) {
    const int f = first_col_[s], l = first_col_[s + 1] - 1, w = l - f + 1;
    Panel pn = {offset, w + (int)cols[l].size(), w, (int)rows_.size(), w};
    for (int c = f; c <= l; ++c) { rows_.push_back(c); snode_of[c] = s; }
    rows_.insert(rows_.end(), cols[l].begin(), cols[l].end());
    offset += (Index)pn.height * pn.width;
    panels_.push_back(pn);
  }
  std::vector<std::vector<int> >().swap(cols);
  std::vector<std::vector<int> >().swap(level_rows);
  if ((double)offset > max_doubles) {
    needed_doubles_ = offset;
    fits_ = false;
    return;
  }
  values_ = VectorXd::Zero(offset);
  // update lists: each panel's rows below its own columns, grouped by the supernode they fall in;
  // consecutive leading levels with the same rows (balanced crossed designs) update together, as
  // one wide panel, so that their updates are one large matrix product instead of many thin ones
  std::vector<std::vector<Update> > lists(nsuper);
  Index max_product = 0;
  lead_group_.assign(nlev1_, 0);
  for (int k = 0; k < nlev1_;) {
    const int* r = rows_.data() + panels_[k].row_start;
    int count = 1;
    while (k + count < nlev1_ && panels_[k + count].height == panels_[k].height &&
           std::equal(r, r + panels_[k].height, rows_.data() + panels_[k + count].row_start))
      ++count;
    lead_group_[k] = count;
    k += count;
  }
  // a leading level of one column that shares its rows with no other updates a supernode larger
  // than about 4 MB one target column at a time instead (see factorize()); a smaller one stays in
  // cache anyway and takes the level's outer product directly (measured: on InstEval, the
  // column-at-a-time route is no faster for its smaller supernodes)
  std::vector<std::vector<Update> > single_lists(nsuper);
  dense_lead_ = use_dense_lead(nsuper);
  auto large_target = [this](int s) {
    const Panel& t = panels_[nlev1_ + s];
    return 8.0 * t.height * t.width > 4194304.0;
  };
  for (int src = dense_lead_ ? nlev1_ : 0; src < (int)panels_.size();) {
    const Panel& pn = panels_[src];
    const int* r = rows_.data() + pn.row_start;
    const int count = src < nlev1_ ? lead_group_[src] : 1;
    const bool single = src < nlev1_ && single_column(src);
    for (int a = pn.below; a < pn.height;) {
      const int s = snode_of[r[a]];
      int b = a + 1;
      while (b < pn.height && snode_of[r[b]] == s) ++b;
      if (single && large_target(s)) {
        single_lists[s].push_back(Update{src, a, b, 1});
      } else {
        lists[s].push_back(Update{src, a, b, count});
        max_product = std::max(max_product, (Index)(pn.height - a) * (b - a));
      }
      a = b;
    }
    src += count;
  }
  update_start_.assign(1, 0);
  updates_.clear();
  single_start_.assign(1, 0);
  single_updates_.clear();
  for (int s = 0; s < nsuper; ++s) {
    updates_.insert(updates_.end(), lists[s].begin(), lists[s].end());
    update_start_.push_back(updates_.size());
    single_updates_.insert(single_updates_.end(), single_lists[s].begin(), single_lists[s].end());
    single_start_.push_back(single_updates_.size());
  }
  // the single updates by target column (counting sort: each column's hits in update order)
  single_hit_start_.assign(q2_ + 1, 0);
  for (const Update& up : single_updates_)
    for (int jj = up.begin; jj < up.end; ++jj) ++single_hit_start_[rows_[panels_[up.source].row_start + jj] + 1];
  for (int c = 0; c < q2_; ++c) single_hit_start_[c + 1] += single_hit_start_[c];
  single_hits_.resize(single_hit_start_[q2_]);
  {
    std::vector<int> next(single_hit_start_.begin(), single_hit_start_.end() - 1);
    for (int u = 0; u < (int)single_updates_.size(); ++u) {
      const Update& up = single_updates_[u];
      for (int jj = up.begin; jj < up.end; ++jj) single_hits_[next[rows_[panels_[up.source].row_start + jj]]++] = std::make_pair(u, jj);
    }
  }
  product_.resize(std::max<Index>(max_product, 1), 1);
  if (dense_lead_) {
    const int batch = std::min(nlev1_, 128);
    lead_dense_.resize(q2_, batch);
    lead_product_.resize(q2_, batch);
  }
  relative_.assign(q2_, 0);
  int max_height = 0;
  max_below_ = 0;
  for (const Panel& pn : panels_) {
    max_height = std::max(max_height, pn.height);
    if (pn.below > 0) max_below_ = std::max(max_below_, pn.height - pn.below);
  }
  positions_.assign(std::max(max_height, 1), 0);
  // where each stored entry of A goes: L11 blocks, leading panels (A21), supernodes (lower part of P A22 P')
  dest_.clear();
  dest_wide_.clear();
  if (values_.size() <= std::numeric_limits<int>::max()) dest_.assign(A.nonZeros(), -1);
  else dest_wide_.assign(A.nonZeros(), -1);
  auto position_in = [this](const Panel& pn, int row) {
    const int* r = rows_.data() + pn.row_start;
    return (int)(std::lower_bound(r, r + pn.height, row) - r);
  };
  for (int c = 0; c < q_; ++c) {
    for (SpMat::InnerIterator it(A, c); it; ++it) {
      const Index e = &it.value() - A.valuePtr();
      const int r = it.row();
      if (c < q1_) {
        const int k = c / p1_;
        if (r < q1_) {
          if (r / p1_ != k) engine_stop("internal error: the leading term's block of A is not block diagonal");
          set_dest(e, (Index)k * p1_ * p1_ + (r % p1_) + (Index)(c % p1_) * p1_);
        } else {
          const Panel& pn = panels_[k];
          set_dest(e, pn.offset + position_in(pn, perm_[r - q1_]) + (Index)(c % p1_) * pn.height);
        }
      } else if (r >= q1_) {
        const int pr = perm_[r - q1_], pc = perm_[c - q1_];
        if (pr < pc) continue;
        const Panel& pn = panels_[nlev1_ + snode_of[pc]];
        set_dest(e, pn.offset + position_in(pn, pr) + (Index)(pc - first_col_[snode_of[pc]]) * pn.height);
      }
    }
  }
}

// target -= (source rows [begin, height)) (source rows [begin, end))', on the lower triangle; the
// source is update.count panels side by side. A small product goes through product_; a large one
// onto rows that are consecutive in the numbering (so consecutive in the target too) goes straight
// into the target, only its lower triangle computed.
void BlockedCholesky::apply_update(const Panel& target, const Update& update) {
  const Panel& source = panels_[update.source];
  const int begin = update.begin, m = source.height - begin, k = update.end - begin, f = rows_[target.row_start];
  const int width = source.width * update.count;
  const int* r = rows_.data() + source.row_start + begin;
  double* t = values_.data() + target.offset;
  const Index ht = target.height;
  if (width == 1) {   // an outer product: no temporary
    int* pos = positions_.data();
    for (int ii = 0; ii < m; ++ii) pos[ii] = relative_[r[ii]];
    const double* x = values_.data() + source.offset + begin;
    for (int jj = 0; jj < k; ++jj) {
      double* col = t + (Index)(r[jj] - f) * ht;
      const double xj = x[jj];
      for (int ii = jj; ii < m; ++ii) col[pos[ii]] -= x[ii] * xj;
    }
    return;
  }
  const Eigen::Map<const MatrixXd> src(values_.data() + source.offset, source.height, width);
  const auto top = src.middleRows(begin, k);
  if ((double)m * k * width < 32768.0) {   // small: one product into product_ (no temporaries)
    int* pos = positions_.data();
    for (int ii = 0; ii < m; ++ii) pos[ii] = relative_[r[ii]];
    Eigen::Map<MatrixXd> U(product_.data(), m, k);
    U.noalias() = src.middleRows(begin, m) * top.transpose();
    for (int jj = 0; jj < k; ++jj) {
      double* col = t + (Index)(r[jj] - f) * ht;
      const double* u = U.data() + (Index)jj * m;
      for (int ii = jj; ii < m; ++ii) col[pos[ii]] -= u[ii];
    }
    return;
  }
  const double* top_data = src.data() + begin;   // the wide kernels' view of top and the rows below it
  const DenseKernels* wide = wide_kernels((double)m * k * width);
  if (r[m - 1] - r[0] == m - 1) {   // a contiguous block of the target
    Eigen::Map<MatrixXd, 0, Eigen::OuterStride<> > dest(t + relative_[r[0]] + (Index)(r[0] - f) * ht, m, k, Eigen::OuterStride<>(ht));
    if (wide) {
      wide->rank_update_lower(dest.data(), k, ht, top_data, width, source.height, -1.0);
      if (m > k) wide->product(dest.data() + k, m - k, k, ht, top_data + k, source.height, false, top_data, source.height, true, width, -1.0, 1.0);
      return;
    }
    dest.topRows(k).triangularView<Eigen::Lower>() -= top * top.transpose();
    if (m > k) dest.bottomRows(m - k).noalias() -= src.middleRows(begin + k, m - k) * top.transpose();
    return;
  }
  int* pos = positions_.data();
  for (int ii = 0; ii < m; ++ii) pos[ii] = relative_[r[ii]];
  Eigen::Map<MatrixXd> U(product_.data(), m, k);
  U.topRows(k).triangularView<Eigen::Lower>().setZero();
  if (wide) {
    wide->rank_update_lower(U.data(), k, m, top_data, width, source.height, 1.0);
    if (m > k) wide->product(U.data() + k, m - k, k, m, top_data + k, source.height, false, top_data, source.height, true, width, 1.0, 0.0);
  } else {
    U.topRows(k).triangularView<Eigen::Lower>() += top * top.transpose();
    if (m > k) U.bottomRows(m - k).noalias() = src.middleRows(begin + k, m - k) * top.transpose();
  }
  for (int jj = 0; jj < k; ++jj) {
    double* col = t + (Index)(r[jj] - f) * ht;
    const double* u = U.data() + (Index)jj * m;
    for (int ii = jj; ii < m; ++ii) col[pos[ii]] -= u[ii];
  }
}

// Dense mode for this analysis? Scalar leading levels, a rest that is one supernode without rows
// below it (dense), and enough work that dense products pay: the levels' outer products fill at
// least a fifth of what the dense rank updates compute (sum m_k^2 >= nlev1 q2^2 / 5, m_k a level's
// rows in the rest) and that is at least 10^5 entries, so small models keep the per-level route.
// Measured on 1000 x nb crossed Poisson fits (100 rows a level): whole fits 22% faster at nb = 100
// (the ratio 0.40), 7% at nb = 150 (0.24), 2% slower at nb = 200 (0.16), 70% slower at nb = 500.
bool BlockedCholesky::use_dense_lead(int nsuper) const {
  if (p1_ != 1 || nsuper != 1 || q2_ == 0 || nlev1_ < 2) return false;
  const Panel& rest = panels_[nlev1_];
  if (rest.height != rest.width) return false;
  double sparse = 0;
  for (int k = 0; k < nlev1_; ++k) sparse += (double)panels_[k].height * panels_[k].height;
  const double dense = (double)nlev1_ * q2_ * q2_;
  return dense >= 1e5 && sparse >= 0.2 * dense;
}

// The panels of leading levels k0 .. k0 + b - 1 as the b columns of lead_dense_ (rows in the
// rest's numbering, zeros off the levels' rows), each divided by its L11 entry when `per_l11`.
void BlockedCholesky::scatter_levels(int k0, int b, bool per_l11) {
  const int f = rows_[panels_[nlev1_].row_start];
  auto X = lead_dense_.leftCols(b);
  X.setZero();
  for (int j = 0; j < b; ++j) {
    const Panel& src = panels_[k0 + j];
    const int* r = rows_.data() + src.row_start;
    const double* x = values_.data() + src.offset;
    const double l = per_l11 ? values_[k0 + j] : 1.0;
    for (int t = 0; t < src.height; ++t) X(r[t] - f, j) = per_l11 ? x[t] / l : x[t];
  }
}

// The leading levels' updates of the dense rest T: T -= X X' (lower triangle), X the q2 x b
// matrix of b levels' panels (scatter_levels()), 128 levels at a time.
void BlockedCholesky::dense_lead_update(const Panel& target) {
  Eigen::Map<MatrixXd> T(values_.data() + target.offset, target.height, target.width);
  for (int k0 = 0; k0 < nlev1_; k0 += lead_dense_.cols()) {
    const int b = std::min<int>(lead_dense_.cols(), nlev1_ - k0);
    scatter_levels(k0, b, false);
    if (const DenseKernels* wide = wide_kernels((double)target.height * target.height * b)) {
      wide->rank_update_lower(T.data(), target.height, target.height, lead_dense_.data(), b, lead_dense_.rows(), -1.0);
    } else {
      T.selfadjointView<Eigen::Lower>().rankUpdate(lead_dense_.leftCols(b), -1.0);
    }
  }
}

// The leading levels' entries of the selected inverse in dense mode: with y_k = L_RJ / l_k (on the
// level's rows R), S_RJ = -(S y_k)_R and S_JJ = 1 / l_k^2 + y_k' (S y_k)_R, S the rest's (full,
// symmetric) inverse block, for 128 levels at a time by one dense product.
void BlockedCholesky::dense_lead_inverse() {
  const Panel& target = panels_[nlev1_];
  const int f = rows_[target.row_start];
  Eigen::Map<const MatrixXd> S(inverse_.data() + target.offset, target.height, target.width);
  for (int k0 = 0; k0 < nlev1_; k0 += lead_dense_.cols()) {
    const int b = std::min<int>(lead_dense_.cols(), nlev1_ - k0);
    scatter_levels(k0, b, true);
    const auto Y = lead_dense_.leftCols(b);
    auto Z = lead_product_.leftCols(b);
    if (const DenseKernels* wide = wide_kernels(2.0 * S.rows() * S.cols() * b)) {
      wide->product(Z.data(), S.rows(), b, lead_product_.rows(), S.data(), S.rows(), false, Y.data(), lead_dense_.rows(), false,
                    S.cols(), 1.0, 0.0);
    } else {
      Z.noalias() = S * Y;
    }
    for (int j = 0; j < b; ++j) {
      const Panel& src = panels_[k0 + j];
      const int* r = rows_.data() + src.row_start;
      const double l = values_[k0 + j];
      double* Srj = inverse_.data() + src.offset;
      double quad = 0;
      for (int t = 0; t < src.height; ++t) {
        const double z = Z(r[t] - f, j);
        Srj[t] = -z;
        quad += Y(r[t] - f, j) * z;
      }
      inverse_[k0 + j] = 1.0 / (l * l) + quad;
    }
  }
}

template <class Place>
void BlockedCholesky::scatter_A(const std::vector<Place>& dest, const double* av) {
  values_.setZero();
  double* v = values_.data();
  for (std::size_t e = 0; e < dest.size(); ++e)
    if (dest[e] >= 0) v[dest[e]] += av[e];
}

bool BlockedCholesky::factorize(const SpMat& A) {
  if (A.nonZeros() != (Index)(dest_.size() + dest_wide_.size())) engine_stop("internal error: A's pattern changed after its analysis");
  if (dest_wide_.empty()) scatter_A(dest_, A.valuePtr());
  else scatter_A(dest_wide_, A.valuePtr());
  logdet2_ = 0;
  // leading levels: L11 block, then the panel A21 L11^{-T}
  for (int k = 0; k < nlev1_; ++k) {
    Eigen::Map<MatrixXd> Lk(values_.data() + (Index)k * p1_ * p1_, p1_, p1_);
    auto W = block(panels_[k]);
    if (p1_ == 1) {
      if (!(Lk(0, 0) > 0)) return false;
      const double l = std::sqrt(Lk(0, 0));
      Lk(0, 0) = l;
      W /= l;
      logdet2_ += 2.0 * std::log(l);
      continue;
    }
    Eigen::Ref<MatrixXd> Lref(Lk);
    Eigen::LLT<Eigen::Ref<MatrixXd> > llt(Lref);
    if (llt.info() != Eigen::Success) return false;
    Lk.triangularView<Eigen::StrictlyUpper>().setZero();
    auto Wt = W.transpose();   // W <- W L11^{-T}
    Lk.triangularView<Eigen::Lower>().solveInPlace(Wt);
    logdet2_ += 2.0 * Lk.diagonal().array().log().sum();
  }
  // supernodes, left-looking: gather the updates of the panels below, then factor the block
  const int nsuper = first_col_.size() - 1;
  for (int s = 0; s < nsuper; ++s) {
    const Panel& pn = panels_[nlev1_ + s];
    for (int t = 0; t < pn.height; ++t) relative_[rows_[pn.row_start + t]] = t;
    for (int u = update_start_[s]; u < update_start_[s + 1]; ++u) apply_update(pn, updates_[u]);
    if (dense_lead_) dense_lead_update(pn);
    // one-column leading levels x_k: each column j of the supernode gets -x_k[rows at or below j]
    // x_k[j] from every level k that has row j, one column at a time (the column stays in cache
    // while the levels' short panels stream by, instead of every level's update scattering over
    // all of the supernode)
    if (single_start_[s] < single_start_[s + 1]) {
      double* t = values_.data() + pn.offset;
      const int f = first_col_[s];
      const bool no_rows_below = pn.height == pn.width;   // then a row's place is row - f
      for (int c = f; c < first_col_[s + 1]; ++c) {
        double* col = t + (Index)(c - f) * pn.height;
        for (int e = single_hit_start_[c]; e < single_hit_start_[c + 1]; ++e) {
          const Panel& src = panels_[single_updates_[single_hits_[e].first].source];
          const int* r = rows_.data() + src.row_start;
          const double* x = values_.data() + src.offset;
          const int jj = single_hits_[e].second, m = src.height;
          const double xj = x[jj];
          if (no_rows_below) {
            for (int ii = jj; ii < m; ++ii) col[r[ii] - f] -= x[ii] * xj;
          } else {
            for (int ii = jj; ii < m; ++ii) col[relative_[r[ii]]] -= x[ii] * xj;
          }
        }
      }
    }
    auto B = block(pn);
    Eigen::Ref<MatrixXd> D(B.topRows(pn.width));
    const double w = pn.width, nb = pn.height - pn.width;
    if (const DenseKernels* wide = wide_kernels(w * w * w / 3.0)) {
      if (!wide->cholesky_lower(B.data(), pn.width, pn.height)) return false;
    } else {
      Eigen::LLT<Eigen::Ref<MatrixXd> > llt(D);
      if (llt.info() != Eigen::Success) return false;
    }
    logdet2_ += 2.0 * D.diagonal().array().log().sum();
    if (nb > 0) {
      if (const DenseKernels* wide = wide_kernels(nb * w * w)) {
        wide->solve_right_lower_transpose(B.data(), pn.width, pn.height, B.data() + pn.width, pn.height - pn.width, pn.height);
      } else {
        auto below = B.bottomRows(pn.height - pn.width);
        auto below_t = below.transpose();   // below <- below D^{-T}
        D.triangularView<Eigen::Lower>().solveInPlace(below_t);
      }
    }
  }
  return std::isfinite(logdet2_);
}

void BlockedCholesky::solve_L(MatrixXd& B) const {
  const int m = B.cols();
  for (int k = 0; k < nlev1_; ++k) {
    Eigen::Map<const MatrixXd> Lk(values_.data() + (Index)k * p1_ * p1_, p1_, p1_);
    auto Bk = B.middleRows((Index)k * p1_, p1_);
    if (p1_ == 1) Bk /= Lk(0, 0);
    else Lk.triangularView<Eigen::Lower>().solveInPlace(Bk);
  }
  if (q2_ == 0) return;
  RowMatrix& X = solve_buffer_;   // the rest, in the factor's order, one contiguous row per column of A
  X.resize(q2_, m);
  for (int c = 0; c < q2_; ++c) X.row(perm_[c]) = B.row(q1_ + c);
  std::vector<double> lead(m);
  for (int k = 0; k < nlev1_; ++k) {   // X[rows of level k] -= L21_k B1_k
    const Panel& pn = panels_[k];
    const double* W = values_.data() + pn.offset;
    for (int a = 0; a < p1_; ++a) {
      for (int c = 0; c < m; ++c) lead[c] = B((Index)k * p1_ + a, c);
      for (int t = 0; t < pn.height; ++t) {
        double* x = X.data() + (Index)rows_[pn.row_start + t] * m;
        const double w = W[t + (Index)a * pn.height];
        for (int c = 0; c < m; ++c) x[c] -= w * lead[c];
      }
    }
  }
  below_buffer_.resize(max_below_, m);
  const int nsuper = first_col_.size() - 1;
  for (int s = 0; s < nsuper; ++s) {
    const Panel& pn = panels_[nlev1_ + s];
    const auto L = block(pn);
    auto Xs = X.middleRows(first_col_[s], pn.width);
    L.topRows(pn.width).triangularView<Eigen::Lower>().solveInPlace(Xs);
    const int nb = pn.height - pn.width;
    if (nb == 0) continue;
    auto P = below_buffer_.topRows(nb);
    P.noalias() = L.bottomRows(nb) * Xs;
    for (int t = 0; t < nb; ++t) {
      double* x = X.data() + (Index)rows_[pn.row_start + pn.width + t] * m;
      const double* pr = P.data() + (Index)t * m;
      for (int c = 0; c < m; ++c) x[c] -= pr[c];
    }
  }
  B.bottomRows(q2_) = X;
}

void BlockedCholesky::solve_Lt(VectorXd& v) const {
  if (q2_ > 0) {
    VectorXd x = v.tail(q2_), gathered(std::max(max_below_, 1));   // v's rest is in the factor's order
    for (int s = (int)first_col_.size() - 2; s >= 0; --s) {
      const Panel& pn = panels_[nlev1_ + s];
      const auto L = block(pn);
      auto xs = x.segment(first_col_[s], pn.width);
      const int nb = pn.height - pn.width;
      if (nb > 0) {
        for (int t = 0; t < nb; ++t) gathered[t] = x[rows_[pn.row_start + pn.width + t]];
        xs.noalias() -= L.bottomRows(nb).transpose() * gathered.head(nb);
      }
      L.topRows(pn.width).transpose().triangularView<Eigen::Upper>().solveInPlace(xs);
    }
    for (int k = 0; k < nlev1_; ++k) {   // v1_k -= L21_k' x[rows of level k]
      const Panel& pn = panels_[k];
      const double* W = values_.data() + pn.offset;
      for (int a = 0; a < p1_; ++a) {
        double sum = 0;
        for (int t = 0; t < pn.height; ++t) sum += W[t + (Index)a * pn.height] * x[rows_[pn.row_start + t]];
        v[(Index)k * p1_ + a] -= sum;
      }
    }
    for (int c = 0; c < q2_; ++c) v[q1_ + c] = x[perm_[c]];
  }
  for (int k = 0; k < nlev1_; ++k) {
    Eigen::Map<const MatrixXd> Lk(values_.data() + (Index)k * p1_ * p1_, p1_, p1_);
    auto vk = v.segment((Index)k * p1_, p1_);
    if (p1_ == 1) vk /= Lk(0, 0);
    else Lk.transpose().triangularView<Eigen::Upper>().solveInPlace(vk);
  }
}

int BlockedCholesky::row_position(const Panel& pn, int row) const {
  const int* r = rows_.data() + pn.row_start;
  const int* hit = std::lower_bound(r, r + pn.height, row);
  return (hit == r + pn.height || *hit != row) ? -1 : (int)(hit - r);
}

void BlockedCholesky::gather_inverse(int first, int m, MatrixXd& out) const {
  out.resize(m, m);
  const int* R = rows_.data() + first;
  if (m > 0 && snode_of_[R[0]] == snode_of_[R[m - 1]]) {   // all among one supernode's columns: its full diagonal block
    const Panel& pn = panels_[nlev1_ + snode_of_[R[0]]];
    const int f = rows_[pn.row_start];
    const double* S = inverse_.data() + pn.offset;
    for (int t = 0; t < m; ++t) {
      const double* col = S + (Index)(R[t] - f) * pn.height;
      for (int u = t; u < m; ++u) out(u, t) = out(t, u) = col[R[u] - f];
    }
    return;
  }
  for (int t = 0; t < m; ++t) {
    const int c = R[t], s = snode_of_[c];
    const Panel& pn = panels_[nlev1_ + s];
    const int* prow = rows_.data() + pn.row_start;
    const double* col = inverse_.data() + pn.offset + (Index)(c - first_col_[s]) * pn.height;
    int pos = c - first_col_[s];   // the column's own row: its columns come first, sorted
    for (int u = t; u < m; ++u) {
      while (pos < pn.height && prow[pos] < R[u]) ++pos;
      const double v = (pos < pn.height && prow[pos] == R[u]) ? col[pos] : NAN;   // a clique: always found
      out(u, t) = out(t, u) = v;
    }
  }
}

namespace {

// M <- M^{-1} for a lower-triangular M (its strict upper part left 0), by halves:
// [A 0; B C]^{-1} = [A^{-1} 0; -C^{-1} B A^{-1}  C^{-1}] (about w^3 / 3 flops).
void invert_lower(Eigen::Ref<MatrixXd> M) {
  const Index w = M.rows();
  if (w <= 48) {
    MatrixXd inverse = MatrixXd::Identity(w, w);
    M.triangularView<Eigen::Lower>().solveInPlace(inverse);
    M = inverse.triangularView<Eigen::Lower>();
    return;
  }
  const Index h = w / 2;
  invert_lower(M.topLeftCorner(h, h));
  invert_lower(M.bottomRightCorner(w - h, w - h));
  const MatrixXd BA = M.bottomLeftCorner(w - h, h) * M.topLeftCorner(h, h).triangularView<Eigen::Lower>();
  M.bottomLeftCorner(w - h, h).noalias() = -(M.bottomRightCorner(w - h, w - h).triangularView<Eigen::Lower>() * BA);
}

}  // namespace

bool BlockedCholesky::compute_inverse() {
  inverse_.resize(values_.size());
  MatrixXd Srr, Y, Dinv;
  const int nsuper = first_col_.size() - 1;
  // one panel: its block D (w x w, lower), rows below B (nb x w) on the sorted rest rows at `first`
  auto invert_panel = [&](const double* D_data, Index ld, int w, const double* B_data, Index ldb, int nb, int first,
                          double* S_diag, Index lds, double* S_below, Index ldsb) {
    Eigen::Map<const MatrixXd, 0, Eigen::OuterStride<> > D(D_data, w, w, Eigen::OuterStride<>(ld));
    Dinv = D.triangularView<Eigen::Lower>();
    invert_lower(Dinv);
    Eigen::Map<MatrixXd, 0, Eigen::OuterStride<> > Sjj(S_diag, w, w, Eigen::OuterStride<>(lds));
    // large blocks: the wide kernels' general products (Dinv's strict upper triangle is zero)
    const DenseKernels* wide = wide_kernels(2.0 * w * w * w);
    if (wide) wide->product(S_diag, w, w, lds, Dinv.data(), w, true, Dinv.data(), w, false, w, 1.0, 0.0);
    else Sjj.noalias() = Dinv.transpose().triangularView<Eigen::Upper>() * Dinv;   // (D D')^{-1}
    if (nb == 0) return;
    Eigen::Map<const MatrixXd, 0, Eigen::OuterStride<> > B(B_data, nb, w, Eigen::OuterStride<>(ldb));
    wide = wide_kernels(2.0 * nb * w * w);
    if (wide) {
      Y.resize(nb, w);
      wide->product(Y.data(), nb, w, nb, B_data, ldb, false, Dinv.data(), w, false, w, 1.0, 0.0);
    } else {
      Y.noalias() = B * Dinv.triangularView<Eigen::Lower>();
    }
    gather_inverse(first, nb, Srr);
    Eigen::Map<MatrixXd, 0, Eigen::OuterStride<> > Srj(S_below, nb, w, Eigen::OuterStride<>(ldsb));
    wide = wide_kernels(2.0 * nb * nb * w);
    if (wide) {
      wide->product(S_below, nb, w, ldsb, Srr.data(), nb, false, Y.data(), nb, false, nb, -1.0, 0.0);
      wide->product(S_diag, w, w, lds, Y.data(), nb, true, S_below, ldsb, false, nb, -1.0, 1.0);
    } else {
      Srj.noalias() = -Srr * Y;
      Sjj.noalias() -= Y.transpose() * Srj;
    }
  };
  for (int s = nsuper - 1; s >= 0; --s) {
    const Panel& pn = panels_[nlev1_ + s];
    const double* L = values_.data() + pn.offset;
    double* S = inverse_.data() + pn.offset;
    invert_panel(L, pn.height, pn.width, L + pn.width, pn.height, pn.height - pn.width, pn.row_start + pn.width,
                 S, pn.height, S + pn.width, pn.height);
  }
  if (dense_lead_) {
    dense_lead_inverse();
    return inverse_.allFinite();
  }
  std::vector<double> y;
  for (int k = 0; k < nlev1_; ++k) {
    const Panel& pn = panels_[k];
    const Index lead = (Index)k * p1_ * p1_;
    const int m = pn.height;
    const int* R = rows_.data() + pn.row_start;
    if (p1_ == 1 && m > 0 && snode_of_[R[0]] == snode_of_[R[m - 1]]) {
      // a scalar level whose rows lie in one supernode: S_RJ = -S_RR y read in place, y = L_RJ / l
      const Panel& target = panels_[nlev1_ + snode_of_[R[0]]];
      const int f = rows_[target.row_start];
      const double* S = inverse_.data() + target.offset;
      const double l = values_[lead], *W = values_.data() + pn.offset;
      double* Srj = inverse_.data() + pn.offset;
      y.resize(m);
      for (int t = 0; t < m; ++t) y[t] = W[t] / l;
      double quad = 0;
      for (int u = 0; u < m; ++u) {
        const double* col = S + (Index)(R[u] - f) * target.height;   // column R[u] of the symmetric block
        double acc = 0;
        for (int t = 0; t < m; ++t) acc += col[R[t] - f] * y[t];
        Srj[u] = -acc;
        quad += y[u] * acc;
      }
      inverse_[lead] = 1.0 / (l * l) + quad;
      continue;
    }
    invert_panel(values_.data() + lead, p1_, p1_, values_.data() + pn.offset, pn.height, pn.height, pn.row_start,
                 inverse_.data() + lead, p1_, inverse_.data() + pn.offset, pn.height);
  }
  return inverse_.allFinite();
}

Index BlockedCholesky::inverse_position(int r, int c) const {
  if (r < q1_ && c < q1_) {
    if (r / p1_ != c / p1_) return -1;
    return (Index)(r / p1_) * p1_ * p1_ + (r % p1_) + (Index)(c % p1_) * p1_;
  }
  if (r < q1_ || c < q1_) {
    const int lead = std::min(r, c), other = std::max(r, c);
    const Panel& pn = panels_[lead / p1_];
    const int pos = row_position(pn, perm_[other - q1_]);
    return pos < 0 ? -1 : pn.offset + pos + (Index)(lead % p1_) * pn.height;
  }
  int pr = perm_[r - q1_], pc = perm_[c - q1_];
  if (pr < pc) std::swap(pr, pc);
  const int s = snode_of_[pc];
  const Panel& pn = panels_[nlev1_ + s];
  const int pos = row_position(pn, pr);
  return pos < 0 ? -1 : pn.offset + pos + (Index)(pc - first_col_[s]) * pn.height;
}
