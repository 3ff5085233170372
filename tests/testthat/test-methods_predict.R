# Tests for R/methods_predict.R: predict() with and without new data, random-effect selection,
# new levels, missing values, offsets, standard errors; fitted() and residuals().
# References: the chapter's coef-based lines, stored references (topic "core", glmmTMB 1.1.5), live glmmTMB and lme4.

# lme4's fit of the same model evaluated at our theta (no optimization): differences from it
# are then method differences, not optimizer end-point differences.
lmer_at_theta <- function(formula, data, theta) {
  lme4::lmer(formula, data = data, REML = FALSE, start = list(theta = unname(theta)),
             control = lme4::lmerControl(optimizer = NULL))
}

chapter_newx <- function(data) seq(min(data$x1), max(data$x1), length.out = 200)

test_that("the chapter's prediction for Group5 equals the coef() line and glmmTMB", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  newx <- chapter_newx(data)
  y_hat <- predict(m, newdata = list(x1 = newx, groupID = rep("Group5", 200)), re.form = NULL)
  expect_length(y_hat, 200)
  line <- coef(m)$cond$groupID["Group5", 1] + coef(m)$cond$groupID["Group5", 2] * newx
  expect_equal(unname(y_hat), line, tolerance = 1e-12)
  # glmmTMB 1.1.5: head(predict(m, newdata = list(x1 = newx, groupID = rep("Group5", 200)), re.form = NULL), 5)
  expect_lt(max(abs(head(y_hat, 5) - stored_references("core")$chapter_x1_tmb$pred_group5)), 1e-6)
  skip_if_not_installed("glmmTMB")
  mt <- glmmTMB::glmmTMB(y ~ x1 + (1 | groupID), data = data)
  y_tmb <- predict(mt, newdata = list(x1 = newx, groupID = rep("Group5", 200)), re.form = NULL)
  expect_lt(max(abs(unname(y_hat) - y_tmb)), 1e-6)
})

test_that("without newdata, predict() gives the fitted linear predictor; re.form = NA gives X beta", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  xb <- drop(model.matrix(~ x1, data) %*% m$beta)
  expect_equal(unname(predict(m)), unname(m$eta))
  expect_equal(unname(predict(m, type = "response")), unname(fitted(m)))
  expect_equal(unname(predict(m, re.form = NA)), xb, ignore_attr = TRUE)
  expect_equal(unname(predict(m, re.form = ~0)), xb, ignore_attr = TRUE)
  expect_equal(unname(predict(m, newdata = data, re.form = NA)), xb, ignore_attr = TRUE)
  expect_equal(unname(predict(m, newdata = data)), unname(m$eta))
  expect_equal(unname(predict(m, newdata = list(x1 = c(8, 12)), re.form = NA)), unname(m$beta[1] + m$beta[2] * c(8, 12)))
  expect_null(names(predict(m)))   # unnamed, as glmmTMB's predictions
})

test_that("new levels get the population prediction, with glmmTMB's warning naming them unless allow.new.levels = TRUE", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  nd <- list(x1 = c(9, 10, 11), groupID = c("Group1", "Group11", "Group12"))
  expect_warning(predict(m, newdata = nd), "groupID.*Group11.*Group12")
  expect_warning(p_warned <- predict(m, newdata = nd), "allow.new.levels")
  p <- predict(m, newdata = nd, allow.new.levels = TRUE)
  expect_equal(p_warned, p)
  population <- unname(m$beta[1] + m$beta[2] * c(9, 10, 11))
  expect_equal(unname(p[2:3]), population[2:3])
  expect_equal(unname(p[1]), population[1] + m$b$groupID["Group1", 1])
  expect_error(predict(m, newdata = nd, allow.new.levels = NA), "allow.new.levels")
})

