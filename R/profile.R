# profile.R: likelihood profiles of a fit (the deviance along one parameter, the others
# re-estimated; the computations are in R/confint.R) in glmmTMB's form (R/profile_tmb.R) or
# lme4's (here), and the confidence intervals read off lme4's form.

#' Likelihood profiles of a mixed model
#'
#' The likelihood along each parameter, the other parameters re-estimated at every point (the ML
#' likelihood for linear mixed models, the Laplace approximation for GLMMs). Two forms:
#'
#' **glmmTMB's** (the default, as `profile()` of a 'glmmTMB' fit): the parameters are 'glmmTMB''s
#' internal ones, the rows of `vcov(m, full = TRUE)`: fixed effects (`"Days"`), the dispersion
#' (`"d~(Intercept)"`, the log of [sigma.glmmlab()], or of its square for gaussian models, as
#' 'glmmTMB' 1.1.5) and the random-effect parameters (`"theta_1|Subject.1"`: each term's log SDs,
#' then its correlation parameters; for a term with more than two columns only its first
#' correlation parameter can be profiled). From each estimate the profile steps up and down,
#' the first step `stepfac` standard errors long, halving or doubling the step so that about
#' `npts` points fall on each side, until the negative log-likelihood has risen by
#' `qchisq(level_max, 1)` (at most `5 * npts` steps a side), as 'TMB''s `tmbprofile()` places
#' them. The result is a data frame of class `c("profile.glmmlab_tmb", "profile.glmmTMB",
#' "data.frame")` with columns `.par` (the parameter, a factor), `.focal` (its value) and
#' `value` (the rise of the negative log-likelihood from its minimum along the profile); the
#' estimate appears twice, once for each direction, as in 'glmmTMB'. [confint()] of it gives
#' 'glmmTMB''s intervals on the same scale ([confint.profile.glmmlab_tmb()]). REML fits are
#' refused, as in 'glmmTMB'.
#'
#' **lme4's** (`form = "lme4"`, also chosen when any of `which`, `alphamax`, `prof.scale`,
#' `signames`, `level`, `npoints` or `cores` is given and `form` is not): the signed square root
#' of the deviance increase, zeta, at `npoints` equally spaced values across the interval of
#' confidence level `level` and at the estimate, for the SDs and correlations (`.sig01`,
#' `.sig02`, ...), the residual SD or the dispersion (`.sigma`) and the fixed effects, named as
#' by [confint.glmmlab()]'s `method = "profile"`. A straight line in zeta means the Wald
#' approximation is good. The result is a data frame of class `"profile.glmmlab"` with columns
#' `.par`, `.value` and `.zeta`; [confint()] of it gives lme4's intervals
#' ([confint.profile.glmmlab()]). REML fits are profiled by their ML deviance, as in 'lme4'.
#'
#' @param fitted a fitted `"glmmlab"` model from [glmm()].
#' @param parm parameters to profile. glmmTMB's form: positions or names in
#'   `vcov(m, full = TRUE)`, `"beta_"`, `"theta_"` or `"disp_"`; default all. lme4's form: as
#'   `which`.
#' @param level_max glmmTMB's form: the profile reaches a rise of `qchisq(level_max, 1)`. lme4's
#'   form: the same as `level`.
#' @param npts glmmTMB's form: the target number of points on each side (approximate). lme4's
#'   form: the same as `npoints`.
#' @param stepfac glmmTMB's form: the first step, in standard errors.
#' @param stderr glmmTMB's form: standard errors setting the first steps, one for all parameters
#'   or one per profiled parameter (`NA`: the parameter's own); default those of
#'   `vcov(m, full = TRUE)`.
#' @param trace glmmTMB's form: `TRUE` (or a number > 0) prints each parameter's name as its
#'   profile starts.
#' @param parallel,ncpus glmmTMB's form: `"no"`, or `"multicore"` (or `"snow"`, run the same
#'   way) with `ncpus` processes, one parameter per process. The profile does not depend on them.
#' @param cl a cluster: not supported (an error); use `parallel` and `ncpus`.
#' @param form `"glmmTMB"` (the default unless one of lme4's form's arguments is given) or
#'   `"lme4"`.
#' @param ... the arguments of lme4's form:
#'   \describe{
#'     \item{`which`}{parameters to profile (as `parm` of [confint.glmmlab()] with
#'       `method = "profile"`: `".sig01"`, `".sigma"`, `"Days"`, positions, `"beta_"`, `"theta_"`);
#'       default all.}
#'     \item{`level`, `alphamax`}{the profile covers the interval of confidence level `level`
#'       (default 0.99), or `1 - alphamax` as in 'lme4'.}
#'     \item{`npoints`}{number of points along each parameter (default 11).}
#'     \item{`cores`}{number of processes (one parameter per process).}
#'     \item{`prof.scale`}{'lme4''s scale of the variance parameters: `"sdcor"` (standard
#'       deviations and correlations, the default) or `"varcov"` (variances: the profile's values
#'       squared, which is exact as zeta does not depend on the scale; profiles of covariances are
#'       not available, so leave correlation parameters out of `which` with `"varcov"`).}
#'     \item{`signames`}{'lme4''s naming: `TRUE` (the default) names the variance parameters
#'       `.sig01`, `.sig02`, ... and `.sigma`; `FALSE` gives lme4's long names
#'       (`"sd_(Intercept)|Subject"`, `"cor_Days.(Intercept)|Subject"`, `"sigma"`;
#'       `"var_"`/`"cov_"` with `prof.scale = "varcov"`).}
#'   }
#'   Any other argument is an error.
#' @return A data frame: in glmmTMB's form of class `"profile.glmmlab_tmb"` (also
#'   `"profile.glmmTMB"`) with columns `.par`, `.focal` and `value`; in lme4's form of class
#'   `"profile.glmmlab"` with columns `.par`, `.value` and `.zeta`.
#' @seealso [confint.profile.glmmlab_tmb()], [confint.profile.glmmlab()], [confint.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' d <- data.frame(y, x, g)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' pr <- profile(m, parm = "theta_", npts = 4)   # glmmTMB's form
#' pr
#' confint(pr)   # on the log-SD scale
#' exp(confint(pr))
#' pl <- profile(m, which = ".sigma", npoints = 5)   # lme4's form
#' pl
#' confint(pl)
#' @importFrom stats profile
#' @export
profile.glmmlab <- function(fitted, parm = NULL, level_max = 0.99, npts = 8, stepfac = 1 / 4, stderr = NULL,
                            trace = FALSE, parallel = c("no", "multicore", "snow"),
                            ncpus = getOption("profile.ncpus", 1L), cl = NULL, form = NULL, ...) {
  check_no_components(fitted, "profile()")
  dots <- list(...)
  dot_names <- if (is.null(names(dots))) rep("", length(dots)) else names(dots)
  lme4_given <- intersect(dot_names, c("which", "alphamax", "prof.scale", "signames", "level", "npoints", "cores"))
  form <- profile_form(form, lme4_given)
  if (form == "lme4") {
    tmb_given <- c("stepfac", "stderr", "trace", "parallel", "ncpus", "cl")[c(!missing(stepfac), !missing(stderr), !missing(trace),
                                                                               !missing(parallel), !missing(ncpus), !missing(cl))]
    if (length(tmb_given)) {
      stop(sprintf("argument(s) %s belong to glmmTMB's form of profile(), not to lme4's (form = \"lme4\")",
                   paste(sQuote(tmb_given, FALSE), collapse = ", ")), call. = FALSE)
    }
    return(profile_lme4_form(fitted, parm = parm, npts = if (!missing(npts)) npts,
                             level_max = if (!missing(level_max)) level_max, ...))
  }
  if (length(dots)) {
    given <- ifelse(nzchar(dot_names), dot_names, "<unnamed>")
    stop(sprintf("profile() of a glmm fit does not take argument(s) %s in glmmTMB's form; it takes parm, level_max, npts, stepfac, stderr, trace, parallel and ncpus (lme4's form, form = \"lme4\", takes which, level, alphamax, npoints, cores, prof.scale and signames)",
                 paste(sQuote(given, FALSE), collapse = ", ")), call. = FALSE)
  }
  profile_tmb_form(fitted, parm, level_max, npts, stepfac, stderr, trace, parallel, ncpus, cl)   # R/profile_tmb.R
}

