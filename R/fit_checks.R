# fit_checks.R: checks of a finished fit that point at the data rather than the optimizer.
# Separation: when some predictors split the 0 and 1 responses of a binomial model (or mark rows
# with only zero counts in a count model), the maximum-likelihood fixed effects are infinite. The
# optimizer then stops somewhere along the diverging direction, with fitted probabilities (means)
# numerically 0 or 1 and standard errors in the hundreds or more; glmm() warns and names the
# predictors. Both signs are needed: extreme fitted values alone occur in sound fits (a strong
# predictor, an outlying x), and huge standard errors alone may have other causes.

# Thresholds: fitted values within `fitted_tol` of the boundary count as numerically 0 or 1;
# a standard error above `se_limit` for a change of one standard deviation in the predictor (on
# the link scale) counts as diverging (sound fits of the test data sets stay below 3).
separation_limits <- list(fitted_tol = 1e-5, se_limit = 30)

# The separation warning's text for a fit that shows (quasi-)complete separation, else NULL.
separation_problem <- function(object) {
  fam <- object$family$family
  count_family <- fam %in% c("poisson", "nbinom1", "nbinom2")
  if (!(fam == "binomial" || count_family) || !length(object$beta) || is.null(object$vcov)) return(NULL)
  tol <- separation_limits$fitted_tol
  at_boundary <- function(mu) if (count_family) mu < tol else pmin(mu, 1 - mu) < tol
  extreme <- at_boundary(object$fitted)
  # the mean must be extreme also without the offset: one made tiny by its offset alone (a
  # near-zero exposure) is no sign of separation
  if (any(object$offset != 0)) extreme <- extreme & at_boundary(object$family$linkinv(object$eta - object$offset))
  if (!any(extreme, na.rm = TRUE)) return(NULL)
  cols <- diverging_columns(object$X, object$vcov, separation_limits$se_limit)
  if (!length(cols)) return(NULL)
  separation_message(object, cols, sum(extreme, na.rm = TRUE), count_family)
}

# Columns of X whose estimates diverge: standard error per standard deviation of the predictor
# above `se_limit` and within a factor 20 of the largest such (complete separation flattens the
# likelihood in every direction, but the separating predictors move much the farthest). Standard
# errors do not depend on where other columns are centred, except the intercept's: it is named
# only when nothing else diverges. Non-finite or negative variances count as diverging.
diverging_columns <- function(X, vcov, se_limit) {
  s <- apply(X, 2L, function(v) { r <- stats::sd(v); if (is.finite(r) && r > 0) r else 1 })
  v <- diag(vcov)
  broken <- !is.finite(v) | v < 0
  if (any(broken)) return(which(broken))
  se <- sqrt(v) * s
  constant <- apply(X, 2L, function(col) all(col == col[1L]))
  slopes <- which(!constant & se > se_limit)
  if (length(slopes)) return(slopes[se[slopes] >= max(se[slopes]) / 20])
  which(constant & se > se_limit)
}

# The warning's text: how many fitted values are at the boundary, which predictors diverge, and
# for a factor which of its levels has only one kind of response.
separation_message <- function(object, cols, n_extreme, count_family) {
  X <- object$X
  assign_attr <- attr(X, "assign")
  labels <- attr(object$terms, "term.labels")
  term_ids <- unique(assign_attr[cols])
  if (any(term_ids > 0L)) term_ids <- term_ids[term_ids > 0L]   # the intercept only moves along with them
  named <- vapply(term_ids, function(k) {
    if (k == 0L) return("the intercept")
    label <- gsub("`", "", labels[k])
    paste0(sQuote(label, FALSE), one_sided_levels(object, label, count_family))
  }, character(1))
  v <- diag(object$vcov)[cols]
  se <- sqrt(ifelse(is.finite(v) & v >= 0, v, Inf))   # a negative variance: not finite either
  se_text <- if (any(!is.finite(se))) "not finite" else paste("up to", format(signif(max(se), 2)))
  n <- length(object$fitted)
  what <- if (length(named) > 1L) paste(paste(named[-length(named)], collapse = ", "), "and", named[length(named)]) else named
  verb <- if (length(named) > 1L) "together separate" else "separates"
  advice <- paste("The estimates, their standard errors and tests, and the log-likelihood are not meaningful;",
                "consider dropping the predictor or merging the level, or a penalized (bias-reduced) fit")
  if (count_family) {
    sprintf("separation: %s %s the observations with only zero counts, so the maximum-likelihood estimates of the fixed effects are infinite (fitted means numerically 0 occurred for %d of %d observations; standard errors %s). %s",
            what, verb, n_extreme, n, se_text, advice)
  } else {
    sprintf("%s separation: %s %s the 0 and 1 responses, so the maximum-likelihood estimates of the fixed effects are infinite (fitted probabilities numerically 0 or 1 occurred for %d of %d observations; standard errors %s). %s",
            if (n_extreme == n) "complete" else "quasi-complete", what, verb, n_extreme, n, se_text, advice)
  }
}

# For a term that is one factor (or character or logical) variable: " (level 'a': only successes)"
# listing the levels whose responses are all one kind; "" otherwise.
one_sided_levels <- function(object, label, count_family) {
  v <- object$frame[[label]]
  if (is.null(v) || !(is.factor(v) || is.character(v) || is.logical(v))) return("")
  y <- object$y
  groups <- split(y, as.character(v))
  kinds <- vapply(groups, function(yy) {
    if (all(yy == 0)) if (count_family) "only zero counts" else "only failures"
    else if (!count_family && all(yy == 1)) "only successes" else ""
  }, character(1))
  kinds <- kinds[nzchar(kinds)]
  if (!length(kinds)) return("")
  sprintf(" (%s)", paste(sprintf("level %s: %s", sQuote(names(kinds), FALSE), kinds), collapse = "; "))
}
