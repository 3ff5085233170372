// families.cpp: log-likelihoods and their eta-derivatives (notation in families.h).
//
// Numerics. Every quantity is finite for eta in [-1000, 1000] inside the family's support, and
// exact to rounding where double precision can hold it:
//  * canonical and log links are computed on the eta scale, never through mu, so exp(eta) may
//    underflow to 0 without producing 0/0 or log(0): log mu is eta itself; binomial terms use
//    log(mu), log(1 - mu) and their derivatives in closed forms (softplus for logit, the Mills
//    ratio's continued fraction in the probit tails, e^eta/expm1(e^eta) for cloglog);
//  * exponentials that would overflow are capped: for a log link mu is exp(min(eta, 700))
//    (kMaxExp), nbinom1's size mu / phi is exp(min(eta - log phi, 700)) and Gamma's y / mu is
//    exp(min(log y - eta, 709));
//  * the negative binomial's differences lgamma(y + s) - lgamma(s) and s^k (psi^(k-1)(y + s) -
//    psi^(k-1)(s)) are formed without cancellation for tiny and huge s (lgamma_ratio(),
//    polygamma_diffs());
//  * other links take the chain rule in mu-scaled derivatives mu^k d^k l / dmu^k (chain_scaled()),
//    which stay O(y) however small mu is, and products with a 0 factor are 0 (times());
//  * results that still exceed the double range (e.g. a Gaussian log-link residual squared)
//    saturate at +-DBL_MAX (saturate()), so callers see a huge finite number, never Inf or NaN.
// Outside the support (mu <= 0 for a positive mean, mu outside (0, 1) for a binomial mean other
// than at a boundary its data allow) the value is -Inf and the derivatives NaN, as families.h says.
#include "families.h"
#include <Rcpp.h>
#include <algorithm>
#include <cmath>
#include <limits>

const char* const family_names[FAM_COUNT] = {"gaussian", "binomial", "poisson", "Gamma", "nbinom2", "nbinom1"};
const char* const link_names[LINK_COUNT] = {"identity", "log", "logit", "probit", "cloglog", "inverse", "sqrt"};

bool family_has_dispersion(int family) {
  return family == FAM_GAUSSIAN || family == FAM_GAMMA || family == FAM_NBINOM2 || family == FAM_NBINOM1;
}

