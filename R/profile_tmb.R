# profile_tmb.R: likelihood profiles in glmmTMB's form (profile.glmmTMB, glmmTMB 1.1.5): each of
# glmmTMB's internal parameters psi (the rows of vcov(m, full = TRUE): fixed effects,
# "d~(Intercept)", "theta_<term>.k" = log SDs and correlation parameters; R/confint_tmb.R) is held
# at values along a line from its estimate, the others re-estimated (R/confint.R's profiled
# deviance, reached through the SD, correlation or dispersion that is a monotone function of it),
# and the result is the negative log-likelihood's rise, `value`, at each value `.focal`. The points
# are placed as TMB's tmbprofile() places them: steps from the estimate starting at stepfac
# standard errors, halved or doubled to keep the rise between two points near
# qchisq(level_max, 1) / npts, until the rise passes qchisq(level_max, 1).

# glmmTMB's profile: a data frame of class "profile.glmmlab_tmb" (also "profile.glmmTMB"), columns
# .par (a factor), .focal, value.
profile_tmb_form <- function(fitted, parm, level_max, npts, stepfac, stderr, trace, parallel, ncpus, cl) {
  if (isTRUE(fitted$REML)) {
    stop("profile() in glmmTMB's form profiles the likelihood and needs an ML fit (REML = FALSE), as in glmmTMB; use form = \"lme4\" for the ML profile of a REML fit",
         call. = FALSE)
  }
  check_level(level_max)
  check_positive_number(npts, "npts")   # R/diagnose.R
  check_positive_number(stepfac, "stepfac")
  trace <- check_trace(trace)
  cores <- profile_tmb_cores(parallel, ncpus, cl)
  has_disp <- has_dispersion_parameter(fitted)
  psi_names <- tmb_parameter_names(fitted, has_disp)
  chosen <- select_tmb_parameters(fitted, parm, psi_names, full = TRUE)
  targets <- lapply(chosen, function(k) tmb_profile_target(fitted, k, has_disp))   # before any work: errors early
  psi <- tmb_psi(fitted)
  ctx <- profile_context(fitted)
  sds <- profile_tmb_stderr(fitted, chosen, psi_names, stderr, ctx, targets, psi)
  ytol <- stats::qchisq(level_max, 1)
  pieces <- run_parallel_or_stop(seq_along(chosen), function(i) {
    if (trace > 0) cat("parameter", psi_names[chosen[i]], "\n")
    core_clear_cache(ctx$core)   # each parameter's profile from the same state, on any core
    tmb_profile_line(ctx, targets[[i]], psi[[chosen[i]]], stepfac * sds[i], ytol, ytol / npts, ceiling(5 * npts))
  }, cores)
  out <- do.call(rbind, c(Map(function(line, nm) {
    data.frame(.par = factor(nm), .focal = line$x, value = line$y - min(line$y, na.rm = TRUE),
               row.names = line$id, stringsAsFactors = TRUE)
  }, pieces, psi_names[chosen]), list(stringsAsFactors = TRUE)))
  class(out) <- c("profile.glmmlab_tmb", "profile.glmmTMB", "data.frame")
  out
}

# One parameter's profile, as tmbprofile(): walks up, then down, from the estimate psi_hat with
# first step h; x the parameter's values, y the negative log-likelihood (up to a constant) and id
# the row names tmbprofile() gives the points (their order of evaluation).
tmb_profile_line <- function(ctx, target, psi_hat, h, ytol, ystep, maxit) {
  nll <- function(x) {
    if (x == psi_hat) return(ctx$dev_min / 2)
    d <- tryCatch(profiled_deviance(ctx, target$name, target$natural(x)), error = function(e) NA_real_)
    if (is.finite(d)) d / 2 else NA_real_
  }
  walk <- function(h) {
    ctx$warm[[target$name]] <- NULL   # each direction from the estimate
    ctx$warm[[paste0(target$name, "_block")]] <- NULL
    x <- psi_hat
    y <- nll(x)
    for (it in seq_len(maxit)) {
      x_next <- x[length(x)] + h
      y_next <- nll(x_next)
      step <- abs(y_next - y[length(y)])
      x <- c(x, x_next)
      y <- c(y, y_next)
      if (is.na(y_next) || abs(y_next - y[1L]) > ytol) break
      if (step > ystep) h <- h / 2
      if (step < (if (y_next >= y[1L]) ystep / 4 else ystep / 8)) h <- h * 2
    }
    list(x = x, y = y)
  }
  up <- walk(h)
  down <- walk(-h)
  x <- c(up$x, down$x)
  ord <- order(x)
  list(x = x[ord], y = c(up$y, down$y)[ord], id = as.character(seq_along(x))[ord])
}

