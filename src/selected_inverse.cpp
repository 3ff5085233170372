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
  for (int j = q - 1; j >= 0; --j) {
    const int start = outer[j], end = outer[j + 1];
    if (start == end || inner[start] != j || !(lv[start] > 0)) return false;
    const double ljj = lv[start];
    for (int a = start + 1; a < end; ++a) {
      const int i = inner[a];
      double sum = 0;
      for (int b = start + 1; b < end; ++b) sum += lv[b] * (*this)(i, inner[b]);
      sv[a] = -sum / ljj;
    }
    double sum = 0;
    for (int b = start + 1; b < end; ++b) sum += lv[b] * sv[b];
    sv[start] = 1.0 / (ljj * ljj) - sum / ljj;
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
