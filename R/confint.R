# confint.R: confidence intervals for "glmmlab" fits. Wald and "uniroot" intervals as glmmTMB gives
# them (R/confint_tmb.R); likelihood-profile and parametric-bootstrap (R/bootstrap.R) intervals for
# the random-effect SDs and correlations, the residual SD and the fixed effects, as lme4 names them. LMM profiles use the C++ core's profiled
# deviance: a parameter is fixed, the ML deviance minimized over the others (optim, L-BFGS-B),
# and the interval's ends are the roots of the signed square root of the deviance increase
# (zeta) at +-qnorm((1 + level) / 2), found by extrapolation and uniroot().
#
# Notation: w = (v, sigma), the "natural" variance parameters: for each term the lower triangle
# (column-major) of a matrix with the SDs on its diagonal and the correlations below it, as
# lme4's .sig01, .sig02, ..., then the residual SD sigma (.sigma).

#' Confidence intervals for the parameters of a mixed model
#'
#' By default, as 'glmmTMB' gives them: Wald intervals for the fixed effects and the random
#' effects' standard deviations and correlations, with an `Estimate` column. `method = "Wald"`
#' ('lme4''s spelling) is the same as `"wald"`. Likelihood-profile (`"profile"`, as 'lme4'),
#' 'glmmTMB''s `"uniroot"` profile intervals on its internal scale, and parametric-bootstrap
#' (`"boot"`) intervals are also available.
#'
#' **Wald** (`"wald"`, `"Wald"`): rows named as 'glmmTMB' names them: the fixed effects
#' (`"(Intercept)"`, `"Days"`), then for each random-effect term its standard deviations
#' (`"Std.Dev.(Intercept)|Subject"`) and correlations (`"Cor.Days.(Intercept)|Subject"`), and,
#' with `full = TRUE` or when `parm` selects it, `"sigma"` (the residual SD, or the family's
#' dispersion as [sigma.glmmlab()] gives it). The fixed effects' limits are estimate +- z
#' standard errors from [vcov()]; those of the variance parameters are the SDs and correlations
#' at glmmTMB's internal parameters (log SDs, correlation parameters, log dispersion; see
#' `vcov(m, full = TRUE)`) moved by -+ z of their standard errors, as 'glmmTMB' computes them
#' (so an SD's interval is `exp(log(sd) -+ z se)`, never below 0). When every row is a
#' conditional-model parameter, 'glmmTMB''s prefix `"cond."` is dropped, so the rows then read
#' as above; with `"sigma"` among them they read `"cond.(Intercept)"`, ... as in 'glmmTMB'.
#'
#' **uniroot** ('glmmTMB''s): profile-likelihood limits for glmmTMB's internal parameters (the
#' rows of `vcov(m, full = TRUE)`: fixed effects, `"d~(Intercept)"`, `"theta_Days|Subject.1"`,
#' ...), on that scale: where the profiled deviance has risen by `qchisq(level, 1)`. They are the
#' profile intervals below, mapped to the log SDs, correlation parameters and log dispersion (for
#' a term with more than two columns, only its first correlation parameter has such an
#' interval). ML fits only, as in 'glmmTMB'.
#'
#' **profile** (as 'lme4'): likelihood-profile intervals for the random-effect standard
#' deviations and correlations (rows `.sig01`, `.sig02`, ... in the order of lme4: for each term
#' the lower triangle of its SD/correlation matrix, column by column), the residual SD or the
#' family's dispersion (`.sigma`, where the family has one) and the fixed effects, as
#' `lme4::confint(method = "profile")` reports them.
#' Profiles of linear mixed models use the ML deviance (as lme4 does, also for REML fits); those
#' of GLMMs the Laplace approximation (or adaptive quadrature for `nAGQ > 1` fits), with the
#' dispersion on [sigma.glmmlab()]'s scale. Each parameter is fixed in turn, the deviance is minimized
#' over the other parameters, and the interval's ends are the values where the deviance has
#' increased by `qchisq(level, 1)`. An end that reaches the parameter's boundary (an SD of 0, a
#' correlation of +-1) is reported as the boundary.
#'
#' **boot**: parametric-bootstrap percentile intervals for the parameters of `"profile"`
#' (for any family, including the GLMM's dispersion as `.sigma` where the family has one, on
#' [sigma.glmmlab()]'s scale): `nsim` responses are simulated from the fit, the model is refitted to
#' each by [bootstrap()] (REML fits by REML), and the interval's ends are the `(1 - level) / 2`
#' and `(1 + level) / 2` quantiles of the refits' estimates. Failed refits are left out, with a
#' message. Use a few thousand replicates for stable 95 % limits; set `seed` for reproducibility.
#'
#' @param object a fitted `"glmmlab"` model from [glmm()].
#' @param parm parameters to give intervals for. Wald and uniroot, as in 'glmmTMB': positions
#'   in `vcov(m, full = TRUE)`'s order, its names (`"Days"`, `"theta_Days|Subject.1"`,
#'   `"d~(Intercept)"`), the rows' names (`"Std.Dev.Days|Subject"`), `"beta_"` (fixed effects),
#'   `"theta_"` (random-effect parameters) or `"disp_"`/`"sigma"`. Profile and boot: names
#'   (`".sig01"`, `".sigma"`, `"Days"`), positions in that list, `"beta_"` or `"theta_"`.
#'   Default: all (Wald and uniroot: all but the dispersion unless `full = TRUE`).
#' @param level the confidence level.
#' @param method `"wald"` (or `"Wald"`), `"profile"`, `"uniroot"` or `"boot"`.
#' @param component Wald: which parameters, as 'glmmTMB': `"all"`, `"cond"` (the conditional
#'   model's fixed effects and random effects) or `"other"` (the dispersion).
#' @param estimate Wald and uniroot: add a column `"Estimate"`?
#' @param full Wald and uniroot: include the dispersion (`"sigma"`, `"d~(Intercept)"`) by default?
#' @param nsim number of bootstrap replicates (`method = "boot"`).
#' @param seed optional seed for the bootstrap (`method = "boot"`).
#' @param progress show a progress bar during the bootstrap?
#' @param ... not used.
#' @return A matrix with one row per parameter and columns for the lower and upper limits,
#'   named as percentages (`"2.5 %"`, `"97.5 %"`), and for Wald and uniroot intervals the
#'   estimate (`"Estimate"`, unless `estimate = FALSE`).
#' @seealso [profile.glmmlab()], [vcov.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' d <- data.frame(y, x, g)
#' m <- glmm(y ~ x + (x | g), data = d)
#' confint(m)
#' confint(m, parm = "beta_", method = "Wald")
#' confint(m, full = TRUE)
#' confint(m, parm = "theta_", method = "uniroot")
#' confint(m, method = "profile")
#' confint(m, method = "boot", nsim = 100, seed = 1)
#' @importFrom stats confint qnorm qchisq optim uniroot
#' @export
confint.glmmlab <- function(object, parm = NULL, level = 0.95, method = c("wald", "Wald", "profile", "uniroot", "boot"),
                            component = c("all", "cond", "other"), estimate = TRUE, full = FALSE, nsim = 500,
                            seed = NULL, progress = FALSE, ...) {
  method <- tolower(match.arg(method))
  component <- match.arg(component)
  check_level(level)
  check_flag(estimate, "estimate")
  check_flag(full, "full")
  if (method == "wald") {
    warn_unused_dots(...)
    return(wald_intervals_tmb(object, parm, level, component, estimate, full))   # R/confint_tmb.R
  }
  if (method == "uniroot") return(uniroot_intervals_tmb(object, parm, level, estimate, full))
  if (method == "boot") {
    all_names <- names(boot_parameters(object))
    which <- select_parameters(all_names, parm, names(object$beta), wald = FALSE)
    b <- bootstrap(object, nsim = nsim, seed = seed, progress = progress)
    if (b$nfail) message(sprintf("%d of %d bootstrap refits failed and were left out", b$nfail, b$nsim))
    return(confint.glmmlab_boot(b, which, level))
  }
  z <- stats::qnorm((1 + level) / 2)
  cols <- format_percent(c((1 - level) / 2, (1 + level) / 2))
  ctx <- profile_context(object)
  on.exit(reset_core(object, ctx$core), add = TRUE)
  which <- select_parameters(ctx$names, parm, names(object$beta), wald = FALSE)
  out <- t(vapply(which, function(nm) {
    c(profile_endpoint(ctx, nm, -1, z), profile_endpoint(ctx, nm, 1, z))
  }, numeric(2)))
  dimnames(out) <- list(which, cols)
  out
}