namespace {

const double kMaxExp = 700.0;
const double kMaxLogDouble = 709.0;   // exp(709) = 8.2e307 < DBL_MAX
const double kBig = std::numeric_limits<double>::max();

// exp(x) with x capped at kMaxExp, so that the result and moderate multiples of it are finite.
inline double capped_exp(double x) { return std::exp(std::min(x, kMaxExp)); }

// x saturated into [-DBL_MAX, DBL_MAX] (NaN stays NaN).
inline double saturate(double x) { return x > kBig ? kBig : (x < -kBig ? -kBig : x); }

// c m, exactly 0 when either factor is 0 (even where the other overflowed).
inline double times(double c, double m) { return (c == 0 || m == 0) ? 0.0 : c * m; }

// log(1 + exp(x)) without overflow or loss of precision in either tail.
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// The logistic function 1 / (1 + exp(-x)), exact in both tails.
inline double logistic(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

}  // namespace

// mu, dmu/deta and the ratios mu''/mu', mu'''/mu' of a link at eta (log and cloglog capped at eta = 700).
LinkValues link_values(int link, double eta) {
  LinkValues v;
  switch (link) {
    case LINK_IDENTITY: v.mu = eta; v.dmu = 1; v.h = 0; v.h2 = 0; break;
    case LINK_LOG: v.mu = capped_exp(eta); v.dmu = v.mu; v.h = 1; v.h2 = 1; break;
    case LINK_LOGIT: {
      v.mu = logistic(eta);
      const double q = logistic(-eta);
      v.dmu = v.mu * q;
      v.h = q - v.mu;
      v.h2 = v.h * v.h - 2.0 * v.dmu;
      break;
    }
    case LINK_PROBIT: v.mu = R::pnorm(eta, 0, 1, 1, 0); v.dmu = R::dnorm(eta, 0, 1, 0); v.h = -eta; v.h2 = eta * eta - 1.0; break;
    case LINK_CLOGLOG: {
      const double ce = std::min(eta, kMaxExp), e = std::exp(ce);
      v.mu = -std::expm1(-e);
      v.dmu = std::exp(ce - e);
      v.h = 1.0 - e;
      v.h2 = saturate(v.h * v.h - e);
      break;
    }
    case LINK_INVERSE: v.mu = 1.0 / eta; v.dmu = -1.0 / (eta * eta); v.h = -2.0 / eta; v.h2 = 6.0 / (eta * eta); break;
    case LINK_SQRT: v.mu = eta * eta; v.dmu = 2.0 * eta; v.h = 1.0 / eta; v.h2 = 0; break;
    default: v.mu = v.dmu = v.h = v.h2 = NAN;
  }
  return v;
}

// The variance function V(mu) of a family (with the negative binomials' dispersion phi).
double unit_variance(int family, double mu, double phi) {
  switch (family) {
    case FAM_GAUSSIAN: return 1.0;
    case FAM_BINOMIAL: return mu * (1.0 - mu);
    case FAM_POISSON: return mu;
    case FAM_GAMMA: return saturate(mu * mu);
    case FAM_NBINOM2: return saturate(mu + mu * (mu / phi));
    case FAM_NBINOM1: return saturate(mu * (1.0 + phi));
  }
  return NAN;
}

namespace {

// ---- Binomial ---------------------------------------------------------------------------------

// log mu (a) and log(1 - mu) (b) of a binomial mean with their first three eta-derivatives;
// ok_a / ok_b say whether a / b are defined (finite) at this eta.
struct BinomialLogs { double a[4], b[4]; bool ok_a, ok_b; };

// log Phi(z) and its first three derivatives in d[0..3]. With r = phi(z)/Phi(z):
// d1 = r, d2 = -r (z + r), d3 = r ((z + r)^2 - 1 + r (z + r)). Below z = -5 these cancel, so
// the tail uses the continued fraction of the Mills ratio, 1/r = 1/(x + 1/K1) with x = -z and
// K_j = x + (j + 1)/K_{j+1}: then z + r = 1/K1 and the third derivative is
// 2 r (K2 - K1) / (K1^2 K2) with K2 - K1 = (x + 9/K3 - 8/K4) / (K2 K3), free of cancellation.
void log_pnorm_derivs(double z, double d[4]) {
  d[0] = R::pnorm(z, 0, 1, 1, 1);
  if (z >= -5.0) {
    const double r = std::exp(R::dnorm(z, 0, 1, 1) - d[0]), g = z + r;
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

// log mu, log(1 - mu) and their eta-derivatives for a binomial link, in closed forms where there are.
BinomialLogs binomial_logs(int link, double eta) {
  BinomialLogs L;
  L.ok_a = L.ok_b = true;
  switch (link) {
    case LINK_LOGIT: {   // a = -softplus(-eta), b = -softplus(eta); a' = 1 - mu, b' = -mu
      const double mu = logistic(eta), q = logistic(-eta), v = mu * q;
      L.a[0] = -softplus(-eta); L.a[1] = q;
      L.b[0] = -softplus(eta); L.b[1] = -mu;
      L.a[2] = L.b[2] = -v;
      L.a[3] = L.b[3] = -v * (q - mu);
      break;
    }
    case LINK_PROBIT: {   // b(eta) = log Phi(-eta)
      double c[4];
      log_pnorm_derivs(eta, L.a);
      log_pnorm_derivs(-eta, c);
      L.b[0] = c[0]; L.b[1] = -c[1]; L.b[2] = c[2]; L.b[3] = -c[3];
      break;
    }
    case LINK_CLOGLOG: {   // e = exp(eta): b = -e; a' = B = e / expm1(e), a'' = B (1 - e - B)
      const double ce = std::min(eta, kMaxExp), e = std::exp(ce);
      L.b[0] = L.b[1] = L.b[2] = L.b[3] = -e;
      const double B = e > 1e-300 ? e / std::expm1(e) : 1.0;   // expm1(e) = Inf gives B = 0
      // 1 - e - B by its series for small e (the direct form cancels)
      const double m = e < 0.01 ? -e * (0.5 + e * (1.0 / 12 - e * e * (1.0 / 720 - e * e / 30240))) : 1.0 - e - B;
      L.a[0] = e < 1e-8 ? ce - 0.5 * e : std::log(-std::expm1(-e));   // log(1 - e^-e) = eta - e/2 + O(e^2)
      L.a[1] = B;
      L.a[2] = B * m;
      L.a[3] = L.a[2] * (m - B) - e * B;
      break;
    }
    case LINK_LOG: {   // a = eta; b = log(1 - e^eta), defined for eta < 0
      L.a[0] = eta; L.a[1] = 1; L.a[2] = 0; L.a[3] = 0;
      L.ok_a = eta <= 0;
      L.ok_b = eta < 0;
      const double mu = std::exp(std::min(eta, 0.0)), D = -std::expm1(std::min(eta, 0.0));   // 1 - mu
      L.b[0] = std::log(D);
      L.b[1] = -(mu / D);
      L.b[2] = -(mu / D) / D;
      L.b[3] = -((mu / D) / D) * ((1.0 + mu) / D);
      break;
    }
    default: {   // through mu and the chain rule (links without a closed form here)
      const LinkValues v = link_values(link, eta);
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
    }
  }
  return L;
}

// Binomial with k = w y successes of w trials: l = k a + f b (f = w - k failures), each term only
// where its count is positive, so that a boundary mean the data allow (mu = 0 with k = 0) is fine.
// Fills d[0..3] with l and its eta-derivatives; false outside the support.
bool binomial_terms(int link, double y, double eta, double w, double d[4]) {
  const BinomialLogs L = binomial_logs(link, eta);
  const double k = w * y, f = w - k;
  if ((k > 0 && !L.ok_a) || (f > 0 && !L.ok_b)) return false;
  for (int j = 0; j < 4; ++j) d[j] = (k > 0 ? k * L.a[j] : 0.0) + (f > 0 ? f * L.b[j] : 0.0);
  return true;
}

// ---- Negative binomial helpers ------------------------------------------------------------------

// lgamma, digamma, trigamma, tetragamma and log at one s, each computed on first use and kept until s
// changes: nbinom2's size is the same for every observation of an evaluation, so each function
// of s costs one call per evaluation instead of one per observation. One global instance: safe
// because glmmlab's C++ code is single-threaded (a threaded loop would need one per thread).
struct SizeFunctions {
  double s = NAN;
  double value[5];
  bool known[5] = {false, false, false, false, false};
  double get(int which, double at) {
    if (!(at == s)) {
      s = at;
      known[0] = known[1] = known[2] = known[3] = known[4] = false;
    }
    if (!known[which]) {
      switch (which) {
        case 0: value[0] = std::lgamma(at); break;
        case 1: value[1] = R::digamma(at); break;
        case 2: value[2] = R::trigamma(at); break;
        case 3: value[3] = R::tetragamma(at); break;
        default: value[4] = std::log(at); break;
      }
      known[which] = true;
    }
    return value[which];
  }
};
SizeFunctions size_functions;

// lgamma(y + s) - lgamma(s) for y >= 0 and s >= 0, with log_s = log(s) (s may have underflowed to
// 0): lgamma(s) = lgamma(1 + s) - log s for small s, lgamma(y) - lbeta(y, s) for s > max(y, 1e4),
// and the plain difference (with lgamma(s) cached, see SizeFunctions) in between.
double lgamma_ratio(double y, double s, double log_s) {
  if (y == 0) return 0.0;
  if (s < 1) return std::lgamma(y + s) - R::lgamma1p(s) + log_s;
  if (s > 1e4 && s > y) return std::lgamma(y) - R::lbeta(y, s);   // lgamma(s) ~ s log s would cancel
  return std::lgamma(y + s) - size_functions.get(0, s);           // error about 1e-16 s log s <= 1e-11
}

// The scaled polygamma differences A = s (psi(y+s) - psi(s)), B = s^2 (psi1(y+s) - psi1(s)) and
// C = s^3 (psi2(y+s) - psi2(s)), accurate for every s >= 0 (0 for y = 0; 1, -1, 2 as s -> 0):
// s < 1 by the recurrences psi^(m)(s) = psi^(m)(s + 1) - (-1)^m m! / s^(m+1), 1 <= s < 20 as
// plain differences, s >= 20 by the asymptotic series of psi, psi1, psi2 (Bernoulli numbers), in which each
// difference (s + y)^-m - s^-m = s^-m expm1(-m log1p(y/s)) keeps full relative accuracy however
// large s is. Only the first `order` (1 to 3) of A, B, C are computed; the rest are left 0.
struct PolyDiffs { double A, B, C; };
PolyDiffs polygamma_diffs(double y, double s, int order) {
  PolyDiffs p = {0.0, 0.0, 0.0};
  if (y == 0) return p;
  if (s < 1) {
    p.A = s * R::digamma(y + s) - s * R::digamma(s + 1.0) + 1.0;
    if (order >= 2) p.B = s * s * R::trigamma(y + s) - s * s * R::trigamma(s + 1.0) - 1.0;
    if (order >= 3) p.C = s * s * s * R::tetragamma(y + s) - s * s * s * R::tetragamma(s + 1.0) + 2.0;
    return p;
  }
  if (s < 20) {
    p.A = s * (R::digamma(y + s) - size_functions.get(1, s));
    if (order >= 2) p.B = s * s * (R::trigamma(y + s) - size_functions.get(2, s));
    if (order >= 3) p.C = s * s * s * (R::tetragamma(y + s) - size_functions.get(3, s));
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

// ---- Chain rule for links without a closed form ---------------------------------------------

// For Gaussian means (which may be 0 or negative; not 1/eta): derivatives of l in mu (l1, l2, l3)
// and of l, l1, l2 in log phi (lp, l1p, l2p), taken to the eta scale: l' = l1 mu',
// l'' = l2 mu'^2 + l1 mu'', l''' = l3 mu'^3 + 3 l2 mu' mu'' + l1 mu''' (products with a 0 factor are 0).
ObsDerivs chain_derivs(double l1, double l2, double l3, double lp, double l1p, double l2p, const LinkValues& v) {
  const double d = v.dmu, d2 = d * d;
  ObsDerivs out;
  out.grad = times(l1, d);
  out.info = -(times(l2, d2) + times(times(l1, v.h), d));
  out.dinfo = -(times(l3, d2 * d) + times(3.0 * l2, times(d2, v.h)) + times(times(l1, d), v.h2));
  out.dphi = lp;
  out.dgrad_phi = times(l1p, d);
  out.dinfo_phi = -(times(l2p, d2) + times(times(l1p, v.h), d));
  return out;
}

// The link's elasticity E = dlog mu/deta = mu'/mu with c1 = (mu''/mu')/E and c2 = (mu'''/mu')/E^2,
// which are constants for the power links: identity (0, 0), sqrt (1/2, 0), inverse (2, 6), log (1, 1).
struct LinkScale { double E, c1, c2; };
LinkScale link_scale(int link, double eta, const LinkValues& v) {
  LinkScale k;
  switch (link) {
    case LINK_IDENTITY: k.E = 1.0 / eta; k.c1 = 0; k.c2 = 0; break;
    case LINK_SQRT: k.E = 2.0 / eta; k.c1 = 0.5; k.c2 = 0; break;
    case LINK_INVERSE: k.E = -1.0 / eta; k.c1 = 2; k.c2 = 6; break;
    case LINK_LOG: k.E = 1; k.c1 = 1; k.c2 = 1; break;
    default: k.E = v.dmu / v.mu; k.c1 = v.h / k.E; k.c2 = v.h2 / k.E / k.E;
  }
  return k;
}

// b E^n, exactly 0 for b = 0 or E = 0 even where the other factor overflowed.
inline double times_power(double b, double E, int n) {
  if (b == 0 || E == 0) return 0.0;
  for (int i = 0; i < n; ++i) b *= E;
  return b;
}

// The chain rule for a positive mean from the mu-scaled derivatives m_k = mu^k d^k l/dmu^k (O(y)
// however small mu is) and mp_k = mu^k d^k (dl/dlog phi)/dmu^k: l' = E m1,
// l'' = E^2 (m2 + c1 m1), l''' = E^3 (m3 + 3 c1 m2 + c2 m1). The brackets are formed before the
// powers of E, so a tiny mean gives at worst an overflow (saturated later), never Inf - Inf.
ObsDerivs chain_scaled(double m1, double m2, double m3, double lp, double mp1, double mp2, const LinkScale& k) {
  ObsDerivs out;
  out.grad = times_power(m1, k.E, 1);
  out.info = -times_power(m2 + times(k.c1, m1), k.E, 2);
  out.dinfo = -times_power(m3 + times(3.0 * k.c1, m2) + times(k.c2, m1), k.E, 3);
  out.dphi = lp;
  out.dgrad_phi = times_power(mp1, k.E, 1);
  out.dinfo_phi = -times_power(mp2 + times(k.c1, mp1), k.E, 2);
  return out;
}

// One observation's log-likelihood value (without obs_constant()), gradient and information, and
// with full = true also dinfo and the log-phi derivatives (left unset otherwise, which spares the
// hot loop the polygamma functions), for weight w; false outside the support.
struct ObsAll { double value; ObsDerivs d; };

bool obs_all(int family, int link, double y, double eta, double w, double phi, bool full, ObsAll* o) {
  ObsDerivs& D = o->d;
  if (family == FAM_BINOMIAL) {
    double t[4];
    if (!binomial_terms(link, y, eta, w, t)) return false;
    o->value = t[0];
    D.grad = t[1]; D.info = -t[2]; D.dinfo = -t[3];
    D.dphi = D.dgrad_phi = D.dinfo_phi = 0;
    return true;
  }
  const LinkValues v = link_values(link, eta);
  const double mu = v.mu;
  switch (family) {
    case FAM_GAUSSIAN: {   // phi = sigma; d/dlog sigma of l, l', l'' is (r/s)^2 - 1, -2 l', -2 l''
      const double s = phi, r = y - mu, rs = r / s;
      const double base = -0.5 * std::log(2 * M_PI * s * s) - 0.5 * rs * rs;
      if (link == LINK_LOG) {
        const double ms = mu / s;
        o->value = w * base;
        D.grad = w * rs * ms;
        D.info = w * ms * ((2.0 * mu - y) / s);
        D.dinfo = w * ms * ((4.0 * mu - y) / s);
      } else if (link == LINK_INVERSE) {   // mu = 1/eta is never 0: the scaled chain rule
        if (!std::isfinite(mu)) return false;
        o->value = w * base;
        const double ms = mu / s;
        const ObsDerivs c = chain_scaled(w * ms * rs, -w * ms * ms, 0.0, 0, 0, 0, link_scale(link, eta, v));
        D.grad = c.grad; D.info = c.info; D.dinfo = c.dinfo;
      } else {
        if (!std::isfinite(mu)) return false;
        o->value = w * base;
        const ObsDerivs c = chain_derivs(w * rs / s, -w / (s * s), 0.0, 0, 0, 0, v);
        D.grad = c.grad; D.info = c.info; D.dinfo = c.dinfo;
      }
      D.dphi = w * (rs * rs - 1.0);
      D.dgrad_phi = -2.0 * D.grad;
      D.dinfo_phi = -2.0 * D.info;
      return true;
    }
    case FAM_POISSON: {
      if (link == LINK_LOG) {   // l = y eta - e^eta (eta capped at 700 where e^eta would overflow)
        const double e = std::min(eta, kMaxExp);
        o->value = w * ((y > 0 ? y * e : 0.0) - mu);
        D.grad = w * (y - mu);
        D.info = D.dinfo = w * mu;
      } else {
        if (!(mu > 0) || !std::isfinite(mu)) return false;
        o->value = w * ((y > 0 ? y * std::log(mu) : 0.0) - mu);
        D = chain_scaled(w * (y - mu), -w * y, 2.0 * w * y, 0, 0, 0, link_scale(link, eta, v));
      }
      D.dphi = D.dgrad_phi = D.dinfo_phi = 0;
      return true;
    }
    case FAM_GAMMA: {   // phi = coefficient of variation, shape nu = phi^-2, d nu / d log phi = -2 nu
      if (!(y > 0)) return false;
      const double nu = 1.0 / (phi * phi), ly = std::log(y);
      const double common = nu * std::log(nu) + (nu - 1.0) * ly - std::lgamma(nu);
      double log_mu, y_mu;   // log mu and y / mu
      if (link == LINK_LOG) {   // l = nu (-eta - y e^-eta): l' = nu (z - 1), -l'' = nu z, -l''' = -nu z
        log_mu = eta;
        y_mu = std::exp(std::min(ly - eta, kMaxLogDouble));
        D.grad = w * nu * (y_mu - 1.0);
        D.info = w * nu * y_mu;
        D.dinfo = -D.info;
      } else if (link == LINK_INVERSE) {   // canonical: l = nu (log eta - y eta)
        if (!(eta > 0)) return false;
        log_mu = -std::log(eta);
        y_mu = y * eta;
        const double ne = nu / eta;
        D.grad = w * (ne - nu * y);
        D.info = w * ne / eta;
        D.dinfo = -2.0 * w * (ne / eta) / eta;
      } else {
        if (!(mu > 0) || !std::isfinite(mu)) return false;
        log_mu = std::log(mu);
        y_mu = y / mu;
        const ObsDerivs c = chain_scaled(w * nu * (y_mu - 1.0), w * nu * (1.0 - 2.0 * y_mu), w * nu * (6.0 * y_mu - 2.0),
                                         0, 0, 0, link_scale(link, eta, v));
        D.grad = c.grad; D.info = c.info; D.dinfo = c.dinfo;
      }
      o->value = w * (common - nu * log_mu - nu * y_mu);
      if (full) D.dphi = -2.0 * nu * w * (std::log(nu) + 1.0 - log_mu + ly - y_mu - R::digamma(nu));
      D.dgrad_phi = -2.0 * D.grad;
      D.dinfo_phi = -2.0 * D.info;
      return true;
    }
    case FAM_NBINOM2: {   // phi = size theta
      const double th = phi, lth = size_functions.get(4, th);
      const PolyDiffs P = full ? polygamma_diffs(y, th, 1) : PolyDiffs();   // P.A / th = psi(y + th) - psi(th)
      if (link == LINK_LOG) {
        // p = mu / (th + mu) = logistic(eta - log th), q = 1 - p. Where p is tiny it would be
        // subnormal before mu is, so th p is formed as mu q and th log q as -mu (1 - x/2), x = mu/th.
        // One exp and one log1p give p, q and softplus(+-t): with e = exp(-|t|), the larger of p
        // and q is 1 / (1 + e), the smaller e / (1 + e), and softplus(t) = max(t, 0) + log1p(e).
        const double t = eta - lth, e = std::exp(-std::fabs(t)), big = 1.0 / (1.0 + e), small = e * big;
        const double p = t >= 0 ? big : small, q = t >= 0 ? small : big, l1pe = std::log1p(e);
        const double softplus_t = (t > 0 ? t : 0.0) + l1pe, softplus_minus_t = (t < 0 ? -t : 0.0) + l1pe;
        const double ex = capped_exp(eta);   // mu, exact below the cap
        const double thp = t < 0 ? ex * q : th * p;
        const double th_log_q = t < -18 ? -ex * (1.0 - 0.5 * std::exp(t)) : -th * softplus_t;
        o->value = w * (lgamma_ratio(y, th, lth) + th_log_q + (y > 0 ? -y * softplus_minus_t : 0.0));
        D.grad = w * (eta <= kMaxExp ? q * (y - ex) : y * q - thp);   // q (y - mu): no cancellation at mu = y
        D.info = w * (1.0 + y / th) * thp * q;   // (y + th) p q
        D.dinfo = D.info * (q - p);
        D.dphi = w * (P.A + th_log_q + thp - y * q);
        D.dgrad_phi = w * thp * ((y * q - thp) / th);                          // p (y q - th p)
        D.dinfo_phi = w * thp * q * ((2.0 * thp + y * (p - q)) / th);         // p q (2 th p + y (p - q))
        return true;
      }
      if (!(mu > 0) || !std::isfinite(mu)) return false;
      const double tm = th + mu, p = mu / tm, q = th / tm, l1pm = std::log1p(mu / th);
      o->value = w * (lgamma_ratio(y, th, lth) - th * l1pm + (y > 0 ? -y * std::log1p(th / mu) : 0.0));
      // mu^k d^k l / dmu^k: q (y - mu), (y + th) p^2 - y, 2 y - 2 (y + th) p^3; and of dl/dlog th
      const double m1 = q * (y - mu), m2 = (y + th) * p * p - y, m3 = 2.0 * y - 2.0 * (y + th) * p * p * p;
      const double lp = P.A - th * l1pm + q * (mu - y);
      const double mp1 = p * q * (y - mu), mp2 = p * p * q * (mu - th - 2.0 * y);
      D = chain_scaled(w * m1, w * m2, w * m3, w * lp, w * mp1, w * mp2, link_scale(link, eta, v));
      return true;
    }
    case FAM_NBINOM1: {   // size s = mu / phi, Var = mu (1 + phi); L = log(1 + phi), d s / d log phi = -s
      const double lphi = std::log(phi), L = std::log1p(phi), ratio = phi / (1.0 + phi);
      double s, ls;
      if (link == LINK_LOG) {
        ls = std::min(eta - lphi, kMaxExp);
        s = std::exp(ls);
      } else {
        if (!(mu > 0) || !std::isfinite(mu)) return false;
        ls = std::min(std::log(mu) - lphi, kMaxExp);
        s = ls < kMaxExp ? mu / phi : std::exp(ls);
      }
      const PolyDiffs P = polygamma_diffs(y, s, full ? 3 : 2);
      const double sL = s * L;
      o->value = w * (lgamma_ratio(y, s, ls) - sL + (y > 0 ? y * (lphi - L) : 0.0));
      const double lp = sL - s * ratio - P.A + y / (1.0 + phi);   // d l / d log phi
      const double g = P.A - sL;                                  // d l / d log s
      if (link == LINK_LOG) {   // d/deta = d/dlog s
        D.grad = w * g;
        D.info = w * (sL - P.A - P.B);
        D.dinfo = w * (sL - P.A - 3.0 * P.B - P.C);
        D.dphi = w * lp;
        D.dgrad_phi = w * (sL - s * ratio - P.A - P.B);
        D.dinfo_phi = w * (P.A + 3.0 * P.B + P.C + s * ratio - sL);
        return true;
      }
      // mu^k d^k l / dmu^k = s^k d^k l / ds^k: g, B, C
      D = chain_scaled(w * g, w * P.B, w * P.C, w * lp, w * (sL - s * ratio - P.A - P.B), -w * (2.0 * P.B + P.C),
                       link_scale(link, eta, v));
      return true;
    }
  }
  return false;
}

// The out-of-support result: value -Inf, derivatives NaN.
ObsAll outside_support() {
  ObsAll o;
  o.value = -std::numeric_limits<double>::infinity();
  o.d.grad = o.d.info = o.d.dinfo = o.d.dphi = o.d.dgrad_phi = o.d.dinfo_phi = NAN;
  return o;
}

// obs_all() with its results saturated into the finite range (or the out-of-support result).
// A NaN that slips through (opposite infinities at a mean far beyond the double range) is
// reported as outside the support, so the optimizer sees an infeasible point, not a NaN.
ObsAll obs_all_finite(int family, int link, double y, double eta, double w, double phi, bool full) {
  ObsAll o = outside_support();
  if (!obs_all(family, link, y, eta, w, phi, full, &o)) return outside_support();
  const ObsDerivs& E = o.d;
  if (std::isnan(o.value) || std::isnan(E.grad) || std::isnan(E.info) ||
      (full && (std::isnan(E.dinfo) || std::isnan(E.dphi) || std::isnan(E.dgrad_phi) || std::isnan(E.dinfo_phi))))
    return outside_support();
  o.value = saturate(o.value);
  ObsDerivs& D = o.d;
  D.grad = saturate(D.grad); D.info = saturate(D.info); D.dinfo = saturate(D.dinfo);
  D.dphi = saturate(D.dphi); D.dgrad_phi = saturate(D.dgrad_phi); D.dinfo_phi = saturate(D.dinfo_phi);
  return o;
}

}  // namespace

// The parameter-free part of an observation's log-likelihood (families.h).
double obs_constant(int family, double y, double w) {
  switch (family) {
    case FAM_BINOMIAL:   // lchoose by lgamma: smooth, and silent for non-integer successes
      return std::lgamma(w + 1.0) - std::lgamma(w * y + 1.0) - std::lgamma(w - w * y + 1.0);
    case FAM_POISSON: case FAM_NBINOM2: case FAM_NBINOM1: return -w * std::lgamma(y + 1.0);
    default: return 0.0;
  }
}

// An observation's log-likelihood (less obs_constant()), dl/deta and -d2l/deta2.
ObsLogLik obs_loglik(int family, int link, double y, double eta, double w, double phi) {
  const ObsAll o = obs_all_finite(family, link, y, eta, w, phi, false);
  ObsLogLik out = {o.value, o.d.grad, o.d.info};
  return out;
}

// An observation's eta- and log-phi-derivatives for the analytic Laplace gradient.
ObsDerivs obs_derivs(int family, int link, double y, double eta, double w, double phi) {
  return obs_all_finite(family, link, y, eta, w, phi, true).d;
}

// The expected information w mu'^2 / Var(y | mu), with mu' / mu formed first so tiny means do not give 0/0.
double irls_weight(int family, int link, double eta, double w, double phi) {
  if (family == FAM_BINOMIAL) {   // w mu'^2 / (mu (1 - mu)) = w (mu'/mu) (mu'/(1 - mu)) = -w a' b'
    const BinomialLogs L = binomial_logs(link, eta);
    return saturate(-w * L.a[1] * L.b[1]);
  }
  if (link == LINK_LOG) {   // mu' = mu: the ratios mu'/mu are 1
    const double mu = capped_exp(eta);
    switch (family) {
      case FAM_GAUSSIAN: return saturate(w * (mu / phi) * (mu / phi));
      case FAM_POISSON: return w * mu;
      case FAM_GAMMA: return w / (phi * phi);
      case FAM_NBINOM2: return w * phi * logistic(eta - std::log(phi));
      case FAM_NBINOM1: return w * mu / (1.0 + phi);
    }
    return NAN;
  }
  const LinkValues v = link_values(link, eta);
  const double mu = v.mu, d = v.dmu;
  switch (family) {   // w mu'^2 / Var(y | mu), the division by mu taken first
    case FAM_GAUSSIAN: return saturate(w * (d / phi) * (d / phi));
    case FAM_POISSON: return saturate(w * d * (d / mu));
    case FAM_GAMMA: return saturate(w * (d / mu) * (d / mu) / (phi * phi));
    case FAM_NBINOM2: return saturate(w * d * (d / mu) * (phi / (phi + mu)));
    case FAM_NBINOM1: return saturate(w * d * (d / mu) / (1.0 + phi));
  }
  return NAN;
}
