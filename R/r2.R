# r2.R: marginal and conditional R² of a mixed model (Nakagawa & Schielzeth 2013; Johnson 2014
# for random slopes; Nakagawa, Johnson & Schielzeth 2017 for GLMMs), and the latent-scale variance
# pieces it shares with varpart(): the variance of each random-effect term averaged over the
# observations and the distribution-specific (observation-level) variance of the family.
#
# Notation: var_fixed = var(X beta) (no offset); var_random = sum over terms of mean_i(z_i' Sigma z_i)
# where z_i is row i of the term's model matrix; var_residual = the distribution-specific variance
# plus any observation-level random effect (a term with one level per observation).
# R2_marginal = var_fixed / total, R2_conditional = (var_fixed + var_random) / total.

#' Marginal and conditional R² of a mixed model
#'
#' The proportion of variance explained by the fixed effects alone (marginal R²) and by the
#' fixed and random effects together (conditional R²), after Nakagawa & Schielzeth (2013), with
#' Johnson's (2014) extension to random slopes and the extension of Nakagawa, Johnson &
#' Schielzeth (2017) to generalized linear mixed models. The numbers are those that
#' `performance::r2()` and `performance::r2_nakagawa()` give for the same 'glmmTMB' fit
#' (performance 0.10.2 with insight 0.19.0, Debian 12's versions): `performance::r2(m)` calls this
#' method, so it gives them for glmmlab fits too.
#'
#' The variance components are
#' * fixed: the variance of the fixed-effect predictions \eqn{X\beta} (the offset left out);
#' * random: for each random-effect term, the mean over observations of \eqn{z_i'\Sigma z_i}, where
#'   \eqn{z_i} holds the term's covariates for observation \eqn{i} (so the variance of a random
#'   intercept, plus slope contributions that depend on the covariates' values);
#' * residual: for gaussian models \eqn{\sigma^2}; for GLMMs the distribution-specific variance on
#'   the latent (link) scale: \eqn{\pi^2/3} for the binomial logit link, 1 for probit,
#'   \eqn{\pi^2/6} for cloglog; \eqn{\log(1 + 1/\lambda)} for the Poisson log link (0.25 for the
#'   square-root link), \eqn{\log(1 + 1/\lambda + 1/\theta)} for `nbinom2`,
#'   \eqn{\log(1 + (1 + \phi)/\lambda)} for `nbinom1`, and \eqn{\log(1 + \sigma^2)} (\eqn{\sigma}
#'   the coefficient of variation, i.e. `sigma(m)`) for Gamma with the log link (the lognormal
#'   approximations); likewise \eqn{\log(1 + \phi/\lambda)} for `genpois`,
#'   \eqn{\log(1 + \phi\lambda^{p-2})} for `tweedie` and \eqn{\log(1 + \sigma^2/\lambda^2)} for
#'   `lognormal` (log links), and \eqn{\sigma^2\nu/(\nu-2)} (the t distribution's variance) for
#'   `t_family()` with the identity link. It is not defined (an error) for the beta, beta-binomial
#'   and zero-truncated families, nor for models with `ziformula` or `dispformula`.
#'   \eqn{\lambda} is the mean count of the null model
#'   `response ~ 1 + (random terms)`, which is refitted for count families unless given as
#'   `null_model`. A random-effect term with one level per observation (an observation-level
#'   random effect) counts as residual (overdispersion) variance.
#'
#' @section The mean count \eqn{\lambda} of count models:
#' By default (`lambda = "exp_intercept"`) \eqn{\lambda = \exp(\beta_0)}, the null model's
#' intercept on the response scale: what insight 0.19.0 uses, so that `r2()`, `performance::r2()`,
#' `r2_nakagawa()`, `icc()` and `tab_model()` give for a glmmlab fit the numbers they give for the
#' same glmmTMB fit (for the chapter's nbinom2 bee model 0.825 / 0.280). Nakagawa, Johnson &
#' Schielzeth (2017) take the mean of the lognormal distribution of the expected counts,
#' \eqn{\lambda = \exp(\beta_0 + \sigma^2_{RE}/2)} (`lambda = "lognormal"`, 0.828 / 0.281 for that
#' model), as does `MuMIn::r.squaredGLMM()` (its "lognormal" row, version 1.47.5; newer versions of
#' insight may too). glmmlab follows the numbers of the
#' tools installed with it (Debian 12: performance 0.10.2, insight 0.19.0) so that a table of glmmTMB and
#' glmmlab fits agrees; the difference is small when \eqn{\lambda} is large. For binomial models
#' with several trials per observation, MuMIn 1.47.5 divides the distribution-specific variance
#' \eqn{\pi^2/3} by the mean number of trials; glmmlab and performance do not.
#'
#' @param object a model fitted by [glmm()].
#' @param null_model optional: the null model of a count GLMM (the same response, family and
#'   random effects, an intercept as the only fixed effect) when it cannot be refitted from
#'   `object`'s call (e.g. when the data are no longer around).
#' @param lambda the mean count of the null model for count families: `"exp_intercept"`
#'   (\eqn{\exp(\beta_0)}, the default) or `"lognormal"` (\eqn{\exp(\beta_0 + \sigma^2/2)}); see below.
#' @param ... unused.
#' @return An object of class `"r2_glmmlab"`: a list with `R2_marginal`, `R2_conditional`, the
#'   variance components `var_fixed`, `var_random`, `var_residual`, `var_distribution` and the
#'   `family`/`link` names.
#' @references
#' Nakagawa S. & Schielzeth H. (2013) A general and simple method for obtaining R² from
#' generalized linear mixed-effects models. Methods in Ecology and Evolution 4: 133-142.
#'
#' Johnson P. C. D. (2014) Extension of Nakagawa & Schielzeth's R²GLMM to random slopes models.
#' Methods in Ecology and Evolution 5: 944-946.
#'
#' Nakagawa S., Johnson P. C. D. & Schielzeth H. (2017) The coefficient of determination R² and
#' intra-class correlation coefficient from generalized linear mixed-effects models revisited
#' and expanded. Journal of the Royal Society Interface 14: 20170213.
#' @seealso [varpart()] for the table of variance components.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' r2(m)
#' r2(m)$R2_marginal
#' @export
r2 <- function(object, ...) UseMethod("r2")

