// lmm_core.cpp: penalized least squares and the profiled deviance (notation in lmm_core.h).
#include "lmm_core.h"
#include <algorithm>
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

LmmCore::LmmCore(const MatrixXd& X, const VectorXd& y, const VectorXd& w, const VectorXd& offset,
                 ReDesign re, int factor_method)
    : n_(X.rows()), p_(X.cols()), re_(std::move(re)) {
  const VectorXd sw = w.array().sqrt();
  const MatrixXd Xw = sw.asDiagonal() * X;
  VectorXd yw = sw.asDiagonal() * (y - offset);
  // shift y by its weighted least-squares fit on X: conditions y'Wy, leaves theta unchanged
  beta_shift_ = VectorXd::Zero(p_);
  if (p_ > 0) {
    Eigen::ColPivHouseholderQR<MatrixXd> qr(Xw);
    beta_shift_ = qr.solve(yw);
    yw -= Xw * beta_shift_;
  }
  const SpMat Zw = sw.asDiagonal() * re_.Z;
  ZtWZ_ = SpMat(Zw.transpose()) * Zw;
  ZtWX_ = Zw.transpose() * Xw;
  ZtWy_ = Zw.transpose() * yw;
  XtWX_ = Xw.transpose() * Xw;
  XtWy_ = Xw.transpose() * yw;
  ZtWyX_.resize(re_.q, p_ + 1);
  ZtWyX_.col(0) = ZtWy_;
  ZtWyX_.rightCols(p_) = ZtWX_;
  ytWy_ = yw.squaredNorm();
  sum_log_w_ = w.array().log().sum();
  // a well-defined state before the first evaluation (and after a failed one)
  u_ = VectorXd::Zero(re_.q);
  beta_ = VectorXd::Zero(p_);
  cu_ = VectorXd::Zero(re_.q);
  RZX_ = MatrixXd::Zero(re_.q, p_);
  RX_ = MatrixXd::Zero(p_, p_);
  // the pattern of A does not depend on theta (Z keeps explicit zeros; products keep structure)
  const double kMaxBlockedDoubles = 1e8;
  build_A_blocks();
  if (factor_method != 2 && re_.q > 0) {
    blocked_chol_ = BlockedCholesky(A_, re_.leading_size, re_.leading_block, factor_method == 1 ? 1e300 : kMaxBlockedDoubles);
    blocked_ = blocked_chol_.fits();
    if (!blocked_) blocked_chol_ = BlockedCholesky();
  }
  set_from(blocked_);
}

