# fit_lmm.R: stages 4-5 for linear mixed models. Create the C++ core (cross-products formed
# once), minimize the profiled deviance over theta, and collect the estimates.

# Fit an LMM: returns theta, beta, sigma, b, u, vcov, deviance and the optimizer's report.
fit_lmm <- function(X, y, weights, offset, re, REML, start, control) {
  core <- cpp_lmm_create(X, y, weights, offset, re_terms_for_core(re))
  theta0 <- start_theta(start, re)
  opt <- cpp_lmm_optimize(core, theta0, REML, control)
  if (!is.finite(opt$deviance)) stop("the deviance is not finite at the optimum; check the data for extreme values", call. = FALSE)
  p <- ncol(X)
  names(opt$beta) <- colnames(X)
  vc <- NULL
  if (!REML && p > 0L) {
    vc <- cpp_lmm_vcov_joint(core, opt$theta, opt$sigma)
    if (length(vc) == 0L) vc <- NULL
  }
  if (is.null(vc)) vc <- conditional_vcov(opt$RX, opt$sigma, p)
  dimnames(vc) <- list(colnames(X), colnames(X))
  opt$vcov <- vc
  opt$core <- core
  opt$singular <- is_singular(opt$theta, re, control$check_singular)
  opt$df <- p + length(opt$theta) + 1L
  opt$loglik <- -opt$deviance / 2
  opt
}

# The parts of each random-effect term that the C++ core needs.
# `scale` (optional, per term): divide the term's columns by these (see re_column_scales()).
re_terms_for_core <- function(re, scale = NULL) {
  lapply(seq_along(re), function(i) {
    t <- re[[i]]
    Xt <- if (is.null(scale)) t$Xt else sweep(t$Xt, 2L, scale[[i]], "/")
    list(codes = t$codes, nlev = t$nlev, Xt = Xt)
  })
}

# Starting theta from `start$theta` or the identity, checked for length.
start_theta <- function(start, re) {
  th <- theta_start(re)
  if (!is.null(start$theta)) {
    if (length(start$theta) != length(th)) {
      stop(sprintf("start$theta has length %d, the model has %d variance parameters", length(start$theta), length(th)), call. = FALSE)
    }
    th <- as.numeric(start$theta)
  }
  th
}

# sigma^2 (RX'RX)^{-1}: covariance of beta given theta (lme4's and REML's choice).
conditional_vcov <- function(RX, sigma, p) {
  if (p == 0L) return(matrix(0, 0, 0))
  sigma^2 * chol2inv(RX)
}

# Is any term's covariance matrix singular (a diagonal element of T_i near zero)?
is_singular <- function(theta, re, tol) {
  factors <- theta_to_factors(theta, re)
  any(vapply(factors, function(Ti) any(abs(diag(Ti)) < tol), logical(1)))
}
