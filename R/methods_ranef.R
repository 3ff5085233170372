# methods_ranef.R: the random effects of a fit. ranef() gives their conditional modes (BLUPs)
# with conditional variances from the C++ core; coef() adds them to the fixed effects, one
# table per grouping factor, as 'glmmTMB' and 'lme4' do.

#' Conditional modes of the random effects
#'
#' Extracts the conditional modes (BLUPs) of the random effects, one data frame per grouping
#' factor (rows: levels; columns: the random-effect columns), inside a list element `cond` as in
#' 'glmmTMB'. When a grouping factor appears in several terms, as in `(x || g)`, their columns
#' are combined into one data frame.
#'
#' With `condVar = TRUE` each data frame carries an attribute `"condVar"`: for a grouping factor
#' with one term, an array `p x p x nlev` of the conditional covariance matrices of the random
#' effects given the data and the variance parameters (lme4's definition,
#' \eqn{\sigma^2 \Lambda (\Lambda' Z' W Z \Lambda + I)^{-1} \Lambda'}); for a grouping factor with
#' several terms, a list of such arrays, one per term. The same value is stored as attribute
#' `"postVar"`, the name that lme4-style plotting code looks for. For GLMMs the conditional
#' covariance is the inverse of the Laplace approximation's Hessian at the mode (lme4's
#' definition for `glmer()` fits).
#'
#' @param object a fitted `"glmmlab"` model from [glmm()].
#' @param condVar logical: attach the conditional variances?
#' @param ... not used.
#' @return A list of class `"ranef.glmmlab"` with element `cond`, a named list of data frames.
#' @seealso [coef.glmmlab()], [as.data.frame.ranef.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + (0.5 + rnorm(8, sd = 0.3)[g]) * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (x | g), data = data.frame(y, x, g))
#' re <- ranef(m)
#' head(re$cond$g)
#' dim(attr(re$cond$g, "condVar"))
#' @method ranef glmmlab
#' @export
ranef.glmmlab <- function(object, condVar = TRUE, ...) {
  if (...length()) warning("additional arguments ignored: ", paste(names(list(...)), collapse = ", "), call. = FALSE)   # as lme4
  if (!is.logical(condVar) || length(condVar) != 1L || is.na(condVar)) {
    stop("`condVar` must be TRUE or FALSE", call. = FALSE)
  }
  cond_var <- if (condVar) conditional_variances(object) else NULL
  groups <- vapply(object$re, `[[`, "", "group")
  terms_by_group <- split(seq_along(groups), factor(groups, levels = unique(groups)))
  cond <- lapply(terms_by_group, function(idx) ranef_group_frame(object, idx, cond_var))
  out <- list(cond = cond)
  if (!is.null(object$components$re)) {   # the zero model's modes (without conditional variances yet)
    zi_obj <- list(re = object$components$re, b = object$components$b)
    zi_groups <- vapply(zi_obj$re, `[[`, "", "group")
    by_group <- split(seq_along(zi_groups), factor(zi_groups, levels = unique(zi_groups)))
    out$zi <- lapply(by_group, function(idx) ranef_group_frame(zi_obj, idx, NULL))
  }
  structure(out, class = "ranef.glmmlab")
}

# One grouping factor's conditional modes as a data frame, with its conditional variances.
ranef_group_frame <- function(object, term_idx, cond_var) {
  modes <- do.call(cbind, unname(object$b[term_idx]))
  out <- data.frame(modes, row.names = object$re[[term_idx[1L]]]$levels, check.names = FALSE)
  if (!is.null(cond_var)) {
    cv <- cond_var[term_idx]
    cv <- if (length(cv) == 1L) cv[[1L]] else stats::setNames(cv, term_column_labels(object$re[term_idx]))
    attr(out, "condVar") <- cv
    attr(out, "postVar") <- cv
  }
  out
}

# Label of each term by its columns, e.g. "(Intercept)" or "Days".
term_column_labels <- function(re) vapply(re, function(t) paste(t$cnms, collapse = ", "), "")

