# anova.R: likelihood-ratio tests between nested glmm fits (lme4's table), refitting REML fits
# by ML when their fixed effects differ; for a single fit, sequential Wald chi-square tests of
# the fixed-effect terms.

#' Likelihood-ratio tests between nested mixed models
#'
#' With two or more models, `anova()` compares them by likelihood-ratio tests, in the table
#' 'lme4' prints: number of parameters, AIC, BIC, log-likelihood, deviance (\eqn{-2\log L}),
#' and, from the second row on, the chi-square statistic (twice the gain in log-likelihood over
#' the row above), its degrees of freedom (the difference in numbers of parameters) and p-value.
#' Models are sorted by their number of parameters and named as they were passed.
#'
#' REML likelihoods are only comparable between models with the same fixed effects. As in
#' 'glmmTMB', comparing REML fits with different fixed effects, or REML with ML fits, is an
#' error; with `refit = TRUE` (lme4's behaviour) the REML fits are instead refitted by maximum
#' likelihood first, with a message, and with `refit = FALSE` the criteria are compared as they
#' are. REML fits with the same fixed effects are compared as they are. All models must be fitted to
#' the same observations. Tests of a variance parameter against zero lie on the boundary of the
#' parameter space, where the chi-square p-value is conservative (roughly twice too large).
#'
#' With a single model, `anova()` gives sequential (type I) Wald chi-square tests of the
#' fixed-effect terms, in the order of the formula: each term is tested after the terms before
#' it. The tests use the covariance of the fixed effects of [vcov.glmmlab()] (as 'glmmTMB' computes
#' it), so for gaussian models they are close to, not equal to, lme4's `anova()` F value times its
#' numerator degrees of freedom. For the last term the test is the usual marginal Wald test.
#' With `type = "III"` given, each term is tested on its own (its coefficients jointly zero, given
#' all other terms: the type III Wald chi-square tests of `car::Anova()`, which depend on the
#' contrasts, as there).
#'
#' With a single linear mixed model and `ddf = "Satterthwaite"` or `"Kenward-Roger"`, `anova()`
#' gives F tests of the fixed-effect terms as 'lmerTest' does (its table: Sum Sq, Mean Sq,
#' NumDF, DenDF, F value, Pr(>F)), with the denominator degrees of freedom of [dof_satt()] or
#' [dof_KR()] (Kenward-Roger: REML fits only): by default type III hypotheses (each term after
#' all others, in 'lmerTest''s definition, which does not depend on the contrasts), or type I
#' (sequential). `ddf = "asymptotic"` gives the Wald chi-square tests above.
#'
#' `AIC()` and `BIC()` tables across glmm, `lm()` and `glm()` fits work through [logLik.glmmlab()].
#'
#' @param object a model fitted by [glmm()].
#' @param ... further fitted models (glmm fits, or `lm()`/`glm()` fits with the same response).
#' @param refit `NULL` (the default: an error where REML and ML criteria would be mixed, as in
#'   'glmmTMB'), `TRUE` (refit REML fits by ML when needed, as 'lme4' does) or `FALSE` (compare
#'   the criteria as they are); see Details.
#' @param model.names optional character vector of names for the models.
#' @param ddf for one linear mixed model: `"Satterthwaite"` or `"Kenward-Roger"` F tests as
#'   'lmerTest' (case is ignored), or `"asymptotic"` (the default, Wald chi-square tests).
#' @param type with `ddf`: `"III"` (the default, as 'lmerTest') or `"I"` hypotheses; for the Wald
#'   chi-square tests of one model, `"I"` (sequential, the default) or `"III"` (marginal).
#' @return A data frame of class `c("anova", "data.frame")` with a `heading` attribute.
#' @examples
#' set.seed(2)
#' d <- data.frame(g = factor(rep(1:10, each = 8)), x = rnorm(80))
#' d$y <- 1 + 0.4 * d$x + rnorm(10)[d$g] + rnorm(80)
#' m0 <- glmm(y ~ 1 + (1 | g), data = d)
#' m1 <- glmm(y ~ x + (1 | g), data = d)
#' anova(m0, m1)
#' AIC(m0, m1)
#' anova(m1)
#' anova(m1, ddf = "Satterthwaite")
#' @importFrom stats anova
#' @export
anova.glmmlab <- function(object, ..., refit = NULL, model.names = NULL, ddf = NULL, type = c("III", "II", "I")) {
  dots <- list(...)
  is_model <- vapply(dots, is_comparable_fit, logical(1))
  dot_names <- if (is.null(names(dots))) rep("", length(dots)) else names(dots)
  extra <- !is_model & nzchar(dot_names)   # named non-models (lme4: type = "III"): ignored, as lme4 does
  if (any(extra)) {
    warning("additional arguments ignored: ", paste(dot_names[extra], collapse = ", "), call. = FALSE)
    dots <- dots[!extra]
    is_model <- is_model[!extra]
  }
  if (any(!is_model)) {
    stop("anova() compares fitted models; argument(s) ", paste(which(!is_model) + 1L, collapse = ", "),
         " are not models fitted by glmm(), lm() or glm()", call. = FALSE)
  }
  if (!length(dots)) {
    method <- if (is.null(ddf)) "asymptotic" else match_ddf(ddf)
    type_given <- !missing(type)
    type <- anova_type(type)
    if (method == "asymptotic") return(wald_term_tests(object, if (type_given) type else "I"))
    return(ddf_anova_table(object, method, type))   # R/ddf.R
  }
  if (!is.null(ddf)) warning("`ddf` is for the F tests of one model's fixed effects; likelihood-ratio tests between models do not use it", call. = FALSE)
  models <- c(list(object), dots)
  names(models) <- anova_model_names(models, model.names, match.call(expand.dots = TRUE))
  check_same_data(models)
  if (is.null(refit)) {
    check_reml_comparable(models)
  } else {
    check_flag(refit, "refit")
    if (refit) models <- refit_reml_as_ml(models, parent.frame())
  }
  lrt_table(models)
}

