# methods_varcorr.R: VarCorr() for "glmmlab" fits in glmmTMB's layout, its printed table (the
# "Random effects" block of summary() too) and lme4's long data-frame form.

#' Variances and correlations of the random effects
#'
#' Extracts the estimated covariance matrix of each random-effect term, laid out as in
#' 'glmmTMB': `VarCorr(m)$cond` is a named list with one covariance matrix per term, named by
#' its grouping factor (`"groupID"`, `"patch:pop"`; a factor used in several terms, as in
#' `(x || g)`, gives `"g"`, `"g.1"`, ...). Each matrix has the attributes `stddev` (standard
#' deviations) and `correlation`. `attr(VarCorr(m)$cond, "sc")` is the residual standard
#' deviation of gaussian models (the family's dispersion parameter, or 1, for other families,
#' as in 'glmmTMB').
#'
#' @param x a model fitted by [glmm()] (for `VarCorr()`), or the result of `VarCorr()`.
#' @param sigma unused; present for compatibility with the generic from 'nlme'.
#' @param digits number of significant digits to print.
#' @param comp which columns to print: `"Std.Dev."`, `"Variance"`, or both.
#' @param row.names,optional unused (for compatibility with [as.data.frame()]).
#' @param order `"cov.last"` (each term's variances, then its covariances) or `"lower.tri"`
#'   (each term's lower triangle, column by column), as in 'lme4'.
#' @param ... unused.
#' @return `VarCorr()`: a list of class `"VarCorr.glmmlab"` with element `cond`.
#'   `as.data.frame()`: a data frame with the columns of 'lme4''s: `grp`, `var1`, `var2`
#'   (`NA` for variances), `vcov` (variance or covariance) and `sdcor` (standard deviation or
#'   correlation), the residual last (gaussian models).
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' VarCorr(m)
#' print(VarCorr(m), comp = c("Variance", "Std.Dev."))
#' attr(VarCorr(m)$cond$g, "stddev")^2   # variance among groups
#' attr(VarCorr(m)$cond, "sc")^2         # residual variance
#' as.data.frame(VarCorr(m))
#' @name VarCorr.glmmlab
NULL

# Covariance matrix of each term with its SDs and correlations; residual SD as attribute "sc".
#' @rdname VarCorr.glmmlab
#' @export
VarCorr.glmmlab <- function(x, sigma = 1, ...) {
  if (!length(x$re)) {   # no random effects: glmmTMB's empty VarCorr (attribute sc: is there a residual SD)
    return(structure(list(cond = NULL), sc = identical(x$family$family, "gaussian"), sigma = sigma.glmmlab(x),
                     class = "VarCorr.glmmlab"))
  }
  terms <- lapply(seq_along(x$re), function(i) {
    structure(covariance_with_attributes(x$cov_re[[i]], identical(x$re[[i]]$structure, "diag")),
              blockCode = structure_code(x$re[[i]]$structure))
  })
  names(terms) <- make.unique(vapply(x$re, `[[`, "", "group"))
  attr(terms, "sc") <- sigma.glmmlab(x)
  attr(terms, "useSc") <- identical(x$family$family, "gaussian") && !isTRUE(x$components$disp_by_obs)
  out <- list(cond = terms)
  if (!is.null(x$components$cov_re)) {   # the zero model's random effects
    zi <- lapply(x$components$cov_re, covariance_with_attributes)
    names(zi) <- make.unique(vapply(x$components$re, `[[`, "", "group"))
    attr(zi, "useSc") <- FALSE
    out$zi <- zi
  }
  structure(out, class = "VarCorr.glmmlab")
}

# glmmTMB's code of a covariance structure (attribute "blockCode" of its VarCorr matrices).
structure_code <- function(structure) {
  code <- c(diag = 0, us = 1)[[if (is.null(structure)) "us" else structure]]
  stats::setNames(code, if (is.null(structure)) "us" else structure)
}

# A covariance matrix with attributes stddev (named) and correlation (NaN where an SD is 0; 0
# off the diagonal of a diagonal term, whose correlations are not parameters).
covariance_with_attributes <- function(S, diagonal = FALSE) {
  sds <- sqrt(pmax(diag(S), 0))
  names(sds) <- colnames(S)
  R <- S / outer(sds, sds)
  if (diagonal) R[] <- 0
  diag(R) <- 1
  structure(S, stddev = sds, correlation = R)
}

# Print the standard deviations (or variances) of each component's terms, glmmTMB's layout.
#' @rdname VarCorr.glmmlab
#' @export
print.VarCorr.glmmlab <- function(x, digits = max(3, getOption("digits") - 2), comp = "Std.Dev.", ...) {
  match_comp(comp)
  for (component in names(x)) {
    if (is.null(x[[component]])) next
    cat(sprintf("\n%s:\n", component_title(component)))
    print(varcorr_table(x[[component]], digits = digits, comp = comp), quote = FALSE)
  }
  invisible(x)
}

