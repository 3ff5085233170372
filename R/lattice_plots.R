# lattice_plots.R: lattice (trellis) plots of a fit and of its random effects, with lme4's
# interface: dotplot() and qqmath() of ranef() (one trellis object per grouping factor, modes with
# conditional-SD intervals) and qqmath() of a fit (scaled residuals, extreme ones labelled).
# lattice ships with R; these are methods for its generics, registered when lattice loads
# (R/zzz.R), so glmmlab does not import it.

#' Lattice plots of the random effects (lme4's dotplot and qqmath)
#'
#' For lme4 users: `lattice::dotplot(ranef(m))` draws, for each grouping factor, the conditional
#' modes of every random-effect column (one panel per column, levels sorted by the first column)
#' with intervals of `qnorm((1 + level) / 2)` conditional standard deviations;
#' `lattice::qqmath(ranef(m))` draws the modes against standard normal quantiles with the same
#' intervals. As in lme4 the result is a list with one trellis object per grouping factor
#' (`dotplot(ranef(m))$g`); printing the list draws them. [plot.ranef.glmmlab()] draws the same
#' caterpillar plot with base graphics.
#'
#' @param x a `"ranef.glmmlab"` object from [ranef.glmmlab()] (with `condVar = TRUE` for the
#'   intervals; without conditional variances the modes are drawn alone).
#' @param data not used (for the generic).
#' @param main logical: title each plot with its grouping factor?
#' @param transf a function applied to the modes and the interval ends (e.g. `exp` for a log
#'   link), as in lme4.
#' @param level the coverage of the intervals.
#' @param ... further arguments to [lattice::dotplot()] or [lattice::xyplot()] (e.g. `scales`).
#' @return A named list of `"trellis"` objects, one per grouping factor.
#' @seealso [plot.ranef.glmmlab()], [qqmath.glmmlab()]
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + (0.5 + rnorm(8, sd = 0.3)[g]) * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (x | g), data = data.frame(y, x, g))
#' if (requireNamespace("lattice", quietly = TRUE)) {
#'   p <- lattice::dotplot(ranef(m), scales = list(x = list(relation = "free")))
#'   print(p$g)
#'   print(lattice::qqmath(ranef(m))$g)
#' }
#' @name lattice_ranef
NULL

#' @rdname lattice_ranef
dotplot.ranef.glmmlab <- function(x, data, main = TRUE, transf = I, level = 0.95, ...) {
  frames <- ranef_interval_frames(x, transf, level)
  out <- lapply(names(frames), function(g) {
    d <- frames[[g]]
    args <- utils::modifyList(list(x = grp ~ condval | term, data = d, xlab = NULL, ylab = NULL,
                                   main = if (isTRUE(main)) g, lower = d$lower, upper = d$upper,
                                   panel = ranef_dotplot_panel, layout = c(nlevels(d$term), 1L)), list(...))
    do.call(lattice::dotplot, args)
  })
  stats::setNames(out, names(frames))
}

#' @rdname lattice_ranef
qqmath.ranef.glmmlab <- function(x, data, main = TRUE, level = 0.95, ...) {
  frames <- ranef_interval_frames(x, I, level)
  out <- lapply(names(frames), function(g) {
    d <- frames[[g]]
    d <- d[order(d$term, d$condval), , drop = FALSE]
    d$nq <- stats::ave(d$condval, d$term, FUN = function(v) stats::qnorm(stats::ppoints(length(v))))
    args <- utils::modifyList(list(x = nq ~ condval | term, data = d, xlab = NULL, ylab = "Standard normal quantiles",
                                   main = if (isTRUE(main)) g, lower = d$lower, upper = d$upper,
                                   panel = ranef_qq_panel, scales = list(x = list(relation = "free"))), list(...))
    do.call(lattice::xyplot, args)
  })
  stats::setNames(out, names(frames))
}

# Per grouping factor: the long frame of modes (grp, term, condval) with interval ends lower and
# upper (NA without conditional variances), transformed by transf.
ranef_interval_frames <- function(x, transf, level) {
  if (!is.numeric(level) || length(level) != 1L || !is.finite(level) || level <= 0 || level >= 1) {
    stop("`level` must be a single number between 0 and 1", call. = FALSE)
  }
  transf <- match.fun(transf)
  long <- as.data.frame.ranef.glmmlab(x)
  z <- stats::qnorm((1 + level) / 2)
  sd <- if (is.null(long$condsd)) NA_real_ else long$condsd
  long$lower <- as.numeric(transf(long$condval - z * sd))
  long$upper <- as.numeric(transf(long$condval + z * sd))
  long$condval <- as.numeric(transf(long$condval))
  lapply(split(long, factor(long$grpvar, levels = unique(long$grpvar))), function(d) {
    d$term <- droplevels(d$term)
    d
  })
}

# Panel of the dotplot: interval segments behind the modes, a reference line at the no-effect value.
ranef_dotplot_panel <- function(x, y, lower, upper, subscripts, ...) {
  lattice::panel.dotplot(x, y, ...)
  ok <- is.finite(lower[subscripts]) & is.finite(upper[subscripts])
  if (any(ok)) lattice::panel.segments(lower[subscripts][ok], as.numeric(y)[ok], upper[subscripts][ok], as.numeric(y)[ok])
  lattice::panel.xyplot(x, y, pch = 16, ...)
}

# Panel of the normal-quantile plot: modes against quantiles, with horizontal interval bars.
ranef_qq_panel <- function(x, y, lower, upper, subscripts, ...) {
  ok <- is.finite(lower[subscripts]) & is.finite(upper[subscripts])
  if (any(ok)) lattice::panel.segments(lower[subscripts][ok], y[ok], upper[subscripts][ok], y[ok])
  lattice::panel.xyplot(x, y, pch = 16, ...)
  lattice::panel.abline(v = 0, lty = 2)
}

