# methods_predict.R: predictions, fitted values and residuals. Predictions for new data rebuild
# the fixed-effects model matrix with the training factor levels and contrasts (as predict.lm)
# and add each random-effect term's contribution, looked up by level in the fit's conditional
# modes `b`.

#' Predictions from a mixed model
#'
#' Predicted values of the linear predictor or of the mean response, for the data of the fit or
#' for new data, with or without the random effects.
#'
#' With `newdata`, the fixed-effects model matrix is rebuilt from the fixed part of the formula
#' with the factor levels and contrasts of the fit; a factor level not seen in the fit is an
#' error. A factor of the fit may be given as character, as numeric codes matching its levels,
#' or as a column of `NA` (such as `data.frame(f = NA)`, which R makes logical). Offsets are included: `offset()` terms in the formula are evaluated in `newdata`, and
#' so is the expression given as the `offset` argument of [glmm()] (e.g. `offset = log(area)`
#' is recomputed from `newdata$area`); an expression that does not give one value per row of
#' `newdata` is an error. Each random-effect term adds its conditional mode for the row's level
#' of the grouping factor (levels may be given as character strings; for nested terms such as
#' `patch:pop`, the combination of the two variables). As in 'glmmTMB', a level of a grouping
#' factor that was not in the fit, or a missing (`NA`) grouping value, gets the population-level
#' prediction for that term (its random effects are 0); new levels give a warning unless
#' `allow.new.levels = TRUE`. A new level of a fixed-effect factor, or of a factor inside a
#' random-effect term such as `(f | g)`, is an error (its effect was not estimated). Rows with a
#' missing value in another variable that the prediction needs give `NA` and are kept (with the
#' default `na.action = na.pass`).
#'
#' Standard errors (`se.fit = TRUE`) are those of 'glmmTMB'. Population-level predictions
#' (`re.form = NA`) have \eqn{\sqrt{\mathrm{diag}(X V X')}} with `V = vcov(object)$cond`.
#' Predictions with random effects add their uncertainty as TMB's `sdreport()` computes it: the
#' conditional variance of the random effects given the data at the estimates, plus the
#' uncertainty of all parameters (fixed effects, variances, dispersion; from the Hessian of the
#' log-likelihood) propagated through the conditional modes, which move with them. REML fits
#' treat the fixed effects as 'glmmTMB' does, integrated out like the random effects. A level of
#' a grouping factor not in the fit (`allow.new.levels = TRUE`) contributes the random effect's
#' full variance. On the response scale the standard errors are obtained by the delta method,
#' multiplying by \eqn{|d\mu/d\eta|} at the predicted linear predictor.
#'
#' @param object a fitted `"glmmlab"` model from [glmm()].
#' @param newdata optional data frame or list of variables to predict for; when `NULL`, the
#'   predictions are for the observations of the fit.
#' @param re.form which random effects to include: `NULL` (all), `NA` or `~0` (none: the
#'   population-level prediction), or a formula listing some of the model's random-effect
#'   terms, e.g. `~ (1 | pop)`.
#' @param allow.new.levels logical: predict for levels of a grouping factor that were not in the
#'   fit without a warning? Their random effects are set to zero (population level) either way,
#'   as in 'glmmTMB'.
#' @param type `"link"` (linear predictor of the conditional model) or `"response"` (mean,
#'   `family$linkinv` of it; for the zero-truncated families the mean of the truncated
#'   distribution, as 'glmmTMB'; with a zero model (`ziformula`) the mean (1 - p) times that);
#'   as 'glmmTMB' also `"conditional"` (the conditional model's mean, without the zero model),
#'   `"zprob"` (the zero model's probability p; 0 without a zero model), `"zlink"` (its logit;
#'   `-Inf` without one) and `"disp"` (the dispersion on 'glmmTMB''s scale, [sigma.glmmlab()] for
#'   every row without a `dispformula`).
#' @param se.fit logical: also return standard errors?
#' @param na.action how to treat rows of `newdata` whose prediction is `NA` because of missing
#'   values: `na.pass` (keep them, the default), `na.omit` (drop them), `na.exclude` or `na.fail`.
#' @param fast glmmTMB's argument: `TRUE` is allowed only for predictions of the fit's own data
#'   with all random effects (it changes nothing here).
#' @param random.only logical: the random effects' part of the linear predictor only (lme4's)?
#' @param newparams lme4's `list(beta = , theta = )`: predict with these fixed effects and relative
#'   covariance factors (theta in lme4's order, as `getME(m, "theta")`), the spherical random effects
#'   kept as fitted (as lme4 does).
#' @param ... not used (a warning names them); lme4's old `ReForm` is read as `re.form` with a warning.
#' @return A numeric vector of predictions; with `se.fit = TRUE`, a list with elements `fit`
#'   and `se.fit`.
#' @seealso [fitted.glmmlab()], [coef.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' newx <- seq(-2, 2, length.out = 5)
#' predict(m, newdata = list(x = newx, g = rep("c", 5)))   # line of group c
#' predict(m, newdata = list(x = newx), re.form = NA)       # population-level line
#' predict(m, newdata = list(x = newx, g = rep("new", 5)), allow.new.levels = TRUE)
#' predict(m, newdata = data.frame(x = newx), re.form = NA, se.fit = TRUE)
#' @importFrom stats predict na.pass
#' @export
predict.glmmlab <- function(object, newdata = NULL, re.form = NULL, allow.new.levels = FALSE,
                         type = c("link", "response", "conditional", "zprob", "zlink", "disp"), se.fit = FALSE,
                         na.action = na.pass, fast = NULL, random.only = FALSE, newparams = NULL, ...) {
  type <- match.arg(type)
  re.form <- deprecated_re_form(re.form, ...)
  if (!is.null(newparams)) object <- with_new_parameters(object, newparams)
  warn_unused_dots(..., .used = deprecated_re_form_names)
  check_flag(allow.new.levels, "allow.new.levels")
  check_flag(se.fit, "se.fit")
  check_flag(random.only, "random.only")
  check_fast(fast, newdata, re.form)
  if (has_model_components(object)) {
    if (random.only || !is.null(newparams)) {
      stop("`random.only` and `newparams` are not available for models with `ziformula` or `dispformula`", call. = FALSE)
    }
    return(predict_components(object, newdata, re.form, allow.new.levels, type, se.fit, na.action))
  }
  if (type %in% c("zprob", "zlink", "disp")) return(constant_prediction(object, newdata, type, se.fit, na.action))
  terms_used <- selected_re_terms(object, re.form)
  parts <- if (is.null(newdata)) {
    prediction_parts_fit(object, terms_used, random.only)
  } else {
    prediction_parts_newdata(object, newdata, terms_used, allow.new.levels, random.only)
  }
  fit <- parts$eta
  se <- if (se.fit) prediction_se(object, parts$X, terms_used, newdata) else NULL   # R/prediction_se.R
  if (type %in% c("response", "conditional")) {
    ok <- !is.na(fit)
    if (se.fit) se[ok] <- se[ok] * abs(response_mean_eta(object$family, fit[ok], object$dispersion))
    fit[ok] <- response_mean(object$family, fit[ok], object$dispersion)
  }
  if (is.null(newdata)) {
    fit_na <- fit_na_action(object, na.action)
    fit <- stats::napredict(fit_na, fit)
    if (se.fit) se <- stats::napredict(fit_na, se)
  } else {
    keep <- rows_kept_by_na_action(fit, na.action)
    fit <- fit[keep]
    if (se.fit) se <- se[keep]
  }
  fit <- unname(fit)   # as glmmTMB's (lme4's are named by row)
  if (se.fit) list(fit = fit, se.fit = unname(se)) else fit
}