# Character table Groups / Name / Variance / Std.Dev. / Corr of one component's terms.
varcorr_table <- function(vc, digits, comp = c("Variance", "Std.Dev.")) {
  chosen <- match_comp(comp)
  sds <- lapply(vc, attr, "stddev")
  names_col <- unlist(lapply(vc, colnames), use.names = FALSE)
  groups <- unlist(lapply(names(vc), function(g) c(g, rep("", length(sds[[g]]) - 1L))))
  if (isTRUE(attr(vc, "useSc"))) {
    sds <- c(sds, list(Residual = unname(attr(vc, "sc"))))
    names_col <- c(names_col, "")
    groups <- c(groups, "Residual")
  }
  all_sd <- unlist(sds, use.names = FALSE)
  table <- cbind(Groups = groups, Name = names_col)
  if (1L %in% chosen) table <- cbind(table, Variance = format(all_sd^2, digits = digits))
  if (2L %in% chosen) table <- cbind(table, Std.Dev. = format(all_sd, digits = digits))
  if (any(lengths(sds) > 1L)) table <- cbind(table, correlation_columns(vc, length(all_sd), digits))
  rownames(table) <- rep("", nrow(table))
  table
}

# Columns asked for by `comp` (partial names): 1 = Variance, 2 = Std.Dev.; an error otherwise.
match_comp <- function(comp) {
  chosen <- pmatch(comp, c("Variance", "Std.Dev."))
  if (!length(comp) || anyNA(chosen)) {
    stop(sprintf("`comp` must be \"Std.Dev.\", \"Variance\" or both, not %s",
                 paste(sQuote(comp, FALSE), collapse = ", ")), call. = FALSE)
  }
  chosen
}

# Lower-triangle correlations of each term as text, padded to a common number of columns.
correlation_columns <- function(vc, nrows, digits) {
  width <- max(vapply(vc, ncol, integer(1))) - 1L
  decimals <- max(2L, digits - 2L)
  blocks <- lapply(vc, function(S) {
    R <- attr(S, "correlation")
    text <- format(round(R, decimals), nsmall = decimals)
    text[!lower.tri(text)] <- ""
    block <- matrix("", nrow(R), width)
    block[, seq_len(ncol(R) - 1L)] <- text[, seq_len(ncol(R) - 1L)]
    block
  })
  out <- do.call(rbind, blocks)
  out <- rbind(out, matrix("", nrows - nrow(out), width))
  colnames(out) <- c("Corr", rep("", width - 1L))
  out
}

# Long form as lme4's: per term its variances then covariances; the residual last.
#' @rdname VarCorr.glmmlab
#' @export
as.data.frame.VarCorr.glmmlab <- function(x, row.names = NULL, optional = FALSE,
                                       order = c("cov.last", "lower.tri"), ...) {
  order <- match.arg(order)
  vc <- x$cond
  rows <- lapply(names(vc), function(g) varcorr_term_rows(vc[[g]], g, cov_last = order == "cov.last"))
  if (is.null(vc) && isTRUE(attr(x, "sc"))) vc <- structure(list(), sc = attr(x, "sigma"), useSc = TRUE)
  if (isTRUE(attr(vc, "useSc"))) {
    sc <- unname(attr(vc, "sc"))
    rows <- c(rows, list(data.frame(grp = "Residual", var1 = NA_character_, var2 = NA_character_,
                                    vcov = sc^2, sdcor = sc, stringsAsFactors = FALSE)))
  }
  out <- do.call(rbind, rows)
  if (is.null(out)) {
    out <- data.frame(grp = character(), var1 = character(), var2 = character(), vcov = numeric(), sdcor = numeric(),
                      stringsAsFactors = FALSE)
  }
  rownames(out) <- NULL
  out
}

# Rows of one term: (co)variances of the lower triangle, in "cov.last" or "lower.tri" order.
varcorr_term_rows <- function(S, group, cov_last) {
  R <- attr(S, "correlation")
  index <- which(lower.tri(S, diag = TRUE), arr.ind = TRUE)
  index <- index[order(index[, "col"], index[, "row"]), , drop = FALSE]
  if (cov_last) index <- index[order(index[, "row"] != index[, "col"]), , drop = FALSE]
  i <- index[, "row"]
  j <- index[, "col"]
  is_var <- i == j
  nms <- colnames(S)
  data.frame(grp = group, var1 = nms[j], var2 = ifelse(is_var, NA_character_, nms[i]),
             vcov = S[index], sdcor = ifelse(is_var, sqrt(pmax(S[index], 0)), R[index]),
             stringsAsFactors = FALSE)
}
