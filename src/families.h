// families.h: response distributions and link functions of GLMMs, as the derivatives the
// Laplace approximation needs. For each observation i with linear predictor eta_i, prior
// weight w_i and dispersion phi, loglik() returns l_i, dl/deta and -d2l/deta2 (the observed
// information, not the expected one, so that the Laplace approximation matches glmmTMB's also
// for non-canonical links and negative binomial models).
//
// Every returned quantity is finite for eta in [-1000, 1000] wherever the mean lies in the
// family's support (families.cpp says how: eta-scale forms for log and canonical links, exp()
// capped at exp(700), overflowing products saturated at +-DBL_MAX). Outside the support (say
// mu <= 0 for a count family with an identity link) the value is -Inf and the derivatives NaN:
// callers test the value.
//
// The codes below are the single source of truth for families and links: R reads them with
// cpp_family_table() (R/family.R), so the two sides cannot disagree.
#ifndef GLMMLAB_FAMILIES_H
#define GLMMLAB_FAMILIES_H

enum FamilyCode { FAM_GAUSSIAN = 0, FAM_BINOMIAL = 1, FAM_POISSON = 2, FAM_GAMMA = 3, FAM_NBINOM2 = 4, FAM_NBINOM1 = 5, FAM_COUNT = 6 };
enum LinkCode { LINK_IDENTITY = 0, LINK_LOG = 1, LINK_LOGIT = 2, LINK_PROBIT = 3, LINK_CLOGLOG = 4, LINK_INVERSE = 5, LINK_SQRT = 6, LINK_COUNT = 7 };

extern const char* const family_names[FAM_COUNT];
extern const char* const link_names[LINK_COUNT];
// does the family have a dispersion parameter estimated in the outer optimization?
bool family_has_dispersion(int family);

struct LinkValues { double mu, dmu, h, h2; };   // mu(eta), mu', mu''/mu', mu'''/mu' (primes: d/deta)
LinkValues link_values(int link, double eta);
// The family's variance function V(mu) (Var(y | mu) = V(mu) for binomial per trial, Poisson and the
// negative binomials with their dispersion phi; sigma^2 V(mu) for gaussian and Gamma).
double unit_variance(int family, double mu, double phi);

struct ObsLogLik { double value, grad, info; };   // l, dl/deta, -d2l/deta2
// y: response (a proportion for binomial); w: prior weight (trials for binomial); phi: dispersion
// (gaussian sigma, Gamma coefficient of variation = shape^-1/2, nbinom2 size, nbinom1 variance ratio - 1).
ObsLogLik obs_loglik(int family, int link, double y, double eta, double w, double phi);
// The part of l_i free of parameters (binomial coefficients, -log y!), left out of obs_loglik's
// value so that the hot loop does not recompute it: l_i = obs_loglik().value + obs_constant().
double obs_constant(int family, double y, double w);

// The IRLS (Fisher scoring) weight w mu'^2 / Var(y | mu): the expected information, positive
// where the observed one may not be (non-canonical links); the GLM start uses it.
double irls_weight(int family, int link, double eta, double w, double phi);

// What the analytic gradient of the Laplace approximation needs besides obs_loglik(): the
// information's derivative in eta (-d3l/deta3) and the derivatives of l, dl/deta and the
// information with respect to log phi (zero for families without a dispersion parameter).
struct ObsDerivs { double grad, info, dinfo, dphi, dgrad_phi, dinfo_phi; };
ObsDerivs obs_derivs(int family, int link, double y, double eta, double w, double phi);

#endif
