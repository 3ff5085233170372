# profile.R: likelihood profiles of a fit (the deviance along one parameter, the others
# re-estimated; the computations are in R/confint.R) and the confidence intervals read off them.

#' Likelihood profiles of a mixed model
#'
#' The signed square root of the deviance increase (ML deviance for linear mixed models, the
#' Laplace deviance for GLMMs), zeta, along each parameter, the other parameters re-estimated at
#' every point: a straight line in zeta means the Wald approximation is good. Parameters and
#' their names are those of [confint.glmmlab()].
#'
#' @param fitted a fitted `"glmmlab"` model from [glmm()].
#' @param which parameters to profile (as `parm` of [confint.glmmlab()]); default all.
#' @param level the profile covers the interval of this confidence level.
#' @param npoints number of points along each parameter.
#' @param parm,npts,level_max glmmTMB's names for `which`, `npoints` and `level`.
#' @param alphamax lme4's way to give the level: `level = 1 - alphamax`.
#' @param cores number of processes (one parameter per process; see [confint.glmmlab()]).
#' @param prof.scale lme4's scale of the variance parameters: `"sdcor"` (standard deviations and
#'   correlations, the default) or `"varcov"` (variances: the profile's values squared, which is
#'   exact as zeta does not depend on the scale; profiles of covariances are not available, so
#'   leave correlation parameters out of `which` with `"varcov"`).
#' @param signames lme4's naming: `TRUE` (the default) names the variance parameters `.sig01`,
#'   `.sig02`, ... and `.sigma`; `FALSE` gives lme4's long names (`"sd_(Intercept)|Subject"`,
#'   `"cor_Days.(Intercept)|Subject"`, `"sigma"`; `"var_"`/`"cov_"` with `prof.scale = "varcov"`).
#' @param ... other arguments of the peers' profile() methods are an error.
#' @return A data frame of class `"profile.glmmlab"` with columns `.par` (parameter name),
#'   `.value` (its value) and `.zeta`.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' d <- data.frame(y, x, g)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' pr <- profile(m, which = ".sigma", npoints = 5)
#' pr
#' confint(pr)
#' @importFrom stats profile
#' @export
profile.glmmlab <- function(fitted, which = NULL, level = 0.99, npoints = 11, parm = NULL, npts = NULL,
                            level_max = NULL, alphamax = NULL, cores = getOption("mc.cores", 1L),
                            prof.scale = c("sdcor", "varcov"), signames = TRUE, ...) {
  check_no_components(fitted, "profile()")
  if (...length()) {
    stop(sprintf("profile() of a glmm fit does not take argument(s) %s; it takes which (or parm), level (or level_max, alphamax), npoints (or npts), prof.scale and signames",
                 paste(sQuote(names(list(...)), FALSE), collapse = ", ")), call. = FALSE)
  }
  which <- peer_alias(which, parm, "which", "parm")
  npoints <- peer_alias(npoints, npts, "npoints", "npts", default = 11)
  level <- peer_alias(level, level_max, "level", "level_max", default = 0.99)
  if (!is.null(alphamax)) level <- peer_alias(level, 1 - alphamax, "level", "alphamax", default = 0.99)
  check_level(level)
  if (!is.numeric(npoints) || length(npoints) != 1L || npoints < 3) {
    stop("`npoints` must be a number of at least 3", call. = FALSE)
  }
  if (identical(prof.scale, c("sdcor", "varcov"))) prof.scale <- "sdcor"
  if (!is.character(prof.scale) || length(prof.scale) != 1L || !prof.scale %in% c("sdcor", "varcov")) {
    stop("`prof.scale` must be \"sdcor\" or \"varcov\"", call. = FALSE)
  }
  check_flag(signames, "signames")
  z <- stats::qnorm((1 + level) / 2)
  ctx <- profile_context(fitted)
  which <- select_parameters(ctx$names, which, names(fitted$beta), wald = FALSE)
  labels <- profile_labels(ctx, names(fitted$beta))
  if (prof.scale == "varcov" && any(labels$is_cor[which])) {
    stop(sprintf("profiles of covariances (prof.scale = \"varcov\") are not available: leave the correlation parameter(s) %s out of `which`, or use prof.scale = \"sdcor\"",
                 paste(which[labels$is_cor[which]], collapse = ", ")), call. = FALSE)
  }
  pieces <- run_parallel(as.list(which), function(nm) {
    core_clear_cache(ctx$core)
    ends <- c(profile_endpoint(ctx, nm, -1, z), profile_endpoint(ctx, nm, 1, z))
    values <- sort(unique(c(seq(ends[1L], ends[2L], length.out = npoints), ctx$estimates[[nm]])))
    zeta <- vapply(values, function(x) profile_zeta(ctx, nm, x), numeric(1))
    data.frame(.par = nm, .value = values, .zeta = zeta, stringsAsFactors = FALSE)
  }, check_cores(cores))
  failed <- vapply(pieces, is.character, logical(1))
  if (any(failed)) stop(pieces[[which(failed)[1L]]], call. = FALSE)
  out <- do.call(rbind, pieces)
  rownames(out) <- NULL
  if (prof.scale == "varcov") {   # zeta does not depend on the scale: variances are the SDs squared
    is_sd <- out$.par %in% names(labels$is_sd)[labels$is_sd]
    out$.value[is_sd] <- out$.value[is_sd]^2
    squared <- unique(out$.par[is_sd])
  } else squared <- character(0)
  if (!signames) {
    out$.par <- unname(labels[[prof.scale]][out$.par])
    squared <- unname(labels[[prof.scale]][squared])
  }
  class(out) <- c("profile.glmmlab", "data.frame")
  if (length(squared)) attr(out, "squared") <- squared   # variances: confint() interpolates on the SD scale
  out
}


