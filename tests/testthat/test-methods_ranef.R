# Tests for R/methods_ranef.R: ranef() with conditional variances, coef(), their print and
# as.data.frame methods. References: the chapter's printed coef(m), stored_references("core"), and live lme4 fits
# (lme4's conditional variances are the same quantity as ours: sigma^2 Lambda A^{-1} Lambda').

# lme4's fit of the same model evaluated at our theta (no optimization): differences from it
# are then method differences, not optimizer end-point differences.
lmer_at_theta <- function(formula, data, theta) {
  lme4::lmer(formula, data = data, REML = FALSE, start = list(theta = unname(theta)),
             control = lme4::lmerControl(optimizer = NULL))
}

test_that("coef() reproduces the chapter's group-level coefficients", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  cf <- coef(m)
  expect_s3_class(cf, "coef.glmmlab")
  expect_named(cf$cond, "groupID")
  tab <- cf$cond$groupID
  expect_s3_class(tab, "data.frame")
  expect_identical(names(tab), c("(Intercept)", "x1"))
  expect_identical(rownames(tab), paste0("Group", c(1, 10, 2:9)))
  # printed in the chapter (glmmTMB): coef(m)
  chapter <- c(Group1 = 19.19438, Group10 = 25.14684, Group2 = 22.71307, Group3 = 26.94286,
               Group4 = 30.01121, Group5 = 23.36571, Group6 = 22.34923, Group7 = 26.35297,
               Group8 = 19.12443, Group9 = 23.14223)
  expect_lt(max(abs(tab[names(chapter), 1] - chapter)), 1e-5)
  expect_lt(max(abs(tab[, 2] - 1.45279)), 1e-5)
  expect_equal(as.matrix(tab), stored_references("core")$chapter_x1_tmb$coef_cond, tolerance = 1e-6)
  # the chapter's use: the line of group i
  newx <- seq(6, 14, length.out = 5)
  line1 <- cf$cond$groupID[1, 1] + cf$cond$groupID[1, 2] * newx
  expect_equal(line1, unname(m$beta[1] + m$b$groupID["Group1", 1] + m$beta[2] * newx))
})

test_that("print(coef(m)) shows $group and the table, as the chapter", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  out <- capture.output(print(coef(m)))
  expect_identical(out[1], "$groupID")
  expect_true(any(grepl("^Group1 +19\\.19438 1\\.45279$", out)))
  expect_true(any(grepl("^Group10 +25\\.14684 1\\.45279$", out)))
  capture.output(shown <- withVisible(print(coef(m))))
  expect_false(shown$visible)
})

test_that("ranef() has glmmTMB's structure and matches glmmTMB's and lme4's modes", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  re <- ranef(m)
  expect_s3_class(re, "ranef.glmmlab")
  expect_named(re$cond, "groupID")
  expect_identical(names(re$cond$groupID), "(Intercept)")
  expect_equal(as.matrix(re$cond$groupID)[1:3, , drop = FALSE], stored_references("core")$chapter_x1_tmb$ranef_head, tolerance = 1e-5)
  expect_equal(as.matrix(re$cond$groupID)[1:3, , drop = FALSE], stored_references("core")$chapter_x1_lme4$ranef_head, tolerance = 1e-5)
  cv <- attr(re$cond$groupID, "condVar")
  expect_identical(dim(cv), c(1L, 1L, 10L))
  expect_identical(attr(re$cond$groupID, "postVar"), cv)
  out <- capture.output(print(re))
  expect_identical(out[1], "$groupID")
  expect_false(any(grepl("condVar", out)))
})

