# glmm.R: the front door. glmm() is a short chain of stages:
# formula -> model frame -> fixed design -> random-effect terms -> C++ core + optimizer -> fitted object.

#' Fit a linear or generalized linear mixed model
#'
#' Fits a mixed model with random effects given as `(terms | group)` in the formula, as in
#' 'glmmTMB' and 'lme4'. Gaussian models with the identity link are fitted by penalized least
#' squares with a sparse Cholesky factor and the profiled (restricted) likelihood; other families
#' by the Laplace approximation. Maximum likelihood is the default, as in 'glmmTMB'. A formula
#' without random-effect terms fits the linear or generalized linear model (the log-likelihood of
#' `lm()` with \eqn{\sigma^2} = RSS/n, of `glm()`, or of `MASS::glm.nb()` for `nbinom2`), through
#' the same methods, so that `glmm(y ~ x)` and `glmm(y ~ x + (1 | g))` sit in one `AIC()` or
#' `anova()` table.
#'
#' Random-effect syntax: `(1 | g)` random intercepts; `(x | g)` correlated intercepts and slopes
#' (also `us(x | g)`); `(x || g)` uncorrelated, one term with a diagonal covariance matrix as in
#' 'glmmTMB' (also `diag(x | g)`); `(0 + x | g)` slopes only; `(1 | a/b)` nested (`a` and `b`
#' within `a`, named `b:a`); `(1 | a) + (1 | b)` crossed. A grouping factor with a single level is
#' fitted with its variance at 0 (it cannot be told apart from the fixed effects). `.` on the
#' right-hand side stands for every other column of `data` (as in `lm()` and 'lme4').
#'
#' Starting values, `start`: glmmTMB's `list(beta = , theta = , betad = )`, with glmmTMB's
#' meanings: `beta` the fixed effects, `theta` per random-effect term the log standard deviations
#' followed (for `(x | g)` terms) by glmmTMB's correlation parameters, `betad` the log dispersion
#' (\eqn{\log\sigma^2} for gaussian models); or lme4's forms: a numeric vector (lme4's `theta`,
#' the relative covariance factors, its terms in lme4's order as `getME(m, "theta")` gives them)
#' or `list(theta = , fixef = )` (lme4's `theta` and the fixed effects). Starting values change
#' where the optimizer starts, not the optimum; for linear mixed models the fixed effects and
#' residual variance are profiled out and only `theta` is used.
#'
#' Arguments of 'glmmTMB' and 'lme4' that glmm() does not need are accepted at their neutral
#' values: `se`, `sparseX`, `doFit = TRUE`, `map = NULL`
#' (glmmTMB); lme4's `mustart`/`etastart` (where the GLM that gives a GLMM's starting fixed
#' effects begins, as in glm(); not used for LMMs, whose fixed effects are profiled out) and
#' `devFunOnly` (`TRUE` returns lme4's deviance function, of theta for LMMs and of `c(theta,
#' beta)` for GLMMs, without fitting; see [getME.glmmlab()]). Other values are errors.
#' `control` may also be a control object of 'lme4' (`lmerControl()`, `glmerControl()`) or
#' 'glmmTMB' (`glmmTMBControl()`): their settings concern those packages' optimizers and are not
#' used, except what a rank-deficient fixed-effects design gets (lme4's `check.rankX`, glmmTMB's
#' `rank_check`): its redundant columns dropped with a message (the default, glmmTMB's
#' `"adjust"`), a warning (`"warn+drop.cols"`, glmmTMB's `"warning"`) or silently
#' (`"silent.drop.cols"`), or an error (`"stop.deficient"`, `"stop"`; and `"ignore"`, `"skip"`,
#' which would keep the redundant columns).
#'
#' @param formula a two-sided formula: response, fixed effects and random-effect terms.
#' @param data a data frame (or list) holding the variables; when missing, variables are taken
#'   from the formula's environment, with a warning as in 'glmmTMB' (`data = NULL` takes them
#'   from there without one). A formula with `$` (`y ~ d$x`) also gets 'glmmTMB''s warning:
#'   such a model can't predict for new data.
#' @param family a family: a family object (`gaussian()`, `poisson()`, `binomial()`, `Gamma()`,
#'   [nbinom2()], [nbinom1()], and 'glmmTMB''s further families [beta_family()],
#'   [betabinomial()], [genpois()], [tweedie()], [t_family()], [lognormal()], [ziGamma()],
#'   [truncated_poisson()], [truncated_nbinom1()], [truncated_nbinom2()]; 'glmmTMB''s own family
#'   objects work too), a family function, a name such as `"gaussian"` or `"beta_family"`, or a
#'   list such as `list(family = "poisson", link = "log")` (accepted with glmmTMB's deprecation
#'   warning).
#' @param REML logical: fit by restricted maximum likelihood? For GLMMs as glmmTMB defines it: the
#'   fixed effects are integrated out together with the random effects in the Laplace
#'   approximation (their estimates are the joint mode), which for gaussian models with the
#'   identity link is the usual REML criterion.
#' @param weights optional prior weights: precision weights for gaussian models (as `lm()`).
#' @param offset optional offset added to the linear predictor (as are `offset()` terms).
#' @param subset optional expression selecting the rows of `data` to use.
#' @param na.action how to handle missing values (default `getOption("na.action")`, i.e. drop).
#' @param contrasts optional named list of contrasts for factors of the fixed part, e.g.
#'   `list(Sex = "contr.sum")` (as `contrasts.arg` of [stats::model.matrix()]).
#' @param start optional starting values (see Details).
#' @param control a list from [glmm_control()] (or a control object of 'lme4' or 'glmmTMB').
#' @param verbose logical or integer: print the optimizer's progress (every `verbose`-th step).
#' @param nAGQ number of adaptive Gauss-Hermite quadrature points for GLMMs with a single scalar
#'   random effect (as lme4's `glmer`); 1, the default, is the Laplace approximation. `nAGQ = 0`
#'   is lme4's fast approximation for binomial and poisson GLMMs: the fixed effects are those of the
#'   penalized IRLS problem at each value of the variance parameters (jointly with the random
#'   effects), and only the variance parameters minimize the Laplace deviance.
#' @param ziformula a one-sided formula for the zero-inflation model (glmmTMB's argument): the
#'   logit of the probability of a structural zero, for the count families (`poisson`, [nbinom1()],
#'   [nbinom2()], [genpois()]); with a zero-truncated family ([truncated_poisson()],
#'   [truncated_nbinom1()], [truncated_nbinom2()]) it is the hurdle, the logit of the probability
#'   of a zero. `~0` (the default) is none, `~1` a constant. Fixed effects, offsets and
#'   random-effect terms such as `(1 | g)`.
#' @param dispformula a one-sided formula for the log dispersion (glmmTMB's argument and scale:
#'   the log residual variance for gaussian, log theta for [nbinom2()], ...): `~1` (the default)
#'   one dispersion; `~0` for gaussian fixes the residual variance near 0 as glmmTMB does. Fixed
#'   effects and offsets only. Models with either component are fitted by maximum likelihood
#'   with the Laplace approximation (`REML = TRUE` and `nAGQ` other than 1 are errors there),
#'   with or without random effects in the conditional model.
#' @param ... arguments of 'glmmTMB' and 'lme4' at their neutral values (see Details).
#' @return An object of class `"glmmlab"`, with methods for `summary()`, `VarCorr()`, `fixef()`,
#'   `ranef()`, `coef()`, `predict()` and the other usual generics.
#' @seealso [glmm_control()], [VarCorr.glmmlab()], [predict.glmmlab()], [getME.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' summary(m)
#' VarCorr(m)
#' m0 <- glmm(y ~ x, data = data.frame(y, x))   # no random effects: the model of lm(y ~ x), by ML
#' AIC(m0, m)
#' @export
glmm <- function(formula, data = NULL, family = gaussian(), REML = FALSE, weights, offset,
                 subset, na.action, contrasts = NULL, start = NULL, control = glmm_control(), verbose = FALSE,
                 nAGQ = 1L, ziformula = ~0, dispformula = ~1, ...) {
  mc <- match.call()
  check_peer_arguments(list(...))
  formula <- check_formula(formula, mc, parent.frame())
  warn_formula_habits(formula, data_missing = missing(data))
  family <- resolve_family(family)
  rank_action <- rank_deficiency_action(control)
  control <- check_control(control, verbose)
  if (!is.logical(REML) || length(REML) != 1L || is.na(REML)) stop("`REML` must be TRUE or FALSE", call. = FALSE)
  spec <- component_spec(ziformula, dispformula, family)
  if (has_components(spec) && REML) stop("REML = TRUE is not available with `ziformula` or `dispformula` (ML only)", call. = FALSE)
  if (has_components(spec) && !identical(as.integer(nAGQ), 1L)) stop("`nAGQ` other than 1 (quadrature, or nAGQ = 0) is not available with `ziformula` or `dispformula`", call. = FALSE)
  mf <- build_model_frame(mc, formula, parent.frame(), extra = component_variables(spec))
  formula <- attr(mf, "formula")   # `.` expanded
  # each stage's temporaries (n-vectors, row names) collected before the next stage's (R/core.R)
  release_garbage(nrow(mf))
  fixed <- build_fixed_design(formula, mf, check_contrasts_argument(contrasts), rank_action)
  is_lmm <- is_gaussian_identity(family) && !has_components(spec)
  release_garbage(nrow(mf))
  re <- build_re_terms(formula, mf, gaussian_family = family$family == "gaussian" && !spec$disp_fixed)
  release_garbage(nrow(mf))
  y <- model_response(mf, family, zeros_allowed = spec$zero_model == 2L)
  weights <- model_weights(mf)
  check_observation_count(length(y), fixed$X, family)
  check_offset_scale(fixed$offset, y, family)
  trials <- attr(y, "trials")
  shift <- binomial_replicate_shift(y, trials, weights)
  if (!is.null(trials)) weights <- weights * trials
  attr(y, "trials") <- NULL
  start <- translate_start(start, re, fixed$X, y, weights, fixed$offset, family)
  eta_start <- peer_eta_start(list(...), family, length(y))
  if (!is.null(eta_start)) start$eta <- eta_start
  if (isTRUE(list(...)$devFunOnly)) {   # lme4's: the deviance function, not a fit (R/devfun.R)
    return(devfun_only(fixed$X, y, weights, fixed$offset, re, family, REML, control, nAGQ, has_components(spec)))
  }
  comp <- if (has_components(spec)) build_components(spec, mf, family)
  if (!is.null(comp)) {
    if (spec$zero_model > 0L && all(y > 0)) {
      stop("the response has no zeros: a zero-inflation or hurdle model (`ziformula`) cannot be estimated", call. = FALSE)
    }
    fit <- fit_glmm_components(fixed$X, y, weights, fixed$offset, core_terms(re), family, comp, start, control)
  } else if (is_lmm) {
    fit <- fit_lmm(fixed$X, y, weights, fixed$offset, core_terms(re), REML, start, control)
  } else {
    nAGQ <- check_nagq(nAGQ, re)
    if (REML && nAGQ > 1L) stop("REML = TRUE needs the Laplace approximation (nAGQ = 1)", call. = FALSE)
    fit <- fit_glmm(fixed$X, y, weights, fixed$offset, core_terms(re), family, start, control, nAGQ, REML = REML)
  }
  release_garbage(length(y))   # the optimizer's temporaries, before the object's n-vectors
  object <- new_glmm_fit(shift_loglik(fit, shift), call = mc, formula = formula, family = family, REML = REML, frame = mf,
                         fixed = fixed, re = re, y = y, weights = weights, trials = trials)
  if (!is.null(comp)) object <- add_components(object, fit, spec)
  report_fit_problems(fit, re, object)
  object
}

