# methods_basic.R: the small accessors of a fitted "glmmlab" object (likelihood, counts, fixed
# effects, their covariance, the residual scale, the model's formula, frame and design) and
# ngrps(), a generic of our own that also serves lme4's when lme4 is loaded.

#' Accessors for fitted glmm models
#'
#' The usual extractor functions of R's modelling generics, for a model fitted by [glmm()].
#' `logLik()` carries the `df` and `nobs` attributes that [stats::AIC()] and [stats::BIC()]
#' need, so a `glmm` fit can be compared with `lm()` or `glm()` fits in one `AIC()` call.
#' `fixef()` and `vcov()` return lists by model component, as 'glmmTMB' does, so `fixef(m)$cond`
#' and `vcov(m)$cond` (the conditional model) work as in course material written for it.
#' `fixef()` always has glmmTMB's three components: `cond`, `zi` (empty without a
#' zero-inflation model) and `disp` (glmmTMB's log dispersion: log sigma^2 for gaussian, the log
#' shape for Gamma, log `sigma()` for the other families with a dispersion; empty for poisson and
#' binomial); printing leaves out the empty ones and an intercept-only `disp`, as glmmTMB's does.
#'
#' For REML fits `logLik()` is the restricted log-likelihood and `deviance()` the REML
#' criterion (as in 'lme4'); compare models differing in their fixed effects with ML fits.
#' `sigma()` is the residual standard deviation of gaussian models and the family's
#' dispersion parameter otherwise (in 'glmmTMB''s parametrization), or 1 for families without
#' one (binomial, Poisson).
#'
#' @param object,x,fit,formula a model fitted by [glmm()].
#' @param full logical: the covariance of all parameters, as 'glmmTMB''s `vcov(full = TRUE)`?
#'   Its rows are the fixed effects, the dispersion (`"d~(Intercept)"`, for families that have
#'   one) and each random-effect term's parameters (`"theta_Days|Subject.1"`, ...), on
#'   'glmmTMB''s internal scale: the log dispersion as 'glmmTMB' 1.1.5 keeps it (for gaussian
#'   models \eqn{\log\sigma^2}, for Gamma the log shape, otherwise \eqn{\log} of `sigma()`),
#'   per term the log standard deviations, then the parameters of its correlation matrix
#'   (the entries below the diagonal, row by row, of the unit lower-triangular \eqn{L} whose
#'   \eqn{LL'} has that correlation matrix after scaling to unit diagonal). From the
#'   Hessian of the log-likelihood at the estimates (of the REML criterion for the variance
#'   parameters of REML fits, whose fixed effects are integrated out as in 'glmmTMB').
#' @param digits number of significant digits to print.
#' @param scale unused (for compatibility with [stats::extractAIC()]).
#' @param k penalty per parameter (2 for AIC).
#' @param ... further arguments, unused.
#' @return `logLik()`: an object of class `"logLik"`. `nobs()`, `df.residual()`, `sigma()`,
#'   `deviance()`: a number. `fixef()`: a list of class `"fixef.glmmlab"` with the named vectors
#'   `cond`, `zi` and `disp`. `vcov()`: a list of class `"vcov.glmmlab"` with the matrix `cond`; with
#'   `full = TRUE`, one named matrix. `formula()`,
#'   `family()`, `model.frame()`, `model.matrix()` (fixed effects), `terms()` (fixed part):
#'   the corresponding pieces of the model. `extractAIC()`: `c(edf, AIC)`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' logLik(m)
#' AIC(lm(y ~ x, data = d), m)
#' fixef(m)
#' fixef(m)$cond
#' vcov(m)$cond
#' vcov(m, full = TRUE)
#' sigma(m)
#' c(nobs = nobs(m), df.residual = df.residual(m))
#' head(model.matrix(m))
#' @name glmm-accessors
NULL

# Log-likelihood (restricted for REML fits) with its number of parameters and observations.
#' @rdname glmm-accessors
#' @export
logLik.glmmlab <- function(object, ...) {
  structure(object$loglik, df = object$df, nobs = object$nobs, nall = object$nobs, class = "logLik")
}

# Number of observations used in the fit.
#' @rdname glmm-accessors
#' @importFrom stats nobs
#' @export
nobs.glmmlab <- function(object, ...) object$nobs

# Residual degrees of freedom: observations minus estimated parameters.
#' @rdname glmm-accessors
#' @importFrom stats df.residual
#' @export
df.residual.glmmlab <- function(object, ...) object$nobs - object$df

