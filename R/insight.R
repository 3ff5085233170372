# insight.R: methods for generics of 'insight', so that 'insight' and the packages built on it
# ('performance': icc(),
# r2_nakagawa(), model_performance(), check_model()) read a glmmlab fit. glmmlab does not depend
# on them: R/zzz.R registers these methods when they are loaded. insight's default methods already
# serve family, link, response, data, n_obs, residuals, predictions and sigma (through family(),
# formula(), model.frame(), residuals(), predict(), sigma()); these methods add what the defaults
# cannot know: which terms are random, the fixed effects' covariance and statistics, and the
# variance components on the latent scale, computed as glmmlab's own r2() does.

#' insight and performance support for glmmlab fits
#'
#' With 'insight' installed, its accessors work on models fitted by [glmm()], and so do the
#' functions of 'performance' built on them: `icc()`, `r2_nakagawa()`, `model_performance()`
#' and `check_model()`. glmmlab registers the methods these need when 'insight' and
#' 'performance' are loaded; it does not depend on them.
#'
#' `insight::find_formula()` splits the formula into its fixed part (`conditional`) and its
#' random-effect terms (`random`), so `insight::model_info()` reports a mixed model and
#' `find_random()` / `get_random()` the grouping factors. `get_parameters()`,
#' `find_parameters()`, `get_statistic()` (Wald z) and `get_varcov()` give the fixed effects,
#' `get_loglikelihood()` and `get_df()` the log-likelihood and residual degrees of freedom.
#' `insight::get_variance()` gives the variance components on the latent scale that
#' `performance::icc()` and `performance::r2_nakagawa()` use (`var.fixed`, `var.random`,
#' `var.residual`, `var.distribution`, `var.dispersion`, `var.intercept`, `var.slope`,
#' `cor.slope_intercept`), computed as [r2()] computes them (by default): they equal what
#' 'insight' 0.19.0 gives for the same 'glmmTMB' fit, for count models too (the null model's mean
#' count \eqn{\exp(\beta_0)}; see [r2()] for the choice).
#'
#' For fits with `ziformula` or `dispformula`, as for 'glmmTMB' fits: `model_info()` sets
#' `is_zero_inflated`, `is_hurdle` and `is_dispersion`; `find_formula()` has `zero_inflated`,
#' `zero_inflated_random` and `dispersion`; `find_parameters()`, `get_parameters()` and
#' `get_statistic()` have the components `zero_inflated` and `dispersion` (glmmTMB's log-scale
#' dispersion coefficients; the single dispersion of a family that has one is listed too, without
#' a statistic); `get_varcov(component = "zero_inflated" | "dispersion")`. `get_varcov(component =
#' "all")` is the covariance of all parameters (`vcov(m, full = TRUE)`), an error for fits with
#' components. `get_variance()`, and so `icc()` and `r2_nakagawa()`, is an error for fits with
#' components and for the t family (insight 0.19 takes sigma as the t family's residual variance
#' for glmmTMB fits; [r2()] uses the t variance), rather than numbers that differ from glmmTMB's.
#'
#' `performance::model_performance()` gives AIC, AICc, BIC, conditional and marginal R² (from
#' [r2()]), the adjusted ICC, RMSE and sigma, as for 'glmmTMB' fits. `performance::check_model()`
#' computes its diagnostics, except those that need case-deletion influence (Cook's distance),
#' the random effects in lme4's layout (their QQ plot) or scaled residuals (homogeneity of
#' variance), which 'performance' only extracts from lme4 and glmmTMB objects; plotting the result
#' needs the 'see' package.
#'
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' if (requireNamespace("performance", quietly = TRUE)) {
#'   print(insight::model_info(m)$is_mixed)
#'   print(insight::get_variance(m)[c("var.fixed", "var.random", "var.residual")])
#'   print(performance::icc(m))
#'   print(performance::r2_nakagawa(m))
#'   print(performance::model_performance(m))
#' }
#' @name glmm-insight
NULL