# A confidence level strictly between 0 and 1, or an error.
check_level <- function(level) {
  if (!is.numeric(level) || length(level) != 1L || !is.finite(level) || level <= 0 || level >= 1) {
    stop("`level` must be a single number between 0 and 1", call. = FALSE)
  }
}

# Column labels as confint.default() makes them ("2.5 %").
format_percent <- function(probs) paste(format(100 * probs, trim = TRUE, scientific = FALSE, digits = 3), "%")

# The names selected by `parm` (names, positions, "beta_", "theta_") among `all_names`.
select_parameters <- function(all_names, parm, beta_names, wald) {
  if (missing(parm) || is.null(parm)) return(all_names)
  if (is.numeric(parm)) {
    if (any(is.na(parm)) || any(parm < 1) || any(parm > length(all_names))) {
      stop(sprintf("`parm` positions must be between 1 and %d", length(all_names)), call. = FALSE)
    }
    return(all_names[parm])
  }
  if (!is.character(parm)) stop("`parm` must be parameter names or positions", call. = FALSE)
  parm <- unique(unlist(lapply(parm, function(p) {
    switch(p, beta_ = beta_names, theta_ = setdiff(all_names, beta_names), p)
  })))
  unknown <- setdiff(parm, all_names)
  if (length(unknown)) {
    hint <- if (wald) "; Wald intervals are for fixed effects only (use method = \"profile\" for variance parameters)" else ""
    stop(sprintf("unknown parameter(s) in `parm`: %s. Available: %s%s", paste(unknown, collapse = ", "),
                 paste(all_names, collapse = ", "), hint), call. = FALSE)
  }
  parm
}

