# fit_lmm.R: stages 4-5 for linear mixed models. Create the C++ core (R/core.R; cross-products
# formed once), minimize the profiled deviance over theta, and collect the estimates.

# Fit an LMM: returns theta, beta, sigma, b, u, vcov, deviance, the core's par and the optimizer's
# report. `core` (R/core.R) may be given to reuse one for this design (bootstrap refits).
fit_lmm <- function(X, y, weights, offset, re, REML, start, control, core = NULL) {
  if (is.null(core)) {
    core <- new_core(lmm_parameter_map(re, X, weights), re, X, y, weights, offset, reml = REML, max_memory = control_max_memory(control))
  }
  core$reml <- REML
  unit <- core$map$unit
  theta0 <- start_theta(start, re, unit)
  control$scale <- rep(1 / unit, length(theta0))   # the optimizer sees theta / unit, of order 1
  start_point <- lmm_start(core, theta0, control, use_moments = is.null(start$theta), n = nrow(X))
  opt <- lmm_optimize(core, start_point$theta, start_point$control, lmm_optimizer(control, length(theta0)))
  opt$evaluations <- opt$evaluations + start_point$evaluations
  if (!is.finite(opt$deviance)) stop("the deviance is not finite at the optimum; check the data for extreme values", call. = FALSE)
  p <- ncol(X)
  names(opt$beta) <- colnames(X)
  vc <- NULL
  axes <- NULL
  if (!REML && p > 0L) {
    vc <- cpp_lmm_vcov_joint(core$ptr, opt$theta, opt$sigma, unit)
    axes <- list(h = attr(vc, "h"), plus = attr(vc, "deviance_plus"), minus = attr(vc, "deviance_minus"))
    vc <- if (length(vc) == 0L) NULL else matrix(vc, nrow(vc), ncol(vc))
  }
  opt <- check_lmm_convergence(core, opt, REML, axes, unit)
  if (is.null(vc)) vc <- conditional_vcov(opt$RX, opt$sigma, p)
  dimnames(vc) <- list(colnames(X), colnames(X))
  opt$vcov <- vc
  opt$core <- core
  opt$map <- core$map
  opt$singular <- is_singular(map_singular_theta(core$map, opt$par), re, control$check_singular)
  opt$df <- p + length(opt$theta) + 1L
  opt$loglik <- -opt$deviance / 2
  opt
}

# Where BOBYQA starts: theta0, or on large models (n >= 10000) without a user's start the moment
# estimate (from the identity BOBYQA's first steps are far too long for InstEval-sized data: 122
# evaluations instead of 58), with first steps of 10% of each parameter (at least 0.05 on the
# optimizer's scale). The identity is read only when the moment estimate's deviance is not finite
# (the moment estimate lands within about 1% of the optimum on crossed designs, so comparing the
# two would cost an evaluation for nothing). list(theta, control, evaluations).
lmm_start <- function(core, theta0, control, use_moments, n) {
  out <- list(theta = theta0, control = control, evaluations = 0L)
  if (!use_moments || n < 10000L || !length(theta0)) return(out)
  lower <- core_lower(core)
  moment <- pmax(cpp_core_moment_theta(core$ptr), lower)
  out$evaluations <- 1L
  # read here, the moment estimate's factor is the one the core keeps for BOBYQA's first point
  if (all(is.finite(moment)) && is.finite(core_objective(core, moment))) {
    out$theta <- moment
    if (is.null(control$initial_step) && is.null(control$initial_steps)) {
      out$control$initial_steps <- 0.1 * pmax(abs(moment), 0.05 / control$scale)
    }
  }
  out
}

# The memory limit of glmm_control() in bytes (the memory available when NULL).
control_max_memory <- function(control) if (is.null(control$max_memory)) default_max_memory() else control$max_memory

# The optimizer for the profiled deviance: BOBYQA for few variance parameters, where its cheap
# evaluations win, L-BFGS with the exact gradient from 7 on (measured: at 6 the two take about
# the same time, at 7 to 72 L-BFGS needs a tenth to a hundredth of BOBYQA's evaluations).
lmm_optimizer <- function(control, ntheta) {
  switch(control$optimizer, bobyqa = "bobyqa", lbfgs = "lbfgs", if (ntheta >= 7L) "lbfgs" else "bobyqa")
}

