# plots.R: base-graphics plots of "glmmlab" fits: residuals versus fitted values, a caterpillar plot
# of the conditional modes, and the fitted line of each group over the data, as the course
# chapter draws it by hand. Each returns, invisibly, the data frame of the values it drew.

#' Residuals versus fitted values
#'
#' Plots the residuals of a fit against its fitted values (response scale), with a horizontal
#' line at zero and a lowess smooth, using base graphics.
#'
#' @param x a fitted `"glmmlab"` model from [glmm()].
#' @param type the residual type, passed to [residuals.glmmlab()]; or, as lme4's `form`, a
#'   formula such as `resid(., scaled = TRUE) ~ fitted(.) | Sex`, where `.` is the fit and other
#'   names are variables of the model frame or the data: then a lattice plot is drawn (lme4's
#'   `plot()` of a fit) and returned, with `abline` (e.g. `abline = 0`, a horizontal line) and
#'   further arguments passed to [lattice::xyplot()].
#' @param smooth logical: add a lowess line?
#' @param ... further graphical parameters passed to [plot()].
#' @return Invisibly, a data frame with columns `fitted` and `residual`, the plotted points; with a
#'   formula, a `"trellis"` object.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' d <- data.frame(y, x, g)
#' m <- glmm(y ~ x + (x | g), data = d)
#' plot(m)
#' if (requireNamespace("lattice", quietly = TRUE))
#'   print(plot(m, resid(., scaled = TRUE) ~ fitted(.) | g, abline = 0))
#' @importFrom graphics abline lines plot segments axis par
#' @importFrom stats lowess
#' @export
plot.glmmlab <- function(x, type = c("pearson", "response", "deviance", "working"), smooth = TRUE, ...) {
  if (inherits(type, "formula")) return(plot_formula_lattice(x, type, ...))   # lme4's form (R/lattice_plots.R)
  type <- match.arg(type)
  drawn <- data.frame(fitted = stats::fitted(x), residual = stats::residuals(x, type = type))
  args <- utils::modifyList(list(x = drawn$fitted, y = drawn$residual, xlab = "Fitted values",
                                 ylab = paste0(toupper(substring(type, 1, 1)), substring(type, 2), " residuals"), las = 1), list(...))
  do.call(graphics::plot, args)
  graphics::abline(h = 0, lty = 2, col = "grey40")
  if (isTRUE(smooth) && length(unique(drawn$fitted)) > 2L) {
    graphics::lines(stats::lowess(drawn$fitted, drawn$residual), col = "red")
  }
  invisible(drawn)
}

#' Caterpillar plot of the random effects
#'
#' For each grouping factor and random-effect column, the conditional modes sorted by size,
#' with intervals of +-`z` conditional standard deviations (by default 1.96, a 95 % interval),
#' one panel each, using base graphics.
#'
#' @param x a `"ranef.glmmlab"` object from [ranef.glmmlab()] (with `condVar = TRUE`).
#' @param z the multiple of the conditional SD for the intervals.
#' @param ... further graphical parameters passed to [plot()].
#' @return Invisibly, the data frame of [as.data.frame.ranef.glmmlab()] in the plotted order, with
#'   columns `lower` and `upper`, the interval ends.
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' d <- data.frame(y, x, g)
#' m <- glmm(y ~ x + (x | g), data = d)
#' plot(ranef(m))
#' @export
plot.ranef.glmmlab <- function(x, z = 1.96, ...) {
  if (!is.numeric(z) || length(z) != 1L || !is.finite(z) || z < 0) {
    stop("`z` must be a single non-negative number", call. = FALSE)
  }
  long <- as.data.frame(x)
  if (is.null(long$condsd)) {
    stop("the random effects carry no conditional variances; use ranef(m, condVar = TRUE)", call. = FALSE)
  }
  long$lower <- long$condval - z * long$condsd
  long$upper <- long$condval + z * long$condsd
  panels <- split(long, interaction(long$grpvar, long$term, drop = TRUE, lex.order = TRUE))
  # a layout of our own only on a single-panel device; inside a user's layout (par(mfrow = ...)),
  # each panel takes the next cell and the layout is left alone
  if (length(panels) > 1L && all(graphics::par("mfrow") == 1L) && all(graphics::par("mfcol") == 1L)) {
    old <- graphics::par(mfrow = c(1L, length(panels)))
    on.exit(graphics::par(old), add = TRUE)
  }
  drawn <- lapply(panels, function(panel) caterpillar_panel(panel, ...))
  out <- do.call(rbind, drawn)
  rownames(out) <- NULL
  invisible(out)
}

# One panel of the caterpillar plot: sorted modes with horizontal interval bars, every level
# named at the left, in a margin as wide as the longest name and a size that fits them all.
caterpillar_panel <- function(panel, ...) {
  panel <- panel[order(panel$condval), , drop = FALSE]
  k <- nrow(panel)
  labels <- as.character(panel$grp)
  cex <- label_cex(k)
  old <- graphics::par(mar = caterpillar_margins(labels, cex))
  on.exit(graphics::par(old), add = TRUE)
  args <- utils::modifyList(list(x = panel$condval, y = seq_len(k), xlim = range(panel$lower, panel$upper),
                                 yaxt = "n", pch = 16, xlab = "Conditional mode", ylab = "",
                                 main = paste(panel$grpvar[1L], panel$term[1L], sep = ": ")), list(...))
  do.call(graphics::plot, args)
  graphics::segments(panel$lower, seq_len(k), panel$upper, seq_len(k))
  graphics::abline(v = 0, lty = 2, col = "grey40")
  graphics::axis(2, at = seq_len(k), labels = FALSE, tcl = -0.2)
  graphics::mtext(labels, side = 2, at = seq_len(k), las = 1, line = 0.4, cex = cex)
  panel
}

