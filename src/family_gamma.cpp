// family_gamma.cpp: the Gamma family (families.h's contract) with phi the coefficient of
// variation, shape nu = phi^-2 (d nu / dlog phi = -2 nu), as glmmTMB reports sigma():
// l = w (nu log nu + (nu - 1) log y - lgamma(nu) - nu log mu - nu y / mu). The log link is on the
// eta scale (y / mu = exp(min(log y - eta, 709))), the inverse (canonical) link in closed form,
// the others through the scaled chain rule.
#include "family_kit.h"

using namespace family_kit;

namespace {

// aux: nu, log nu, lgamma(nu), digamma(nu)
void gamma_prepare(FamilyParams* p) {
  const double nu = 1.0 / (p->phi * p->phi);
  p->aux[0] = nu;
  p->aux[1] = std::log(nu);
  p->aux[2] = std::lgamma(nu);
  p->aux[3] = digamma(nu);
}

bool gamma_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& p, bool full, ObsLogLik* out) {
  const double y = o.y, w = o.w, eta = o.eta;
  if (!(y > 0)) return false;
  const double nu = p.aux[0], log_nu = p.aux[1], ly = std::log(y);
  const double common = nu * log_nu + (nu - 1.0) * ly - p.aux[2];
  double log_mu, y_mu;   // log mu and y / mu
  if (&link == &log_link) {   // l = nu (-eta - y e^-eta): l' = nu (z - 1), -l'' = nu z, -l''' = -nu z
    log_mu = eta;
    y_mu = std::exp(std::min(ly - eta, kMaxLogDouble));
    out->grad = w * nu * (y_mu - 1.0);
    out->info = w * nu * y_mu;
    out->dinfo = -out->info;
  } else if (&link == &inverse_link) {   // canonical: l = nu (log eta - y eta)
    if (!(eta > 0)) return false;
    log_mu = -std::log(eta);
    y_mu = y * eta;
    const double ne = nu / eta;
    out->grad = w * (ne - nu * y);
    out->info = w * ne / eta;
    out->dinfo = -2.0 * w * (ne / eta) / eta;
  } else {
    const LinkValues v = link.values(eta);
    const double mu = v.mu;
    if (!(mu > 0) || !std::isfinite(mu)) return false;
    log_mu = std::log(mu);
    y_mu = y / mu;
    chain_scaled(w * nu * (y_mu - 1.0), w * nu * (1.0 - 2.0 * y_mu), w * nu * (6.0 * y_mu - 2.0), 0, 0, 0,
                 link.scale(eta, v), out);
  }
  out->value = w * (common - nu * log_mu - nu * y_mu);
  if (full) out->dphi = -2.0 * nu * w * (log_nu + 1.0 - log_mu + ly - y_mu - p.aux[3]);
  out->dgrad_phi = -2.0 * out->grad;
  out->dinfo_phi = -2.0 * out->info;
  return true;
}

double gamma_constant(double, double) { return 0.0; }

double gamma_variance(double mu, const FamilyParams&) { return saturate(mu * mu); }

// w mu'^2 / (phi^2 mu^2), mu'/mu formed first
double gamma_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  if (&link == &log_link) return w / (p.phi * p.phi);
  const LinkValues v = link.values(eta);
  return saturate(w * (v.dmu / v.mu) * (v.dmu / v.mu) / (p.phi * p.phi));
}

}  // namespace

extern const FamilyFunctions Gamma_family = {"Gamma", "inverse", "positive", "sigma", 0, gamma_prepare, gamma_loglik,
                                             gamma_constant, gamma_variance, gamma_irls_weight};
