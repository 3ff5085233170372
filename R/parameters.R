# parameters.R: methods for generics of 'parameters' (model_parameters(), standard_error(),
# p_value(), ci(), degrees_of_freedom()), registered when 'parameters' is loaded (R/zzz.R), so
# that parameters' tables, and sjPlot's tab_model() and plot_model() built on them, read a glmmlab
# fit. 'parameters' builds its tables from insight's list of known model classes, which a glmmlab
# fit is not on, so model_parameters() assembles the table itself, in the layout 'parameters'
# gives for glmmTMB fits: Wald z rows for the fixed effects, the dispersion of non-gaussian
# families, and the random-effect SDs (and correlations, residual SD) with glmmTMB's Wald limits.

#' parameters and sjPlot support for glmmlab fits
#'
#' With 'parameters' installed, `parameters::model_parameters()` gives for a model fitted by
#' [glmm()] the table it gives for the same 'glmmTMB' fit: the fixed effects with standard
#' errors, Wald z statistics, p-values and Wald confidence intervals (`df_error` infinite); for
#' families with a dispersion parameter (e.g. `nbinom2`), the dispersion (glmmTMB's `sigma()`)
#' with its interval; and the random-effect standard deviations (and correlations, and for
#' gaussian models the residual SD, "SD (Observations)") with Wald intervals computed as
#' glmmTMB's `confint(method = "wald")` computes them: on the log scale for SDs and the
#' dispersion, on the scale \eqn{\rho/\sqrt{1-\rho^2}} for the correlation of a two-column term.
#' As for 'glmmTMB' fits, those intervals are left out for fits with 1000 or more observations,
#' with random slopes and 500 or more observations or several grouping factors, or with more than
#' two grouping factors, unless `ci_random = TRUE`. Correlations of terms with three or more
#' columns get no interval (glmmTMB's are not per-parameter Wald intervals there).
#' `exponentiate = TRUE` gives exp() of the fixed effects and their limits (standard errors by the
#' delta method). `standard_error()`, `p_value()`, `ci()` and `degrees_of_freedom()` give the
#' fixed effects' columns.
#'
#' For fits with `ziformula` or `dispformula` the table has, as for 'glmmTMB' fits, the
#' zero-inflation coefficients (`Component` `"zero_inflated"`), the dispersion model's
#' coefficients (log scale, Wald z; `"dispersion"`) or the single dispersion with its interval, and
#' the random-effect SDs of both models with Wald intervals on the log scale (for scalar
#' random-effect terms; other terms are an error).
#'
#' Arguments that need what glmmlab does not compute are errors rather than different numbers:
#' `ci_method` other than `"wald"`/`"normal"` (glmmTMB's `"profile"`, `"uniroot"`, `"ml1"`,
#' `"betwithin"`, `"robust"`), `bootstrap = TRUE`, `standardize` and `group_level = TRUE`.
#'
#' 'sjPlot' builds `tab_model()` and `plot_model()` (type `"est"`) from these tables, and
#' `plot_model(type = "pred")` from 'ggeffects' (see [glmm-ggeffects]);
#' `plot_model(type = "re")` reads the random effects in lme4's or glmmTMB's layout and stops with
#' an error pointing to `plot(ranef(m))` and `ggplot2::autoplot(ranef(m))` ([glmm-autoplot]).
#'
#' @param model a model fitted by [glmm()].
#' @param ci confidence level of the intervals.
#' @param ci_method `"wald"` (or `"normal"`): Wald z intervals, as for 'glmmTMB' fits.
#' @param ci_random `NULL` (intervals for the random-effect SDs in the cases 'parameters'
#'   computes them for 'glmmTMB' fits), `TRUE` (always) or `FALSE` (never).
#' @param effects `"all"`, `"fixed"` or `"random"`.
#' @param component `"all"`, `"conditional"`, or, for fits with `ziformula` or `dispformula`,
#'   `"zero_inflated"` (`"zi"`) or `"dispersion"`; `"conditional"` leaves out the dispersion row.
#' @param exponentiate logical: exponentiate the fixed effects?
#' @param keep,drop regular expressions of parameter names to keep or drop.
#' @param verbose show messages?
#' @param bootstrap,standardize,group_level not supported (an error when set).
#' @param ... unused.
#' @return A data frame of class `"parameters_model"`, as 'parameters' returns.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' if (requireNamespace("parameters", quietly = TRUE)) {
#'   print(parameters::model_parameters(m))
#' }
#' @name glmm-parameters
NULL