# Everything the profiles need: the core, the ML estimates (theta, natural w, beta), the
# minimum deviance, bounds and scales, and a store of warm starts for the inner optimizations.
profile_context <- function(object) {
  if (!is_gaussian_identity(object$family)) return(glmm_profile_context(object))
  core <- ensure_core(object)
  theta <- object$theta
  if (isTRUE(object$REML)) {   # profiles use the ML deviance, as lme4's do
    ml_control <- glmm_control()
    ml_control$scale <- rep(1 / theta_unit(object$prior_weights), length(theta))   # as fit_lmm()
    theta <- cpp_lmm_optimize(core, theta, FALSE, ml_control, try_moment_start = FALSE)$theta
  }
  st <- cpp_lmm_state(core, theta, FALSE)
  n <- object$nobs
  sigma <- sqrt(st$pwrss / n)
  re <- core_terms(object$re)   # the terms as the core fits them (R/re_terms.R)
  w <- c(theta_to_natural(theta, sigma, re), sigma)
  nw <- length(w)
  names(w) <- c(sprintf(".sig%02d", seq_len(nw - 1L)), ".sigma")
  is_cor <- c(!theta_diagonal_mask(re), FALSE)
  beta <- stats::setNames(st$beta, names(object$beta))
  ctx <- new.env(parent = emptyenv())
  ctx$core <- core
  ctx$re <- re
  ctx$n <- n
  ctx$theta <- theta
  ctx$theta_lower <- cpp_lmm_theta_lower(core)
  ctx$w <- w
  ctx$beta <- beta
  ctx$names <- c(names(w), names(beta))
  ctx$estimates <- as.list(c(w, beta))
  ctx$lower <- ifelse(is_cor, -1, 0)
  ctx$lower[nw] <- 1e-8 * sigma
  ctx$upper <- ifelse(is_cor, 1, Inf)
  ctx$scale <- ifelse(is_cor, 0.1, pmax(abs(w), 1e-3 * sigma))
  ctx$beta_se <- stats::setNames(sqrt(diag(chol2inv(st$RX))) * sigma, names(beta))
  ctx$dev_min <- ml_deviance(core, theta, sigma, n)
  ctx$warm <- list()
  ctx$step_floor <- sigma
  ctx
}

