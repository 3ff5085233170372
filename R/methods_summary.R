# methods_summary.R: print() and summary() of a fitted "glmmlab" object, laid out as glmmTMB's
# (the course chapter's printed output): family and call, fit statistics, random effects,
# dispersion, and the table of fixed effects with Wald z tests.

#' Summarize a fitted glmm model
#'
#' `summary()` collects what the printed summary shows, in 'glmmTMB''s layout: the table of
#' fixed effects with Wald z tests is `summary(m)$coefficients$cond` (so `summary(m)$coef$cond`
#' works too), the random effects `summary(m)$varcor` (as [VarCorr.glmmlab()]), and the fit
#' statistics `summary(m)$AICtab`.
#'
#' @param object,x a model fitted by [glmm()] (for `summary()` and `print()`), or its summary.
#' @param digits number of significant digits to print.
#' @param signif.stars logical: show significance stars after the p-values?
#' @param ddf for linear mixed models, the degrees of freedom of the tests of the fixed effects:
#'   `"asymptotic"` (the default: z tests, as 'glmmTMB'), `"Satterthwaite"` or
#'   `"Kenward-Roger"` (t tests, as 'lmerTest' and 'pbkrtest' compute them; see [dof_KR()]);
#'   case is ignored, so 'glmmTMB''s `"satterthwaite"` and `"kenward-roger"` work too. The
#'   coefficient table then has the columns Estimate, Std. Error, df, t value and Pr(>|t|), as
#'   'lmerTest' prints it: Satterthwaite's with the standard errors of the covariance of the fixed
#'   effects given the variance parameters ('lme4''s; for REML fits that of [vcov.glmmlab()]),
#'   Kenward-Roger's (REML fits only) with its adjusted standard errors.
#' @param ... unused.
#' @return `summary()`: an object of class `"summary.glmmlab"`, a list with `coefficients`
#'   (a list with the matrix `cond`: Estimate, Std. Error, z value, Pr(>|z|)), `varcor`,
#'   `AICtab` (AIC, BIC, logLik, -2*log(L), df.resid), `logLik`, `sigma`, `dispersion`,
#'   `family_params` (the Tweedie power or t degrees of freedom, see [family_params()]),
#'   `ngrps`, `nobs`, `family` and `link` (names), `formula`, `call`, `REML`, `vcov`,
#'   `singular` and `converged` (logical), `optimizer_message` and `ddf` (the method).
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' m
#' summary(m)
#' summary(m)$coefficients$cond
#' summary(m, ddf = "Satterthwaite")
#' @name summary.glmmlab
NULL

# Everything the printed summary shows, as a list of class "summary.glmmlab".
#' @rdname summary.glmmlab
#' @export
summary.glmmlab <- function(object, ddf = c("asymptotic", "Satterthwaite", "Kenward-Roger"), ...) {
  ddf <- match_ddf(ddf)
  ll <- logLik.glmmlab(object)
  coefficients <- if (ddf == "asymptotic") fixed_effects_table(object$beta, object$vcov) else ddf_coefficient_table(object, ddf)
  if (has_model_components(object)) {
    if (ddf != "asymptotic") stop("`ddf` other than \"asymptotic\" is not available for models with `ziformula` or `dispformula`", call. = FALSE)
    est <- component_estimates(object)
    V <- component_covariances(object)
    coefficients <- list(cond = coefficients)
    if (!is.null(object$components$zi)) coefficients$zi <- fixed_effects_table(est$zi, V$zi)
    if (!is.null(object$components$disp)) coefficients$disp <- fixed_effects_table(est$disp, V$disp)
  } else {
    coefficients <- list(cond = coefficients)
  }
  structure(list(
    coefficients = coefficients, ddf = ddf, disp_model = !is.null(object$components$disp),
    varcor = VarCorr.glmmlab(object), AICtab = fit_statistics(object), logLik = ll,
    sigma = sigma.glmmlab(object), dispersion = object$dispersion, family_params = family_params.glmmlab(object),
    ngrps = ngrps.glmmlab(object), nobs = object$nobs,
    family = object$family$family, link = object$family$link,
    formula = object$formula, call = object$call, REML = isTRUE(object$REML),
    deviance = object$deviance, vcov = vcov.glmmlab(object),
    singular = isTRUE(object$optinfo$singular), converged = fit_converged(object),
    optimizer_message = object$optinfo$message
  ), class = "summary.glmmlab")
}