# The form of profile(): `form` as given, else lme4's when one of its arguments (`lme4_given`)
# is, else glmmTMB's.
profile_form <- function(form, lme4_given) {
  if (is.null(form)) return(if (length(lme4_given)) "lme4" else "glmmTMB")
  if (!is.character(form) || length(form) != 1L || !form %in% c("glmmTMB", "lme4")) {
    stop("`form` must be \"glmmTMB\" or \"lme4\"", call. = FALSE)
  }
  if (form == "glmmTMB" && length(lme4_given)) {
    stop(sprintf("argument(s) %s belong to lme4's form of profile(): use form = \"lme4\" (or glmmTMB's parm, level_max, npts)",
                 paste(sQuote(lme4_given, FALSE), collapse = ", ")), call. = FALSE)
  }
  form
}

# lme4's form: zeta at `npoints` values across each parameter's interval of level `level`.
profile_lme4_form <- function(fitted, which = NULL, level = 0.99, npoints = 11, parm = NULL, npts = NULL,
                              level_max = NULL, alphamax = NULL, cores = getOption("mc.cores", 1L),
                              prof.scale = c("sdcor", "varcov"), signames = TRUE, ...) {
  if (...length()) {
    stop(sprintf("profile() of a glmm fit does not take argument(s) %s in lme4's form; it takes which (or parm), level (or level_max, alphamax), npoints (or npts), cores, prof.scale and signames",
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
  pieces <- run_parallel_or_stop(as.list(which), function(nm) {
    core_clear_cache(ctx$core)
    ends <- c(profile_endpoint(ctx, nm, -1, z), profile_endpoint(ctx, nm, 1, z))
    values <- sort(unique(c(seq(ends[1L], ends[2L], length.out = npoints), ctx$estimates[[nm]])))
    zeta <- vapply(values, function(x) profile_zeta(ctx, nm, x), numeric(1))
    data.frame(.par = nm, .value = values, .zeta = zeta, stringsAsFactors = FALSE)
  }, check_cores(cores))
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
