# model_frame.R: stage 2. Evaluate the model frame (data, subset, weights, offset, NA
# handling) and build the response and the fixed-effects model matrix, with input checks.

# Model frame for `formula` from the arguments of glmm()'s call `mc`, evaluated in `env`; the
# formula (with `.` expanded) is its attribute "formula". `extra`: names of further variables
# the frame must hold (those of the model's components).
build_model_frame <- function(mc, formula, env, extra = character()) {
  args <- mc[c(1L, match(c("data", "subset", "weights", "na.action", "offset"), names(mc), 0L))]
  args[[1L]] <- quote(stats::model.frame)
  args$drop.unused.levels <- TRUE
  data <- if (is.null(args$data)) NULL else evaluate_data_arg(args$data, env)
  if (!is.null(data)) args$data <- data
  formula <- expand_dot(formula, data)
  args$formula <- frame_formula(formula)
  for (v in setdiff(extra, all.vars(args$formula))) args$formula[[3L]] <- call("+", args$formula[[3L]], as.name(v))
  # arguments passed on through a wrapper's `...` arrive as ..1, ..2: only `env` can see them
  for (nm in intersect(c("subset", "weights", "offset", "na.action"), names(args))) {
    if (is.symbol(args[[nm]]) && grepl("^[.][.][0-9]+$", as.character(args[[nm]]))) args[[nm]] <- eval(args[[nm]], env)
  }
  check_variables_exist(formula, data)
  if (length(extra)) check_variables_exist(stats::reformulate(extra, env = environment(formula)), data)
  mf <- tryCatch(eval(args, env), error = function(e) {
    stop("could not build the model frame: ", explain_frame_error(conditionMessage(e)), call. = FALSE)
  })
  if (nrow(mf) == 0L) stop("no observations left after removing missing values (NA) and subset: 0 (non-NA) cases", call. = FALSE)
  attr(mf, "formula") <- formula
  mf
}

# The `data` argument evaluated and checked: a data frame, list or environment with rows.
evaluate_data_arg <- function(expr, env) {
  data <- tryCatch(eval(expr, env), error = function(e) {
    stop(sprintf("`data` could not be found: %s", conditionMessage(e)), call. = FALSE)
  })
  if (is.null(data)) return(NULL)
  if (!is.list(data) && !is.environment(data)) {
    stop("`data` must be a data frame or a list, not ", class(data)[1L], call. = FALSE)
  }
  if (is.data.frame(data) && nrow(data) == 0L) stop("`data` has no rows", call. = FALSE)
  if (is.data.frame(data) && ncol(data) == 0L) stop("`data` has no columns", call. = FALSE)
  data
}

# The variables a formula names: all.vars() without the package and function names of `pkg::fun`
# and the element names of `d$x` (only `d` is a variable).
formula_variables <- function(expr) {
  if (identical(expr, quote(expr = ))) return(character())   # an empty argument, as in y[, 1]
  if (is.name(expr)) return(as.character(expr))
  if (!is.call(expr)) return(character())
  if (call_name(expr) %in% c("::", ":::")) return(character())
  if (call_name(expr) %in% c("$", "@")) return(formula_variables(expr[[2L]]))
  args <- as.list(expr)[-1L]
  head <- expr[[1L]]
  unique(c(if (is.call(head)) formula_variables(head), unlist(lapply(args, formula_variables))))
}

# Every variable named in the formula must exist in data or the formula's environment, and
# outside data it must not be a function (`time`, `c`, `t` are functions in base R).
check_variables_exist <- function(formula, data) {
  vars <- formula_variables(formula)
  env <- environment(formula)
  in_data <- function(v) {
    if (is.environment(data)) return(exists(v, envir = data, inherits = FALSE))
    !is.null(data) && v %in% names(data)
  }
  found <- vapply(vars, function(v) {
    in_data(v) || !is.function(get0(v, envir = if (is.environment(data)) data else env, ifnotfound = sum))
  }, logical(1))
  missing <- vars[!found]
  if (!length(missing)) return(invisible())
  where <- if (is.null(data)) "in the formula's environment (no `data` was given)" else "in `data` nor in the formula's environment"
  funs <- missing[vapply(missing, function(v) exists(v, envir = env), logical(1))]
  stop(sprintf("variable%s not found %s: %s%s", if (length(missing) > 1L) "s" else "", where,
               paste(sQuote(missing, FALSE), collapse = ", "),
               if (length(funs)) sprintf(" (%s is the name of a function, not a variable)", paste(sQuote(funs, FALSE), collapse = ", ")) else ""),
       call. = FALSE)
}