// A's pattern by blocks: block column g holds every block h with (Z'WZ)_hg stored, and g itself;
// Z'WZ is copied into that layout (zeros where it stores nothing) and the row runs are recorded.
void LmmCore::build_A_blocks() {
  ZtWZ_ = SpMat(ZtWZ_.transpose());   // the same symmetric matrix, with sorted row indices
  const int q = re_.q, nterms = re_.term_ncol.size();
  std::vector<int> by_offset(nterms);
  for (int i = 0; i < nterms; ++i) by_offset[i] = i;
  std::sort(by_offset.begin(), by_offset.end(), [this](int a, int b) { return re_.term_offset[a] < re_.term_offset[b]; });
  theta_offset_.assign(nterms + 1, 0);
  for (int i = 0; i < nterms; ++i) theta_offset_[i + 1] = theta_offset_[i] + re_.term_ncol[i] * (re_.term_ncol[i] + 1) / 2;
  T_.resize(nterms);
  for (int i = 0; i < nterms; ++i) T_[i] = Eigen::MatrixXd::Zero(re_.term_ncol[i], re_.term_ncol[i]);
  blocks_.clear();
  std::vector<int> block_of_col(q);
  for (int i : by_offset)
    for (int lev = 0; lev < re_.term_nlev[i]; ++lev) {
      const int first = re_.term_offset[i] + lev * re_.term_ncol[i];
      for (int c = 0; c < re_.term_ncol[i]; ++c) block_of_col[first + c] = blocks_.size();
      blocks_.push_back(ColumnBlock{i, first, re_.term_ncol[i], 0, 0, 0, 0, 0});
    }
  // the row blocks of each block column, then A's pattern
  const int nblocks = blocks_.size();
  std::vector<int> mark(nblocks, -1), row_blocks;
  std::vector<int> outer(q + 1, 0), inner;
  runs_.clear();
  for (int g = 0; g < nblocks; ++g) {
    ColumnBlock& cb = blocks_[g];
    row_blocks.assign(1, g);
    mark[g] = g;
    for (int c = cb.first_col; c < cb.first_col + cb.p; ++c)
      for (SpMat::InnerIterator it(ZtWZ_, c); it; ++it) {
        const int h = block_of_col[it.row()];
        if (mark[h] != g) { mark[h] = g; row_blocks.push_back(h); }
      }
    std::sort(row_blocks.begin(), row_blocks.end());
    cb.start = inner.size();
    cb.run_begin = runs_.size();
    std::vector<int> rows;
    for (int h : row_blocks) {
      const ColumnBlock& rb = blocks_[h];
      if (runs_.size() == (std::size_t)cb.run_begin || runs_.back().term != rb.term)
        runs_.push_back(RowRun{rb.term, (int)rows.size(), (int)rows.size()});
      for (int k = 0; k < rb.p; ++k) rows.push_back(rb.first_col + k);
      runs_.back().end = rows.size();
    }
    cb.run_end = runs_.size();
    cb.rows = rows.size();
    for (int c = cb.first_col; c < cb.first_col + cb.p; ++c) {
      inner.insert(inner.end(), rows.begin(), rows.end());
      outer[c + 1] = inner.size();
    }
  }
  std::vector<double> zeros(inner.size(), 0.0);
  A_ = Eigen::Map<const SpMat>(q, q, inner.size(), outer.data(), inner.data(), zeros.data());
  A_.makeCompressed();
  // Z'WZ in A's layout, and the diagonal entries
  M_in_A_ = VectorXd::Zero(A_.nonZeros());
  const int* a_outer = A_.outerIndexPtr();
  const int* a_inner = A_.innerIndexPtr();
  diagonal_of_A_.assign(q, -1);
  for (int c = 0; c < q; ++c) {
    const int* first = a_inner + a_outer[c];
    const int* last = a_inner + a_outer[c + 1];
    for (SpMat::InnerIterator it(ZtWZ_, c); it; ++it)
      M_in_A_[std::lower_bound(first, last, (int)it.row()) - a_inner] += it.value();
    diagonal_of_A_[c] = std::lower_bound(first, last, c) - a_inner;
  }
}

// The factor reads, in each block column, the lower triangle in its own order: from the block
// itself on (the leading term's blocks, and every block of the simplicial factor, whose order
// is applied to the lower triangle), or every row of the rest (the blocked factor permutes it).
void LmmCore::set_from(bool blocked) {
  const int* a_inner = A_.innerIndexPtr();
  for (ColumnBlock& cb : blocks_) {
    const int bound = (blocked && cb.first_col >= re_.leading_size) ? re_.leading_size : cb.first_col;
    const int* first = a_inner + cb.start;
    cb.from = std::lower_bound(first, first + cb.rows, bound) - first;
  }
}

