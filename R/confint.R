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
#' @param cores number of processes: profiles run one parameter per process, bootstrap refits in
#'   parallel (see [bootstrap()]); default `getOption("mc.cores", 1L)`. The intervals do not
#'   depend on the number of cores.
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
                            seed = NULL, progress = FALSE, cores = getOption("mc.cores", 1L), ...) {
  method <- tolower(match.arg(method))
  component <- match.arg(component)
  if (has_model_components(object)) {
    if (method != "wald") check_no_components(object, sprintf("confint(method = \"%s\")", method))
    return(component_wald_intervals(object, parm, level, estimate))   # R/components.R
  }
  check_level(level)
  cores <- check_cores(cores)
  check_flag(estimate, "estimate")
  check_flag(full, "full")
  cores <- check_cores(cores)
  if (method == "wald") {
    warn_unused_dots(...)
    return(wald_intervals_tmb(object, parm, level, component, estimate, full))   # R/confint_tmb.R
  }
  if (method == "uniroot") return(uniroot_intervals_tmb(object, parm, level, estimate, full))
  if (method == "boot") {
    all_names <- names(boot_parameters(object))
    which <- select_parameters(all_names, parm, names(object$beta), wald = FALSE)
    b <- bootstrap(object, nsim = nsim, seed = seed, progress = progress, cores = cores)
    if (b$nfail) message(sprintf("%d of %d bootstrap refits failed and were left out", b$nfail, b$nsim))
    return(confint.glmmlab_boot(b, which, level))
  }
  z <- stats::qnorm((1 + level) / 2)
  cols <- format_percent(c((1 - level) / 2, (1 + level) / 2))
  ctx <- profile_context(object)
  which <- select_parameters(ctx$names, parm, names(object$beta), wald = FALSE)
  ends <- run_parallel_or_stop(as.list(which), function(nm) {
    core_clear_cache(ctx$core)   # each parameter's profile from the same state, on any core
    c(profile_endpoint(ctx, nm, -1, z), profile_endpoint(ctx, nm, 1, z))
  }, cores)
  out <- do.call(rbind, ends)
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

# Everything the profiles need: the core (the fit's own, read by the ML criterion), the ML
# estimates (theta, natural w, beta), the minimum deviance, bounds and scales, and a store of
# warm starts for the inner optimizations.
profile_context <- function(object) {
  if (!is.null(object$shape)) {
    stop(sprintf("likelihood profiles are not available for the %s family (its shape parameter is not profiled); use method = \"wald\" or \"boot\"",
                 object$family$family), call. = FALSE)
  }
  if (object$map$kind == "glmm") return(glmm_profile_context(object))
  core <- ensure_core(object)
  core$reml <- FALSE   # profiles use the ML deviance, as lme4's do (also for REML fits)
  theta <- object$theta
  lower <- core_lower(core)
  if (isTRUE(object$REML)) {
    ml_control <- glmm_control()
    ml_control$scale <- rep(1 / object$map$unit, length(theta))   # as fit_lmm()
    theta <- lmm_optimize(core, theta, ml_control, lmm_optimizer(ml_control, length(theta)))$par
  }
  st <- core_state(core, theta)
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
  ctx$theta_lower <- lower
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

# ML deviance (up to a constant) at theta and residual SD sigma, minimized over beta.
ml_deviance <- function(core, theta, sigma, n) {
  st <- core_state(core, theta, reml = FALSE)
  st$logdet_L2 + n * log(2 * pi * sigma^2) + st$pwrss / sigma^2
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
    ml_deviance(ctx$core, as.numeric(natural_to_theta(w[-nw], w[nw], ctx$re)), w[nw], ctx$n)   # numeric(0) without random effects
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
    st <- core_state(ctx$core, theta, reml = FALSE)
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
# the other parameters with one held fixed, on the fit's own core. The search runs along
# directions of the core's parameter vector (R/parameter_map.R) that keep the profiled parameter
# fixed: the other coordinates for a scalar term's SD (its theta) or the dispersion (log phi);
# for a fixed effect beta_j = a_j' z (a_j row j of A), an orthonormal basis of the z with
# a_j' z = 0, so the steps stay on the conditioned scale. The SDs and correlations of a vector
# term are fixed as a block, the block's other natural parameters optimized outside. The core is
# reached only through profile_minimum().

# Profile context of a GLMM: the core, estimates, bounds, minimum deviance.
glmm_profile_context <- function(object) {
  if (isTRUE(object$REML)) {
    stop("profile intervals are not available for GLMMs fitted by REML; refit with REML = FALSE, or use method = \"boot\" or \"wald\"",
         call. = FALSE)
  }
  re <- core_terms(object$re)   # the terms as the core fits them (R/re_terms.R)
  map <- object$map
  nv <- length(object$theta)
  disp <- !is.null(object$dispersion)
  ctx <- new.env(parent = emptyenv())
  ctx$kind <- "glmm"
  ctx$object <- object
  ctx$re <- re
  ctx$map <- map
  ctx$core <- ensure_core(object)
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
  ctx$par_hat <- map_internal(map, object$theta, object$beta, object$dispersion)
  ctx$par_lower <- core_lower(ctx$core)
  ctx$dev_min <- min(core_objective(ctx$core, ctx$par_hat), object$deviance + 2 * loglik_shift(object))   # the core's scale
  ctx$warm <- list()
  ctx
}

# The minimum of the Laplace deviance over par = origin + T v (T: `directions`, one column per
# free direction; identity columns for free coordinates), from v = 0, by BOBYQA.
profile_minimum <- function(ctx, origin, directions) {
  if (!ncol(directions)) return(list(par = origin, deviance = core_objective(ctx$core, origin)))
  # bounds on v: theta's lower bounds along the coordinate columns, none along the others
  coordinate <- apply(directions, 2L, function(d) sum(d != 0) == 1L && max(abs(d)) == 1)
  which_coord <- apply(directions, 2L, function(d) which.max(abs(d)))
  lower <- ifelse(coordinate, ctx$par_lower[which_coord] - origin[which_coord], -Inf)
  steps <- ifelse(coordinate & which_coord <= length(ctx$object$theta), 0.1, 0.05)
  opt <- core_optimize(ctx$core, origin, pmin(lower, 0), rep(Inf, ncol(directions)),
                       list(ftol_abs = 1e-10, ftol_rel = 1e-13, xtol_abs = 1e-9, maxeval = 20000L, initial_steps = steps),
                       directions = directions)
  list(par = opt$par, deviance = opt$deviance)
}

# Identity columns for the coordinates `free` of a parameter vector of length n.
coordinate_directions <- function(n, free) diag(n)[, free, drop = FALSE]

# Laplace deviance with parameter `name` fixed at x, minimized over the others.
glmm_profiled_deviance <- function(ctx, name, x) {
  ntheta <- length(ctx$object$theta)
  p <- length(ctx$beta)
  par0 <- if (is.null(ctx$warm[[name]])) ctx$par_hat else ctx$warm[[name]]
  n <- length(par0)
  if (name %in% names(ctx$beta)) {
    j <- match(name, names(ctx$beta))
    a <- ctx$map$A[j, ]
    zi <- ntheta + seq_len(p)
    z <- par0[zi]
    par0[zi] <- z + a * (x - sum(a * z)) / sum(a^2)   # on the plane a'z = x
    basis <- qr.Q(qr(matrix(a, p)), complete = TRUE)[, -1L, drop = FALSE]   # orthonormal, a'basis = 0
    directions <- matrix(0, n, n - 1L)
    directions[-zi, -(ntheta + seq_len(p - 1L))] <- diag(n - p)
    directions[zi, ntheta + seq_len(p - 1L)] <- basis
  } else {
    k <- match(name, names(ctx$w))
    if (k > ntheta) {   # the dispersion
      par0[n] <- log(x)
      directions <- coordinate_directions(n, -n)
    } else if (sum(ctx$term_of == ctx$term_of[k]) == 1L) {   # a scalar term's SD
      par0[k] <- x * ctx$map$re_scale[[ctx$term_of[k]]]
      directions <- coordinate_directions(n, -k)
    } else {
      return(glmm_profiled_block(ctx, name, k, x, par0))
    }
  }
  opt <- profile_minimum(ctx, par0, directions)
  ctx$warm[[name]] <- opt$par
  opt$deviance
}

# A vector term's SD or correlation k fixed at x: its block's other natural parameters by
# L-BFGS-B outside, everything else (other terms, fixed effects, dispersion) by the core inside.
glmm_profiled_block <- function(ctx, name, k, x, par0) {
  block <- which(ctx$term_of == ctx$term_of[k])
  free <- setdiff(block, k)
  w <- ctx$w[seq_along(ctx$object$theta)]
  inner <- par0
  directions <- coordinate_directions(length(par0), -block)
  dev_block <- function(vfree) {
    w[k] <- x
    w[free] <- vfree
    th <- scale_theta(natural_to_theta(w, 1, ctx$re), ctx$re, ctx$map$re_scale)
    inner[block] <- th[block]
    opt <- profile_minimum(ctx, inner, directions)
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
