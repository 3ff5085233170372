// lmm_optimize.h: minimizing the profiled deviance of a linear mixed model over theta.
//
// BOBYQA (derivative-free) for models with few variance parameters, where its evaluations are
// cheapest; L-BFGS with the exact gradient (lmm_gradient.cpp) for many, where BOBYQA needs
// thousands of evaluations (a kb07-like maximal model, 72 parameters: ~3,500 against ~50). Both
// start from the moment estimate on large data when it is better than the given start. BOBYQA
// stops once 2n + 3 evaluations in a row are within the deviance's rounding error of the best
// (no decrease beyond 1e-14 of its size, no value more than 1e-13 above it): its last
// trust-region reductions (down to xtol_abs) would only sample noise there (on the
// MovieLens-like benchmark, 10 of 42 evaluations).
//
// L-BFGS stops at any point where the projected gradient vanishes. In the Cholesky
// parametrization a column of T_i that is entirely zero is such a point whatever the data (the
// deviance is even in that column, so its gradient there is zero), and it can be a saddle: a
// variance direction the optimizer never tries. After L-BFGS each such column's Hessian block is
// taken by differences of the gradient (one evaluation per entry); along a direction of negative
// curvature the fit steps off and L-BFGS resumes.
#ifndef GLMMLAB_LMM_OPTIMIZE_H
#define GLMMLAB_LMM_OPTIMIZE_H

#include "lmm_core.h"
#include "optimizer.h"

// theta0 within the bounds; settings.scale (1 / theta's natural size) is the optimizer's unit.
OptimResult optimize_lmm(LmmCore& core, const Eigen::VectorXd& theta0, bool reml, OptimControl settings,
                         bool try_moment_start, bool use_gradient);

#endif
