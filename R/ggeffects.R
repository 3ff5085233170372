# ggeffects.R: predictions for 'insight' (get_predicted()) and 'ggeffects' (ggpredict(), and so
# sjPlot's plot_model(type = "pred")), registered when those packages are loaded (R/zzz.R).
# ggeffects 1.2 sends models of classes it does not know to insight::get_predicted() with its data
# grid, without its `type` and `ci.lvl`; glmmlab reads them from ggeffects' own call and gives what
# ggeffects computes for glmmTMB fits. Later ggeffects versions dispatch on get_predictions(),
# for which glmmlab registers the same computation.

#' ggeffects and insight predictions for glmmlab fits
#'
#' With 'ggeffects' installed, `ggeffects::ggpredict()` (and `sjPlot::plot_model(m, type =
#' "pred")`, which calls it) gives for a model fitted by [glmm()] the predictions and intervals
#' it gives for the same 'glmmTMB' fit. With `type = "fe"` (the default) the predictions are
#' population-level (random effects at zero) with Wald intervals from the fixed effects'
#' covariance, back-transformed through the inverse link. With `type = "re"` the grouping
#' factors that are not among the focal terms (nor fixed by `condition`) are set to the
#' population level as for 'glmmTMB' fits, and, as 'ggeffects' does for them, the residual
#' variance (`sigma(m)^2`) is added to the link-scale variance of the intervals. `ggeffects::ggemmeans()` works through
#' 'emmeans' (see [glmm-emmeans]).
#'
#' A grouping factor among the focal terms gets its levels' conditional modes, with the standard
#' errors of [predict.glmmlab()] (the random effects' uncertainty added as 'glmmTMB' adds it).
#' Not supported, and therefore errors rather than different numbers: `type = "re"` intervals
#' with some but not all grouping factors at given levels, the zero-inflation types (`"zi.prob"`; `"fe.zi"` and
#' `"re.zi"` fall back to `"fe"` and `"re"` with a message, as for 'glmmTMB' fits without a
#' zero-inflation part) and the simulation types (`"sim"`, `"sim_re"`). For fits with `ziformula`
#' or `dispformula`, `type = "fe"` gives the conditional model's population-level mean with its
#' intervals, as for 'glmmTMB' fits; `"fe.zi"`, `"zero_inflated"`, `"re.zi"` and `"zi.prob"` of
#' zero-inflated fits (whose intervals 'ggeffects' simulates from glmmTMB's internals), `type =
#' "re"`, and `ggemmeans()` (which 'ggeffects' 1.2 sends to an emmeans mode of other packages'
#' models) are errors. `insight::get_predicted()` gives their mean response with the zero model
#' (`predict(type = "response")`), without intervals. The result of
#' `ggpredict()` has no `std.error` column: 'ggeffects' 1.2 keeps it only for the model classes it
#' knows.
#'
#' `insight::get_predicted()` follows its method for 'glmmTMB' fits: `predict = "expectation"`
#' (response scale) or `"link"`; random effects included when the data hold all grouping factors
#' with known levels (`include_random = "default"`), or as set by `include_random` (`TRUE`,
#' `FALSE`, or a formula such as `~ (1 | g)`); with `ci` a level, standard errors and Wald intervals
#' from [predict.glmmlab()]'s standard errors (glmmTMB's, also for predictions that include
#' random effects).
#'
#' @param x,model a model fitted by [glmm()].
#' @param data data to predict for (default: the data of the fit).
#' @param predict `"expectation"` (or `"response"`) or `"link"`.
#' @param ci confidence level of the intervals, or `NULL` for none.
#' @param include_random `"default"`, `TRUE`, `FALSE`, `NA` or a random-effects formula.
#' @param verbose show messages?
#' @param data_grid,terms,ci_level,type,condition,bias_correction,vcov,... supplied by 'ggeffects'.
#' @return `get_predicted()`: a numeric vector of class `"get_predicted"` with attribute
#'   `"ci_data"`, as 'insight' returns. `get_predictions()`: the data grid with `predicted`,
#'   `conf.low` and `conf.high`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' if (requireNamespace("ggeffects", quietly = TRUE)) {
#'   print(ggeffects::ggpredict(m, "x"))
#' }
#' @name glmm-ggeffects
NULL

