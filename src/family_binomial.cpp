// family_binomial.cpp: the binomial family (families.h's contract). y is the proportion of
// successes among w trials: with k = w y successes and f = w - k failures, l = k log mu +
// f log(1 - mu), from the link's closed forms of log mu and log(1 - mu) (LinkFunctions::log_probs);
// each term only where its count is positive, so a boundary mean the data allow (mu = 0 with
// k = 0) is fine.
#include "family_kit.h"

using namespace family_kit;

namespace {

bool binomial_loglik(const LinkFunctions& link, const Obs& o, const FamilyParams&, bool, ObsLogLik* out) {
  const LogProbs L = link.log_probs(o.eta);
  const double k = o.w * o.y, f = o.w - k;
  if ((k > 0 && !L.ok_a) || (f > 0 && !L.ok_b)) return false;
  double d[4];
  for (int j = 0; j < 4; ++j) d[j] = (k > 0 ? k * L.a[j] : 0.0) + (f > 0 ? f * L.b[j] : 0.0);
  out->value = d[0];
  out->grad = d[1];
  out->info = -d[2];
  out->dinfo = -d[3];
  out->dphi = out->dgrad_phi = out->dinfo_phi = 0;
  return true;
}

// lchoose(w, k) by lgamma: smooth, and silent for non-integer successes
double binomial_constant(double y, double w) { return std::lgamma(w + 1.0) - std::lgamma(w * y + 1.0) - std::lgamma(w - w * y + 1.0); }

double binomial_variance(double mu, const FamilyParams&) { return mu * (1.0 - mu); }

// w mu'^2 / (mu (1 - mu)) = w (mu'/mu) (mu'/(1 - mu)) = -w a' b'
double binomial_irls_weight(const LinkFunctions& link, double eta, double w, const FamilyParams&) {
  const LogProbs L = link.log_probs(eta);
  return saturate(-w * L.a[1] * L.b[1]);
}

}  // namespace

extern const FamilyFunctions binomial_family = {"binomial", "logit", "proportion", nullptr, 0, nullptr,
                                                binomial_loglik, binomial_constant, binomial_variance,
                                                binomial_irls_weight};
