// optimizer.h: bound-constrained minimization with BOBYQA (Powell 2009) from NLopt, called
// through nloptr's C API so that the whole optimization runs in C++ (no R call per evaluation).
//
// Why BOBYQA through nloptr: the profiled deviance has no cheap analytic gradient in theta, the
// variance parameters are bounded below at 0, and BOBYQA's quadratic model needs few evaluations
// on these smooth low-dimensional problems (it is what lme4 and MixedModels.jl default to).
// Measured on the course models it needs about as many evaluations as nlminb with finite
// differences needs gradient calls, while staying in C++ removes R's per-call overhead.
#ifndef GLMMLAB_OPTIMIZER_H
#define GLMMLAB_OPTIMIZER_H

#include <RcppEigen.h>
#include <functional>
#include <string>

struct OptimResult {
  Eigen::VectorXd par;
  double value;
  int evaluations;
  int status;          // NLopt's result code (> 0 success)
  std::string message;
  bool interrupted;
};

struct OptimControl {
  double ftol_abs = 1e-12, ftol_rel = 1e-14, xtol_abs = 1e-10, xtol_rel = 0;
  int maxeval = 100000;
  double initial_step = 0;   // 0: NLopt's default
  Eigen::VectorXd initial_steps;   // per parameter, overrides initial_step when set
  int verbose = 0;           // print every verbose-th evaluation
};

// Minimize f over [lower, upper] from x0; checks for user interrupts between evaluations.
OptimResult minimize_bobyqa(const std::function<double(const Eigen::VectorXd&)>& f,
                            const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                            const Eigen::VectorXd& upper, const OptimControl& control);

OptimControl optim_control_from_list(const Rcpp::List& control);

#endif
