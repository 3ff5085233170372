# varpart.R: the course chapter's random-effect variance-partitioning table, generalized to
# several random-effect terms and to GLMMs (on the latent scale). The latent-scale pieces
# (distribution-specific variance, variance of the fixed predictions) live in r2.R.

#' Partition the variance among random-effect terms and the residual
#'
#' The table the course chapter builds by hand after fitting `y ~ 1 + (1 | groupID)`: for each
#' variance component (each random-effect term, e.g. `pop` and `patch:pop`, and the residual) its
#' variance, standard deviation, percent of the total, and squared coefficient of variation
#' \eqn{CV^2} = variance / mean(y)², with the response's mean and standard deviation. The last row
#' is the total. Printed rounded to three decimals, as in the chapter.
#'
#' For a random-effect term with slopes, such as `(x | g)`, the row gives the variance of the
#' intercepts (among groups at x = 0): slope variances depend on the scale and origin of the
#' covariate and are not partitioned; the print says so. Terms without an intercept (`(0 + x | g)`)
#' get no row. For a partition that includes slopes, averaged over the observed covariate values,
#' see [r2()].
#'
#' For generalized linear mixed models the partition is on the latent (link) scale, with the
#' residual row holding the distribution-specific variance of Nakagawa, Johnson & Schielzeth (2017)
#' (\eqn{\pi^2/3} for the binomial logit link, \eqn{\log(1 + 1/\lambda)} for the Poisson log link,
#' ...; see [r2()] for the full list), so percentages are latent-scale repeatabilities (ICCs).
#' \eqn{CV^2} is then left out (`NA`): latent variances are not on the scale of mean(y)² (with a log
#' link they are themselves approximately squared coefficients of variation).
#'
#' With `boot = n` (say 1000), the table gets parametric-bootstrap percentile intervals for the
#' percentages (columns `lower` and `upper`): `n` responses are simulated from the fitted model,
#' the model is refitted to each by [bootstrap()] and the partition recomputed (for count GLMMs
#' with the null model refitted to each simulated response). The replicates are kept in attribute
#' `"boot"`, a `"glmmlab_boot"` object whose `t` holds one column per component. Percentages of a
#' component whose variance is estimated near zero have intervals that start at 0.
#'
#' @param object a model fitted by [glmm()].
#' @param fixed logical: add a row for the variance of the fixed-effect predictions
#'   (\eqn{var(X\beta)}), so the percentages partition the total variance including the part
#'   explained by the fixed effects (as in [r2()])? By default the fixed effects are left out,
#'   as in the chapter: percentages are then among the random components and the residual
#'   (adjusted repeatabilities).
#' @param null_model optional null model for count GLMMs (see [r2()]).
#' @param boot number of parametric-bootstrap replicates for intervals on the percentages;
#'   0 (the default) for none.
#' @param level confidence level of the bootstrap intervals.
#' @param seed optional seed for the bootstrap.
#' @param progress show a progress bar during the bootstrap?
#' @param ... unused.
#' @return A data frame of class `c("varpart_glmmlab", "data.frame")` with columns `component`,
#'   `variance`, `SD`, `percent`, `CV2` (and `lower`, `upper` with `boot`), one row per
#'   component and a final `Total` row, and
#'   attributes `mean` and `sd` (of the response), `scale` (`"response"` or `"latent"`), `link`,
#'   `slope_terms` (terms whose slope variances are not partitioned) and `formula`.
#' @references Nakagawa S., Johnson P. C. D. & Schielzeth H. (2017) The coefficient of
#'   determination R² and intra-class correlation coefficient from generalized linear
#'   mixed-effects models revisited and expanded. Journal of the Royal Society Interface 14:
#'   20170213.
#' @seealso [r2()], [VarCorr.glmmlab()]
#' @examples
#' set.seed(145)
#' groupID <- factor(rep(paste0("Group", 1:10), each = 20))
#' y <- rep(rnorm(10, 20, 4), each = 20) + rnorm(200, 0, 2)
#' m <- glmm(y ~ 1 + (1 | groupID), data = data.frame(y, groupID))
#' vp <- varpart(m)
#' vp
#' vp$percent
#' varpart(m, boot = 100, seed = 1)
#' @export
varpart <- function(object, ...) UseMethod("varpart")

# Other objects: hand over to vegan's varpart() (variation partitioning) when vegan is loaded.
#' @rdname varpart
#' @export
varpart.default <- function(object, ...) {
  if (isNamespaceLoaded("vegan")) return(do.call("varpart", list(object, ...), envir = asNamespace("vegan")))
  stop(sprintf("varpart() does not know objects of class %s; it needs a model fitted by glmm()",
               sQuote(class(object)[1L], FALSE)), call. = FALSE)
}