# The fit with lme4's `newparams` (list(beta = , theta = , sigma = ), theta in lme4's order and
# meaning), as lme4 evaluates them: the fixed effects and relative covariance factors replaced,
# the spherical random effects u kept (b = Lambda(theta) u).
with_new_parameters <- function(object, newparams) {
  if (!is.list(newparams) || is.null(names(newparams)) || !all(names(newparams) %in% c("beta", "theta", "sigma"))) {
    stop("`newparams` must be a list with elements beta, theta and/or sigma (lme4's)", call. = FALSE)
  }
  beta <- if (is.null(newparams$beta)) object$beta else check_start_vector(newparams$beta, "beta", length(object$beta), "fixed effects")
  theta <- if (is.null(newparams$theta)) object$theta else
    lme4_order_to_formula_order(check_start_vector(newparams$theta, "theta", length(object$theta), "variance parameters"), object$re)
  names(beta) <- names(object$beta)
  factors <- theta_to_factors(theta, object$re)
  object$beta <- beta
  object$theta <- theta
  if (!is.null(newparams$sigma)) object$sigma <- newparams$sigma
  object$b <- stats::setNames(lapply(seq_along(object$re), function(i) {
    b <- object$u[[i]] %*% t(factors[[i]])
    dimnames(b) <- dimnames(object$u[[i]])
    b
  }), names(object$b))
  object$eta_fixed <- drop(object$X %*% beta) + object$offset
  object$eta <- object$eta_fixed + re_contribution(object$b, object$re)
  object
}

