// family_lognormal.cpp: the lognormal family (families.h's contract) as glmmTMB defines it (from
// version 1.1.6): mu and phi = sigma are the mean and SD of y itself, so log y ~ N(m, v) with
// v = log(1 + sigma^2/mu^2) and m = log mu - v/2:
//   l = w (-log(v)/2 - r^2 / (2 v)) less w (log y + log(2 pi)/2),   r = log y - m.
// In lam = log mu (chain_log_mean()) with x = 2 (log sigma - lam), v = softplus(x), P = logistic(x)
// = sigma^2 / (sigma^2 + mu^2), Q = 1 - P and rho = P / v (in (0, 1], 1 as v -> 0):
//   v' = -2 P, P' = -2 P Q, r' = -1 - P, r'' = 2 P Q, r''' = 4 P Q (P - Q),
//   (log v)' = -2 rho, rho' = 2 rho (rho - Q), and (1/v)^(k) = J_k / v with J_1 = 2 rho,
//   J_2 = 2 rho' + 4 rho^2, J_3 = 2 rho'' + 12 rho rho' + 8 rho^3,
// so with a = r^2/2 every derivative is rho^(k-1) - G_k / v, G_k the Leibniz sums of a^(j) J_(k-j):
// 1/v may overflow (sigma << mu), but G_k stays finite, so nothing forms Inf - Inf. log sigma
// enters only through x = 2 (log sigma - lam) and r = delta + v/2 with delta = log y - lam, so
// d/dlog sigma = -d/dlam - d/ddelta, and d l/ddelta = -r / v; rho - Q is formed as -Q
// (log1p(e^x) - e^x) / v for x < 0, where the difference would cancel.
#include "family_kit.h"

using namespace family_kit;

namespace {

bool lognormal_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double y = o.y, w = o.w;
  if (!(y > 0)) return false;
  const LinkValues v_link = &link == &log_link ? LinkValues{0, 0, 0, 0} : link.values(o.eta);
  const double lam = log_mean(link, o.eta, v_link);
  if (std::isnan(lam)) return false;
  const double x = 2.0 * (pr.log_phi - lam);
  const double v = softplus(x);
  const double lv = x < -30 ? x - 0.5 * std::exp(x) : std::log(v);   // log v, also where v underflows
  const double iv = std::exp(-lv);                                   // 1/v (Inf when v underflows)
  const double P = logistic(x), Q = logistic(-x), PQ = P * Q;
  const double rho = std::exp(-softplus(-x) - lv);                   // P / v
  // rho - Q: -Q (log1p(X) - X) / v for X = e^x < 1 (its series Q X/2 (1 - X/6) far out), else direct
  const double X = std::exp(std::min(x, 0.0));
  const double rq = x < -30 ? 0.5 * Q * X * (1.0 - X / 6.0) : (x < 0 ? -Q * (log1p_minus_x(X) / v) : rho - Q);
  const double rho1 = 2.0 * rho * rq;
  const double rho2 = 2.0 * rho1 * rq + 2.0 * rho * (rho1 - 2.0 * PQ);
  const double J1 = 2.0 * rho, J2 = 2.0 * rho1 + 4.0 * rho * rho, J3 = 2.0 * rho2 + 12.0 * rho * rho1 + 8.0 * rho * rho * rho;
  const double r = std::log(y) - lam + 0.5 * v, r1 = -1.0 - P, r2 = 2.0 * PQ, r3 = 4.0 * PQ * (P - Q);
  const double a = 0.5 * r * r, a1 = r * r1, a2 = r1 * r1 + r * r2, a3 = 3.0 * r1 * r2 + r * r3;
  const double G1 = a1 + a * J1, G2 = a2 + 2.0 * a1 * J1 + a * J2, G3 = a3 + 3.0 * a2 * J1 + 3.0 * a1 * J2 + a * J3;
  out->value = w * (-0.5 * lv - times(iv, a));
  const double D1 = rho - times(iv, G1), D2 = rho1 - times(iv, G2), D3 = rho2 - times(iv, G3);
  double P0 = 0, P1 = 0, P2 = 0;
  if (full) {
    P0 = rho * (times(iv, r * r) - r - 1.0);
    P1 = -rho1 + times(iv, G2 + r1 + r * J1);
    P2 = -rho2 + times(iv, G3 + r2 + 2.0 * r1 * J1 + r * J2);
  }
  chain_log_mean(w * D1, w * D2, w * D3, w * P0, w * P1, w * P2, link, o.eta, v_link, out);
  return true;
}

double lognormal_constant(double y, double w) { return y > 0 ? -w * (std::log(y) + 0.5 * std::log(2.0 * M_PI)) : 0.0; }

// glmmTMB's variance function phi^2 (the variance of y)
double lognormal_variance(double, const FamilyParams& p) { return saturate(p.phi * p.phi); }

// expected information in lam, (1 + P)^2 / v + 2 rho^2, times w (dlam/deta)^2
double lognormal_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LinkValues v_link = link.values(eta);
  const double lam = log_mean(link, eta, v_link);
  const double x = 2.0 * (p.log_phi - lam), P = logistic(x);
  const double lv = x < -30 ? x - 0.5 * std::exp(x) : std::log(softplus(x));
  const double rho = std::exp(-softplus(-x) - lv);
  const double e = &link == &log_link ? 1.0 : v_link.dmu / v_link.mu;
  return saturate(w * e * e * ((1.0 + P) * (1.0 + P) * std::exp(-lv) + 2.0 * rho * rho));
}

}  // namespace

extern const FamilyFunctions lognormal_family = {"lognormal", "log", "positive", "sigma", 0, nullptr, lognormal_loglik,
                                                 lognormal_constant, lognormal_variance, lognormal_irls_weight};
