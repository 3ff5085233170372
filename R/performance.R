# performance.R: methods for generics of 'performance' (model_performance(), check_overdispersion(),
# check_normality(), check_outliers()) and insight's ellipsis_info(), registered when those packages
# are loaded (R/zzz.R). They give for glmmlab fits what performance gives for glmmTMB fits; where
# performance cannot take a glmmlab fit (its multi-model functions accept only the classes that
# insight lists), a clear error says so.

#' performance checks for glmmlab fits
#'
#' `performance::check_overdispersion()` gives, for Poisson, negative binomial and binomial (with
#' trials) models fitted by [glmm()], the Pearson chi-square statistic, its ratio to the residual
#' degrees of freedom and the p-value, as for 'glmmTMB' fits (an error for other families, as
#' there). `performance::check_normality(m, effects = "random")` tests each column of each grouping
#' factor's conditional modes with the Shapiro-Wilk test (Kolmogorov-Smirnov from 5000 levels) and
#' carries the data of the random effects' QQ plot; with `effects = "fixed"` (studentized
#' residuals, which neither glmmlab nor glmmTMB compute) it is an error for linear models and,
#' as for 'glmmTMB' fits, a message and `NULL` for GLMMs. `performance::check_model()` computes its
#' diagnostics as for 'glmmTMB' fits except the random effects' QQ panel and the homogeneity panel,
#' which 'performance' computes only for the model classes it knows (they are left out).
#' `performance::check_zeroinflation()` of performance 0.10 reads a negative binomial model's size
#' from a field that a glmmlab fit uses for the random effects' parameters: for `nbinom1` and
#' `nbinom2` fits it stops with an error pointing to glmmlab's method (which later performance
#' versions dispatch to); for Poisson fits it gives glmmTMB's numbers. `check_convergence()` is
#' `TRUE` when the optimizer reported success and the fixed effects' covariance is positive
#' definite. `performance::compare_performance()` and `test_performance()` accept only the model classes
#' insight knows: with a glmmlab fit first they stop with an error saying so; compare glmmlab fits
#' with `anova()`, `AIC()` or `model_performance()` of each.
#'
#' @param x a model fitted by [glmm()].
#' @param effects `"fixed"` (residuals) or `"random"` (conditional modes).
#' @param verbose show messages?
#' @param ... unused.
#' @return `check_overdispersion()`: an object of class `"check_overdisp"`; `check_normality()`: the
#'   p-values, of class `"check_normality"`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$n <- rpois(80, exp(1 + 0.5 * d$x + rnorm(8)[d$g]))
#' m <- glmm(n ~ x + (1 | g), data = d, family = poisson)
#' if (requireNamespace("performance", quietly = TRUE)) {
#'   print(performance::check_overdispersion(m))
#'   print(performance::check_normality(m, effects = "random"))
#' }
#' @name glmm-performance
NULL

# Pearson chi-square test of overdispersion, as performance's method for glmmTMB fits.
#' @rdname glmm-performance
check_overdispersion.glmmlab <- function(x, verbose = TRUE, ...) {
  info <- insight::model_info(x, verbose = FALSE)
  if (!info$is_count && !info$is_binomial) {
    stop("Overdispersion checks can only be used for models from Poisson families or binomial families with trials > 1.", call. = FALSE)
  }
  if (info$is_bernoulli) stop("Overdispersion checks cannot be used for Bernoulli models.", call. = FALSE)
  rdf <- df.residual.glmmlab(x)
  chisq <- sum(residuals.glmmlab(x, type = "pearson")^2, na.rm = TRUE)
  out <- list(chisq_statistic = chisq, dispersion_ratio = chisq / rdf, residual_df = rdf,
              p_value = stats::pchisq(chisq, df = rdf, lower.tail = FALSE))
  structure(out, class = c("check_overdisp", "see_check_overdisp"), object_name = deparse(substitute(x))[1L])
}

# Shapiro-Wilk (or Kolmogorov-Smirnov) p-values of the conditional modes, per grouping factor and
# column, with the data of the random effects' QQ plot; an error for the residuals of an LMM.
#' @rdname glmm-performance
check_normality.glmmlab <- function(x, effects = c("fixed", "random"), ...) {
  effects <- match.arg(effects)
  if (effects == "fixed") {
    if (!is_gaussian_identity(x$family)) {
      message("Checking normality of residuals is only useful an appropriate assumption for linear models.")
      return(NULL)
    }
    stop("check_normality() of the residuals needs studentized residuals (rstudent()), which glmmlab does not compute ",
         "(performance fails on glmmTMB fits there too): use effects = \"random\", or qqnorm(residuals(m))", call. = FALSE)
  }
  re <- ranef.glmmlab(x, condVar = TRUE)$cond
  groups <- character()
  p <- numeric()
  for (g in names(re)) for (j in names(re[[g]])) {
    v <- re[[g]][[j]]
    test <- if (length(v) >= 5000) suppressWarnings(stats::ks.test(v, "pnorm")) else stats::shapiro.test(v)
    groups <- c(groups, paste0(g, ": ", j))
    p <- c(p, test$p.value)
  }
  structure(p, type = "random effects", re_groups = groups, re_qq = random_effect_qq(re), data = x,
            object_name = deparse(substitute(x))[1L], effects = effects,
            class = c("check_normality", "see_check_normality", "numeric"))
}