void LmmCore::form_A(const VectorXd& theta) {
  re_.set_theta(theta.data());
  for (std::size_t i = 0; i < T_.size(); ++i) {
    const int p = re_.term_ncol[i];
    for (int c = 0, t = theta_offset_[i]; c < p; ++c)
      for (int r = c; r < p; ++r) T_[i](r, c) = theta[t++];
  }
  double* av = A_.valuePtr();
  const double* mv = M_in_A_.data();
  Eigen::MatrixXd chunk;
  for (const ColumnBlock& cb : blocks_) {
    const int m = cb.rows - cb.from;
    Eigen::Map<Eigen::MatrixXd> Ag(av + cb.start, cb.rows, cb.p);
    const Eigen::Map<const Eigen::MatrixXd> Mg(mv + cb.start, cb.rows, cb.p);
    const Eigen::MatrixXd& Tg = T_[cb.term];
    if (cb.p == 1) Ag.bottomRows(m) = Mg.bottomRows(m) * Tg(0, 0);
    else Ag.bottomRows(m).noalias() = Mg.bottomRows(m) * Tg.triangularView<Eigen::Lower>();
    for (int k = cb.run_begin; k < cb.run_end; ++k) {   // rows of level block h: T_h' times them
      const RowRun& run = runs_[k];
      const int begin = std::max(run.begin, cb.from), ph = re_.term_ncol[run.term];
      if (begin >= run.end) continue;
      const Eigen::MatrixXd& Th = T_[run.term];
      if (ph == 1) {
        Ag.middleRows(begin, run.end - begin) *= Th(0, 0);
        continue;
      }
      for (int s0 = begin; s0 < run.end; s0 += ph) {
        chunk.noalias() = Th.transpose().triangularView<Eigen::Upper>() * Ag.middleRows(s0, ph);
        Ag.middleRows(s0, ph) = chunk;
      }
    }
  }
  for (int j = 0; j < re_.q; ++j) av[diagonal_of_A_[j]] += 1.0;
}

// Factor A(theta) = Lambda' Z'WZ Lambda + I; the symbolic analysis is done once per pattern.
bool LmmCore::factor_A(const VectorXd& theta) {
  form_A(theta);
  const SpMat& A = A_;
  if (blocked_) return blocked_chol_.factorize(A);   // A's pattern is fixed (build_A_blocks)
  if (A.nonZeros() != pattern_nnz_) {
    chol_.analyzePattern(A);
    pattern_nnz_ = A.nonZeros();
  }
  chol_.factorize(A);
  return chol_.info() == Eigen::Success;
}

void LmmCore::solve_L(MatrixXd& B) const {
  if (blocked_) return blocked_chol_.solve_L(B);
  B = chol_.permutationP() * B;
  chol_.matrixL().solveInPlace(B);
}

void LmmCore::solve_Lt(VectorXd& v) const {
  if (blocked_) return blocked_chol_.solve_Lt(v);
  chol_.matrixU().solveInPlace(v);
  v = chol_.permutationPinv() * v;
}

double LmmCore::deviance(const VectorXd& theta, bool reml) {
  const double inf = std::numeric_limits<double>::infinity();
  if (theta.size() != re_.ntheta) Rcpp::stop("theta has length %d, expected %d", (int)theta.size(), re_.ntheta);
  for (int k = 0; k < theta.size(); ++k) if (!std::isfinite(theta[k])) return inf;
  if (!factor_A(theta)) {   // keep the state's shapes valid for the accessors
    u_ = VectorXd::Zero(re_.q);
    beta_ = VectorXd::Zero(p_);
    return inf;
  }
  // cu and RZX: one half-solve with L of [Lambda'Z'Wy Lambda'Z'WX]
  half_solved_.noalias() = re_.Lambda.transpose() * ZtWyX_;
  solve_L(half_solved_);
  cu_ = half_solved_.col(0);
  RZX_ = half_solved_.rightCols(p_);
  ldL2_ = blocked_ ? blocked_chol_.logdet2() : 2.0 * chol_.matrixL().nestedExpression().diagonal().array().log().sum();
  VectorXd cbeta = XtWy_ - RZX_.transpose() * cu_;
  ldRX2_ = 0;
  beta_ = VectorXd::Zero(p_);
  RX_ = MatrixXd::Zero(p_, p_);
  double cbeta2 = 0;
  if (p_ > 0) {
    const MatrixXd M = XtWX_ - RZX_.transpose() * RZX_;
    Eigen::LLT<MatrixXd> llt(M);
    if (llt.info() != Eigen::Success) return inf;
    RX_ = llt.matrixU();
    llt.matrixL().solveInPlace(cbeta);
    cbeta2 = cbeta.squaredNorm();
    beta_ = cbeta;
    llt.matrixU().solveInPlace(beta_);
    for (int j = 0; j < p_; ++j) ldRX2_ += 2.0 * std::log(RX_(j, j));
  }
  // u = P' L^{-T} (cu - RZX beta)
  u_ = cu_ - RZX_ * beta_;
  solve_Lt(u_);
  pwrss_ = ytWy_ - cu_.squaredNorm() - cbeta2;
  if (!(pwrss_ > 0)) pwrss_ = std::numeric_limits<double>::min();
  const double nmp = reml ? double(n_ - p_) : double(n_);
  double dev = ldL2_ + nmp * (1.0 + std::log(2.0 * M_PI * pwrss_ / nmp)) - sum_log_w_;
  if (reml) dev += ldRX2_;
  return dev;
}

