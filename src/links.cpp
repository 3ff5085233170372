// links.cpp: the link functions as data (families.h): for each link its inverse mu(eta) with the
// ratios of its derivatives, its elasticity form, and log mu, log(1 - mu) for probability means.
// log and cloglog cap exp(eta) at exp(700) (family_kit.h); log_probs() has closed forms for
// logit (softplus), probit (the Mills ratio's continued fraction in the tails), cloglog
// (e^eta / expm1(e^eta)) and log; the other links take the chain rule through mu.
#include "family_kit.h"

using namespace family_kit;

namespace {

// log mu and log(1 - mu) with their eta-derivatives through mu and the chain rule (no closed form).
LogProbs log_probs_by_chain_rule(const LinkValues& v) {
  LogProbs L;
  const double mu = v.mu, dh = v.h2 - v.h * v.h;
  L.ok_a = L.ok_b = mu > 0 && mu < 1;
  L.a[0] = std::log(mu);
  L.a[1] = v.dmu / mu;
  L.a[2] = times(L.a[1], v.h) - L.a[1] * L.a[1];
  L.a[3] = times(L.a[2], v.h) + times(L.a[1], dh) - 2.0 * L.a[1] * L.a[2];
  L.b[0] = std::log1p(-mu);
  L.b[1] = -v.dmu / (1.0 - mu);
  L.b[2] = times(L.b[1], v.h) - L.b[1] * L.b[1];
  L.b[3] = times(L.b[2], v.h) + times(L.b[1], dh) - 2.0 * L.b[1] * L.b[2];
  return L;
}

// The elasticity form from the values (links that are not power links).
LinkScale scale_from_values(double, const LinkValues& v) {
  LinkScale k;
  k.E = v.dmu / v.mu;
  k.c1 = v.h / k.E;
  k.c2 = v.h2 / k.E / k.E;
  return k;
}

// ---- identity: mu = eta ----
LinkValues identity_values(double eta) { return LinkValues{eta, 1.0, 0.0, 0.0}; }
LinkScale identity_scale(double eta, const LinkValues&) { return LinkScale{1.0 / eta, 0.0, 0.0}; }
LogProbs identity_log_probs(double eta) { return log_probs_by_chain_rule(identity_values(eta)); }

// ---- log: mu = e^eta ----
LinkValues log_values(double eta) {
  const double mu = capped_exp(eta);
  return LinkValues{mu, mu, 1.0, 1.0};
}
LinkScale log_scale(double, const LinkValues&) { return LinkScale{1.0, 1.0, 1.0}; }
// a = eta; b = log(1 - e^eta), defined for eta < 0
LogProbs log_log_probs(double eta) {
  LogProbs L;
  L.a[0] = eta; L.a[1] = 1; L.a[2] = 0; L.a[3] = 0;
  L.ok_a = eta <= 0;
  L.ok_b = eta < 0;
  const double mu = std::exp(std::min(eta, 0.0)), D = -std::expm1(std::min(eta, 0.0));   // 1 - mu
  L.b[0] = std::log(D);
  L.b[1] = -(mu / D);
  L.b[2] = -(mu / D) / D;
  L.b[3] = -((mu / D) / D) * ((1.0 + mu) / D);
  return L;
}

// ---- logit: mu = 1 / (1 + e^-eta) ----
LinkValues logit_values(double eta) {
  LinkValues v;
  v.mu = logistic(eta);
  const double q = logistic(-eta);
  v.dmu = v.mu * q;
  v.h = q - v.mu;
  v.h2 = v.h * v.h - 2.0 * v.dmu;
  return v;
}
// a = -softplus(-eta), b = -softplus(eta) (family_kit.h)
LogProbs logit_log_probs(double eta) { return logit_log_probs_closed(eta); }

// ---- probit: mu = Phi(eta) ----
LinkValues probit_values(double eta) { return LinkValues{norm_cdf(eta, false), norm_density(eta, false), -eta, eta * eta - 1.0}; }

// log Phi(z) and its first three derivatives in d[0..3]. With r = phi(z)/Phi(z):
// d1 = r, d2 = -r (z + r), d3 = r ((z + r)^2 - 1 + r (z + r)). Below z = -5 these cancel, so
// the tail uses the continued fraction of the Mills ratio, 1/r = 1/(x + 1/K1) with x = -z and
// K_j = x + (j + 1)/K_{j+1}: then z + r = 1/K1 and the third derivative is
// 2 r (K2 - K1) / (K1^2 K2) with K2 - K1 = (x + 9/K3 - 8/K4) / (K2 K3), free of cancellation.
void log_pnorm_derivs(double z, double d[4]) {
  d[0] = norm_cdf(z, true);
  if (z >= -5.0) {
    const double r = std::exp(norm_density(z, true) - d[0]), g = z + r;
    d[1] = r;
    d[2] = -r * g;
    d[3] = r * (g * g - 1.0 + r * g);
    return;
  }
  const double x = -z;
  double K[5];   // K[1..4]; depth 60 is converged to rounding for x >= 4
  double k = x;
  for (int j = 60; j >= 1; --j) {
    k = x + (j + 1) / k;
    if (j <= 4) K[j] = k;
  }
  const double c = 1.0 / K[1], r = x + c;
  d[1] = r;
  d[2] = -r * c;
  d[3] = 2.0 * r * ((x + 9.0 / K[3] - 8.0 / K[4]) / (K[2] * K[3])) / (K[1] * K[1] * K[2]);
}

// a = log Phi(eta), b = log Phi(-eta)
LogProbs probit_log_probs(double eta) {
  LogProbs L;
  L.ok_a = L.ok_b = true;
  double c[4];
  log_pnorm_derivs(eta, L.a);
  log_pnorm_derivs(-eta, c);
  L.b[0] = c[0]; L.b[1] = -c[1]; L.b[2] = c[2]; L.b[3] = -c[3];
  return L;
}

// ---- cloglog: mu = 1 - exp(-e^eta) ----
LinkValues cloglog_values(double eta) {
  const double ce = std::min(eta, kMaxExp), e = std::exp(ce);
  LinkValues v;
  v.mu = -std::expm1(-e);
  v.dmu = std::exp(ce - e);
  v.h = 1.0 - e;
  v.h2 = saturate(v.h * v.h - e);
  return v;
}
// e = exp(eta): b = -e; a' = B = e / expm1(e), a'' = B (1 - e - B)
LogProbs cloglog_log_probs(double eta) {
  LogProbs L;
  L.ok_a = L.ok_b = true;
  const double ce = std::min(eta, kMaxExp), e = std::exp(ce);
  L.b[0] = L.b[1] = L.b[2] = L.b[3] = -e;
  const double B = e > 1e-300 ? e / std::expm1(e) : 1.0;   // expm1(e) = Inf gives B = 0
  // 1 - e - B by its series for small e (the direct form cancels)
  const double m = e < 0.01 ? -e * (0.5 + e * (1.0 / 12 - e * e * (1.0 / 720 - e * e / 30240))) : 1.0 - e - B;
  L.a[0] = e < 1e-8 ? ce - 0.5 * e : std::log(-std::expm1(-e));   // log(1 - e^-e) = eta - e/2 + O(e^2)
  L.a[1] = B;
  L.a[2] = B * m;
  L.a[3] = L.a[2] * (m - B) - e * B;
  return L;
}

// ---- inverse: mu = 1 / eta ----
LinkValues inverse_values(double eta) { return LinkValues{1.0 / eta, -1.0 / (eta * eta), -2.0 / eta, 6.0 / (eta * eta)}; }
LinkScale inverse_scale(double eta, const LinkValues&) { return LinkScale{-1.0 / eta, 2.0, 6.0}; }
LogProbs inverse_log_probs(double eta) { return log_probs_by_chain_rule(inverse_values(eta)); }

// ---- sqrt: mu = eta^2 ----
LinkValues sqrt_values(double eta) { return LinkValues{eta * eta, 2.0 * eta, 1.0 / eta, 0.0}; }
LinkScale sqrt_scale(double eta, const LinkValues&) { return LinkScale{2.0 / eta, 0.5, 0.0}; }
LogProbs sqrt_log_probs(double eta) { return log_probs_by_chain_rule(sqrt_values(eta)); }

}  // namespace

extern const LinkFunctions identity_link = {"identity", identity_values, identity_scale, identity_log_probs};
extern const LinkFunctions log_link = {"log", log_values, log_scale, log_log_probs};
extern const LinkFunctions logit_link = {"logit", logit_values, scale_from_values, logit_log_probs};
extern const LinkFunctions probit_link = {"probit", probit_values, scale_from_values, probit_log_probs};
extern const LinkFunctions cloglog_link = {"cloglog", cloglog_values, scale_from_values, cloglog_log_probs};
extern const LinkFunctions inverse_link = {"inverse", inverse_values, inverse_scale, inverse_log_probs};
extern const LinkFunctions sqrt_link = {"sqrt", sqrt_values, sqrt_scale, sqrt_log_probs};