# The data of the random effects' QQ plot, per grouping factor: normal quantiles, sorted modes and
# 95% intervals from their conditional SDs (as performance draws it for glmmTMB fits).
random_effect_qq <- function(re) {
  lapply(re, function(frame) {
    cv <- attr(frame, "condVar")
    if (is.list(cv)) cv <- NULL
    rows <- lapply(seq_along(frame), function(j) {
      ord <- order(frame[[j]])
      sd <- if (is.null(cv)) rep(NA_real_, nrow(frame)) else sqrt(cv[j, j, ])
      data.frame(x = stats::qnorm(stats::ppoints(nrow(frame))), y = frame[[j]][ord],
                 conf.low = frame[[j]][ord] - stats::qnorm(0.975) * sd[ord],
                 conf.high = frame[[j]][ord] + stats::qnorm(0.975) * sd[ord], facet = names(frame)[j])
    })
    out <- do.call(rbind, rows)
    out$facet <- factor(out$facet, levels = names(frame))
    out
  })
}

# performance::check_convergence(): did the optimizer report success, and is the fixed effects'
# covariance positive definite (glmmTMB's check is TMB's positive-definite Hessian)?
check_convergence.glmmlab <- function(x, ...) {
  v <- diag(x$vcov)
  fit_converged(x) && all(is.finite(v)) && all(v > 0)
}

# performance::check_singularity(): is a random-effect covariance matrix (of the conditional or the
# zero-inflation model) near singular, an eigenvalue below `tolerance`, as performance checks glmmTMB fits.
check_singularity.glmmlab <- function(x, tolerance = 1e-5, ...) {
  covariances <- c(x$cov_re, x$components$cov_re)
  smallest <- vapply(covariances, function(S) min(eigen(S, symmetric = TRUE, only.values = TRUE)$values), 0)
  any(smallest < tolerance)
}

# check_zeroinflation() (a generic in later performance versions): expected zeros from the fitted
# means, with the negative binomial size sigma(m) as for glmmTMB fits.
check_zeroinflation.glmmlab <- function(x, tolerance = 0.05, ...) {
  if (!x$family$family %in% c("poisson", "nbinom1", "nbinom2")) stop("Model must be from Poisson-family.", call. = FALSE)
  if (!is.null(x$components$dispformula)) {
    stop("check_zeroinflation() is not available for glmmlab fits with `dispformula` (no single negative binomial size)", call. = FALSE)
  }
  observed <- sum(x$y == 0)
  mu <- as.numeric(x$fitted)
  predicted <- round(switch(x$family$family, poisson = sum(stats::dpois(0, mu)),
                            nbinom2 = sum(stats::dnbinom(0, size = sigma.glmmlab(x), mu = mu)),
                            nbinom1 = sum(stats::dnbinom(0, size = mu / sigma.glmmlab(x), mu = mu))))
  structure(list(predicted.zeros = predicted, observed.zeros = observed, ratio = predicted / observed,
                 tolerance = tolerance), class = "check_zi")
}

# insight::model_info(): insight's own answer, except where a caller would go on to read what a
# glmmlab fit stores differently, and then a clear error instead of wrong numbers or an obscure
# failure: performance 0.10's (non-generic) check_zeroinflation() reads a negative binomial's size
# as x$theta (in a glmmlab fit, the random effects' covariance parameters), and sjPlot's
# plot_model(type = "re") reads ranef() in lme4's or glmmTMB's layout.
model_info.glmmlab <- function(x, ...) {
  caller <- sys.function(sys.parent())
  if (identical(caller, foreign_function("performance", "check_zeroinflation")) && x$family$family %in% hurdle_families) {
    stop("performance::check_zeroinflation() does not apply to hurdle models (zero-truncated families): their zeros come ",
         "from the hurdle model, which predicts the observed number of zeros by construction", call. = FALSE)
  }
  if (identical(caller, foreign_function("performance", "check_zeroinflation")) && x$family$family %in% c("nbinom1", "nbinom2")) {
    stop("this version of performance::check_zeroinflation() cannot read the negative binomial size of a glmmlab fit; ",
         "glmmlab's own method gives its numbers: glmmlab:::check_zeroinflation.glmmlab(m)", call. = FALSE)
  }
  if (identical(caller, foreign_function("sjPlot", "plot_model")) && identical(get0("type", envir = parent.frame()), "re")) {
    stop("sjPlot::plot_model(type = \"re\") reads the random effects in lme4's or glmmTMB's layout, not glmmlab's: ",
         "draw them with plot(ranef(m)) or ggplot2::autoplot(ranef(m))", call. = FALSE)
  }
  default <- utils::getS3method("model_info", "default", envir = asNamespace("insight"))
  info <- default(x, ...)
  comp <- x$components
  if (!is.null(comp)) {   # the zero-inflation (or hurdle) and dispersion models, as insight flags them for glmmTMB fits
    if (comp$zero_model > 0L) info$is_zero_inflated <- info$is_zeroinf <- TRUE
    if (comp$zero_model == 2L) info$is_hurdle <- TRUE
    if (!is.null(comp$dispformula)) info$is_dispersion <- TRUE
  }
  info
}