// Per term i (p_i columns, G levels): the least-squares fit b_g = M_g^{-1} s_g of the residuals
// (y is stored as its residual on X) in each level g, M_g and s_g its blocks of Z'WZ and Z'Wy;
// sigma^2 from the residual sum of squares left, Sigma = (sum b_g b_g' - sigma^2 sum M_g^{-1}) / G
// with eigenvalues raised to at least 1e-4 of the largest (or 1e-4); theta from chol(Sigma / sigma^2).
VectorXd LmmCore::moment_theta() const {
  VectorXd theta(re_.ntheta);
  for (int i = 0, t0 = 0; i < (int)re_.term_ncol.size(); ++i) {
    const int p = re_.term_ncol[i], nlev = re_.term_nlev[i], off = re_.term_offset[i];
    MatrixXd outer = MatrixXd::Zero(p, p), sampling = MatrixXd::Zero(p, p);
    double explained = 0;
    int used = 0;
    for (int g = 0; g < nlev; ++g) {
      MatrixXd M(p, p);
      for (int a = 0; a < p; ++a)
        for (int b = 0; b < p; ++b) M(a, b) = ZtWZ_.coeff(off + g * p + a, off + g * p + b);
      const VectorXd sg = ZtWy_.segment(off + g * p, p);
      Eigen::LDLT<MatrixXd> ldlt(M);
      if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().minCoeff() > 1e-10 * std::max(1.0, M.diagonal().maxCoeff()))) continue;
      const VectorXd bg = ldlt.solve(sg);
      explained += sg.dot(bg);
      outer += bg * bg.transpose();
      sampling += ldlt.solve(MatrixXd::Identity(p, p));
      ++used;
    }
    const double df = std::max(1.0, double(n_ - p_) - double(used) * p);
    const double sigma2 = std::max(ytWy_ - explained, 1e-12 * std::max(ytWy_, 1e-300)) / df;
    MatrixXd Sigma = MatrixXd::Identity(p, p) * sigma2;
    if (used > 0) Sigma = (outer - sigma2 * sampling) / double(used);
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(Sigma);
    VectorXd ev = eig.eigenvalues();
    const double floor = 1e-4 * std::max(ev.maxCoeff(), sigma2);
    ev = ev.cwiseMax(floor);
    const MatrixXd relative = eig.eigenvectors() * ev.asDiagonal() * eig.eigenvectors().transpose() / sigma2;
    const MatrixXd T = relative.llt().matrixL();
    for (int c = 0; c < p; ++c)
      for (int r = c; r < p; ++r) theta[t0++] = T(r, c);
  }
  return theta;
}

MatrixXd LmmCore::cond_var(int term) const {
  return cond_var_blocks(re_, [this](MatrixXd& B) { solve_L(B); }, term);
}

MatrixXd LmmCore::half_solve(const MatrixXd& V) const {
  return half_solve_b(re_, [this](MatrixXd& B) { solve_L(B); }, V);
}
