// zero_laplace.cpp: the Laplace approximation when the zero model has random effects of its own
// (glmmTMB's ziformula = ~ x + (1 | g)). Notation as in glmm_core.h, plus v the zero model's
// spherical random effects, B = Z_zi Lambda_zi and zeta = X_zi beta_zi + B v + offset. The
// penalized deviance g(u, v) = -2 sum_i l_i(eta_i, zeta_i) + |u|^2 + |v|^2 is minimized by Newton
// steps with step halving; with per-observation second derivatives D_ee = -l_ee, D_ez = -l_ez,
// D_zz = -l_zz (exact: observation_model.h), the halved Hessian is
//   H = I + M' W M,  M = [A 0; 0 B] (2n rows: eta's, then zeta's),  W = [D_ee D_ez; D_ez D_zz],
// factored by a sparse LLT. Newton directions use the exact H where it is positive definite (near
// the mode, so convergence is quadratic), else each observation's 2 x 2 block made positive
// semidefinite (negative curvatures floored at 0, |D_ez| <= sqrt(D_ee D_zz)); the Laplace
// log-determinant uses the exact blocks at the mode. -2 log L = g(u^, v^) + log|H|. The outer
// gradient is not exact here (the optimizer works without it).
#include "glmm_core.h"
#include <Eigen/SparseCholesky>
#include <cmath>
#include <limits>

using Eigen::VectorXd;

void GlmmCore::set_zi_random(const std::vector<ReTermData>& terms) {
  if (model_.zero_model() == kZeroNone) engine_stop("random effects in the zero model need a zero model");
  re_zi_ = build_re_design(terms, X_.rows());
  zi_random_ = re_zi_.q > 0;
  v_ = VectorXd::Zero(re_zi_.q);
  invalidate_cache();
}

double GlmmCore::zi_penalized_deviance(const VectorXd& u, const VectorXd& v, VectorXd* le, VectorXd* lz, VectorXd* dee,
                                       VectorXd* dez, VectorXd* dzz) {
  const int n = y_.size();
  set_eta(u);
  model_.set_zeta(zeta_fixed_ + ZLzi_ * v);
  double ll = loglik_constant_;
  for (int i = 0; i < n; ++i) {
    ZeroDerivs zd;
    const ObsLogLik o = model_.derivs(i, y_[i], eta_[i], w_[i], &zd);
    ll += o.value;
    if (le) {
      (*le)[i] = o.grad;
      (*lz)[i] = zd.dz;
      (*dee)[i] = o.info;
      (*dez)[i] = -zd.dgrad_z;
      (*dzz)[i] = -zd.d2z;
    }
  }
  loglik_cond_ = ll;
  const double dev = -2.0 * ll + u.squaredNorm() + v.squaredNorm();
  return std::isfinite(dev) ? dev : std::numeric_limits<double>::infinity();
}

namespace {

// H = I + M' W M for the per-observation blocks (dee, dez, dzz), made positive semidefinite when `floor`.
SpMat joint_hessian(const SpMat& M, const VectorXd& dee, const VectorXd& dez, const VectorXd& dzz, bool floor) {
  const int n = dee.size(), dim = M.cols();
  std::vector<Eigen::Triplet<double> > t;
  t.reserve(4 * n);
  for (int i = 0; i < n; ++i) {
    double a = dee[i], b = dez[i], c = dzz[i];
    if (floor) {
      a = std::max(a, 0.0);
      c = std::max(c, 0.0);
      const double bound = std::sqrt(a * c);
      b = std::max(-bound, std::min(b, bound));
    }
    t.emplace_back(i, i, a);
    t.emplace_back(n + i, n + i, c);
    t.emplace_back(i, n + i, b);
    t.emplace_back(n + i, i, b);
  }
  SpMat W(2 * n, 2 * n);
  W.setFromTriplets(t.begin(), t.end());
  SpMat I(dim, dim);
  I.setIdentity();
  SpMat H = SpMat(M.transpose() * W * M) + I;
  return H;
}

}  // namespace

