// optimizer.cpp: BOBYQA and L-BFGS through nloptr's C API (see optimizer.h for the choice).
#include "optimizer.h"
#include <nloptrAPI.h>
#include <R_ext/Print.h>
#include <algorithm>
#include <chrono>
#include <limits>

namespace {

struct Objective {
  const std::function<double(const Eigen::VectorXd&)>* f;   // value only (BOBYQA)
  const ValueGradient* fg;                                    // value and gradient (L-BFGS)
  nlopt_opt opt;
  int evaluations;
  int verbose;
  bool interrupted;
  bool failed;
  std::string error;
  Eigen::VectorXd scale;   // NLopt sees x = scale * par (empty: no scaling)
  // the start in NLopt's x and as given: x_start / scale may differ from par_start in the last
  // bit, and a read at par_start (as the caller's start values did) is then the core's cache
  Eigen::VectorXd x_start, par_start;
  std::chrono::steady_clock::time_point last_check;   // of user interrupts
  int stall_evaluations;   // see OptimControl
  double stall_ftol_rel;
  double best;             // the lowest value so far and its point (NLopt's x)
  Eigen::VectorXd best_x;
  int quiet_run;           // evaluations in a row within the rounding error of the best
  bool stalled;
};

double nlopt_objective(unsigned n, const double* x, double* grad, void* data) {
  Objective* obj = static_cast<Objective*>(data);
  ++obj->evaluations;
  // interrupts are checked every 16 evaluations or 0.2 s, whichever comes first
  const auto now = std::chrono::steady_clock::now();
  const bool due = obj->evaluations % 16 == 0 || now - obj->last_check > std::chrono::milliseconds(200);
  if (due) obj->last_check = now;
  if (due && user_interrupted()) {
    obj->interrupted = true;
    nlopt_force_stop(obj->opt);
    return std::numeric_limits<double>::infinity();
  }
  Eigen::VectorXd par = Eigen::Map<const Eigen::VectorXd>(x, n);
  if (obj->scale.size()) {
    if (par == obj->x_start) par = obj->par_start;
    else par = par.cwiseQuotient(obj->scale);
  }
  double value;
  try {
    if (grad != NULL) {
      Eigen::VectorXd g;
      value = (*obj->fg)(par, g);
      if (g.size() != (Eigen::Index)n || !g.allFinite()) {
        value = std::numeric_limits<double>::infinity();
        g = Eigen::VectorXd::Zero(n);
      }
      if (obj->scale.size()) g = g.cwiseQuotient(obj->scale);
      Eigen::Map<Eigen::VectorXd>(grad, n) = g;
    } else {
      value = (*obj->f)(par);
    }
  } catch (UserInterrupt&) {   // never let an exception cross NLopt's C frames
    obj->interrupted = true;
    nlopt_force_stop(obj->opt);
    return std::numeric_limits<double>::infinity();
  } catch (std::exception& e) {
    obj->failed = true;
    obj->error = e.what();
    nlopt_force_stop(obj->opt);
    return std::numeric_limits<double>::infinity();
  }
  if (obj->stall_evaluations > 0 && std::isfinite(value)) {
    // quiet: neither a decrease beyond the rounding error nor a value more than ten times it above the best
    const double tol = obj->stall_ftol_rel * std::abs(value);
    const bool quiet = value >= obj->best - tol && value <= obj->best + 10.0 * tol;
    if (value < obj->best) {
      obj->best = value;
      obj->best_x = Eigen::Map<const Eigen::VectorXd>(x, n);
    }
    obj->quiet_run = quiet ? obj->quiet_run + 1 : 0;
    if (obj->quiet_run >= obj->stall_evaluations) {
      obj->stalled = true;
      nlopt_force_stop(obj->opt);
    }
  }
  if (obj->verbose > 0 && obj->evaluations % obj->verbose == 0) {
    Rprintf("%5d: %.8f  [", obj->evaluations, value);
    for (unsigned k = 0; k < n && k < 8; ++k) Rprintf(" %.5g", par[k]);
    Rprintf("%s ]\n", n > 8 ? " ..." : "");
  }
  return std::isnan(value) ? std::numeric_limits<double>::infinity() : value;
}

// The number of past steps L-BFGS keeps. NLopt's default (0) sizes its store at 10 MB whatever n is
// (10 MB / n steps, or maxeval if fewer) and zeroes all of it at every run; here at most 1 MB
// (2^17 / n steps): iterations stay identical to the default's until a run takes that many steps.
unsigned lbfgs_storage(unsigned n, int maxeval) {
  unsigned steps = std::max(10u, (1u << 17) / n);
  if (maxeval > 0) steps = std::min(steps, std::max(10u, (unsigned)maxeval));
  return steps;
}

// Frees the NLopt object however the scope is left.
struct NloptHandle {
  nlopt_opt opt;
  NloptHandle(nlopt_algorithm algorithm, unsigned n) : opt(nlopt_create(algorithm, n)) {}
  ~NloptHandle() { if (opt) nlopt_destroy(opt); }
};

// Run NLopt's `algorithm` on f (value only) or fg (value and gradient), whichever is not NULL.
OptimResult run_nlopt(nlopt_algorithm algorithm, const std::function<double(const Eigen::VectorXd&)>* f,
                      const ValueGradient* fg, const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                      const Eigen::VectorXd& upper, const OptimControl& control) {
  const unsigned n = x0.size();
  OptimResult res;
  res.par = x0;
  res.interrupted = false;
  if (n == 0) {
    Eigen::VectorXd g;
    res.value = f != NULL ? (*f)(x0) : (*fg)(x0, g);
    res.evaluations = 1;
    res.status = NLOPT_SUCCESS;
    res.message = "no parameters to optimize";
    return res;
  }
  NloptHandle h(algorithm, n);
  if (!h.opt) engine_stop("could not create the NLopt optimizer");
  Objective obj = {f, fg, h.opt, 0, control.verbose, false, false, "", Eigen::VectorXd(), Eigen::VectorXd(), Eigen::VectorXd(),
                   std::chrono::steady_clock::now(),
                   control.stall_evaluations, control.stall_ftol_rel, std::numeric_limits<double>::infinity(),
                   Eigen::VectorXd(), 0, false};
  const bool scaled = control.scale.size() == (Eigen::Index)n && (control.scale.array() > 0).all() && control.scale.allFinite();
  if (scaled) obj.scale = control.scale;
  const Eigen::VectorXd s = scaled ? control.scale : Eigen::VectorXd::Ones(n);
  const Eigen::VectorXd lower_x = lower.cwiseProduct(s), upper_x = upper.cwiseProduct(s);
  res.par = x0.cwiseProduct(s);
  if (scaled) {
    obj.x_start = res.par;
    obj.par_start = x0;
  }
  nlopt_set_min_objective(h.opt, nlopt_objective, &obj);
  nlopt_set_lower_bounds(h.opt, lower_x.data());
  nlopt_set_upper_bounds(h.opt, upper_x.data());
  nlopt_set_ftol_abs(h.opt, control.ftol_abs);
  nlopt_set_ftol_rel(h.opt, control.ftol_rel);
  nlopt_set_xtol_abs1(h.opt, control.xtol_abs);
  nlopt_set_xtol_rel(h.opt, control.xtol_rel);
  nlopt_set_maxeval(h.opt, control.maxeval);
  if (algorithm == NLOPT_LD_LBFGS) nlopt_set_vector_storage(h.opt, lbfgs_storage(n, control.maxeval));
  if (control.initial_steps.size() == (Eigen::Index)n) {
    const Eigen::VectorXd steps_x = control.initial_steps.cwiseProduct(s);
    nlopt_set_initial_step(h.opt, steps_x.data());
  } else if (control.initial_step > 0) nlopt_set_initial_step1(h.opt, control.initial_step);
  double fmin = std::numeric_limits<double>::infinity();
  const nlopt_result status = nlopt_optimize(h.opt, res.par.data(), &fmin);
  if (obj.failed) throw std::runtime_error(obj.error);
  if (obj.interrupted) throw UserInterrupt();
  res.par = scaled && res.par == obj.x_start ? x0 : Eigen::VectorXd(res.par.cwiseQuotient(s));
  res.value = fmin;
  res.evaluations = obj.evaluations;
  res.status = status;
  if (obj.stalled) {
    res.par = obj.best_x.cwiseQuotient(s);
    res.value = obj.best;
    res.status = NLOPT_FTOL_REACHED;
    res.message = "converged: no decrease of the objective beyond its rounding error over the last evaluations";
    return res;
  }
  switch (status) {
    case NLOPT_SUCCESS: res.message = "success"; break;
    case NLOPT_STOPVAL_REACHED: res.message = "stopval reached"; break;
    case NLOPT_FTOL_REACHED: res.message = "converged: relative or absolute change in the objective below tolerance"; break;
    case NLOPT_XTOL_REACHED: res.message = "converged: change in the parameters below tolerance"; break;
    case NLOPT_MAXEVAL_REACHED: res.message = "maximum number of evaluations reached"; break;
    case NLOPT_MAXTIME_REACHED: res.message = "maximum time reached"; break;
    case NLOPT_ROUNDOFF_LIMITED: res.message = "stopped by roundoff"; break;
    default: res.message = "optimizer failure"; break;
  }
  return res;
}

}  // namespace

OptimResult minimize_bobyqa(const std::function<double(const Eigen::VectorXd&)>& f,
                            const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                            const Eigen::VectorXd& upper, const OptimControl& control) {
  return run_nlopt(NLOPT_LN_BOBYQA, &f, NULL, x0, lower, upper, control);
}

OptimResult minimize_lbfgs(const ValueGradient& fg, const Eigen::VectorXd& x0, const Eigen::VectorXd& lower,
                           const Eigen::VectorXd& upper, const OptimControl& control) {
  return run_nlopt(NLOPT_LD_LBFGS, NULL, &fg, x0, lower, upper, control);
}
