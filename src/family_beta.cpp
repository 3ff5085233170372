// family_beta.cpp: the beta and beta-binomial families (families.h's contract), as glmmTMB
// defines them: mean mu in (0, 1) and precision phi, with shapes a = mu phi, b = (1 - mu) phi
// (Ferrari & Cribari-Neto), so Var(y) = mu (1 - mu) / (1 + phi) for beta and the success
// probability of the beta-binomial is Beta(a, b).
//  * beta: l = w (F(a) + G(b) + lgamma(phi)) less constant(), F(a) = -lgamma(a) + a log y,
//    G(b) = -lgamma(b) + b log(1 - y);
//  * betabinomial (y the proportion of n = w trials, k = n y successes, f = n - k failures):
//    l = F(a) + G(b) - (lgamma(n + phi) - lgamma(phi)) less lchoose(n, k), F(a) = lgamma(k + a) -
//    lgamma(a), G(b) = lgamma(f + b) - lgamma(b).
// Both are l = F(alpha) + G(beta) + c(phi) in alpha = log a - log phi = log mu and beta = log(1 -
// mu), whose eta-derivatives every link gives in closed form (LinkFunctions::log_probs): with F_k
// = d^k F/dalpha^k (which is also a d/da applied k times), l' = F_1 alpha' + G_1 beta',
// l'' = F_2 alpha'^2 + F_1 alpha'' + (G), l''' = F_3 alpha'^3 + 3 F_2 alpha' alpha'' + F_1 alpha''' + (G),
// and since a = exp(alpha + log phi), d/dlog phi of F_k is F_{k+1}. The F_k are formed from
// polygamma values that stay finite as a -> 0 (family_kit), so the tails of every link are exact.
#include "family_kit.h"

using namespace family_kit;

namespace {

// l, l', -l'' (and when full the rest) from F's and G's value and first three derivatives in alpha
// and beta (F[0..3], G[0..3]), the link's log probabilities, and the phi-only part c(phi) with its
// log-phi derivative dc; every term is multiplied by w.
void compose_log_probs(const double F[4], const double G[4], const LogProbs& L, double c, double dc, double w, bool full,
                       ObsLogLik* out) {
  const double* a = L.a;
  const double* b = L.b;
  auto d1 = [&](const double* D, const double* x) { return times(D[1], x[1]); };
  auto d2 = [&](const double* D, const double* x) { return times(D[2], x[1] * x[1]) + times(D[1], x[2]); };
  auto d3 = [&](const double* D, const double* x) {
    return times(D[3], x[1] * x[1] * x[1]) + times(3.0 * D[2], x[1] * x[2]) + times(D[1], x[3]);
  };
  out->value = w * (F[0] + G[0] + c);
  out->grad = w * (d1(F, a) + d1(G, b));
  out->info = -w * (d2(F, a) + d2(G, b));
  if (!full) return;
  out->dinfo = -w * (d3(F, a) + d3(G, b));
  // d/dlog phi raises each F_k to F_{k+1}: shift the arrays by one
  out->dphi = w * (F[1] + G[1] + dc);
  out->dgrad_phi = w * (d1(F + 1, a) + d1(G + 1, b));
  out->dinfo_phi = -w * (d2(F + 1, a) + d2(G + 1, b));
}

// ---- beta ----

// aux: lgamma(phi), phi psi(phi)
void beta_prepare(FamilyParams* p) {
  p->aux[0] = std::lgamma(p->phi);
  p->aux[1] = p->phi * digamma(p->phi);
}

bool beta_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double y = o.y;
  if (!(y > 0 && y < 1)) return false;
  const LogProbs L = link.log_probs(o.eta);
  if (!L.ok_a || !L.ok_b) return false;
  const double phi = pr.phi, lphi = pr.log_phi;
  const double la = L.a[0] + lphi, lb = L.b[0] + lphi;
  const int order = full ? 3 : 2;
  double F[4] = {0, 0, 0, 0}, G[4] = {0, 0, 0, 0};
  neg_lgamma_log_derivs(std::exp(la), la, std::log(y), order, F);
  neg_lgamma_log_derivs(std::exp(lb), lb, std::log1p(-y), order, G);
  compose_log_probs(F, G, L, pr.aux[0], pr.aux[1], o.w, full, out);
  return true;
}