# Leave the core at the fit's own estimates after profiling (GLMM profiles use cores of their own).
reset_core <- function(object, core) {
  if (is_gaussian_identity(object$family)) invisible(cpp_lmm_deviance(core, object$theta, isTRUE(object$REML)))
}

# ML deviance (up to a constant) at theta and residual SD sigma, minimized over beta.
ml_deviance <- function(core, theta, sigma, n) {
  st <- cpp_lmm_state(core, theta, FALSE)
  st$logdet_L2 + n * log(2 * pi * sigma^2) + st$pwrss / sigma^2
}

# The natural parameters of each term (SDs, correlations; lower triangle) from theta and sigma.
theta_to_natural <- function(theta, sigma, re) {
  unlist(lapply(theta_to_factors(theta, re), function(Ti) {
    S <- sigma^2 * tcrossprod(Ti)
    sds <- sqrt(diag(S))
    M <- S / outer(sds, sds)
    M[!is.finite(M)] <- 0
    diag(M) <- sds
    M[lower.tri(M, diag = TRUE)]
  }))
}

# theta (lower triangles of the relative factors T_i) from natural parameters v and sigma.
natural_to_theta <- function(v, sigma, re) {
  pos <- 0L
  out <- vector("list", length(re))
  for (i in seq_along(re)) {
    p <- ncol(re[[i]]$Xt)
    k <- p * (p + 1L) / 2L
    if (p == 1L) {
      out[[i]] <- v[pos + 1L] / sigma
    } else {
      M <- matrix(0, p, p)
      M[lower.tri(M, diag = TRUE)] <- v[pos + seq_len(k)]
      sds <- diag(M)
      R <- M + t(M)
      diag(R) <- 1
      Ti <- semidefinite_cholesky(R * outer(sds, sds)) / sigma
      out[[i]] <- Ti[lower.tri(Ti, diag = TRUE)]
    }
    pos <- pos + k
  }
  as.numeric(unlist(out))   # numeric(0) for a model without random effects
}

# Lower-triangular L with L L' = S for a positive semidefinite S (zero pivots give zero columns).
semidefinite_cholesky <- function(S) {
  p <- nrow(S)
  L <- matrix(0, p, p)
  for (j in seq_len(p)) {
    prev <- seq_len(j - 1L)
    L[j, j] <- sqrt(max(S[j, j] - sum(L[j, prev]^2), 0))
    for (i in seq_len(p - j) + j) {
      L[i, j] <- if (L[j, j] > 0) (S[i, j] - sum(L[i, prev] * L[j, prev])) / L[j, j] else 0
    }
  }
  L
}

# Profiled ML deviance with parameter `name` fixed at x (variance parameter or fixed effect).
profiled_deviance <- function(ctx, name, x) {
  if (identical(ctx$kind, "glmm")) return(glmm_profiled_deviance(ctx, name, x))
  if (name %in% names(ctx$w)) profiled_deviance_variance(ctx, match(name, names(ctx$w)), x)
  else profiled_deviance_fixed(ctx, match(name, names(ctx$beta)), x)
}