test_that("rows with a missing value give NA and are kept (na.pass), or dropped by na.omit; a missing group is the population", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  nd <- data.frame(x1 = c(9, NA, 11, 12, 13), groupID = c("Group1", "Group2", NA, "Group3", NA))
  p <- predict(m, newdata = nd)
  expect_length(p, 5)
  expect_identical(is.na(unname(p)), c(FALSE, TRUE, FALSE, FALSE, FALSE))
  expect_equal(unname(p[c(3, 5)]), unname(m$beta[1] + m$beta[2] * c(11, 13)))   # as glmmTMB: no group, no random effect
  nd <- nd[1:4, ]
  nd$x1[3] <- NA
  p <- predict(m, newdata = nd)
  expect_identical(is.na(unname(p)), c(FALSE, TRUE, TRUE, FALSE))
  expect_equal(unname(p[4]), unname(m$beta[1] + m$beta[2] * 12 + m$b$groupID["Group3", 1]))
  expect_identical(is.na(unname(predict(m, newdata = nd, re.form = NA))), c(FALSE, TRUE, TRUE, FALSE))
  kept <- predict(m, newdata = nd, na.action = na.omit)
  expect_length(kept, 2L)
  expect_equal(kept, p[c(1, 4)])
  expect_error(predict(m, newdata = nd, na.action = na.fail), "missing values")
  se <- predict(m, newdata = nd, se.fit = TRUE)$se.fit
  expect_identical(is.na(unname(se)), c(FALSE, TRUE, TRUE, FALSE))
})

test_that("nested (1 | pop/patch) predictions equal lme4's", {
  dat <- blossoms_data()
  m <- glmm(UBW ~ LBW + (1 | pop/patch), data = dat)
  rows <- c(1, 17, 40, 77, 120, 160, 199)
  nd <- dat[rows, c("LBW", "pop", "patch")]
  nd_chr <- data.frame(LBW = nd$LBW, pop = as.character(nd$pop), patch = as.character(nd$patch))
  p <- predict(m, newdata = nd_chr)
  # with the factors as in the fit
  expect_equal(predict(m, newdata = nd), p, ignore_attr = TRUE)
  expect_equal(unname(predict(m, newdata = dat[rows, ])), fitted(m)[match(as.character(rows), rownames(m$frame))])   # unnamed
  # lme4 1.1-31 at its own optimum (stored): the fits agree to about 5e-6 here
  ref <- stored_references("core_methods")
  expect_lt(max(abs(unname(p) - ref$blossoms_lbw_lme4_pred)), 1e-4)
  expect_lt(max(abs(unname(predict(m, newdata = nd_chr, re.form = ~ (1 | pop))) - ref$blossoms_lbw_lme4_pred_pop)), 1e-4)
  skip_if_not_installed("lme4")
  # lme4 1.1-31 at our theta (same model, same estimates): 1e-6
  l0 <- lmer_at_theta(UBW ~ LBW + (1 | pop/patch), dat, m$theta)
  expect_lt(max(abs(unname(p) - predict(l0, newdata = nd_chr))), 1e-6)
  expect_lt(max(abs(predict(m, newdata = nd_chr, re.form = ~ (1 | pop)) - predict(l0, newdata = nd_chr, re.form = ~ (1 | pop)))), 1e-6)
  # lme4 1.1-31 at its own optimum: the fits agree to about 5e-6 here
  l <- lme4::lmer(UBW ~ LBW + (1 | pop/patch), data = dat, REML = FALSE)
  expect_lt(max(abs(unname(p) - predict(l, newdata = nd_chr))), 1e-4)
})

