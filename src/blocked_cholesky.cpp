// blocked_cholesky.cpp: the leading-block + supernodal Cholesky factor (see blocked_cholesky.h).
#include "blocked_cholesky.h"
#include <algorithm>
#include <cmath>

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
    if (j % 256 == 255) Rcpp::checkUserInterrupt();
    if (!s.empty()) {
      parent[j] = s[0];
      children[s[0]].push_back(j);
    }
  }
  return cols;
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
  if (!A.isCompressed()) Rcpp::stop("internal error: the blocked Cholesky factor needs a compressed matrix");
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
    for (int k : levels_of[c])
      for (int r : level_rows[k])
        if (mark[r] != c) { mark[r] = c; adj[c].push_back(r); }
  }
  // approximate minimum degree order, then postordered so that supernodes are consecutive
  std::vector<int> order(q2_);
  if (q2_ > 0) {
    std::vector<Eigen::Triplet<double> > t;
    for (int c = 0; c < q2_; ++c)
      for (int r : adj[c]) t.push_back(Eigen::Triplet<double>(r, c, 1.0));
    for (int c = 0; c < q2_; ++c) t.push_back(Eigen::Triplet<double>(c, c, 1.0));
    SpMat pattern(q2_, q2_);
    pattern.setFromTriplets(t.begin(), t.end());
    Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> amd_inverse;
    Eigen::AMDOrdering<int>()(pattern, amd_inverse);
    for (int k = 0; k < q2_; ++k) order[k] = amd_inverse.indices()[k];
  }
  std::vector<int> parent;
  if (q2_ > 0 && factor_columns(adj, order, parent, max_doubles).empty()) { fits_ = false; return; }
  const std::vector<int> post = postorder(parent);
  std::vector<int> final_order(q2_);
  for (int k = 0; k < q2_; ++k) final_order[k] = order[post[k]];
  const std::vector<std::vector<int> > cols = factor_columns(adj, final_order, parent, max_doubles);
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
  if ((double)offset > max_doubles) { fits_ = false; return; }
  values_ = VectorXd::Zero(offset);
  // update lists: each panel's rows below its own columns, grouped by the supernode they fall in;
  // consecutive leading levels with the same rows (balanced crossed designs) update together, as
  // one wide panel, so that their updates are one large matrix product instead of many thin ones
  std::vector<std::vector<Update> > lists(nsuper);
  Index max_product = 0;
  lead_group_.assign(nlev1_, 0);
  // a leading level of one column that shares its rows with no other updates column by column
  // instead (see factorize()): here, per column of the rest, the levels touching it
  std::vector<std::vector<std::pair<int, int> > > lead_by_col(q2_);
  for (int src = 0; src < (int)panels_.size();) {
    const Panel& pn = panels_[src];
    const int* r = rows_.data() + pn.row_start;
    int count = 1;
    if (src < nlev1_) {
      while (src + count < nlev1_ && panels_[src + count].height == pn.height &&
             std::equal(r, r + pn.height, rows_.data() + panels_[src + count].row_start))
        ++count;
      lead_group_[src] = count;
      if (count == 1 && pn.width == 1) {
        for (int a = 0; a < pn.height; ++a) lead_by_col[r[a]].push_back(std::make_pair(src, a));
        ++src;
        continue;
      }
    }
    for (int a = pn.below; a < pn.height;) {
      const int s = snode_of[r[a]];
      int b = a + 1;
      while (b < pn.height && snode_of[r[b]] == s) ++b;
      lists[s].push_back(Update{src, a, b, count});
      max_product = std::max(max_product, (Index)(pn.height - a) * (b - a));
      a = b;
    }
    src += count;
  }
  update_start_.assign(1, 0);
  updates_.clear();
  for (int s = 0; s < nsuper; ++s) {
    updates_.insert(updates_.end(), lists[s].begin(), lists[s].end());
    update_start_.push_back(updates_.size());
  }
  product_.resize(std::max<Index>(max_product, 1), 1);
  lead_col_start_.assign(1, 0);
  lead_col_level_.clear();
  lead_col_position_.clear();
  for (int c = 0; c < q2_; ++c) {
    for (const std::pair<int, int>& lp : lead_by_col[c]) {
      lead_col_level_.push_back(lp.first);
      lead_col_position_.push_back(lp.second);
    }
    lead_col_start_.push_back(lead_col_level_.size());
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
  dest_.assign(A.nonZeros(), -1);
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
          if (r / p1_ != k) Rcpp::stop("internal error: the leading term's block of A is not block diagonal");
          dest_[e] = (Index)k * p1_ * p1_ + (r % p1_) + (Index)(c % p1_) * p1_;
        } else {
          const Panel& pn = panels_[k];
          dest_[e] = pn.offset + position_in(pn, perm_[r - q1_]) + (Index)(c % p1_) * pn.height;
        }
      } else if (r >= q1_) {
        const int pr = perm_[r - q1_], pc = perm_[c - q1_];
        if (pr < pc) continue;
        const Panel& pn = panels_[nlev1_ + snode_of[pc]];
        dest_[e] = pn.offset + position_in(pn, pr) + (Index)(pc - first_col_[snode_of[pc]]) * pn.height;
      }
    }
  }
}