test_that("ranef() and condVar match lme4 on sleepstudy (Days | Subject), ML", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = ss)
  re <- ranef(m)$cond$Subject
  # lme4 1.1-31 at its own optimum (stored, then live): optimizer end points differ, so 1e-4 relative
  ref <- stored_references("core_methods")
  expect_equal(as.matrix(re), ref$sleep_slope_ml_lme4_ranef, tolerance = 1e-4)
  expect_identical(dim(attr(re, "condVar")), c(2L, 2L, 18L))
  expect_equal(attr(re, "condVar"), ref$sleep_slope_ml_lme4_postvar, tolerance = 1e-4)
  skip_if_not_installed("lme4")
  l <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = ss, REML = FALSE)
  rl <- lme4::ranef(l, condVar = TRUE)$Subject
  expect_equal(as.matrix(re), as.matrix(rl), tolerance = 1e-4)
  expect_identical(dim(attr(re, "condVar")), c(2L, 2L, 18L))
  expect_equal(attr(re, "condVar"), attr(rl, "postVar"), tolerance = 1e-4)
  # lme4 at our theta: the same quantity, to rounding
  l0 <- lmer_at_theta(Reaction ~ Days + (Days | Subject), ss, m$theta)
  rl0 <- lme4::ranef(l0, condVar = TRUE)$Subject
  expect_equal(as.matrix(re), as.matrix(rl0), tolerance = 1e-8)
  expect_equal(attr(re, "condVar"), attr(rl0, "postVar"), tolerance = 1e-8)
})

test_that("ranef() and condVar match lme4 on Penicillin, crossed (1 | plate) + (1 | sample)", {
  pen <- fixture_data("Penicillin")
  m <- glmm(diameter ~ 1 + (1 | plate) + (1 | sample), data = pen)
  re <- ranef(m)$cond
  expect_named(re, c("plate", "sample"))
  ref <- stored_references("core_methods")   # lme4 1.1-31 at its own optimum
  for (g in c("plate", "sample")) {
    expect_equal(setNames(re[[g]][[1]], rownames(re[[g]])), ref$penicillin_ml_lme4_ranef[[g]], tolerance = 1e-4)
    expect_identical(dim(attr(re[[g]], "condVar")), c(1L, 1L, nlevels(pen[[g]])))
    expect_equal(as.numeric(attr(re[[g]], "condVar")), ref$penicillin_ml_lme4_postvar[[g]], tolerance = 1e-4)
  }
  skip_if_not_installed("lme4")
  l <- lme4::lmer(diameter ~ 1 + (1 | plate) + (1 | sample), data = pen, REML = FALSE)
  rl <- lme4::ranef(l, condVar = TRUE)
  for (g in c("plate", "sample")) {
    expect_equal(as.matrix(re[[g]]), as.matrix(rl[[g]]), tolerance = 1e-4)
    expect_identical(dim(attr(re[[g]], "condVar")), c(1L, 1L, nlevels(pen[[g]])))
    expect_equal(attr(re[[g]], "condVar"), attr(rl[[g]], "postVar"), tolerance = 1e-4)
  }
})

test_that("(x || g): one diagonal term, combined as in lme4; its condVar array has NA covariances (as glmmTMB's)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days || Subject), data = ss)
  re <- ranef(m)$cond
  expect_named(re, "Subject")
  expect_identical(names(re$Subject), c("(Intercept)", "Days"))
  cv <- attr(re$Subject, "condVar")
  expect_equal(dim(cv), c(2L, 2L, 18L))
  expect_true(all(is.na(cv[1, 2, ])))
  cf <- coef(m)$cond
  expect_named(cf, "Subject")
  # lme4 1.1-31 at its own optimum (stored): 1e-4 relative
  ref <- stored_references("core_methods")
  diag_var <- function(arrays) unname(lapply(arrays, function(a) a[1, 1, ]))
  expect_equal(as.matrix(re$Subject), ref$sleep_diag_ml_lme4_ranef, tolerance = 1e-4)
  expect_equal(list(cv[1, 1, ], cv[2, 2, ]), diag_var(ref$sleep_diag_ml_lme4_postvar), tolerance = 1e-4)
  expect_equal(as.matrix(cf$Subject), ref$sleep_diag_ml_lme4_coef, tolerance = 1e-4)
  skip_if_not_installed("lme4")
  l0 <- lmer_at_theta(Reaction ~ Days + (Days || Subject), ss, m$theta)
  rl0 <- lme4::ranef(l0, condVar = TRUE)$Subject
  expect_equal(as.matrix(re$Subject), as.matrix(rl0), tolerance = 1e-8)
  expect_equal(list(cv[1, 1, ], cv[2, 2, ]), diag_var(attr(rl0, "postVar")), tolerance = 1e-8)
  expect_equal(as.matrix(cf$Subject), as.matrix(coef(l0)$Subject), tolerance = 1e-8)
})

