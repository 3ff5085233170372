// selected_inverse.h: entries of A^{-1} on the sparsity pattern of A's Cholesky factor L
// (A = L L', L sparse lower triangular), by the Takahashi recurrences (Takahashi, Fagan & Chin
// 1973; Erisman & Tinney 1975), processing the columns of L from last to first:
//   S_ij = -(1/L_jj) sum_{k > j, k in col j} L_kj S_ik        (i > j in the pattern of column j)
//   S_jj = 1/L_jj^2 - (1/L_jj) sum_{k > j, k in col j} L_kj S_kj
// Every S_ik needed lies in the pattern of L (the rows of a column form a clique in L's graph),
// so no entry outside the pattern is ever computed. The GLMM gradient uses it for the leverages
// a_i' H^{-1} a_i, whose pairs of columns all lie in H's pattern.
#ifndef GLMMLAB_SELECTED_INVERSE_H
#define GLMMLAB_SELECTED_INVERSE_H

#include "re_design.h"

class SelectedInverse {
 public:
  // From L (column-major, compressed, sorted rows, diagonal first in each column): false when
  // L does not have that layout or a diagonal entry is not positive.
  bool compute(const SpMat& L);
  // (A^{-1})_ij for i, j in the factor's (permuted) numbering; NaN outside the pattern.
  double operator()(int i, int j) const;
  // The computed entries, stored like L's values (column-major, rows sorted).
  const double* values() const { return S_.valuePtr(); }

 private:
  SpMat S_;
};

#endif
