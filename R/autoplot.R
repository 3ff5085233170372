# autoplot.R: ggplot2 versions of glmmlab's plots (residuals against fitted values, the caterpillar
# plot of the conditional modes), methods for ggplot2's autoplot() registered when ggplot2 is loaded
# (R/zzz.R); glmmlab does not depend on ggplot2. Aesthetics use the .data pronoun of ggplot2's tidy
# evaluation, declared here so that R CMD check knows it.
utils::globalVariables(".data")

#' ggplot2 plots of a glmm fit
#'
#' With 'ggplot2' installed, `ggplot2::autoplot(m)` draws the residuals of a model fitted by
#' [glmm()] against its fitted values (as [plot.glmmlab()]), and `ggplot2::autoplot(ranef(m))`
#' the caterpillar plot of the conditional modes with intervals of +-`z` conditional SDs, one
#' facet per grouping factor and random-effect column (as [plot.ranef.glmmlab()]). Both return
#' a ggplot object to print, add layers to or save with `ggplot2::ggsave()`.
#'
#' @param object a model fitted by [glmm()], or its [ranef.glmmlab()].
#' @param type the residual type, passed to [residuals.glmmlab()].
#' @param z the multiple of the conditional SD for the intervals.
#' @param ... unused.
#' @return A `ggplot` object.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   print(ggplot2::autoplot(m))
#'   print(ggplot2::autoplot(ranef(m)))
#' }
#' @name glmm-autoplot
NULL

# Residuals against fitted values, with a zero line and a loess smooth.
#' @rdname glmm-autoplot
autoplot.glmmlab <- function(object, type = c("pearson", "response", "deviance", "working"), ...) {
  type <- match.arg(type)
  drawn <- data.frame(fitted = stats::fitted(object), residual = stats::residuals(object, type = type))
  ggplot2::ggplot(drawn, ggplot2::aes(x = .data$fitted, y = .data$residual)) +
    ggplot2::geom_hline(yintercept = 0, linetype = 2, colour = "grey40") +
    ggplot2::geom_point(alpha = 0.7) +
    ggplot2::geom_smooth(method = "loess", formula = y ~ x, se = FALSE, colour = "red") +
    ggplot2::labs(x = "Fitted values", y = paste0(toupper(substring(type, 1, 1)), substring(type, 2), " residuals"))
}

# Caterpillar plot: modes sorted within each facet, with +-z conditional SD intervals.
#' @rdname glmm-autoplot
autoplot.ranef.glmmlab <- function(object, z = 1.96, ...) {
  long <- as.data.frame(object)
  if (is.null(long$condsd)) stop("the random effects carry no conditional variances; use ranef(m, condVar = TRUE)", call. = FALSE)
  long$panel <- paste(long$grpvar, long$term, sep = ": ")
  long$lower <- long$condval - z * long$condsd
  long$upper <- long$condval + z * long$condsd
  long <- long[order(long$panel, long$condval), , drop = FALSE]
  long$level <- factor(paste(long$panel, long$grp, sep = "\r"), levels = unique(paste(long$panel, long$grp, sep = "\r")))
  ggplot2::ggplot(long, ggplot2::aes(x = .data$condval, y = .data$level)) +
    ggplot2::geom_vline(xintercept = 0, linetype = 2, colour = "grey40") +
    ggplot2::geom_errorbarh(ggplot2::aes(xmin = .data$lower, xmax = .data$upper), height = 0) +
    ggplot2::geom_point() +
    ggplot2::scale_y_discrete(labels = function(x) sub("^.*\r", "", x)) +
    ggplot2::facet_wrap(~ panel, scales = "free") +
    ggplot2::labs(x = "Conditional mode", y = NULL)
}
