// families.cpp: log-likelihoods and their eta-derivatives (notation in families.h).
// Numerics: binomial terms use log(mu), log(1 - mu) and the ratios mu'/mu, mu'/(1 - mu) in
// log space, so extreme eta gives finite values; log-link rates are capped at exp(700).
#include "families.h"
#include <Rcpp.h>
#include <cmath>
#include <limits>

const char* const family_names[FAM_COUNT] = {"gaussian", "binomial", "poisson", "Gamma", "nbinom2", "nbinom1"};
const char* const link_names[LINK_COUNT] = {"identity", "log", "logit", "probit", "cloglog", "inverse", "sqrt"};

bool family_has_dispersion(int family) {
  return family == FAM_GAUSSIAN || family == FAM_GAMMA || family == FAM_NBINOM2 || family == FAM_NBINOM1;
}

namespace {
const double kMaxEta = 700.0;
inline double clamp_eta(double eta) { return std::min(std::max(eta, -kMaxEta), kMaxEta); }
}  // namespace

LinkValues link_values(int link, double eta) {
  LinkValues v;
  switch (link) {
    case LINK_IDENTITY: v.mu = eta; v.dmu = 1; v.h = 0; v.h2 = 0; break;
    case LINK_LOG: v.mu = std::exp(clamp_eta(eta)); v.dmu = v.mu; v.h = 1; v.h2 = 1; break;
    case LINK_LOGIT: {
      v.mu = 1.0 / (1.0 + std::exp(-clamp_eta(eta)));
      v.dmu = v.mu * (1.0 - v.mu);
      v.h = 1.0 - 2.0 * v.mu;
      v.h2 = v.h * v.h - 2.0 * v.dmu;
      break;
    }
    case LINK_PROBIT: v.mu = R::pnorm(eta, 0, 1, 1, 0); v.dmu = R::dnorm(eta, 0, 1, 0); v.h = -eta; v.h2 = eta * eta - 1.0; break;
    case LINK_CLOGLOG: {
      const double e = std::exp(clamp_eta(eta));
      v.mu = -std::expm1(-e);
      v.dmu = std::exp(clamp_eta(eta) - e);
      v.h = 1.0 - e;
      v.h2 = v.h * v.h - e;
      break;
    }
    case LINK_INVERSE: v.mu = 1.0 / eta; v.dmu = -1.0 / (eta * eta); v.h = -2.0 / eta; v.h2 = 6.0 / (eta * eta); break;
    case LINK_SQRT: v.mu = eta * eta; v.dmu = 2.0 * eta; v.h = 1.0 / eta; v.h2 = 0; break;
    default: v.mu = v.dmu = v.h = v.h2 = NAN;
  }
  return v;
}

namespace {

// log(mu), log(1 - mu), log(dmu/deta) of a binomial link, stable in the tails.
void binomial_logs(int link, double eta, double* lmu, double* l1mu, double* ldmu) {
  switch (link) {
    case LINK_LOGIT:
      if (eta > 0) *lmu = -std::log1p(std::exp(-eta)); else *lmu = eta - std::log1p(std::exp(eta));
      if (eta < 0) *l1mu = -std::log1p(std::exp(eta)); else *l1mu = -eta - std::log1p(std::exp(-eta));
      *ldmu = *lmu + *l1mu;
      break;
    case LINK_PROBIT:
      *lmu = R::pnorm(eta, 0, 1, 1, 1);
      *l1mu = R::pnorm(eta, 0, 1, 0, 1);
      *ldmu = R::dnorm(eta, 0, 1, 1);
      break;
    case LINK_CLOGLOG: {
      const double e = std::exp(clamp_eta(eta));
      *lmu = std::log(-std::expm1(-e));
      *l1mu = -e;
      *ldmu = clamp_eta(eta) - e;
      break;
    }
    default: {   // log link or others: through mu itself
      LinkValues v = link_values(link, eta);
      *lmu = std::log(v.mu);
      *l1mu = std::log1p(-v.mu);
      *ldmu = std::log(std::abs(v.dmu));
    }
  }
}

// Binomial: k = w y successes of m = w trials.
ObsLogLik binomial_loglik(int link, double y, double eta, double w) {
  double lmu, l1mu, ldmu;
  binomial_logs(link, eta, &lmu, &l1mu, &ldmu);
  const double k = w * y, f = w - k;
  ObsLogLik out;
  out.value = (k > 0 ? k * lmu : 0.0) + (f > 0 ? f * l1mu : 0.0);
  const double h = link_values(link, eta).h;
  const double r1 = std::exp(ldmu - lmu), r2 = std::exp(ldmu - l1mu);
  out.grad = k * r1 - f * r2;
  out.info = -(k * (r1 * h - r1 * r1) - f * (r2 * h + r2 * r2));
  return out;
}

// From dl/dmu and d2l/dmu2 to the eta scale by the chain rule.
ObsLogLik chain(double value, double lmu1, double lmu2, const LinkValues& v) {
  ObsLogLik out;
  out.value = value;
  out.grad = lmu1 * v.dmu;
  out.info = -(lmu2 * v.dmu * v.dmu + lmu1 * v.h * v.dmu);
  return out;
}

}  // namespace

