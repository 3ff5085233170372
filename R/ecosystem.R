# ecosystem.R: glmmlab fits in the packages students use around mixed models, without depending
# on them: broom-style tidy(), glance() and augment() (the generics of the 'generics' package, as
# broom and broom.mixed use them) and the recover_data() / emm_basis() pair that 'emmeans' needs.
# The methods are registered when those packages are loaded (R/zzz.R); simulate(), fitted(),
# residuals(), family(), nobs(), model.frame() and formula() serve DHARMa and 'performance'.

#' Tidy summaries of a glmm fit (broom conventions)
#'
#' `tidy()`, `glance()` and `augment()` for models fitted by [glmm()], following the
#' conventions of 'broom.mixed' for 'glmmTMB' and 'lme4' fits. They are methods for the generics
#' of the 'generics' package (which 'broom' and 'broom.mixed' re-export), registered when that
#' package is loaded; glmmlab does not depend on it.
#'
#' `tidy()` gives one row per fixed effect (`effect = "fixed"`: estimate, standard error, Wald
#' z statistic and its two-sided p-value) and per variance parameter (`effect = "ran_pars"`,
#' standard deviations `"sd__(Intercept)"`, `"sd__Days"`, correlations
#' `"cor__(Intercept).Days"`, and for gaussian models the residual SD `"sd__Observation"` in
#' group `"Residual"`), with `component = "cond"` as for 'glmmTMB'. With `conf.int = TRUE`
#' the fixed effects get Wald intervals (`conf.low`, `conf.high`); the variance parameters get
#' `NA` there.
#'
#' `effects = "ran_vals"` adds one row per level and random-effect column (column `level`):
#' the conditional mode ([ranef.glmmlab()]) and as `std.error` the square root of its
#' conditional variance (lme4's definition, which treats the fixed effects as known; 'glmmTMB'
#' also adds their uncertainty, so its standard errors are somewhat larger); with
#' `conf.int = TRUE`, Wald limits from these. `effects = "ran_coefs"` gives the group-level
#' coefficients of [coef.glmmlab()] (fixed plus random effect), without standard errors, as
#' 'broom.mixed' does for 'lme4' fits. When only these two kinds are asked for, the
#' `statistic` and `p.value` columns are left out, as in 'broom.mixed'.
#'
#' `glance()` gives one row: `nobs`, `sigma`, `logLik`, `AIC`, `BIC`, `df.residual`.
#' `augment()` adds to the data `.fitted` (the linear predictor including the random effects,
#' the default scale of `predict()` as in 'glmmTMB'), `.mu` (the fitted mean) and `.resid`
#' (response residuals).
#'
#' @param x a model fitted by [glmm()].
#' @param effects which rows of `tidy()`: any of `"fixed"`, `"ran_pars"`, `"ran_vals"` and
#'   `"ran_coefs"` (default the first two).
#' @param component the fixed-effect rows of which model components (`component` column):
#'   `"cond"`, `"zi"` and/or `"disp"` (the dispersion model's coefficients, log scale); the
#'   default `c("cond", "zi")` is broom.mixed's for glmmTMB fits.
#' @param conf.int logical: add Wald confidence limits for the fixed effects?
#' @param conf.level confidence level of the intervals.
#' @param data the data to augment: by default the model frame; otherwise a data frame with one
#'   row per observation of the fit (rows dropped for missing values included or not).
#' @param ... unused.
#' @return A data frame (a tibble when 'tibble' is installed).
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' if (requireNamespace("generics", quietly = TRUE)) {
#'   print(generics::tidy(m))
#'   print(generics::tidy(m, effects = "fixed", conf.int = TRUE))
#'   print(head(generics::tidy(m, effects = "ran_vals")))
#'   print(generics::glance(m))
#'   print(head(generics::augment(m)))
#' }
#' @name glmm-tidiers
NULL

