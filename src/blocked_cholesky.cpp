// blocked_cholesky.cpp: the two-block Cholesky factor (notation in blocked_cholesky.h).
#include "blocked_cholesky.h"
#include <cmath>

using Eigen::MatrixXd;
using Eigen::VectorXd;

bool BlockedCholesky::factorize(const SpMat& A) {
  const int nblocks = q1_ / p1_;
  L11_.assign(nblocks, MatrixXd::Zero(p1_, p1_));
  // A11 blocks and the inverse transposed factors, as one block-diagonal sparse matrix
  std::vector<MatrixXd> A11(nblocks, MatrixXd::Zero(p1_, p1_));
  for (int j = 0; j < q1_; ++j)
    for (SpMat::InnerIterator it(A, j); it; ++it)
      if (it.row() < q1_) A11[j / p1_](it.row() % p1_, j % p1_) = it.value();
  std::vector<Eigen::Triplet<double> > inv_t;
  inv_t.reserve(nblocks * p1_ * (p1_ + 1) / 2);
  logdet2_ = 0;
  for (int k = 0; k < nblocks; ++k) {
    Eigen::LLT<MatrixXd> llt(A11[k]);
    if (llt.info() != Eigen::Success) return false;
    L11_[k] = llt.matrixL();
    const MatrixXd Linv_t = L11_[k].triangularView<Eigen::Lower>().solve(MatrixXd::Identity(p1_, p1_)).transpose();
    for (int c = 0; c < p1_; ++c)
      for (int r = 0; r <= c; ++r) inv_t.push_back(Eigen::Triplet<double>(k * p1_ + r, k * p1_ + c, Linv_t(r, c)));
    logdet2_ += 2.0 * L11_[k].diagonal().array().log().sum();
  }
  if (q2_ == 0) return true;
  SpMat D(q1_, q1_);
  D.setFromTriplets(inv_t.begin(), inv_t.end());
  const SpMat A21 = A.block(q1_, 0, q2_, q1_);
  L21_ = A21 * D;
  const SpMat S = L21_ * SpMat(L21_.transpose());
  L22_ = MatrixXd(A.block(q1_, q1_, q2_, q2_));
  L22_ -= MatrixXd(S);
  Eigen::LLT<Eigen::Ref<MatrixXd> > llt(L22_);   // in place
  if (llt.info() != Eigen::Success) return false;
  L22_.triangularView<Eigen::StrictlyUpper>().setZero();
  logdet2_ += 2.0 * L22_.diagonal().array().log().sum();
  return true;
}

void BlockedCholesky::solve_L(MatrixXd& B) const {
  const int nblocks = q1_ / p1_;
  for (int k = 0; k < nblocks; ++k) {
    auto Bk = B.middleRows(k * p1_, p1_);
    L11_[k].triangularView<Eigen::Lower>().solveInPlace(Bk);
  }
  if (q2_ == 0) return;
  B.bottomRows(q2_) -= L21_ * B.topRows(q1_);
  auto B2 = B.bottomRows(q2_);
  L22_.triangularView<Eigen::Lower>().solveInPlace(B2);
}

void BlockedCholesky::solve_Lt(VectorXd& v) const {
  if (q2_ > 0) {
    auto v2 = v.tail(q2_);
    L22_.triangularView<Eigen::Lower>().transpose().solveInPlace(v2);
    v.head(q1_) -= L21_.transpose() * v.tail(q2_);
  }
  const int nblocks = q1_ / p1_;
  for (int k = 0; k < nblocks; ++k) {
    auto vk = v.segment(k * p1_, p1_);
    L11_[k].triangularView<Eigen::Lower>().transpose().solveInPlace(vk);
  }
}