test_that("predictions from a (x || g) model equal lme4's", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days || Subject), data = ss)
  nd <- data.frame(Days = c(0, 2.5, 9, 4), Subject = c("308", "309", "372", "308"))
  # lme4 1.1-31 at its own optimum (stored): 1e-4 relative
  expect_equal(unname(predict(m, newdata = nd)), stored_references("core_methods")$sleep_diag_ml_lme4_pred, tolerance = 1e-4)
  cf <- coef(m)$cond$Subject
  expect_equal(unname(predict(m, newdata = nd)[3]), cf["372", 1] + cf["372", 2] * 9)
  skip_if_not_installed("lme4")
  l0 <- lmer_at_theta(Reaction ~ Days + (Days || Subject), ss, m$theta)
  expect_lt(max(abs(unname(predict(m, newdata = nd)) - predict(l0, newdata = nd))), 1e-6)
  expect_lt(max(abs(unname(predict(m, newdata = nd, re.form = ~ (Days || Subject))) - predict(l0, newdata = nd))), 1e-6)
})

test_that("population-level se.fit is sqrt(diag(X V X')); delta method on the response scale", {
  # (conditional standard errors, with the random effects: test-infer_predict.R)
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  nd <- data.frame(x1 = c(6, 10, 14), groupID = "Group2")
  X <- cbind(1, nd$x1)
  manual <- sqrt(diag(X %*% m$vcov %*% t(X)))
  p <- predict(m, newdata = nd, se.fit = TRUE, re.form = NA)
  expect_named(p, c("fit", "se.fit"))
  expect_equal(unname(p$se.fit), manual)
  expect_equal(predict(m, se.fit = TRUE, re.form = NA)$se.fit, sqrt(rowSums((m$X %*% m$vcov) * m$X)), ignore_attr = TRUE)
  set.seed(3)
  d <- data.frame(g = factor(rep(1:12, each = 15)), x = runif(180))
  d$y <- rpois(180, exp(0.5 + d$x + rnorm(12, sd = 0.5)[d$g]))
  mp <- glmm(y ~ x + (1 | g), data = d, family = poisson)
  ndp <- data.frame(x = c(0, 0.5, 1), g = "3")
  link <- predict(mp, newdata = ndp, se.fit = TRUE)
  resp <- predict(mp, newdata = ndp, se.fit = TRUE, type = "response")
  expect_equal(resp$fit, exp(link$fit))
  expect_equal(resp$se.fit, link$se.fit * exp(link$fit))
  Xp <- cbind(1, ndp$x)
  expect_equal(unname(predict(mp, newdata = ndp, se.fit = TRUE, re.form = NA)$se.fit), sqrt(diag(Xp %*% mp$vcov %*% t(Xp))))
})

test_that("the LMM's standard errors of the population-level prediction match glmmTMB", {
  dat <- blossoms_data()
  m <- glmm(UBW ~ LBW + (1 | pop/patch), data = dat)
  nd <- data.frame(LBW = c(10, 15, 20), pop = dat$pop[1], patch = dat$patch[1])
  expect_equal(unname(predict(m, newdata = nd, re.form = NA, se.fit = TRUE)$se.fit),
               stored_references("core_methods")$blossoms_lbw_tmb_se_fit, tolerance = 1e-5)
  skip_if_not_installed("glmmTMB")
  mt <- glmmTMB::glmmTMB(UBW ~ LBW + (1 | pop/patch), data = dat)
  nd <- data.frame(LBW = c(10, 15, 20), pop = dat$pop[1], patch = dat$patch[1])  # glmmTMB wants the grouping variables
  expect_equal(unname(predict(m, newdata = nd, re.form = NA, se.fit = TRUE)$se.fit),
               unname(predict(mt, newdata = nd, re.form = NA, se.fit = TRUE)$se.fit), tolerance = 1e-5)
})