double GlmmCore::zi_laplace_deviance(const VectorXd& theta, const VectorXd& beta, double phi, double shape,
                                     const VectorXd& theta_zi) {
  const double inf = std::numeric_limits<double>::infinity();
  if (!theta_zi.allFinite() || !set_parameters(theta, beta, phi, shape)) return inf;
  re_zi_.set_theta(theta_zi.data());
  ZLzi_ = re_zi_.Z * re_zi_.Lambda;
  const int n = y_.size(), q = re_.q, qz = re_zi_.q;
  // M = [A 0; 0 B]
  std::vector<Eigen::Triplet<double> > t;
  const Eigen::Map<const SpMat> At_ = At();
  t.reserve(At_.nonZeros() + ZLzi_.nonZeros());
  for (int i = 0; i < At_.outerSize(); ++i)
    for (Eigen::Map<const SpMat>::InnerIterator it(At_, i); it; ++it) t.emplace_back(i, it.row(), it.value());
  for (int c = 0; c < ZLzi_.outerSize(); ++c)
    for (SpMat::InnerIterator it(ZLzi_, c); it; ++it) t.emplace_back(n + it.row(), q + c, it.value());
  SpMat M(2 * n, q + qz);
  M.setFromTriplets(t.begin(), t.end());
  if (u_.size() != q || !u_.allFinite()) u_ = VectorXd::Zero(q);
  if (v_.size() != qz || !v_.allFinite()) v_ = VectorXd::Zero(qz);
  VectorXd le(n), lz(n), dee(n), dez(n), dzz(n);
  double dev = zi_penalized_deviance(u_, v_, &le, &lz, &dee, &dez, &dzz);
  if (!std::isfinite(dev)) {
    u_.setZero();
    v_.setZero();
    dev = zi_penalized_deviance(u_, v_, &le, &lz, &dee, &dez, &dzz);
    if (!std::isfinite(dev)) return inf;
  }
  Eigen::SimplicialLLT<SpMat> llt;
  llt.analyzePattern(joint_hessian(M, dee, dez, dzz, true));   // the pattern is the same at every step
  pirls_iter_ = 0;
  for (int it = 0; it < 100; ++it) {
    VectorXd rhs(q + qz);
    rhs.head(q) = At() * le - u_;
    rhs.tail(qz) = ZLzi_.transpose() * lz - v_;
    llt.factorize(joint_hessian(M, dee, dez, dzz, false));   // the exact Hessian where it is positive definite
    if (llt.info() != Eigen::Success) llt.factorize(joint_hessian(M, dee, dez, dzz, true));
    if (llt.info() != Eigen::Success) return inf;
    const VectorXd delta = llt.solve(rhs);
    const double decrement = rhs.dot(delta);
    ++pirls_iter_;
    if (!(decrement > 1e-20 * (1.0 + std::abs(dev)))) break;
    double step = 1.0, dev_new = inf;
    VectorXd u_new, v_new;
    for (int k = 0; k < 30; ++k, step *= 0.5) {
      u_new = u_ + step * delta.head(q);
      v_new = v_ + step * delta.tail(qz);
      dev_new = zi_penalized_deviance(u_new, v_new, &le, &lz, &dee, &dez, &dzz);
      if (dev_new <= dev + 1e-13 * std::abs(dev)) break;
    }
    if (!(dev_new <= dev + 1e-13 * std::abs(dev))) {   // no descent: at the mode to rounding
      zi_penalized_deviance(u_, v_, &le, &lz, &dee, &dez, &dzz);
      break;
    }
    u_ = u_new;
    v_ = v_new;
    const double change = dev - dev_new;
    dev = dev_new;
    if (change < 1e-14 * (1.0 + std::abs(dev)) && decrement < 1e-18 * (1.0 + std::abs(dev))) break;
    if (it % 16 == 15) check_user_interrupt();
  }
  llt.factorize(joint_hessian(M, dee, dez, dzz, false));   // the exact curvature at the mode
  if (llt.info() != Eigen::Success) return inf;   // the mode is not a maximum
  double logdet = 0;
  const VectorXd diag = SpMat(llt.matrixL()).diagonal();
  for (int j = 0; j < diag.size(); ++j) logdet += 2.0 * std::log(diag[j]);
  ldL2_ = logdet;
  return dev + logdet;
}
