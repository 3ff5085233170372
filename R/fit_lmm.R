# fit_lmm.R: stages 4-5 for linear mixed models. Create the C++ core (cross-products formed
# once), minimize the profiled deviance over theta, and collect the estimates.

# Fit an LMM: returns theta, beta, sigma, b, u, vcov, deviance and the optimizer's report.
fit_lmm <- function(X, y, weights, offset, re, REML, start, control) {
  core <- cpp_lmm_create(X, y, weights, offset, re_terms_for_core(re))
  unit <- theta_unit(weights)
  theta0 <- start_theta(start, re, unit)
  control$scale <- rep(1 / unit, length(theta0))   # the optimizer sees theta / unit, of order 1
  optimizer <- lmm_optimizer(control, length(theta0))
  opt <- cpp_lmm_optimize(core, theta0, REML, control, try_moment_start = is.null(start$theta), optimizer = optimizer)
  opt$optimizer <- optimizer
  if (!is.finite(opt$deviance)) stop("the deviance is not finite at the optimum; check the data for extreme values", call. = FALSE)
  p <- ncol(X)
  names(opt$beta) <- colnames(X)
  vc <- NULL
  axes <- NULL
  if (!REML && p > 0L) {
    vc <- cpp_lmm_vcov_joint(core, opt$theta, opt$sigma, unit)
    axes <- list(h = attr(vc, "h"), plus = attr(vc, "deviance_plus"), minus = attr(vc, "deviance_minus"))
    vc <- if (length(vc) == 0L) NULL else matrix(vc, nrow(vc), ncol(vc))
  }
  opt <- check_lmm_convergence(core, opt, REML, axes, unit)
  if (is.null(vc)) vc <- conditional_vcov(opt$RX, opt$sigma, p)
  dimnames(vc) <- list(colnames(X), colnames(X))
  opt$vcov <- vc
  opt$core <- core
  opt$singular <- is_singular(opt$theta / unit, re, control$check_singular)
  opt$df <- p + length(opt$theta) + 1L
  opt$loglik <- -opt$deviance / 2
  opt
}

# The optimizer for the profiled deviance: BOBYQA for few variance parameters, where its cheap
# evaluations win, L-BFGS with the exact gradient from 7 on (measured: at 6 the two take about
# the same time, at 7 to 72 L-BFGS needs a tenth to a hundredth of BOBYQA's evaluations).
lmm_optimizer <- function(control, ntheta) {
  switch(control$optimizer, bobyqa = "bobyqa", lbfgs = "lbfgs", if (ntheta >= 7L) "lbfgs" else "bobyqa")
}

# The natural size of theta given the precision weights, 1 / sqrt(mean(w)): theta is the random
# effects' SD relative to the residual SD at weight 1, so weights scaled by c scale theta by
# 1 / sqrt(c) (and sigma by sqrt(c)); starts, optimizer steps and the singular-fit test use it.
theta_unit <- function(weights) {
  if (is.null(weights) || !length(weights)) return(1)
  1 / sqrt(mean(weights))
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

# Starting theta from `start$theta`, checked for length, or the identity times `unit`.
start_theta <- function(start, re, unit = 1) {
  th <- theta_start(re) * unit
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

# Convergence from the profiled deviance's gradient and curvature at BOBYQA's end point (central
# differences, 2 k + 1 evaluations, or none when `axes` brings the ML deviances along each axis
# that the standard errors' Hessian computed): in each free theta the Newton step g_i / H_ii must
# be small.
# Elements at their lower bound 0 with the gradient pointing outwards are fine. Marks the fit as
# not converged (status -10, with the step's size) otherwise; leaves the core at the end point.
# A stop by roundoff (NLopt's -4) at a point that passes this check is a converged fit.
check_lmm_convergence <- function(core, opt, REML, axes = NULL, unit = 1) {
  theta <- opt$theta
  roundoff <- identical(as.integer(opt$status), -4L)
  if (!length(theta) || (opt$status < 0 && !roundoff) || opt$status == 5L) return(opt)   # already reported as failed
  lower <- cpp_lmm_theta_lower(core)
  f <- function(th) cpp_lmm_deviance(core, th, REML)
  reuse <- length(axes$h) == length(theta) && all(is.finite(c(axes$plus, axes$minus)))
  h <- if (reuse) axes$h else 1e-4 * pmax(abs(theta), unit)
  f0 <- opt$deviance
  sizes <- vapply(seq_along(theta), function(i) {
    up <- if (reuse) axes$plus[i] else f(replace(theta, i, theta[i] + h[i]))
    at_bound <- theta[i] - h[i] < lower[i]
    down <- if (at_bound) f0 else if (reuse) axes$minus[i] else f(replace(theta, i, theta[i] - h[i]))
    g <- if (at_bound) (up - f0) / h[i] else (up - down) / (2 * h[i])
    if (at_bound && g >= 0) return(0)
    curvature <- if (at_bound) NA_real_ else (up - 2 * f0 + down) / h[i]^2
    if (is.finite(curvature) && curvature > 0) abs(g / curvature) else abs(g)
  }, numeric(1))
  if (!reuse) f(theta)   # leave the core at the end point
  size <- max(sizes)
  if (is.finite(size) && size <= 1e-3 * unit && roundoff) {
    opt$status <- 1L
    opt$message <- "converged: stopped by roundoff at a point where the gradient is zero"
  } else if (is.finite(size) && size > 1e-3 * unit) {
    opt$status <- -10L
    opt$message <- sprintf("the gradient at the end point is not zero: a Newton step of size %.2g remains", size)
  }
  opt
}
