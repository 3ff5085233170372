// glm_start.h: the generalized linear model without random effects by Fisher scoring (the GLMM's
// start values; glm_start.cpp).
#ifndef GLMMLAB_GLM_START_H
#define GLMMLAB_GLM_START_H

#include "engine_base.h"
#include "families.h"

// Maximum-likelihood beta of the GLM from eta_start (the family's usual starting linear
// predictor), into beta and eta; false when a Newton system is singular or the iterations run
// out (the caller then falls back to glm.fit()).
bool fit_glm(const Eigen::Ref<const Eigen::MatrixXd>& X, const Eigen::Ref<const Eigen::VectorXd>& y,
             const Eigen::Ref<const Eigen::VectorXd>& weights, const Eigen::Ref<const Eigen::VectorXd>& offset,
             const Eigen::Ref<const Eigen::VectorXd>& eta_start, int family, int link, double phi, Eigen::VectorXd& beta,
             Eigen::VectorXd& eta);

#endif
