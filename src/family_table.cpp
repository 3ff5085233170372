// family_table.cpp: the tables of families and links (a code is a row; R reads the tables through
// cpp_family_table()), and ResponseModel, the one way the cores read a family: it prepares the
// family's parameters once per (phi, shape) and saturates every result into the finite range.
#include "families.h"
#include "family_kit.h"
#include <stdexcept>
#include <string>

namespace {

// One row per family: adding a family is adding its function set here.
const FamilyFunctions* const family_table[] = {&gaussian_family,   &binomial_family,          &poisson_family,
                                               &Gamma_family,      &nbinom2_family,           &nbinom1_family,
                                               &beta_family,       &betabinomial_family,      &genpois_family,
                                               &tweedie_family,    &t_family,                 &lognormal_family,
                                               &truncated_poisson_family, &truncated_nbinom1_family,
                                               &truncated_nbinom2_family};
// One row per link.
const LinkFunctions* const link_table[] = {&identity_link, &log_link, &logit_link, &probit_link,
                                           &cloglog_link,  &inverse_link, &sqrt_link};

const int kFamilies = sizeof(family_table) / sizeof(family_table[0]);
const int kLinks = sizeof(link_table) / sizeof(link_table[0]);

// The out-of-support result: value -Inf, derivatives NaN.
ObsLogLik outside_support() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return ObsLogLik{-std::numeric_limits<double>::infinity(), nan, nan, nan, nan, nan, nan};
}

}  // namespace

int family_count() { return kFamilies; }
int link_count() { return kLinks; }

const FamilyFunctions& family_at(int code) {
  if (code < 0 || code >= kFamilies) throw std::invalid_argument("unknown family code " + std::to_string(code));
  return *family_table[code];
}

const LinkFunctions& link_at(int code) {
  if (code < 0 || code >= kLinks) throw std::invalid_argument("unknown link code " + std::to_string(code));
  return *link_table[code];
}

ResponseModel::ResponseModel(int family, int link) : family_(&family_at(family)), link_(&link_at(link)) {
  set_parameters(1.0);
}

void ResponseModel::set_parameters(double phi, double shape) { params_ = prepared(phi, shape); }

FamilyParams ResponseModel::prepared(double phi, double shape) const {
  if (!has_dispersion()) phi = 1.0;
  FamilyParams params;
  params.phi = phi;
  params.log_phi = std::log(phi);
  params.shape = shape;
  for (double& a : params.aux) a = std::numeric_limits<double>::quiet_NaN();
  if (family_->prepare) family_->prepare(&params);
  return params;
}

// The family's loglik() with its results saturated into the finite range (or the out-of-support
// result). A NaN that slips through (opposite infinities at a mean far beyond the double range)
// is reported as outside the support, so the optimizer sees an infeasible point, not a NaN.
ObsLogLik ResponseModel::evaluate_at(const FamilyParams& params, double y, double eta, double w, bool full) const {
  using family_kit::saturate;
  ObsLogLik o = outside_support();
  if (!family_->loglik(*link_, Obs{y, eta, w}, params, full, &o)) return outside_support();
  if (std::isnan(o.value) || std::isnan(o.grad) || std::isnan(o.info) ||
      (full && (std::isnan(o.dinfo) || std::isnan(o.dphi) || std::isnan(o.dgrad_phi) || std::isnan(o.dinfo_phi))))
    return outside_support();
  o.value = saturate(o.value);
  o.grad = saturate(o.grad);
  o.info = saturate(o.info);
  o.dinfo = saturate(o.dinfo);
  o.dphi = saturate(o.dphi);
  o.dgrad_phi = saturate(o.dgrad_phi);
  o.dinfo_phi = saturate(o.dinfo_phi);
  return o;
}

bool ResponseModel::evaluate_batch(int n, const double* y, const double* eta, const double* w, double* value,
                                   double* grad, double* info, double* dinfo) const {
  using family_kit::saturate;
  if (family_->loglik_batch == nullptr || has_dispersion()) return false;
  if (!family_->loglik_batch(*link_, n, y, eta, w, value, grad, info, dinfo)) return false;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int i = 0; i < n; ++i) {
    if (std::isnan(value[i]) || std::isnan(grad[i]) || std::isnan(info[i]) || (dinfo && std::isnan(dinfo[i]))) {
      value[i] = -std::numeric_limits<double>::infinity();
      grad[i] = info[i] = nan;
      if (dinfo) dinfo[i] = nan;
      continue;
    }
    value[i] = saturate(value[i]);
    grad[i] = saturate(grad[i]);
    info[i] = saturate(info[i]);
    if (dinfo) dinfo[i] = saturate(dinfo[i]);
  }
  return true;
}

double ResponseModel::variance(double mu) const { return family_->variance(mu, params_); }

double ResponseModel::irls_weight(double eta, double w) const { return family_->irls_weight(*link_, eta, w, params_); }
