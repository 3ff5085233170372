// family_kit.h: numerical helpers for writing families and links (families.h's contract), so that
// each family's function set stays finite and exact for eta in [-1000, 1000]:
//  * canonical and log links are computed on the eta scale, never through mu, so exp(eta) may
//    underflow to 0 without producing 0/0 or log(0);
//  * exponentials that would overflow are capped (capped_exp(): exp(min(x, 700)));
//  * other links take the chain rule in mu-scaled derivatives mu^k d^k l / dmu^k (chain_scaled()),
//    which stay O(y) however small mu is, and products with a 0 factor are 0 (times());
//  * lgamma and polygamma differences in a size s are formed without cancellation for tiny and
//    huge s (lgamma_ratio(), polygamma_diffs(), in family_kit.cpp).
#ifndef GLMMLAB_FAMILY_KIT_H
#define GLMMLAB_FAMILY_KIT_H

#include "families.h"
#include <algorithm>
#include <cmath>
#include <limits>

namespace family_kit {

const double kMaxExp = 700.0;
const double kMaxLogDouble = 709.0;   // exp(709) = 8.2e307 < DBL_MAX
const double kBig = std::numeric_limits<double>::max();

// exp(x) with x capped at kMaxExp, so that the result and moderate multiples of it are finite.
inline double capped_exp(double x) { return std::exp(std::min(x, kMaxExp)); }

// x saturated into [-DBL_MAX, DBL_MAX] (NaN stays NaN).
inline double saturate(double x) { return x > kBig ? kBig : (x < -kBig ? -kBig : x); }

// c m, exactly 0 when either factor is 0 (even where the other overflowed).
inline double times(double c, double m) { return (c == 0 || m == 0) ? 0.0 : c * m; }

// b E^n, exactly 0 for b = 0 or E = 0 even where the other factor overflowed.
inline double times_power(double b, double E, int n) {
  if (b == 0 || E == 0) return 0.0;
  for (int i = 0; i < n; ++i) b *= E;
  return b;
}

// log(1 + exp(x)) without overflow or loss of precision in either tail.
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// The logistic function 1 / (1 + exp(-x)), exact in both tails.
inline double logistic(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

// R's special functions (Rmath, wrapped in family_kit.cpp so that Rmath.h's macros stay there):
// the standard normal cdf and density (optionally on the log scale), psi, psi', psi'',
// lgamma(1 + x) and log B(a, b).
double norm_cdf(double x, bool log_p);
double norm_density(double x, bool log_p);
double digamma(double x);
double trigamma(double x);
double tetragamma(double x);
double lgamma1p(double x);
double lbeta(double a, double b);

// The chain rule for a mean that may be 0 or negative (Gaussian): derivatives of l in mu (l1, l2,
// l3) and of l, l1, l2 in log phi (lp, l1p, l2p) taken to the eta scale: l' = l1 mu',
// l'' = l2 mu'^2 + l1 mu'', l''' = l3 mu'^3 + 3 l2 mu' mu'' + l1 mu''' (products with a 0 factor are 0).
// Fills grad, info, dinfo and the log-phi derivatives of *out.
inline void chain_derivs(double l1, double l2, double l3, double lp, double l1p, double l2p, const LinkValues& v,
                         ObsLogLik* out) {
  const double d = v.dmu, d2 = d * d;
  out->grad = times(l1, d);
  out->info = -(times(l2, d2) + times(times(l1, v.h), d));
  out->dinfo = -(times(l3, d2 * d) + times(3.0 * l2, times(d2, v.h)) + times(times(l1, d), v.h2));
  out->dphi = lp;
  out->dgrad_phi = times(l1p, d);
  out->dinfo_phi = -(times(l2p, d2) + times(times(l1p, v.h), d));
}

// The chain rule for a positive mean from the mu-scaled derivatives m_k = mu^k d^k l/dmu^k (O(y)
// however small mu is) and mp_k = mu^k d^k (dl/dlog phi)/dmu^k: l' = E m1,
// l'' = E^2 (m2 + c1 m1), l''' = E^3 (m3 + 3 c1 m2 + c2 m1). The brackets are formed before the
// powers of E, so a tiny mean gives at worst an overflow (saturated later), never Inf - Inf.
// Fills grad, info, dinfo and the log-phi derivatives of *out.
inline void chain_scaled(double m1, double m2, double m3, double lp, double mp1, double mp2, const LinkScale& k,
                         ObsLogLik* out) {
  out->grad = times_power(m1, k.E, 1);
  out->info = -times_power(m2 + times(k.c1, m1), k.E, 2);
  out->dinfo = -times_power(m3 + times(3.0 * k.c1, m2) + times(k.c2, m1), k.E, 3);
  out->dphi = lp;
  out->dgrad_phi = times_power(mp1, k.E, 1);
  out->dinfo_phi = -times_power(mp2 + times(k.c1, mp1), k.E, 2);
}

// The chain rule for a family written in lambda = log mu (families whose mean enters through its
// logarithm: genpois, tweedie, lognormal, the truncated counts): D1..D3 are d^k l/dlambda^k and
// P0..P2 the log-phi derivatives of l, D1 and D2. The log link has lambda = eta; the others go
// through chain_scaled() with mu^k d^k l/dmu^k = D1, D2 - D1, D3 - 3 D2 + 2 D1.
inline void chain_log_mean(double D1, double D2, double D3, double P0, double P1, double P2, const LinkFunctions& link,
                           double eta, const LinkValues& v, ObsLogLik* out) {
  if (&link == &log_link) {
    out->grad = D1;
    out->info = -D2;
    out->dinfo = -D3;
    out->dphi = P0;
    out->dgrad_phi = P1;
    out->dinfo_phi = -P2;
    return;
  }
  chain_scaled(D1, D2 - D1, D3 - 3.0 * D2 + 2.0 * D1, P0, P1, P2 - P1, link.scale(eta, v), out);
}

// log mu at eta: eta itself for the log link, else log of the link's mean (NaN unless mu > 0).
inline double log_mean(const LinkFunctions& link, double eta, const LinkValues& v) {
  if (&link == &log_link) return eta;
  return v.mu > 0 && std::isfinite(v.mu) ? std::log(v.mu) : std::numeric_limits<double>::quiet_NaN();
}

// log1p(x) - x for x > -1, by its series below |x| = 1e-3 (the difference cancels there).
inline double log1p_minus_x(double x) {
  if (std::fabs(x) < 1e-3) return -x * x * (0.5 - x * (1.0 / 3 - x * (0.25 - x * (0.2 - x / 6))));
  return std::log1p(x) - x;
}

// (1 + x) log1p(x) - x for x > -1, by its series sum_k (-1)^k x^k / (k (k - 1)) below |x| = 1e-3.
inline double xlog1p_minus_x(double x) {
  if (std::fabs(x) < 1e-3) return x * x * (0.5 - x * (1.0 / 6 - x * (1.0 / 12 - x * (1.0 / 20 - x / 30))));
  return (1.0 + x) * std::log1p(x) - x;
}

// The link's elasticity form at eta (LinkFunctions::scale with the values computed once).
inline LinkScale link_scale(const LinkFunctions& link, double eta, const LinkValues& v) { return link.scale(eta, v); }

// -lgamma(a) + a c and its first three derivatives in log a, for a = exp(log_a) >= 0 (a may have
// underflowed; log_a is exact): with psi^(m) at a + 1 below a = 1 (a psi(a) = a psi(a + 1) - 1,
// a^2 psi1(a) = a^2 psi1(a + 1) + 1, a^3 psi2(a) = a^3 psi2(a + 1) - 2), so nothing cancels as
// a -> 0: d[0] = value, d[k] = d^k/dlog a^k (orders above `order` are left 0).
void neg_lgamma_log_derivs(double a, double log_a, double c, int order, double d[4]);

// lgamma(y + s) - lgamma(s) for y >= 0 and s >= 0, with log_s = log(s) (s may have underflowed
// to 0) and lgamma_s = lgamma(s) when the caller has it (NaN: computed here where needed).
double lgamma_ratio(double y, double s, double log_s, double lgamma_s);

// The scaled polygamma differences A = s (psi(y+s) - psi(s)), B = s^2 (psi1(y+s) - psi1(s)) and
// C = s^3 (psi2(y+s) - psi2(s)), accurate for every s >= 0 (0 for y = 0; 1, -1, 2 as s -> 0).
// Only the first `order` (1 to 3) are computed (the rest are 0). psi_s, when not null, holds
// digamma, trigamma and tetragamma at s (a size common to all observations, from prepare()).
struct PolyDiffs { double A, B, C; };
PolyDiffs polygamma_diffs(double y, double s, int order, const double* psi_s);

// log mu and log(1 - mu) for the logit link with their eta-derivatives (links.cpp's logit
// log_probs, inline for the families' batch loops): a = -softplus(-eta), b = -softplus(eta),
// a' = 1 - mu, b' = -mu, a'' = b'' = -mu (1 - mu), third derivatives -mu (1 - mu) (1 - 2 mu). One exp
// and one log1p: with e = exp(-|eta|), the larger of mu and 1 - mu is 1 / (1 + e), the smaller e / (1 + e).
inline LogProbs logit_log_probs_closed(double eta) {
  LogProbs L;
  L.ok_a = L.ok_b = true;
  const double e = std::exp(-std::fabs(eta)), big = 1.0 / (1.0 + e), small = e / (1.0 + e), l1pe = std::log1p(e);
  const double mu = eta >= 0 ? big : small, q = eta >= 0 ? small : big, v = mu * q;
  L.a[0] = -((eta < 0 ? -eta : 0.0) + l1pe); L.a[1] = q;
  L.b[0] = -((eta > 0 ? eta : 0.0) + l1pe); L.b[1] = -mu;
  L.a[2] = L.b[2] = -v;
  L.a[3] = L.b[3] = -v * (q - mu);
  return L;
}

}  // namespace family_kit

#endif
