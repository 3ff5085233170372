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

// binomial_loglik() for the logit link over n observations (families.h's loglik_batch)
bool binomial_loglik_batch(const LinkFunctions& link, int n, const double* y, const double* eta, const double* w,
                           double* value, double* grad, double* info, double* dinfo) {
  if (&link != &logit_link) return false;
  for (int i = 0; i < n; ++i) {
    const LogProbs L = logit_log_probs_closed(eta[i]);
    const double k = w[i] * y[i], f = w[i] - k;
    const bool has_k = k > 0, has_f = f > 0;
    value[i] = (has_k ? k * L.a[0] : 0.0) + (has_f ? f * L.b[0] : 0.0);
    grad[i] = (has_k ? k * L.a[1] : 0.0) + (has_f ? f * L.b[1] : 0.0);
    info[i] = -((has_k ? k * L.a[2] : 0.0) + (has_f ? f * L.b[2] : 0.0));
    if (dinfo) dinfo[i] = -((has_k ? k * L.a[3] : 0.0) + (has_f ? f * L.b[3] : 0.0));
  }
  return true;
}

}  // namespace

extern const FamilyFunctions binomial_family = {"binomial", "logit", "proportion", nullptr, 0, nullptr,
                                                binomial_loglik, binomial_constant, binomial_variance,
                                                binomial_irls_weight, binomial_loglik_batch};