# The type of the F tests: "III" or "I" (also given as 3 or 1); "II" is not available.
anova_type <- function(type) {
  if (identical(type, c("III", "II", "I"))) return("III")
  if (length(type) != 1L) stop("`type` must be \"III\" or \"I\"", call. = FALSE)
  type <- switch(as.character(type), "3" = , III = "III", "1" = , I = "I", "2" = , II = "II", NA)
  if (identical(type, "II")) stop("type II tests are not available; use type = \"III\" (lmerTest's default) or \"I\" (sequential)", call. = FALSE)
  if (is.na(type)) stop("`type` must be \"III\" or \"I\"", call. = FALSE)
  type
}

# Is this a fit anova() can compare by likelihood: glmm, lm or glm (logLik with df and nobs)?
is_comparable_fit <- function(x) inherits(x, c("glmmlab", "lm", "glm"))

# Names of the models: model.names if given, else the expressions the user passed.
anova_model_names <- function(models, model.names, mc) {
  if (!is.null(model.names)) {
    if (length(model.names) != length(models)) {
      stop(sprintf("`model.names` and the models have different lengths (%d names, %d models)", length(model.names), length(models)),
           call. = FALSE)
    }
    if (anyDuplicated(model.names)) stop("`model.names` must give ", length(models), " distinct names, one per model", call. = FALSE)
    return(as.character(model.names))
  }
  args <- as.list(mc)[-1L]
  arg_names <- if (is.null(names(args))) rep("", length(args)) else names(args)
  args <- args[!nzchar(arg_names) | arg_names == "object"]   # the models (named extra arguments are not)
  if (length(args) == length(models) && !all(vapply(args, is.language, logical(1)))) {
    # models passed as objects, as by do.call(anova, list(m0, m1)), have no names to show (lme4 warns too)
    warning("assigning generic names to models", call. = FALSE)
    return(paste0("MODEL", seq_along(models)))
  }
  out <- vapply(args, function(a) paste(deparse(a, width.cutoff = 500L), collapse = " "), "")
  if (length(out) != length(models) || anyDuplicated(out)) out <- paste0("MODEL", seq_along(models))
  unname(out)
}

