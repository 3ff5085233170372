// penalized_system.cpp: Z'WZ, A = Lambda' Z'WZ Lambda + I and its factor (see penalized_system.h).
#include "penalized_system.h"
#include <Eigen/SparseCholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// "12.3 GB" for a number of bytes.
std::string format_bytes(double bytes) {
  std::ostringstream out;
  out.precision(3);
  if (bytes >= 1e9) out << bytes / 1e9 << " GB";
  else out << bytes / 1e6 << " MB";
  return out.str();
}

// The error of the memory guard: the estimate, the terms behind it and the limit.
[[noreturn]] void stop_too_large(const ReDesign& re, double bytes, bool lower_bound, double max_bytes) {
  // the leading term (largest) is factored level by level; the fill comes from the others
  int lead = 0;
  for (int t = 1; t < (int)re.term_ncol.size(); ++t)
    if (re.term_offset[t] < re.term_offset[lead]) lead = t;
  int worst = -1;
  for (int t = 0; t < (int)re.term_ncol.size(); ++t)
    if (t != lead && (worst < 0 || re.term_nlev[t] * re.term_ncol[t] > re.term_nlev[worst] * re.term_ncol[worst])) worst = t;
  std::ostringstream msg;
  msg << "the model is too large for the memory available: the Cholesky factor of its random effects would need "
      << (lower_bound ? "more than " : "about ") << format_bytes(bytes) << ", and at most " << format_bytes(max_bytes)
      << " may be used (glmm_control(max_memory =)). ";
  if (worst >= 0) {
    msg << "The fill-in comes from random-effect term " << worst + 1 << " (" << re.term_nlev[worst] << " levels x "
        << re.term_ncol[worst] << " columns) crossed with term " << lead + 1 << " (" << re.term_nlev[lead]
        << " levels): consider fewer levels or fewer crossed terms";
  } else {
    msg << "Random-effect term " << lead + 1 << " has " << re.term_nlev[lead] << " levels x " << re.term_ncol[lead]
        << " columns";
  }
  throw std::runtime_error(msg.str());
}

}  // namespace

// ---- The simplicial factor's selected inverse (the test path; the blocked factor has its own)
// entries of A^{-1} on the sparsity pattern of A's Cholesky factor L
// (A = L L', L sparse lower triangular), by the Takahashi recurrences (Takahashi, Fagan & Chin
// 1973; Erisman & Tinney 1975), processing the columns of L from last to first:
//   S_ij = -(1/L_jj) sum_{k > j, k in col j} L_kj S_ik        (i > j in the pattern of column j)
//   S_jj = 1/L_jj^2 - (1/L_jj) sum_{k > j, k in col j} L_kj S_kj
// Every S_ik needed lies in the pattern of L (the rows of a column form a clique in L's graph),
// so no entry outside the pattern is ever computed. The GLMM gradient uses it for the leverages
// a_i' H^{-1} a_i, whose pairs of columns all lie in H's pattern.
class SelectedInverse {
 public:
  // From L (column-major, compressed, sorted rows, diagonal first in each column): false when
  // L does not have that layout or a diagonal entry is not positive.
  bool compute(const SpMat& L);
  // (A^{-1})_ij for i, j in the factor's (permuted) numbering; NaN outside the pattern.
  double operator()(int i, int j) const;
  // The computed entries, stored like L's values (column-major, rows sorted).
  const double* values() const { return S_.valuePtr(); }

 private:
  SpMat S_;
};

