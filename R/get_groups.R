# get_groups.R: getGroups(), nlme's generic (re-exported, as glmmTMB does): the grouping factor of
# the random effects at a given level, for each observation of the fit. It is the default
# clustering of the sandwich estimators (R/sandwich.R).

#' @importFrom nlme getGroups
#' @export
nlme::getGroups

#' Grouping factors of a mixed model
#'
#' The grouping factor of the random effects for each observation of the fit, as 'glmmTMB''s
#' `getGroups()`: `level` counts the distinct grouping factors in the order of the formula's
#' random-effect terms (for `(1 | pop/patch)`, level 1 is `patch:pop` and level 2 is `pop`).
#'
#' @param object a model fitted by [glmm()].
#' @param form,data,sep not used (for compatibility with nlme's generic).
#' @param level which grouping factor: a number (default 1) or its name.
#' @param ... not used.
#' @return A factor with one value per observation (rows dropped for missing values excluded),
#'   with attribute `"group"`, the grouping factor's name.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' table(getGroups(m))
#' @export
getGroups.glmmlab <- function(object, form, level, data, sep, ...) {
  groups <- vapply(object$re, `[[`, "", "group")
  first <- !duplicated(groups)
  if (missing(level)) level <- 1L
  if (is.character(level) && length(level) == 1L && level %in% groups) level <- match(level, groups[first])
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level < 1 || level > sum(first) || level != round(level)) {
    stop(sprintf("`level` must be a number between 1 and %d or the name of a grouping factor (%s)", sum(first),
                 paste(sQuote(groups[first], FALSE), collapse = ", ")), call. = FALSE)
  }
  term <- object$re[first][[level]]
  structure(factor(term$levels[term$codes + 1L], levels = term$levels), group = term$group)
}