# Other objects: hand over to performance's r2() when performance is loaded, else an error.
#' @rdname r2
#' @export
r2.default <- function(object, ...) {
  if (isNamespaceLoaded("performance")) return(do.call("r2", list(object, ...), envir = asNamespace("performance")))
  stop(sprintf("r2() does not know objects of class %s; it needs a model fitted by glmm()",
               sQuote(class(object)[1L], FALSE)), call. = FALSE)
}

# Marginal and conditional R² from the three latent-scale variance components.
#' @rdname r2
#' @export
#' @rawNamespace S3method(performance::r2, glmmlab)
r2.glmmlab <- function(object, null_model = NULL, lambda = c("exp_intercept", "lognormal"), ...) {
  if (has_model_components(object)) {
    stop("r2() is not defined for models with a zero-inflation or dispersion model (`ziformula`, `dispformula`): the latent-scale distribution variance of Nakagawa et al. has no single value there", call. = FALSE)
  }
  generic_env <- get0(".GenericDefEnv", envir = environment(), inherits = FALSE)   # set by UseMethod()
  if (identical(object$family$family, "t") && isNamespaceLoaded("performance") && identical(generic_env, asNamespace("performance"))) {
    stop(insight_variance_unavailable(object), call. = FALSE)   # performance::r2() promises insight's numbers
  }
  lambda <- match.arg(lambda)
  parts <- latent_variances(object, null_model, envir = parent.frame(), lambda = lambda)
  total <- parts$var_fixed + parts$var_random + parts$var_residual
  structure(c(list(R2_marginal = parts$var_fixed / total,
                   R2_conditional = (parts$var_fixed + parts$var_random) / total),
              parts, list(family = object$family$family, link = object$family$link)),
            class = "r2_glmmlab")
}