bool SelectedInverse::compute(const SpMat& L) {
  if (!L.isCompressed()) return false;
  S_ = L;
  const int q = L.cols();
  const int* outer = L.outerIndexPtr();
  const int* inner = L.innerIndexPtr();
  const double* lv = L.valuePtr();
  double* sv = S_.valuePtr();
  Eigen::MatrixXd B;   // S on the rows of column j (below the diagonal), gathered densely
  for (int j = q - 1; j >= 0; --j) {
    const int start = outer[j], end = outer[j + 1], m = end - start - 1;
    if (start == end || inner[start] != j || !(lv[start] > 0)) return false;
    const int* rows = inner + start + 1;
    B.resize(m, m);
    for (int t = 0; t < m; ++t) {   // column rows[t] of S holds rows[t..m-1]: merge the two lists
      int e = outer[rows[t]];
      const int e_end = outer[rows[t] + 1];
      for (int s = t; s < m; ++s) {
        while (e < e_end && inner[e] < rows[s]) ++e;
        if (e == e_end || inner[e] != rows[s]) return false;   // not a clique: not a Cholesky pattern
        B(s, t) = B(t, s) = sv[e];
      }
    }
    const Eigen::Map<const Eigen::VectorXd> l(lv + start + 1, m);
    Eigen::Map<Eigen::VectorXd> col(sv + start + 1, m);
    col.noalias() = B * l;
    col /= -lv[start];
    sv[start] = 1.0 / (lv[start] * lv[start]) - l.dot(col) / lv[start];
  }
  return true;
}

double SelectedInverse::operator()(int i, int j) const {
  const int col = std::min(i, j), row = std::max(i, j);
  const int* first = S_.innerIndexPtr() + S_.outerIndexPtr()[col];
  const int* last = S_.innerIndexPtr() + S_.outerIndexPtr()[col + 1];
  const int* hit = std::lower_bound(first, last, row);
  if (hit == last || *hit != row) return NAN;
  return S_.valuePtr()[hit - S_.innerIndexPtr()];
}

// ---- The system

struct SimplicialFactor {
  Eigen::SimplicialLLT<SpMat, Eigen::Lower, Eigen::AMDOrdering<int> > chol;
  SelectedInverse inverse;
};

PenalizedSystem::PenalizedSystem() {}
PenalizedSystem::PenalizedSystem(PenalizedSystem&&) = default;
PenalizedSystem& PenalizedSystem::operator=(PenalizedSystem&&) = default;
PenalizedSystem::~PenalizedSystem() {}

PenalizedSystem::PenalizedSystem(const ReDesign& re, int method, double max_bytes, int copies) : q_(re.q) {
  if (method < kChoose || method > kSimplicial) engine_stop("factor method must be 0, 1 or 2");
  // Z'WZ's pattern: both triangles, rows sorted, from one symbolic product
  Zt_ = re.Z.transpose();
  Zt_.makeCompressed();
  const SpMat& Zt = Zt_;
  ZtWZ_ = SpMat(Zt * re.Z).transpose();
  ZtWZ_.makeCompressed();
  build_pattern_of_A(re);
  // the factor: its size before anything of that size is stored
  const double bytes_per_entry = sizeof(double) * copies;
  const double max_doubles = max_bytes / bytes_per_entry;
  if (method == kSimplicial || q_ == 0) {
    blocked_ = false;
  } else {
    blocked_chol_ = BlockedCholesky(A_, re.leading_size, re.leading_block, max_doubles);
    if (!blocked_chol_.fits())
      stop_too_large(re, blocked_chol_.needed_doubles() * bytes_per_entry, blocked_chol_.needed_is_lower_bound(), max_bytes);
    blocked_ = true;
  }
  entry_used_.assign(A_.nonZeros(), 1);
  for (int j = 0; j < q_; ++j)
    for (SpMat::InnerIterator it(A_, j); it; ++it) {
      const Index e = &it.value() - A_.valuePtr();
      entry_used_[e] = blocked_ ? blocked_chol_.reads(e) : it.row() >= j;
    }
  build_block_schedule();
  if (!blocked_ && q_ > 0) {
    simplicial_.reset(new SimplicialFactor());
    simplicial_->chol.analyzePattern(A_);
  }
}