# One message for a boundary fit; one warning for separation (R/fit_checks.R), or a Tweedie power
# at its boundary, or failing those for an optimizer that did not converge (separation and the
# boundary explain the non-convergence they cause).
report_fit_problems <- function(fit, re, object) {
  if (isTRUE(fit$singular)) {
    # theta on the scale the singularity test uses (the GLMM core's, of its scaled columns)
    factors <- theta_to_factors(map_singular_theta(fit$map, fit$par), re)
    at_zero <- vapply(factors, function(Ti) any(abs(diag(Ti)) < 1e-4), logical(1))
    message(sprintf("boundary (singular) fit: a variance of %s is estimated as 0 (or a correlation as +-1); consider simplifying the random effects",
                    paste(sQuote(unique(vapply(re[at_zero], `[[`, "", "group")), FALSE), collapse = ", ")))
  }
  if (!is.null(fit$dispersion_limit)) message(fit$dispersion_limit)
  separation <- separation_problem(object)
  boundary <- shape_at_boundary(object)
  if (!is.null(separation)) {
    warning(separation, call. = FALSE)
  } else if (!is.null(boundary)) {   # explains the non-convergence it causes too
    warning(boundary, call. = FALSE)
  } else if (fit$status < 0 || fit$status == 5L) {   # NLopt failures and maxeval reached
    warning(sprintf("the optimizer did not converge (%s); the estimates may be unreliable", fit$message), call. = FALSE)
  }
}