# -2 log-likelihood (the REML criterion for REML fits).
#' @rdname glmm-accessors
#' @importFrom stats deviance
#' @export
deviance.glmmlab <- function(object, ...) object$deviance

# Equivalent degrees of freedom and AIC, for step-type tools such as drop1().
#' @rdname glmm-accessors
#' @importFrom stats extractAIC
#' @export
extractAIC.glmmlab <- function(fit, scale = 0, k = 2, ...) {
  c(edf = fit$df, AIC = -2 * fit$loglik + k * fit$df)
}

# Residual SD (gaussian), else the family's dispersion parameter, else 1 (no dispersion).
#' @rdname glmm-accessors
#' @importFrom stats sigma
#' @export
sigma.glmmlab <- function(object, ...) {
  if (!is.null(object$components$dispformula)) return(NA_real_)   # as glmmTMB: no single dispersion
  s <- object$sigma
  if (is.numeric(s) && length(s) == 1L && is.finite(s)) return(s)
  1
}

# Does the model's family have a dispersion (scale) parameter: gaussian, or sigma/dispersion stored?
has_dispersion <- function(object) {
  if (identical(object$family$family, "gaussian")) return(TRUE)
  finite_scalar <- function(v) is.numeric(v) && length(v) == 1L && is.finite(v)
  finite_scalar(object$sigma) || finite_scalar(object$dispersion)
}

# The model formula, or its fixed part (glmmTMB's and lme4's `fixed.only`), or the response and
# random-effect terms (lme4's `random.only`).
#' @rdname glmm-accessors
#' @param fixed.only logical: the fixed-effect part only (`formula()`: the formula without its
#'   random-effect terms; `model.frame()`: the columns of the fixed part, as lme4's)?
#' @param random.only logical: the response and random-effect terms only (lme4's)?
#' @param component the model component (glmmTMB's argument): only `"cond"`, the conditional model.
#' @importFrom stats formula
#' @export
formula.glmmlab <- function(x, fixed.only = FALSE, random.only = FALSE, component = "cond", ...) {
  check_flag(fixed.only, "fixed.only")
  check_flag(random.only, "random.only")
  check_component(component)
  if (fixed.only && random.only) stop("`fixed.only` and `random.only` cannot both be TRUE", call. = FALSE)
  if (fixed.only) return(fixed_formula(x$formula))
  if (random.only) {
    bars <- bar_expressions(x$formula[[3L]])
    rhs <- if (length(bars)) Reduce(function(a, b) call("+", a, b), bars) else 1
    return(stats::as.formula(call("~", x$formula[[2L]], rhs), env = environment(x$formula)))
  }
  x$formula
}

# glmmTMB's `component`: "cond" is the only component of a glmm fit.
check_component <- function(component) {
  if (!identical(component, "cond")) {
    stop(sprintf("`component` must be \"cond\" (the conditional model): a glmm fit has no %s component",
                 paste(sQuote(component, FALSE), collapse = ", ")), call. = FALSE)
  }
}

# The family object of the fit.
#' @rdname glmm-accessors
#' @importFrom stats family
#' @export
family.glmmlab <- function(object, ...) object$family

# The model frame (all variables, rows with missing values removed), or with fixed.only = TRUE
# its columns for the fixed part (response, predictors, offsets, weights), as lme4's.
#' @rdname glmm-accessors
#' @importFrom stats model.frame
#' @export
model.frame.glmmlab <- function(formula, fixed.only = FALSE, ...) {
  check_flag(fixed.only, "fixed.only")
  fr <- formula$frame
  if (!fixed.only) return(fr)
  tt <- stats::terms(fixed_formula(formula$formula))
  vars <- vapply(as.list(attr(tt, "variables"))[-1L], function(v) paste(deparse(v, width.cutoff = 500L), collapse = ""), "")
  keep <- names(fr) %in% c(gsub("`", "", vars), "(weights)", "(offset)")
  out <- fr[keep]
  attr(out, "terms") <- stats::terms(fixed_formula(formula$formula))
  out
}