// Per observation, where each product Z(i, s) Z(i, t) lands in Z'WZ (lower triangle, s >= t).
void PenalizedSystem::build_observation_positions() {
  const int n = Zt_.cols();
  const int* outer = Zt_.outerIndexPtr();
  const int* inner = Zt_.innerIndexPtr();
  zz_start_.assign(n + 1, 0);
  for (int i = 0; i < n; ++i) {
    const int m = outer[i + 1] - outer[i];
    zz_start_[i + 1] = zz_start_[i] + m * (m + 1) / 2;
  }
  zz_pos_.resize(zz_start_[n]);
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  auto position = [&](int row, int col) {
    return (int)(std::lower_bound(m_inner + m_outer[col], m_inner + m_outer[col + 1], row) - m_inner);
  };
  for (int i = 0, k = 0; i < n; ++i)
    for (int s = outer[i]; s < outer[i + 1]; ++s)
      for (int t = outer[i]; t <= s; ++t) zz_pos_[k++] = position(inner[s], inner[t]);
}

// The level blocks of A's columns, A's pattern and its diagonal; checks that Lambda stores each
// level's T as form_A reads it (column c of a block: the block's rows c..p-1).
void PenalizedSystem::build_pattern_of_A(const ReDesign& re) {
  const SpMat& L = re.Lambda;
  block_first_.assign(q_, -1);
  block_width_.assign(q_, 0);
  int max_width = 1;
  for (std::size_t t = 0; t < re.term_ncol.size(); ++t) {
    const int p = re.term_ncol[t];
    max_width = std::max(max_width, p);
    for (int lev = 0; lev < re.term_nlev[t]; ++lev)
      for (int c = 0; c < p; ++c) {
        const int first = re.term_offset[t] + lev * p;
        block_first_[first + c] = first;
        block_width_[first + c] = p;
      }
  }
  if (!L.isCompressed() || L.rows() != q_ || L.cols() != q_) engine_stop("internal error: Lambda is not a compressed q x q matrix");
  const int* l_outer = L.outerIndexPtr();
  const int* l_inner = L.innerIndexPtr();
  for (int j = 0; j < q_; ++j) {
    const int last = block_first_[j] + block_width_[j];
    bool layout = block_first_[j] >= 0 && l_outer[j + 1] - l_outer[j] == last - j;
    for (int e = l_outer[j]; layout && e < l_outer[j + 1]; ++e) layout = l_inner[e] == j + (e - l_outer[j]);
    if (!layout) engine_stop("internal error: Lambda is not block lower triangular by levels");
  }
  if (whole_level_blocks()) {
    pattern_of_A_from_blocks();
  } else {
    SpMat identity(q_, q_);
    identity.setIdentity();
    A_ = SpMat(L.transpose()) * ZtWZ_ * L + identity;
    A_.makeCompressed();
  }
  diagonal_of_A_.assign(q_, -1);
  for (int j = 0; j < q_; ++j)
    for (SpMat::InnerIterator it(A_, j); it; ++it)
      if (it.row() == j) diagonal_of_A_[j] = &it.value() - A_.valuePtr();
  for (int j = 0; j < q_; ++j)
    if (diagonal_of_A_[j] < 0) engine_stop("internal error: A's pattern misses its diagonal");
  dense_m_.assign(max_width * max_width, 0.0);
  dense_mt_.assign(max_width * max_width, 0.0);
  m_columns_.assign(max_width, nullptr);
}