# Fixed-effect formula and random-effect terms, listed as insight lists them for glmmTMB fits
# (with the zero-inflation model's fixed and random parts and the dispersion formula).
find_formula.glmmlab <- function(x, verbose = TRUE, ...) {
  env <- environment(x$formula)
  as_random <- function(bars) {
    random <- lapply(bars, function(bar) stats::as.formula(call("~", bar), env = env))
    if (length(random) == 1L) random[[1L]] else random
  }
  bars <- collect_bars(x$formula[[length(x$formula)]])
  out <- list(conditional = fixed_formula(x$formula))
  if (length(bars)) out$random <- as_random(bars)
  comp <- x$components
  if (!is.null(comp$ziformula)) {
    zi_bars <- collect_bars(comp$ziformula[[2L]])
    out$zero_inflated <- fixed_formula(comp$ziformula)
    if (length(zi_bars)) out$zero_inflated_random <- as_random(zi_bars)
  }
  if (!is.null(comp$dispformula)) out$dispersion <- comp$dispformula
  structure(out, class = c("insight_formula", "list"))
}

# The components insight reports for a glmmTMB fit, each list(estimates, covariance or NULL):
# conditional; zero_inflated (with a zero model); dispersion (glmmTMB's log-scale betad: the
# dispersion model's coefficients, or the single dispersion's log when the family has one).
insight_components <- function(x) {
  out <- list(conditional = list(beta = x$beta, vcov = x$vcov))
  comp <- x$components
  if (!is.null(comp$zi)) out$zero_inflated <- list(beta = comp$zi$beta, vcov = comp$zi$vcov)
  if (!is.null(comp)) {
    disp <- component_estimates(x)$disp
    if (length(disp) && !comp$disp_fixed) out$dispersion <- list(beta = disp, vcov = comp$disp$vcov)
  } else if (isTRUE(family_codes(x$family)$has_dispersion)) {
    scale <- map_disp_scale(list(family_name = x$family$family))
    out$dispersion <- list(beta = c("(Intercept)" = log(sigma.glmmlab(x)) / scale), vcov = NULL)
  }
  out
}

# insight's component argument matched to the components of the fit ("all" or one of them).
insight_component <- function(x, component) {
  component <- match.arg(component[1L], c("all", "conditional", "zi", "zero_inflated", "zero-inflated", "dispersion",
                                          "count", "cond", "disp", "location", "distributional", "auxiliary"))
  component <- switch(component, zi = , `zero-inflated` = "zero_inflated", count = , cond = "conditional",
                      disp = , auxiliary = , distributional = "dispersion", location = "all", component)
  if (component != "all" && !component %in% names(insight_components(x))) {
    stop(sprintf("the model has no %s component%s", component,
                 if (component == "zero_inflated") " (no `ziformula`)" else " (its family has no dispersion parameter)"),
         call. = FALSE)
  }
  component
}

# The variables of the model (response, fixed, random-slope and grouping variables, weights and
# offset) for the observations of the fit, as insight::get_data() gives them for glmmTMB fits:
# from the data the model was fitted to when it can still be found, else from the model frame.
get_data.glmmlab <- function(x, effects = c("all", "fixed", "random"), verbose = TRUE, ...) {
  effects <- match.arg(effects)
  f <- x$formula
  bars <- collect_bars(f[[length(f)]])
  grouping <- unique(unlist(lapply(bars, function(bar) all.vars(bar[[3L]]))))
  fixed <- unique(c(all.vars(fixed_formula(f)), all.vars(x$call$weights), all.vars(x$call$offset)))
  vars <- switch(effects, fixed = fixed, random = grouping,
                 all = unique(c(fixed, unlist(lapply(bars, function(bar) all.vars(bar[[2L]]))), grouping)))
  data <- fitted_data(x)
  if (!is.null(data) && all(vars %in% names(data))) return(data[vars])
  frame <- x$frame
  plain <- frame[vapply(frame, function(col) is.null(dim(col)), logical(1))]
  response <- stats::model.response(frame)
  if (is.matrix(response) && length(f) == 3L) plain <- c(plain, cbind_variables(f[[2L]], response))
  found <- intersect(vars, names(plain))
  if (verbose && length(found) < length(vars)) {
    message("glmmlab: the data of the fit were not found, and the model frame lacks ",
            paste(sQuote(setdiff(vars, found), FALSE), collapse = ", "))
  }
  out <- as.data.frame(plain[found], optional = TRUE)
  if (length(found)) rownames(out) <- rownames(frame)
  out
}