# Natural parameter k fixed at x: minimize over the others (with sigma) by L-BFGS-B.
profiled_deviance_variance <- function(ctx, k, x) {
  nw <- length(ctx$w)
  free <- seq_len(nw)[-k]
  dev_w <- function(zfree) {
    w <- ctx$w
    w[k] <- x
    w[free] <- zfree
    ml_deviance(ctx$core, natural_to_theta(w[-nw], w[nw], ctx$re), w[nw], ctx$n)
  }
  if (!length(free)) return(dev_w(numeric(0)))   # sigma alone (no random effects): nothing to minimize
  key <- names(ctx$w)[k]
  start <- if (is.null(ctx$warm[[key]])) ctx$w[free] else ctx$warm[[key]]
  opt <- stats::optim(start, dev_w, method = "L-BFGS-B", lower = ctx$lower[free], upper = ctx$upper[free],
                      control = list(parscale = ctx$scale[free], factr = 1e4, pgtol = 0))
  ctx$warm[[key]] <- opt$par
  opt$value
}

# Fixed effect j fixed at x: for given theta the deviance minimized over the other fixed effects
# and sigma is closed-form (pwrss grows by (x - beta_j(theta))^2 / [(RX'RX)^-1]_jj); minimize over theta.
profiled_deviance_fixed <- function(ctx, j, x) {
  n <- ctx$n
  dev_theta <- function(theta) {
    st <- cpp_lmm_state(ctx$core, theta, FALSE)
    vjj <- chol2inv(st$RX)[j, j]
    pwrss <- st$pwrss + (x - st$beta[j])^2 / vjj
    st$logdet_L2 + n * (1 + log(2 * pi * pwrss / n))
  }
  if (!length(ctx$theta)) return(dev_theta(numeric(0)))   # no random effects: closed form
  key <- names(ctx$beta)[j]
  start <- if (is.null(ctx$warm[[key]])) ctx$theta else ctx$warm[[key]]
  opt <- stats::optim(start, dev_theta, method = "L-BFGS-B", lower = ctx$theta_lower,
                      control = list(parscale = pmax(abs(ctx$theta), 0.05), factr = 1e4, pgtol = 0))
  ctx$warm[[key]] <- opt$par
  opt$value
}

# Signed square root of the deviance increase at x.
profile_zeta <- function(ctx, name, x) {
  est <- ctx$estimates[[name]]
  if (x == est) return(0)
  sign(x - est) * sqrt(max(profiled_deviance(ctx, name, x) - ctx$dev_min, 0))
}

# The end of the interval on side `direction` (-1, +1): where zeta = direction * z. Steps out
# from the estimate by linear extrapolation of zeta, then solves with uniroot().
profile_endpoint <- function(ctx, name, direction, z) {
  est <- ctx$estimates[[name]]
  is_var <- name %in% names(ctx$w)
  bounds <- if (is_var) c(ctx$lower, ctx$upper)[match(name, names(ctx$w)) + c(0L, length(ctx$w))] else c(-Inf, Inf)
  step <- if (is_var) max(0.25 * abs(est), 0.05 * ctx$step_floor) else z * ctx$beta_se[[name]]
  if (is_var && bounds[2L] == 1) step <- 0.2
  clamp <- function(v) min(max(v, bounds[1L]), bounds[2L])
  prev <- est
  zprev <- 0
  x <- clamp(est + direction * step)
  ctx$warm[[name]] <- NULL
  for (iter in 1:40) {
    zx <- profile_zeta(ctx, name, x)
    if (direction * zx >= z) {
      root <- stats::uniroot(function(v) profile_zeta(ctx, name, v) - direction * z, sort(c(prev, x)),
                             f.lower = if (direction > 0) zprev - z else zx + z,
                             f.upper = if (direction > 0) zx - z else zprev + z,
                             tol = 1e-7 * max(abs(est), abs(x), 1e-8))
      return(root$root)
    }
    if (x == bounds[(direction + 3) / 2]) return(x)   # the profile stays below the cutoff
    slope <- (zx - zprev) / (x - prev)
    jump <- if (is.finite(slope) && direction * slope > 0) (direction * z - zx) / slope * 1.2 else direction * 2 * abs(x - prev)
    prev <- x
    zprev <- zx
    x <- clamp(x + direction * max(abs(jump), 0.05 * abs(x - est)))
  }
  NA_real_
}