# One row per fixed effect, variance parameter, random-effect value and/or group coefficient.
#' @rdname glmm-tidiers
tidy.glmmlab <- function(x, effects = c("fixed", "ran_pars"), component = c("cond", "zi"), conf.int = FALSE, conf.level = 0.95, ...) {
  if (!is.character(component) || !length(component) || !all(component %in% c("cond", "zi", "disp"))) {
    stop("`component` must be one or more of \"cond\", \"zi\", \"disp\"", call. = FALSE)
  }
  known <- c("fixed", "ran_pars", "ran_vals", "ran_coefs")
  unknown <- setdiff(effects, known)
  if (!is.character(effects) || !length(effects) || length(unknown)) {
    stop(sprintf("`effects` must be one or more of %s, not %s", paste(dQuote(known, FALSE), collapse = ", "),
                 paste(sQuote(unknown, FALSE), collapse = ", ")), call. = FALSE)
  }
  check_conf_level(conf.level)
  conf.int <- isTRUE(conf.int)
  parts <- list()
  if ("fixed" %in% effects) {
    parts$fixed <- tidy_fixed_rows(x, conf.int, conf.level)
    parts$fixed <- parts$fixed[parts$fixed$component %in% component, , drop = FALSE]   # broom.mixed's default: cond and zi
  }
  if ("ran_pars" %in% effects) parts$ran_pars <- tidy_ran_pars_rows(x, conf.int)
  if ("ran_vals" %in% effects) parts$ran_vals <- tidy_ran_vals_rows(x, conf.int, conf.level)
  if ("ran_coefs" %in% effects) parts$ran_coefs <- tidy_ran_coefs_rows(x, conf.int)
  by_level <- any(c("ran_vals", "ran_coefs") %in% effects)
  tests <- any(c("fixed", "ran_pars") %in% effects)
  columns <- c("effect", "component", "group", if (by_level) "level", "term", "estimate",
               if (tests || "ran_vals" %in% effects) "std.error", if (tests) c("statistic", "p.value"),
               if (conf.int) c("conf.low", "conf.high"))
  out <- do.call(rbind, lapply(unname(parts), tidy_columns, columns))
  rownames(out) <- NULL
  as_tidy_table(out)
}

# The rows of one kind with exactly `columns`: absent ones added as NA, others dropped.
tidy_columns <- function(rows, columns) {
  for (col in setdiff(columns, names(rows))) {
    rows[[col]] <- if (col %in% c("group", "level")) NA_character_ else NA_real_
  }
  rows[columns]
}

# Stop unless conf.level is one number strictly between 0 and 1.
check_conf_level <- function(conf.level) {
  if (!is.numeric(conf.level) || length(conf.level) != 1L || is.na(conf.level) ||
      conf.level <= 0 || conf.level >= 1) {
    stop("`conf.level` must be one number between 0 and 1, e.g. 0.95", call. = FALSE)
  }
}

# Columns conf.low and conf.high: Wald limits estimate -+ z std.error at `conf.level`.
add_wald_limits <- function(out, conf.level) {
  z <- stats::qnorm(1 - (1 - conf.level) / 2)
  out$conf.low <- out$estimate - z * out$std.error
  out$conf.high <- out$estimate + z * out$std.error
  out
}

# Fixed-effect rows: estimate, SE, Wald z and p (and Wald limits when asked).
tidy_fixed_rows <- function(x, conf.int, conf.level) {
  table <- fixed_effects_table(x$beta, x$vcov)
  out <- data.frame(effect = "fixed", component = "cond", group = NA_character_,
                    term = rownames(table), estimate = table[, 1L], std.error = table[, 2L],
                    statistic = table[, 3L], p.value = table[, 4L], stringsAsFactors = FALSE)
  if (has_model_components(x)) {   # the zero-inflation and dispersion models' rows, as glmmTMB's tidier
    est <- component_estimates(x)
    V <- component_covariances(x)
    for (component in c("zi", "disp")) {
      if (!length(est[[component]]) || is.null(V[[component]])) next
      tab <- fixed_effects_table(est[[component]], V[[component]])
      out <- rbind(out, data.frame(effect = "fixed", component = component, group = NA_character_,
                                   term = rownames(tab), estimate = tab[, 1L], std.error = tab[, 2L],
                                   statistic = tab[, 3L], p.value = tab[, 4L], stringsAsFactors = FALSE))
    }
  }
  if (conf.int) out <- add_wald_limits(out, conf.level)
  out
}

# Variance-parameter rows: per term its SDs then correlations, then the residual SD (gaussian).
tidy_ran_pars_rows <- function(x, conf.int) {
  vc <- VarCorr.glmmlab(x)$cond
  rows <- lapply(names(vc), function(name) {
    S <- vc[[name]]
    sds <- attr(S, "stddev")
    cors <- attr(S, "correlation")
    lower <- which(lower.tri(cors), arr.ind = TRUE)
    lower <- lower[order(lower[, 2L], lower[, 1L]), , drop = FALSE]
    cor_terms <- sprintf("cor__%s.%s", names(sds)[lower[, 2L]], names(sds)[lower[, 1L]])
    data.frame(group = x$re[[match(name, names(vc))]]$group,
               term = c(paste0("sd__", names(sds)), cor_terms),
               estimate = c(unname(sds), cors[lower]), stringsAsFactors = FALSE)
  })
  if (identical(x$family$family, "gaussian")) {
    rows[[length(rows) + 1L]] <- data.frame(group = "Residual", term = "sd__Observation",
                                            estimate = sigma.glmmlab(x), stringsAsFactors = FALSE)
  }
  out <- do.call(rbind, rows)
  out <- data.frame(effect = "ran_pars", component = "cond", out, std.error = NA_real_,
                    statistic = NA_real_, p.value = NA_real_, stringsAsFactors = FALSE)
  if (conf.int) out$conf.low <- out$conf.high <- NA_real_
  out
}