# The variables of a two-column response cbind(a, b) or cbind(a, n - a) from its matrix: a
# symbol is its column; `n - a` with `a` known gives n. Other expressions are left out.
cbind_variables <- function(lhs, response) {
  out <- list()
  if (!is.call(lhs) || !identical(lhs[[1L]], as.name("cbind")) || length(lhs) != 3L || ncol(response) != 2L) return(out)
  for (j in 1:2) if (is.symbol(lhs[[j + 1L]])) out[[as.character(lhs[[j + 1L]])]] <- unname(response[, j])
  for (j in 1:2) {
    e <- lhs[[j + 1L]]
    if (is.call(e) && identical(e[[1L]], as.name("-")) && length(e) == 3L && is.symbol(e[[2L]]) &&
        is.symbol(e[[3L]]) && as.character(e[[3L]]) %in% names(out)) {
      out[[as.character(e[[2L]])]] <- unname(response[, j]) + out[[as.character(e[[3L]])]]
    }
  }
  out
}

# The rows of the original data used by the fit (matched by row name), or NULL when the data
# cannot be found (in the formula's environment or the global environment) or do not match.
fitted_data <- function(x) {
  expr <- x$call$data
  if (is.null(expr)) return(NULL)
  for (env in list(environment(x$formula), globalenv())) {
    if (is.null(env)) next
    data <- tryCatch(eval(expr, env), error = function(e) NULL)
    if (!is.data.frame(data)) next
    rows <- match(rownames(x$frame), rownames(data))
    if (!anyNA(rows)) return(data[rows, , drop = FALSE])
  }
  NULL
}

# Names of the fixed effects per component (conditional, zero_inflated, dispersion) and of the
# random-effect columns per grouping factor (random, zero_inflated_random), as for glmmTMB fits.
find_parameters.glmmlab <- function(x, effects = c("all", "fixed", "random"), component = "all", flatten = FALSE, ...) {
  effects <- match.arg(effects)
  component <- insight_component(x, component)
  parts <- insight_components(x)
  fixed <- lapply(parts, function(p) names(p$beta))
  random <- list(random = random_columns_by_group(x))
  if (!is.null(x$components$re)) random$zero_inflated_random <- random_columns_by_group(x$components)
  out <- c(fixed["conditional"], random["random"], fixed[setdiff(names(fixed), "conditional")], random["zero_inflated_random"])
  out <- Filter(Negate(is.null), out)
  keep <- switch(effects, all = names(out), fixed = names(fixed), random = names(random))
  if (component != "all") keep <- intersect(keep, c(component, if (component == "conditional") "random", if (component == "zero_inflated") "zero_inflated_random"))
  out <- out[intersect(names(out), keep)]
  if (flatten) unique(unlist(out, use.names = FALSE)) else out
}

# Random-effect column names per grouping factor (terms sharing a factor combined, as ranef()).
random_columns_by_group <- function(x) {
  groups <- vapply(x$re, `[[`, "", "group")
  cnms <- lapply(x$re, `[[`, "cnms")
  lapply(split(cnms, factor(groups, levels = unique(groups))), function(l) unlist(l, use.names = FALSE))
}

