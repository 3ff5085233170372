// family_nbinom.cpp: the negative binomial families (families.h's contract), as glmmTMB defines them.
//  * nbinom2: phi = size theta, Var = mu + mu^2 / theta;
//    l = w (lgamma(y + th) - lgamma(th) + th log(th / (th + mu)) + y log(mu / (th + mu))).
//  * nbinom1: size s = mu / phi, Var = mu (1 + phi); with L = log(1 + phi),
//    l = w (lgamma(y + s) - lgamma(s) - s L + y (log phi - L)), d s / dlog phi = -s.
// The log links are on the eta scale; lgamma and polygamma differences in the size come from
// family_kit (no cancellation for tiny or huge sizes), with nbinom2's functions of its size
// computed once per evaluation by prepare().
#include "family_kit.h"

using namespace family_kit;

namespace {

// ---- nbinom2 ----

// aux: lgamma(th), digamma(th), trigamma(th), tetragamma(th) (in that order, see polygamma_diffs)
void nbinom2_prepare(FamilyParams* p) {
  const double th = p->phi;
  p->aux[0] = std::lgamma(th);
  p->aux[1] = digamma(th);
  p->aux[2] = trigamma(th);
  p->aux[3] = tetragamma(th);
}

bool nbinom2_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double y = o.y, w = o.w, eta = o.eta, th = pr.phi, lth = pr.log_phi;
  const PolyDiffs P = full ? polygamma_diffs(y, th, 1, pr.aux + 1) : PolyDiffs();   // P.A / th = psi(y + th) - psi(th)
  if (&link == &log_link) {
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
    out->value = w * (lgamma_ratio(y, th, lth, pr.aux[0]) + th_log_q + (y > 0 ? -y * softplus_minus_t : 0.0));
    out->grad = w * (eta <= kMaxExp ? q * (y - ex) : y * q - thp);   // q (y - mu): no cancellation at mu = y
    out->info = w * (1.0 + y / th) * thp * q;   // (y + th) p q
    out->dinfo = out->info * (q - p);
    out->dphi = w * (P.A + th_log_q + thp - y * q);
    out->dgrad_phi = w * thp * ((y * q - thp) / th);                    // p (y q - th p)
    out->dinfo_phi = w * thp * q * ((2.0 * thp + y * (p - q)) / th);   // p q (2 th p + y (p - q))
    return true;
  }
  const LinkValues v = link.values(eta);
  const double mu = v.mu;
  if (!(mu > 0) || !std::isfinite(mu)) return false;
  const double tm = th + mu, p = mu / tm, q = th / tm, l1pm = std::log1p(mu / th);
  out->value = w * (lgamma_ratio(y, th, lth, pr.aux[0]) - th * l1pm + (y > 0 ? -y * std::log1p(th / mu) : 0.0));
  // mu^k d^k l / dmu^k: q (y - mu), (y + th) p^2 - y, 2 y - 2 (y + th) p^3; and of dl/dlog th
  const double m1 = q * (y - mu), m2 = (y + th) * p * p - y, m3 = 2.0 * y - 2.0 * (y + th) * p * p * p;
  const double lp = P.A - th * l1pm + q * (mu - y);
  const double mp1 = p * q * (y - mu), mp2 = p * p * q * (mu - th - 2.0 * y);
  chain_scaled(w * m1, w * m2, w * m3, w * lp, w * mp1, w * mp2, link.scale(eta, v), out);
  return true;
}

double nbinom_constant(double y, double w) { return -w * std::lgamma(y + 1.0); }

double nbinom2_variance(double mu, const FamilyParams& p) { return saturate(mu + mu * (mu / p.phi)); }

// w mu'^2 / (mu + mu^2 / th), the division by mu taken first
double nbinom2_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  if (&link == &log_link) return w * p.phi * logistic(eta - p.log_phi);
  const LinkValues v = link.values(eta);
  return saturate(w * v.dmu * (v.dmu / v.mu) * (p.phi / (p.phi + v.mu)));
}

// ---- nbinom1 ----

// aux: L = log(1 + phi), phi / (1 + phi)
void nbinom1_prepare(FamilyParams* p) {
  p->aux[0] = std::log1p(p->phi);
  p->aux[1] = p->phi / (1.0 + p->phi);
}

bool nbinom1_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double y = o.y, w = o.w, eta = o.eta, phi = pr.phi, lphi = pr.log_phi, L = pr.aux[0], ratio = pr.aux[1];
  const bool log_link_used = &link == &log_link;
  double s, ls;
  LinkValues v;
  if (log_link_used) {
    ls = std::min(eta - lphi, kMaxExp);
    s = std::exp(ls);
  } else {
    v = link.values(eta);
    const double mu = v.mu;
    if (!(mu > 0) || !std::isfinite(mu)) return false;
    ls = std::min(std::log(mu) - lphi, kMaxExp);
    s = ls < kMaxExp ? mu / phi : std::exp(ls);
  }
  const PolyDiffs P = polygamma_diffs(y, s, full ? 3 : 2, nullptr);
  const double sL = s * L;
  out->value = w * (lgamma_ratio(y, s, ls, std::numeric_limits<double>::quiet_NaN()) - sL + (y > 0 ? y * (lphi - L) : 0.0));
  const double lp = sL - s * ratio - P.A + y / (1.0 + phi);   // d l / d log phi
  const double g = P.A - sL;                                  // d l / d log s
  if (log_link_used) {   // d/deta = d/dlog s
    out->grad = w * g;
    out->info = w * (sL - P.A - P.B);
    out->dinfo = w * (sL - P.A - 3.0 * P.B - P.C);
    out->dphi = w * lp;
    out->dgrad_phi = w * (sL - s * ratio - P.A - P.B);
    out->dinfo_phi = w * (P.A + 3.0 * P.B + P.C + s * ratio - sL);
    return true;
  }
  // mu^k d^k l / dmu^k = s^k d^k l / ds^k: g, B, C
  chain_scaled(w * g, w * P.B, w * P.C, w * lp, w * (sL - s * ratio - P.A - P.B), -w * (2.0 * P.B + P.C),
               link.scale(eta, v), out);
  return true;
}

double nbinom1_variance(double mu, const FamilyParams& p) { return saturate(mu * (1.0 + p.phi)); }

double nbinom1_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LinkValues v = link.values(eta);
  if (&link == &log_link) return w * v.mu / (1.0 + p.phi);
  return saturate(w * v.dmu * (v.dmu / v.mu) / (1.0 + p.phi));
}

}  // namespace

extern const FamilyFunctions nbinom2_family = {"nbinom2", "log", "count", "size", 0, nbinom2_prepare, nbinom2_loglik,
                                               nbinom_constant, nbinom2_variance, nbinom2_irls_weight};
extern const FamilyFunctions nbinom1_family = {"nbinom1", "log", "count", "phi", 0, nbinom1_prepare, nbinom1_loglik,
                                               nbinom_constant, nbinom1_variance, nbinom1_irls_weight};
