// exports.h: what the R entry points share (exports_*.cpp; the engine's own files do not see
// Rcpp): conversions between R's lists and the engine's structures, the core behind an external
// pointer, and the guard that turns the engine's UserInterrupt into R's interrupt.
#ifndef GLMMLAB_EXPORTS_H
#define GLMMLAB_EXPORTS_H

#include <RcppEigen.h>
#include "mixed_core.h"
#include "optimizer.h"

// The core behind an external pointer (an error for a fit saved and reloaded).
MixedCore* core_from(SEXP ptr);

// The random-effect terms of R's list (codes, nlev, Xt per term) for n observations; the views
// point into R's memory, which `terms` keeps alive.
std::vector<ReTermData> re_terms_from_list(const Rcpp::List& terms, int n);

// The optimizer's settings from R's control list (glmm_control() and the callers' additions).
OptimControl optim_control_from_list(const Rcpp::List& control);

// A core's state as R's named list.
Rcpp::List state_to_list(const CoreState& state);

// f() with a user interrupt raised as R's interrupt condition.
template <class F>
auto interruptible(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (UserInterrupt&) {
    throw Rcpp::internal::InterruptedException();
  }
}

#endif