# Conditional modes per level and column, with their conditional SDs (and Wald limits when asked).
tidy_ran_vals_rows <- function(x, conf.int, conf.level) {
  long <- as.data.frame.ranef.glmmlab(ranef.glmmlab(x, condVar = TRUE))
  out <- data.frame(effect = "ran_vals", component = "cond", group = long$grpvar,
                    level = as.character(long$grp), term = as.character(long$term),
                    estimate = long$condval, std.error = if (is.null(long$condsd)) NA_real_ else long$condsd,
                    stringsAsFactors = FALSE)
  if (conf.int) out <- add_wald_limits(out, conf.level)
  out
}

# Group-level coefficients (fixed plus random effect) per level and coefficient, as coef() gives them.
tidy_ran_coefs_rows <- function(x, conf.int) {
  tables <- coef.glmmlab(x)$cond
  out <- do.call(rbind, lapply(names(tables), function(g) {
    tab <- tables[[g]]
    data.frame(effect = "ran_coefs", component = "cond", group = g,
               level = rep(rownames(tab), ncol(tab)), term = rep(names(tab), each = nrow(tab)),
               estimate = unlist(tab, use.names = FALSE), stringsAsFactors = FALSE)
  }))
  if (conf.int) out$conf.low <- out$conf.high <- NA_real_
  out
}

# A tibble when the tibble package is installed (as broom returns), else the data frame.
as_tidy_table <- function(df) {
  if (requireNamespace("tibble", quietly = TRUE)) tibble::as_tibble(df) else df
}

# One-row summary of the fit: nobs, sigma, logLik, AIC, BIC, df.residual.
#' @rdname glmm-tidiers
glance.glmmlab <- function(x, ...) {
  ll <- logLik.glmmlab(x)
  as_tidy_table(data.frame(nobs = x$nobs, sigma = sigma.glmmlab(x), logLik = as.numeric(ll),
                           AIC = stats::AIC(ll), BIC = stats::BIC(ll),
                           df.residual = df.residual.glmmlab(x)))
}

# The data with .fitted (link scale), .mu (fitted mean) and .resid (response residual) added.
#' @rdname glmm-tidiers
augment.glmmlab <- function(x, data = x$frame, ...) {
  if (!is.data.frame(data)) stop("`data` must be a data frame (the data the model was fitted to)", call. = FALSE)
  rows <- augment_rows(x, nrow(data))
  out <- data
  out$.fitted <- as.numeric(x$eta)[rows]
  out$.mu <- as.numeric(x$fitted)[rows]
  out$.resid <- (x$y - as.numeric(x$fitted))[rows]
  as_tidy_table(out)
}

# Index into the fit's observations for each row of data (NA for rows dropped as incomplete).
augment_rows <- function(x, n_rows) {
  if (n_rows == x$nobs) return(seq_len(x$nobs))
  dropped <- attr(x$frame, "na.action")
  if (length(dropped) && n_rows == x$nobs + length(dropped)) {
    rows <- rep(NA_integer_, n_rows)
    rows[-as.integer(dropped)] <- seq_len(x$nobs)
    return(rows)
  }
  stop(sprintf("`data` has %d rows but the model was fitted to %d observations", n_rows, x$nobs),
       call. = FALSE)
}

#' emmeans support for glmm fits
#'
#' With 'emmeans' installed, `emmeans::emmeans()` (and `emtrends()`, `contrast()`, `pairs()`)
#' work on models fitted by [glmm()]: these two methods, registered when 'emmeans' is loaded,
#' give it the data, the fixed-effect design, estimates and covariance matrix. As for 'glmmTMB'
#' fits (version 1.1.5), t-based intervals and tests use the residual degrees of freedom
#' (`df.residual(m)`: observations minus estimated parameters), and `type = "response"`
#' back-transforms through the family's link. For asymptotic z inference use
#' `emmeans(m, ~ x, df = Inf)`.
#'
#' @param object a model fitted by [glmm()].
#' @param trms,xlev,grid supplied by 'emmeans': the terms, factor levels and reference grid.
#' @param component `"cond"` (the conditional model, the default) or, for a fit with a
#'   `ziformula`, `"zi"` (the zero-inflation model's linear predictor, logit link), as
#'   emmeans' `component` for glmmTMB.
#' @param ... passed on by 'emmeans'.
#' @return `recover_data.glmmlab()`: the data frame 'emmeans' builds its reference grid from.
#'   `emm_basis.glmmlab()`: the list 'emmeans' needs (`X`, `bhat`, `nbasis`, `V`, `dffun`,
#'   `dfargs`, `misc`).
#' @examples
#' d <- data.frame(g = factor(rep(1:10, each = 6)),
#'                 treatment = gl(3, 2, 60, labels = c("a", "b", "c")))
#' set.seed(2)
#' d$y <- rnorm(60, mean = c(1, 2, 3)[d$treatment] + rnorm(10)[d$g])
#' m <- glmm(y ~ treatment + (1 | g), data = d)
#' if (requireNamespace("emmeans", quietly = TRUE)) {
#'   print(emmeans::emmeans(m, ~ treatment))
#' }
#' @name glmm-emmeans
NULL