# lme4's old spellings of re.form (ReForm, REForm, REform) are used, with lme4's deprecation warning.
deprecated_re_form_names <- c("ReForm", "REForm", "REform")
deprecated_re_form <- function(re.form, ...) {
  dots <- list(...)
  old <- intersect(names(dots), deprecated_re_form_names)
  if (!length(old)) return(re.form)
  warning(sprintf("'%s' is deprecated; use 're.form' instead", old[1L]), call. = FALSE)
  dots[[old[1L]]]
}

# glmmTMB's `fast`: NULL or FALSE, or TRUE only for predictions of the fit's own data with all random effects.
check_fast <- function(fast, newdata, re.form) {
  if (is.null(fast)) return(invisible())
  check_flag(fast, "fast")
  population <- !is.null(re.form) && (identical(re.form, NA) || (inherits(re.form, "formula") && identical(re.form[[length(re.form)]], 0)))
  if (fast && (!is.null(newdata) || population)) {
    stop("fast=TRUE is not compatible with newdata/newparams/population-level prediction", call. = FALSE)
  }
  invisible()
}

# glmmTMB's types for the other components, constant in a model without zero-inflation or a
# dispersion model: "zprob" 0, "zlink" -Inf (standard errors NA), "disp" the dispersion sigma().
constant_prediction <- function(object, newdata, type, se.fit, na.action) {
  n <- if (is.null(newdata)) nrow(object$frame) else nrow(as_newdata_frame(newdata))
  value <- switch(type, zprob = 0, zlink = -Inf, disp = sigma.glmmlab(object))
  fit <- rep(value, n)
  if (is.null(newdata)) fit <- stats::napredict(fit_na_action(object, na.action), fit)
  if (se.fit) list(fit = fit, se.fit = rep(if (type == "disp") NA_real_ else NA_real_, length(fit))) else fit
}

# The fit's na.action for predictions of its own data; with na.action = na.exclude (lme4) the
# rows dropped by the fit are padded with NA.
fit_na_action <- function(object, na.action) {
  out <- attr(object$frame, "na.action")
  if (!is.null(out) && (identical(na.action, stats::na.exclude) || identical(na.action, "na.exclude"))) class(out) <- "exclude"
  out
}

# A single TRUE or FALSE, or an error naming the argument.
check_flag <- function(value, name) {
  if (!is.logical(value) || length(value) != 1L || is.na(value)) {
    stop(sprintf("`%s` must be TRUE or FALSE", name), call. = FALSE)
  }
}

# Warn about arguments in `...` that a method does not use (`.used`: the names it reads from `...`).
warn_unused_dots <- function(..., .used = character()) {
  if (!...length()) return(invisible())
  dots <- names(list(...))
  if (is.null(dots)) dots <- rep("", ...length())
  dots <- dots[!dots %in% .used]
  if (!length(dots)) return(invisible())
  label <- if (any(dots == "")) "unnamed arguments" else paste(sQuote(dots, FALSE), collapse = ", ")
  warning("arguments ignored: ", label, call. = FALSE)
}

# The random-effect terms that `re.form` keeps: a list of list(index (into object$re), columns
# (logical, of the term's columns)). A formula term picks a model term with the same left-hand
# side and group, or (lme4) some columns of one, e.g. ~ (0 + Days | Subject) from (Days | Subject).
selected_re_terms <- function(object, re.form) {
  all_terms <- lapply(seq_along(object$re), function(i) list(index = i, columns = rep(TRUE, length(object$re[[i]]$cnms))))
  if (is.null(re.form)) return(all_terms)
  if (length(re.form) == 1L && !is.language(re.form) && is.na(re.form)) return(list())
  if (!inherits(re.form, "formula")) {
    stop("`re.form` must be NULL (all random effects), NA or ~0 (none), or a formula such as ~ (1 | group)", call. = FALSE)
  }
  wanted <- find_re_terms(re.form)
  model_keys <- vapply(object$re, function(t) re_term_key(t$lhs, t$group), "")   # (x | g) also selects (x || g)
  picked <- lapply(wanted, function(w) {
    i <- match(re_term_key(w$lhs, group_label(w$group)), model_keys)
    if (!is.na(i)) return(all_terms[[i]])
    columns_of_term(object, w)
  })
  missing <- vapply(picked, is.null, logical(1))
  if (any(missing)) {
    bad <- vapply(wanted[missing], function(w) re_term_key(w$lhs, group_label(w$group), w$structure), "")
    model_keys <- vapply(object$re, function(t) re_term_key(t$lhs, t$group, t$structure), "")
    stop(sprintf("`re.form` names random-effect term%s not in the model: %s (the model has %s)",
                 if (length(bad) > 1L) "s" else "", paste(bad, collapse = ", "), paste(model_keys, collapse = ", ")),
         call. = FALSE)
  }
  merge_selected_terms(picked)
}