test_that("offsets: offset() terms and the offset argument are evaluated in newdata", {
  data <- chapter_sim_data()
  data$off <- seq(0, 1, length.out = 200)
  m1 <- glmm(y ~ x1 + offset(off) + (1 | groupID), data = data)
  m2 <- glmm(y ~ x1 + (1 | groupID), data = data, offset = off)
  for (m in list(m1, m2)) {
    expect_equal(unname(predict(m, newdata = data)), unname(m$eta))
    nd <- data.frame(x1 = 10, groupID = "Group3", off = c(0, 2))
    p <- predict(m, newdata = nd)
    expect_equal(unname(p[2] - p[1]), 2)
  }
  expect_error(predict(m1, newdata = data.frame(x1 = 10, groupID = "Group3")), "off")
  data_off <- data$off
  m3 <- glmm(y ~ x1 + (1 | groupID), data = data, offset = data_off)
  expect_error(predict(m3, newdata = data.frame(x1 = 10, groupID = "Group3")), "offset\\(\\) term")
})

test_that("factors and data-dependent transformations use the fit's levels and coefficients", {
  data <- chapter_sim_data()
  data$f <- factor(rep(c("a", "b", "c", "d"), 50))
  m <- glmm(y ~ poly(x1, 2) + f + (0 + scale(x1) | groupID) + (1 | groupID), data = data)
  rows <- c(3, 50, 77, 150)
  expect_equal(unname(predict(m, newdata = data[rows, ])), unname(m$eta[rows]))
  nd <- data[rows, ]
  nd$f <- as.character(nd$f)
  nd$groupID <- as.character(nd$groupID)
  expect_equal(unname(predict(m, newdata = nd)), unname(m$eta[rows]))
  nd$f[2] <- "z"
  expect_error(predict(m, newdata = nd), "new level")
  skip_if_not_installed("lme4")
  l0 <- lmer_at_theta(y ~ poly(x1, 2) + f + (0 + scale(x1) | groupID) + (1 | groupID), data, m$theta)
  expect_lt(max(abs(unname(predict(m, newdata = data[rows, ])) - predict(l0, newdata = data[rows, ]))), 1e-6)
})

test_that("bad arguments give clear errors", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  expect_error(predict(m, newdata = list(groupID = "Group1")), "x1")
  expect_error(predict(m, newdata = list(x1 = 1)), "groupID.*re.form = NA")
  expect_error(predict(m, re.form = ~ (1 | site)), "site")
  expect_error(predict(m, re.form = "none"), "re.form")
  expect_error(predict(m, newdata = 1:3), "newdata")
  expect_error(predict(m, newdata = list(x1 = 1:3, groupID = c("Group1", "Group2"))), "newdata")
  expect_error(predict(m, type = "probability"), "arg")
  expect_error(predict(m, se.fit = "yes"), "se.fit")
  expect_warning(predict(m, level = 0), "level")
})

test_that("fitted() and residuals() match lme4 for a weighted LMM", {
  ss <- fixture_data("sleepstudy")
  ss$w <- rep(c(0.5, 1, 2), length.out = nrow(ss))
  m <- glmm(Reaction ~ Days + (Days | Subject), data = ss, weights = w)
  expect_equal(unname(residuals(m)), ss$Reaction - unname(fitted(m)))
  expect_equal(unname(residuals(m, type = "pearson")), sqrt(ss$w) * (ss$Reaction - unname(fitted(m))))
  # lme4 1.1-31 at its own optimum (stored): fitted values to 1e-6, residuals to 1e-4 of their scale
  ref <- stored_references("core_methods")
  expect_equal(unname(fitted(m)), ref$sleep_weighted_ml_lme4_fitted, tolerance = 1e-6)
  for (type in c("response", "pearson", "deviance", "working")) {
    ours <- unname(residuals(m, type = type))
    expect_lt(max(abs(ours - ref$sleep_weighted_ml_lme4_residuals[[type]])) / max(abs(ours)), 1e-4, label = type)
  }
  skip_if_not_installed("lme4")
  l0 <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = ss, weights = w, REML = FALSE,
                   start = list(theta = unname(m$theta)), control = lme4::lmerControl(optimizer = NULL))
  expect_equal(fitted(m), unname(fitted(l0)), tolerance = 1e-8)   # unnamed, as glmmTMB's
  for (type in c("response", "pearson", "deviance", "working")) {
    expect_equal(residuals(m, type = type), residuals(l0, type = type), tolerance = 1e-8)
  }
})