// Is Z'WZ made of whole level blocks: the columns of a level with the same rows, which come in
// whole levels? (Z stores every coefficient of a row's level, zeros too, so it is.) Then the block
// T_g' M_gh T_h of Lambda' Z'WZ Lambda fills M_gh's block and no other, and A's pattern is Z'WZ's
// with the diagonal.
bool PenalizedSystem::whole_level_blocks() const {
  const int* outer = ZtWZ_.outerIndexPtr();
  const int* inner = ZtWZ_.innerIndexPtr();
  for (int c = 0; c < q_; ++c) {
    const int f = block_first_[c];
    if (outer[c + 1] - outer[c] != outer[f + 1] - outer[f]) return false;
    for (int e = outer[c], ef = outer[f]; e < outer[c + 1]; ++e, ++ef)
      if (inner[e] != inner[ef]) return false;
    for (int e = outer[c]; e < outer[c + 1];) {
      const int j = inner[e], w = block_width_[j];
      if (block_first_[j] != j || e + w > outer[c + 1]) return false;
      for (int t = 1; t < w; ++t)
        if (inner[e + t] != j + t) return false;
      e += w;
    }
  }
  return true;
}

// A's pattern as Z'WZ's with the diagonal added where Z'WZ has none (a level without observations),
// written column by column (no product and its temporaries); values 0 until form_A().
void PenalizedSystem::pattern_of_A_from_blocks() {
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  auto has_diagonal = [&](int j) { return std::binary_search(m_inner + m_outer[j], m_inner + m_outer[j + 1], j); };
  Index nonzeros = ZtWZ_.nonZeros();
  for (int j = 0; j < q_; ++j) nonzeros += !has_diagonal(j);
  A_ = SpMat(q_, q_);
  A_.resizeNonZeros(nonzeros);
  int* a_outer = A_.outerIndexPtr();
  int* a_inner = A_.innerIndexPtr();
  int a = 0;
  for (int j = 0; j < q_; ++j) {
    a_outer[j] = a;
    bool diagonal = has_diagonal(j);
    for (int e = m_outer[j]; e < m_outer[j + 1]; ++e) {
      if (!diagonal && m_inner[e] > j) { a_inner[a++] = j; diagonal = true; }
      a_inner[a++] = m_inner[e];
    }
    if (!diagonal) a_inner[a++] = j;
  }
  a_outer[q_] = a;
  std::fill(A_.valuePtr(), A_.valuePtr() + nonzeros, 0.0);
}

void PenalizedSystem::set_weights(const VectorXd& w, bool keep_positions) {
  if (zz_start_.empty()) build_observation_positions();
  double* mv = ZtWZ_.valuePtr();
  std::fill(mv, mv + ZtWZ_.nonZeros(), 0.0);
  // the lower triangle observation by observation, then copied to the upper one
  const int* outer = Zt_.outerIndexPtr();
  const double* zv = Zt_.valuePtr();
  // the entries of observation i + 16 requested ahead (scattered over Z'WZ on crossed designs)
  const int n = w.size(), ahead = 16;
  for (int i = 0; i < n; ++i) {
    if (i + ahead < n)
      for (int k = zz_start_[i + ahead]; k < zz_start_[i + ahead + 1]; ++k) __builtin_prefetch(mv + zz_pos_[k], 1);
    const double wi = w[i];
    if (wi == 0) continue;
    const double* z = zv + outer[i];
    const int m = outer[i + 1] - outer[i];
    const int* pos = zz_pos_.data() + zz_start_[i];
    for (int s = 0; s < m; ++s) {
      const double ws = wi * z[s];
      for (int t = 0; t <= s; ++t) mv[*pos++] += ws * z[t];
    }
  }
  copy_lower_to_upper();
  if (!keep_positions) {
    std::vector<int>().swap(zz_pos_);
    std::vector<int>().swap(zz_start_);
  }
}

// Z'WZ's upper triangle <- its lower one. Column i's entries above the diagonal are rows j < i in
// increasing order, the mirrors of the entries (i, j) met walking columns j = 0, 1, ... (Z'WZ's
// pattern is symmetric): one cursor per column says where the next one goes.
void PenalizedSystem::copy_lower_to_upper() {
  double* mv = ZtWZ_.valuePtr();
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  std::vector<int> next_upper(m_outer, m_outer + q_);
  for (int j = 0; j < q_; ++j)
    for (int e = m_outer[j]; e < m_outer[j + 1]; ++e)
      if (m_inner[e] > j) mv[next_upper[m_inner[e]]++] = mv[e];
}