# insight::get_predicted(), as insight's method for glmmTMB fits; from ggeffects, its predictions.
#' @rdname glmm-ggeffects
get_predicted.glmmlab <- function(x, data = NULL, predict = "expectation", ci = NULL, include_random = "default",
                                  verbose = TRUE, ...) {
  request <- ggeffects_request(sys.function(sys.parent()))
  if (!is.null(request)) {
    grid <- ggeffects_predictions(x, data, request$ci_level, request$type, request$keep_groups)
    ci_data <- if (is.null(grid$conf.low)) NULL else data.frame(CI_low = grid$conf.low, CI_high = grid$conf.high)
    return(as_get_predicted(grid$predicted, ci_data, data, request$ci_level, "expectation"))
  }
  if (!is.null(attr(data, "constant.values"))) {
    stop("glmmlab reads ggeffects' settings from its call, which this version of ggeffects makes differently: ",
         "use ggeffects::ggemmeans() for this model", call. = FALSE)
  }
  dots <- list(...)
  if (!is.null(dots$iterations)) stop("bootstrapped predictions (`iterations`) are not available for glmmlab fits", call. = FALSE)
  if (!is.null(dots$type)) predict <- dots$type
  if (predict %in% c("prediction", "predicted", "classification")) {
    if (verbose) warning("\"prediction\" and \"classification\" are not supported for glmmlab fits (nor for glmmTMB fits); using predict = \"expectation\"", call. = FALSE)
    predict <- "expectation"
  }
  if (!predict %in% c("expectation", "expected", "response", "link")) {
    stop(sprintf("predict = \"%s\" is not available for glmmlab fits: use \"expectation\" or \"link\"", predict), call. = FALSE)
  }
  if (is.null(data)) data <- get_data.glmmlab(x, verbose = FALSE)
  re_form <- resolve_include_random(x, data, include_random, isTRUE(dots$allow.new.levels), verbose)
  if (has_model_components(x)) return(component_get_predicted(x, data, predict, ci, re_form, isTRUE(dots$allow.new.levels)))
  pred <- predict.glmmlab(x, newdata = data, re.form = re_form, allow.new.levels = isTRUE(dots$allow.new.levels),
                          type = "link", se.fit = !is.null(ci))
  eta <- if (is.null(ci)) unname(pred) else unname(pred$fit)
  transform <- predict != "link" && !is_gaussian_identity(x$family)
  ci_data <- if (is.null(ci)) data.frame(CI_low = eta, CI_high = eta) else {
    z <- stats::qnorm((1 + ci) / 2)
    data.frame(SE = unname(pred$se.fit), CI_low = eta - z * pred$se.fit, CI_high = eta + z * pred$se.fit)
  }
  if (transform) {
    if (!is.null(ci_data$SE)) ci_data$SE <- ci_data$SE * abs(x$family$mu.eta(eta))
    ci_data$CI_low <- x$family$linkinv(ci_data$CI_low)
    ci_data$CI_high <- x$family$linkinv(ci_data$CI_high)
    eta <- x$family$linkinv(eta)
  }
  as_get_predicted(eta, ci_data, data, ci, predict)
}

# get_predicted() of a fit with a zero-inflation or dispersion model, as insight's for glmmTMB
# fits: the mean response with the zero model (predict(type = "response")) or the conditional
# model's linear predictor (type = "link"); intervals are not available (an error).
component_get_predicted <- function(x, data, predict, ci, re_form, allow_new) {
  if (!is.null(ci)) {
    stop("get_predicted() with intervals (`ci`) is not available yet for glmmlab fits with `ziformula` or `dispformula`: ",
         "use ci = NULL", call. = FALSE)
  }
  type <- if (predict == "link") "link" else "response"
  values <- predict.glmmlab(x, newdata = data, re.form = re_form, allow.new.levels = allow_new, type = type)
  as_get_predicted(unname(values), data.frame(CI_low = unname(values), CI_high = unname(values)), data, ci, predict)
}

# The "get_predicted" object insight returns: predictions with the intervals as attribute ci_data.
as_get_predicted <- function(values, ci_data, data, ci, predict) {
  out <- as.numeric(values)
  attr(out, "ci_data") <- ci_data
  attr(out, "data") <- data
  attr(out, "ci") <- ci
  attr(out, "predict") <- predict
  class(out) <- c("get_predicted", "numeric")
  out
}

