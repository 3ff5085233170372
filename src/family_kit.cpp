// family_kit.cpp: the out-of-line helpers of family_kit.h (R's special functions, and the
// lgamma and polygamma differences of the negative-binomial-type families).
#include "family_kit.h"
#include <Rmath.h>
#undef digamma
#undef trigamma
#undef tetragamma
#undef lgamma1p
#undef lbeta

namespace family_kit {

double norm_cdf(double x, bool log_p) { return Rf_pnorm5(x, 0.0, 1.0, 1, log_p); }
double norm_density(double x, bool log_p) { return Rf_dnorm4(x, 0.0, 1.0, log_p); }
double digamma(double x) { return Rf_digamma(x); }
double trigamma(double x) { return Rf_trigamma(x); }
double tetragamma(double x) { return Rf_tetragamma(x); }
double lgamma1p(double x) { return Rf_lgamma1p(x); }
double lbeta(double a, double b) { return Rf_lbeta(a, b); }

// lgamma(s) = lgamma(1 + s) - log s for small s, lgamma(y) - lbeta(y, s) for s > max(y, 1e4)
// (lgamma(s) ~ s log s would cancel), and the plain difference in between (error about
// 1e-16 s log s <= 1e-11).
double lgamma_ratio(double y, double s, double log_s, double lgamma_s) {
  if (y == 0) return 0.0;
  if (s < 1) return std::lgamma(y + s) - lgamma1p(s) + log_s;
  if (s > 1e4 && s > y) return std::lgamma(y) - lbeta(y, s);
  return std::lgamma(y + s) - (std::isnan(lgamma_s) ? std::lgamma(s) : lgamma_s);
}

// s < 1 by the recurrences psi^(m)(s) = psi^(m)(s + 1) - (-1)^m m! / s^(m+1), 1 <= s < 20 as
// plain differences, s >= 20 by the asymptotic series of psi, psi1, psi2 (Bernoulli numbers), in
// which each difference (s + y)^-m - s^-m = s^-m expm1(-m log1p(y/s)) keeps full relative
// accuracy however large s is.
PolyDiffs polygamma_diffs(double y, double s, int order, const double* psi_s) {
  PolyDiffs p = {0.0, 0.0, 0.0};
  if (y == 0) return p;
  if (s < 1) {
    p.A = s * digamma(y + s) - s * digamma(s + 1.0) + 1.0;
    if (order >= 2) p.B = s * s * trigamma(y + s) - s * s * trigamma(s + 1.0) - 1.0;
    if (order >= 3) p.C = s * s * s * tetragamma(y + s) - s * s * s * tetragamma(s + 1.0) + 2.0;
    return p;
  }
  if (s < 20) {
    p.A = s * (digamma(y + s) - (psi_s ? psi_s[0] : digamma(s)));
    if (order >= 2) p.B = s * s * (trigamma(y + s) - (psi_s ? psi_s[1] : trigamma(s)));
    if (order >= 3) p.C = s * s * s * (tetragamma(y + s) - (psi_s ? psi_s[2] : tetragamma(s)));
    return p;
  }
  static const double bern[6] = {1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730};   // B_2k
  const double u = std::log1p(y / s), inv2 = 1.0 / (s * s);
  p.A = s * u - 0.5 * std::expm1(-u);
  if (order >= 2) p.B = s * std::expm1(-u) + 0.5 * std::expm1(-2.0 * u);
  if (order >= 3) p.C = -s * std::expm1(-2.0 * u) - std::expm1(-3.0 * u);
  double t = s;   // s^(1 - 2k)
  for (int k = 1; k <= 6; ++k) {
    t *= inv2;
    const double b = bern[k - 1];
    p.A -= b / (2 * k) * t * std::expm1(-2.0 * k * u);
    if (order >= 2) p.B += b * t * std::expm1(-(2.0 * k + 1) * u);
    if (order >= 3) p.C -= (2 * k + 1) * b * t * std::expm1(-(2.0 * k + 2) * u);
  }
  return p;
}

}  // namespace family_kit