# A term of re.form whose columns (the intercept and its terms' labels) are some of the columns of
# a model term with the same group: that term with those columns; NULL otherwise.
columns_of_term <- function(object, w) {
  tt <- stats::terms(stats::as.formula(call("~", w$lhs)))
  cols <- c(if (attr(tt, "intercept") == 1L) "(Intercept)", attr(tt, "term.labels"))
  for (i in seq_along(object$re)) {
    t <- object$re[[i]]
    if (t$group == group_label(w$group) && length(cols) && all(cols %in% t$cnms)) return(list(index = i, columns = t$cnms %in% cols))
  }
  NULL
}

# Selections of the same term combined (their columns joined), in the model's order of terms.
merge_selected_terms <- function(picked) {
  idx <- vapply(picked, `[[`, integer(1), "index")
  out <- lapply(sort(unique(idx)), function(i) {
    cols <- Reduce(`|`, lapply(picked[idx == i], `[[`, "columns"))
    list(index = i, columns = cols)
  })
  out
}

# Text "(lhs | group)" identifying a random-effect term.
re_term_key <- function(lhs, group, structure = "us") {
  paste0("(", paste(deparse(lhs, width.cutoff = 500L), collapse = ""), if (identical(structure, "diag")) " || " else " | ", group, ")")
}

# Linear predictor and fixed-effects model matrix for the observations of the fit (with
# random.only, the random effects' part alone, as lme4's).
prediction_parts_fit <- function(object, terms_used, random.only = FALSE) {
  everything <- length(terms_used) == length(object$re) && all(vapply(terms_used, function(t) all(t$columns), logical(1)))
  eta <- if (random.only) numeric(length(object$y)) else if (everything) object$eta else object$eta_fixed
  if (random.only || !everything) {
    for (sel in terms_used) {
      term <- object$re[[sel$index]]
      b <- object$b[[sel$index]]
      b[, !sel$columns] <- 0
      eta <- eta + rowSums(term$Xt * b[term$codes + 1L, , drop = FALSE])
    }
  }
  list(eta = as.numeric(eta), X = object$X, names = rownames(object$frame))
}

# Linear predictor and fixed-effects model matrix for new data (NA rows where data are missing).
prediction_parts_newdata <- function(object, newdata, terms_used, allow.new.levels, random.only = FALSE) {
  nd <- as_newdata_frame(newdata)
  fixed <- fixed_part_newdata(object, nd, allow.new.levels)
  eta <- if (random.only) numeric(nrow(nd)) else fixed$eta
  for (sel in terms_used) eta <- eta + re_contribution_newdata(object, sel$index, nd, allow.new.levels, sel$columns)
  list(eta = eta, X = fixed$X, names = rownames(nd))
}

# newdata as a data frame (a list of equal-length variables is accepted).
as_newdata_frame <- function(newdata) {
  if (is.data.frame(newdata)) return(newdata)
  if (!is.list(newdata)) stop("`newdata` must be a data frame or a list of variables, not ", class(newdata)[1L], call. = FALSE)
  tryCatch(as.data.frame(newdata, optional = TRUE, stringsAsFactors = FALSE),
           error = function(e) stop("`newdata` could not be made into a data frame: ", conditionMessage(e), call. = FALSE))
}

# Error unless every variable of `vars` is in newdata (or a single value in the formula's environment).
check_newdata_has <- function(vars, nd, env, purpose) {
  missing <- vars[!vars %in% names(nd)]
  missing <- missing[!vapply(missing, function(v) {
    exists(v, envir = env) && length(get(v, envir = env)) == 1L
  }, logical(1))]
  if (length(missing)) {
    stop(sprintf("`newdata` lacks variable%s %s, needed for %s", if (length(missing) > 1L) "s" else "",
                 paste(sQuote(missing, FALSE), collapse = ", "), purpose), call. = FALSE)
  }
}