double obs_constant(int family, double y, double w) {
  switch (family) {
    case FAM_BINOMIAL:   // lchoose by lgamma: smooth, and silent for non-integer successes
      return std::lgamma(w + 1.0) - std::lgamma(w * y + 1.0) - std::lgamma(w - w * y + 1.0);
    case FAM_POISSON: case FAM_NBINOM2: case FAM_NBINOM1: return -w * std::lgamma(y + 1.0);
    default: return 0.0;
  }
}

ObsLogLik obs_loglik(int family, int link, double y, double eta, double w, double phi) {
  if (family == FAM_BINOMIAL) return binomial_loglik(link, y, eta, w);
  const LinkValues v = link_values(link, eta);
  const double mu = v.mu;
  ObsLogLik nan_out = {-std::numeric_limits<double>::infinity(), NAN, NAN};
  switch (family) {
    case FAM_GAUSSIAN: {
      const double s2 = phi * phi, r = y - mu;
      return chain(w * (-0.5 * std::log(2 * M_PI * s2) - r * r / (2 * s2)), w * r / s2, -w / s2, v);
    }
    case FAM_POISSON: {
      if (!(mu > 0)) return nan_out;
      if (link == LINK_LOG) {
        const double e = clamp_eta(eta);
        ObsLogLik out = {w * (y * e - mu), w * (y - mu), w * mu};
        return out;
      }
      return chain(w * (y * std::log(mu) - mu), w * (y / mu - 1.0), -w * y / (mu * mu), v);
    }
    case FAM_GAMMA: {
      if (!(mu > 0)) return nan_out;
      const double nu = 1.0 / (phi * phi);   // phi = sigma = coefficient of variation
      const double value = w * (nu * std::log(nu) - nu * std::log(mu) + (nu - 1.0) * std::log(y) - nu * y / mu - std::lgamma(nu));
      return chain(value, w * nu * (y / mu - 1.0) / mu, w * nu * (1.0 / (mu * mu) - 2.0 * y / (mu * mu * mu)), v);
    }
    case FAM_NBINOM2: {
      if (!(mu > 0)) return nan_out;
      const double th = phi;
      const double lmu = (link == LINK_LOG) ? clamp_eta(eta) : std::log(mu);
      const double log_th_mu = std::log(th + mu);
      const double value = w * (std::lgamma(y + th) - std::lgamma(th) + th * (std::log(th) - log_th_mu) +
                                y * (lmu - log_th_mu));
      const double l1 = y / mu - (y + th) / (th + mu);
      const double l2 = -y / (mu * mu) + (y + th) / ((th + mu) * (th + mu));
      return chain(value, w * l1, w * l2, v);
    }
    case FAM_NBINOM1: {
      if (!(mu > 0)) return nan_out;
      const double s = mu / phi;
      const double value = w * (std::lgamma(y + s) - std::lgamma(s) - s * std::log1p(phi) +
                                y * (std::log(phi) - std::log1p(phi)));
      const double l1 = (R::digamma(y + s) - R::digamma(s) - std::log1p(phi)) / phi;
      const double l2 = (R::trigamma(y + s) - R::trigamma(s)) / (phi * phi);
      return chain(value, w * l1, w * l2, v);
    }
  }
  return nan_out;
}

double irls_weight(int family, int link, double eta, double w, double phi) {
  if (family == FAM_BINOMIAL) {   // w mu'^2 / (mu (1 - mu)), in log space for the tails
    double lmu, l1mu, ldmu;
    binomial_logs(link, eta, &lmu, &l1mu, &ldmu);
    return w * std::exp(2.0 * ldmu - lmu - l1mu);
  }
  const LinkValues v = link_values(link, eta);
  const double mu = v.mu, d2 = v.dmu * v.dmu;
  switch (family) {
    case FAM_GAUSSIAN: return w * d2 / (phi * phi);
    case FAM_POISSON: return w * d2 / mu;
    case FAM_GAMMA: return w * d2 / (phi * phi * mu * mu);
    case FAM_NBINOM2: return w * d2 * phi / (mu * (phi + mu));
    case FAM_NBINOM1: return w * d2 / (mu * (1.0 + phi));
  }
  return NAN;
}

