// family_tweedie.cpp: the Tweedie family with power 1 < p < 2 (families.h's contract), as glmmTMB
// defines it: Var(y) = phi mu^p, and the shape parameter is glmmTMB's psi, p = 1 + logistic(psi).
// The density is the compound Poisson-gamma one (Dunn & Smyth 2005):
//   log f = (y mu^(1-p)/(1-p) - mu^(2-p)/(2-p)) / phi + log a(y, phi, p),
// log a = 0 at y = 0 and otherwise log sum_j W_j - log y with
//   log W_j = j (k log y - k log(p - 1) - log(phi)/(p - 1) - log(2 - p)) - lgamma(j + 1) - lgamma(j k),
// k = (2 - p)/(p - 1) = exp(-psi), summed around its largest term j ~ y^(2-p) / (phi (2 - p)) until the
// terms fall below e^-37 of it. When the terms spread over many j (near p = 2, or a small phi) the
// sum over whole j is the integral of the smooth terms (to far below double precision), taken by
// the trapezoid rule on a coarser grid: a bounded number of terms whatever the spread. Peaks
// beyond 1e7 (where lgamma's rounding reaches 1e-7) are treated as outside the family. In lam = log mu (chain_log_mean()), with t1 = y mu^(1-p)/phi and
// t2 = mu^(2-p)/phi: d^k l/dlam^k = (1-p)^(k-1) t1 - (2-p)^(k-1) t2, their log-phi derivatives are
// their negatives, and dlog a/dlog phi = -E[j] / (p - 1) under the weights W_j. The -log y of log a
// is constant(); the rest of log a depends on phi and p and is part of l. Powers within 1e-8 of 1
// or 2 are outside the family (there the series cancels beyond double precision). For whole-number
// data the likelihood grows without bound as p -> 1 (the density tends to point masses), so such
// fits end at that edge (R/glmm.R warns).
#include "family_kit.h"

using namespace family_kit;