# The table of fixed effects, dispersion and variance parameters, laid out as for glmmTMB fits.
#' @rdname glmm-parameters
model_parameters.glmmlab <- function(model, ci = 0.95, ci_method = "wald", ci_random = NULL, effects = "all",
                                     component = "all", exponentiate = FALSE, keep = NULL, drop = NULL,
                                     verbose = TRUE, bootstrap = FALSE, standardize = NULL, group_level = FALSE, ...) {
  check_parameters_options(ci_method, bootstrap, standardize, group_level)
  effects <- match.arg(effects, c("all", "fixed", "random"))
  component <- match.arg(component, c("all", "conditional", "zi", "zero_inflated", "dispersion"))
  if (component == "zi") component <- "zero_inflated"
  if (component != "all" && component != "conditional" && !has_model_components(model)) {
    stop(sprintf("the model has no %s model (`%s`)", component, if (component == "dispersion") "dispformula" else "ziformula"), call. = FALSE)
  }
  check_conf_level(ci)
  params <- NULL
  if (has_model_components(model)) {
    params <- component_parameter_rows(model, ci, ci_random, effects, component, exponentiate)
  } else {
    if (effects != "random") {
      params <- fixed_parameter_rows(model, ci, exponentiate)
      if (component == "all" && effects == "all" && !is.null(model$dispersion)) {
        params <- rbind(params, dispersion_parameter_row(model, ci))
      }
    }
    if (effects != "fixed") params <- rbind(params, random_parameter_rows(model, ci, ci_random))
  }
  if (effects == "all") params$Group[params$Effects == "fixed"] <- ""
  if (!is.null(keep)) params <- params[grepl(paste(keep, collapse = "|"), params$Parameter), , drop = FALSE]
  if (!is.null(drop)) params <- params[!grepl(paste(drop, collapse = "|"), params$Parameter), , drop = FALSE]
  rownames(params) <- NULL
  if (effects == "random") params[c("CI", "z", "df_error", "p")] <- NULL
  add_parameters_attributes(params, model, ci, exponentiate, deparse(substitute(model))[1L])
}

# Errors for the options of model_parameters() that glmmlab cannot honour.
check_parameters_options <- function(ci_method, bootstrap, standardize, group_level) {
  if (!is.null(ci_method) && !tolower(ci_method) %in% c("wald", "normal")) {
    stop(sprintf(paste("ci_method = \"%s\" is not available for glmmlab fits: their intervals are Wald z",
                       "intervals (ci_method = \"wald\"); for likelihood-profile intervals use confint(m, method = \"profile\")"),
                 ci_method), call. = FALSE)
  }
  if (isTRUE(bootstrap)) stop("bootstrap = TRUE is not available for glmmlab fits in parameters; use confint(m, method = \"boot\")", call. = FALSE)
  if (!is.null(standardize)) stop("`standardize` is not available for glmmlab fits: standardize the predictors and refit", call. = FALSE)
  if (isTRUE(group_level)) stop("group_level = TRUE is not available for glmmlab fits; use ranef(m) or tidy(m, effects = \"ran_vals\")", call. = FALSE)
}

# Fixed-effect rows: estimate, SE, Wald limits, z, df_error Inf, p (exponentiated when asked), of
# the conditional model or of another component's coefficients `beta` with covariance `vcov`.
fixed_parameter_rows <- function(model, ci, exponentiate, beta = model$beta, vcov = model$vcov, component = "conditional") {
  table <- fixed_effects_table(beta, vcov)
  z <- stats::qnorm((1 + ci) / 2)
  est <- table[, 1L]
  se <- table[, 2L]
  out <- data.frame(Parameter = rownames(table), Coefficient = est, SE = se, CI = ci, CI_low = est - z * se,
                    CI_high = est + z * se, z = table[, 3L], df_error = Inf, p = table[, 4L], Effects = "fixed",
                    Group = "", Component = component, stringsAsFactors = FALSE)
  if (isTRUE(exponentiate)) {
    out$SE <- exp(out$Coefficient) * out$SE
    out[c("Coefficient", "CI_low", "CI_high")] <- lapply(out[c("Coefficient", "CI_low", "CI_high")], exp)
  }
  out
}