# The standard errors that set the first steps: vcov(m, full = TRUE)'s (without random effects:
# vcov(m)'s and the dispersion's from the curvature of its profile), or `stderr` (one number for
# all, or one per profiled parameter with NA for "the standard error").
profile_tmb_stderr <- function(fitted, chosen, psi_names, stderr, ctx, targets, psi) {
  sds <- if (length(fitted$re)) sqrt(diag(suppressWarnings(vcov.glmmlab(fitted, full = TRUE))))[chosen] else {   # NaN: error below
    p <- length(fitted$beta)
    vapply(seq_along(chosen), function(i) {
      if (chosen[i] <= p) sqrt(fitted$vcov[chosen[i], chosen[i]]) else profile_curvature_se(ctx, targets[[i]], psi[[chosen[i]]])
    }, numeric(1))
  }
  if (!is.null(stderr)) {
    if (!is.numeric(stderr) || !length(stderr) || any(stderr[!is.na(stderr)] <= 0) || !all(is.finite(stderr[!is.na(stderr)]))) {
      stop("`stderr` must be positive numbers (NA: the parameter's standard error)", call. = FALSE)
    }
    if (length(stderr) == 1L) stderr <- rep(stderr, length(sds))
    if (length(stderr) != length(sds)) {
      stop(sprintf("`stderr` must have length 1 or the number of profiled parameters (%d)", length(sds)), call. = FALSE)
    }
    sds[!is.na(stderr)] <- stderr[!is.na(stderr)]
  }
  bad <- !is.finite(sds) | sds <= 0
  if (any(bad)) {
    stop(sprintf("no standard error for %s (vcov(m, full = TRUE) has none): give the profile's step scale by `stderr`",
                 paste(psi_names[chosen][bad], collapse = ", ")), call. = FALSE)
  }
  if (any(sds > 1e3)) warning("very large standard errors for parameters: ", paste(psi_names[chosen][sds > 1e3], collapse = ", "), call. = FALSE)
  sds
}

# The standard error of a parameter from the curvature of its profiled deviance at the estimate
# (the inverse Hessian's diagonal element), by a central second difference.
profile_curvature_se <- function(ctx, target, psi_hat) {
  h <- 1e-3 * max(1, abs(psi_hat))
  dev <- function(x) profiled_deviance(ctx, target$name, target$natural(x))
  curvature <- (dev(psi_hat + h) - 2 * ctx$dev_min + dev(psi_hat - h)) / h^2
  if (!is.finite(curvature) || curvature <= 0) NA_real_ else sqrt(2 / curvature)
}

# Number of processes from glmmTMB's parallel and ncpus ("multicore" and "snow" both run in
# forked processes here); a cluster `cl` is refused.
profile_tmb_cores <- function(parallel, ncpus, cl) {
  if (identical(parallel, c("no", "multicore", "snow"))) parallel <- "no"
  if (!is.character(parallel) || length(parallel) != 1L || !parallel %in% c("no", "multicore", "snow")) {
    stop("`parallel` must be \"no\", \"multicore\" or \"snow\"", call. = FALSE)
  }
  if (!is.null(cl)) {
    stop("`cl` (a cluster) is not supported: glmmlab runs profiles in forked processes; use parallel = \"multicore\" and ncpus",
         call. = FALSE)
  }
  ncpus <- check_cores(ncpus, "ncpus")   # R/bootstrap.R
  if (parallel == "no") 1L else ncpus
}

# glmmTMB's trace: FALSE/TRUE or a number (> 0 prints each parameter's name as it starts).
check_trace <- function(trace) {
  if (!(is.logical(trace) || is.numeric(trace)) || length(trace) != 1L || is.na(trace)) {
    stop("`trace` must be TRUE, FALSE or a number", call. = FALSE)
  }
  as.numeric(trace)
}