test_that("GLMM residuals follow the family's definitions", {
  set.seed(3)
  d <- data.frame(g = factor(rep(1:12, each = 15)), x = runif(180))
  d$y <- rpois(180, exp(0.5 + d$x + rnorm(12, sd = 0.5)[d$g]))
  m <- glmm(y ~ x + (1 | g), data = d, family = poisson)
  mu <- unname(fitted(m))
  expect_equal(mu, exp(m$eta), ignore_attr = TRUE)
  expect_equal(unname(residuals(m, type = "pearson")), (d$y - mu) / sqrt(mu))
  expect_equal(unname(residuals(m, type = "working")), (d$y - mu) / mu)
  dev <- unname(residuals(m, type = "deviance"))
  expect_equal(dev^2, poisson()$dev.resids(d$y, mu, rep(1, 180)))
  expect_identical(sign(dev), sign(d$y - mu))
  skip_if_not_installed("glmmTMB")
  mt <- glmmTMB::glmmTMB(y ~ x + (1 | g), data = d, family = poisson)
  expect_equal(unname(residuals(m, type = "pearson")), unname(residuals(mt, type = "pearson")), tolerance = 1e-4)
  expect_equal(unname(predict(m, newdata = d[1:5, ], type = "response")),
               unname(predict(mt, newdata = d[1:5, ], type = "response")), tolerance = 1e-4)
})

test_that("negative binomial deviance residuals are the NB unit deviances at the fitted dispersion", {
  # Before: make_nbinom_family() used poisson()$dev.resids, so nbinom2 gave Poisson deviance residuals
  # and family = glmmTMB::nbinom1() (whose dev.resids returns zeros) gave all zeros.
  # glmmTMB 1.1.5 itself has no deviance residuals: residuals.glmmTMB() takes only "response",
  # "pearson" and "working", so there is no glmmTMB number to compare with.
  skip_if_not_installed("MASS")
  sal <- reference_data("glmmTMB::Salamanders")
  m <- glmm(count ~ mined + (1 | site), data = sal, family = "nbinom2")
  y <- sal$count
  mu <- unname(fitted(m))
  ref <- sign(y - mu) * sqrt(MASS::negative.binomial(sigma(m))$dev.resids(y, mu, 1))
  expect_equal(unname(residuals(m, type = "deviance")), ref, tolerance = 1e-12)
  expect_false(isTRUE(all.equal(unname(residuals(m, type = "deviance")),
                                sign(y - mu) * sqrt(poisson()$dev.resids(y, mu, 1)))))
  expect_equal(nbinom2()$dev.resids(y, mu, 1, sigma(m)), MASS::negative.binomial(sigma(m))$dev.resids(y, mu, 1))
  expect_error(nbinom2()$dev.resids(y, mu, 1), "theta")

  # nbinom1: 2 (l(y; mu*) - l(y; mu)) with l the NB1 log-likelihood (size mu/phi) at the fitted phi
  # and mu* its maximizer over the mean, found here by optimize() on dnbinom()
  m1 <- glmm(count ~ mined + (1 | site), data = sal, family = "nbinom1")
  phi <- sigma(m1)
  mu1 <- unname(fitted(m1))
  l_nb1 <- function(y, mu) dnbinom(y, size = mu / phi, prob = 1 / (1 + phi), log = TRUE)
  mu_sat <- vapply(y, function(yi) if (yi == 0) 0 else
    optimize(function(m) l_nb1(yi, m), c(yi, yi * phi / log1p(phi) + 1), maximum = TRUE, tol = 1e-12)$maximum, numeric(1))
  expect_true(all(mu_sat[y > 0] > y[y > 0]))   # the saturated mean lies above y
  expect_equal(glmmlab:::nbinom1_saturated_mean(y, phi), mu_sat, tolerance = 1e-7)
  l_sat <- ifelse(y == 0, 0, l_nb1(y, pmax(mu_sat, 1e-300)))
  dev_ref <- 2 * (l_sat - l_nb1(y, mu1))
  r1 <- unname(residuals(m1, type = "deviance"))
  expect_equal(r1^2, dev_ref, tolerance = 1e-8)
  expect_identical(sign(r1), sign(mu_sat - mu1))
  expect_equal(r1[y == 0], -sqrt(2 * mu1[y == 0] * log1p(phi) / phi))
  expect_true(all(r1 != 0))
  # the deviance of a saturated fit is 0, and it grows on both sides of mu*
  expect_equal(nbinom1()$dev.resids(c(0, 3, 40), glmmlab:::nbinom1_saturated_mean(c(0, 3, 40), 2) + c(1e-300, 0, 0), 1, 2),
               c(0, 0, 0), tolerance = 1e-12)
  grid <- glmmlab:::nbinom1_saturated_mean(5, 2) * c(0.5, 0.9, 1.1, 2)
  expect_true(all(diff(nbinom1()$dev.resids(5, grid[1:2], 1, 2)) < 0) && all(diff(nbinom1()$dev.resids(5, grid[3:4], 1, 2)) > 0))

  # glmmTMB's family objects give the same residuals (their own dev.resids are not used)
  skip_if_not_installed("glmmTMB")
  mt1 <- glmm(count ~ mined + (1 | site), data = sal, family = glmmTMB::nbinom1())
  expect_equal(residuals(mt1, type = "deviance"), residuals(m1, type = "deviance"), tolerance = 1e-6)
  mt2 <- glmm(count ~ mined + (1 | site), data = sal, family = glmmTMB::nbinom2())
  expect_equal(residuals(mt2, type = "deviance"), residuals(m, type = "deviance"), tolerance = 1e-6)
})