# The rows 'parameters' gives for a glmmTMB fit with a zero-inflation or dispersion model: the
# conditional and zero-inflation coefficients; the dispersion model's coefficients (log scale, Wald
# z) or the single dispersion (glmmTMB's sigma(), interval from its log); the random-effect SDs of
# both models with Wald intervals on the log scale (scalar terms; other terms are an error).
component_parameter_rows <- function(model, ci, ci_random, effects, component, exponentiate) {
  comp <- model$components
  est <- component_estimates(model)
  V <- component_covariances(model)
  wald <- component_wald_intervals(model, NULL, ci, TRUE)
  rows <- NULL
  if (effects != "random") {
    if (component %in% c("all", "conditional")) rows <- fixed_parameter_rows(model, ci, exponentiate)
    if (component %in% c("all", "zero_inflated") && length(est$zi)) {
      rows <- rbind(rows, fixed_parameter_rows(model, ci, exponentiate, est$zi, V$zi, "zero_inflated"))
    }
    if (component %in% c("all", "dispersion") && !comp$disp_fixed) {
      if (!is.null(V$disp)) {
        rows <- rbind(rows, fixed_parameter_rows(model, ci, FALSE, est$disp, V$disp, "dispersion"))
      } else if (length(est$disp) && component == "all" && effects == "all") {
        limits <- exp(wald["disp.(Intercept)", 1:2] * map_disp_scale(model$map))   # log sigma = scale * betad
        rows <- rbind(rows, data.frame(Parameter = "(Intercept)", Coefficient = sigma.glmmlab(model), SE = NA_real_, CI = ci,
                                       CI_low = min(limits), CI_high = max(limits), z = NA_real_, df_error = NA_real_, p = NA_real_,
                                       Effects = "fixed", Group = "", Component = "dispersion", stringsAsFactors = FALSE))
      }
    }
  }
  if (effects != "fixed") {
    sd_rows <- function(re, prefix, label) {
      out <- NULL
      for (t in re) {
        if (length(t$cnms) != 1L) {
          stop("model_parameters() of glmmlab fits with `ziformula` or `dispformula` gives the random-effect SDs of scalar terms only, ",
               "not of ", sprintf("(%s | %s)", paste(t$cnms, collapse = " + "), t$group), ": use effects = \"fixed\", and VarCorr(m)", call. = FALSE)
        }
        r <- wald[sprintf("%s.Std.Dev.%s|%s", prefix, t$cnms, t$group), ]
        out <- rbind(out, data.frame(Parameter = paste0("SD (", gsub("(Intercept)", "Intercept", t$cnms, fixed = TRUE), ")"),
                                     Coefficient = r[[3L]], SE = NA_real_, CI = ci, CI_low = r[[1L]], CI_high = r[[2L]], z = NA_real_,
                                     df_error = NA_real_, p = NA_real_, Effects = "random", Group = t$group, Component = label,
                                     stringsAsFactors = FALSE))
      }
      out
    }
    random <- NULL
    if (component %in% c("all", "conditional")) random <- sd_rows(model$re, "cond", "conditional")
    if (component %in% c("all", "zero_inflated")) random <- rbind(random, sd_rows(comp$re, "zi", "zero_inflated"))
    if (!is.null(random) && !random_intervals_wanted(model, ci_random)) random$CI_low <- random$CI_high <- NA_real_
    if (is_gaussian_identity(model$family) && component %in% c("all", "conditional")) {
      random <- rbind(random, data.frame(Parameter = "SD (Observations)", Coefficient = if (is.null(comp$dispformula)) sigma.glmmlab(model) else NA_real_,
                                         SE = NA_real_, CI = ci, CI_low = NA_real_, CI_high = NA_real_, z = NA_real_, df_error = NA_real_,
                                         p = NA_real_, Effects = "random", Group = "Residual", Component = "conditional", stringsAsFactors = FALSE))
    }
    rows <- rbind(rows, random)
  }
  rows
}