// form_A's schedule: the columns of scalar levels whose rows in Z'WZ are all scalar levels' (and
// are A's), formed entry by entry; for the other level blocks h, the blocks (g, h) of A the factor
// reads, found by walking h's columns through Z'WZ's row blocks, with the ranges of Z'WZ's and A's
// entries in them; and the entries of A the factor reads that neither writes (the identity's alone).
void PenalizedSystem::build_block_schedule() {
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  const int* a_outer = A_.outerIndexPtr();
  const int* a_inner = A_.innerIndexPtr();
  auto is_scalar_column = [&](int h) {
    if (block_width_[h] != 1 || a_outer[h + 1] - a_outer[h] != m_outer[h + 1] - m_outer[h]) return false;
    for (int e = m_outer[h], a = a_outer[h]; e < m_outer[h + 1]; ++e, ++a)
      if (block_width_[m_inner[e]] != 1 || a_inner[a] != m_inner[e]) return false;
    return true;
  };
  std::vector<char> written(A_.nonZeros(), 0);
  scalar_columns_.clear();
  block_pairs_.clear();
  pair_ranges_.clear();
  std::vector<int> m_next, a_next;   // per column of h: the first entry of Z'WZ's and A's not yet walked
  for (int h = 0; h < q_; h += block_width_[h]) {
    if (is_scalar_column(h)) {
      const int shift = a_outer[h] - m_outer[h];
      int first = m_outer[h];
      while (first < m_outer[h + 1] && !entry_used_[first + shift]) ++first;
      for (int e = first; e < m_outer[h + 1]; ++e) written[e + shift] = entry_used_[e + shift];
      scalar_columns_.push_back(ScalarColumn{h, first});
      continue;
    }
    const int ph = block_width_[h];
    m_next.assign(m_outer + h, m_outer + h + ph);
    a_next.assign(a_outer + h, a_outer + h + ph);
    for (;;) {
      int g = q_;   // the next row block: the first one any of the columns still has entries in
      for (int c = 0; c < ph; ++c)
        if (m_next[c] < m_outer[h + c + 1]) g = std::min(g, block_first_[m_inner[m_next[c]]]);
      if (g == q_) break;
      const int g_end = g + block_width_[g];
      const std::size_t first_range = pair_ranges_.size();
      bool used = false;   // does the factor read any entry of A's block (g, h)?
      for (int c = 0; c < ph; ++c) {
        const int m_begin = m_next[c];
        int& e = m_next[c];
        while (e < m_outer[h + c + 1] && m_inner[e] < g_end) ++e;
        int& a = a_next[c];
        while (a < a_outer[h + c + 1] && a_inner[a] < g) ++a;
        const int a_begin = a;
        for (; a < a_outer[h + c + 1] && a_inner[a] < g_end; ++a) used = used || entry_used_[a];
        const int range[4] = {m_begin, e, a_begin, a};
        pair_ranges_.insert(pair_ranges_.end(), range, range + 4);
      }
      if (!used) {
        pair_ranges_.resize(first_range);
        continue;
      }
      block_pairs_.push_back(BlockPair{g, h});
      for (int c = 0; c < ph; ++c) {
        const int* range = &pair_ranges_[first_range + 4 * c];
        std::fill(written.begin() + range[2], written.begin() + range[3], 1);
      }
    }
  }
  identity_only_.clear();
  for (Index a = 0; a < A_.nonZeros(); ++a) {
    if (!entry_used_[a] || written[a]) continue;
    if (diagonal_of_A_[a_inner[a]] != a) engine_stop("internal error: form_A's schedule misses an entry of A");
    identity_only_.push_back((int)a);
  }
  scalar_columns_.shrink_to_fit();
  block_pairs_.shrink_to_fit();
  pair_ranges_.shrink_to_fit();
  identity_only_.shrink_to_fit();
}