# ---- Profiles of GLMMs: the Laplace deviance (adaptive quadrature with nAGQ > 1), minimized over
# the other parameters with one held fixed. Every parameter is made a coordinate of the core's
# parameter vector (theta of scaled columns, conditioned fixed effects z with beta = A z, log
# dispersion): a scalar term's SD is its theta; a fixed effect is the last column of a core whose
# design has that column moved last (A is upper triangular, so beta_last = A[p, p] z_last); the
# SDs and correlations of a vector term are fixed as a block, the block's other natural
# parameters optimized outside. The core is reached only through laplace_minimum().

# Profile context of a GLMM: designs (cores) by column order, estimates, bounds, minimum deviance.
glmm_profile_context <- function(object) {
  re <- core_terms(object$re)   # the terms as the core fits them (R/re_terms.R)
  nv <- length(object$theta)
  p <- length(object$beta)
  disp <- !is.null(object$dispersion)
  ctx <- new.env(parent = emptyenv())
  ctx$kind <- "glmm"
  ctx$object <- object
  ctx$re <- re
  ctx$s <- if (is.null(object$re_scale)) lapply(re, function(t) rep(1, ncol(t$Xt))) else object$re_scale
  ctx$designs <- list()
  ctx$core <- NULL
  w <- theta_to_natural(object$theta, 1, re)
  names(w) <- sprintf(".sig%02d", seq_len(nv))
  if (disp) w <- c(w, .sigma = object$dispersion)
  is_cor <- c(!theta_diagonal_mask(re), if (disp) FALSE)
  ctx$w <- w
  ctx$beta <- object$beta
  ctx$names <- c(names(w), names(object$beta))
  ctx$estimates <- as.list(c(w, object$beta))
  ctx$lower <- ifelse(is_cor, -1, 0)
  if (disp) ctx$lower[length(w)] <- 1e-8 * object$dispersion
  ctx$upper <- ifelse(is_cor, 1, Inf)
  ctx$scale <- ifelse(is_cor, 0.1, pmax(abs(w), 1e-3))
  ctx$beta_se <- sqrt(diag(object$vcov))
  ctx$step_floor <- 1
  ctx$term_of <- rep(seq_along(re), theta_lengths(re))
  base <- glmm_profile_design(ctx, seq_len(p))
  ctx$par_hat <- c(scale_theta(object$theta, re, ctx$s), drop(base$A_inv %*% object$beta), if (disp) log(object$dispersion))
  ctx$dev_min <- min(laplace_minimum(base, ctx$par_hat, integer(0))$deviance, object$deviance + 2 * loglik_shift(object))   # the core's scale
  ctx$warm <- list()
  ctx
}

# A core for the fit's data with the fixed-effect columns in `order`, conditioned (X A, A = sqrt(n) R^-1).
glmm_profile_design <- function(ctx, order) {
  key <- paste(order, collapse = ",")
  if (!is.null(ctx$designs[[key]])) return(ctx$designs[[key]])
  object <- ctx$object
  cond <- condition_design(object$X[, order, drop = FALSE])
  codes <- family_codes(object$family)
  nagq <- if (is.null(object$nAGQ)) 1L else object$nAGQ
  core <- glmm_core(cond$X, object$y, object$prior_weights, object$offset, ctx$re, ctx$s, codes, nagq)
  design <- list(core = core, A = cond$A, A_inv = cond$A_inv, order = order, ntheta = length(object$theta),
                 lower = c(cpp_glmm_theta_lower(core), rep(-Inf, length(order) + !is.null(object$dispersion))))
  ctx$designs[[key]] <- design
  design
}

