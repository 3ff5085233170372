// lmm_optimize.cpp: the optimizer of the LMM's profiled deviance (see lmm_optimize.h).
#include "lmm_optimize.h"
#include <cmath>
#include <limits>

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// The theta positions of column c of each term's T_i (diagonal first), for every column.
std::vector<std::vector<int> > theta_columns(const ReDesign& re) {
  std::vector<std::vector<int> > out;
  for (std::size_t i = 0, t = 0; i < re.term_ncol.size(); ++i) {
    const int p = re.term_ncol[i];
    for (int c = 0; c < p; ++c) {
      std::vector<int> col;
      for (int r = c; r < p; ++r) col.push_back(t++);
      out.push_back(col);
    }
  }
  return out;
}

// Steps off a zero column of T_i along a direction of negative curvature (lmm_optimize.h):
// true, with `out` the new point (deviance below that at theta), when one is found.
bool escape_zero_column(LmmCore& core, bool reml, const VectorXd& theta, const VectorXd& scale,
                        VectorXd& out, int& evaluations) {
  const double kSmall = 1e-3, kStep = 1e-4;   // in the optimizer's units (theta * scale)
  std::vector<std::vector<int> > zero;
  for (const std::vector<int>& col : theta_columns(core.design())) {
    double largest = 0;
    for (int t : col) largest = std::max(largest, std::abs(theta[t] * scale[t]));
    if (theta[col[0]] * scale[col[0]] <= 1e-8 && largest <= kSmall) zero.push_back(col);
  }
  if (zero.empty()) return false;
  VectorXd base = theta, g0, g;
  for (const std::vector<int>& col : zero)
    for (int t : col) base[t] = 0;
  const double f0 = core.deviance_gradient(base, reml, g0);
  ++evaluations;
  if (!std::isfinite(f0)) return false;
  double best_curvature = 0;
  VectorXd direction;
  for (const std::vector<int>& col : zero) {
    const int k = col.size();
    MatrixXd H(k, k);   // in the optimizer's units
    for (int j = 0; j < k; ++j) {
      VectorXd x = base;
      x[col[j]] += kStep / scale[col[j]];
      core.deviance_gradient(x, reml, g);
      ++evaluations;
      for (int i = 0; i < k; ++i) H(i, j) = (g[col[i]] - g0[col[i]]) / scale[col[i]] / kStep;
    }
    if (!H.allFinite()) continue;
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(0.5 * (H + H.transpose()));
    const double curvature = eig.eigenvalues()[0];
    if (curvature < std::min(best_curvature, -1e-6 * std::max(1.0, H.cwiseAbs().maxCoeff()))) {
      best_curvature = curvature;
      VectorXd e = eig.eigenvectors().col(0);
      if (e[0] < 0) e = -e;   // the column's sign is free: keep its diagonal non-negative
      direction = VectorXd::Zero(theta.size());
      for (int i = 0; i < k; ++i) direction[col[i]] = e[i] / scale[col[i]];
    }
  }
  if (direction.size() == 0) return false;
  for (double step = 0.1; step >= 1e-3; step /= 10) {
    out = base + step * direction;
    ++evaluations;
    if (core.deviance(out, reml) < f0) return true;
  }
  return false;
}

}  // namespace

OptimResult optimize_lmm(LmmCore& core, const VectorXd& theta0, bool reml, OptimControl settings,
                         bool try_moment_start, bool use_gradient) {
  const VectorXd lower = core.design().theta_lower;
  const VectorXd upper = VectorXd::Constant(lower.size(), std::numeric_limits<double>::infinity());
  std::function<double(const VectorXd&)> f = [&core, reml](const VectorXd& th) { return core.deviance(th, reml); };
  // Large models: start from the moment estimate when its deviance is lower (from the identity,
  // BOBYQA's first steps are far too long for InstEval-sized data: 122 evaluations instead of 58).
  // Small models, and fits given a start by the user or a caller, keep the given start.
  // From that close start, first steps of 10% of each parameter (at least 0.005) save another ~12.
  const int kLargeN = 10000;
  VectorXd start = theta0.cwiseMax(lower);
  int extra_evaluations = 0;
  if (try_moment_start && core.n() >= kLargeN && start.size() > 0) {
    const VectorXd moment = core.moment_theta().cwiseMax(lower);
    if (moment.allFinite() && f(moment) < f(start)) {
      start = moment;
      if (settings.initial_step <= 0 && settings.initial_steps.size() == 0) {
        // floor 0.05 in the optimizer's units (theta times its scale, see fit_lmm's theta_unit)
        VectorXd floor = VectorXd::Constant(start.size(), 0.05);
        if (settings.scale.size() == start.size()) floor = floor.cwiseQuotient(settings.scale);
        settings.initial_steps = 0.1 * start.cwiseAbs().cwiseMax(floor);
      }
    }
    extra_evaluations = 2;
  }
  if (!use_gradient || start.size() == 0) {
    if (settings.stall_evaluations == 0) settings.stall_evaluations = 2 * start.size() + 3;
    OptimResult opt = minimize_bobyqa(f, start, lower, upper, settings);
    opt.evaluations += extra_evaluations;
    return opt;
  }
  const ValueGradient fg = [&core, reml](const VectorXd& th, VectorXd& g) { return core.deviance_gradient(th, reml, g); };
  const VectorXd scale = settings.scale.size() == start.size() ? settings.scale : VectorXd::Ones(start.size());
  OptimResult opt = minimize_lbfgs(fg, start, lower, upper, settings);
  int evaluations = opt.evaluations + extra_evaluations;
  for (int round = 0; round < 10; ++round) {
    VectorXd escaped;
    if (!escape_zero_column(core, reml, opt.par, scale, escaped, evaluations)) break;
    const OptimResult next = minimize_lbfgs(fg, escaped, lower, upper, settings);
    evaluations += next.evaluations;
    if (!(next.value < opt.value)) break;
    opt = next;
  }
  opt.evaluations = evaluations;
  return opt;
}