# The dispersion of a non-gaussian family (glmmTMB's sigma()) with its Wald limits on the log scale.
dispersion_parameter_row <- function(model, ci) {
  w <- variance_parameter_wald(model, ci)
  w <- w[w$type == "sigma", , drop = FALSE]
  if (is.na(w$lower) && !is.null(model$map)) {
    # a variance at its boundary leaves the joint transformation undefined; the dispersion's own
    # row of vcov(full = TRUE) (log scale, as glmmTMB's) still gives its Wald interval
    V <- tryCatch(suppressWarnings(vcov.glmmlab(model, full = TRUE)), error = function(e) NULL)
    if (!is.null(V) && "d~(Intercept)" %in% rownames(V) && is.finite(V["d~(Intercept)", "d~(Intercept)"])) {
      scale <- map_disp_scale(model$map)
      se <- sqrt(V["d~(Intercept)", "d~(Intercept)"]) * abs(scale)
      limits <- exp(log(w$estimate) + c(-1, 1) * stats::qnorm((1 + ci) / 2) * se)
      w$lower <- limits[1L]
      w$upper <- limits[2L]
    }
  }
  data.frame(Parameter = "(Intercept)", Coefficient = w$estimate, SE = NA_real_, CI = ci, CI_low = w$lower,
             CI_high = w$upper, z = NA_real_, df_error = NA_real_, p = NA_real_, Effects = "fixed", Group = "",
             Component = "dispersion", stringsAsFactors = FALSE)
}

# Random-effect rows: intercept SDs, slope SDs, correlations, then the residual SD (gaussian).
random_parameter_rows <- function(model, ci, ci_random) {
  w <- variance_parameter_wald(model, ci)
  gaussian <- is_gaussian_identity(model$family)
  if (!gaussian) w <- w[w$type != "sigma", , drop = FALSE]
  kind <- ifelse(w$type == "sigma", 5L, ifelse(w$type == "sd", ifelse(w$term == "(Intercept)", 1L, 2L),
                                                ifelse(startsWith(w$term, "(Intercept)."), 3L, 4L)))
  w <- w[order(kind, seq_len(nrow(w))), , drop = FALSE]
  terms <- gsub("(Intercept)", "Intercept", w$term, fixed = TRUE)
  pieces <- strsplit(terms, ".", fixed = TRUE)
  label <- ifelse(w$type == "sigma", "SD (Observations)",
                  ifelse(w$type == "sd", paste0("SD (", terms, ")"),
                         vapply(pieces, function(p) paste0("Cor (", p[1L], "~", paste(p[-1L], collapse = "."), ")"), "")))
  out <- data.frame(Parameter = label, Coefficient = w$estimate, SE = NA_real_, CI = ci, CI_low = w$lower,
                    CI_high = w$upper, z = NA_real_, df_error = NA_real_, p = NA_real_, Effects = "random",
                    Group = ifelse(w$type == "sigma", "Residual", w$group), Component = "conditional",
                    stringsAsFactors = FALSE)
  if (!random_intervals_wanted(model, ci_random)) out$CI_low <- out$CI_high <- NA_real_
  out
}

# Does 'parameters' compute the random-effect intervals for such a fit (its rules for glmmTMB)?
random_intervals_wanted <- function(model, ci_random) {
  if (!is.null(ci_random)) return(isTRUE(ci_random))
  groups <- unique(unlist(lapply(model$re, function(t) strsplit(t$group, ":", fixed = TRUE)[[1L]])))
  slopes <- any(vapply(model$re, function(t) any(t$cnms != "(Intercept)"), logical(1)))
  !(model$nobs >= 1000 || (slopes && (model$nobs >= 500 || length(groups) > 1L)) || length(groups) > 2L)
}

