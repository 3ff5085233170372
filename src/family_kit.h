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

// The link's elasticity form at eta (LinkFunctions::scale with the values computed once).
inline LinkScale link_scale(const LinkFunctions& link, double eta, const LinkValues& v) { return link.scale(eta, v); }

// lgamma(y + s) - lgamma(s) for y >= 0 and s >= 0, with log_s = log(s) (s may have underflowed
// to 0) and lgamma_s = lgamma(s) when the caller has it (NaN: computed here where needed).
double lgamma_ratio(double y, double s, double log_s, double lgamma_s);

// The scaled polygamma differences A = s (psi(y+s) - psi(s)), B = s^2 (psi1(y+s) - psi1(s)) and
// C = s^3 (psi2(y+s) - psi2(s)), accurate for every s >= 0 (0 for y = 0; 1, -1, 2 as s -> 0).
// Only the first `order` (1 to 3) are computed (the rest are 0). psi_s, when not null, holds
// digamma, trigamma and tetragamma at s (a size common to all observations, from prepare()).
struct PolyDiffs { double A, B, C; };
PolyDiffs polygamma_diffs(double y, double s, int order, const double* psi_s);

}  // namespace family_kit

#endif
