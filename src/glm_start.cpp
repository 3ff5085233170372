// glm_start.cpp: the generalized linear model without random effects, fitted by Fisher scoring
// (Newton-Raphson with the expected information, as glm.fit's IRLS) with step halving on
// sum_i l_i(X beta + offset) (families.h's log-likelihoods), which gives the GLMM's start
// values. Linear in n per iteration, so large models do not wait for glm.fit().
#include "glm_start.h"
#include <algorithm>
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// sum_i l_i at eta; fills the gradient and the IRLS weights (the expected information) when asked.
double glm_loglik(const ResponseModel& model, const Eigen::Ref<const VectorXd>& y, const VectorXd& eta,
                  const Eigen::Ref<const VectorXd>& w, VectorXd* grad, VectorXd* info, bool batch) {
  if (batch && grad) {   // the family's batch (canonical links: the information is the IRLS weight)
    const int n = eta.size(), chunk = 1024;
    double value[chunk], ll = 0;
    bool ok = true;
    for (int s = 0; s < n && ok; s += chunk) {
      const int len = std::min(chunk, n - s);
      ok = model.evaluate_batch(len, y.data() + s, eta.data() + s, w.data() + s, value, grad->data() + s,
                                info->data() + s, nullptr);
      for (int i = 0; ok && i < len; ++i) ll += value[i];
    }
    if (ok) {
      for (int i = 0; i < n; ++i) {
        double& wt = (*info)[i];
        if (!(std::isfinite(wt) && wt > 0)) wt = 0.0;
      }
      return std::isfinite(ll) ? ll : -std::numeric_limits<double>::infinity();
    }
  }
  double ll = 0;
  for (int i = 0; i < eta.size(); ++i) {
    const ObsLogLik o = model.loglik(y[i], eta[i], w[i]);
    ll += o.value;
    if (grad) {
      (*grad)[i] = o.grad;
      const double wt = model.irls_weight(eta[i], w[i]);
      (*info)[i] = std::isfinite(wt) && wt > 0 ? wt : 0.0;
    }
  }
  return std::isfinite(ll) ? ll : -std::numeric_limits<double>::infinity();
}

}  // namespace

bool fit_glm(const Eigen::Ref<const MatrixXd>& X, const Eigen::Ref<const VectorXd>& y, const Eigen::Ref<const VectorXd>& weights,
             const Eigen::Ref<const VectorXd>& offset, const Eigen::Ref<const VectorXd>& eta_start, int family, int link,
             double phi, VectorXd& beta_out, VectorXd& eta_out) {
  const int n = X.rows(), p = X.cols();
  if (y.size() != n || weights.size() != n || offset.size() != n || eta_start.size() != n)
    engine_stop("response, weights, offset and start must have one value per row of the model matrix");
  ResponseModel model(family, link);
  model.set_parameters(phi);
  VectorXd beta = VectorXd::Zero(p);
  bool converged = false;
  if (p > 0) {
    Eigen::LLT<MatrixXd> xtx(X.transpose() * X);
    if (xtx.info() == Eigen::Success) beta = xtx.solve(X.transpose() * (VectorXd(eta_start) - offset));
  }
  VectorXd eta = X * beta + offset, grad(n), info(n);
  // large data: the family's batch where it has one (one dispatch per 1024 rows; the same fit)
  const bool batch = n >= 10000;
  double ll = glm_loglik(model, y, eta, weights, &grad, &info, batch);
  if (!std::isfinite(ll)) {   // the start is outside the family's support: begin at the offset
    beta.setZero();
    eta = offset;
    ll = glm_loglik(model, y, eta, weights, &grad, &info, batch);
  }
  VectorXd grad_new(n), info_new(n);   // a trial point's derivatives (swapped in when it is kept)
  for (int it = 0; it < 100 && std::isfinite(ll); ++it) {
    if (it % 10 == 9) check_user_interrupt();   // all objects here clean up as it unwinds
    const VectorXd score = X.transpose() * grad;
    const MatrixXd M = X.transpose() * info.asDiagonal() * X;
    Eigen::LLT<MatrixXd> chol(M);
    if (chol.info() != Eigen::Success) break;
    const VectorXd delta = chol.solve(score);
    const double decrement = score.dot(delta);
    if (!std::isfinite(decrement)) break;
    if (decrement < 1e-20 * (1.0 + std::abs(ll))) {
      converged = true;
      break;
    }
    // each trial point's derivatives with its value (the full step is almost always kept)
    double step = 1.0, ll_new = -std::numeric_limits<double>::infinity();
    VectorXd eta_new;
    for (int k = 0; k < 30; ++k, step *= 0.5) {
      eta_new = X * (beta + step * delta) + offset;
      ll_new = glm_loglik(model, y, eta_new, weights, &grad_new, &info_new, batch);
      if (ll_new >= ll - 1e-12 * std::abs(ll)) break;
    }
    if (!(ll_new >= ll - 1e-12 * std::abs(ll))) {   // no ascent: at the maximum to rounding?
      converged = decrement < 1e-10 * (1.0 + std::abs(ll));
      break;
    }
    beta += step * delta;
    eta.swap(eta_new);
    grad.swap(grad_new);
    info.swap(info_new);
    ll = ll_new;
  }
  beta_out = beta;
  eta_out = eta;
  return converged;
}
