# model_frame.R: stage 2. Evaluate the model frame (data, subset, weights, offset, NA
# handling) and build the response and the fixed-effects model matrix, with input checks.

# Model frame for `formula` from the arguments of glmm()'s call `mc`, evaluated in `env`.
build_model_frame <- function(mc, formula, env) {
  args <- mc[c(1L, match(c("data", "subset", "weights", "na.action", "offset"), names(mc), 0L))]
  args[[1L]] <- quote(stats::model.frame)
  args$formula <- frame_formula(formula)
  args$drop.unused.levels <- TRUE
  if (!is.null(args$data)) check_data_arg(eval(args$data, env), formula)
  check_variables_exist(formula, if (is.null(args$data)) NULL else eval(args$data, env))
  mf <- tryCatch(eval(args, env), error = function(e) {
    stop("could not build the model frame: ", conditionMessage(e), call. = FALSE)
  })
  if (nrow(mf) == 0L) stop("no observations left after removing missing values (NA) and subset", call. = FALSE)
  attr(mf, "formula") <- formula
  mf
}

# data must be a data frame or list; an empty one is an error.
check_data_arg <- function(data, formula) {
  if (!is.list(data) && !is.environment(data)) {
    stop("`data` must be a data frame or a list, not ", class(data)[1L], call. = FALSE)
  }
  if (is.data.frame(data) && nrow(data) == 0L) stop("`data` has no rows", call. = FALSE)
}

# Every variable named in the formula must exist in data or the formula's environment.
check_variables_exist <- function(formula, data) {
  vars <- all.vars(formula)
  env <- environment(formula)
  missing <- vars[!vapply(vars, function(v) {
    (!is.null(data) && !is.environment(data) && v %in% names(data)) ||
      exists(v, envir = if (is.environment(data)) data else env)
  }, logical(1))]
  if (length(missing)) {
    stop(sprintf("variable%s not found: %s (not in `data` nor in the formula's environment)",
                 if (length(missing) > 1L) "s" else "", paste(sQuote(missing, FALSE), collapse = ", ")),
         call. = FALSE)
  }
}

# Fixed-effects design: terms, model matrix (rank-deficient columns dropped), offset.
build_fixed_design <- function(formula, mf) {
  ff <- fixed_formula(formula)
  tt <- stats::terms(ff, data = mf)
  X <- stats::model.matrix(tt, mf)
  bad <- !is.finite(X)
  if (any(bad)) {
    col <- colnames(X)[which(colSums(bad) > 0)[1L]]
    stop(sprintf("fixed-effect predictor %s has non-finite values (Inf or NaN)", sQuote(col, FALSE)), call. = FALSE)
  }
  dropped <- character()
  if (ncol(X) > 0L) {
    qx <- qr(X)
    if (qx$rank < ncol(X)) {
      keep <- sort(qx$pivot[seq_len(qx$rank)])
      dropped <- colnames(X)[-keep]
      message(sprintf("fixed-effect model matrix is rank deficient so dropping %d column%s: %s",
                      length(dropped), if (length(dropped) > 1L) "s" else "", paste(dropped, collapse = ", ")))
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

# Sum of offset() terms in the formula and the `offset` argument; zeros when none.
model_offset <- function(mf, ff) {
  off <- stats::model.offset(mf)
  if (is.null(off)) off <- numeric(nrow(mf))
  if (length(off) != nrow(mf)) stop("`offset` has length ", length(off), " but there are ", nrow(mf), " observations", call. = FALSE)
  if (any(!is.finite(off))) stop("`offset` has non-finite values", call. = FALSE)
  as.numeric(off)
}

# Prior weights from the model frame, checked: finite and positive.
model_weights <- function(mf) {
  w <- stats::model.weights(mf)
  if (is.null(w)) return(rep(1, nrow(mf)))
  if (!is.numeric(w)) stop("`weights` must be numeric", call. = FALSE)
  if (any(!is.finite(w))) stop("`weights` has non-finite values", call. = FALSE)
  if (any(w < 0)) stop("`weights` must not be negative", call. = FALSE)
  if (any(w == 0)) stop("`weights` has zeros: drop those observations with `subset` instead", call. = FALSE)
  as.numeric(w)
}