# Fixed part for new data: X beta + offsets, with X built from the fit's levels and contrasts.
fixed_part_newdata <- function(object, nd, allow.new.levels = FALSE) {
  n <- nrow(nd)
  env <- environment(object$formula)
  tt <- with_training_predvars(stats::delete.response(object$terms), object$frame)
  check_newdata_has(all.vars(tt), nd, env, "the fixed effects")
  if (!allow.new.levels) check_contrasts_match(object$frame, nd, all.vars(tt))
  xlev <- stats::.getXlevels(object$terms, object$frame)
  mf <- new_model_frame(tt, nd, xlev)
  offset <- newdata_offset(object, mf, nd, env)
  ok <- stats::complete.cases(mf) & !is.na(offset)
  X <- matrix(NA_real_, n, ncol(object$X), dimnames = list(NULL, colnames(object$X)))
  if (any(ok)) {
    mf_ok <- new_model_frame(tt, nd[ok, , drop = FALSE], xlev)
    X_ok <- stats::model.matrix(tt, mf_ok, contrasts.arg = attr(object$X, "contrasts"))
    X[ok, ] <- X_ok[, colnames(object$X), drop = FALSE]
  }
  list(eta = drop(X %*% object$beta) + offset, X = X)
}

# As glmmTMB: a factor of the fixed part (`vars`) in new data whose contrasts, set explicitly
# there or in the fit's data, differ from the fit's is an error (the fit's contrasts are used with
# allow.new.levels = TRUE).
check_contrasts_match <- function(frame, nd, vars) {
  for (v in intersect(intersect(names(nd), names(frame)), vars)) {
    a <- frame[[v]]
    b <- nd[[v]]
    if (!is.factor(a) || !is.factor(b) || nlevels(a) < 2L || nlevels(b) < 2L) next
    if (is.null(attr(a, "contrasts")) && is.null(attr(b, "contrasts"))) next
    ca <- stats::contrasts(a)
    cb <- stats::contrasts(b)
    common <- intersect(rownames(cb), rownames(ca))
    same <- identical(dim(ca), dim(cb)) && isTRUE(all.equal(ca, cb, check.attributes = FALSE)) ||
      (ncol(ca) == ncol(cb) && isTRUE(all.equal(ca[common, , drop = FALSE], cb[common, , drop = FALSE], check.attributes = FALSE)))
    if (!same) stop(sprintf("contrasts mismatch between original and prediction frame in variable %s", sQuote(v, FALSE)), call. = FALSE)
  }
  invisible()
}

# Terms whose variables are evaluated as in the fit: data-dependent transformations such as
# poly(x, 2) or scale(x) reuse the fit's coefficients (the model frame's "predvars").
with_training_predvars <- function(tt, frame) {
  frame_terms <- attr(frame, "terms")
  frame_pred <- attr(frame_terms, "predvars")
  if (is.null(frame_pred)) return(tt)
  label <- function(e) paste(deparse(e, width.cutoff = 500L), collapse = "")
  frame_vars <- vapply(as.list(attr(frame_terms, "variables"))[-1L], label, "")
  vars <- as.list(attr(tt, "variables"))[-1L]
  idx <- match(vapply(vars, label, ""), frame_vars)
  vars[!is.na(idx)] <- as.list(frame_pred)[-1L][idx[!is.na(idx)]]
  attr(tt, "predvars") <- as.call(c(list(quote(list)), vars))
  tt
}

# model.frame() of new data with the training factor levels, keeping rows with NA.
# A new level of a factor is an error saying which part of the model cannot predict it (`what`:
# "unknown fixed effects" or the random-effect term), in glmmTMB's words.
new_model_frame <- function(tt, nd, xlev, what = "unknown fixed effects") {
  nd <- factor_columns_as_character(nd, xlev)
  # the fit's contrasts apply (check_contrasts_match() stops at different ones unless
  # allow.new.levels = TRUE): a factor's own contrasts in `newdata` are dropped here, silently as
  # glmmTMB does, not by model.frame()'s re-levelling with a warning for each
  for (v in intersect(names(xlev), names(nd))) if (is.factor(nd[[v]])) attr(nd[[v]], "contrasts") <- NULL
  tryCatch(stats::model.frame(tt, nd, na.action = stats::na.pass, xlev = xlev),
           error = function(e) {
             msg <- conditionMessage(e)
             if (grepl("has new levels?", msg)) stop(sprintf("Prediction is not possible for %s: in `newdata`, %s", what, msg), call. = FALSE)
             stop("in `newdata`: ", msg, call. = FALSE)
           })
}