# model.frame()'s messages about `weights` and `offset` translated for glmm()'s users.
explain_frame_error <- function(msg) {
  for (arg in c("weights", "offset")) {
    if (grepl(sprintf("(found for '(%s)')", arg), msg, fixed = TRUE)) {
      return(sprintf("`%s` must have one value per observation (row of `data`)", arg))
    }
    if (grepl(sprintf("for variable '(%s)'", arg), msg, fixed = TRUE)) {
      return(sprintf("`%s` must be a numeric vector (%s)", arg, msg))
    }
  }
  msg
}

# A numeric input whose magnitude would overflow or underflow the core's cross-products
# (largest absolute value above 1e100, or below 1e-100 while not all zero) is an error.
check_magnitude <- function(x, what) {
  largest <- max(abs(x), 0)
  if (largest > 1e100 || (largest > 0 && largest < 1e-100)) {
    stop(sprintf("%s has values of magnitude %s: rescale it (e.g. change its units) before fitting",
                 what, format(largest, digits = 3)), call. = FALSE)
  }
  invisible(x)
}

# Fixed-effects design: terms, model matrix (rank-deficient columns dropped), offset;
# `contrasts` as model.matrix()'s contrasts.arg (named factors must be in the fixed part);
# `rank_action` what a rank-deficient X gets (rank_deficiency_action() in R/glmm.R).
build_fixed_design <- function(formula, mf, contrasts = NULL, rank_action = "message") {
  ff <- fixed_formula(formula)
  tt <- stats::terms(ff, data = mf)
  check_factor_levels(tt, mf)
  X <- fixed_model_matrix(tt, mf, contrasts)
  bad <- !is.finite(X)
  if (any(bad)) {
    col <- colnames(X)[which(colSums(bad) > 0)[1L]]
    stop(sprintf("fixed-effect predictor %s has non-finite values (Inf or NaN)", sQuote(col, FALSE)), call. = FALSE)
  }
  for (j in seq_len(ncol(X))) check_magnitude(X[, j], sprintf("fixed-effect predictor %s", sQuote(colnames(X)[j], FALSE)))
  dropped <- character()
  if (ncol(X) > 0L) {
    qx <- qr(X)
    if (qx$rank < ncol(X)) {
      keep <- sort(qx$pivot[seq_len(qx$rank)])
      dropped <- colnames(X)[-keep]
      if (rank_action == "keep") {
        stop(sprintf("the fixed-effect model matrix is rank deficient (rank(X) = %d < %d = p) and the rank check setting keeps the redundant column%s %s: X'X is not positive definite; let glmm() drop them (lme4's default check.rankX, glmmTMB's rank_check = \"adjust\")",
                     qx$rank, ncol(X), if (length(dropped) > 1L) "s" else "", paste(dropped, collapse = ", ")), call. = FALSE)
      }
      if (rank_action == "stop") {
        stop(sprintf("the fixed-effect model matrix is rank deficient (rank(X) = %d < %d = p): drop the redundant column%s %s",
                     qx$rank, ncol(X), if (length(dropped) > 1L) "s" else "", paste(dropped, collapse = ", ")), call. = FALSE)
      }
      note <- sprintf("fixed-effect model matrix is rank deficient so dropping %d column%s: %s",
                      length(dropped), if (length(dropped) > 1L) "s" else "", paste(dropped, collapse = ", "))
      switch(rank_action, message = message(note), warning = warning(note, call. = FALSE), silent = NULL)
      assign_attr <- attr(X, "assign")[keep]
      contr <- attr(X, "contrasts")
      X <- X[, keep, drop = FALSE]
      attr(X, "assign") <- assign_attr
      attr(X, "contrasts") <- contr
    }
  }
  offset <- model_offset(mf, ff)
  list(X = X, terms = tt, offset = offset, dropped = dropped)
}