# re.form for insight's include_random: "default"/TRUE include the random effects when the data
# hold every grouping variable with known levels, FALSE/NA exclude them, a formula selects terms.
resolve_include_random <- function(x, data, include_random, allow_new, verbose) {
  if (inherits(include_random, "formula")) return(include_random)
  if (is.null(include_random)) include_random <- TRUE
  if (isFALSE(include_random) || (length(include_random) == 1L && is.na(include_random))) return(NA)
  grouping <- unique(unlist(lapply(x$re, function(t) all.vars(str2lang(t$group)))))
  if (!all(grouping %in% names(data))) {
    if (verbose && isTRUE(include_random)) warning("`include_random` is TRUE, but not all grouping factors are in `data`; predicting at the population level", call. = FALSE)
    return(NA)
  }
  if (!allow_new) {
    known <- vapply(grouping, function(v) all(unique(as.character(data[[v]])) %in% as.character(x$frame[[v]])), logical(1))
    if (!all(known)) {
      if (verbose && isTRUE(include_random)) warning("`data` has levels of grouping factors not in the fit; predicting at the population level", call. = FALSE)
      return(NA)
    }
  }
  NULL
}

# ggeffects 1.2's settings when it called get_predicted() for its generic route: the confidence
# level, the prediction type and the grouping variables kept at their levels (focal terms and
# `condition`); NULL when the caller is not ggeffects.
ggeffects_request <- function(caller) {
  if (!isNamespaceLoaded("ggeffects")) return(NULL)
  ns <- asNamespace("ggeffects")
  generic_route <- get0("get_predictions_generic", envir = ns, inherits = FALSE)
  selector <- get0("select_prediction_method", envir = ns, inherits = FALSE)
  if (is.null(generic_route) || is.null(selector) || !identical(caller, generic_route)) return(NULL)
  for (i in rev(seq_len(sys.nframe()))) {
    if (!identical(sys.function(i), selector)) next
    env <- sys.frame(i)
    focal <- trimws(sub("\\[.*$", "", as.character(env$terms)))
    return(list(ci_level = env$ci.lvl, type = env$type, keep_groups = c(focal, names(env$condition))))
  }
  NULL
}

# ggeffects' predictions for glmmTMB fits (type "fe": population level; "re": grouping factors not
# kept set to the population level, residual variance added to the intervals' link-scale variance).
ggeffects_predictions <- function(model, grid, ci_level, type, keep_groups) {
  type <- ggeffects_type(type, model)
  if (has_model_components(model)) {
    if (type != "fe") {
      stop("ggpredict(type = \"re\") is not available yet for glmmlab fits with `ziformula` or `dispformula`: use type = \"fe\"", call. = FALSE)
    }
    # type "fe" is the conditional model's population-level mean, its intervals from the
    # conditional coefficients' covariance (as ggeffects computes them for glmmTMB fits)
    model <- structure(model[setdiff(names(model), "components")], class = class(model))
  }
  with_ci <- !is.null(ci_level) && !is.na(ci_level)
  grouping <- unique(unlist(lapply(model$re, function(t) all.vars(str2lang(t$group)))))
  dropped <- intersect(setdiff(grouping, keep_groups), names(grid))
  nd <- grid
  for (v in dropped) nd[[v]] <- NA
  fixed <- predict.glmmlab(model, newdata = nd, re.form = NA, type = "link", se.fit = with_ci)
  eta <- if (with_ci) unname(fixed$fit) else unname(fixed)
  if (type == "re") eta <- eta + known_level_contributions(model, nd)
  grid$predicted <- model$family$linkinv(eta)
  if (with_ci) {
    se <- unname(fixed$se.fit)
    if (type == "re") se <- sqrt(random_prediction_variance(model, nd, grouping, se) + sigma.glmmlab(model)^2)
    z <- stats::qnorm((1 + ci_level) / 2)
    grid$conf.low <- model$family$linkinv(eta - z * se)
    grid$conf.high <- model$family$linkinv(eta + z * se)
    attr(grid, "std.error") <- se
  }
  grid
}