#' Confidence intervals from a profile in glmmTMB's form
#'
#' As `confint()` of a 'glmmTMB' profile: for each parameter, the values of `.focal` where the
#' negative log-likelihood's rise, `value`, equals `qchisq(level, 1) / 2`, read off an
#' interpolating spline of `value` on `.focal` inverted on each side of the minimum
#' ([splines::interpSpline()], [splines::backSpline()]). The limits are on the profiled
#' parameters' scale (log SDs, correlation parameters, log dispersion, as
#' `vcov(m, full = TRUE)`). A side the profile does not reach is `NA`, with a warning (profile
#' with a larger `level_max`); a spline that is not monotone falls back, with a warning, to
#' linear interpolation.
#'
#' The upper limits are 'glmmTMB''s. The lower limits are the spline's true crossing: 'glmmTMB'
#' 1.1.5 inverts the spline below the minimum, where `value` decreases, with
#' [splines::backSpline()], which evaluates each piece of a decreasing spline with its
#' neighbour's polynomial, so its lower limits are off (for `lm(Reaction ~ Days)` on sleepstudy
#' with `npts = 4`, the intercept's exact limit is 238.453; glmmTMB gives 238.234, this method
#' 238.444; on badly curved profiles glmmTMB's can be far outside the profile).
#'
#' @param object a profile from [profile.glmmlab()] in glmmTMB's form.
#' @param parm parameters (names or positions among the profiled ones); default all.
#' @param level the confidence level.
#' @param ... not used.
#' @return A matrix with one row per parameter and the lower and upper limits (`"2.5 %"`, `"97.5 %"`).
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + 2 * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' confint(profile(m, parm = "theta_"))
#' @export
confint.profile.glmmlab_tmb <- function(object, parm = NULL, level = 0.95, ...) {
  warn_unused_dots(...)
  check_level(level)
  by_par <- split(as.data.frame(object), object$.par)
  if (is.null(parm)) parm <- seq_along(by_par)
  if (is.character(parm) && !all(parm %in% names(by_par)) || is.numeric(parm) && any(!parm %in% seq_along(by_par)) ||
      !is.character(parm) && !is.numeric(parm)) {
    stop(sprintf("`parm` must be names or positions of the profiled parameters: %s", paste(names(by_par), collapse = ", ")),
         call. = FALSE)
  }
  half_value <- stats::qchisq(level, 1) / 2
  short <- character(0)
  out <- t(vapply(by_par[parm], function(d) {
    d <- d[!duplicated(d$.focal) & is.finite(d$value), , drop = FALSE]
    upper <- d$.focal > d$.focal[which.min(d$value)]
    ends <- c(profile_half_crossing(d[!upper, ], half_value, -1), profile_half_crossing(d[upper, ], half_value, 1))
    if (anyNA(ends)) short <<- c(short, as.character(d$.par[1L]))
    ends
  }, numeric(2)))
  if (length(short)) {
    warning(sprintf("the profile of %s does not reach the level's cutoff on one side (NA): profile with a larger level_max",
                    paste(unique(short), collapse = ", ")), call. = FALSE)
  }
  colnames(out) <- format_percent(c((1 - level) / 2, (1 + level) / 2))
  out
}

# Where one side of a profile reaches `target` (side -1: below the minimum, +1: above): the
# inverse of the interpolating spline of value on .focal, at target; NA when that side does not
# reach it. Below the minimum the spline is fitted on -.focal, so that value increases along it:
# splines::backSpline() inverts a decreasing spline with each piece's neighbour's polynomial
# (glmmTMB 1.1.5 does that, so its lower limits are off, by 0.2 for the intercept of
# lm(Reaction ~ Days) with npts = 4). A spline that is not monotone (a flat stretch of the
# profile) falls back, with a warning, to linear interpolation between the two points around
# the first crossing from the minimum outwards.
profile_half_crossing <- function(half, target, side) {
  if (nrow(half) < 2L || max(half$value) < target) return(NA_real_)
  along <- side * half$.focal
  crossing <- tryCatch(stats::predict(splines::backSpline(splines::interpSpline(along, half$value)), target)$y,
                       error = function(e) {
    warning(sprintf("the spline of the profile of %s is not monotone: falling back to linear interpolation", half$.par[1L]),
            call. = FALSE)
    ord <- order(half$value)   # outwards from the minimum
    k <- which(half$value[ord] >= target)[1L]
    stats::approx(half$value[ord][c(k - 1L, k)], along[ord][c(k - 1L, k)], target)$y
  })
  side * crossing
}
