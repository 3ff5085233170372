// lmm_gradient.cpp: the exact gradient of the LMM's profiled deviance in theta, and the parts of
// -2 log L at a fixed beta that the ML standard errors need (notation and formulas in
// lmm_core.h). A^{-1} comes from the selected inverse of the factor both cores share
// (PenalizedSystem: the blocked factor's, or the simplicial one's), read at M = Z'WZ's entries.
//
// M's pattern is block-dense: a level's p_i columns of Z hold the same rows (Z keeps explicit
// zeros), so every pair of levels that shares an observation fills a whole p_h x p_i block, and
// the columns of one level have the same rows. Lambda A^{-1} and M Lambda A^{-1} then stay on
// M's pattern, and the diagonal blocks (M Lambda A^{-1})_gg are dot products of M's columns with
// the columns of Lambda A^{-1}.
#include "lmm_core.h"
#include <algorithm>
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

MatrixXd LmmCore::term_factor(const VectorXd& theta, int term) const {
  const int p = re_.term_ncol[term];
  MatrixXd T = MatrixXd::Zero(p, p);
  for (int c = 0, t = theta_offset_[term]; c < p; ++c)
    for (int r = c; r < p; ++r) T(r, c) = theta[t++];
  return T;
}

// The layout (column terms, theta offsets) and a check that M is block-dense as described
// above; false (no gradient) otherwise.
bool LmmCore::gradient_layout() {
  if (layout_checked_) return layout_ok_;
  layout_checked_ = true;
  const int nterms = re_.term_ncol.size();
  theta_offset_.assign(nterms, 0);
  for (int i = 1; i < nterms; ++i) theta_offset_[i] = theta_offset_[i - 1] + re_.term_ncol[i - 1] * (re_.term_ncol[i - 1] + 1) / 2;
  column_term_.assign(re_.q, 0);
  for (int i = 0; i < nterms; ++i)
    for (int j = 0; j < re_.term_nlev[i] * re_.term_ncol[i]; ++j) column_term_[re_.term_offset[i] + j] = i;
  const SpMat& M = system_.ZtWZ();
  const int* outer = M.outerIndexPtr();
  const int* inner = M.innerIndexPtr();
  for (int c = 0; c < re_.q; ++c) {
    const int i = column_term_[c], p = re_.term_ncol[i];
    const int first = c - (c - re_.term_offset[i]) % p;   // the level's first column
    if (outer[c + 1] - outer[c] != outer[first + 1] - outer[first]) return layout_ok_ = false;
    for (int e = outer[c], f = outer[first]; e < outer[c + 1]; ++e, ++f) {
      if (inner[e] != inner[f]) return layout_ok_ = false;
      const int j = inner[e], h = column_term_[j];
      const int rj = (j - re_.term_offset[h]) % re_.term_ncol[h];
      if (e - rj < outer[c] || inner[e - rj] != j - rj) return layout_ok_ = false;
    }
  }
  return layout_ok_ = true;
}

// M's first stored entry in column c with a row at or beyond `row`.
int LmmCore::first_entry_from(int c, int row) const {
  const SpMat& M = system_.ZtWZ();
  const int* inner = M.innerIndexPtr();
  return (int)(std::lower_bound(inner + M.outerIndexPtr()[c], inner + M.outerIndexPtr()[c + 1], row) - inner);
}

// The first column of column c's level block.
int LmmCore::level_first(int c) const {
  const int i = column_term_[c];
  return c - (c - re_.term_offset[i]) % re_.term_ncol[i];
}

