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
  // per observation, where each product Z(i, s) Z(i, t) lands (lower triangle, s >= t)
  const int n = Zt.cols();
  zz_start_.assign(n + 1, 0);
  const int* outer = Zt.outerIndexPtr();
  const int* inner = Zt.innerIndexPtr();
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
  for (int j = 0; j < q_; ++j)
    for (int e = m_outer[j]; e < m_outer[j + 1]; ++e)
      if (m_inner[e] < j) mirror_.push_back(std::make_pair(position(j, m_inner[e]), e));
  build_recipe(re);
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
  if (!blocked_ && q_ > 0) {
    simplicial_.reset(new SimplicialFactor());
    simplicial_->chol.analyzePattern(A_);
  }
}

// A's pattern from one symbolic product; then, per stored entry (i, j), the products
// Lambda(k, i) Z'WZ(k, l) Lambda(l, j) that sum to it (Lambda is block diagonal, so few).
void PenalizedSystem::build_recipe(const ReDesign& re) {
  const SpMat& L = re.Lambda;
  SpMat identity(q_, q_);
  identity.setIdentity();
  A_ = SpMat(L.transpose()) * ZtWZ_ * L + identity;
  A_.makeCompressed();
  recipe_start_.assign(1, 0);
  recipe_left_.clear();
  recipe_middle_.clear();
  recipe_right_.clear();
  diagonal_of_A_.assign(q_, -1);
  const int* m_outer = ZtWZ_.outerIndexPtr();
  const int* m_inner = ZtWZ_.innerIndexPtr();
  for (int j = 0; j < q_; ++j) {
    for (SpMat::InnerIterator it(A_, j); it; ++it) {
      const int i = it.row();
      if (i == j) diagonal_of_A_[j] = &it.value() - A_.valuePtr();
      for (SpMat::InnerIterator li(L, i); li; ++li)
        for (SpMat::InnerIterator lj(L, j); lj; ++lj) {
          const int k = li.row(), l = lj.row();
          const int* first = m_inner + m_outer[l];
          const int* last = m_inner + m_outer[l + 1];
          const int* hit = std::lower_bound(first, last, k);
          if (hit == last || *hit != k) continue;
          recipe_left_.push_back(&li.value() - L.valuePtr());
          recipe_middle_.push_back(hit - m_inner);
          recipe_right_.push_back(&lj.value() - L.valuePtr());
        }
      recipe_start_.push_back(recipe_left_.size());
    }
  }
}

void PenalizedSystem::set_weights(const VectorXd& w) {
  double* mv = ZtWZ_.valuePtr();
  std::fill(mv, mv + ZtWZ_.nonZeros(), 0.0);
  // the lower triangle observation by observation, then mirrored
  const int* outer = Zt_.outerIndexPtr();
  const double* zv = Zt_.valuePtr();
  for (int i = 0; i < (int)w.size(); ++i) {
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
  for (const std::pair<int, int>& mm : mirror_) mv[mm.second] = mv[mm.first];
}

void PenalizedSystem::form_A(const ReDesign& re) {
  const double* lv = re.Lambda.valuePtr();
  const double* mv = ZtWZ_.valuePtr();
  double* av = A_.valuePtr();
  const Index nnz = A_.nonZeros();
  for (Index e = 0; e < nnz; ++e) {
    if (!entry_used_[e]) continue;
    double sum = 0;
    for (int t = recipe_start_[e]; t < recipe_start_[e + 1]; ++t) sum += lv[recipe_left_[t]] * mv[recipe_middle_[t]] * lv[recipe_right_[t]];
    av[e] = sum;
  }
  for (int j = 0; j < q_; ++j) av[diagonal_of_A_[j]] += 1.0;
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