# The variance-partitioning table of a glmm fit: components, variances, SDs, percents, CV².
#' @rdname varpart
#' @export
varpart.glmmlab <- function(object, fixed = FALSE, null_model = NULL, boot = 0, level = 0.95, seed = NULL,
                         progress = FALSE, ...) {
  if (has_model_components(object)) {
    stop("varpart() is not defined for models with a zero-inflation or dispersion model (`ziformula`, `dispformula`)", call. = FALSE)
  }
  if (!is.logical(fixed) || length(fixed) != 1L || is.na(fixed)) stop("`fixed` must be TRUE or FALSE", call. = FALSE)
  if (!is.numeric(boot) || length(boot) != 1L || is.na(boot) || boot < 0 || boot != round(boot)) {
    stop("`boot` must be 0 or a whole number of bootstrap replicates", call. = FALSE)
  }
  if (boot > 0) check_level(level)
  latent <- !is_gaussian_identity(object$family)
  intercepts <- re_intercept_variances(object)
  residual <- distribution_variance(object, null_model, envir = parent.frame())
  variance <- c(if (fixed) c("Fixed effects" = fixed_effect_variance(object)), intercepts, Residual = residual)
  y_mean <- mean(object$y)
  total <- sum(variance)
  variance <- c(variance, Total = total)
  out <- data.frame(component = names(variance), variance = unname(variance), SD = sqrt(unname(variance)),
                    percent = 100 * unname(variance) / total,
                    CV2 = if (latent) NA_real_ else unname(variance) / y_mean^2,
                    stringsAsFactors = FALSE)
  slope_terms <- names(object$cov_re)[vapply(object$cov_re, function(S) any(colnames(S) != "(Intercept)"), logical(1))]
  out <- structure(out, class = c("varpart_glmmlab", "data.frame"), mean = y_mean, sd = stats::sd(object$y),
                   nobs = object$nobs, scale = if (latent) "latent" else "response", family = object$family$family,
                   link = object$family$link, slope_terms = slope_terms, formula = object$formula)
  if (boot > 0) out <- add_boot_intervals(out, object, fixed, boot, level, seed, progress)
  out
}

# The table with bootstrap percentile intervals of the percentages (columns lower, upper; NA for Total).
add_boot_intervals <- function(out, object, fixed, nsim, level, seed, progress) {
  b <- bootstrap(object, varpart_percentages, nsim = nsim, seed = seed, progress = progress, fixed = fixed)
  ci <- confint.glmmlab_boot(b, level = level)
  out$lower <- c(ci[, 1L], NA)
  out$upper <- c(ci[, 2L], NA)
  attr(out, "level") <- level
  attr(out, "boot") <- b
  out
}

# The percentages of a refit (Total row left out); count GLMMs refit their null model from the design.
varpart_percentages <- function(fit, fixed) {
  vp <- varpart.glmmlab(fit, fixed = fixed, null_model = if (needs_null_model(fit)) null_model_refit(fit))
  stats::setNames(vp$percent[-nrow(vp)], vp$component[-nrow(vp)])
}

# Does the latent-scale residual of this fit depend on the null model's mean (log-link count models)?
needs_null_model <- function(object) {
  object$family$family %in% c("poisson", "nbinom1", "nbinom2", "genpois", "tweedie", "lognormal") && object$family$link == "log"
}

# The null model (intercept-only fixed part, same random effects) refitted from the stored design.
null_model_refit <- function(object) {
  if (identical(colnames(object$X), "(Intercept)")) return(object)
  refit_response(object, object$y, X = matrix(1, object$nobs, 1L, dimnames = list(NULL, "(Intercept)")))
}

# Variance of the random intercept of each term that has one (terms without intercept omitted).
re_intercept_variances <- function(object) {
  has_intercept <- vapply(object$cov_re, function(S) "(Intercept)" %in% colnames(S), logical(1))
  vapply(object$cov_re[has_intercept], function(S) S["(Intercept)", "(Intercept)"], numeric(1))
}

# Print the table rounded to `digits` decimals, with the response's mean and SD and notes on scale.
#' @rdname varpart
#' @param x a `"varpart_glmmlab"` table.
#' @param digits number of decimals (3, as in the chapter).
#' @export
print.varpart_glmmlab <- function(x, digits = 3, ...) {
  cat("Variance partitioning: ", paste(deparse(attr(x, "formula"), width.cutoff = 500L), collapse = " "), "\n", sep = "")
  cat(sprintf("Response: mean %s, SD %s (n = %d)\n", round_fixed(attr(x, "mean"), digits),
              round_fixed(attr(x, "sd"), digits), as.integer(attr(x, "nobs"))))
  if (identical(attr(x, "scale"), "latent")) {
    cat(sprintf("Variances on the latent (%s link) scale of the %s model; the residual is the distribution-specific variance\n",
                attr(x, "link"), attr(x, "family")))
  }
  cat("\n")
  shown <- data.frame(component = x$component, stringsAsFactors = FALSE)
  for (col in c("variance", "SD", "percent", "CV2")) shown[[col]] <- round_fixed(x[[col]], digits)
  if (all(is.na(x$CV2))) shown$CV2 <- NULL
  if (!is.null(x$lower)) {
    shown$interval <- ifelse(is.na(x$lower), "", sprintf("[%s, %s]", round_fixed(x$lower, digits - 1L), round_fixed(x$upper, digits - 1L)))
    names(shown)[names(shown) == "interval"] <- sprintf("%s%% CI of percent", format(100 * attr(x, "level")))
  }
  print.data.frame(shown, row.names = FALSE, right = TRUE)
  slopes <- attr(x, "slope_terms")
  if (length(slopes)) {
    cat(sprintf("\nNote: for %s only the intercept variance is shown; slope variances depend on the covariate's scale and are not partitioned.\n",
                paste(sQuote(slopes, FALSE), collapse = ", ")))
  }
  b <- attr(x, "boot")
  if (!is.null(b)) {
    cat(sprintf("\nIntervals: parametric bootstrap, %d replicates (percentile)%s\n", b$nsim,
                if (b$nfail) sprintf("; %d failed refits left out", b$nfail) else ""))
  }
  invisible(x)
}

# Numbers rounded to `digits` decimals and printed with exactly that many ("43.680"); NA stays "NA".
round_fixed <- function(v, digits) {
  ifelse(is.na(v), "NA", formatC(round(v, digits), format = "f", digits = digits))
}