bool LmmCore::invert_on_M() {
  if (!gradient_layout() || !system_.compute_selected_inverse()) return false;
  const SpMat& M = system_.ZtWZ();
  if (inverse_at_M_start_.empty()) {   // the factor's pattern is fixed: once
    const int* outer = M.outerIndexPtr();
    const int* inner = M.innerIndexPtr();
    inverse_at_M_start_.assign(re_.q + 1, 0);
    for (int c = 0; c < re_.q; ++c) {
      for (int e = first_entry_from(c, level_first(c)); e < outer[c + 1]; ++e) {
        const Eigen::Index k = system_.inverse_position(inner[e], c);
        if (k < 0 || k > std::numeric_limits<int>::max()) {   // outside the pattern, or beyond 4-byte positions (as the GLMM core)
          inverse_at_M_start_.clear();
          inverse_at_M_.clear();
          return false;
        }
        inverse_at_M_.push_back((int)k);
      }
      inverse_at_M_start_[c + 1] = inverse_at_M_.size();
    }
    inverse_at_M_.shrink_to_fit();
  }
  const double* G = system_.inverse_values();
  for (int k : inverse_at_M_)
    if (!std::isfinite(G[k])) return false;
  return true;
}

std::vector<MatrixXd> LmmCore::trace_blocks(const VectorXd& theta) const {
  const int nterms = re_.term_ncol.size();
  std::vector<MatrixXd> T(nterms), out(nterms);
  for (int i = 0; i < nterms; ++i) {
    T[i] = term_factor(theta, i);
    out[i] = MatrixXd::Zero(re_.term_ncol[i], re_.term_ncol[i]);
  }
  const SpMat& M = system_.ZtWZ();
  const int* outer = M.outerIndexPtr();
  const int* inner = M.innerIndexPtr();
  const double* mv = M.valuePtr();
  const double* G = system_.inverse_values();
  // an entry (j, c) with j in an earlier level block reads A^{-1} at its mirror (c, j), the next one
  // of column j beyond j's own block not yet read (columns c taken in order; M's pattern is symmetric)
  std::vector<int> next_mirror(re_.q);
  int longest = 0;
  for (int c = 0; c < re_.q; ++c) {
    const int own = level_first(c), own_end = own + re_.term_ncol[column_term_[c]];
    next_mirror[c] = inverse_at_M_start_[c] + (first_entry_from(c, own_end) - first_entry_from(c, own));
    longest = std::max(longest, outer[c + 1] - outer[c]);
  }
  VectorXd g_column(longest);    // column c of A^{-1} on M's pattern
  VectorXd ly_column(longest);   // column c of Lambda A^{-1} on M's pattern
  for (int c = 0; c < re_.q; ++c) {
    const int i = column_term_[c], p = re_.term_ncol[i];
    const int cc = (c - re_.term_offset[i]) % p, first = c - cc, m = outer[c + 1] - outer[c];
    const int own_block = first_entry_from(c, first);   // the first entry in c's level block's rows
    for (int e = outer[c]; e < own_block; ++e) g_column[e - outer[c]] = G[inverse_at_M_[next_mirror[inner[e]]++]];
    for (int e = own_block; e < outer[c + 1]; ++e) g_column[e - outer[c]] = G[inverse_at_M_[inverse_at_M_start_[c] + (e - own_block)]];
    for (int e = outer[c]; e < outer[c + 1]; ++e) {
      const int j = inner[e], h = column_term_[j];
      const int rj = (j - re_.term_offset[h]) % re_.term_ncol[h];
      double s = 0;
      for (int t = 0; t <= rj; ++t) s += T[h](rj, t) * g_column[e - outer[c] - rj + t];
      ly_column[e - outer[c]] = s;
    }
    const auto ly = ly_column.head(m);
    for (int ra = 0; ra < p; ++ra) out[i](ra, cc) += Eigen::Map<const VectorXd>(mv + outer[first + ra], m).dot(ly);
  }
  return out;
}

std::vector<MatrixXd> LmmCore::outer_blocks(const VectorXd& v, const VectorXd& w) const {
  const int nterms = re_.term_ncol.size();
  std::vector<MatrixXd> out(nterms);
  for (int i = 0; i < nterms; ++i) {
    const int p = re_.term_ncol[i], off = re_.term_offset[i];
    out[i] = MatrixXd::Zero(p, p);
    for (int g = 0; g < re_.term_nlev[i]; ++g)
      out[i].noalias() += v.segment(off + g * p, p) * w.segment(off + g * p, p).transpose();
  }
  return out;
}