// the -log y - log(1 - y) of the beta density's (a - 1) log y + (b - 1) log(1 - y)
double beta_constant(double y, double w) { return -w * (std::log(y) + std::log1p(-y)); }

// glmmTMB's beta variance function mu (1 - mu); Var(y) = mu (1 - mu) / (1 + phi)
double beta_variance(double mu, const FamilyParams&) { return mu * (1.0 - mu); }

// expected information w phi^2 mu'^2 (psi1(a) + psi1(b)) = w (alpha'^2 a^2 psi1(a) + beta'^2 b^2 psi1(b))
double beta_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LogProbs L = link.log_probs(eta);
  const double a = p.phi * std::exp(L.a[0]), b = p.phi * std::exp(L.b[0]);
  const double a2psi1 = a < 1 ? a * a * trigamma(a + 1.0) + 1.0 : a * a * trigamma(a);
  const double b2psi1 = b < 1 ? b * b * trigamma(b + 1.0) + 1.0 : b * b * trigamma(b);
  return saturate(w * (times(L.a[1] * L.a[1], a2psi1) + times(L.b[1] * L.b[1], b2psi1)));
}

// ---- betabinomial ----

// lgamma(k + a) - lgamma(a) and its derivatives in log a: A, A + B, A + 3B + C (polygamma_diffs)
void log_gamma_ratio_derivs(double k, double a, double log_a, int order, double d[4]) {
  const PolyDiffs P = polygamma_diffs(k, a, order, nullptr);
  d[0] = lgamma_ratio(k, a, log_a, std::numeric_limits<double>::quiet_NaN());
  d[1] = P.A;
  d[2] = P.A + P.B;
  d[3] = P.A + 3.0 * P.B + P.C;
}

bool betabinomial_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double n = o.w, k = n * o.y, f = n - k;
  if (!(n > 0) || k < 0 || f < 0) return false;
  const LogProbs L = link.log_probs(o.eta);
  if ((k > 0 && !L.ok_a) || (f > 0 && !L.ok_b)) return false;
  const double phi = pr.phi, lphi = pr.log_phi;
  const int order = full ? 3 : 2;
  double F[4] = {0, 0, 0, 0}, G[4] = {0, 0, 0, 0};
  if (k > 0) {
    const double la = L.a[0] + lphi;
    log_gamma_ratio_derivs(k, std::exp(la), la, order, F);
  }
  if (f > 0) {
    const double lb = L.b[0] + lphi;
    log_gamma_ratio_derivs(f, std::exp(lb), lb, order, G);
  }
  const double c = -lgamma_ratio(n, phi, lphi, pr.aux[0]);
  const double dc = full ? -polygamma_diffs(n, phi, 1, nullptr).A : 0.0;
  compose_log_probs(F, G, L, c, dc, 1.0, full, out);
  return true;
}

// aux: lgamma(phi)
void betabinomial_prepare(FamilyParams* p) { p->aux[0] = std::lgamma(p->phi); }

// lchoose(n, k) by lgamma (n = w trials, k = w y successes)
double betabinomial_constant(double y, double w) {
  return std::lgamma(w + 1.0) - std::lgamma(w * y + 1.0) - std::lgamma(w - w * y + 1.0);
}

// glmmTMB's betabinomial variance function mu (1 - mu) (per trial, without the overdispersion)
double betabinomial_variance(double mu, const FamilyParams&) { return mu * (1.0 - mu); }

// the binomial weight w mu'^2 / (mu (1 - mu)) over the overdispersion 1 + (n - 1) / (1 + phi)
double betabinomial_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LogProbs L = link.log_probs(eta);
  return saturate(-w * L.a[1] * L.b[1] / (1.0 + (w - 1.0) / (1.0 + p.phi)));
}

}  // namespace

extern const FamilyFunctions beta_family = {"beta", "logit", "unit", "phi", 0, beta_prepare, beta_loglik, beta_constant,
                                            beta_variance, beta_irls_weight};
extern const FamilyFunctions betabinomial_family = {"betabinomial", "logit", "proportion", "phi", 0, betabinomial_prepare,
                                                    betabinomial_loglik, betabinomial_constant, betabinomial_variance,
                                                    betabinomial_irls_weight};
