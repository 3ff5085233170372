// family_student.cpp: the Student t family (families.h's contract) as glmmTMB's t_family(): y =
// mu + sigma e with e ~ t(nu), phi = sigma (the scale), and the shape parameter glmmTMB's psi =
// log nu (estimated). With z = (y - mu)/sigma and D = nu + z^2:
//   l = w (lgamma((nu + 1)/2) - lgamma(nu/2) - log(nu pi)/2 - log sigma - (nu + 1)/2 log(1 + z^2/nu)),
//   dl/dmu = (nu + 1) z / (sigma D), d2l/dmu2 = -(nu + 1)(nu - z^2) / (sigma^2 D^2),
//   d3l/dmu3 = 2 (nu + 1) z (z^2 - 3 nu) / (sigma^3 D^3),
// and in log sigma (dz/dlog sigma = -z): l_phi = -1 + (nu + 1) z^2 / D,
//   (dl/dmu)_phi = -2 nu (nu + 1) z / (sigma D^2), (d2l/dmu2)_phi = -2 nu (nu + 1)(3 z^2 - nu) / (sigma^2 D^3),
// each formed from the bounded ratios (nu + 1)/D, z/D and nu/D, and taken to eta by the plain chain
// rule (the mean may be any real number). The observed information is negative for |z| > sqrt(nu).
#include "family_kit.h"

using namespace family_kit;

namespace {

// aux: nu, lgamma((nu + 1)/2) - lgamma(nu/2) - log(nu pi)/2 - log sigma
void student_prepare(FamilyParams* p) {
  const double nu = std::exp(p->shape), half = 0.5 * nu;
  p->aux[0] = nu;
  p->aux[1] = lgamma_ratio(0.5, half, std::log(half), std::numeric_limits<double>::quiet_NaN()) -
              0.5 * (p->shape + std::log(M_PI)) - p->log_phi;
}

bool student_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool, ObsLogLik* out) {
  const double nu = pr.aux[0], sigma = pr.phi, w = o.w;
  if (!(nu > 0) || !std::isfinite(pr.aux[1])) return false;
  const LinkValues v = link.values(o.eta);
  if (!std::isfinite(v.mu)) return false;
  const double z = (o.y - v.mu) / sigma;
  // (nu + 1)/D, z/D, nu/D and z^2/D, for |z| > 1 through u = 1/z (z^2 may overflow)
  double k1, q, nuD, zq;
  if (std::fabs(z) <= 1) {
    const double D = nu + z * z;
    k1 = (nu + 1.0) / D; q = z / D; nuD = nu / D; zq = z * z / D;
  } else {
    const double u = 1.0 / z, Du = nu * u * u + 1.0;   // D / z^2
    k1 = (nu + 1.0) * u * u / Du; q = u / Du; nuD = nu * u * u / Du; zq = 1.0 / Du;
  }
  // log(1 + z^2/nu), by logs only where z^2 would overflow
  const double log_term = std::fabs(z) < 1e150 ? std::log1p(z * z / nu) : 2.0 * std::log(std::fabs(z)) + std::log1p(nu / z / z) - std::log(nu);
  out->value = w * (pr.aux[1] - 0.5 * (nu + 1.0) * log_term);
  const double l1 = (nu + 1.0) * q / sigma;
  const double l2 = -k1 * (nuD - zq) / (sigma * sigma);
  const double l3 = 2.0 * k1 * q * (zq - 3.0 * nuD) / (sigma * sigma * sigma);
  const double lp = -1.0 + (nu + 1.0) * zq;
  const double l1p = -2.0 * nuD * (nu + 1.0) * q / sigma;
  const double l2p = -2.0 * nuD * k1 * (3.0 * zq - nuD) / (sigma * sigma);
  chain_derivs(w * l1, w * l2, w * l3, w * lp, w * l1p, w * l2p, v, out);
  return true;
}

double student_constant(double, double) { return 0.0; }

// glmmTMB's t_family variance function: phi (= sigma) whatever mu
double student_variance(double, const FamilyParams& p) { return p.phi; }

// expected information in mu, (nu + 1) / ((nu + 3) sigma^2), times w mu'^2
double student_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LinkValues v = link.values(eta);
  const double nu = p.aux[0], d = v.dmu / p.phi;
  return saturate(w * d * d * (nu + 1.0) / (nu + 3.0));
}

}  // namespace

extern const FamilyFunctions t_family = {"t", "identity", "real", "sigma", 1, student_prepare, student_loglik,
                                         student_constant, student_variance, student_irls_weight};
