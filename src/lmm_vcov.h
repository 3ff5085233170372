// lmm_vcov.h: covariance of the ML fixed effects of a linear mixed model from the joint Hessian
// in (beta, theta, log sigma) (lmm_vcov.cpp).
#ifndef GLMMLAB_LMM_VCOV_H
#define GLMMLAB_LMM_VCOV_H

#include "lmm_core.h"

struct JointVcov {
  Eigen::MatrixXd vcov;   // p x p, when ok
  bool ok;                // false when the Hessian is not positive definite (or not finite)
  Eigen::VectorXd h;      // the steps in theta
  Eigen::VectorXd deviance_plus, deviance_minus;   // the profiled ML deviance at theta +- h e_i
};

// At the ML estimates theta and sigma; steps 1e-4 |theta_i|, at least 1e-5 theta_unit.
JointVcov lmm_joint_vcov(LmmCore& core, const Eigen::VectorXd& theta, double sigma, double theta_unit);

#endif