# Print both R² values, three decimals, with the variance components they come from.
#' @rdname r2
#' @param x an `"r2_glmmlab"` object.
#' @param digits number of decimals.
#' @export
print.r2_glmmlab <- function(x, digits = 3, ...) {
  cat("R2 for mixed models (Nakagawa & Schielzeth)\n\n")
  cat(sprintf("  Conditional R2: %.*f\n", digits, x$R2_conditional))
  cat(sprintf("     Marginal R2: %.*f\n", digits, x$R2_marginal))
  scale <- if (x$family == "gaussian" && x$link == "identity") "" else
    sprintf(" on the latent (%s link) scale", x$link)
  cat(sprintf("\nVariances%s: fixed %s, random %s, residual %s\n", scale,
              format(signif(x$var_fixed, 4)), format(signif(x$var_random, 4)), format(signif(x$var_residual, 4))))
  invisible(x)
}

# The three variance components of R² (fixed, random, residual) plus the distribution-specific part.
latent_variances <- function(object, null_model = NULL, envir = parent.frame(), lambda = "exp_intercept") {
  term_var <- re_term_variances(object)
  obs_level <- observation_level_terms(object)
  var_distribution <- distribution_variance(object, null_model, envir, lambda)
  list(var_fixed = fixed_effect_variance(object),
       var_random = sum(term_var[!obs_level]),
       var_residual = var_distribution + sum(term_var[obs_level]),
       var_distribution = var_distribution)
}

# Variance of the fixed-effect predictions X beta over the observations (offset excluded).
fixed_effect_variance <- function(object) {
  if (!length(object$beta)) return(0)
  stats::var(drop(object$X %*% object$beta))
}

# Each random-effect term's variance averaged over observations: mean_i z_i' Sigma z_i (Johnson 2014).
re_term_variances <- function(object) {
  out <- vapply(seq_along(object$re), function(i) {
    Z <- object$re[[i]]$Xt
    Sigma <- latent_cov_re(object)[[i]]
    mean(rowSums((Z %*% Sigma) * Z))
  }, numeric(1))
  names(out) <- names(object$cov_re)
  out
}

# Random-effect covariance matrices on the latent scale (the fitted object's cov_re).
latent_cov_re <- function(object) object$cov_re

# Which terms have one level per observation (observation-level random effects)?
observation_level_terms <- function(object) {
  vapply(object$re, function(term) term$nlev == object$nobs, logical(1))
}

# Distribution-specific variance on the latent scale (Nakagawa, Johnson & Schielzeth 2017, lognormal
# approximation), with the null model's mean count lambda as `lambda` says (see ?r2; r2() and
# insight's get_variance() pass "exp_intercept", varpart() keeps the default "lognormal").
distribution_variance <- function(object, null_model = NULL, envir = parent.frame(), lambda = "lognormal") {
  fam <- object$family$family
  link <- object$family$link
  bad_link <- function() {
    stop(sprintf("the latent-scale variance is not defined here for the %s family with the %s link",
                 fam, link), call. = FALSE)
  }
  if (fam == "gaussian") {
    if (link != "identity") bad_link()
    return(object$sigma^2)
  }
  if (fam == "binomial") {
    return(switch(link, logit = pi^2 / 3, probit = 1, cloglog = pi^2 / 6, bad_link()))
  }
  if (fam == "Gamma") {
    if (link != "log") bad_link()
    return(log1p(sigma_or_stop(object)^2))
  }
  if (fam == "t") {
    if (link != "identity") bad_link()
    df <- unname(family_params.glmmlab(object))
    if (!(df > 2)) stop(sprintf("the t family's variance is infinite with %.3g degrees of freedom (<= 2): R2 is not defined", df), call. = FALSE)
    return(sigma_or_stop(object)^2 * df / (df - 2))
  }
  if (fam %in% c("poisson", "nbinom2", "nbinom1", "genpois", "tweedie", "lognormal")) {
    if (fam == "poisson" && link == "sqrt") return(0.25)
    if (link != "log") bad_link()
    mean_count <- null_model_mean(object, null_model, envir, lambda)
    phi <- if (fam != "poisson") sigma_or_stop(object)
    cv2 <- switch(fam, poisson = 1 / mean_count, nbinom2 = 1 / mean_count + 1 / phi, nbinom1 = (1 + phi) / mean_count,
                  genpois = phi / mean_count, tweedie = phi * mean_count^(unname(family_params.glmmlab(object)) - 2),
                  lognormal = (phi / mean_count)^2)
    return(log1p(cv2))
  }
  stop(sprintf("the latent-scale (distribution-specific) variance is not defined for the %s family, so R2 and the variance partition are not available", fam),
       call. = FALSE)
}

