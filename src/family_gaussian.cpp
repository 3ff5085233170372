// family_gaussian.cpp: the Gaussian family (families.h's contract), phi = sigma.
// l = w (-log(2 pi sigma^2)/2 - (y - mu)^2 / (2 sigma^2)); d/dlog sigma of l, l', -l'' is
// w ((r/sigma)^2 - 1), -2 l', -2 (-l''). The log link is written in closed form, the inverse link
// (mu never 0) through the scaled chain rule, the others through the plain one.
#include "family_kit.h"

using namespace family_kit;

namespace {

// aux[0] = log(2 pi sigma^2)
void gaussian_prepare(FamilyParams* p) { p->aux[0] = std::log(2 * M_PI * p->phi * p->phi); }

bool gaussian_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& p, bool, ObsLogLik* out) {
  const double s = p.phi, w = o.w, y = o.y;
  const LinkValues v = link.values(o.eta);
  const double mu = v.mu, r = y - mu, rs = r / s;
  const double base = -0.5 * p.aux[0] - 0.5 * rs * rs;
  if (&link == &log_link) {
    const double ms = mu / s;
    out->value = w * base;
    out->grad = w * rs * ms;
    out->info = w * ms * ((2.0 * mu - y) / s);
    out->dinfo = w * ms * ((4.0 * mu - y) / s);
  } else if (&link == &inverse_link) {   // mu = 1/eta is never 0: the scaled chain rule
    if (!std::isfinite(mu)) return false;
    out->value = w * base;
    const double ms = mu / s;
    chain_scaled(w * ms * rs, -w * ms * ms, 0.0, 0, 0, 0, link.scale(o.eta, v), out);
  } else {
    if (!std::isfinite(mu)) return false;
    out->value = w * base;
    chain_derivs(w * rs / s, -w / (s * s), 0.0, 0, 0, 0, v, out);
  }
  out->dphi = w * (rs * rs - 1.0);
  out->dgrad_phi = -2.0 * out->grad;
  out->dinfo_phi = -2.0 * out->info;
  return true;
}

double gaussian_constant(double, double) { return 0.0; }

double gaussian_variance(double, const FamilyParams&) { return 1.0; }

double gaussian_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LinkValues v = link.values(eta);
  const double d = &link == &log_link ? v.mu : v.dmu;
  return saturate(w * (d / p.phi) * (d / p.phi));
}

}  // namespace

extern const FamilyFunctions gaussian_family = {"gaussian", "identity", "real", "sigma", 0, gaussian_prepare,
                                                gaussian_loglik, gaussian_constant, gaussian_variance,
                                                gaussian_irls_weight};
