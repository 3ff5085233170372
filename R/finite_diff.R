# finite_diff.R: numerical derivatives by central differences, the one helper behind every
# finite difference of the package (Hessians of the exact gradient, glmmTMB's standard-error
# Hessian, gradients of derivative-free objectives, convergence checks).

# The Jacobian of f (R^k -> R^m) at x, m x k, by central differences with steps h (recycled):
# points = 2 uses f(x +- h) (error O(h^2)), points = 4 the five-point stencil f(x +- h), f(x +- 2h)
# (error O(h^4)). A scalar f gives its gradient as a 1 x k matrix (drop() it).
fd_jacobian <- function(f, x, h, points = 2L) {
  h <- rep_len(h, length(x))
  cols <- lapply(seq_along(x), function(i) {
    e <- replace(numeric(length(x)), i, h[i])
    if (points == 2L) return((f(x + e) - f(x - e)) / (2 * h[i]))
    (f(x - 2 * e) - 8 * f(x - e) + 8 * f(x + e) - f(x + 2 * e)) / (12 * h[i])
  })
  do.call(cbind, cols)
}

# The Hessian of a smooth vector field's potential from the field itself: the symmetrized
# Jacobian of the gradient g at x (2 k evaluations of g).
fd_hessian_of_gradient <- function(g, x, h) {
  H <- fd_jacobian(g, x, h)
  (H + t(H)) / 2
}

# The Hessian of a scalar f at x from its values: second differences with steps h, the diagonal
# from f(x +- h_i), the off-diagonal from f(x + h_i + h_j) and f(x - h_i - h_j) with those
# (1 + 2k + k(k - 1) evaluations). `f0` = f(x) if known.
fd_hessian <- function(f, x, h, f0 = f(x)) {
  k <- length(x)
  h <- rep_len(h, k)
  e <- function(i, s) replace(numeric(k), i, s * h[i])
  plus <- vapply(seq_len(k), function(i) f(x + e(i, 1)), numeric(1))
  minus <- vapply(seq_len(k), function(i) f(x + e(i, -1)), numeric(1))
  H <- diag((plus - 2 * f0 + minus) / h^2, k)
  for (i in seq_len(k)) {
    for (j in seq_len(i - 1L)) {
      pp <- f(x + e(i, 1) + e(j, 1))
      mm <- f(x + e(i, -1) + e(j, -1))
      H[i, j] <- H[j, i] <- (pp + mm - plus[i] - minus[i] - plus[j] - minus[j] + 2 * f0) / (2 * h[i] * h[j])
    }
  }
  H
}

# Along each axis i: the gradient and curvature of a scalar f at x from f(x +- h_i), one-sided
# (forward) where x_i - h_i would cross lower_i; `values` may bring f(x + h_i) and f(x - h_i)
# already computed (list(plus, minus)). Returns list(gradient, curvature, at_bound); the
# curvature is NA at a bound.
fd_axes <- function(f, x, h, f0, lower = rep(-Inf, length(x)), values = NULL) {
  k <- length(x)
  h <- rep_len(h, k)
  at_bound <- x - h < lower
  plus <- if (is.null(values)) vapply(seq_len(k), function(i) f(replace(x, i, x[i] + h[i])), numeric(1)) else values$plus
  minus <- vapply(seq_len(k), function(i) {
    if (at_bound[i]) f0 else if (is.null(values)) f(replace(x, i, x[i] - h[i])) else values$minus[i]
  }, numeric(1))
  gradient <- ifelse(at_bound, (plus - f0) / h, (plus - minus) / (2 * h))
  curvature <- ifelse(at_bound, NA_real_, (plus - 2 * f0 + minus) / h^2)
  list(gradient = gradient, curvature = curvature, at_bound = at_bound)
}