# Columns of new data for variables that were factors in the fit, given as something else (an
# all-NA column, which data.frame() makes logical, or numeric codes), as character: model.frame()
# would warn "variable is not a factor" and build the wrong columns. NA stays NA (an NA
# prediction); any other value must be one of the fit's levels ("has new level" error otherwise).
factor_columns_as_character <- function(nd, xlev) {
  for (v in intersect(names(xlev), names(nd))) {
    if (!is.factor(nd[[v]]) && !is.character(nd[[v]])) nd[[v]] <- as.character(nd[[v]])
  }
  nd
}

# Offsets for new data: offset() terms plus the `offset` argument of the original call.
newdata_offset <- function(object, mf, nd, env) {
  n <- nrow(nd)
  total <- stats::model.offset(mf)
  if (is.null(total)) total <- numeric(n)
  call_offset <- object$call$offset
  if (!is.null(call_offset)) {
    value <- eval(call_offset, nd, env)
    if (length(value) != n) {
      stop(sprintf(paste("the fit's `offset` argument (%s) gives %d values for the %d rows of `newdata`;",
                         "write the offset as an offset() term in the formula, with its variables in `newdata`"),
                   paste(deparse(call_offset), collapse = ""), length(value), n), call. = FALSE)
    }
    total <- total + value
  }
  as.numeric(total)
}

# One random-effect term's contribution for new data: the row's level's modes times the term's
# columns. As glmmTMB: a level not in the fit contributes 0 (the population level), with a warning
# unless allow.new.levels = TRUE; a missing (NA) grouping value contributes 0 too.
re_contribution_newdata <- function(object, i, nd, allow.new.levels, columns = NULL) {
  term <- object$re[[i]]
  env <- environment(object$formula)
  key <- group_keys_newdata(term, nd, env)
  code <- match(key, term$levels)
  unknown <- !is.na(key) & is.na(code)
  if (any(unknown) && !allow.new.levels) {
    new_levels <- unique(key[unknown])
    shown <- if (length(new_levels) > 5L) c(new_levels[1:5], "...") else new_levels
    warning(sprintf("Predicting new random effect levels for terms: %s (level%s %s predicted at the population level, random effects 0)\nDisable this warning with 'allow.new.levels=TRUE'",
                    re_term_key(term$lhs, term$group, term$structure), if (length(new_levels) > 1L) "s" else "",
                    paste(sQuote(shown, FALSE), collapse = ", ")), call. = FALSE)
  }
  grouped <- !is.na(key)
  out <- numeric(nrow(nd))
  if (!any(grouped)) return(out)
  # the term's columns for every grouped row: a new level of a factor among them is an error
  Z <- re_columns_newdata(term, object$frame, nd[grouped, , drop = FALSE], env)
  known <- !is.na(code[grouped])
  b <- object$b[[i]]
  if (!is.null(columns)) b[, !columns] <- 0
  out[grouped][known] <- rowSums(Z[known, , drop = FALSE] * b[code[grouped][known], , drop = FALSE])
  out
}

# Level label of each row of new data for a term's grouping factor ("a:b" for interactions).
group_keys_newdata <- function(term, nd, env) {
  g <- str2lang(term$group)
  check_newdata_has(all.vars(g), nd, env, sprintf("the random effects of %s (or use re.form = NA)", sQuote(term$group, FALSE)))
  parts <- lapply(all_interaction_parts(g), function(e) {
    value <- eval(e, nd, env)
    if (length(value) != nrow(nd)) {
      stop(sprintf("grouping variable %s has %d values for the %d rows of `newdata`",
                   sQuote(paste(deparse(e), collapse = ""), FALSE), length(value), nrow(nd)), call. = FALSE)
    }
    as.character(value)
  })
  key <- do.call(paste, c(parts, sep = ":"))
  key[Reduce(`|`, lapply(parts, is.na))] <- NA_character_
  key
}

# A term's random-effect model matrix (its `lhs`) for new data; NA rows where data are missing.
re_columns_newdata <- function(term, frame, nd, env) {
  n <- nrow(nd)
  p <- length(term$cnms)
  f <- stats::as.formula(call("~", term$lhs), env = env)
  if (!length(all.vars(f))) return(matrix(1, n, p, dimnames = list(NULL, term$cnms)))
  check_newdata_has(all.vars(f), nd, env, sprintf("the random effects of %s", sQuote(term$group, FALSE)))
  tt <- with_training_predvars(stats::terms(f), frame)
  xlev <- stats::.getXlevels(tt, frame)
  what <- paste("terms:", re_term_key(term$lhs, term$group, term$structure))
  mf <- new_model_frame(tt, nd, xlev, what)
  ok <- stats::complete.cases(mf)
  Z <- matrix(NA_real_, n, p, dimnames = list(NULL, term$cnms))
  if (any(ok)) {
    Z_ok <- stats::model.matrix(tt, new_model_frame(tt, nd[ok, , drop = FALSE], xlev, what))
    Z[ok, ] <- Z_ok[, term$cnms, drop = FALSE]
  }
  Z
}