// A <- Lambda' Z'WZ Lambda + I at (at least) the entries the factor reads: scalar levels' columns
// whose rows are all scalar levels' entry by entry, the other columns by the blocks of the schedule.
void PenalizedSystem::form_A(const ReDesign& re) {
  double* av = A_.valuePtr();
  const double* lv = re.Lambda.valuePtr();
  const int* l_outer = re.Lambda.outerIndexPtr();
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  const double* mv = ZtWZ_.valuePtr();
  const int* a_outer = A_.outerIndexPtr();
  for (const ScalarColumn& column : scalar_columns_) {
    // A(k, h) = t_k M(k, h) t_h, t the levels' 1 x 1 blocks of Lambda; A's column has M's rows
    const int h = column.h, shift = a_outer[h] - m_outer[h];
    const double t = lv[l_outer[h]];
    for (int e = column.first; e < m_outer[h + 1]; ++e)
      if (entry_used_[e + shift]) av[e + shift] = lv[l_outer[m_inner[e]]] * mv[e] * t;
  }
  const int* range = pair_ranges_.data();
  for (const BlockPair& pair : block_pairs_) {
    const int pg = block_width_[pair.g], ph = block_width_[pair.h];
    if (pg == 1 && ph == 1) {   // two scalar levels: one product
      av[range[2]] = lv[l_outer[pair.g]] * mv[range[0]] * lv[l_outer[pair.h]];
    } else if (pg == 2 && ph == 2) {   // (1 + x | g) terms: the loops unrolled
      form_A_block<2, 2>(lv, l_outer, pair, range);
    } else {
      form_A_block<0, 0>(lv, l_outer, pair, range);
    }
    range += 4 * ph;
  }
  for (int a : identity_only_) av[a] = 0.0;
  for (int j = 0; j < q_; ++j) av[diagonal_of_A_[j]] += 1.0;
}

// Block (g, h) of Lambda' Z'WZ Lambda, T_g' M_gh T_h (M = Z'WZ), at A's entries in it, where
// T(k, i) = lv[l_outer[first + i] + k - i]; `range` as in pair_ranges_. A column of M_gh is read
// in place when it is full (the usual case), else gathered densely. PG and PH are the blocks'
// widths when known at compile time (the loops then unroll and the tests fold), else 0.
template <int PG, int PH>
void PenalizedSystem::form_A_block(const double* lv, const int* l_outer, const BlockPair& pair, const int* range) {
  const int g = pair.g, h = pair.h;
  const int pg = PG > 0 ? PG : block_width_[g], ph = PH > 0 ? PH : block_width_[h];
  const int* m_inner = ZtWZ_.innerIndexPtr();
  const double* mv = ZtWZ_.valuePtr();
  const int* a_inner = A_.innerIndexPtr();
  double* av = A_.valuePtr();
  const double* fixed_columns[PH > 0 ? PH : 1];
  const double** m = PH > 0 ? fixed_columns : m_columns_.data();   // m[l][r] = M_gh(r, l)
  for (int c = 0; c < ph; ++c) {
    const int first = range[4 * c], end = range[4 * c + 1];
    if (end - first == pg) {
      m[c] = mv + first;
      continue;
    }
    double* column = dense_m_.data() + pg * c;
    std::fill(column, column + pg, 0.0);
    for (int e = first; e < end; ++e) column[m_inner[e] - g] = mv[e];
    m[c] = column;
  }
  double* mt = dense_mt_.data();   // M_gh T_h, column-major, leading dimension pg
  for (int c = 0; c < ph; ++c) {
    const double* t = lv + l_outer[h + c] - c;   // t[l] = T_h(l, c), l >= c
    for (int r = 0; r < pg; ++r) {
      double sum = 0;
      for (int l = PH > 0 ? 0 : c; l < ph; ++l)
        if (l >= c) sum += m[l][r] * t[l];
      mt[r + pg * c] = sum;
    }
  }
  double* block = dense_m_.data();   // T_g' M_gh T_h (M_gh no longer read)
  for (int i = 0; i < pg; ++i) {
    const double* t = lv + l_outer[g + i] - i;   // t[k] = T_g(k, i), k >= i
    for (int c = 0; c < ph; ++c) {
      double sum = 0;
      for (int k = PG > 0 ? 0 : i; k < pg; ++k)
        if (k >= i) sum += t[k] * mt[k + pg * c];
      block[i + pg * c] = sum;
    }
  }
  // A's entries in the block (also those the factor skips: they are A's values all the same)
  for (int c = 0; c < ph; ++c) {
    const int first = range[4 * c + 2], end = range[4 * c + 3];
    if (end - first == pg) {   // all pg rows
      for (int i = 0; i < pg; ++i) av[first + i] = block[i + pg * c];
    } else {
      for (int a = first; a < end; ++a) av[a] = block[a_inner[a] - g + pg * c];
    }
  }
}