# Stop unless all models were fitted to the same number of observations and the same response.
check_same_data <- function(models) {
  n <- vapply(models, stats::nobs, numeric(1))
  if (length(unique(n)) > 1L) {
    stop(sprintf("models were not all fitted to the same size of dataset (%s observations): likelihood-ratio tests need the same data",
                 paste(sprintf("%s: %d", names(models), as.integer(n)), collapse = ", ")), call. = FALSE)
  }
  y <- lapply(models, fit_response)
  same <- vapply(y[-1L], function(v) isTRUE(all.equal(unname(v), unname(y[[1L]]))), logical(1))
  if (!all(same)) {
    stop(sprintf("models %s were fitted to a different response than %s: likelihood-ratio tests need the same data",
                 paste(names(models)[-1L][!same], collapse = ", "), names(models)[1L]), call. = FALSE)
  }
}

# The response a fit was fitted to, as a numeric vector (proportions for binomial counts).
fit_response <- function(fit) {
  if (inherits(fit, "glmmlab")) return(as.numeric(fit$y))
  y <- if (is.null(fit$y)) stats::model.response(stats::model.frame(fit)) else fit$y
  if (is.matrix(y) && ncol(y) == 2L) y <- y[, 1L] / rowSums(y)
  as.numeric(y)
}

# Do the fixed effects of REML fits differ (their model-matrix columns, in any order, with the
# factors of an interaction in any order: y ~ a * b and y ~ b * a are the same)?
reml_fixed_differ <- function(models) {
  column_set <- function(m) sort(vapply(strsplit(colnames(stats::model.matrix(m)), ":", fixed = TRUE),
                                        function(parts) paste(sort(parts), collapse = ":"), ""))
  fixed_names <- lapply(models, column_set)
  !all(vapply(fixed_names[-1L], identical, logical(1), fixed_names[[1L]]))
}

# glmmTMB's rule: stop when REML and ML fits are mixed, or REML fits differ in their fixed effects.
check_reml_comparable <- function(models) {
  reml <- vapply(models, function(m) inherits(m, "glmmlab") && isTRUE(m$REML), logical(1))
  if (!any(reml)) return(invisible())
  hint <- "refit with REML = FALSE, or use anova(..., refit = TRUE) to refit them by ML as lme4 does"
  if (!all(reml)) {
    stop(sprintf("Can't compare REML and ML fits (%s by REML, %s by ML): %s", paste(names(models)[reml], collapse = ", "),
                 paste(names(models)[!reml], collapse = ", "), hint), call. = FALSE)
  }
  if (reml_fixed_differ(models)) stop("Can't compare REML fits with different fixed effects: ", hint, call. = FALSE)
  invisible()
}

# Refit REML fits by ML when the likelihoods would otherwise not be comparable, with a message.
refit_reml_as_ml <- function(models, envir) {
  reml <- vapply(models, function(m) inherits(m, "glmmlab") && isTRUE(m$REML), logical(1))
  if (!any(reml)) return(models)
  if (all(reml) && !reml_fixed_differ(models)) return(models)
  message("refitting model(s) with ML (instead of REML)")
  for (i in which(reml)) models[[i]] <- refit_ml(models[[i]], names(models)[i], envir)
  models
}

# One REML fit refitted by ML: its call re-evaluated with REML = FALSE where its data are found.
refit_ml <- function(fit, name, envir) {
  cl <- fit$call
  cl$REML <- FALSE
  out <- reevaluate_call(cl, fit, envir)
  if (is.null(out)) {
    stop(sprintf("could not refit %s by ML (its data were not found): refit it with REML = FALSE yourself", name),
         call. = FALSE)
  }
  out
}