# Conditional covariance arrays (p_i x p_i x nlev_i) of every term: sigma^2 Lambda A^{-1} Lambda'
# for LMMs, Lambda H^{-1} Lambda' at the mode (the inverse of the Laplace Hessian) for GLMMs. The
# core gives the blocks of its own terms; a "diag" term is several of them, so its array has the
# variances on the diagonal and NA elsewhere (as glmmTMB's arrays).
conditional_variances <- function(object) {
  if (!is.null(object$components$re)) return(NULL)   # not available yet with random effects in the zero model
  core <- ensure_core(object)
  blocks <- lapply(seq_along(core$map$re), function(i) core_condvar(core, object$par, i))   # per core term
  owner <- rep(seq_along(object$re), core_term_counts(object$re))   # a "diag" term is one core term per column
  lapply(seq_along(object$re), function(i) {
    parts <- blocks[owner == i]
    if (length(parts) == 1L) return(parts[[1L]])
    p <- length(parts)
    out <- array(NA_real_, dim = c(p, p, object$re[[i]]$nlev))
    for (k in seq_len(p)) out[k, k, ] <- parts[[k]][1L, 1L, ]
    out
  })
}

#' Print the random effects of a mixed model
#'
#' Prints the data frame of conditional modes of each grouping factor, as 'glmmTMB' does.
#'
#' @param x a `"ranef.glmmlab"` object from [ranef.glmmlab()].
#' @param ... passed to `print()`.
#' @return `x`, invisibly.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' print(ranef(m))
#' @export
print.ranef.glmmlab <- function(x, ...) {
  print(x$cond, ...)
  invisible(x)
}

#' Random effects as a long data frame
#'
#' One row per grouping factor, term and level, with the columns of glmmTMB's method: `component`
#' (`"cond"`, the conditional model), `grpvar` (grouping factor), `term` (random-effect column),
#' `grp` (level; a factor whose levels are ordered by the first column's conditional modes, for
#' caterpillar plots, as lme4's), `condval` (conditional mode) and `condsd` (conditional standard
#' deviation, when available). A model without random effects gives a data frame with no rows.
#'
#' @param x a `"ranef.glmmlab"` object from [ranef.glmmlab()].
#' @param row.names,optional not used (for the generic).
#' @param ... not used.
#' @return A data frame.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + (0.5 + rnorm(8, sd = 0.3)[g]) * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (x | g), data = data.frame(y, x, g))
#' head(as.data.frame(ranef(m)))
#' @export
as.data.frame.ranef.glmmlab <- function(x, row.names = NULL, optional = FALSE, ...) {
  pieces <- lapply(names(x$cond), function(g) ranef_long_frame(x$cond[[g]], g))
  out <- do.call(rbind, pieces)
  if (is.null(out)) {
    out <- data.frame(grpvar = character(), term = factor(), grp = factor(), condval = numeric(), stringsAsFactors = FALSE)
  }
  out <- data.frame(component = rep("cond", nrow(out)), out, stringsAsFactors = FALSE)
  rownames(out) <- NULL
  out
}

# One grouping factor's data frame of modes in long form (column-major: term, then level).
ranef_long_frame <- function(modes, group) {
  levels_by_mode <- rownames(modes)[order(modes[[1L]])]
  out <- data.frame(
    grpvar = rep(group, nrow(modes) * ncol(modes)),
    term = factor(rep(names(modes), each = nrow(modes)), levels = unique(names(modes))),
    grp = factor(rep(rownames(modes), ncol(modes)), levels = levels_by_mode),
    condval = unlist(modes, use.names = FALSE),
    stringsAsFactors = FALSE
  )
  cv <- attr(modes, "condVar")
  if (!is.null(cv)) {
    if (!is.list(cv)) cv <- list(cv)
    out$condsd <- unlist(lapply(cv, conditional_sds), use.names = FALSE)
  }
  out
}

# sqrt of the diagonal of a p x p x nlev array, column by column (all levels of column 1 first).
conditional_sds <- function(cv) {
  unlist(lapply(seq_len(dim(cv)[1L]), function(j) sqrt(cv[j, j, ])), use.names = FALSE)
}

