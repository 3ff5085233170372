// observation_model.cpp: the family with a dispersion per observation and the zero models
// (notation and formulas in observation_model.h).
#include "observation_model.h"
#include "family_kit.h"
#include <cmath>

using family_kit::logistic;
using family_kit::saturate;
using family_kit::softplus;

void ObservationModel::set_structure(int zero_model, bool dispersion_by_observation) {
  if (zero_model < kZeroNone || zero_model > kZeroHurdle) engine_stop("unknown zero model %d", zero_model);
  zero_model_ = zero_model;
  by_obs_ = dispersion_by_observation && has_dispersion();
}

bool ObservationModel::set_components(const Eigen::VectorXd& zeta, const Eigen::VectorXd& log_phi, double shape) {
  if (zero_model_ != kZeroNone) {
    if (!zeta.allFinite()) return false;
    zeta_ = zeta;
  }
  if (by_obs_) {
    params_.resize(log_phi.size());
    for (int i = 0; i < (int)log_phi.size(); ++i) {
      const double phi = std::exp(log_phi[i]);
      if (!std::isfinite(log_phi[i]) || !(phi > 0) || !std::isfinite(phi)) return false;
      params_[i] = base_.prepared(phi, shape);
    }
  }
  return true;
}

double ObservationModel::constant(double y, double w) const {
  return (zero_model_ != kZeroNone && y == 0) ? 0.0 : base_.constant(y, w);
}

// The zero model on top of the family's value and eta-derivatives (observation_model.h): for a
// zero under zero-inflation, l = w (log(e^zeta + e^a) - log(1 + e^zeta)), whose eta-derivatives
// follow from a's by d pi/d eta = pi (1 - pi) a' (and likewise in log phi; d pi/d zeta = -pi (1 - pi)).
ObsLogLik ObservationModel::evaluate(int i, double y, double eta, double w, bool full, ZeroDerivs* z) const {
  const bool by_obs = by_obs_ && !params_.empty();
  auto family_value = [&](double yy) {
    return by_obs ? base_.evaluate_at(params_[i], yy, eta, w, full) : base_.evaluate_at(base_.params(), yy, eta, w, full);
  };
  if (zero_model_ == kZeroNone) {
    if (z) *z = ZeroDerivs{0, 0, 0, 0};
    return family_value(y);
  }
  const double zeta = zeta_[i], p = logistic(zeta);
  if (y != 0 || w == 0) {   // log(1 - p) = -softplus(zeta)
    ObsLogLik o = family_value(y);
    if (w != 0) o.value = saturate(o.value - w * softplus(zeta));
    if (z) *z = ZeroDerivs{-w * p, 0, 0, -w * p * logistic(-zeta)};
    return o;
  }
  if (zero_model_ == kZeroHurdle) {   // log p = -softplus(-zeta); no eta dependence
    if (z) *z = ZeroDerivs{w * logistic(-zeta), 0, 0, -w * p * logistic(-zeta)};
    return ObsLogLik{saturate(-w * softplus(-zeta)), 0, 0, 0, 0, 0, 0};
  }
  const ObsLogLik c = family_value(0.0);
  if (!std::isfinite(c.value)) return c;   // the mean outside the family's support
  const double a = (c.value + base_.constant(0.0, w)) / w;
  const double top = std::max(zeta, a);
  const double lse = top + std::log1p(std::exp(-std::abs(zeta - a)));
  const double pi = std::exp(a - lse), q = std::exp(zeta - lse), pq = pi * q, d = q - pi;
  const double a1 = c.grad / w, a2 = -c.info / w;
  ObsLogLik o;
  o.value = saturate(w * (lse - softplus(zeta)));
  o.grad = saturate(w * pi * a1);
  o.info = saturate(-w * (pi * a2 + (pq * a1) * a1));
  o.dinfo = o.dphi = o.dgrad_phi = o.dinfo_phi = 0;
  if (full) {
    const double a3 = -c.dinfo / w, ap = c.dphi / w, a1p = c.dgrad_phi / w, a2p = -c.dinfo_phi / w;
    o.dinfo = saturate(-w * (pi * a3 + 3.0 * (pq * a1) * a2 + ((pq * d * a1) * a1) * a1));
    o.dphi = saturate(w * pi * ap);
    o.dgrad_phi = saturate(w * ((pq * ap) * a1 + pi * a1p));
    o.dinfo_phi = saturate(-w * ((pq * ap) * a2 + pi * a2p + ((d * pq * ap) * a1) * a1 + 2.0 * (pq * a1) * a1p));
  }
  if (z) *z = ZeroDerivs{saturate(w * (q - p)), saturate(-w * pq * a1), saturate(w * pq * (a2 + (d * a1) * a1)),
                        saturate(w * (pq - p * logistic(-zeta)))};
  return o;
}