# Fixed effects of every component as a data frame (Parameter, Estimate, Component), as insight
# gives them for glmmTMB fits, or the conditional modes.
get_parameters.glmmlab <- function(x, effects = c("fixed", "random"), component = "all", ...) {
  effects <- match.arg(effects)
  if (effects == "random") {
    if (!is.null(x$components$re)) {
      stop("get_parameters(effects = \"random\") is not available for glmmlab fits with random effects in `ziformula`; use ranef(m)", call. = FALSE)
    }
    modes <- ranef.glmmlab(x, condVar = FALSE)$cond
    return(if (identical(component[1L], "all")) list(random = modes) else modes)
  }
  component_rows(x, insight_component(x, component), function(p) p$beta, "Estimate")
}

# One row per coefficient of the chosen components (Parameter, <column>, Component).
component_rows <- function(x, component, value, column, parts = insight_components(x)) {
  if (component != "all") parts <- parts[component]
  rows <- lapply(names(parts), function(nm) {
    v <- value(parts[[nm]])
    if (!length(v)) return(NULL)
    out <- data.frame(Parameter = names(v), value = unname(v), Component = nm, stringsAsFactors = FALSE)
    names(out)[2L] <- column
    out
  })
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

# Wald z statistics of the fixed effects (Parameter, Statistic, Component), of every component
# with a covariance (a single dispersion has none, as for glmmTMB fits).
get_statistic.glmmlab <- function(x, component = "all", ...) {
  component <- insight_component(x, component)
  parts <- Filter(function(p) !is.null(p$vcov), insight_components(x))
  if (component != "all" && !component %in% names(parts)) stop(sprintf("no Wald statistics for the %s component", component), call. = FALSE)
  out <- component_rows(x, component, function(p) p$beta / sqrt(diag(as.matrix(p$vcov))), "Statistic", parts)
  attr(out, "statistic") <- "z-statistic"
  out
}

# Covariance matrix of a component's fixed effects; component = "all", as insight's method for
# glmmTMB fits, the covariance of all parameters (vcov(full = TRUE)).
get_varcov.glmmlab <- function(x, component = c("conditional", "all", "zero_inflated", "zi", "dispersion"), verbose = TRUE, ...) {
  component <- insight_component(x, component[1L])
  if (component == "all") {
    if (has_model_components(x)) {
      stop("get_varcov(component = \"all\") (the covariance of all parameters) is not available yet for glmmlab fits with ",
           "`ziformula` or `dispformula`: use component = \"conditional\", \"zero_inflated\" or \"dispersion\"", call. = FALSE)
    }
    return(suppressWarnings(vcov.glmmlab(x, full = TRUE)))
  }
  V <- insight_components(x)[[component]]$vcov
  if (is.null(V)) stop("the single dispersion parameter has no separate covariance matrix: use get_varcov(m, component = \"all\")", call. = FALSE)
  V
}

# The fit's log-likelihood (the REML criterion's for REML fits), with df and nobs.
get_loglikelihood.glmmlab <- function(x, ...) logLik.glmmlab(x)

# Residual df (observations minus parameters), the number of parameters, or Inf for Wald z tests.
# Other types (insight's "ml1", "betwithin", "satterthwaite", "kenward") need theory glmmlab does
# not implement: they get Inf (Wald z) with a message naming the type.
get_df.glmmlab <- function(x, type = "residual", ...) {
  type <- tolower(type)[1L]
  known <- c("residual", "model", "analytical", "wald", "normal")
  if (!type %in% known) {
    message(sprintf("degrees of freedom of type '%s' are not available for glmmlab fits; using Inf (Wald z)", type))
    return(Inf)
  }
  switch(type, model = x$df, wald = , normal = Inf, df.residual.glmmlab(x))
}

# Variance components on the latent scale, named as insight::get_variance() names them.
get_variance.glmmlab <- function(x, component = c("all", "fixed", "random", "residual", "distribution",
                                                  "dispersion", "intercept", "slope", "rho01", "rho00"),
                                 verbose = TRUE, null_model = NULL, ...) {
  component <- match.arg(component)
  reason <- insight_variance_unavailable(x)
  if (!is.null(reason)) stop(reason, call. = FALSE)
  wanted <- switch(component,
    all = c("var.fixed", "var.random", "var.residual", "var.distribution", "var.dispersion",
            "var.intercept", "var.slope", "cor.slope_intercept", "cor.slopes"),
    fixed = "var.fixed", random = "var.random", residual = "var.residual",
    distribution = "var.distribution", dispersion = "var.dispersion", intercept = "var.intercept",
    slope = "var.slope", rho01 = "cor.slope_intercept", rho00 = "cor.slopes")
  out <- list()
  if ("var.fixed" %in% wanted) out$var.fixed <- fixed_effect_variance(x)
  term_var <- re_term_variances(x)
  obs_level <- observation_level_terms(x)
  if ("var.random" %in% wanted) out$var.random <- sum(term_var[!obs_level])
  if (any(c("var.residual", "var.distribution") %in% wanted)) {
    var_distribution <- distribution_variance(x, null_model, envir = parent.frame(), lambda = "exp_intercept")
    if ("var.residual" %in% wanted) out$var.residual <- var_distribution + sum(term_var[obs_level])
    if ("var.distribution" %in% wanted) out$var.distribution <- var_distribution
  }
  if ("var.dispersion" %in% wanted) out$var.dispersion <- sum(term_var[obs_level])
  summaries <- random_term_summaries(x)
  c(out, summaries[intersect(wanted, names(summaries))])
}

# Why the latent-scale variances that insight and performance read (icc(), r2_nakagawa(),
# model_performance()'s R2 and ICC) cannot be given as they are for the same glmmTMB fit, or NULL.
insight_variance_unavailable <- function(x) {
  if (has_model_components(x)) {
    return(paste("variance components on the latent scale (insight::get_variance(), and so performance's icc(), r2() and",
                 "model_performance()'s R2 and ICC) are not available for glmmlab fits with `ziformula` or `dispformula`:",
                 "'insight' computes them for such glmmTMB fits by approximations glmmlab does not reproduce"))
  }
  if (identical(x$family$family, "t")) {
    return(paste("for the t family, insight 0.19 takes sigma itself (not the t distribution's variance sigma^2 nu/(nu - 2))",
                 "as the residual variance of glmmTMB fits; glmmlab does not reproduce that, so insight::get_variance(),",
                 "performance's icc(), r2() and model_performance()'s R2 and ICC are not available: glmmlab::r2(m) gives R2",
                 "with the t variance"))
  }
  NULL
}

# Per grouping factor: intercept variances, slope variances ("group.slope"), the slopes'
# correlations with the intercept and among themselves (NULL where a model has none).
random_term_summaries <- function(x) {
  groups <- vapply(x$re, `[[`, "", "group")
  pieces <- lapply(seq_along(x$re), function(i) {
    S <- x$cov_re[[i]]
    cn <- colnames(S)
    has_int <- "(Intercept)" %in% cn
    slopes <- setdiff(cn, "(Intercept)")
    R <- covariance_with_attributes(S)
    R <- attr(R, "correlation")
    lower <- if (length(slopes) > 1L) which(lower.tri(R[slopes, slopes, drop = FALSE]), arr.ind = TRUE) else NULL
    list(var.intercept = if (has_int) stats::setNames(S["(Intercept)", "(Intercept)"], groups[i]),
         var.slope = if (length(slopes)) stats::setNames(diag(S)[slopes], paste0(groups[i], ".", slopes)),
         cor.slope_intercept = if (has_int && length(slopes)) {
           stats::setNames(R[slopes, "(Intercept)"], if (length(slopes) == 1L) groups[i] else paste0(groups[i], ".", slopes))
         },
         cor.slopes = if (!is.null(lower) && nrow(lower)) {
           stats::setNames(R[slopes, slopes][lower], paste0(groups[i], ".", slopes[lower[, 2L]], "-", slopes[lower[, 1L]]))
         })
  })
  fields <- c("var.intercept", "var.slope", "cor.slope_intercept", "cor.slopes")
  out <- lapply(fields, function(f) unlist(lapply(pieces, `[[`, f)))
  names(out) <- fields
  Filter(Negate(is.null), out)
}