bool PenalizedSystem::factor(const ReDesign& re) {
  if (q_ == 0) {
    logdet2_ = 0;
    return true;
  }
  form_A(re);
  if (blocked_) {
    if (!blocked_chol_.factorize(A_)) return false;
    logdet2_ = blocked_chol_.logdet2();
    return true;
  }
  simplicial_->chol.factorize(A_);
  if (simplicial_->chol.info() != Eigen::Success) return false;
  logdet2_ = 2.0 * simplicial_->chol.matrixL().nestedExpression().diagonal().array().log().sum();
  return std::isfinite(logdet2_);
}

void PenalizedSystem::solve_L(MatrixXd& B) const {
  if (q_ == 0) return;
  if (blocked_) return blocked_chol_.solve_L(B);
  B = simplicial_->chol.permutationP() * B;
  simplicial_->chol.matrixL().solveInPlace(B);
}

void PenalizedSystem::solve_Lt(VectorXd& v) const {
  if (q_ == 0) return;
  if (blocked_) return blocked_chol_.solve_Lt(v);
  simplicial_->chol.matrixU().solveInPlace(v);
  v = simplicial_->chol.permutationPinv() * v;
}

VectorXd PenalizedSystem::solve(const VectorXd& b) const {
  if (!blocked_) return q_ == 0 ? b : VectorXd(simplicial_->chol.solve(b));
  MatrixXd B = b;
  blocked_chol_.solve_L(B);
  VectorXd v = B.col(0);
  blocked_chol_.solve_Lt(v);
  return v;
}

bool PenalizedSystem::compute_selected_inverse() {
  if (q_ == 0) return true;
  if (blocked_) return blocked_chol_.compute_inverse();
  return simplicial_->inverse.compute(simplicial_->chol.matrixL().nestedExpression());
}

Index PenalizedSystem::inverse_position(int r, int c) const {
  if (blocked_) return blocked_chol_.inverse_position(r, c);
  if (q_ == 0) return -1;
  const SpMat& L = simplicial_->chol.matrixL().nestedExpression();
  const Eigen::VectorXi& perm = simplicial_->chol.permutationP().indices();   // column c of A -> row perm[c] of L
  const int a = perm[r], b = perm[c], row = std::max(a, b), col = std::min(a, b);
  const int* first = L.innerIndexPtr() + L.outerIndexPtr()[col];
  const int* last = L.innerIndexPtr() + L.outerIndexPtr()[col + 1];
  const int* hit = std::lower_bound(first, last, row);
  return (hit == last || *hit != row) ? -1 : (Index)(hit - L.innerIndexPtr());
}

const double* PenalizedSystem::inverse_values() const {
  if (blocked_) return blocked_chol_.inverse_values();
  return q_ == 0 ? nullptr : simplicial_->inverse.values();   // no random effects: nothing to read
}