#' Weights of a mixed model
#'
#' `type = "prior"` (the default): the prior weights given to [glmm()] as `weights`, as 'glmmTMB'
#' returns them (`NULL` for a fit without weights; a binomial response given as
#' `cbind(successes, failures)` is not weighted by its numbers of trials here). `type = "working"`:
#' the weights of the last iteratively reweighted least-squares step of a GLMM, prior weights
#' (times binomial trials) \eqn{\times (d\mu/d\eta)^2 / V(\mu)} at the fitted means, as 'lme4'
#' (not available for linear mixed models, as in 'lme4').
#'
#' @param object a model fitted by [glmm()].
#' @param type `"prior"` or `"working"`.
#' @param ... unused.
#' @return A numeric vector (one value per observation of the fit), or `NULL`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80), w = runif(80, 0.5, 2))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5 / sqrt(d$w))
#' m <- glmm(y ~ x + (1 | g), data = d, weights = w)
#' head(weights(m))
#' @importFrom stats weights
#' @export
weights.glmmlab <- function(object, type = c("prior", "working"), ...) {
  if (...length()) {   # glmmTMB's warning
    warning("unused arguments ignored: ", paste(sQuote(names(list(...)), FALSE), collapse = ", "), call. = FALSE)
  }
  type <- match.arg(type)
  if (type == "prior") return(object$frame[["(weights)"]])
  if (is_gaussian_identity(object$family)) stop("working weights are only available for GLMMs (as in lme4)", call. = FALSE)
  eta <- as.numeric(object$eta)
  mu <- as.numeric(object$fitted)
  object$prior_weights * object$family$mu.eta(eta)^2 / family_variance(object, mu)
}

#' Update and refit a mixed model
#'
#' As [stats::update()]: the call of the fit with the changes given, evaluated again. Removing
#' one term of a `(x || g)` term works as in 'lme4': `update(m, . ~ . - (0 + x | g))` on a fit
#' with `(x || g)` leaves `(1 | g)`, because the `||` term is then written out as its terms
#' `(1 | g) + (0 + x | g)` (as separate terms, each with its own variance).
#'
#' @param object a model fitted by [glmm()].
#' @param formula. changes to the formula, e.g. `. ~ . + z`.
#' @param ... other arguments of [glmm()] to change.
#' @param evaluate logical: refit (`TRUE`) or return the call?
#' @return The refitted model, or its call.
#' @examples
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rep(0:9, 8))
#' set.seed(1)
#' d$y <- 1 + (0.5 + rnorm(8, sd = 0.2)[d$g]) * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (x || g), data = d)
#' formula(update(m, . ~ . - (0 + x | g)))
#' @importFrom stats update
#' @export
update.glmmlab <- function(object, formula., ..., evaluate = TRUE) {
  call <- stats::getCall(object)
  if (is.null(call)) stop("the fit has no call to update", call. = FALSE)
  extras <- match.call(expand.dots = FALSE)$...
  if (!missing(formula.)) {
    old <- stats::formula(object)
    if (removes_bar_term(formula.)) old <- expand_double_bars(old)
    call$formula <- stats::update.formula(old, formula.)
  }
  if (length(extras)) {
    existing <- !is.na(match(names(extras), names(call)))
    for (a in names(extras)[existing]) call[[a]] <- extras[[a]]
    if (any(!existing)) call <- as.call(c(as.list(call), extras[!existing]))
  }
  if (evaluate) eval(call, parent.frame()) else call
}

# Does an update formula remove a random-effect term (`. ~ . - (0 + x | g)`)?
removes_bar_term <- function(f) {
  walk <- function(e) {
    if (!is.call(e)) return(FALSE)
    if (call_name(e) == "-" && length(e) == 3L && length(bar_expressions(e[[3L]]))) return(TRUE)
    any(vapply(as.list(e)[-1L], walk, logical(1)))
  }
  walk(f[[length(f)]])
}

# The fixed-effects model matrix X.
#' @rdname glmm-accessors
#' @importFrom stats model.matrix
#' @export
model.matrix.glmmlab <- function(object, ...) object$X

# Terms of the fixed part of the formula.
#' @rdname glmm-accessors
#' @importFrom stats terms
#' @export
terms.glmmlab <- function(x, ...) with_training_predvars(x$terms, x$frame)   # predvars: poly(), ns(), scale() as fitted

# Fixed-effect estimates, as glmmTMB: list(cond, zi, disp) of class "fixef.glmmlab", with zi
# empty without a zero-inflation model and disp glmmTMB's log dispersion (empty for families
# without one).
#' @rdname glmm-accessors
#' @export
fixef.glmmlab <- function(object, ...) {
  if (has_model_components(object)) return(structure(component_estimates(object), class = "fixef.glmmlab"))
  structure(list(cond = object$beta, zi = numeric(0), disp = single_disp_estimate(object)), class = "fixef.glmmlab")
}