test_that("coef(): a random-effect column without a fixed effect comes first with fixed value 0", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ 1 + (Days | Subject), data = ss)
  tab <- coef(m)$cond$Subject
  expect_identical(names(tab), c("Days", "(Intercept)"))
  expect_equal(tab$Days, ranef(m)$cond$Subject$Days)
  # lme4 1.1-31 at its own optimum (stored): 1e-4 relative
  expect_equal(as.matrix(tab), stored_references("core_methods")$sleep_nofixedslope_ml_lme4_coef, tolerance = 1e-4)
  skip_if_not_installed("lme4")
  l0 <- lmer_at_theta(Reaction ~ 1 + (Days | Subject), ss, m$theta)
  expect_equal(as.matrix(tab), as.matrix(coef(l0)$Subject), tolerance = 1e-8)
})

test_that("as.data.frame(ranef()) has lme4's columns (after glmmTMB's component) and values", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = ss)
  d <- as.data.frame(ranef(m))
  expect_identical(names(d), c("component", "grpvar", "term", "grp", "condval", "condsd"))
  expect_identical(nrow(d), 36L)
  ref <- stored_references("core_methods")$sleep_slope_ml_lme4_ranef_df   # lme4 1.1-31, its optimum
  expect_identical(as.character(d$grpvar), ref$grpvar)
  expect_identical(as.character(d$term), ref$term)
  expect_identical(as.character(d$grp), ref$grp)
  expect_identical(levels(d$grp), ref$grp_levels)
  expect_equal(d$condval, ref$condval, tolerance = 1e-4)
  expect_equal(d$condsd, ref$condsd, tolerance = 1e-4)
  d2 <- as.data.frame(ranef(glmm(Reaction ~ Days + (Days || Subject), data = ss)))
  expect_identical(as.character(unique(d2$term)), c("(Intercept)", "Days"))
  expect_false("condsd" %in% names(as.data.frame(ranef(m, condVar = FALSE))))
  skip_if_not_installed("lme4")
  l0 <- lmer_at_theta(Reaction ~ Days + (Days | Subject), ss, m$theta)
  dl <- as.data.frame(lme4::ranef(l0, condVar = TRUE))
  expect_identical(d$grpvar, dl$grpvar)
  expect_identical(as.character(d$term), as.character(dl$term))
  expect_identical(as.character(d$grp), as.character(dl$grp))
  expect_identical(levels(d$grp), levels(dl$grp))
  expect_equal(d$condval, dl$condval, tolerance = 1e-8)
  expect_equal(d$condsd, dl$condsd, tolerance = 1e-8)
})

test_that("nested (1 | pop/patch): one table per grouping factor, inner first", {
  dat <- blossoms_data()
  m <- glmm(UBW ~ LBW + (1 | pop/patch), data = dat)
  re <- ranef(m)$cond
  expect_named(re, c("patch:pop", "pop"))
  expect_identical(nrow(re[["patch:pop"]]), 95L)
  expect_identical(nrow(re$pop), 9L)
  cf <- coef(m)$cond
  expect_equal(cf$pop$LBW, rep(unname(m$beta["LBW"]), 9))
  expect_equal(cf$pop[["(Intercept)"]], unname(m$beta[1] + re$pop[[1]]))
  skip_if_not_installed("lme4")
  l0 <- lmer_at_theta(UBW ~ LBW + (1 | pop/patch), dat, m$theta)
  rl0 <- lme4::ranef(l0, condVar = TRUE)
  expect_equal(attr(re$pop, "condVar"), attr(rl0$pop, "postVar"), tolerance = 1e-8)
  expect_equal(re[["patch:pop"]][[1]], rl0[["patch:pop"]][[1]], tolerance = 1e-8)
})