# lme4's likelihood-ratio table for models sorted by their number of parameters.
lrt_table <- function(models) {
  lls <- lapply(models, stats::logLik)
  npar <- vapply(lls, function(ll) as.numeric(attr(ll, "df")), numeric(1))
  ord <- order(npar)
  models <- models[ord]
  lls <- lls[ord]
  npar <- npar[ord]
  ll <- vapply(lls, as.numeric, numeric(1))
  n <- stats::nobs(models[[1L]])
  chisq <- c(NA, 2 * pmax(0, diff(ll)))
  df_chisq <- c(NA, diff(npar))
  p <- rep(NA_real_, length(ll))
  testable <- !is.na(df_chisq) & df_chisq > 0
  p[testable] <- stats::pchisq(chisq[testable], df_chisq[testable], lower.tail = FALSE)
  out <- data.frame(npar = npar, AIC = -2 * ll + 2 * npar, BIC = -2 * ll + log(n) * npar, logLik = ll,
                    deviance = -2 * ll, Chisq = chisq, Df = df_chisq, `Pr(>Chisq)` = p,
                    row.names = names(models), check.names = FALSE)
  structure(out, heading = lrt_heading(models), class = c("anova", "data.frame"))
}

# Heading lines: the data set, then each model's name and formula.
lrt_heading <- function(models) {
  data_arg <- lapply(models, function(m) stats::getCall(m)$data)
  data_line <- if (!is.null(data_arg[[1L]])) paste("Data:", paste(deparse(data_arg[[1L]], width.cutoff = 500L), collapse = " "))
  formulas <- vapply(models, function(m) paste(deparse(stats::formula(m), width.cutoff = 500L), collapse = " "), "")
  c(data_line, "Models:", paste0(names(models), ": ", formulas))
}

# Sequential (type I) Wald chi-square tests of the fixed-effect terms of one model.
wald_term_tests <- function(object, type = "I") {
  assign <- attr(object$X, "assign")
  if (is.null(assign) || !length(object$beta)) {
    stop("this model has no fixed-effect terms to test; compare nested models with anova(m0, m1)", call. = FALSE)
  }
  labels <- attr(object$terms, "term.labels")
  tested <- sort(unique(assign[assign > 0L]))   # none for an intercept-only model: an empty table, as lme4's
  if (type == "III" && any(assign == 0L)) tested <- c(0L, tested)   # car::Anova's type III table starts with the intercept
  if (type == "III") {
    # marginal: each term's coefficients jointly zero, beta_k' V_kk^{-1} beta_k (car::Anova's type III Wald)
    chisq <- vapply(tested, function(k) {
      idx <- assign == k
      drop(crossprod(object$beta[idx], solve(object$vcov[idx, idx, drop = FALSE], object$beta[idx])))
    }, numeric(1))
  } else {
    # sequential: effects R beta with R'R = solve(vcov), so each squared effect is a chi-square part
    effects <- drop(chol(solve(object$vcov)) %*% object$beta)
    chisq <- vapply(tested, function(k) sum(effects[assign == k]^2), numeric(1))
  }
  df <- vapply(tested, function(k) sum(assign == k), numeric(1))
  out <- data.frame(Df = df, Chisq = chisq, `Pr(>Chisq)` = stats::pchisq(chisq, df, lower.tail = FALSE),
                    row.names = c("(Intercept)", labels)[tested + 1L], check.names = FALSE)
  part <- if (has_model_components(object)) "fixed-effect terms of the conditional model" else "fixed-effect terms"
  heading <- c(if (type == "III") paste0("Wald chi-square tests of the ", part, " (type III, each term's coefficients jointly zero)")
               else paste0("Sequential Wald chi-square tests of the ", part, " (type I, each after those above it)"),
               if (has_model_components(object)) "(the zero-inflation and dispersion models are not tested here: see car::Anova(m, component = ))",
               paste("Response:", paste(deparse(object$formula[[2L]]), collapse = " ")))
  structure(out, heading = heading, class = c("anova", "data.frame"))
}