test_that("fits with na.exclude pad fitted, residuals and predict with NA", {
  data <- chapter_sim_data()
  data$x1[c(5, 50)] <- NA
  m <- glmm(y ~ x1 + (1 | groupID), data = data, na.action = na.exclude)
  expect_length(fitted(m), 200)
  expect_length(residuals(m), 200)
  expect_length(predict(m), 200)
  expect_identical(which(is.na(fitted(m))), c(5L, 50L))   # fitted() is unnamed, as glmmTMB's
  expect_identical(which(is.na(predict(m, re.form = NA))), c(5L, 50L))   # predictions are unnamed, as glmmTMB's
  m_omit <- glmm(y ~ x1 + (1 | groupID), data = data)
  expect_length(fitted(m_omit), 198)
})

test_that("a factor of the fit given as NA (logical) or as numeric codes in newdata: no model.frame warning", {
  salamanders <- fixture_data("Salamanders")
  m <- glmm(count ~ mined + (1 | site), data = salamanders, family = poisson)
  expect_no_warning(p <- predict(m, newdata = data.frame(mined = NA, site = "R-1")))
  expect_true(is.na(p))
  expect_no_warning(p <- predict(m, newdata = data.frame(mined = c(NA, "no"), site = "R-1"), re.form = NA))
  expect_equal(unname(p), c(NA, sum(fixef(m)$cond)))
  d <- data.frame(y = rnorm(60), f = factor(rep(1:3, 20)), g = factor(rep(1:6, each = 10)))
  mf <- glmm(y ~ f + (1 | g), data = d)
  expect_equal(predict(mf, newdata = data.frame(f = 2:3, g = 1), re.form = NA),
               predict(mf, newdata = data.frame(f = c("2", "3"), g = 1), re.form = NA))
  expect_error(predict(mf, newdata = data.frame(f = 4, g = 1)), "new level")
  expect_error(predict(m, newdata = data.frame(mined = TRUE, site = "R-1")), "new level")
})