#' Group-level coefficients of a mixed model
#'
#' For each grouping factor, the fixed effects plus the conditional modes of the random effects,
#' one row per level, as in 'glmmTMB' (`coef(m)$cond$group`) and 'lme4'. Every fixed effect gets
#' a column, in the order of the fixed effects; columns without a random effect repeat the fixed
#' value. Random-effect columns that are not fixed effects come first, with a fixed value of 0.
#' Terms sharing a grouping factor, as in `(x || g)`, are combined into one table.
#'
#' @param object a fitted `"glmmlab"` model from [glmm()].
#' @param ... not used.
#' @return A list of class `"coef.glmmlab"` with element `cond`, a named list of data frames.
#' @seealso [ranef.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' cf <- coef(m)
#' cf
#' cf$cond$g[1, 1] + cf$cond$g[1, 2] * 2  # line of group a at x = 2
#' @importFrom stats coef
#' @export
coef.glmmlab <- function(object, ...) {
  modes <- ranef.glmmlab(object, condVar = FALSE)$cond
  cond <- lapply(modes, function(m) group_coefficients(object$beta, m))
  structure(list(cond = cond), class = "coef.glmmlab")
}

# Fixed effects repeated for each level, plus that level's random effects.
group_coefficients <- function(beta, modes) {
  random_only <- setdiff(names(modes), names(beta))
  fixed <- c(stats::setNames(numeric(length(random_only)), random_only), beta)
  table <- matrix(fixed, nrow(modes), length(fixed), byrow = TRUE,
                  dimnames = list(rownames(modes), names(fixed)))
  for (j in seq_along(modes)) {
    col <- names(modes)[j]
    table[, col] <- table[, col] + modes[[j]]
  }
  data.frame(table, check.names = FALSE)
}

#' Print group-level coefficients
#'
#' Prints the table of each grouping factor, as 'glmmTMB' does (`$group` followed by the table).
#'
#' @param x a `"coef.glmmlab"` object from [coef.glmmlab()].
#' @param ... passed to `print()`.
#' @return `x`, invisibly.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' print(coef(m))
#' @export
print.coef.glmmlab <- function(x, ...) {
  print(x$cond, ...)
  invisible(x)
}

#' Read a grouping factor's table as lme4 code does
#'
#' `ranef(m)` and `coef(m)` follow 'glmmTMB': a list with element `cond` holding one table per
#' grouping factor (`ranef(m)$cond$g`). Code written for 'lme4' reads the table directly
#' (`ranef(m)$g`, `coef(m)[["g"]]`); a name that is not an element of the list (`cond`) is looked
#' up among the grouping factors of `cond`, so both spellings give the same table. Positional
#' indexing (`ranef(m)[[1]]`) keeps glmmTMB's meaning, the `cond` list.
#'
#' @param x a `"ranef.glmmlab"` or `"coef.glmmlab"` object.
#' @param name,i an element name (`cond`) or the name of a grouping factor.
#' @param ... passed to the default method.
#' @return The element, or the table of the grouping factor; `NULL` when neither exists.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' y <- rnorm(8)[g] + rnorm(80)
#' m <- glmm(y ~ 1 + (1 | g), data = data.frame(y, g))
#' identical(ranef(m)$g, ranef(m)$cond$g)
#' identical(coef(m)[["g"]], coef(m)$cond$g)
#' @name lme4_style_access
NULL

#' @rdname lme4_style_access
#' @method $ ranef.glmmlab
#' @export
`$.ranef.glmmlab` <- function(x, name) group_or_element(x, name)

#' @rdname lme4_style_access
#' @method [[ ranef.glmmlab
#' @export
`[[.ranef.glmmlab` <- function(x, i, ...) if (is.character(i) && length(i) == 1L) group_or_element(x, i) else NextMethod()

#' @rdname lme4_style_access
#' @method $ coef.glmmlab
#' @export
`$.coef.glmmlab` <- function(x, name) group_or_element(x, name)

#' @rdname lme4_style_access
#' @method [[ coef.glmmlab
#' @export
`[[.coef.glmmlab` <- function(x, i, ...) if (is.character(i) && length(i) == 1L) group_or_element(x, i) else NextMethod()

# An element of the list (glmmTMB's `cond`), else the grouping factor's table inside `cond` (lme4).
group_or_element <- function(x, name) {
  elements <- unclass(x)
  if (name %in% names(elements)) return(elements[[name]])
  elements[["cond"]][[name]]
}
