// numeric_hessian.h: the Hessian of a smooth scalar function by central differences with
// per-coordinate steps h (error O(h^2)); used where the objective has no analytic Hessian.
#ifndef GLMMLAB_NUMERIC_HESSIAN_H
#define GLMMLAB_NUMERIC_HESSIAN_H

#include <RcppEigen.h>

template <class F>
Eigen::MatrixXd numeric_hessian(F&& f, const Eigen::VectorXd& x, const Eigen::VectorXd& h) {
  const int m = x.size();
  Eigen::MatrixXd H(m, m);
  const double f0 = f(x);
  for (int i = 0; i < m; ++i) {
    Eigen::VectorXd a = x, b = x;
    a[i] += h[i];
    b[i] -= h[i];
    H(i, i) = (f(a) - 2.0 * f0 + f(b)) / (h[i] * h[i]);
    for (int j = 0; j < i; ++j) {
      Eigen::VectorXd pp = x, pm = x, mp = x, mm = x;
      pp[i] += h[i]; pp[j] += h[j];
      pm[i] += h[i]; pm[j] -= h[j];
      mp[i] -= h[i]; mp[j] += h[j];
      mm[i] -= h[i]; mm[j] -= h[j];
      H(i, j) = H(j, i) = (f(pp) - f(pm) - f(mp) + f(mm)) / (4.0 * h[i] * h[j]);
    }
    Rcpp::checkUserInterrupt();
  }
  return H;
}

#endif
