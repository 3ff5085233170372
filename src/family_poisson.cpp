// family_poisson.cpp: the Poisson family (families.h's contract): l = w (y log mu - mu). The log
// link is on the eta scale (l = w (y eta - e^eta), eta capped at 700 where e^eta would overflow),
// the other links through the scaled chain rule.
#include "family_kit.h"

using namespace family_kit;

namespace {

bool poisson_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams&, bool, ObsLogLik* out) {
  const double y = o.y, w = o.w;
  const LinkValues v = link.values(o.eta);
  const double mu = v.mu;
  if (&link == &log_link) {
    const double e = std::min(o.eta, kMaxExp);
    out->value = w * ((y > 0 ? y * e : 0.0) - mu);
    out->grad = w * (y - mu);
    out->info = out->dinfo = w * mu;
  } else {
    if (!(mu > 0) || !std::isfinite(mu)) return false;
    out->value = w * ((y > 0 ? y * std::log(mu) : 0.0) - mu);
    chain_scaled(w * (y - mu), -w * y, 2.0 * w * y, 0, 0, 0, link.scale(o.eta, v), out);
  }
  out->dphi = out->dgrad_phi = out->dinfo_phi = 0;
  return true;
}

double poisson_constant(double y, double w) { return -w * std::lgamma(y + 1.0); }

double poisson_variance(double mu, const FamilyParams&) { return mu; }

// w mu'^2 / mu, the division by mu taken first
double poisson_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams&) {
  const LinkValues v = link.values(eta);
  if (&link == &log_link) return w * v.mu;
  return saturate(w * v.dmu * (v.dmu / v.mu));
}

// poisson_loglik() for the log link over n observations (families.h's loglik_batch)
bool poisson_loglik_batch(const LinkFunctions& link, int n, const double* y, const double* eta, const double* w,
                          double* value, double* grad, double* info, double* dinfo) {
  if (&link != &log_link) return false;
  for (int i = 0; i < n; ++i) {
    const double e = std::min(eta[i], kMaxExp), mu = std::exp(e), wi = w[i], yi = y[i];
    value[i] = wi * ((yi > 0 ? yi * e : 0.0) - mu);
    grad[i] = wi * (yi - mu);
    info[i] = wi * mu;
    if (dinfo) dinfo[i] = wi * mu;
  }
  return true;
}

}  // namespace

extern const FamilyFunctions poisson_family = {"poisson", "log", "count", nullptr, 0, nullptr, poisson_loglik,
                                               poisson_constant, poisson_variance, poisson_irls_weight,
                                               poisson_loglik_batch};