# The warning for a Tweedie power estimated at the boundary of (1, 2), else NULL: at 1 the
# family degenerates to a scaled Poisson, at 2 to a Gamma without zeros.
shape_at_boundary <- function(object) {
  if (!identical(object$family$family, "tweedie") || is.null(object$shape)) return(NULL)
  power <- 1 + stats::plogis(object$shape)
  if (power - 1 > 1e-3 && 2 - power > 1e-3) return(NULL)
  at_one <- power - 1 <= 1e-3
  sprintf("the Tweedie power is estimated at its boundary p = %d (p %s = %.2g): the data look like %s; the estimates are at that limit and their standard errors are unreliable",
          if (at_one) 1L else 2L, if (at_one) "- 1" else "from 2", if (at_one) power - 1 else 2 - power,
          if (at_one) "counts, for which the Tweedie density grows without bound as p -> 1 (use family = poisson, genpois or nbinom2)" else "a Gamma response without zeros (compare family = Gamma)")
}

# nAGQ checked: a whole number 0-100; 0 needs random effects; above 1 only for one scalar term.
check_nagq <- function(nAGQ, re) {
  if (!is.numeric(nAGQ) || length(nAGQ) != 1L || is.na(nAGQ) || nAGQ < 0 || nAGQ != round(nAGQ) || nAGQ > 100) {
    stop("`nAGQ` must be a whole number between 0 and 100", call. = FALSE)
  }
  if (nAGQ == 0 && !length(re)) stop("`nAGQ = 0` needs random effects", call. = FALSE)
  if (nAGQ > 1 && (length(re) != 1L || ncol(re[[1L]]$Xt) != 1L)) {
    stop("`nAGQ` > 1 needs a single scalar random-effect term such as (1 | g)", call. = FALSE)
  }
  as.integer(nAGQ)
}

