// family_truncated.cpp: the zero-truncated count families (families.h's contract) as glmmTMB
// defines them: truncated_poisson, truncated_nbinom1 and truncated_nbinom2 are the untruncated
// family (mu its mean before truncation, phi its dispersion) conditioned on y > 0:
//   l = l_base - w T,   T = log P(y > 0) = log(1 - e^-m),   m = -log P(y = 0),
// with m = mu (Poisson), (mu / phi) log(1 + phi) (nbinom1) and theta softplus(log mu - log theta)
// (nbinom2). T = A(x) for x = log m, where A(x) = log(1 - exp(-e^x)) is the cloglog link's log mu,
// whose closed forms hold in both tails (links.cpp); x is taken in lam = log mu, so
//   T' = A' x', T'' = A'' x'^2 + A' x'', T''' = A''' x'^3 + 3 A'' x' x'' + A' x''',
// and in log phi (x_p = dx/dlog phi, and its lam-derivatives x_p', x_p''):
//   T_p = A' x_p, T'_p = A'' x_p x' + A' x_p', T''_p = A''' x_p x'^2 + 2 A'' x' x_p' + A'' x_p x'' + A' x_p''.
// For nbinom2 (t = lam - log theta, s = softplus(t), p = logistic(t), q = 1 - p, g = p / s):
// x' = g, x'' = g (q - g), x''' = g ((q - g)(q - 2g) - p q), x_p = 1 - g, x_p' = -x'', x_p'' = -x''';
// for nbinom1 x' = 1 and x_p = phi / ((1 + phi) log(1 + phi)) - 1. The differences q - g and 1 - g
// are formed from log1p(X) - X and (1 + X) log1p(X) - X (X = e^t), where they would cancel.
#include "family_kit.h"

using namespace family_kit;

namespace {

// x = log m and its derivatives: in lam (x1..x3) and in log phi (xp, and xp1, xp2 its lam-derivatives).
struct LogZeroMass { double x, x1, x2, x3, xp, xp1, xp2; };

// Subtract w T (and its derivatives, taken to eta through the link) from the base family's result.
void subtract_truncation(const LinkFunctions& link, const Obs& o, const LinkValues& v, const LogZeroMass& z, bool full,
                         ObsLogLik* out) {
  const LogProbs A = cloglog_link.log_probs(z.x);
  const double* a = A.a;
  const double T1 = a[1] * z.x1;
  const double T2 = a[2] * z.x1 * z.x1 + times(a[1], z.x2);
  const double T3 = a[3] * z.x1 * z.x1 * z.x1 + times(3.0 * a[2] * z.x1, z.x2) + times(a[1], z.x3);
  double Tp0 = 0, Tp1 = 0, Tp2 = 0;
  if (full) {
    Tp0 = times(a[1], z.xp);
    Tp1 = times(a[2] * z.x1, z.xp) + times(a[1], z.xp1);
    Tp2 = times(a[3] * z.x1 * z.x1, z.xp) + times(2.0 * a[2] * z.x1, z.xp1) + times(a[2] * z.xp, z.x2) + times(a[1], z.xp2);
  }
  ObsLogLik t;
  const double w = o.w;
  chain_log_mean(w * T1, w * T2, w * T3, w * Tp0, w * Tp1, w * Tp2, link, o.eta, v, &t);
  out->value -= w * a[0];
  out->grad -= t.grad;
  out->info -= t.info;
  if (!full) return;
  out->dinfo -= t.dinfo;
  out->dphi -= t.dphi;
  out->dgrad_phi -= t.dgrad_phi;
  out->dinfo_phi -= t.dinfo_phi;
}

// The base family's l, then T subtracted; NaN lam (mean not positive) is outside the support.
template <class ZeroMass>
bool truncated_loglik(const FamilyFunctions& base, const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full,
                      ObsLogLik* out, ZeroMass zero_mass) {
  if (!base.loglik(link, o, pr, full, out)) return false;
  const LinkValues v = &link == &log_link ? LinkValues{0, 0, 0, 0} : link.values(o.eta);
  const double lam = std::min(log_mean(link, o.eta, v), kMaxExp);
  if (std::isnan(lam)) return false;
  subtract_truncation(link, o, v, zero_mass(lam, pr), full, out);
  return true;
}

// ---- truncated_poisson: m = mu ----

bool truncated_poisson_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  return truncated_loglik(poisson_family, link, o, pr, full, out,
                          [](double lam, const FamilyParams&) { return LogZeroMass{lam, 1, 0, 0, 0, 0, 0}; });
}

// glmmTMB's variance function with lambda the untruncated mean: (l + l^2)/E - l^2/E^2, E = 1 - e^-l,
// as (l/E) (1 - l/expm1(l)) (no Inf - Inf for large l; the bracket by its series for small l)
double truncated_poisson_variance(double mu, const FamilyParams&) {
  if (!(mu > 0)) return 0.0;
  const double ratio = mu / -std::expm1(-mu);
  const double bracket = mu < 1e-3 ? mu * (0.5 - mu * (1.0 / 12 - mu * mu / 720)) : 1.0 - mu / std::expm1(mu);
  return saturate(ratio * bracket);
}