#' Normal quantile plot of the residuals (lme4's qqmath method)
#'
#' For lme4 users: `lattice::qqmath(m)` draws the Pearson residuals divided by [sigma()] (lme4's
#' scaled residuals) against standard normal quantiles, with a reference line. With `id` (a
#' probability, e.g. 0.05) the points whose absolute scaled residual exceeds
#' `qnorm(1 - id / 2)` are labelled, by `idLabels` (a vector with one label per observation, or a
#' one-sided formula evaluated in the model frame, e.g. `~ subject`) or by default by the row
#' names of the data.
#'
#' @param x a fitted `"glmmlab"` model from [glmm()].
#' @param data not used (for the generic).
#' @param id `NULL` (no labels) or a probability: label points outside its two-sided normal limits.
#' @param idLabels the labels: a vector of length `nobs(x)` or a one-sided formula.
#' @param ... further arguments to [lattice::qqmath()].
#' @return A `"trellis"` object.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(8)[g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' if (requireNamespace("lattice", quietly = TRUE)) print(lattice::qqmath(m, id = 0.05))
qqmath.glmmlab <- function(x, data = NULL, id = NULL, idLabels = NULL, ...) {
  r <- stats::residuals(x, type = "pearson") / stats::sigma(x)
  labels <- residual_id_labels(x, id, idLabels)
  limit <- if (is.null(id)) Inf else stats::qnorm(1 - id / 2)
  panel <- function(x, ...) {
    lattice::panel.qqmathline(x, ...)
    lattice::panel.qqmath(x, ...)
    far <- abs(r) > limit
    if (any(far)) {
      q <- stats::qnorm(stats::ppoints(length(r)))[rank(r, ties.method = "first")]
      lattice::panel.text(q[far], r[far], labels[far], pos = 4)
    }
  }
  args <- utils::modifyList(list(x = ~r, data = data.frame(r = r), xlab = "Standard normal quantiles",
                                 ylab = "Scaled residuals", panel = panel), list(...))
  do.call(lattice::qqmath, args)
}

# Labels of the observations for qqmath(): checked id, and idLabels as a vector or a formula.
residual_id_labels <- function(x, id, idLabels) {
  if (!is.null(id) && (!is.numeric(id) || length(id) != 1L || !is.finite(id) || id <= 0 || id >= 1)) {
    stop("`id` must be NULL or a single probability between 0 and 1", call. = FALSE)
  }
  n <- stats::nobs(x)
  if (is.null(idLabels)) return(rownames(x$frame) %||% as.character(seq_len(n)))
  if (inherits(idLabels, "formula")) {
    if (length(idLabels) != 2L) stop("`idLabels` must be a one-sided formula such as ~ subject", call. = FALSE)
    vals <- eval(idLabels[[2L]], x$frame, environment(idLabels))
    return(as.character(vals))
  }
  if (length(idLabels) != n) stop(sprintf("`idLabels` has %d values; the fit has %d observations", length(idLabels), n), call. = FALSE)
  as.character(idLabels)
}

# lme4's plot(m, form): y ~ x (| conditioning) evaluated with `.` as the fit and the variables of
# the data (or the model frame), drawn by lattice::xyplot(); `abline` a horizontal line (a number)
# or abline's arguments (a list).
plot_formula_lattice <- function(x, form, abline = NULL, ...) {
  if (!requireNamespace("lattice", quietly = TRUE)) stop("plot() with a formula needs the lattice package", call. = FALSE)
  if (length(form) != 3L) stop("the plot formula needs both sides, e.g. resid(.) ~ fitted(.)", call. = FALSE)
  env <- plot_formula_data(x)
  env$. <- x
  rhs <- form[[3L]]
  cond <- NULL
  if (is.call(rhs) && identical(rhs[[1L]], as.name("|"))) {
    cond <- rhs[[3L]]
    rhs <- rhs[[2L]]
  }
  value <- function(e) {
    v <- eval(e, env, environment(form))
    if (length(v) != stats::nobs(x)) stop(sprintf("`%s` has %d values; the fit has %d observations", deparse(e), length(v), stats::nobs(x)), call. = FALSE)
    if (is.factor(v) || is.character(v)) v else as.numeric(v)
  }
  d <- data.frame(.y = value(form[[2L]]), .x = value(rhs))
  if (!is.null(cond)) d$.g <- as.factor(value(cond))
  panel <- function(x, y, ...) {
    if (!is.null(abline)) {
      if (is.list(abline)) do.call(lattice::panel.abline, abline) else lattice::panel.abline(h = abline, lty = 2)
    }
    lattice::panel.xyplot(x, y, ...)
  }
  args <- utils::modifyList(list(x = if (is.null(cond)) .y ~ .x else .y ~ .x | .g, data = d, panel = panel,
                                 xlab = paste(deparse(rhs), collapse = ""), ylab = paste(deparse(form[[2L]]), collapse = "")), list(...))
  do.call(lattice::xyplot, args)
}

# The variables a plot formula may use: the data the model was fitted to when it has one row per
# observation of the fit, else the model frame; as an environment.
plot_formula_data <- function(x) {
  data <- tryCatch(getData.glmmlab(x), error = function(e) NULL)
  rows <- rownames(x$frame)
  if (is.data.frame(data) && nrow(data) != stats::nobs(x) && all(rows %in% rownames(data))) data <- data[rows, , drop = FALSE]
  if (!is.data.frame(data) || nrow(data) != stats::nobs(x)) data <- x$frame
  list2env(as.list(data))
}
