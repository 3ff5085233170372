// mixed_core.h: the one interface R sees for both model kinds (the LMM's profiled deviance,
// lmm_core.h, and the GLMM's Laplace approximation, glmm_core.h), in the shape of
// MixedModels.jl's objective!(m, theta) = objective(updateL!(setθ!(m, theta))): every read takes
// the parameter vector it is read at, and the criterion (ML or REML). A core may cache what it
// computed last (the factor, the GLMM's mode as PIRLS's warm start), but no result depends on
// what was read before beyond rounding, and nothing needs restoring. The parameter vector is the
// core's own ("internal") one; R/parameter_map.R converts it to and from the user's scale:
//   LMM:  theta (beta and sigma are profiled out and read off the state);
//   GLMM: (theta of the scaled random-effect columns, beta of the conditioned X, log phi).
// set_response() swaps in a new response and weights (bootstrap, simulation-based checks and
// profiles reuse one core) and clears every cache, so a refit does not depend on the core's past.
// No core holds state shared with another: several threads may each use their own core.
#ifndef GLMMLAB_MIXED_CORE_H
#define GLMMLAB_MIXED_CORE_H

#include "re_design.h"
#include <memory>
#include <string>
#include <vector>

// What a core reports at a parameter vector: named scalars, vectors and matrices (the R entry
// points turn it into a named list).
struct StateEntry {
  std::string name;
  int kind;   // 0 scalar, 1 vector, 2 matrix
  double scalar;
  Eigen::VectorXd vector;
  Eigen::MatrixXd matrix;
};
typedef std::vector<StateEntry> CoreState;
inline void add_state(CoreState& s, const char* name, double x) { s.push_back(StateEntry{name, 0, x, Eigen::VectorXd(), Eigen::MatrixXd()}); }
inline void add_state(CoreState& s, const char* name, const Eigen::VectorXd& v) {
  s.push_back(StateEntry{name, 1, 0.0, v, Eigen::MatrixXd()});
}
inline void add_state(CoreState& s, const char* name, const Eigen::MatrixXd& m) {
  s.push_back(StateEntry{name, 2, 0.0, Eigen::VectorXd(), m});
}

class MixedCore {
 public:
  virtual ~MixedCore() {}
  // -2 log L (the Laplace approximation for GLMMs), or the REML criterion, at par.
  virtual double objective(const Eigen::VectorXd& par, bool reml) = 0;
  // objective() and its exact gradient in par; false (grad NaN) where the core has none.
  virtual bool has_gradient(bool reml) const { (void)reml; return false; }
  virtual double objective_gradient(const Eigen::VectorXd& par, bool reml, Eigen::VectorXd& grad) {
    grad = Eigen::VectorXd::Constant(par.size(), NAN);
    return objective(par, reml);
  }
  // Everything R reads at par (estimates, modes, determinants), as a named list.
  virtual CoreState state(const Eigen::VectorXd& par, bool reml) = 0;
  // Diagonal blocks of Lambda A^{-1} Lambda' for one term at par, p x p nlev (re_design.h);
  // times sigma^2 for the LMM (the conditional covariance of b on the core's columns).
  virtual Eigen::MatrixXd cond_var(const Eigen::VectorXd& par, bool reml, int term) = 0;
  // L^{-1} P Lambda' V at par for V (q x k, rows in the formula's order of the core's b): its
  // cross-products are V' Lambda A^{-1} Lambda' V, the conditional covariances of V'b (up to
  // sigma^2 for the LMM), for prediction standard errors of any rows, across terms.
  virtual Eigen::MatrixXd half_solve(const Eigen::VectorXd& par, bool reml, const Eigen::MatrixXd& V) = 0;
  // A new response (y; a proportion of w trials for binomial) and prior weights.
  virtual void set_response(const Eigen::VectorXd& y, const Eigen::VectorXd& weights) = 0;
  // Forget the caches (the GLMM's mode): the next read starts afresh, as after set_response().
  virtual void clear_cache() {}
  // Lower bounds of the parameters read with criterion reml (0 for the diagonal of each term's
  // factor, else -Inf).
  virtual Eigen::VectorXd lower(bool reml) const = 0;
  // Does the core factor with the blocked factor (or the simplicial sparse one)?
  virtual bool uses_blocked_factor() const = 0;
  // Does the blocked factor update its rest by dense products (blocked_cholesky.h's dense mode)?
  virtual bool uses_dense_lead() const = 0;
  const ReDesign& design() const { return re_; }
  // Hold `owner` for the core's life: whatever keeps alive the memory the core reads in place
  // (released, through its deleter, when the core is destroyed).
  void hold_inputs(std::shared_ptr<void> owner) { inputs_owner_ = std::move(owner); }

 protected:
  explicit MixedCore(ReDesign re) : re_(std::move(re)) {}
  ReDesign re_;

 private:
  std::shared_ptr<void> inputs_owner_;
};

#endif