# Rows of the predictions that `na.action` keeps (na.omit drops NA predictions; na.fail stops).
rows_kept_by_na_action <- function(fit, na.action) {
  if (is.character(na.action)) na.action <- get(na.action, mode = "function")
  if (!is.function(na.action)) stop("`na.action` must be a function such as na.pass or na.omit", call. = FALSE)
  if (identical(na.action, stats::na.pass)) return(seq_along(fit))
  checked <- tryCatch(na.action(data.frame(fit = fit)), error = function(e) {
    stop(sprintf("`na.action` failed: %s (%d rows of `newdata` have missing values in variables the prediction needs)",
                 conditionMessage(e), sum(is.na(fit))), call. = FALSE)
  })
  dropped <- attr(checked, "na.action")
  if (is.null(dropped) || inherits(dropped, "exclude")) return(seq_along(fit))
  setdiff(seq_along(fit), as.integer(dropped))
}

#' Fitted values of a mixed model
#'
#' The fitted means of the observations, on the response scale, including the random effects
#' (`family$linkinv` of the linear predictor; for the zero-truncated families the mean of the
#' truncated distribution, as `predict(type = "response")`).
#'
#' @param object a fitted `"glmmlab"` model from [glmm()].
#' @param ... not used.
#' @return A numeric vector, one value per observation of the fit (padded with `NA` for rows
#'   dropped by `na.action = na.exclude`); unnamed, as 'glmmTMB''s.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' head(fitted(m))
#' @importFrom stats fitted
#' @export
fitted.glmmlab <- function(object, ...) {
  stats::napredict(attr(object$frame, "na.action"), as.numeric(object$fitted))   # unnamed, as glmmTMB's
}

#' Residuals of a mixed model
#'
#' Residuals given the random effects (conditional residuals), as in 'lme4' and 'glmmTMB':
#' `"response"` \eqn{y - \mu}; `"pearson"` \eqn{(y - \mu)\sqrt{w / V(\mu)}} with prior weights
#' \eqn{w} and the family's variance function \eqn{V} (at the estimated dispersion for the
#' negative binomial families, as 'glmmTMB'), not divided by the residual standard
#' deviation (so for a gaussian model \eqn{\sqrt{w}(y - \mu)}, as `residuals()` of an `lmer()`
#' fit; divide by `sigma` for standardized residuals); `"deviance"` the signed square roots of
#' the family's deviance contributions (for the negative binomial families at the estimated
#' dispersion, see [nbinom2()]; for nbinom1 the sign is that of \eqn{\mu^* - \mu}, which differs
#' from that of \eqn{y - \mu} only when \eqn{\mu} lies between \eqn{y} and the saturated mean
#' \eqn{\mu^*}); `"working"` \eqn{(y - \mu) / (d\mu/d\eta)}; `"dunn-smyth"` randomized
#' quantile residuals (Dunn and Smyth 1996), as 'glmmTMB' (1.1.10 and later) computes them:
#' \eqn{\Phi^{-1}(U)} with \eqn{U} uniform between the fitted conditional distribution
#' function at \eqn{y - 1} and at \eqn{y} (poisson, binomial, nbinom1, nbinom2), or
#' \eqn{\Phi^{-1}(F(y))} (gaussian, Gamma). If the model is right they are independent standard
#' normal, whatever the family: plot them against fitted values or predictors, or compare them
#' with `qqnorm()`. The uniforms are drawn by one `runif()` call, so `set.seed()` makes them
#' reproducible (and equal to 'glmmTMB''s for the same seed). Two differences from 'glmmTMB':
#' a binomial response with several trials uses the binomial distribution of its counts
#' ('glmmTMB' treats the proportion as one Bernoulli trial), and a gaussian one is scaled by
#' \eqn{\sigma} (standard normal; 'glmmTMB' returns \eqn{y - \mu}).
#'
#' @param object a fitted `"glmmlab"` model from [glmm()].
#' @param type the kind of residual (see Details).
#' @param scaled logical (lme4's argument): divide the residuals by [sigma.glmmlab()]?
#' @param ... not used.
#' @return A named numeric vector, one value per observation of the fit (padded with `NA` for
#'   rows dropped by `na.action = na.exclude`).
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' head(residuals(m))
#' head(residuals(m, type = "pearson"))
#' set.seed(2)
#' cnt <- rpois(80, exp(0.5 + 0.3 * x + rnorm(8, sd = 0.4)[g]))
#' mp <- glmm(cnt ~ x + (1 | g), data = data.frame(cnt, x, g), family = poisson)
#' qqnorm(residuals(mp, type = "dunn-smyth"))
#' @importFrom stats residuals
#' @export
residuals.glmmlab <- function(object, type = c("response", "pearson", "deviance", "working", "dunn-smyth"), scaled = FALSE, ...) {
  type <- match.arg(type)
  check_flag(scaled, "scaled")
  if (type != "response") check_no_components(object, sprintf("residuals(type = \"%s\")", type))
  family <- object$family
  y <- object$y
  mu <- as.numeric(object$fitted)
  w <- object$prior_weights
  out <- switch(type,
    response = y - mu,
    pearson = (y - mu) * sqrt(w / family_variance(object, mu)),
    deviance = deviance_residuals(object, y, mu, w),
    working = (y - mu) / family$mu.eta(as.numeric(object$eta)),
    "dunn-smyth" = quantile_residuals(object)   # R/quantile_residuals.R
  )
  if (scaled) out <- out / stats::sigma(object)
  out <- stats::setNames(out, rownames(object$frame))
  stats::naresid(attr(object$frame, "na.action"), out)
}

