// family_table.cpp: the tables of families and links (a code is a row; R reads the tables through
// cpp_family_table()), and ResponseModel, the one way the cores read a family: it prepares the
// family's parameters once per (phi, shape) and saturates every result into the finite range.
#include "families.h"
#include "family_kit.h"
#include <stdexcept>
#include <string>

namespace {

// One row per family: adding a family is adding its function set here.
const FamilyFunctions* const family_table[] = {&gaussian_family, &binomial_family, &poisson_family,
                                               &Gamma_family,    &nbinom2_family,  &nbinom1_family};
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

void ResponseModel::set_parameters(double phi, double shape) {
  if (!has_dispersion()) phi = 1.0;
  params_.phi = phi;
  params_.log_phi = std::log(phi);
  params_.shape = shape;
  for (double& a : params_.aux) a = std::numeric_limits<double>::quiet_NaN();
  if (family_->prepare) family_->prepare(&params_);
}

// The family's loglik() with its results saturated into the finite range (or the out-of-support
// result). A NaN that slips through (opposite infinities at a mean far beyond the double range)
// is reported as outside the support, so the optimizer sees an infeasible point, not a NaN.
ObsLogLik ResponseModel::evaluate(double y, double eta, double w, bool full) const {
  using family_kit::saturate;
  ObsLogLik o = outside_support();
  if (!family_->loglik(*link_, Obs{y, eta, w}, params_, full, &o)) return outside_support();
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

double ResponseModel::variance(double mu) const { return family_->variance(mu, params_); }

double ResponseModel::irls_weight(double eta, double w) const { return family_->irls_weight(*link_, eta, w, params_); }
