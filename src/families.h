// families.h: response distributions and link functions of GLMMs as data. Each family and each
// link is one small set of functions (a FamilyFunctions or LinkFunctions value), and the tables
// at the end list them; R reads the same tables through cpp_family_table() (R/family.R), so R and
// C++ cannot disagree. The cores read a family only through ResponseModel (at the bottom), which
// holds no shared state: two threads may each evaluate their own ResponseModel at once.
//
// ---- How to add a family (the contract) ---------------------------------------------------------
// Write one file src/family_<name>.cpp that includes "family_kit.h" (numerical helpers) and
// defines `extern const FamilyFunctions <name>_family = {...}` with the functions below, then add
// `&<name>_family` as one row of family_table[] in family_table.cpp (and the R constructor, if
// the family is not a stats one, in R/family.R). Nothing else in the core changes: PIRLS, the
// Laplace approximation, its exact gradient and the GLM start all read a family only through these
// functions. Notation: observation i has response y, linear predictor eta, prior weight w (the
// number of trials for binomial-type families, whose y is then a proportion), and the family's
// dispersion phi > 0 (and, if n_shape = 1, a shape parameter on an unbounded scale, glmmTMB's psi:
// tweedie's power is 1 + logistic(psi), t's degrees of freedom exp(psi)). l is w
// times the log density of y, less `constant` (below). Primes are derivatives in eta.
//
//  * loglik(link, obs, params, full, out): fill out->value = l, out->grad = l', out->info = -l''
//    (the OBSERVED information, not the expected one: the Laplace approximation needs it, and it
//    may be negative for non-canonical links); when full is true also out->dinfo = -l''',
//    out->dphi = dl/dlog phi, out->dgrad_phi = dl'/dlog phi and out->dinfo_phi = d(-l'')/dlog phi
//    (0 for families without a dispersion). Return false when the mean is outside the family's
//    support (then the core treats the point as infeasible). Must be exact to rounding and must
//    not produce 0/0 or Inf - Inf for eta in [-1000, 1000] wherever the mean is in the support:
//    work on the eta scale for log and canonical links (log mu = eta, never log(exp(eta))), use
//    link.log_probs for probabilities and chain_scaled()/chain_derivs() (family_kit.h) for other
//    links. Results beyond the double range need no care: the caller saturates them at +-DBL_MAX.
//    The derivatives in the shape parameter are not part of the contract (the outer optimizer
//    takes that parameter by finite differences).
//  * prepare(params): compute once per evaluation whatever depends only on (phi, shape), into
//    params->aux (e.g. lgamma(phi)); params->phi, log_phi and shape are set before it is called.
//    nullptr when there is nothing to precompute. This replaces any cache: loglik() must not
//    write to anything but *out.
//  * constant(y, w): the part of w log f(y) free of parameters (-w lgamma(y + 1), binomial
//    coefficients); summed once per response, not per evaluation.
//  * variance(mu, params): the variance function V(mu): Var(y | mu) = V(mu) for the binomial (per
//    trial), Poisson and negative binomials, sigma^2 V(mu) for gaussian and Gamma; for the other
//    families glmmTMB's family$variance at the fit's dispersion and shape (what its Pearson
//    residuals divide by: mu (1 - mu) for beta and betabinomial, phi mu for genpois, phi mu^p for
//    tweedie, phi for t, phi^2 for lognormal, the truncated distribution's variance for the
//    truncated families, mu being the untruncated mean).
//  * irls_weight(link, eta, w, params): the expected information w mu'^2 / Var(y | mu), used by
//    the GLM start (Fisher scoring); positive where it is defined.
// Families can test which link they were given by address (`&link == &log_link`) to use a closed
// form for it, and must otherwise work for every link through the generic chain rules.
//
// ---- How to add a link ---------------------------------------------------------------------------
// One LinkFunctions value in links.cpp and one row of link_table[]: values(eta) (mu and the
// ratios of its derivatives), scale(eta, values) (the elasticity form of the chain rule) and
// log_probs(eta) (log mu and log(1 - mu) with their derivatives, for probability means).
#ifndef GLMMLAB_FAMILIES_H
#define GLMMLAB_FAMILIES_H

#include <limits>

// ---- Links ---------------------------------------------------------------------------------------

// mu(eta), mu', mu''/mu', mu'''/mu' (primes: d/deta).
struct LinkValues { double mu, dmu, h, h2; };
// The elasticity E = dlog mu/deta = mu'/mu with c1 = (mu''/mu')/E and c2 = (mu'''/mu')/E^2
// (constants for the power links: identity (0, 0), sqrt (1/2, 0), inverse (2, 6), log (1, 1)).
struct LinkScale { double E, c1, c2; };
// a = log mu and b = log(1 - mu) with their first three eta-derivatives (a[k] = d^k a/deta^k);
// ok_a / ok_b say whether a / b are finite at this eta (a probability mean on its boundary).
struct LogProbs { double a[4], b[4]; bool ok_a, ok_b; };