// ---- truncated_nbinom1: m = (mu / phi) log(1 + phi) ----

// aux: nbinom1's (log(1 + phi), phi / (1 + phi)), then log(log(1 + phi) / phi) and x_p
void truncated_nbinom1_prepare(FamilyParams* p) {
  nbinom1_family.prepare(p);
  const double L = p->aux[0];
  p->aux[2] = std::log(L) - p->log_phi;
  p->aux[3] = -xlog1p_minus_x(p->phi) / ((1.0 + p->phi) * L);   // phi / ((1 + phi) L) - 1
}

bool truncated_nbinom1_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  return truncated_loglik(nbinom1_family, link, o, pr, full, out, [](double lam, const FamilyParams& p) {
    return LogZeroMass{lam + p.aux[2], 1, 0, 0, p.aux[3], 0, 0};
  });
}

// mean mu, untruncated E[y^2] = mu (1 + phi) + mu^2, P(y = 0) = (1 + phi)^(-mu/phi)
double truncated_nbinom1_variance(double mu, const FamilyParams& p) {
  if (!(mu > 0)) return 0.0;
  const double m = mu / p.phi * p.aux[0], ratio = mu / -std::expm1(-m);   // (1 + phi + mu - ratio) ratio
  return saturate(ratio * (1.0 + p.phi - ratio * std::exp(-m)));
}

// ---- truncated_nbinom2: m = theta softplus(lam - log theta) ----

LogZeroMass nbinom2_zero_mass(double lam, const FamilyParams& pr) {
  const double t = lam - pr.log_phi, X = std::exp(std::min(t, 0.0));
  const double p = logistic(t), q = logistic(-t);
  const double log_s = t < -30 ? t - 0.5 * X : std::log(softplus(t));
  const double s = t < -30 ? X : softplus(t);
  const double g = std::exp(-softplus(-t) - log_s);   // p / s
  double d, one_minus_g;                               // q - g and 1 - g
  if (t < -30) {
    d = -0.5 * X;
    one_minus_g = 0.5 * X;
  } else if (t < 0) {
    d = log1p_minus_x(X) / ((1.0 + X) * s);
    one_minus_g = xlog1p_minus_x(X) / ((1.0 + X) * s);
  } else {
    d = q - g;
    one_minus_g = 1.0 - g;
  }
  const double x2 = g * d, x3 = g * (d * (d - g) - p * q);
  return LogZeroMass{pr.log_phi + log_s, g, x2, x3, one_minus_g, -x2, -x3};
}

// nbinom2's per-evaluation constants (the truncation needs none of its own)
void truncated_nbinom2_prepare(FamilyParams* p) { nbinom2_family.prepare(p); }

bool truncated_nbinom2_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  return truncated_loglik(nbinom2_family, link, o, pr, full, out, nbinom2_zero_mass);
}

// glmmTMB's truncated_nbinom2 variance: (mu + mu^2 (1 + 1/theta)) / E - (mu / E)^2, E = 1 - P(y = 0)
double truncated_nbinom2_variance(double mu, const FamilyParams& p) {
  if (!(mu > 0)) return 0.0;
  const double m = p.phi * std::log1p(mu / p.phi), ratio = mu / -std::expm1(-m);   // (1 + mu + mu/theta - ratio) ratio
  return saturate(ratio * (1.0 + mu / p.phi - ratio * std::exp(-m)));
}

// The untruncated families' constants and IRLS weights (the latter an approximation, for the start).
double count_constant(double y, double w) { return -w * std::lgamma(y + 1.0); }

double truncated_poisson_irls(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  return poisson_family.irls_weight(link, eta, w, p);
}
double truncated_nbinom1_irls(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  return nbinom1_family.irls_weight(link, eta, w, p);
}
double truncated_nbinom2_irls(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  return nbinom2_family.irls_weight(link, eta, w, p);
}

}  // namespace

extern const FamilyFunctions truncated_poisson_family = {
    "truncated_poisson", "log", "positive_count", nullptr, 0, nullptr, truncated_poisson_loglik, count_constant,
    truncated_poisson_variance, truncated_poisson_irls};
extern const FamilyFunctions truncated_nbinom1_family = {
    "truncated_nbinom1", "log", "positive_count", "phi", 0, truncated_nbinom1_prepare, truncated_nbinom1_loglik,
    count_constant, truncated_nbinom1_variance, truncated_nbinom1_irls};
extern const FamilyFunctions truncated_nbinom2_family = {
    "truncated_nbinom2", "log", "positive_count", "size", 0, truncated_nbinom2_prepare, truncated_nbinom2_loglik, count_constant,
    truncated_nbinom2_variance, truncated_nbinom2_irls};