# The data behind the fit, for emmeans' reference grid.
#' @rdname glmm-emmeans
# `component`: "cond" (the default) or, for a model with a zero-inflation model, "zi" (its
# linear predictor, logit link), as emmeans' component = for glmmTMB.
recover_data.glmmlab <- function(object, component = "cond", ...) {
  recover <- get("recover_data", envir = asNamespace("emmeans"))
  # an unknown component is reported by emm_basis.glmmlab() (emmeans turns errors here into "Perhaps a 'data' ... argument")
  zi <- identical(component, "zi") && !is.null(object$components$zi)
  trms <- if (zi) object$components$zi_terms else stats::delete.response(object$terms)
  recover(object$call, trms, attr(object$frame, "na.action"), frame = object$frame, ...)
}

# The emmeans component checked: "cond", or "zi" for a model with a zero-inflation model.
emm_component <- function(object, component) {
  if (!is.character(component) || length(component) != 1L || !component %in% c("cond", "zi")) {
    stop("`component` must be \"cond\" or \"zi\"", call. = FALSE)
  }
  if (component == "zi" && is.null(object$components$zi)) stop("the model has no zero-inflation model (`ziformula`)", call. = FALSE)
  component
}

# Design of the grid, estimates, covariance and link for emmeans (residual df, as glmmTMB).
#' @rdname glmm-emmeans
emm_basis.glmmlab <- function(object, trms, xlev, grid, component = "cond", ...) {
  mode <- list(...)$mode
  if (!is.null(mode) && has_model_components(object)) {
    # ggeffects::ggemmeans() asks models it takes for zero-inflated (not glmmTMB) for emmeans' "count"
    # mode of pscl's models, and then does not back-transform: not a route glmmlab can serve faithfully
    stop(sprintf(paste("emmeans' mode = \"%s\" is not available for glmmlab fits with `ziformula` or `dispformula`",
                       "(ggemmeans() of such fits): use emmeans(m, specs, component = \"cond\" | \"zi\", type = \"response\")",
                       "or ggpredict(m, terms, type = \"fe\")"), mode), call. = FALSE)
  }
  if (emm_component(object, component) == "zi") {
    mf <- stats::model.frame(trms, grid, na.action = stats::na.pass, xlev = xlev)
    X <- stats::model.matrix(trms, mf, contrasts.arg = attr(object$components$Xzi, "contrasts"))
    zi <- object$components$zi
    return(list(X = X, bhat = zi$beta[colnames(X)], nbasis = estimability::all.estble, V = zi$vcov[colnames(X), colnames(X), drop = FALSE],
                dffun = function(k, dfargs) dfargs$df, dfargs = list(df = df.residual.glmmlab(object)),
                misc = emmeans::.std.link.labels(stats::binomial(), list())))
  }
  mf <- stats::model.frame(trms, grid, na.action = stats::na.pass, xlev = xlev)
  X <- stats::model.matrix(trms, mf, contrasts.arg = attr(object$X, "contrasts"))
  bhat <- stats::setNames(rep(NA_real_, ncol(X)), colnames(X))
  kept <- intersect(colnames(X), names(object$beta))
  bhat[kept] <- object$beta[kept]
  nbasis <- if (anyNA(bhat)) estimable_basis(object, trms) else estimability::all.estble
  V <- object$vcov[kept, kept, drop = FALSE]
  list(X = X, bhat = bhat, nbasis = nbasis, V = V, dffun = function(k, dfargs) dfargs$df,
       dfargs = list(df = df.residual.glmmlab(object)), misc = emmeans::.std.link.labels(object$family, list()))
}

# Non-estimable directions when rank-deficient columns were dropped from the fit's design.
estimable_basis <- function(object, trms) {
  full_X <- stats::model.matrix(trms, object$frame, contrasts.arg = attr(object$X, "contrasts"))
  estimability::nonest.basis(qr(full_X))
}