# Link-scale variance of type "re" predictions, as glmmTMB's predict() gives it: rows with every
# grouping factor at a level, that of the conditional prediction (predict(se.fit = TRUE), which
# adds the random effects' uncertainty as glmmTMB does); rows with none, the fixed effects' plus
# the variance of the new levels glmmTMB makes of missing interactions; other rows an error.
random_prediction_variance <- function(model, nd, grouping, se_fixed) {
  present <- intersect(grouping, names(nd))
  level_known <- if (length(present)) Reduce(`&`, lapply(present, function(v) !is.na(nd[[v]]))) else rep(FALSE, nrow(nd))
  if (length(present) < length(grouping)) level_known[] <- FALSE
  none_known <- if (length(present)) Reduce(`&`, lapply(present, function(v) is.na(nd[[v]]))) else rep(TRUE, nrow(nd))
  if (any(!level_known & !none_known)) {
    stop("ggpredict(type = \"re\") intervals for some but not all grouping factors at given levels are not available ",
         "for glmmlab fits; give every grouping factor as a term (or in `condition`), or use ci.lvl = NA", call. = FALSE)
  }
  variance <- se_fixed^2 + new_level_variances(model, nd)
  if (any(level_known)) {
    conditional <- predict.glmmlab(model, newdata = nd[level_known, , drop = FALSE], re.form = NULL, type = "link",
                                   se.fit = TRUE, allow.new.levels = TRUE)
    variance[level_known] <- unname(conditional$se.fit)^2
  }
  variance
}

# The random-effect contributions of the rows whose grouping levels are known (0 where NA).
known_level_contributions <- function(model, nd) {
  total <- numeric(nrow(nd))
  for (i in seq_along(model$re)) {
    part <- re_contribution_newdata(model, i, nd, allow.new.levels = TRUE)
    total <- total + ifelse(is.na(part), 0, part)
  }
  total
}

# glmmTMB takes a missing level of an interaction grouping (patch:pop with pop and patch NA) for a
# new level, whose random effect adds its variance z' Sigma z to the prediction's: per row, the sum
# over such terms (what ggeffects' type = "re" intervals of nested glmmTMB fits contain).
new_level_variances <- function(model, nd) {
  total <- numeric(nrow(nd))
  env <- environment(model$formula)
  for (i in seq_along(model$re)) {
    term <- model$re[[i]]
    parts <- all.vars(str2lang(term$group))
    if (length(parts) < 2L || !all(parts %in% names(nd))) next
    missing_level <- Reduce(`|`, lapply(parts, function(v) is.na(nd[[v]])))
    if (!any(missing_level)) next
    Z <- re_columns_newdata(term, model$frame, nd, env)
    v <- rowSums((Z %*% model$cov_re[[i]]) * Z)
    total <- total + ifelse(missing_level & !is.na(v), v, 0)
  }
  total
}

# ggeffects' prediction types that glmmlab supports ("fe", "re"), with its fallbacks and errors.
ggeffects_type <- function(type, model = NULL) {
  type <- switch(type, fixed = "fe", random = "re", zero_inflated = "fe.zi", zero_inflated_random = "re.zi", type)
  if (type %in% c("fe.zi", "re.zi", "zi.prob") && isTRUE(model$components$zero_model > 0L)) {
    stop(sprintf(paste("ggpredict(type = \"%s\") is not available for glmmlab fits with `ziformula`: ggeffects computes",
                       "those intervals by simulation from glmmTMB's internals. Use type = \"fe\" (the conditional mean),",
                       "ggemmeans(), or predict(m, newdata, type = \"response\" | \"zprob\") without intervals"), type), call. = FALSE)
  }
  if (type %in% c("fe.zi", "re.zi")) {
    fallback <- sub(".zi", "", type, fixed = TRUE)
    message(sprintf("Model has no zero-inflation part. Changing prediction-type to \"%s\".", fallback))
    return(fallback)
  }
  if (type == "zi.prob") stop("Model has no zero-inflation part.", call. = FALSE)
  if (!type %in% c("fe", "re")) {
    stop(sprintf("ggpredict(type = \"%s\") is not available for glmmlab fits: use type = \"fe\" or \"re\"", type), call. = FALSE)
  }
  type
}

# ggeffects' get_predictions() (its versions after 1.2 dispatch on it): the same computation.
#' @rdname glmm-ggeffects
get_predictions.glmmlab <- function(model, data_grid = NULL, terms = NULL, ci_level = 0.95, type = NULL,
                                    condition = NULL, bias_correction = FALSE, vcov = NULL, ...) {
  if (isTRUE(bias_correction)) stop("bias_correction = TRUE is not available for glmmlab fits", call. = FALSE)
  if (!is.null(vcov)) stop("`vcov` is not available for glmmlab fits in ggeffects", call. = FALSE)
  keep <- c(trimws(sub("\\[.*$", "", as.character(terms))), names(condition))
  ggeffects_predictions(model, data_grid, ci_level, if (is.null(type)) "fe" else type, keep)
}
