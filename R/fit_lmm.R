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
  lower <- core_lower(core)
  opt <- core_optimize(core, start_point$theta, lower, rep(Inf, length(lower)), start_point$control)
  opt$evaluations <- opt$evaluations + start_point$evaluations
  opt$theta <- opt$par
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
# estimate when its deviance is lower (from the identity BOBYQA's first steps are far too long
# for InstEval-sized data: 122 evaluations instead of 58), with first steps of 10% of each
# parameter (at least 0.05 on the optimizer's scale). list(theta, control, evaluations).
lmm_start <- function(core, theta0, control, use_moments, n) {
  out <- list(theta = theta0, control = control, evaluations = 0L)
  if (!use_moments || n < 10000L || !length(theta0)) return(out)
  lower <- core_lower(core)
  theta0 <- pmax(theta0, lower)
  moment <- pmax(cpp_core_moment_theta(core$ptr), lower)
  out$evaluations <- 2L
  if (all(is.finite(moment)) && core_objective(core, moment) < core_objective(core, theta0)) {
    out$theta <- moment
    if (is.null(control$initial_step) && is.null(control$initial_steps)) {
      out$control$initial_steps <- 0.1 * pmax(abs(moment), 0.05 / control$scale)
    }
  }
  out
}

# The memory limit of glmm_control() in bytes (the memory available when NULL).
control_max_memory <- function(control) if (is.null(control$max_memory)) default_max_memory() else control$max_memory

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