# Minimize the profiled deviance over theta from theta0 with `optimizer` (lmm_optimizer()): BOBYQA
# stops once 2k + 3 evaluations in a row sit within the deviance's rounding error of the best (no
# decrease beyond 1e-14 of its size): its last trust-region steps would only sample noise there.
# L-BFGS uses the exact gradient (src/lmm_gradient.cpp) and stops wherever the projected gradient
# vanishes; in the Cholesky parametrization a zero column of a term's T is such a point whatever
# the data (the deviance is even in that column) and may be a saddle, so after L-BFGS each zero
# column's curvature is taken from differences of the gradient and, along a direction of negative
# curvature, the fit steps off and L-BFGS resumes. The state at the end point (core_optimize()).
lmm_optimize <- function(core, theta0, control, optimizer) {
  lower <- core_lower(core)
  upper <- rep(Inf, length(lower))
  if (optimizer == "bobyqa" || !length(theta0)) {
    if (is.null(control$stall_evaluations)) control$stall_evaluations <- 2L * length(theta0) + 3L
    opt <- core_optimize(core, theta0, lower, upper, control)
  } else {
    opt <- core_optimize(core, theta0, lower, upper, control, gradient = TRUE)
    evaluations <- opt$evaluations
    for (round in 1:10) {
      step <- escape_zero_column(core, opt$par, control$scale)
      evaluations <- evaluations + step$evaluations
      if (is.null(step$par)) break
      nxt <- core_optimize(core, step$par, lower, upper, control, gradient = TRUE)
      evaluations <- evaluations + nxt$evaluations
      if (!(nxt$deviance < opt$deviance)) break
      opt <- nxt
    }
    opt$evaluations <- evaluations
  }
  opt$theta <- opt$par
  opt$optimizer <- optimizer
  opt
}

# A point off a zero column of a term's T (diagonal 0, column within 1e-3 of 0 in the optimizer's
# units theta * scale) along the direction of most negative curvature of the deviance in that
# column (curvatures by differences of the exact gradient, one evaluation per entry), with a
# lower deviance: list(par, evaluations), par NULL when there is none.
escape_zero_column <- function(core, theta, scale) {
  columns <- theta_columns(core$map$re)
  zero <- Filter(function(col) theta[col[1L]] * scale[col[1L]] <= 1e-8 && max(abs(theta[col] * scale[col])) <= 1e-3, columns)
  if (!length(zero)) return(list(par = NULL, evaluations = 0L))
  base <- theta
  base[unlist(zero)] <- 0
  f0 <- core_objective(core, base)
  g0 <- core_gradient(core, base)
  evaluations <- 1L
  if (!is.finite(f0)) return(list(par = NULL, evaluations = evaluations))
  h <- 1e-4
  best <- 0
  direction <- NULL
  for (col in zero) {
    H <- vapply(seq_along(col), function(j) {
      g <- core_gradient(core, replace(base, col[j], h / scale[col[j]]))
      (g[col] - g0[col]) / scale[col] / h
    }, numeric(length(col)))
    evaluations <- evaluations + length(col)
    H <- matrix(H, length(col))
    if (!all(is.finite(H))) next
    e <- eigen((H + t(H)) / 2, symmetric = TRUE)
    curvature <- e$values[length(col)]
    if (curvature < min(best, -1e-6 * max(1, abs(H)))) {
      best <- curvature
      v <- e$vectors[, length(col)]
      if (v[1L] < 0) v <- -v   # the column's sign is free: keep its diagonal non-negative
      direction <- numeric(length(theta))
      direction[col] <- v / scale[col]
    }
  }
  if (is.null(direction)) return(list(par = NULL, evaluations = evaluations))
  for (step in c(0.1, 0.01, 0.001)) {
    evaluations <- evaluations + 1L
    if (core_objective(core, base + step * direction) < f0) return(list(par = base + step * direction, evaluations = evaluations))
  }
  list(par = NULL, evaluations = evaluations)
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
# be small. Elements at their lower bound 0 with the gradient pointing outwards are fine. Marks
# the fit as not converged (status -10, with the step's size) otherwise. A stop by roundoff
# (NLopt's -4) at a point that passes this check is a converged fit.
check_lmm_convergence <- function(core, opt, REML, axes = NULL, unit = 1) {
  theta <- opt$theta
  roundoff <- identical(as.integer(opt$status), -4L)
  if (!length(theta) || (opt$status < 0 && !roundoff) || opt$status == 5L) return(opt)   # already reported as failed
  lower <- core_lower(core)
  reuse <- length(axes$h) == length(theta) && all(is.finite(c(axes$plus, axes$minus)))
  h <- if (reuse) axes$h else 1e-4 * pmax(abs(theta), unit)
  d <- fd_axes(function(th) core_objective(core, th, REML), theta, h, opt$deviance, lower,
               values = if (reuse) list(plus = axes$plus, minus = axes$minus))
  sizes <- ifelse(d$at_bound & d$gradient >= 0, 0,
                  ifelse(is.finite(d$curvature) & d$curvature > 0, abs(d$gradient / d$curvature), abs(d$gradient)))
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