namespace {

// Derivatives of l in mu (l1, l2, l3) and of l, l1, l2 in log phi (lp, l1p, l2p), taken to the
// eta scale by the chain rule: l' = l1 mu', l'' = l2 mu'^2 + l1 mu'', l''' = l3 mu'^3 +
// 3 l2 mu' mu'' + l1 mu'''.
ObsDerivs chain_derivs(double l1, double l2, double l3, double lp, double l1p, double l2p, const LinkValues& v) {
  const double d = v.dmu, d2 = d * d;
  ObsDerivs out;
  out.grad = l1 * d;
  out.info = -(l2 * d2 + l1 * v.h * d);
  out.dinfo = -(l3 * d2 * d + 3.0 * l2 * d2 * v.h + l1 * d * v.h2);
  out.dphi = lp;
  out.dgrad_phi = l1p * d;
  out.dinfo_phi = -(l2p * d2 + l1p * v.h * d);
  return out;
}

// Binomial in the stable ratios r1 = mu'/mu, r2 = mu'/(1 - mu): r1' = r1 h - r1^2,
// r2' = r2 h + r2^2, h' = h2 - h^2 (h = mu''/mu', h2 = mu'''/mu').
ObsDerivs binomial_derivs(int link, double y, double eta, double w) {
  double lmu, l1mu, ldmu;
  binomial_logs(link, eta, &lmu, &l1mu, &ldmu);
  const LinkValues v = link_values(link, eta);
  const double k = w * y, f = w - k, h = v.h, dh = v.h2 - v.h * v.h;
  const double r1 = std::exp(ldmu - lmu), r2 = std::exp(ldmu - l1mu);
  const double dr1 = r1 * h - r1 * r1, dr2 = r2 * h + r2 * r2;
  ObsDerivs out = {k * r1 - f * r2, -(k * dr1 - f * dr2), 0, 0, 0, 0};
  out.dinfo = -(k * (dr1 * h + r1 * dh - 2.0 * r1 * dr1) - f * (dr2 * h + r2 * dh + 2.0 * r2 * dr2));
  return out;
}

}  // namespace

ObsDerivs obs_derivs(int family, int link, double y, double eta, double w, double phi) {
  if (family == FAM_BINOMIAL) return binomial_derivs(link, y, eta, w);
  const LinkValues v = link_values(link, eta);
  const double mu = v.mu;
  const ObsDerivs nan_out = {NAN, NAN, NAN, NAN, NAN, NAN};
  switch (family) {
    case FAM_GAUSSIAN: {
      const double s2 = phi * phi, r = y - mu;
      return chain_derivs(w * r / s2, -w / s2, 0.0, w * (r * r / s2 - 1.0), -2.0 * w * r / s2, 2.0 * w / s2, v);
    }
    case FAM_POISSON: {
      if (!(mu > 0)) return nan_out;
      if (link == LINK_LOG) {
        const ObsDerivs out = {w * (y - mu), w * mu, w * mu, 0, 0, 0};
        return out;
      }
      return chain_derivs(w * (y / mu - 1.0), -w * y / (mu * mu), 2.0 * w * y / (mu * mu * mu), 0, 0, 0, v);
    }
    case FAM_GAMMA: {   // nu = phi^-2, d nu / d log phi = -2 nu
      if (!(mu > 0)) return nan_out;
      const double nu = 1.0 / (phi * phi), m2 = mu * mu;
      const double l1 = w * nu * (y / m2 - 1.0 / mu), l2 = w * nu * (1.0 / m2 - 2.0 * y / (m2 * mu));
      const double l3 = w * nu * (-2.0 / (m2 * mu) + 6.0 * y / (m2 * m2));
      const double dl_dnu = w * (std::log(nu) + 1.0 - std::log(mu) + std::log(y) - y / mu - R::digamma(nu));
      return chain_derivs(l1, l2, l3, -2.0 * nu * dl_dnu, -2.0 * l1, -2.0 * l2, v);
    }
    case FAM_NBINOM2: {   // phi = size theta
      if (!(mu > 0)) return nan_out;
      const double th = phi, tm = th + mu, tm2 = tm * tm;
      const double l1 = w * (y / mu - (y + th) / tm), l2 = w * (-y / (mu * mu) + (y + th) / tm2);
      const double l3 = w * (2.0 * y / (mu * mu * mu) - 2.0 * (y + th) / (tm2 * tm));
      const double dl_dth = w * (R::digamma(y + th) - R::digamma(th) + std::log(th) + 1.0 - std::log(tm) - (y + th) / tm);
      return chain_derivs(l1, l2, l3, th * dl_dth, th * w * (y - mu) / tm2, th * w * (mu - th - 2.0 * y) / (tm2 * tm), v);
    }
    case FAM_NBINOM1: {   // s = mu / phi, d s / d log phi = -s
      if (!(mu > 0)) return nan_out;
      const double s = mu / phi, dg = R::digamma(y + s) - R::digamma(s), tg = R::trigamma(y + s) - R::trigamma(s);
      const double qg = R::tetragamma(y + s) - R::tetragamma(s), lp1 = std::log1p(phi), ratio = phi / (1.0 + phi);
      const double A = dg - lp1, dA = -s * tg - ratio;
      const double lp = w * (-s * dg + s * lp1 - s * ratio + y / (1.0 + phi));
      return chain_derivs(w * A / phi, w * tg / (phi * phi), w * qg / (phi * phi * phi), lp, w * (dA - A) / phi,
                          w * (-s * qg - 2.0 * tg) / (phi * phi), v);
    }
  }
  return nan_out;
}
