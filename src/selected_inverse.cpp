// selected_inverse.cpp: the Takahashi recurrences (see selected_inverse.h).
#include "selected_inverse.h"
#include <algorithm>
#include <cmath>

bool SelectedInverse::compute(const SpMat& L) {
  if (!L.isCompressed()) return false;
  S_ = L;
  const int q = L.cols();
  const int* outer = L.outerIndexPtr();
  const int* inner = L.innerIndexPtr();
  const double* lv = L.valuePtr();
  double* sv = S_.valuePtr();
  Eigen::MatrixXd B;   // S on the rows of column j (below the diagonal), gathered densely
  for (int j = q - 1; j >= 0; --j) {
    const int start = outer[j], end = outer[j + 1], m = end - start - 1;
    if (start == end || inner[start] != j || !(lv[start] > 0)) return false;
    const int* rows = inner + start + 1;
    B.resize(m, m);
    for (int t = 0; t < m; ++t) {   // column rows[t] of S holds rows[t..m-1]: merge the two lists
      int e = outer[rows[t]];
      const int e_end = outer[rows[t] + 1];
      for (int s = t; s < m; ++s) {
        while (e < e_end && inner[e] < rows[s]) ++e;
        if (e == e_end || inner[e] != rows[s]) return false;   // not a clique: not a Cholesky pattern
        B(s, t) = B(t, s) = sv[e];
      }
    }
    const Eigen::Map<const Eigen::VectorXd> l(lv + start + 1, m);
    Eigen::Map<Eigen::VectorXd> col(sv + start + 1, m);
    col.noalias() = B * l;
    col /= -lv[start];
    sv[start] = 1.0 / (lv[start] * lv[start]) - l.dot(col) / lv[start];
  }
  return true;
}

double SelectedInverse::operator()(int i, int j) const {
  const int col = std::min(i, j), row = std::max(i, j);
  const int* first = S_.innerIndexPtr() + S_.outerIndexPtr()[col];
  const int* last = S_.innerIndexPtr() + S_.outerIndexPtr()[col + 1];
  const int* hit = std::lower_bound(first, last, row);
  if (hit == last || *hit != row) return NAN;
  return S_.valuePtr()[hit - S_.innerIndexPtr()];
}