# Text size for k labels stacked in the plot region's height (at most 0.8, at least 0.3).
label_cex <- function(k) {
  height <- graphics::par("pin")[2L]
  per_label <- height / max(k, 1L)
  max(min(0.8, per_label / (graphics::par("csi") * 1.05)), 0.3)
}

# Margins with the left one wide enough for the longest label at size cex (in lines of text).
caterpillar_margins <- function(labels, cex) {
  mar <- graphics::par("mar")
  width <- max(graphics::strwidth(labels, units = "inches", cex = cex), 0)
  mar[2L] <- width / graphics::par("csi") + 1.5
  mar
}

#' Data and fitted group lines
#'
#' Draws the data against one numeric predictor and, for every level of the grouping factor, the
#' fitted line from the group's coefficients (`coef(m)$cond[[group]]`), on the response scale
#' (through the family's inverse link, e.g. `exp()` for a log link), as the course chapter does
#' with a `for` loop over `lines()`; the population line from the fixed effects is drawn thicker.
#' For models with an intercept and one numeric predictor and one grouping factor.
#'
#' @param m a fitted `"glmmlab"` model from [glmm()].
#' @param x the name of the numeric predictor; by default the only fixed-effect predictor.
#' @param npoints number of points along each line.
#' @param population logical: add the population (fixed-effects) line?
#' @param ... further graphical parameters passed to [plot()] for the data.
#' @return Invisibly, a data frame with columns `group`, `x` and `fitted`, the drawn lines (the
#'   population line has `group` `NA`).
#' @examples
#' set.seed(1)
#' g <- factor(rep(letters[1:8], each = 10))
#' x <- rep(0:9, 8)
#' y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
#' d <- data.frame(y, x, g)
#' m <- glmm(y ~ x + (x | g), data = d)
#' lines_drawn <- plot_group_lines(m)
#' head(lines_drawn)
#' # counts with a log link: the lines are exp(a_i + b_i x)
#' counts <- rpois(80, exp(0.5 + 0.1 * x + rnorm(8, sd = 0.3)[g]))
#' plot_group_lines(glmm(counts ~ x + (1 | g), data = data.frame(counts, x, g), family = poisson))
#' @export
plot_group_lines <- function(m, x = NULL, npoints = 200, population = TRUE, ...) {
  if (!inherits(m, "glmmlab")) stop("`m` must be a fitted glmm model", call. = FALSE)
  groups <- unique(vapply(m$re, `[[`, "", "group"))
  if (length(groups) != 1L) {
    stop(sprintf("plot_group_lines() needs one grouping factor; the model has %d", length(groups)), call. = FALSE)
  }
  x <- group_lines_predictor(m, x)
  xvals <- m$frame[[x]]
  newx <- seq(min(xvals), max(xvals), length.out = npoints)
  cf <- stats::coef(m)$cond[[groups]]
  linkinv <- m$family$linkinv
  lines_df <- do.call(rbind, lapply(seq_len(nrow(cf)), function(i) {
    data.frame(group = rownames(cf)[i], x = newx, fitted = linkinv(cf[i, "(Intercept)"] + cf[i, x] * newx),
               stringsAsFactors = FALSE)
  }))
  args <- utils::modifyList(list(x = xvals, y = m$y, xlab = x, ylab = deparse(m$formula[[2L]]), las = 1), list(...))
  do.call(graphics::plot, args)
  for (i in seq_len(nrow(cf))) {
    rows <- lines_df$group == rownames(cf)[i]
    graphics::lines(lines_df$x[rows], lines_df$fitted[rows], col = i)
  }
  if (isTRUE(population)) {
    pop <- data.frame(group = NA_character_, x = newx, fitted = linkinv(m$beta[["(Intercept)"]] + m$beta[[x]] * newx))
    graphics::lines(pop$x, pop$fitted, lwd = 2)
    lines_df <- rbind(lines_df, pop)
  }
  invisible(lines_df)
}

# The numeric predictor of a model with fixed effects (Intercept) + x, checked.
group_lines_predictor <- function(m, x) {
  coef_names <- names(m$beta)
  if (length(coef_names) != 2L || coef_names[1L] != "(Intercept)") {
    stop("plot_group_lines() needs fixed effects of the form y ~ 1 + x (an intercept and one numeric predictor)",
         call. = FALSE)
  }
  if (is.null(x)) x <- coef_names[2L]
  if (!is.character(x) || length(x) != 1L || !identical(x, coef_names[2L]) || !is.numeric(m$frame[[x]])) {
    stop(sprintf("`x` must name the model's numeric predictor, \"%s\"", coef_names[2L]), call. = FALSE)
  }
  x
}