# model.matrix() with `contrasts`, whose names must be factors of the fixed part.
fixed_model_matrix <- function(tt, mf, contrasts) {
  if (is.null(contrasts)) return(stats::model.matrix(tt, mf))
  used <- rownames(attr(tt, "factors"))
  is_factor <- vapply(names(contrasts), function(v) v %in% used && (is.factor(mf[[v]]) || is.character(mf[[v]])), logical(1))
  if (!all(is_factor)) {
    stop(sprintf("`contrasts` names %s, not a factor of the fixed part of the formula", paste(sQuote(names(contrasts)[!is_factor], FALSE), collapse = ", ")),
         call. = FALSE)
  }
  tryCatch(stats::model.matrix(tt, mf, contrasts.arg = contrasts),
           error = function(e) stop("`contrasts` could not be applied: ", conditionMessage(e), call. = FALSE))
}

# A factor or character predictor of the fixed part needs two or more levels in the rows used.
check_factor_levels <- function(tt, mf) {
  factors <- attr(tt, "factors")
  if (!length(factors)) return(invisible())
  used <- rownames(factors)[rowSums(factors) > 0]
  for (v in intersect(used, names(mf))) {
    x <- mf[[v]]
    if ((is.factor(x) || is.character(x)) && length(unique(x)) < 2L) {
      stop(sprintf("fixed-effect predictor %s has a single level (%s) in the rows used: it cannot be estimated apart from the intercept; drop it from the formula",
                   sQuote(v, FALSE), sQuote(as.character(x[1L]), FALSE)), call. = FALSE)
    }
  }
  invisible()
}

# Sum of offset() terms in the formula and the `offset` argument; zeros when none.
model_offset <- function(mf, ff) {
  off <- stats::model.offset(mf)
  if (is.null(off)) off <- numeric(nrow(mf))
  if (length(off) != nrow(mf)) stop("`offset` has length ", length(off), " but there are ", nrow(mf), " observations", call. = FALSE)
  if (!is.numeric(off)) stop("the offset (the `offset` argument and offset() terms) must be numeric", call. = FALSE)
  if (any(!is.finite(off))) {
    stop(sprintf("the offset (the `offset` argument and offset() terms) has non-finite values (Inf or NaN), first in row %d; log(0) is -Inf",
                 which(!is.finite(off))[1L]), call. = FALSE)
  }
  check_magnitude(off, "the offset")
  as.numeric(off)
}

# Prior weights from the model frame, checked: finite and positive.
model_weights <- function(mf) {
  w <- stats::model.weights(mf)
  if (is.null(w)) return(rep(1, nrow(mf)))
  if (!is.numeric(w)) stop("`weights` must be numeric", call. = FALSE)
  if (any(!is.finite(w))) stop(sprintf("`weights` has non-finite values, first in row %d", which(!is.finite(w))[1L]), call. = FALSE)
  if (any(w < 0)) stop(sprintf("`weights` must not be negative (row %d has %s)", which(w < 0)[1L], format(w[w < 0][1L])), call. = FALSE)
  if (any(w == 0)) stop("`weights` has zeros: drop those observations with `subset` instead", call. = FALSE)
  if (max(w) > 1e100 || min(w) < 1e-100) {
    stop(sprintf("`weights` range from %s to %s: rescale them (weights near 1 fit best)",
                 format(min(w), digits = 3), format(max(w), digits = 3)), call. = FALSE)
  }
  as.numeric(w)
}

# Enough observations for the fixed effects: with a dispersion (gaussian, Gamma), n must exceed
# the number of fixed-effect coefficients, or the residual variance is estimated as 0.
check_observation_count <- function(n, X, family) {
  if (family$family %in% c("gaussian", "Gamma") && ncol(X) >= n) {
    stop(sprintf(paste("%d observations for %d fixed-effect coefficients: a %s model needs more observations than",
                       "coefficients to estimate its residual variance"), n, ncol(X), family$family), call. = FALSE)
  }
  invisible()
}

# An offset so large that adding it to the linear predictor loses all precision is an error:
# beyond 1e8 times the response's scale (identity link) or 1e8 on a link scale.
check_offset_scale <- function(offset, y, family) {
  largest <- max(abs(offset), 0)
  spread <- if (length(y) > 1L) stats::sd(y) else 0
  scale <- if (family$link == "identity") max(spread, abs(mean(y)), 1e-300) else 1
  if (largest > 1e8 * scale) {
    stop(sprintf("the offset has values of magnitude %s, too large for the linear predictor: the fit would lose all precision",
                 format(largest, digits = 3)), call. = FALSE)
  }
  invisible()
}