# The family's dispersion parameter (glmmTMB's sigma()), or an error if the fit has none.
sigma_or_stop <- function(object) {
  s <- if (is.null(object$dispersion)) object$sigma else object$dispersion
  if (!is.numeric(s) || length(s) != 1L || !is.finite(s)) {
    stop(sprintf("the %s fit has no dispersion parameter", object$family$family), call. = FALSE)
  }
  s
}

# Mean count of the null model: exp(beta0) ("exp_intercept", insight 0.19) or exp(beta0 +
# var_random / 2) ("lognormal", Nakagawa et al. 2017), refitting the null model if needed.
null_model_mean <- function(object, null_model = NULL, envir = parent.frame(), lambda = "exp_intercept") {
  if (is.null(null_model)) null_model <- refit_null_model(object, envir)
  if (!inherits(null_model, "glmmlab")) stop("`null_model` must be a model fitted by glmm()", call. = FALSE)
  if (!identical(colnames(null_model$X), "(Intercept)")) {
    stop("`null_model` must have an intercept as its only fixed effect, e.g. y ~ 1 + (1 | g)", call. = FALSE)
  }
  if (lambda == "exp_intercept") return(exp(unname(null_model$beta[1L])))
  term_var <- re_term_variances(null_model)
  exp(unname(null_model$beta[1L]) + sum(term_var[!observation_level_terms(null_model)]) / 2)
}

# The null model: the fit's call with an intercept as the only fixed effect (offsets kept).
refit_null_model <- function(object, envir) {
  if (identical(colnames(object$X), "(Intercept)")) return(object)
  cl <- object$call
  cl$formula <- null_formula(object$formula)
  cl$start <- NULL
  fit <- reevaluate_call(cl, object, envir)
  if (is.null(fit)) {
    stop("could not refit the null model (response ~ 1 + random effects) from the model's call: ",
         "fit it yourself and pass it as `null_model`", call. = FALSE)
  }
  fit
}

# Formula `response ~ 1 + offset terms + (random-effect terms)` with the original's environment.
null_formula <- function(formula) {
  tt <- stats::terms(fixed_formula(formula))
  offsets <- as.list(attr(tt, "variables"))[-1L][attr(tt, "offset")]
  bars <- lapply(collect_bars(formula[[length(formula)]]), function(b) call("(", b))
  rhs <- Reduce(function(a, b) call("+", a, b), c(list(1), offsets, bars))
  stats::as.formula(call("~", formula[[2L]], rhs), env = environment(formula))
}

# Evaluate a modified model call where the data are found: the formula's environment, the user's
# frame `envir`, the global environment. The refit must have the same response as `object`.
# NULL when none works; messages of the refit (e.g. singular fits) are kept quiet.
reevaluate_call <- function(cl, object, envir) {
  for (env in list(environment(object$formula), envir, globalenv())) {
    if (is.null(env)) next
    fit <- tryCatch(suppressMessages(eval(cl, env)), error = function(e) NULL)
    if (inherits(fit, "glmmlab") && fit$nobs == object$nobs && isTRUE(all.equal(unname(fit$y), unname(object$y)))) return(fit)
  }
  NULL
}