# The attributes parameters' print() and sjPlot read, as 'parameters' sets them for glmmTMB fits.
add_parameters_attributes <- function(params, model, ci, exponentiate, object_name) {
  fam <- model$family
  log_link <- fam$link %in% c("log", "logit", "cloglog")
  coef_name <- coefficient_name(fam, exponentiate)
  pretty <- parameter_pretty_names(model)
  labels <- stats::setNames(params$Parameter, params$Parameter)
  labels[names(labels) %in% names(pretty)] <- pretty[names(labels)[names(labels) %in% names(pretty)]]
  attrs <- list(pretty_names = pretty, ci = ci, ci_method = "Wald", df_method = "Wald", verbose = TRUE,
                exponentiate = exponentiate, ordinal_model = FALSE, linear_model = is_gaussian_identity(fam),
                mixed_model = TRUE, n_obs = model$nobs, model_class = "glmmlab", bootstrap = FALSE, iterations = 1000,
                robust_vcov = FALSE, ignore_group = TRUE, ran_pars = TRUE, show_summary = FALSE, log_link = log_link,
                pretty_labels = labels, test_statistic = "z-statistic", log_response = FALSE, log_predictors = FALSE,
                weighted_nobs = sum(model$prior_weights), model_formula = paste(deparse(fixed_formula(model$formula)), collapse = ""),
                coefficient_name = coef_name, zi_coefficient_name = if (exponentiate) "Odds Ratio" else "Log-Odds",
                digits = 2, ci_digits = 2, p_digits = 3, footer_digits = 3, object_name = object_name)
  for (a in names(attrs)) attr(params, a) <- attrs[[a]]
  class(params) <- c("parameters_model", "see_parameters_model", "data.frame")
  params
}

# The column title 'parameters' gives the estimates for this family and link.
coefficient_name <- function(fam, exponentiate) {
  if (fam$family == "binomial" && fam$link == "logit") return(if (exponentiate) "Odds Ratio" else "Log-Odds")
  if (fam$family %in% c("poisson", "nbinom1", "nbinom2") && fam$link == "log") return(if (exponentiate) "IRR" else "Log-Mean")
  if (fam$link == "log") return(if (exponentiate) "Ratio" else "Log-Mean")
  "Coefficient"
}

# Readable fixed-effect names ("period [2]"), from parameters::format_parameters() when it can.
parameter_pretty_names <- function(model) {
  out <- tryCatch(parameters::format_parameters(model), error = function(e) NULL)
  if (is.null(out) || length(out) != length(model$beta)) out <- stats::setNames(names(model$beta), names(model$beta))
  out
}

# parameters::standard_error(): the fixed effects' standard errors (glmmTMB's layout).
standard_error.glmmlab <- function(model, effects = "fixed", component = "all", ...) {
  if (!identical(effects, "fixed")) {
    stop("standard_error(effects = \"random\") is not available for glmmlab fits; use ranef(m) (attribute \"condVar\")", call. = FALSE)
  }
  data.frame(Parameter = names(model$beta), SE = unname(sqrt(diag(model$vcov))), Component = "conditional",
             stringsAsFactors = FALSE)
}

# parameters::p_value(): two-sided Wald z p-values of the fixed effects.
p_value.glmmlab <- function(model, ...) {
  table <- fixed_effects_table(model$beta, model$vcov)
  data.frame(Parameter = rownames(table), p = unname(table[, 4L]), Component = "conditional", stringsAsFactors = FALSE)
}

# parameters::ci() (bayestestR's generic): Wald z intervals of the fixed effects.
ci.glmmlab <- function(x, ci = 0.95, method = "wald", ...) {
  check_parameters_options(method, FALSE, NULL, FALSE)
  rows <- fixed_parameter_rows(x, ci, FALSE)
  rows[c("Parameter", "CI", "CI_low", "CI_high", "Component")]
}

# parameters::degrees_of_freedom(): Inf for Wald z inference (as for glmmTMB fits), else the residual df.
degrees_of_freedom.glmmlab <- function(model, method = "wald", ...) {
  get_df.glmmlab(model, type = method)
}