# glmmTMB's betad of a model with one dispersion parameter: log sigma() on glmmTMB 1.1.5's scale
# (log sigma^2 for gaussian, log shape for Gamma), named "(Intercept)"; empty without a dispersion.
single_disp_estimate <- function(object) {
  if (!isTRUE(family_codes(object$family)$has_dispersion)) return(numeric(0))
  c("(Intercept)" = log(sigma.glmmlab(object)) / betad_scale(object$family$family))
}

# Is a fixef() component trivial, as glmmTMB judges it: no coefficients, or a dispersion model
# that is an intercept alone (left out of print() and of bootMer(m, fixef)).
trivial_fixef_component <- function(name, values) !length(values) || (name == "disp" && identical(names(values), "(Intercept)"))

# Print each component's fixed effects under its heading ("Conditional model:"), the trivial
# ones (trivial_fixef_component()) only when print_trivials = TRUE.
#' @rdname glmm-accessors
#' @param print_trivials print components that have no coefficients, and a dispersion model
#'   that is only an intercept (as 'glmmTMB').
#' @export
print.fixef.glmmlab <- function(x, digits = max(3, getOption("digits") - 3), print_trivials = FALSE, ...) {
  for (component in names(x)) {
    if (!print_trivials && trivial_fixef_component(component, x[[component]])) next
    cat(sprintf("\n%s:\n", component_title(component)))
    if (!length(x[[component]])) {
      cat("(no coefficients)\n")
      next
    }
    print.default(format(x[[component]], digits = digits), print.gap = 2L, quote = FALSE)
  }
  invisible(x)
}

# Covariance matrix of the fixed effects, as glmmTMB: list(cond = p x p matrix); with full = TRUE
# the covariance of all parameters on glmmTMB's internal scale (R/inference_core.R).
#' @rdname glmm-accessors
#' @importFrom stats vcov
#' @export
vcov.glmmlab <- function(object, full = FALSE, ...) {
  check_flag(full, "full")
  if (full) {
    V <- full_covariance(object)
    if (!is.null(attr(V, "note"))) warning(attr(V, "note"), call. = FALSE)
    attr(V, "note") <- NULL
    return(V)
  }
  if (has_model_components(object)) {
    V <- component_covariances(object)
    return(structure(V[vapply(V, length, 1L) > 0L], class = "vcov.glmmlab"))
  }
  structure(list(cond = object$vcov), class = "vcov.glmmlab")
}

# Print each component's covariance matrix under its heading.
#' @rdname glmm-accessors
#' @export
print.vcov.glmmlab <- function(x, ...) {
  for (component in names(x)) {
    cat(component_title(component), ":\n", sep = "")
    print(x[[component]], ...)
    cat("\n")
  }
  invisible(x)
}

# Heading of a model component as glmmTMB prints it.
component_title <- function(component) {
  switch(component, cond = "Conditional model", zi = "Zero-inflation model", disp = "Dispersion model", component)
}

#' Number of levels of each grouping factor
#'
#' The number of groups (levels) of each grouping factor of the random effects, one entry per
#' distinct factor (a factor used in several terms, as in `(1 | g) + (0 + x | g)`, is counted
#' once). When 'lme4' is loaded its `ngrps()` generic dispatches here too, and this one hands
#' objects it does not know (lme4's fits, factors) over to lme4's.
#'
#' @param object a model fitted by [glmm()].
#' @param ... unused.
#' @return A named integer vector, e.g. `c("patch:pop" = 96, pop = 9)`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' ngrps(glmm(y ~ x + (1 | g), data = d))
# Generic: number of levels of each grouping factor.
#' @export
ngrps <- function(object, ...) UseMethod("ngrps")

# Other objects: hand over to lme4's ngrps() when lme4 is loaded (its models, factors), else an error.
# The call is evaluated in lme4's namespace so that its dispatch finds lme4's methods, not this one.
#' @rdname ngrps
#' @export
ngrps.default <- function(object, ...) {
  if (isNamespaceLoaded("lme4")) return(do.call("ngrps", list(object, ...), envir = asNamespace("lme4")))
  stop(sprintf("ngrps() does not know objects of class %s; it needs a model fitted by glmm()",
               sQuote(class(object)[1L], FALSE)), call. = FALSE)
}

# Levels of each distinct grouping factor, named by the factor as printed ("patch:pop").
#' @rdname ngrps
#' @export
#' @rawNamespace S3method(lme4::ngrps, glmmlab)
ngrps.glmmlab <- function(object, ...) {
  groups <- vapply(object$re, `[[`, "", "group")
  counts <- vapply(object$re, function(term) as.integer(term$nlev), integer(1))
  names(counts) <- groups
  counts[!duplicated(groups)]
}