namespace {

const double kMaxShape = 18.4;   // |psi|: p - 1 and 2 - p above 1e-8
const double kMaxPeak = 1e7;     // the largest term's index j beyond which the series is not summed
const double kGridSpread = 16;   // spread (in j) of the terms from which they are summed on a grid

// aux: p - 1, 2 - p (each exact from psi), k = (2 - p)/(p - 1), the j-free part of log W_j less
// k log y (c0 = -k log(p - 1) - log(phi)/(p - 1) - log(2 - p)), 1/(p - 1)
void tweedie_prepare(FamilyParams* p) {
  const double psi = p->shape;
  p->aux[0] = logistic(psi);
  p->aux[1] = logistic(-psi);
  p->aux[2] = std::exp(-psi);
  p->aux[4] = 1.0 + std::exp(-psi);
  const double log_pm1 = -softplus(-psi), log_2mp = -softplus(psi);
  p->aux[3] = -p->aux[2] * log_pm1 - p->log_phi * p->aux[4] - log_2mp;
}

// log sum_j W_j for y > 0 (see the banner) and E[j] under the weights W_j.
double tweedie_log_series(double y, const FamilyParams& pr, double* mean_j) {
  const double two_mp = pr.aux[1], k = pr.aux[2], ly = std::log(y);
  const double log_z = k * ly + pr.aux[3];
  auto log_term = [&](double j) { return j * log_z - std::lgamma(j + 1.0) - std::lgamma(j * k); };
  const double j_peak = std::exp(two_mp * ly - pr.log_phi - std::log(two_mp));
  if (!(j_peak < kMaxPeak)) return std::numeric_limits<double>::quiet_NaN();
  // the terms' spread: d2 log W_j / dj2 ~ -(1 + k) / j, so about 9 sd = 9 sqrt(j / (1 + k)) each
  // side reach e^-37. A spread of kGridSpread or more: the sum over whole j equals the integral of
  // the terms (Poisson summation; the error is of order exp(-2 pi^2 spread^2)), and the trapezoid
  // rule with step spread / 8 gives that integral (an error of order exp(-2 pi^2 64)): the sum is
  // step times the sum of the grid's terms
  const double spread = std::sqrt(j_peak / (1.0 + k));
  const double step = spread < kGridSpread ? 1.0 : spread / 8.0;
  const double reach = 9.0 * spread + 50.0 * step;
  const double j0 = step == 1.0 ? std::max(1.0, std::floor(j_peak)) : j_peak;
  const double top = log_term(j0);
  // sums of exp(term - top) and j exp(term - top); the terms are log-concave in j, so once they
  // fall 37 below the largest seen (and keep falling) the rest are negligible
  double sum = 1.0, sum_j = j0, best = top;
  auto add = [&](double j) {
    const double t = log_term(j);
    if (t > best) {   // rescale to the new largest term
      const double f = std::exp(best - t);
      sum *= f;
      sum_j *= f;
      best = t;
    }
    const double e = std::exp(t - best);
    sum += e;
    sum_j += j * e;
    return t;
  };
  if (!std::isfinite(top)) return std::numeric_limits<double>::quiet_NaN();
  double prev = top;
  for (double j = j0 + step; j < j0 + 2.0 * reach; j += step) {
    const double t = add(j);
    if (!std::isfinite(t) || (t < best - 37.0 && t < prev)) break;
    prev = t;
  }
  prev = top;
  for (double j = j0 - step; j >= 1 && j > j0 - 2.0 * reach; j -= step) {
    const double t = add(j);
    if (!std::isfinite(t) || (t < best - 37.0 && t < prev)) break;
    prev = t;
  }
  *mean_j = sum_j / sum;
  return best + std::log(step * sum);
}

bool tweedie_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams& pr, bool full, ObsLogLik* out) {
  const double y = o.y, w = o.w, pm1 = pr.aux[0], two_mp = pr.aux[1];
  // powers within 1e-8 of 1 or 2 (|psi| > 18.4) are outside the family: there the series' terms
  // (j log z ~ 1e8 and more) cancel beyond double precision
  if (!(std::fabs(pr.shape) < kMaxShape) || y < 0) return false;
  const LinkValues v = &link == &log_link ? LinkValues{0, 0, 0, 0} : link.values(o.eta);
  const double lmu = log_mean(link, o.eta, v);
  if (std::isnan(lmu)) return false;
  const double one_mp = -pm1;
  const double t1 = y > 0 ? capped_exp(std::log(y) + one_mp * lmu - pr.log_phi) : 0.0;
  const double t2 = capped_exp(two_mp * lmu - pr.log_phi);
  const double mean_part = t1 / one_mp - t2 / two_mp;   // (y theta - kappa) / phi
  double log_a = 0.0, mean_j = 0.0;
  if (y > 0) log_a = tweedie_log_series(y, pr, &mean_j);
  if (!std::isfinite(log_a)) return false;
  const double D1 = t1 - t2, D2 = one_mp * t1 - two_mp * t2, D3 = one_mp * one_mp * t1 - two_mp * two_mp * t2;
  out->value = w * (mean_part + log_a);
  const double P0 = -mean_part - mean_j * pr.aux[4];
  chain_log_mean(w * D1, w * D2, w * D3, w * P0, -w * D1, -w * D2, link, o.eta, v, out);
  if (!full) out->dphi = out->dgrad_phi = out->dinfo_phi = 0;
  return true;
}

// the -log y of log a (y > 0)
double tweedie_constant(double y, double w) { return y > 0 ? -w * std::log(y) : 0.0; }

// glmmTMB's variance function phi mu^p
double tweedie_variance(double mu, const FamilyParams& p) { return saturate(p.phi * std::pow(mu, 1.0 + p.aux[0])); }

// w mu'^2 / (phi mu^p) = w (mu'/mu)^2 mu^(2-p) / phi
double tweedie_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams& p) {
  const LinkValues v = link.values(eta);
  const double lmu = log_mean(link, eta, v);
  const double e = &link == &log_link ? 1.0 : v.dmu / v.mu;
  return saturate(w * e * e * capped_exp(p.aux[1] * lmu - p.log_phi));
}

}  // namespace

extern const FamilyFunctions tweedie_family = {"tweedie", "log", "nonnegative", "phi", 1, tweedie_prepare, tweedie_loglik,
                                               tweedie_constant, tweedie_variance, tweedie_irls_weight};
