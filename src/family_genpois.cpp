// family_genpois.cpp: the generalized Poisson family (families.h's contract) as glmmTMB defines
// it (Consul's distribution with theta = mu / sqrt(phi), lambda = 1 - 1 / sqrt(phi)), so the
// mean is mu and Var(y) = phi mu (phi > 1 overdispersed, phi < 1 underdispersed):
//   l = w (log theta + (y - 1) log(theta + lambda y) - theta - lambda y) less w lgamma(y + 1).
// Written in lam = log mu (chain_log_mean()), with s = 1/sqrt(phi), theta = s e^lam,
// u = theta + lambda y, r = theta / u (ds/dlog phi = -s/2, dlambda/dlog phi = s/2):
//   dl/dlam = 1 + (y - 1) r - theta, d2 = (y - 1) y lambda r / u - theta,
//   d3 = (y - 1) y lambda (r / u)(1 - 2 r) - theta,
// and in log phi: l_phi = -1/2 + ((y - 1)/u - 1)(s y - theta)/2, d1_phi = theta/2 - (y - 1) y r / (2u),
// d2_phi = theta/2 + (y - 1) y r / (2 u) ((s - lambda) - 2 lambda (s y - theta)/u). A zero count has
// l = -theta (all lam-derivatives -theta). Underdispersed fits (lambda < 0) bound the support: a
// count with theta + lambda y <= 0 is impossible there (outside the support).
#include "family_kit.h"

using namespace family_kit;

namespace {

// aux: s = 1/sqrt(phi), lambda = 1 - s (by expm1: no cancellation near phi = 1), log s
void genpois_prepare(FamilyParams* p) {
  p->aux[0] = std::exp(-0.5 * p->log_phi);
  p->aux[1] = -std::expm1(-0.5 * p->log_phi);
  p->aux[2] = -0.5 * p->log_phi;
}

bool genpois_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double y = o.y, w = o.w, s = pr.aux[0], lam_gp = pr.aux[1];
  const LinkValues v = &link == &log_link ? LinkValues{0, 0, 0, 0} : link.values(o.eta);
  const double lmu = log_mean(link, o.eta, v);
  if (std::isnan(lmu)) return false;
  const double log_theta = std::min(lmu + pr.aux[2], kMaxExp), theta = std::exp(log_theta);
  double value, D1, D2, D3, P0 = 0, P1 = 0, P2 = 0;
  if (y == 0) {
    value = D1 = D2 = D3 = -theta;
    P0 = P1 = P2 = 0.5 * theta;
  } else {
    const double ly = lam_gp * y;
    double u, log_u, r;
    if (ly == 0) {   // phi = 1 (Poisson) or a vanishing lambda: u = theta
      u = theta;
      log_u = log_theta;
      r = 1.0;
    } else {
      u = theta + ly;
      if (!(u > 0)) return false;
      log_u = std::log(u);
      r = theta / u;
    }
    const double iu = 1.0 / u, ym1 = y - 1.0, c = ym1 * y * lam_gp;   // c r / u appears in d2 and d3
    value = log_theta + (ym1 != 0 ? ym1 * log_u : 0.0) - theta - ly;
    D1 = 1.0 + ym1 * r - theta;
    D2 = times(c, r * iu) - theta;
    D3 = times(c, r * iu * (1.0 - 2.0 * r)) - theta;
    if (full) {
      const double sy_theta = s * y - theta, k = times(ym1 * y, r * iu);   // (y - 1) y r / u
      P0 = -0.5 + 0.5 * times(ym1, sy_theta * iu) - 0.5 * sy_theta;
      P1 = 0.5 * theta - 0.5 * k;
      P2 = 0.5 * theta + 0.5 * times(k, (s - lam_gp) - 2.0 * times(lam_gp, sy_theta * iu));
    }
  }
  out->value = w * value;
  chain_log_mean(w * D1, w * D2, w * D3, w * P0, w * P1, w * P2, link, o.eta, v, out);
  return true;
}

double genpois_constant(double y, double w) { return -w * std::lgamma(y + 1.0); }

// glmmTMB's variance function mu phi
double genpois_variance(double mu, const FamilyParams& p) { return saturate(mu * p.phi); }

// w mu'^2 / (phi mu), mu'/mu formed first
double genpois_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LinkValues v = link.values(eta);
  if (&link == &log_link) return saturate(w * v.mu / p.phi);
  return saturate(w * v.dmu * (v.dmu / v.mu) / p.phi);
}

}  // namespace

extern const FamilyFunctions genpois_family = {"genpois", "log", "count", "phi", 0, genpois_prepare, genpois_loglik,
                                               genpois_constant, genpois_variance, genpois_irls_weight};
