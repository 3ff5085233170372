// exports_family.cpp: the family and link tables (families.h) for R, and per-observation
// evaluations of a family for the tests.
#include "families.h"
#include <Rcpp.h>

// The family and link tables of families.h: $family, $link (names; a code is a position - 1),
// $has_dispersion, and per family its default link, response support, dispersion name ("" if
// none) and number of shape parameters.
// [[Rcpp::export]]
Rcpp::List cpp_family_table() {
  const int nf = family_count(), nl = link_count();
  Rcpp::CharacterVector fam(nf), default_link(nf), support(nf), dispersion(nf), lnk(nl);
  Rcpp::LogicalVector disp(nf);
  Rcpp::IntegerVector n_shape(nf);
  for (int i = 0; i < nf; ++i) {
    const FamilyFunctions& f = family_at(i);
    fam[i] = f.name;
    disp[i] = f.dispersion != nullptr;
    default_link[i] = f.default_link;
    support[i] = f.support;
    dispersion[i] = f.dispersion ? f.dispersion : "";
    n_shape[i] = f.n_shape;
  }
  for (int i = 0; i < nl; ++i) lnk[i] = link_at(i).name;
  return Rcpp::List::create(Rcpp::Named("family") = fam, Rcpp::Named("link") = lnk,
                            Rcpp::Named("has_dispersion") = disp, Rcpp::Named("default_link") = default_link,
                            Rcpp::Named("support") = support, Rcpp::Named("dispersion") = dispersion,
                            Rcpp::Named("n_shape") = n_shape);
}

// Per-observation log-likelihood, gradient, information, mean mu, dmu/deta, variance function
// V(mu) and IRLS weight (unnamed columns 1-7; for tests against stats::family() and the d*() densities),
// at dispersion phi and (families with one) shape parameter `shape`.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_family_eval(int family, int link, Rcpp::NumericVector y, Rcpp::NumericVector eta,
                                    Rcpp::NumericVector weights, double phi, double shape = NA_REAL) {
  ResponseModel model(family, link);
  model.set_parameters(phi, shape);
  if (y.size() != eta.size() || weights.size() != eta.size()) Rcpp::stop("y, eta and weights must have the same length");
  Rcpp::NumericMatrix out(eta.size(), 7);
  for (int i = 0; i < eta.size(); ++i) {
    const ObsLogLik o = model.loglik(y[i], eta[i], weights[i]);
    const LinkValues v = model.link_values(eta[i]);
    out(i, 0) = o.value + model.constant(y[i], weights[i]);
    out(i, 1) = o.grad;
    out(i, 2) = o.info;
    out(i, 3) = v.mu;
    out(i, 4) = v.dmu;
    out(i, 5) = model.variance(v.mu);
    out(i, 6) = model.irls_weight(eta[i], weights[i]);
  }
  return out;
}

// Per-observation derivatives for the analytic gradient (for tests against finite differences).
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_family_derivs(int family, int link, Rcpp::NumericVector y, Rcpp::NumericVector eta,
                                      Rcpp::NumericVector weights, double phi, double shape = NA_REAL) {
  ResponseModel model(family, link);
  model.set_parameters(phi, shape);
  if (y.size() != eta.size() || weights.size() != eta.size()) Rcpp::stop("y, eta and weights must have the same length");
  Rcpp::NumericMatrix out(eta.size(), 6);
  for (int i = 0; i < eta.size(); ++i) {
    const ObsLogLik o = model.derivs(y[i], eta[i], weights[i]);
    out(i, 0) = o.grad; out(i, 1) = o.info; out(i, 2) = o.dinfo;
    out(i, 3) = o.dphi; out(i, 4) = o.dgrad_phi; out(i, 5) = o.dinfo_phi;
  }
  return out;
}