#' MuMIn's r.squaredGLMM() for glmmlab fits
#'
#' With 'MuMIn' installed, `MuMIn::r.squaredGLMM(m)` gives for a model fitted by [glmm()] the
#' matrix it gives for the same 'glmmTMB' fit (columns `R2m`, `R2c`), computed with the formulas of
#' MuMIn 1.47.5 (registered when 'MuMIn' is loaded; glmmlab does not depend on it): gaussian
#' models one row (residual \eqn{\sigma^2}); binomial models rows `"theoretical"`
#' (\eqn{\pi^2/3}, or 1 for probit, \eqn{\pi^2/6} for cloglog, divided by the mean number of
#' trials) and `"delta"`; Poisson, negative binomial and Gamma (log link) models rows `"delta"`,
#' `"lognormal"` and `"trigamma"`, with the null model's mean count
#' \eqn{\lambda = \exp(\beta_0 + \sigma^2/2)}. The `"lognormal"` row of count models equals
#' `r2(m, lambda = "lognormal")`; `r2(m)` follows 'performance' instead (see [r2()]).
#'
#' @param object a model fitted by [glmm()].
#' @param null optional null model (intercept and the same random effects), refitted if missing.
#' @param envir where to refit the null model.
#' @param ... unused.
#' @return A matrix with columns `R2m` and `R2c`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$n <- rpois(80, exp(1 + 0.5 * d$x + rnorm(8)[d$g]))
#' m <- glmm(n ~ x + (1 | g), data = d, family = poisson)
#' glmmlab:::r.squaredGLMM.glmmlab(m)
#' @name glmm-MuMIn
r.squaredGLMM.glmmlab <- function(object, null, envir = parent.frame(), ...) {
  fam <- object$family$family
  link <- object$family$link
  var_fe <- fixed_effect_variance(object)
  var_re <- sum(re_term_variances(object))
  if (fam == "gaussian") return(mumin_r2_rows(var_fe, var_re, object$sigma^2))
  needs_null <- fam %in% c("poisson", "nbinom1", "nbinom2", "binomial")
  if (needs_null) {
    if (missing(null) || is.null(null)) null <- refit_null_model(object, envir)
    b0 <- unname(null$beta[1L])
    vt <- sum(re_term_variances(null))
  }
  resid <- switch(paste(fam, link, sep = "."),
    binomial.logit = , binomial.probit = , binomial.cloglog = {
      pmean <- object$family$linkinv(b0 - 0.5 * vt * tanh(b0 * (1 + 2 * exp(-0.5 * vt)) / 6))
      n <- mean_trials(object)
      theoretical <- switch(link, logit = pi^2 / 3, probit = 1, cloglog = pi^2 / 6)
      delta <- switch(link, logit = 1 / (pmean * (1 - pmean)),
                      probit = 2 * pi * pmean * (1 - pmean) * exp((stats::qnorm(pmean) / sqrt(2))^2)^2,
                      cloglog = pmean / log(1 - pmean)^2 / (1 - pmean))
      c(theoretical = theoretical / n, delta = delta / n)
    },
    poisson.log = count_rows(exp(b0 + 0.5 * vt), 1),
    nbinom1.log = count_rows(exp(b0 + 0.5 * vt), sigma_or_stop(object) + 1),
    Gamma.log = count_rows(sigma_or_stop(object)^-2, 1),
    nbinom2.log = {
      vdelta <- 1 / exp(b0 + 0.5 * vt) + 1 / sigma_or_stop(object)
      c(delta = vdelta, lognormal = log1p(vdelta), trigamma = trigamma(1 / vdelta))
    },
    stop(sprintf("r.squaredGLMM() is not available for the %s family with the %s link", fam, link), call. = FALSE))
  mumin_r2_rows(var_fe, var_re, resid)
}

# MuMIn's delta, lognormal and trigamma residual variances for a mean lambda and dispersion omega.
count_rows <- function(lambda, omega) {
  c(delta = omega / lambda, lognormal = log1p(omega / lambda), trigamma = trigamma(lambda / omega))
}

# The R2m / R2c matrix, one row per residual variance.
mumin_r2_rows <- function(var_fe, var_re, resid) {
  total <- var_fe + var_re
  matrix(c(var_fe, total) / (total + rep(resid, each = 2L)), ncol = 2L, byrow = TRUE,
         dimnames = list(names(resid), c("R2m", "R2c")))
}

# Mean number of trials of a binomial response given as cbind(successes, failures), else 1 (as MuMIn).
mean_trials <- function(object) {
  response <- stats::model.response(object$frame)
  if (is.matrix(response)) mean(rowSums(response)) else 1
}