struct LinkFunctions {
  const char* name;                                      // as family$link in R
  LinkValues (*values)(double eta);
  LinkScale (*scale)(double eta, const LinkValues& v);
  LogProbs (*log_probs)(double eta);                     // closed forms in both tails where possible
};

extern const LinkFunctions identity_link, log_link, logit_link, probit_link, cloglog_link, inverse_link, sqrt_link;

// ---- Families ------------------------------------------------------------------------------------

struct Obs { double y, eta, w; };

// A family's parameters for one evaluation: phi and log phi (1 and 0 without a dispersion), the
// shape parameter (NaN without one) and what prepare() precomputes from them (meaning per family).
struct FamilyParams { double phi, log_phi, shape, aux[6]; };

// One observation's log-likelihood l (less the constant) and its derivatives (see the contract).
struct ObsLogLik { double value, grad, info, dinfo, dphi, dgrad_phi, dinfo_phi; };

struct FamilyFunctions {
  const char* name;           // as family$family in R
  const char* default_link;   // as in stats/glmmTMB
  const char* support;        // of the response: "real", "proportion" (of w trials), "count", "positive",
                              // "nonnegative", "unit" (open (0, 1)), "positive_count" (whole numbers >= 1)
  const char* dispersion;     // what phi is (e.g. "sigma", "size"), nullptr without a dispersion
  int n_shape;                // extra shape parameters (0 or 1)
  void (*prepare)(FamilyParams* params);
  bool (*loglik)(const LinkFunctions& link, const Obs& obs, const FamilyParams& params, bool full, ObsLogLik* out);
  double (*constant)(double y, double w);
  double (*variance)(double mu, const FamilyParams& params);
  double (*irls_weight)(const LinkFunctions& link, double eta, double w, const FamilyParams& params);
  // Optional (nullptr: none), for speed: loglik() over observations [0, n) at once, for families
  // without a dispersion and the links the family has a closed form for (false for any other
  // link: the caller then goes observation by observation). Writes l, l', -l'' and, when dinfo
  // is not null, the third derivative's negative of each observation: the numbers loglik() gives,
  // before saturation.
  bool (*loglik_batch)(const LinkFunctions& link, int n, const double* y, const double* eta, const double* w,
                       double* value, double* grad, double* info, double* dinfo);
};

extern const FamilyFunctions gaussian_family, binomial_family, poisson_family, Gamma_family, nbinom2_family,
    nbinom1_family, beta_family, betabinomial_family, genpois_family, tweedie_family, t_family, lognormal_family,
    truncated_poisson_family, truncated_nbinom1_family, truncated_nbinom2_family;

// ---- The tables (family_table.cpp): a family or link code is its row ------------------------------

int family_count();
int link_count();
const FamilyFunctions& family_at(int code);   // throws std::invalid_argument for an unknown code
const LinkFunctions& link_at(int code);

// ---- What the cores read -------------------------------------------------------------------------

// A family and link read at given (phi, shape). Every quantity is finite for eta in [-1000, 1000]
// wherever the mean lies in the family's support (results beyond the double range saturate at
// +-DBL_MAX); outside the support the value is -Inf and the derivatives NaN: callers test the value.
class ResponseModel {
 public:
  ResponseModel(int family, int link);   // table codes; throws std::invalid_argument if unknown
  void set_parameters(double phi, double shape = std::numeric_limits<double>::quiet_NaN());   // prepare()s the family
  const FamilyFunctions& family() const { return *family_; }
  const LinkFunctions& link() const { return *link_; }
  bool has_dispersion() const { return family_->dispersion != nullptr; }
  double phi() const { return params_.phi; }
  double shape() const { return params_.shape; }

  // l (less constant()), l' and -l'' (dinfo and the log-phi derivatives left unset).
  ObsLogLik loglik(double y, double eta, double w) const { return evaluate(y, eta, w, false); }
  // Everything the exact Laplace gradient needs: l, l', -l'', -l''' and the log-phi derivatives.
  ObsLogLik derivs(double y, double eta, double w) const { return evaluate(y, eta, w, true); }
  double constant(double y, double w) const { return family_->constant(y, w); }
  double variance(double mu) const;
  double irls_weight(double eta, double w) const;
  LinkValues link_values(double eta) const { return link_->values(eta); }
  // The family's parameters prepared at (phi, shape) without changing the model's own, and the
  // evaluation at such parameters (a dispersion per observation: observation_model.h).
  FamilyParams prepared(double phi, double shape) const;
  const FamilyParams& params() const { return params_; }
  ObsLogLik evaluate_at(const FamilyParams& params, double y, double eta, double w, bool full) const;
  // The family's loglik_batch() where it has one for this link (and no dispersion), with
  // evaluate()'s saturation and its out-of-support result (value -Inf, derivatives NaN) for a
  // NaN; false (nothing written) where it has none.
  bool evaluate_batch(int n, const double* y, const double* eta, const double* w, double* value, double* grad,
                      double* info, double* dinfo) const;

 private:
  ObsLogLik evaluate(double y, double eta, double w, bool full) const { return evaluate_at(params_, y, eta, w, full); }
  const FamilyFunctions* family_;
  const LinkFunctions* link_;
  FamilyParams params_;
};

#endif