# glmmTMB's two warnings about habits that break predict(newdata = ...) and refits: `$` in the
# formula, and no `data` (an explicit data = NULL is taken as deliberate, as in glmmTMB).
warn_formula_habits <- function(formula, data_missing) {
  if ("$" %in% all.names(formula)) warning("use of the '$' operator in formulas is not recommended", call. = FALSE)
  if (data_missing) warning("use of the 'data' argument is recommended", call. = FALSE)
}

# The formula, evaluated if it was given as a name or string; checked to be two-sided.
check_formula <- function(formula, mc, env) {
  if (is.character(formula)) formula <- stats::as.formula(formula, env = env)
  if (!inherits(formula, "formula")) stop("`formula` must be a formula such as y ~ x + (1 | group)", call. = FALSE)
  if (length(formula) != 3L) stop("`formula` needs a response on its left-hand side, as in y ~ x + (1 | group)", call. = FALSE)
  formula
}

#' Control settings for glmm()
#'
#' @param optimizer the optimizer, from NLopt through 'nloptr': `"auto"` (the default) uses,
#'   for linear mixed models, BOBYQA when there are up to 6 variance parameters and L-BFGS with
#'   the exact gradient of the profiled deviance from 7 on (random slopes with several
#'   covariates, maximal models); BOBYQA for adaptive quadrature; and for other GLMMs L-BFGS
#'   with the analytic gradient of the Laplace approximation, started from one EM step for the
#'   variance parameters and scaled by their predicted curvatures (BOBYQA if L-BFGS fails, or
#'   from L-BFGS's end point if the gradient there is not zero); `"bobyqa"` uses BOBYQA
#'   (derivative-free) throughout; `"lbfgs"` uses L-BFGS for every linear mixed model, and for
#'   GLMMs is `"auto"` without the fallbacks: an error if L-BFGS fails.
#' @param ftol_abs,ftol_rel absolute and relative tolerance on the change in the objective.
#' @param xtol_abs absolute tolerance on the change in the parameters.
#' @param maxeval maximum number of evaluations of the objective.
#' @param check_singular tolerance below which a variance parameter is reported as zero.
#' @param max_memory the most memory (bytes, or a string such as `"4GB"`) the Cholesky factor of
#'   the random effects may take; `NULL` (the default) is the memory available. A model whose
#'   factor would need more stops before it is allocated, with an error giving the estimate and
#'   the random-effect terms responsible.
#' @return A list of settings for [glmm()].
#' @examples
#' glmm_control(maxeval = 5000)
#' @export
glmm_control <- function(optimizer = c("auto", "bobyqa", "lbfgs"), ftol_abs = 1e-12, ftol_rel = 1e-14, xtol_abs = 1e-10,
                         maxeval = 100000L, check_singular = 1e-4, max_memory = NULL) {
  optimizer <- match.arg(optimizer)
  list(optimizer = optimizer, ftol_abs = ftol_abs, ftol_rel = ftol_rel, xtol_abs = xtol_abs,
       maxeval = as.integer(maxeval), check_singular = check_singular, verbose = 0L, max_memory = parse_memory(max_memory))
}