# Signed square roots of the unit deviances. The negative binomials use glmmlab's deviances at the
# fit's dispersion whichever family object was given (glmmTMB::nbinom1()'s dev.resids returns 0s,
# glmmTMB::nbinom2()'s looks up a theta of its own). The sign is that of y - mu, except for nbinom1,
# whose saturated mean mu* exceeds y (?nbinom1): there it is the sign of mu* - mu, the direction in
# which the observation pulls the mean, so the residual is 0 at mu* and continuous in mu.
deviance_residuals <- function(object, y, mu, w) {
  fam <- object$family$family
  if (fam %in% families_without_deviance) {
    stop(sprintf("deviance residuals are not available for the %s family (glmmlab defines no unit deviance for it, and glmmTMB's family object returns zeros); use type = \"pearson\" or \"response\"",
                 fam), call. = FALSE)
  }
  if (fam %in% c("nbinom1", "nbinom2")) {
    phi <- object$dispersion
    if (!is.numeric(phi) || length(phi) != 1L || !is.finite(phi)) stop("the fit has no dispersion estimate for its deviance residuals", call. = FALSE)
    if (fam == "nbinom2") return(sign(y - mu) * sqrt(pmax(nbinom2_dev_resids(y, mu, w, phi), 0)))
    mu_sat <- nbinom1_saturated_mean(y, phi)
    return(sign(mu_sat - mu) * sqrt(nbinom1_dev_resids(y, mu, w, phi, mu_sat)))
  }
  sign(y - mu) * sqrt(pmax(object$family$dev.resids(y, mu, w), 0))
}

# glmmTMB's families without a unit deviance here.
families_without_deviance <- c("beta", "betabinomial", "genpois", "tweedie", "t", "lognormal", "truncated_poisson",
                               "truncated_nbinom1", "truncated_nbinom2")

# The family's variance function at mu, its further arguments matched by name as glmmTMB's
# residuals() does: the mean (mu, lambda), the dispersion (theta, phi, alpha) and the shape
# parameter (power, shape). The truncated families' variance functions get the untruncated mean
# (the linear predictor's inverse link), of which they are functions.
family_variance <- function(object, mu) {
  variance <- object$family$variance
  if (is.null(variance)) stop(sprintf("family %s has no variance function: Pearson residuals are not available", object$family$family), call. = FALSE)
  if (startsWith(object$family$family, "truncated_")) mu <- object$family$linkinv(as.numeric(object$eta))
  params <- family_params.glmmlab(object)
  shape <- if (length(params)) unname(params) else NULL
  given <- list(mu = mu, lambda = mu, theta = object$dispersion, phi = object$dispersion, alpha = object$dispersion,
                power = shape, shape = shape)
  given <- given[!vapply(given, is.null, logical(1))]
  wanted <- names(formals(variance))
  if (length(wanted) <= 1L || !all(wanted %in% names(given))) return(variance(mu))
  do.call(variance, given[wanted])
}