# The ddf method, matched without regard to case: "asymptotic", "satterthwaite" or "kenward-roger".
match_ddf <- function(ddf) {
  choices <- c("asymptotic", "satterthwaite", "kenward-roger")
  if (missing(ddf) || identical(ddf, c("asymptotic", "Satterthwaite", "Kenward-Roger"))) return("asymptotic")
  hit <- if (is.character(ddf) && length(ddf) == 1L) pmatch(tolower(ddf), choices) else NA
  if (is.na(hit)) stop("`ddf` must be \"asymptotic\", \"Satterthwaite\" or \"Kenward-Roger\"", call. = FALSE)
  choices[hit]
}

# Estimate, Std. Error, z value and two-sided normal p-value of each fixed effect.
fixed_effects_table <- function(beta, V) {
  se <- sqrt(diag(V))
  z <- beta / se
  out <- cbind(Estimate = beta, "Std. Error" = se, "z value" = z, "Pr(>|z|)" = 2 * stats::pnorm(-abs(z)))
  rownames(out) <- names(beta)
  out
}

# AIC, BIC, logLik, -2*log(L) and residual degrees of freedom.
fit_statistics <- function(object) {
  ll <- logLik.glmmlab(object)
  c(AIC = stats::AIC(ll), BIC = stats::BIC(ll), logLik = as.numeric(ll),
    "-2*log(L)" = -2 * as.numeric(ll), df.resid = df.residual.glmmlab(object))
}

# Did the optimizer report success (NLopt codes 1 to 4)? Unknown status counts as success.
fit_converged <- function(object) {
  status <- object$optinfo$status
  if (!is.numeric(status) || length(status) != 1L || is.na(status)) return(TRUE)
  status >= 1 && status <= 4
}

# Print the summary: header, fit statistics, random effects, dispersion, fixed effects, notes.
#' @rdname summary.glmmlab
#' @export
print.summary.glmmlab <- function(x, digits = max(3, getOption("digits") - 3),
                               signif.stars = getOption("show.signif.stars"), ...) {
  cat(" Family:", x$family, paste(" (", x$link, ")"), fill = TRUE)
  print_call_lines(x$formula, x$call)
  cat("\n")
  print_fit_statistics(x$AICtab, REML = x$REML, criterion = x$deviance, digits = 1)
  cat("\n")
  if (length(x$varcor$cond) || !is.null(x$varcor$zi)) {   # a model without random effects has no such block (as glmmTMB)
    cat("Random effects:\n")
    if (length(x$varcor$cond)) {
      cat("\nConditional model:\n")
      print(varcorr_table(x$varcor$cond, digits = digits), quote = FALSE)
    }
    if (!is.null(x$varcor$zi)) {
      cat("\nZero-inflation model:\n")
      print(varcorr_table(x$varcor$zi, digits = digits), quote = FALSE)
    }
    cat(sprintf("Number of obs: %d, groups:  %s\n", as.integer(x$nobs),
                paste(names(x$ngrps), x$ngrps, sep = ", ", collapse = "; ")))
  }
  if (!isTRUE(x$disp_model)) print_dispersion(x$family, x$sigma, x$dispersion)
  print_family_params(x$family_params)
  cc <- x$coefficients$cond
  if (NROW(cc) > 0L) {
    cat("\nConditional model:\n")
    stats::printCoefmat(cc, zap.ind = 3, digits = digits, signif.stars = signif.stars)
    if (!is.null(x$ddf) && x$ddf != "asymptotic") {
      cat(sprintf("t tests use %s method for the degrees of freedom%s\n",
                  c(satterthwaite = "Satterthwaite's", "kenward-roger" = "Kenward-Roger's")[[x$ddf]],
                  if (x$ddf == "kenward-roger") " and standard errors" else ""))
    }
  }
  for (component in intersect(c("zi", "disp"), names(x$coefficients))) {
    cat(sprintf("\n%s:\n", component_title(component)))
    stats::printCoefmat(x$coefficients[[component]], zap.ind = 3, digits = digits, signif.stars = signif.stars)
  }
  print_fit_notes(x$singular, x$converged, x$optimizer_message)
  invisible(x)
}