test_that("a GLMM's core pointer serializes to almost nothing, and the fit survives saveRDS/readRDS", {
  # the core reads the design and response in place but does not hang them on its pointer
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  expect_lt(length(serialize(g$core$ptr, NULL)), 200)
  path <- tempfile(fileext = ".rds")
  on.exit(unlink(path))
  saveRDS(g, path)
  g2 <- readRDS(path)
  expect_true(glmmlab:::is_null_pointer(g2$core$ptr))
  expect_equal(vcov(g2), vcov(g))
  expect_equal(attr(ranef(g2)$cond$herd, "condVar"), attr(ranef(g)$cond$herd, "condVar"))
  gc()   # the inputs the live core holds are still there after a collection
  expect_equal(logLik(refit(g)), logLik(g))
})

test_that("condVar survives saveRDS/readRDS (the core is rebuilt)", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  path <- tempfile(fileext = ".rds")
  on.exit(unlink(path))
  saveRDS(m, path)
  m2 <- readRDS(path)
  expect_true(glmmlab:::is_null_pointer(m2$core$ptr))
  expect_false(glmmlab:::is_null_pointer(m$core$ptr))
  expect_equal(ranef(m2), ranef(m))
  expect_gt(attr(ranef(m2)$cond$groupID, "condVar")[1, 1, 1], 0)
})

test_that("condVar = FALSE drops the attribute; bad condVar is an error", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  re <- ranef(m, condVar = FALSE)
  expect_null(attr(re$cond$groupID, "condVar"))
  expect_equal(re$cond$groupID, ranef(m)$cond$groupID, ignore_attr = TRUE)
  expect_error(ranef(m, condVar = NA), "condVar")
  expect_error(ranef(m, condVar = "yes"), "condVar")
})

test_that("GLMMs: modes, coef and conditional standard deviations are given", {
  set.seed(3)
  d <- data.frame(g = factor(rep(1:12, each = 15)), x = runif(180))
  d$y <- rpois(180, exp(0.5 + d$x + rnorm(12, sd = 0.5)[d$g]))
  m <- glmm(y ~ x + (1 | g), data = d, family = poisson)
  re <- ranef(m)$cond$g
  expect_identical(dim(re), c(12L, 1L))
  expect_true(all(attr(re, "condVar") > 0 & attr(re, "condVar") < m$cov_re$g[1]))
  expect_equal(coef(m)$cond$g$x, rep(unname(m$beta["x"]), 12))
  expect_true("condsd" %in% names(as.data.frame(ranef(m))))
})

test_that("GLMM conditional variances are the inverse Laplace Hessian, as glmer's", {
  dat <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat)
  ours <- as.numeric(attr(ranef(m)$cond$herd, "condVar"))
  # glmer (lme4 1.1-31, stored): the two optima differ by ~5e-4 (glmer's deviance is approximate), so 1e-2 relative
  expect_equal(ours, stored_references("core_methods")$cbpp_binom_lme4_postvar, tolerance = 1e-2)
  # and they survive saveRDS/readRDS (the core is rebuilt)
  path <- tempfile(fileext = ".rds")
  saveRDS(m, path)
  m2 <- readRDS(path)
  expect_equal(as.numeric(attr(ranef(m2)$cond$herd, "condVar")), ours, tolerance = 1e-8)
  skip_if_not_installed("lme4")
  f <- lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat)
  theirs <- as.numeric(attr(lme4::ranef(f, condVar = TRUE)$herd, "postVar"))
  expect_equal(ours, theirs, tolerance = 1e-2)
})