// target -= (source rows [begin, height)) (source rows [begin, end))', on the lower triangle; the
// source is update.count panels side by side. Rows that are consecutive in the numbering are
// consecutive in the target too: then the product goes straight into it, else through product_.
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
  if (r[m - 1] - r[0] == m - 1) {   // a contiguous block of the target
    Eigen::Map<MatrixXd, 0, Eigen::OuterStride<> > dest(t + relative_[r[0]] + (Index)(r[0] - f) * ht, m, k, Eigen::OuterStride<>(ht));
    dest.topRows(k).triangularView<Eigen::Lower>() -= top * top.transpose();
    if (m > k) dest.bottomRows(m - k).noalias() -= src.middleRows(begin + k, m - k) * top.transpose();
    return;
  }
  int* pos = positions_.data();
  for (int ii = 0; ii < m; ++ii) pos[ii] = relative_[r[ii]];
  Eigen::Map<MatrixXd> U(product_.data(), m, k);
  U.topRows(k).triangularView<Eigen::Lower>().setZero();
  U.topRows(k).triangularView<Eigen::Lower>() += top * top.transpose();
  if (m > k) U.bottomRows(m - k).noalias() = src.middleRows(begin + k, m - k) * top.transpose();
  for (int jj = 0; jj < k; ++jj) {
    double* col = t + (Index)(r[jj] - f) * ht;
    const double* u = U.data() + (Index)jj * m;
    for (int ii = jj; ii < m; ++ii) col[pos[ii]] -= u[ii];
  }
}

