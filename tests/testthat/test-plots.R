# test-plots.R: base-graphics plots (R/plots.R). Each draws into a null device and returns the
# values it drew, which are checked against the fit.

# Run a plotting call on a null PDF device, closing it afterwards.
draw_silently <- function(expr) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expr
}

test_that("plot() draws residuals against fitted values", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  drawn <- draw_silently(plot(m))
  expect_identical(names(drawn), c("fitted", "residual"))
  expect_equal(drawn$fitted, unname(fitted(m)), ignore_attr = TRUE)
  expect_equal(drawn$residual, unname(residuals(m, type = "pearson")), ignore_attr = TRUE)
  response <- draw_silently(plot(m, type = "response", smooth = FALSE, main = "raw"))
  expect_equal(response$residual, sleep$Reaction - unname(fitted(m)), ignore_attr = TRUE)
  expect_error(plot(m, type = "nope"), "should be one of")
})

test_that("the caterpillar plot draws modes +- 1.96 conditional SDs, sorted in each panel", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  re <- ranef(m)
  drawn <- draw_silently(plot(re))
  long <- as.data.frame(re)
  expect_identical(nrow(drawn), nrow(long))
  expect_equal(drawn$lower, drawn$condval - 1.96 * drawn$condsd)
  expect_equal(drawn$upper, drawn$condval + 1.96 * drawn$condsd)
  for (term in c("(Intercept)", "Days")) {
    panel <- drawn[drawn$term == term, ]
    expect_false(is.unsorted(panel$condval))
    expect_equal(panel$condval, sort(re$cond$Subject[[term]]))
  }
  # conditional SDs are those of the condVar array
  cv <- attr(re$cond$Subject, "condVar")
  first <- drawn[drawn$term == "(Intercept)", ]
  expect_equal(first$condsd, sqrt(cv[1, 1, match(as.character(first$grp), rownames(re$cond$Subject))]))
  narrow <- draw_silently(plot(re, z = 1))
  expect_equal(narrow$upper - narrow$condval, narrow$condsd)
  expect_error(plot(ranef(m, condVar = FALSE)), "condVar = TRUE")
  expect_error(plot(re, z = -1), "`z` must be")
})

test_that("plot_group_lines() draws each group's line from coef() on the response scale", {
  chapter <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  drawn <- draw_silently(plot_group_lines(chapter))
  cf <- coef(chapter)$cond$groupID
  g5 <- drawn[which(drawn$group == "Group5"), ]
  expect_identical(nrow(g5), 200L)
  expect_equal(g5$fitted, cf["Group5", 1] + cf["Group5", 2] * g5$x)
  expect_equal(range(g5$x), range(chapter_sim_data()$x1))
  pop <- drawn[is.na(drawn$group), ]
  expect_equal(pop$fitted, fixef(chapter)$cond[[1]] + fixef(chapter)$cond[[2]] * pop$x)
  expect_error(plot_group_lines(chapter, x = "y"), "must name the model's numeric predictor, \"x1\"")
})

test_that("plot_group_lines() uses the inverse link for a GLMM (the chapter's Eulaema plot)", {
  dat <- eulaema_data()
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = nbinom2(), data = dat)
  drawn <- draw_silently(plot_group_lines(m, x = "MAP", npoints = 50))
  cf <- coef(m)$cond$SA
  first <- drawn[which(drawn$group == rownames(cf)[1]), ]
  expect_equal(first$fitted, exp(cf[1, 1] + cf[1, 2] * first$x))
  expect_identical(nrow(drawn), 50L * (nrow(cf) + 1L))
})

test_that("plot_group_lines() refuses models it cannot draw", {
  sleep <- reference_data("lme4::sleepstudy")
  sleep$f <- factor(sleep$Days %% 2)
  expect_error(plot_group_lines(glmm(Reaction ~ Days + f + (1 | Subject), data = sleep)), "one numeric predictor")
  two <- suppressMessages(glmm(Reaction ~ Days + (1 | Subject) + (1 | f), data = sleep))
  expect_error(plot_group_lines(two), "needs one grouping factor; the model has 2")
  expect_error(plot_group_lines(lm(Reaction ~ Days, sleep)), "`m` must be a fitted glmm model")
})

test_that("plots inside a user's par(mfrow = c(1, 3)) fill its three cells and leave the layout alone", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = 1500, height = 500)
  on.exit(grDevices::dev.off(), add = TRUE)
  graphics::par(mfrow = c(1, 3))
  plot(m)
  expect_equal(graphics::par("mfg")[1:2], c(1L, 1L))
  plot(ranef(m))
  expect_equal(graphics::par("mfg")[1:2], c(1L, 2L))
  plot_group_lines(m)
  expect_equal(graphics::par("mfg")[1:2], c(1L, 3L))
  expect_equal(graphics::par("mfrow"), c(1L, 3L))
})

test_that("the caterpillar plot of the bee model names every study area inside the device", {
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = 700, height = 900)
  old_mar <- graphics::par("mar")
  drawn <- plot(ranef(m))
  # the left margin (lines) holds the widest name at the size used, and the margin is restored
  expect_equal(graphics::par("mar"), old_mar)
  expect_equal(nrow(drawn), 72L)
  cex <- glmmlab:::label_cex(72)
  widest <- max(graphics::strwidth(levels(eulaema_data()$SA), units = "inches", cex = cex))
  expect_lt(widest, glmmlab:::caterpillar_margins(levels(eulaema_data()$SA), cex)[2] * graphics::par("csi"))
  grDevices::dev.off()
  expect_gt(file.size(path), 10000)
})

test_that("ggplot2 autoplot() methods draw the residuals and the caterpillar plot", {
  skip_if_not_installed("ggplot2")
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  p1 <- ggplot2::autoplot(m)
  p2 <- ggplot2::autoplot(ranef(m))
  expect_s3_class(p1, "ggplot")
  expect_s3_class(p2, "ggplot")
  expect_equal(p1$data$residual, unname(residuals(m, type = "pearson")))
  expect_equal(sort(p2$data$condval), sort(ranef(m)$cond$groupID[["(Intercept)"]]))
  path <- tempfile(fileext = ".png")
  ggplot2::ggsave(path, p2, width = 5, height = 4)
  expect_gt(file.size(path), 5000)
})
