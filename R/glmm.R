# glmm.R: the front door. glmm() is a short chain of stages:
# formula -> model frame -> fixed design -> random-effect terms -> C++ core + optimizer -> fitted object.

#' Fit a linear or generalized linear mixed model
#'
#' Fits a mixed model with random effects given as `(terms | group)` in the formula, as in
#' 'glmmTMB' and 'lme4'. Gaussian models with the identity link are fitted by penalized least
#' squares with a sparse Cholesky factor and the profiled (restricted) likelihood; other families
#' by the Laplace approximation. Maximum likelihood is the default, as in 'glmmTMB'.
#'
#' Random-effect syntax: `(1 | g)` random intercepts; `(x | g)` correlated intercepts and slopes;
#' `(x || g)` uncorrelated; `(0 + x | g)` slopes only; `(1 | a/b)` nested (`a` and `b` within
#' `a`, named `b:a`); `(1 | a) + (1 | b)` crossed.
#'
#' @param formula a two-sided formula: response, fixed effects and random-effect terms.
#' @param data a data frame (or list) holding the variables; when missing, variables are taken
#'   from the formula's environment.
#' @param family a family: a family object (`gaussian()`, `poisson()`, ...), a family function,
#'   or a name such as `"gaussian"`.
#' @param REML logical: fit by restricted maximum likelihood? For GLMMs as glmmTMB defines it: the
#'   fixed effects are integrated out together with the random effects in the Laplace
#'   approximation (their estimates are the joint mode), which for gaussian models with the
#'   identity link is the usual REML criterion.
#' @param weights optional prior weights: precision weights for gaussian models (as `lm()`).
#' @param offset optional offset added to the linear predictor (as are `offset()` terms).
#' @param subset optional expression selecting the rows of `data` to use.
#' @param na.action how to handle missing values (default `getOption("na.action")`, i.e. drop).
#' @param start optional list of starting values, with element `theta` (relative covariance
#'   factors, as lme4).
#' @param control a list from [glmm_control()].
#' @param verbose logical or integer: print the optimizer's progress (every `verbose`-th step).
#' @param nAGQ number of adaptive Gauss-Hermite quadrature points for GLMMs with a single scalar
#'   random effect (as lme4's `glmer`); 1, the default, is the Laplace approximation.
#' @return An object of class `"glmmlab"`, with methods for `summary()`, `VarCorr()`, `fixef()`,
#'   `ranef()`, `coef()`, `predict()` and the other usual generics.
#' @seealso [glmm_control()], [VarCorr.glmmlab()], [predict.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g))
#' summary(m)
#' VarCorr(m)
#' @export
glmm <- function(formula, data = NULL, family = gaussian(), REML = FALSE, weights, offset,
                 subset, na.action, start = NULL, control = glmm_control(), verbose = FALSE, nAGQ = 1L) {
  mc <- match.call(expand.dots = FALSE)
  formula <- check_formula(formula, mc, parent.frame())
  family <- resolve_family(family)
  control <- check_control(control, verbose)
  if (!is.logical(REML) || length(REML) != 1L || is.na(REML)) stop("`REML` must be TRUE or FALSE", call. = FALSE)
  mf <- build_model_frame(mc, formula, parent.frame())
  fixed <- build_fixed_design(formula, mf)
  is_lmm <- is_gaussian_identity(family)
  re <- build_re_terms(formula, mf, gaussian_family = family$family == "gaussian")
  if (!length(re)) stop("the formula has no random-effect terms such as (1 | group); use lm() or glm() for models without them", call. = FALSE)
  y <- model_response(mf, family)
  weights <- model_weights(mf)
  check_observation_count(length(y), fixed$X, family)
  check_offset_scale(fixed$offset, y, family)
  check_start(start)
  if (!is.null(attr(y, "trials"))) weights <- weights * attr(y, "trials")
  attr(y, "trials") <- NULL
  if (is_lmm) {
    fit <- fit_lmm(fixed$X, y, weights, fixed$offset, re, REML, start, control)
  } else {
    nAGQ <- check_nagq(nAGQ, re)
    if (REML && nAGQ > 1L) stop("REML = TRUE needs the Laplace approximation (nAGQ = 1)", call. = FALSE)
    fit <- fit_glmm(fixed$X, y, weights, fixed$offset, re, family, start, control, nAGQ, REML = REML)
  }
  object <- new_glmm_fit(fit, call = mc, formula = formula, family = family, REML = REML, frame = mf,
                         fixed = fixed, re = re, y = y, weights = weights)
  report_fit_problems(fit, re, object)
  object
}

# One message for a boundary fit; one warning for separation (R/fit_checks.R) or, failing that,
# for an optimizer that did not converge (separation explains the non-convergence it causes).
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
  if (!is.null(separation)) {
    warning(separation, call. = FALSE)
  } else if (fit$status < 0 || fit$status == 5L) {   # NLopt failures and maxeval reached
    warning(sprintf("the optimizer did not converge (%s); the estimates may be unreliable", fit$message), call. = FALSE)
  }
}

# nAGQ checked: a whole number >= 1; above 1 only for one scalar random-effect term.
check_nagq <- function(nAGQ, re) {
  if (!is.numeric(nAGQ) || length(nAGQ) != 1L || is.na(nAGQ) || nAGQ < 1 || nAGQ != round(nAGQ) || nAGQ > 100) {
    stop("`nAGQ` must be a whole number between 1 and 100", call. = FALSE)
  }
  if (nAGQ > 1 && (length(re) != 1L || ncol(re[[1L]]$Xt) != 1L)) {
    stop("`nAGQ` > 1 needs a single scalar random-effect term such as (1 | g)", call. = FALSE)
  }
  as.integer(nAGQ)
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

# Validate a control list and fold `verbose` into it.
check_control <- function(control, verbose) {
  if (!is.list(control)) stop("`control` must be a list from glmm_control()", call. = FALSE)
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

# Starting values: NULL or a list whose `theta`, when given, is numeric and finite.
check_start <- function(start) {
  if (is.null(start)) return(invisible())
  if (!is.list(start)) stop("`start` must be a list such as list(theta = c(1, 0.5))", call. = FALSE)
  unknown <- setdiff(names(start), "theta")
  if (length(unknown)) stop("unknown element of `start`: ", paste(unknown, collapse = ", "), "; only `theta` is used", call. = FALSE)
  th <- start$theta
  if (!is.null(th) && (!is.numeric(th) || any(!is.finite(th)))) {
    stop("`start$theta` must be a numeric vector of finite values", call. = FALSE)
  }
  invisible()
}