# The profiled parameters' kinds and lme4's long names (signames = FALSE), by short name:
# list(is_sd, is_cor (named logical), sdcor, varcov (named character)). The .sigNN of each term
# run over its lower triangle by column (R/confint.R), as lme4's.
profile_labels <- function(ctx, beta_names) {
  sdcor <- varcov <- character(0)
  for (t in ctx$re) {
    m <- length(t$cnms)
    rows <- row(diag(m))[lower.tri(diag(m), diag = TRUE)]
    cols <- col(diag(m))[lower.tri(diag(m), diag = TRUE)]
    diagonal <- rows == cols
    pair <- ifelse(diagonal, t$cnms[rows], paste0(t$cnms[rows], ".", t$cnms[cols]))
    sdcor <- c(sdcor, paste0(ifelse(diagonal, "sd_", "cor_"), pair, "|", t$group))
    varcov <- c(varcov, paste0(ifelse(diagonal, "var_", "cov_"), pair, "|", t$group))
  }
  n_sig <- length(sdcor)
  short <- c(sprintf(".sig%02d", seq_len(n_sig)), if (".sigma" %in% ctx$names) ".sigma", beta_names)
  sdcor <- c(sdcor, if (".sigma" %in% ctx$names) "sigma", beta_names)
  varcov <- c(varcov, if (".sigma" %in% ctx$names) "sigma", beta_names)
  is_cor <- c(startsWith(sdcor[seq_len(n_sig)], "cor_"), rep(FALSE, length(short) - n_sig))
  is_sd <- seq_along(short) <= n_sig + (".sigma" %in% ctx$names) & !is_cor
  list(is_sd = stats::setNames(is_sd, short), is_cor = stats::setNames(is_cor, short),
       sdcor = stats::setNames(sdcor, short), varcov = stats::setNames(varcov, short))
}

# An argument given under its own name or a peer's (glmmTMB's parm, npts, level_max): the one that
# differs from the default, an error when both are given and differ.
peer_alias <- function(own, peer, own_name, peer_name, default = NULL) {
  if (is.null(peer)) return(own)
  if (!identical(own, default) && !identical(own, peer)) {
    stop(sprintf("give either `%s` or `%s`, not both", own_name, peer_name), call. = FALSE)
  }
  peer
}

#' Confidence intervals from likelihood profiles
#'
#' Reads the interval of each profiled parameter off its profile: the values where the signed
#' square root of the deviance increase, zeta, crosses \eqn{\pm} `qnorm((1 + level) / 2)`, by
#' spline interpolation of zeta against the value, solved on each side of the estimate (as
#' lme4's and glmmTMB's `confint()` of a profile). An end the profile does not reach is `NA`:
#' profile with a larger `level`.
#'
#' @param object a `"profile.glmmlab"` object from [profile.glmmlab()].
#' @param parm parameters (names or positions among the profiled ones); default all.
#' @param level the confidence level; at most the level the profile was computed for.
#' @param ... not used.
#' @return A matrix with one row per parameter and the lower and upper limits (`"2.5 %"`, `"97.5 %"`).
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' confint(profile(m, which = "x"))
#' @export
confint.profile.glmmlab <- function(object, parm = NULL, level = 0.95, ...) {
  warn_unused_dots(...)
  check_level(level)
  pars <- unique(as.character(object$.par))
  which <- select_parameters(pars, parm, character(0), wald = FALSE)
  z <- stats::qnorm((1 + level) / 2)
  squared <- attr(object, "squared")
  out <- t(vapply(which, function(nm) {
    rows <- object[object$.par == nm, , drop = FALSE]
    value <- if (nm %in% squared) sqrt(rows$.value) else rows$.value   # variances: the SD's spline, squared
    ends <- c(profile_crossing(rows$.zeta, value, -z), profile_crossing(rows$.zeta, value, z))
    if (nm %in% squared) ends^2 else ends
  }, numeric(2)))
  dimnames(out) <- list(which, format_percent(c((1 - level) / 2, (1 + level) / 2)))
  out
}

# The value where a profile's zeta equals `target`: a spline of zeta on the value through all
# points (zeta is smooth and increasing in the value), solved on target's side of the estimate;
# NA when the profile does not reach it.
profile_crossing <- function(zeta, value, target) {
  keep <- is.finite(zeta) & is.finite(value)
  ord <- order(value[keep], abs(zeta[keep]))
  zeta <- zeta[keep][ord]
  value <- value[keep][ord]
  near <- c(FALSE, diff(value) <= 1e-6 * diff(range(value)))   # the estimate beside a grid point
  zeta <- zeta[!near]
  value <- value[!near]
  side <- if (target < 0) zeta <= 0 else zeta >= 0
  if (sum(side) < 2L || target < min(zeta[side]) || target > max(zeta[side])) return(NA_real_)
  f <- stats::splinefun(value, zeta, method = "fmm")
  range <- range(value[side])
  stats::uniroot(function(v) f(v) - target, range, tol = 1e-10)$root
}