VectorXd LmmCore::at_theta(const std::vector<MatrixXd>& blocks) const {
  VectorXd out(re_.ntheta);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const int p = blocks[i].rows();
    for (int c = 0, t = theta_offset_[i]; c < p; ++c)
      for (int r = c; r < p; ++r) out[t++] = blocks[i](r, c);
  }
  return out;
}

double LmmCore::objective_gradient(const VectorXd& theta, bool reml, VectorXd& grad) {
  const double dev = deviance(theta, reml);
  grad = VectorXd::Constant(re_.ntheta, kNaN);
  if (re_.q == 0) return dev;   // no random effects: no theta, an empty gradient
  if (!std::isfinite(dev) || !invert_on_M()) return dev;
  const SpMat& M = system_.ZtWZ();
  std::vector<MatrixXd> G = trace_blocks(theta);
  if (reml && p_ > 0) {   // the derivative of log |RX|^2: (H F')_gg
    MatrixXd F = RZX_;    // A^{-1} Lambda'Z'WX = P' L^{-T} RZX, column by column
    for (int j = 0; j < p_; ++j) {
      VectorXd col = F.col(j);
      solve_Lt(col);
      F.col(j) = col;
    }
    MatrixXd H = M * (re_.Lambda * F) - ZtWX_;
    RX_.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(F);   // F RX^{-1}
    RX_.triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(H);
    for (std::size_t i = 0; i < G.size(); ++i) {
      const int p = re_.term_ncol[i], off = re_.term_offset[i];
      for (int g = 0; g < re_.term_nlev[i]; ++g)
        G[i].noalias() += H.middleRows(off + g * p, p) * F.middleRows(off + g * p, p).transpose();
    }
  }
  const VectorXd v = ZtWy_ - ZtWX_ * beta_ - M * (re_.Lambda * u_);
  const double nmp = reml ? double(n_ - p_) : double(n_);
  grad = 2.0 * at_theta(G) - 2.0 * (nmp / pwrss_) * at_theta(outer_blocks(v, u_));
  return dev;
}

LmmCore::FixedBeta LmmCore::at_fixed_beta(const VectorXd& theta, const VectorXd& beta, bool with_dlogdet) {
  FixedBeta out;
  gradient_layout();
  out.profiled_ml = deviance(theta, false);
  if (!std::isfinite(out.profiled_ml) || (with_dlogdet && !invert_on_M())) {
    out.logdet_A = out.Q = kNaN;
    out.dlogdet_A = out.dQ = VectorXd::Constant(re_.ntheta, kNaN);
    out.dQ_dbeta = VectorXd::Constant(p_, kNaN);
    return out;
  }
  out.logdet_A = ldL2_;
  if (with_dlogdet) out.dlogdet_A = 2.0 * at_theta(trace_blocks(theta));
  const VectorXd b = beta - beta_shift_;     // the core's y is shifted by X beta_shift
  const bool has_re = re_.q > 0;             // q = 0: Eigen's kernels must not see the empty Z'WX
  VectorXd ZtWr = ZtWy_;                     // Z'W(y - X b)
  if (has_re) ZtWr.noalias() -= ZtWX_ * b;
  MatrixXd c = re_.Lambda.transpose() * ZtWr;
  solve_L(c);                                // L^{-1} P Lambda'Z'W(y - X b)
  out.Q = ytWy_ - 2.0 * b.dot(XtWy_) + b.dot(XtWX_ * b) - c.squaredNorm();
  VectorXd u = c.col(0);
  solve_Lt(u);                               // the conditional mode at b
  const VectorXd Lu = re_.Lambda * u;
  out.dQ = -2.0 * at_theta(outer_blocks(ZtWr - system_.ZtWZ() * Lu, u));
  VectorXd score = XtWy_ - XtWX_ * b;
  if (has_re) score.noalias() -= ZtWX_.transpose() * Lu;
  out.dQ_dbeta = -2.0 * score;
  return out;
}