# A function of a loaded package's namespace, or NULL.
foreign_function <- function(package, name) {
  if (!isNamespaceLoaded(package)) return(NULL)
  get0(name, envir = asNamespace(package), inherits = FALSE)
}

# insight::ellipsis_info() with a glmmlab fit first (performance's compare_performance() and
# test_performance()): these accept only the model classes insight 0.19 lists, so stop clearly.
ellipsis_info.glmmlab <- function(objects, ...) {
  stop("performance's compare_performance() and test_performance() accept only the model classes that insight knows, ",
       "which do not include glmmlab fits: compare them with anova(m0, m1), AIC(m0, m1) or model_performance() of each",
       call. = FALSE)
}

# performance::model_performance() of a mixed model, with the columns performance gives for
# glmmTMB and lme4 fits: AIC, AICc, BIC, R2_conditional, R2_marginal, ICC, RMSE, Sigma, and for
# binomial and count models the log-loss and scoring rules where performance computes them.
# R² comes from glmmlab's r2() (Nakagawa et al. 2017), the ICC from performance::icc().
model_performance.glmmlab <- function(model, metrics = "all", verbose = TRUE, ...) {
  all_metrics <- c("AIC", "AICc", "BIC", "R2", "ICC", "RMSE", "SIGMA", "LOGLOSS", "SCORE")
  metrics <- if (identical(metrics, "all")) all_metrics else if (identical(metrics, "common")) {
    c("AIC", "BIC", "R2", "ICC", "RMSE")
  } else metrics
  wanted <- toupper(metrics)
  info <- insight::model_info(model, verbose = FALSE)
  ll <- logLik.glmmlab(model)
  out <- list()
  if ("AIC" %in% wanted) out$AIC <- stats::AIC(ll)
  if ("AICC" %in% wanted) {
    k <- model$df
    out$AICc <- stats::AIC(ll) + 2 * k * (k + 1) / (model$nobs - k - 1)
  }
  if ("BIC" %in% wanted) out$BIC <- stats::BIC(ll)
  unavailable <- insight_variance_unavailable(model)
  if (!is.null(unavailable) && any(c("R2", "ICC") %in% wanted)) {
    if (verbose) message("model_performance(): R2 and ICC left out: ", unavailable)
    wanted <- setdiff(wanted, c("R2", "ICC"))
  }
  if (has_model_components(model) || model$family$family %in% hurdle_families) {
    if (verbose && any(c("LOGLOSS", "SCORE") %in% wanted)) {
      message("model_performance(): the scoring rules are left out: 'performance' computes them from the conditional ",
              "distribution only, not available for glmmlab fits with `ziformula`, `dispformula` or a zero-truncated family")
    }
    wanted <- setdiff(wanted, c("LOGLOSS", "SCORE"))
  }
  if ("R2" %in% wanted) {
    rsq <- tryCatch(r2.glmmlab(model), error = function(e) NULL)
    if (!is.null(rsq)) out[c("R2_conditional", "R2_marginal")] <- rsq[c("R2_conditional", "R2_marginal")]
  }
  if ("ICC" %in% wanted) {
    icc <- suppressWarnings(performance::icc(model))
    if (!all(is.na(icc))) out$ICC <- icc$ICC_adjusted
  }
  if ("RMSE" %in% wanted) out$RMSE <- sqrt(mean(residuals.glmmlab(model, type = "response")^2, na.rm = TRUE))
  if ("SIGMA" %in% wanted) out$Sigma <- sigma.glmmlab(model)
  if ("LOGLOSS" %in% wanted && info$is_binomial) out$Log_loss <- performance::performance_logloss(model, verbose = verbose)
  if ("SCORE" %in% wanted && (info$is_binomial || info$is_count)) {
    score <- performance::performance_score(model, verbose = verbose)
    if (!is.na(score$logarithmic)) out$Score_log <- score$logarithmic
    if (!is.na(score$spherical)) out$Score_spherical <- score$spherical
  }
  out <- as.data.frame(out)
  class(out) <- c("performance_model", "data.frame")
  out
}

# performance::check_outliers(): Cook's distances need case-deletion influence measures, which
# glmmlab does not compute (nor does glmmTMB; performance gives the same message for its fits).
check_outliers.glmmlab <- function(x, ...) {
  message("`check_outliers()` is not available for glmmlab fits (Cook's distances are not computed).")
  NULL
}