# The one entry to the C++ core: minimum of the Laplace deviance over par, the coordinates
# `fixed` held at their values in par0 (BOBYQA with lower = upper there).
laplace_minimum <- function(design, par0, fixed) {
  lower <- design$lower
  upper <- rep(Inf, length(par0))
  lower[fixed] <- upper[fixed] <- par0[fixed]
  if (length(fixed) == length(par0)) return(list(par = par0, deviance = cpp_glmm_objective(design$core, par0)))
  steps <- ifelse(seq_along(par0) <= design$ntheta, 0.1, 0.05)
  opt <- cpp_glmm_optimize(design$core, pmax(par0, lower), lower, upper,
                           list(ftol_abs = 1e-10, ftol_rel = 1e-13, xtol_abs = 1e-9, maxeval = 20000L, initial_steps = steps))
  list(par = opt$par, deviance = opt$deviance)
}

# Laplace deviance with parameter `name` fixed at x, minimized over the others.
glmm_profiled_deviance <- function(ctx, name, x) {
  ntheta <- length(ctx$object$theta)
  p <- length(ctx$beta)
  if (name %in% names(ctx$beta)) {
    j <- match(name, names(ctx$beta))
    design <- glmm_profile_design(ctx, c(seq_len(p)[-j], j))
    par0 <- if (is.null(ctx$warm[[name]])) {
      c(ctx$par_hat[seq_len(ntheta)], drop(design$A_inv %*% ctx$beta[design$order]), ctx$par_hat[-seq_len(ntheta + p)])
    } else ctx$warm[[name]]
    par0[ntheta + p] <- x / design$A[p, p]
    fixed <- ntheta + p
  } else {
    design <- glmm_profile_design(ctx, seq_len(p))
    par0 <- if (is.null(ctx$warm[[name]])) ctx$par_hat else ctx$warm[[name]]
    k <- match(name, names(ctx$w))
    if (k > ntheta) {   # the dispersion
      par0[length(par0)] <- log(x)
      fixed <- length(par0)
    } else if (sum(ctx$term_of == ctx$term_of[k]) == 1L) {   # a scalar term's SD
      par0[k] <- x * ctx$s[[ctx$term_of[k]]]
      fixed <- k
    } else {
      return(glmm_profiled_block(ctx, design, name, k, x, par0))
    }
  }
  opt <- laplace_minimum(design, par0, fixed)
  ctx$warm[[name]] <- opt$par
  opt$deviance
}

# A vector term's SD or correlation k fixed at x: its block's other natural parameters by
# L-BFGS-B outside, everything else (other terms, fixed effects, dispersion) by the core inside.
glmm_profiled_block <- function(ctx, design, name, k, x, par0) {
  block <- which(ctx$term_of == ctx$term_of[k])
  free <- setdiff(block, k)
  w <- ctx$w[seq_along(ctx$object$theta)]
  inner <- par0
  dev_block <- function(vfree) {
    w[k] <- x
    w[free] <- vfree
    th <- scale_theta(natural_to_theta(w, 1, ctx$re), ctx$re, ctx$s)
    inner[block] <- th[block]
    opt <- laplace_minimum(design, inner, block)
    if (is.finite(opt$deviance)) inner <<- opt$par
    opt$deviance
  }
  start <- if (is.null(ctx$warm[[paste0(name, "_block")]])) ctx$w[free] else ctx$warm[[paste0(name, "_block")]]
  opt <- stats::optim(start, dev_block, method = "L-BFGS-B", lower = ctx$lower[free], upper = ctx$upper[free],
                      control = list(parscale = ctx$scale[free], factr = 1e5, pgtol = 0))
  ctx$warm[[paste0(name, "_block")]] <- opt$par
  ctx$warm[[name]] <- inner
  opt$value
}
