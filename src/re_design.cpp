// re_design.cpp: builds Z and the Lambda template (see re_design.h for the notation).
#include "re_design.h"
#include <algorithm>
#include <cmath>
#include <limits>

ReDesign build_re_design(const std::vector<ReTermData>& terms, int n) {
  ReDesign re;
  re.n = n;
  const int nterms = terms.size();
  int q = 0, ntheta = 0;
  for (int i = 0; i < nterms; ++i) {
    const ReTermData& term = terms[i];
    const int nlev = term.nlev, ncol = term.ncol;
    if (term.nrow != n) engine_stop("random-effect term %d: model matrix has %d rows, expected %d", i + 1, term.nrow, n);
    if (nlev < 1) engine_stop("random-effect term %d has no levels", i + 1);
    re.term_offset.push_back(q);
    re.term_ncol.push_back(ncol);
    re.term_nlev.push_back(nlev);
    q += nlev * ncol;
    ntheta += ncol * (ncol + 1) / 2;
  }
  re.q = q;
  re.ntheta = ntheta;

  // Terms go into Z in decreasing order of size (nlev * p), so that the largest term leads:
  // its diagonal block of A is block diagonal and the blocked Cholesky factor exploits that.
  // theta keeps the formula's order; u and b are returned in the formula's order (to_original).
  std::vector<int> order(nterms);
  for (int i = 0; i < nterms; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&re](int a, int b) {
    return (long)re.term_nlev[a] * re.term_ncol[a] > (long)re.term_nlev[b] * re.term_ncol[b];
  });
  std::vector<int> theta_offset(nterms, 0);
  for (int i = 1; i < nterms; ++i) theta_offset[i] = theta_offset[i - 1] + re.term_ncol[i - 1] * (re.term_ncol[i - 1] + 1) / 2;
  std::vector<int> original_offset = re.term_offset;   // offsets in the formula's order
  for (int k = 0, off = 0; k < nterms; ++k) {
    re.term_offset[order[k]] = off;
    off += re.term_nlev[order[k]] * re.term_ncol[order[k]];
  }
  re.to_original_index.resize(q);
  for (int i = 0; i < nterms; ++i)
    for (int j = 0; j < re.term_nlev[i] * re.term_ncol[i]; ++j) re.to_original_index[re.term_offset[i] + j] = original_offset[i] + j;
  re.leading_size = nterms > 0 ? re.term_nlev[order[0]] * re.term_ncol[order[0]] : 0;
  re.leading_block = nterms > 0 ? re.term_ncol[order[0]] : 1;

  // Z in compressed column form directly (no triplets: at n rows they cost more than Z itself);
  // explicit zeros are kept so that the pattern does not depend on the data. Column
  // off + lev * p + k holds the rows whose level is lev, in increasing order.
  std::vector<Eigen::Triplet<double> > lt;
  re.theta_lower.resize(ntheta);
  re.Z.resize(n, q);
  re.Z.resizeNonZeros(0);
  std::vector<int> count(q + 1, 0);
  for (int i = 0; i < nterms; ++i) {
    const int* codes = terms[i].codes;
    const int p = re.term_ncol[i], nlev = re.term_nlev[i], off = re.term_offset[i];
    for (int r = 0; r < n; ++r) {
      const int lev = codes[r];
      if (lev < 0 || lev >= nlev) engine_stop("random-effect term %d: level code out of range", i + 1);
      for (int k = 0; k < p; ++k) ++count[off + lev * p + k + 1];
    }
  }
  for (int j = 0; j < q; ++j) count[j + 1] += count[j];
  re.Z.resizeNonZeros(count[q]);
  std::copy(count.begin(), count.end(), re.Z.outerIndexPtr());
  int* z_inner = re.Z.innerIndexPtr();
  double* z_value = re.Z.valuePtr();
  for (int i = 0; i < nterms; ++i) {
    const int* codes = terms[i].codes;
    const double* Xt = terms[i].Xt;
    const int p = re.term_ncol[i], nlev = re.term_nlev[i], off = re.term_offset[i];
    for (int r = 0; r < n; ++r) {
      for (int k = 0; k < p; ++k) {
        const double x = Xt[r + (std::size_t)k * n];
        if (!std::isfinite(x)) engine_stop("random-effect term %d: non-finite value in its model matrix", i + 1);
        const int at = count[off + codes[r] * p + k]++;
        z_inner[at] = r;
        z_value[at] = x;
      }
    }
    // lower bounds: 0 on the diagonal of T_i
    int idx = theta_offset[i];
    for (int c = 0; c < p; ++c)
      for (int r = c; r < p; ++r, ++idx)
        re.theta_lower[idx] = (r == c) ? 0.0 : -std::numeric_limits<double>::infinity();
    for (int lev = 0; lev < nlev; ++lev)
      for (int c = 0; c < p; ++c)
        for (int r = c; r < p; ++r)
          lt.push_back(Eigen::Triplet<double>(off + lev * p + r, off + lev * p + c, 1.0));
  }
  re.Lambda.resize(q, q);
  re.Lambda.setFromTriplets(lt.begin(), lt.end());
  re.Lambda.makeCompressed();

  // theta index of each stored entry of Lambda, in storage order
  re.lambda_index.resize(re.Lambda.nonZeros());
  for (int i = 0; i < nterms; ++i) {
    const int p = re.term_ncol[i], off = re.term_offset[i];
    for (int j = off; j < off + re.term_nlev[i] * p; ++j) {
      const int c = (j - off) % p;
      for (SpMat::InnerIterator it(re.Lambda, j); it; ++it) {
        const int r = (it.row() - off) % p;
        // column-major position of (r, c) in the lower triangle of a p x p matrix
        const int pos = c * p - c * (c - 1) / 2 + (r - c);
        re.lambda_index[&it.valueRef() - re.Lambda.valuePtr()] = theta_offset[i] + pos;
      }
    }
  }
  return re;
}
