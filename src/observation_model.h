// observation_model.h: one observation's log-likelihood as the GLMM core reads it: the family
// (ResponseModel) at a dispersion that is either one value or one per observation (dispformula:
// log phi_i = Xd_i gamma + offset), optionally combined with a zero model on a second linear
// predictor zeta_i = logit p_i (ziformula):
//   zero-inflation:  y = 0: w log(p + (1 - p) f(0)),   y > 0: w (log(1 - p) + log f(y))
//   hurdle:          y = 0: w log p,                   y > 0: w log(1 - p) + l_family(y)
// (the hurdle's family is a zero-truncated one, or Gamma for ziGamma). Derivatives in eta are
// exact (value, l', -l'', -l''' and the log-phi ones, as families.h's contract), so PIRLS and the
// exact Laplace gradient apply unchanged; ZeroDerivs adds the derivatives in zeta that the
// gradient in the zero model's coefficients needs. Notation: with a = log f(0) per unit weight,
// pi = f(0) (1 - p) / (p + (1 - p) f(0)) the probability that a zero came from the family.
#ifndef GLMMLAB_OBSERVATION_MODEL_H
#define GLMMLAB_OBSERVATION_MODEL_H

#include "engine_base.h"
#include "families.h"
#include <vector>

enum ZeroModel { kZeroNone = 0, kZeroInflated = 1, kZeroHurdle = 2 };

// dl/dzeta, dl'/dzeta, d(-l'')/dzeta and d2l/dzeta2 at fixed eta.
struct ZeroDerivs { double dz, dgrad_z, dinfo_z, d2z; };

class ObservationModel {
 public:
  ObservationModel(int family, int link) : base_(family, link) {}
  // The zero model (ZeroModel) and whether the dispersion varies by observation.
  void set_structure(int zero_model, bool dispersion_by_observation);
  int zero_model() const { return zero_model_; }
  bool dispersion_by_observation() const { return by_obs_; }
  // The scalar dispersion and shape (all observations unless set_components() gave one each).
  void set_parameters(double phi, double shape = std::numeric_limits<double>::quiet_NaN()) { base_.set_parameters(phi, shape); }
  // Per-evaluation component predictors: zeta (n, or empty without a zero model) and log phi
  // per observation (n, or empty); false when a value is not finite.
  bool set_components(const Eigen::VectorXd& zeta, const Eigen::VectorXd& log_phi, double shape);
  // zeta alone (the zero model's random effects move it within an evaluation)
  void set_zeta(const Eigen::VectorXd& zeta) { zeta_ = zeta; }
  const FamilyFunctions& family() const { return base_.family(); }
  bool has_dispersion() const { return base_.has_dispersion(); }
  double phi() const { return base_.phi(); }
  double shape() const { return base_.shape(); }
  // w log f(y) free of parameters; 0 for zeros under a zero model (handled in the mixture)
  double constant(double y, double w) const;
  ObsLogLik loglik(int i, double y, double eta, double w) const { return evaluate(i, y, eta, w, false, nullptr); }
  ObsLogLik derivs(int i, double y, double eta, double w, ZeroDerivs* z = nullptr) const {
    return evaluate(i, y, eta, w, true, z);
  }
  // loglik() (dinfo null) or derivs() of all n observations at once, through the family's batch
  // (ResponseModel::evaluate_batch()); false where it has none or a component is modelled.
  bool evaluate_all(int n, const double* y, const double* eta, const double* w, double* value, double* grad,
                    double* info, double* dinfo) const {
    if (zero_model_ != kZeroNone || by_obs_) return false;
    return base_.evaluate_batch(n, y, eta, w, value, grad, info, dinfo);
  }

 private:
  ObsLogLik evaluate(int i, double y, double eta, double w, bool full, ZeroDerivs* z) const;
  ResponseModel base_;
  int zero_model_ = kZeroNone;
  bool by_obs_ = false;
  std::vector<FamilyParams> params_;   // per observation (dispformula)
  Eigen::VectorXd zeta_;
};

#endif