# A memory size in bytes from a number of bytes or a string such as "500MB", "4GB" (NULL stays NULL).
parse_memory <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.character(x) && length(x) == 1L) {
    m <- regmatches(x, regexec("^\\s*([0-9.]+)\\s*([kKmMgGtT]?)[bB]?\\s*$", x))[[1L]]
    if (length(m) == 3L && !is.na(suppressWarnings(as.numeric(m[2L])))) {
      return(as.numeric(m[2L]) * c(1, 1e3, 1e6, 1e9, 1e12)[match(toupper(m[3L]), c("", "K", "M", "G", "T"))])
    }
  }
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x <= 0) {
    stop("control setting `max_memory` must be a number of bytes or a size such as \"4GB\"", call. = FALSE)
  }
  as.numeric(x)
}

# Validate a control list and fold `verbose` into it. A control object of lme4 or glmmTMB gives
# the defaults (its settings are for those packages' optimizers).
check_control <- function(control, verbose) {
  if (!is.list(control)) stop("`control` must be a list from glmm_control()", call. = FALSE)
  if (is_peer_control(control)) control <- list()
  out <- glmm_control()
  unknown <- setdiff(names(control), names(out))
  if (length(unknown)) stop("unknown control setting: ", paste(unknown, collapse = ", "), call. = FALSE)
  out[names(control)] <- control
  for (nm in c("ftol_abs", "ftol_rel", "xtol_abs", "maxeval", "check_singular")) {
    v <- out[[nm]]
    if (!is.numeric(v) || length(v) != 1L || is.na(v) || v < 0) {
      stop(sprintf("control setting `%s` must be a single non-negative number", nm), call. = FALSE)
    }
  }
  if (out$maxeval < 1) stop("control setting `maxeval` must be at least 1", call. = FALSE)
  out$max_memory <- parse_memory(out$max_memory)
  out$maxeval <- as.integer(min(out$maxeval, .Machine$integer.max))
  if (!(is.logical(verbose) || is.numeric(verbose)) || length(verbose) != 1L || is.na(verbose)) {
    stop("`verbose` must be TRUE, FALSE or a number of steps", call. = FALSE)
  }
  out$verbose <- if (isTRUE(verbose)) 1L else if (is.numeric(verbose)) as.integer(verbose) else 0L
  out
}


# What a rank-deficient fixed-effects design gets, from a peer's control object (lme4's
# checkControl$check.rankX, glmmTMB's rank_check): "message" (drop the redundant columns and
# say so; the default and glmmTMB's "adjust"), "warning", "silent", "stop", or "keep" (lme4's
# "ignore", glmmTMB's "skip": the redundant columns kept, which glmm() cannot fit, an error
# only when X is rank deficient).
rank_deficiency_action <- function(control) {
  setting <- if (inherits(control, "merControl")) control$checkControl$check.rankX
             else if (is.list(control) && is_peer_control(control)) control$rank_check
  if (is.null(setting)) return("message")
  action <- if (is.character(setting) && length(setting) == 1L) {
    switch(setting, "message+drop.cols" = , adjust = "message", "warn+drop.cols" = , warning = "warning",
           "silent.drop.cols" = "silent", "stop.deficient" = , stop = "stop", ignore = , skip = "keep", NA_character_)
  } else NA_character_
  if (is.na(action)) {
    stop(sprintf("unknown rank check setting %s: lme4's check.rankX takes \"message+drop.cols\", \"warn+drop.cols\", \"silent.drop.cols\", \"stop.deficient\" or \"ignore\"; glmmTMB's rank_check \"warning\", \"adjust\", \"stop\" or \"skip\"",
                 paste(deparse(setting), collapse = "")), call. = FALSE)
  }
  action
}