bool BlockedCholesky::factorize(const SpMat& A) {
  if (A.nonZeros() != (Index)dest_.size()) Rcpp::stop("internal error: A's pattern changed after its analysis");
  values_.setZero();
  const double* av = A.valuePtr();
  for (std::size_t e = 0; e < dest_.size(); ++e)
    if (dest_[e] >= 0) values_[dest_[e]] += av[e];
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
    // one-column leading levels, column by column: column j of the supernode gets
    // -x_k[rows at or below j] x_k[j] from each level k whose rows include j (the column stays in
    // cache while its levels' short panels stream by, instead of every level visiting every column)
    double* t = values_.data() + pn.offset;
    for (int j = first_col_[s]; j < first_col_[s + 1]; ++j) {
      double* col = t + (Index)(j - first_col_[s]) * pn.height;
      for (int e = lead_col_start_[j]; e < lead_col_start_[j + 1]; ++e) {
        const Panel& src = panels_[lead_col_level_[e]];
        const double* x = values_.data() + src.offset;
        const int* r = rows_.data() + src.row_start;
        const int a = lead_col_position_[e];
        const double xj = x[a];
        for (int ii = a; ii < src.height; ++ii) col[relative_[r[ii]]] -= x[ii] * xj;
      }
    }
    auto B = block(pn);
    Eigen::Ref<MatrixXd> D(B.topRows(pn.width));
    Eigen::LLT<Eigen::Ref<MatrixXd> > llt(D);
    if (llt.info() != Eigen::Success) return false;
    logdet2_ += 2.0 * D.diagonal().array().log().sum();
    if (pn.height > pn.width) {
      auto below = B.bottomRows(pn.height - pn.width);
      auto below_t = below.transpose();   // below <- below D^{-T}
      D.triangularView<Eigen::Lower>().solveInPlace(below_t);
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

// Takahashi's recurrences for the factor's panels. With a supernode's block of L split into its
// diagonal block D (w x w) and the rows below, B, on the rest rows R (a clique, all later):
//   Z_RJ = -Z_RR B D^{-1},   Z_JJ = D^{-T} D^{-1} - (B D^{-1})' Z_RJ,
// where Z_RR is already known. The leading levels follow the same recurrence with D = L11_k and
// B = their panel; levels that share their rows do so in one product.
void BlockedCholesky::invert() {
  const int kChunk = 64;
  inverse_.resize(values_.size());
  MatrixXd Zrr, X, Dinv, F;
  for (int s = (int)first_col_.size() - 2; s >= 0; --s) {
    // the supernode's whole h x h block of Z in F (lower triangle): Z_RR gathered, then its own
    // columns in chunks from the last, each by the recurrence with everything below it known
    // (a wide supernode then costs about h^3 / 3, not a dense inverse of its diagonal block)
    const Panel& pn = panels_[nlev1_ + s];
    const int h = pn.height, w = pn.width, nb = h - w;
    const auto L = block(pn);
    F.resize(h, h);
    if (nb > 0) gather_inverse(rows_.data() + pn.row_start + w, nb, F.bottomRightCorner(nb, nb));
    for (int c1 = w; c1 > 0;) {
      const int c0 = std::max(0, c1 - kChunk), b = c1 - c0, m = h - c1;
      Dinv.setIdentity(b, b);
      L.block(c0, c0, b, b).triangularView<Eigen::Lower>().solveInPlace(Dinv);
      F.block(c0, c0, b, b).noalias() = Dinv.transpose() * Dinv;
      if (m > 0) {
        X.noalias() = L.block(c1, c0, m, b) * Dinv.triangularView<Eigen::Lower>();
        F.block(c1, c0, m, b).noalias() = -(F.bottomRightCorner(m, m).selfadjointView<Eigen::Lower>() * X);
        F.block(c0, c0, b, b).noalias() -= X.transpose() * F.block(c1, c0, m, b);
      }
      c1 = c0;
    }
    Eigen::Map<MatrixXd>(inverse_.data() + pn.offset, h, w) = F.leftCols(w);
    if (s % 64 == 63) Rcpp::checkUserInterrupt();
  }
  invert_single_columns();
  for (int k = 0; k < nlev1_; k += std::max(lead_group_[k], 1)) {
    const int count = std::max(lead_group_[k], 1);
    if (single_column(k)) continue;
    const Panel& pn = panels_[k];
    const int h = pn.height;
    X.resize(h, (Index)p1_ * count);
    std::vector<MatrixXd> dinv(count);
    for (int l = 0; l < count; ++l) {
      Eigen::Map<const MatrixXd> Lk(values_.data() + (Index)(k + l) * p1_ * p1_, p1_, p1_);
      dinv[l].setIdentity(p1_, p1_);
      Lk.triangularView<Eigen::Lower>().solveInPlace(dinv[l]);
      if (h > 0) X.middleCols((Index)l * p1_, p1_).noalias() = block(panels_[k + l]) * dinv[l].triangularView<Eigen::Lower>();
    }
    Eigen::Map<MatrixXd> Z(inverse_.data() + pn.offset, h, (Index)p1_ * count);   // the group's panels, side by side
    if (h > 0) {
      Zrr.resize(h, h);
      gather_inverse(rows_.data() + pn.row_start, h, Zrr);
      Z.noalias() = -(Zrr.selfadjointView<Eigen::Lower>() * X);
    }
    for (int l = 0; l < count; ++l) {
      Eigen::Map<MatrixXd> Zkk(inverse_.data() + (Index)(k + l) * p1_ * p1_, p1_, p1_);
      Zkk.noalias() = dinv[l].transpose() * dinv[l];
      if (h > 0) Zkk.noalias() -= X.middleCols((Index)l * p1_, p1_).transpose() * Z.middleCols((Index)l * p1_, p1_);
    }
    if (k % 256 == 255) Rcpp::checkUserInterrupt();
  }
}

// The one-column leading levels that factorize() updates column by column: with x_k = W_k / l_k,
// Z21_k = -Z_RR x_k and Z11_k = 1 / l_k^2 - x_k' Z21_k. Z_RR x_k is accumulated the same way, one
// column j of the rest at a time (its column of Z in cache): rows at or below j from the column,
// and row j itself from the same entries by symmetry.
void BlockedCholesky::invert_single_columns() {
  if (lead_col_level_.empty()) return;
  for (int k = 0; k < nlev1_; ++k)
    if (single_column(k)) Eigen::Map<VectorXd>(inverse_.data() + panels_[k].offset, panels_[k].height).setZero();
  for (int s = 0; s < (int)first_col_.size() - 1; ++s) {
    const Panel& pn = panels_[nlev1_ + s];
    for (int t = 0; t < pn.height; ++t) relative_[rows_[pn.row_start + t]] = t;
    for (int j = first_col_[s]; j < first_col_[s + 1]; ++j) {
      const double* col = inverse_.data() + pn.offset + (Index)(j - first_col_[s]) * pn.height;
      for (int e = lead_col_start_[j]; e < lead_col_start_[j + 1]; ++e) {
        const int k = lead_col_level_[e], a = lead_col_position_[e];
        const Panel& src = panels_[k];
        const double inv_l = 1.0 / values_[k];
        const double* w = values_.data() + src.offset;
        const int* r = rows_.data() + src.row_start;
        double* y = inverse_.data() + src.offset;
        const double xa = w[a] * inv_l;
        double ya = col[relative_[j]] * xa;
        for (int ii = a + 1; ii < src.height; ++ii) {
          const double z = col[relative_[r[ii]]];
          y[ii] += z * xa;
          ya += z * w[ii] * inv_l;
        }
        y[a] += ya;
      }
    }
  }
  for (int k = 0; k < nlev1_; ++k) {
    if (!single_column(k)) continue;
    const Panel& pn = panels_[k];
    const double inv_l = 1.0 / values_[k];
    double* y = inverse_.data() + pn.offset;
    const double* w = values_.data() + pn.offset;
    double dot = 0;
    for (int t = 0; t < pn.height; ++t) {
      y[t] = -y[t];
      dot += w[t] * inv_l * y[t];
    }
    inverse_[k] = inv_l * inv_l - dot;
  }
}

void BlockedCholesky::gather_inverse(const int* rows, int n, Eigen::Ref<MatrixXd> Z) const {
  for (int j = 0; j < n;) {
    const int s = snode_of_[rows[j]];
    const Panel& pn = panels_[nlev1_ + s];
    const int* pr = rows_.data() + pn.row_start;
    for (int a = 0; a < pn.height; ++a) relative_[pr[a]] = a;
    int end = j;
    while (end < n && snode_of_[rows[end]] == s) ++end;
    for (int jj = j; jj < end; ++jj) {
      const double* col = inverse_.data() + pn.offset + (Index)(rows[jj] - first_col_[s]) * pn.height;
      for (int i = jj; i < n; ++i) Z(i, jj) = col[relative_[rows[i]]];
    }
    j = end;
  }
}

void BlockedCholesky::inverse_on_pattern(const SpMat& A, double* out) {
  if (A.nonZeros() != (Index)dest_.size()) Rcpp::stop("internal error: A's pattern changed after its analysis");
  if (sym_dest_.size() != dest_.size()) {   // once: entries the factor does not store are read at their transpose
    sym_dest_.assign(dest_.begin(), dest_.end());
    const int* outer = A.outerIndexPtr();
    const int* inner = A.innerIndexPtr();
    for (int c = 0; c < q_; ++c)
      for (int e = outer[c]; e < outer[c + 1]; ++e) {
        if (sym_dest_[e] >= 0) continue;
        const int r = inner[e];
        const int* hit = std::lower_bound(inner + outer[r], inner + outer[r + 1], c);
        if (hit == inner + outer[r + 1] || *hit != c || dest_[hit - inner] < 0)
          Rcpp::stop("internal error: A's pattern is not symmetric");
        sym_dest_[e] = dest_[hit - inner];
      }
  }
  for (std::size_t e = 0; e < sym_dest_.size(); ++e) out[e] = inverse_[sym_dest_[e]];
}