# Lines "Formula:", "Data:", and when given "Weights:", "Offset:", "Subset:".
print_call_lines <- function(formula, call) {
  cat("Formula:         ", paste(deparse(formula, width.cutoff = 500L), collapse = " "), fill = TRUE)
  for (arg in c("data", "weights", "offset", "subset")) {
    value <- call[[arg]]
    if (is.null(value)) next
    label <- paste0(toupper(substring(arg, 1, 1)), substring(arg, 2), ":")
    cat(label, paste(deparse(value), collapse = " "), fill = TRUE)
  }
}

# The fit statistics line (rounded to `digits` decimals), or the REML criterion for REML fits.
print_fit_statistics <- function(stats_vector, REML, criterion, digits) {
  if (isTRUE(REML)) {
    cat("REML criterion at convergence:", round(criterion, digits), fill = TRUE)
    return(invisible())
  }
  rounded <- round(stats_vector, digits)
  text <- format(rounded)
  text["df.resid"] <- format(rounded["df.resid"])
  print(text, quote = FALSE)
}

# The dispersion line, as glmmTMB's: sigma^2 for gaussian, Gamma and t, the family's parameter for
# others (read from `dispersion`, else `sigma`), nothing for binomial, Poisson and truncated Poisson.
print_dispersion <- function(family, sigma, dispersion) {
  if (family %in% c("gaussian", "Gamma", "t")) {
    cat(sprintf("\nDispersion estimate for %s family (sigma^2): %s", family, formatC(sigma^2, digits = 3)), "\n")
  } else if (!family %in% c("binomial", "poisson", "truncated_poisson")) {
    value <- if (is.numeric(dispersion) && length(dispersion) == 1L && is.finite(dispersion)) dispersion else sigma
    cat(sprintf("\nDispersion parameter for %s family (): %s", family, formatC(value, digits = 3)), "\n")
  }
}

# The shape parameter's line (tweedie's power, t's df), as glmmTMB's print() shows it.
print_family_params <- function(values) {
  if (length(values)) {
    cat(sprintf("\n%s estimate: %s", names(values)[1L], paste(formatC(values, digits = 3), collapse = ", ")), "\n")
  }
}

# Short notes for singular fits and fits whose optimizer did not report convergence.
print_fit_notes <- function(singular, converged, message) {
  if (isTRUE(singular)) {
    cat("\nNote: singular fit: a random-effect variance is estimated at (or near) zero or a\n",
        "correlation at +/-1; consider a simpler random-effects structure.\n", sep = "")
  }
  if (!isTRUE(converged)) {
    cat(sprintf("\nNote: the optimizer did not converge (%s); the estimates may be unreliable.\n",
                if (length(message)) message else "no message"))
  }
}

# Short display, line for line glmmTMB's (which names no family: summary() does): call, fit
# statistics, random-effect SDs, group counts, fixed effects.
#' @rdname summary.glmmlab
#' @export
print.glmmlab <- function(x, digits = max(3, getOption("digits") - 3), ...) {
  print_call_lines(x$formula, x$call)
  print_fit_statistics(c(AIC = stats::AIC(logLik.glmmlab(x)), BIC = stats::BIC(logLik.glmmlab(x)),
                         logLik = x$loglik, df.resid = df.residual.glmmlab(x)),
                       REML = x$REML, criterion = x$deviance, digits = digits + 1)
  if (length(x$re)) {
    cat("Random-effects (co)variances:\n")
    print(VarCorr.glmmlab(x), digits = digits)
    groups <- ngrps.glmmlab(x)
    cat(sprintf("\nNumber of obs: %d / Conditional model: %s\n", as.integer(x$nobs),
                paste(names(groups), groups, sep = ", ", collapse = "; ")))
  } else {
    cat(sprintf("\nNumber of obs: %d\n", as.integer(x$nobs)))
  }
  print_dispersion(x$family$family, sigma.glmmlab(x), x$dispersion)
  print_family_params(family_params.glmmlab(x))
  cat("\nFixed Effects:\n")
  print(fixef.glmmlab(x), digits = digits)
  print_fit_notes(isTRUE(x$optinfo$singular), fit_converged(x), x$optinfo$message)
  invisible(x)
}