# glmmTMBControl()'s settings and lme4's control classes.
glmmTMB_control_names <- c("optCtrl", "profile", "collect", "parallel", "optimizer", "optArgs", "eigval_check",
                           "zerodisp_val", "start_method", "rank_check", "conv_check")

# Is `control` a control object of lme4 (lmerControl(), glmerControl()) or glmmTMB (glmmTMBControl())?
is_peer_control <- function(control) {
  inherits(control, "merControl") ||
    (length(control) > 0L && !is.null(names(control)) && all(names(control) %in% glmmTMB_control_names) &&
       any(c("optCtrl", "profile", "eigval_check", "rank_check", "conv_check", "start_method") %in% names(control)))
}

# Arguments of glmmTMB() and lme4's fitting functions that glmm() accepts at their neutral values
# (`...` of glmm()); any other value, or any other argument, is an error naming it.
check_peer_arguments <- function(dots) {
  if (!length(dots)) return(invisible())
  nms <- names(dots)
  if (is.null(nms) || any(!nzchar(nms))) stop("glmm() got an unnamed argument it does not know", call. = FALSE)
  for (nm in nms) {
    v <- dots[[nm]]
    ok <- switch(nm,
      se = , sparseX = is.logical(v),
      doFit = isTRUE(v),
      map = , priors = is.null(v) || !length(v),
      devFunOnly = is.logical(v) && length(v) == 1L && !is.na(v),
      mustart = , etastart = is.numeric(v),
      stop(sprintf("unused argument %s: glmm() does not take it", sQuote(nm, FALSE)), call. = FALSE))
    if (!ok) stop(peer_argument_message(nm), call. = FALSE)
  }
  invisible()
}

# lme4's `etastart` (or `mustart`, through the link) as the linear predictor the GLM that gives
# the fixed effects' start begins from (as glm() uses it); NULL when neither is given. One value
# per observation used in the fit.
peer_eta_start <- function(dots, family, n) {
  given <- intersect(c("etastart", "mustart"), names(dots))
  if (!length(given)) return(NULL)
  if (length(given) > 1L) stop("give `etastart` or `mustart`, not both", call. = FALSE)
  v <- dots[[given]]
  if (length(v) != n || any(!is.finite(v))) {
    stop(sprintf("`%s` must have one finite value per observation used in the fit (%d), not %d", given, n, length(v)), call. = FALSE)
  }
  bad_mu <- given == "mustart" && !isTRUE(tryCatch(family$validmu(as.numeric(v)), error = function(e) FALSE))
  eta <- if (!bad_mu) tryCatch(if (given == "mustart") family$linkfun(as.numeric(v)) else as.numeric(v), error = function(e) NA_real_)
  if (bad_mu || any(!is.finite(eta)) || !family$valideta(eta) || !family$validmu(family$linkinv(eta))) {
    stop(sprintf("`%s` gives means outside the range of the %s family", given, family$family), call. = FALSE)
  }
  eta
}

# The error for a peer's argument at a value glmm() cannot honour.
peer_argument_message <- function(nm) {
  switch(nm,
    doFit = "`doFit = FALSE` is not available: glmm() always fits (getME(m, \"devfun\") gives the objective of a fit)",
    devFunOnly = "`devFunOnly` must be TRUE or FALSE",
    map = "`map` (fixing parameters) is not available in glmm()",
    priors = "`priors` are not available in glmm()",
    mustart = , etastart = sprintf("`%s` must be a numeric vector (starting values on the mean or link scale)", nm),
    sprintf("`%s` must be TRUE or FALSE", nm))
}

# `contrasts` checked: NULL or a named list of contrast specifications (a function's name, a
# function or a matrix).
check_contrasts_argument <- function(contrasts) {
  if (is.null(contrasts)) return(NULL)
  if (!is.list(contrasts) || is.null(names(contrasts)) || any(!nzchar(names(contrasts)))) {
    stop("`contrasts` must be a named list such as list(f = \"contr.sum\")", call. = FALSE)
  }
  for (nm in names(contrasts)) {
    v <- contrasts[[nm]]
    if (!(is.function(v) || is.matrix(v) || (is.character(v) && length(v) == 1L))) {
      stop(sprintf("`contrasts` for %s must be the name of a contrast function (\"contr.sum\"), a function or a matrix",
                   sQuote(nm, FALSE)), call. = FALSE)
    }
  }
  contrasts
}
