// optimizer.h: bound-constrained minimization with BOBYQA (Powell 2009) or, when the objective
// has an analytic gradient, L-BFGS (Nocedal 1980; Liu & Nocedal 1989), both from NLopt, called
// through nloptr's C API so that the whole optimization runs in C++ (no R call per evaluation).
//
// Why BOBYQA through nloptr: the profiled deviance has no cheap analytic gradient in theta, the
// variance parameters are bounded below at 0, and BOBYQA's quadratic model needs few evaluations
// on these smooth low-dimensional problems (it is what lme4 and MixedModels.jl default to).
// Measured on the course models it needs about as many evaluations as nlminb with finite
// differences needs gradient calls, while staying in C++ removes R's per-call overhead.
#ifndef GLMMLAB_OPTIMIZER_H
#define GLMMLAB_OPTIMIZER_H

#include "engine_base.h"
#include <functional>
#include <string>

struct OptimResult {
  Eigen::VectorXd par;
  double value;
  int evaluations;
  int status;          // NLopt's result code (> 0 success)
  std::string message;
  bool interrupted;   // the user interrupted: the caller raises R's interrupt
};

struct OptimControl {
  double ftol_abs = 1e-12, ftol_rel = 1e-14, xtol_abs = 1e-10, xtol_rel = 0;
  int maxeval = 100000;
  double initial_step = 0;   // 0: NLopt's default
  Eigen::VectorXd initial_steps;   // per parameter, overrides initial_step when set
  int verbose = 0;           // print every verbose-th evaluation
  Eigen::VectorXd scale;     // minimize over scale * x (a diagonal preconditioner) when set (> 0)
  // Stop (as converged) once stall_evaluations evaluations in a row (0: never) have neither
  // lowered the best value by more than stall_ftol_rel times its size (the objective's rounding
  // error) nor exceeded it by more than ten times that: BOBYQA's last trust-region reductions
  // then only sample noise.
  int stall_evaluations = 0;
  double stall_ftol_rel = 1e-14;
};

// Minimize f over [lower, upper] from x0; checks for user interrupts between evaluations.
OptimResult minimize_bobyqa(const std::function<double(const Eigen::VectorXd&)>& f,
                            const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                            const Eigen::VectorXd& upper, const OptimControl& control);

// The value and gradient of an objective at x (grad is resized and filled by the function).
typedef std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& grad)> ValueGradient;

// Minimize by L-BFGS with the analytic gradient fg; a point where the gradient is not finite
// counts as infeasible (value +Inf), so the line search backs off from it.
OptimResult minimize_lbfgs(const ValueGradient& fg, const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                           const Eigen::VectorXd& upper, const OptimControl& control);

#endif
