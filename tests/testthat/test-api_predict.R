# predict() and simulate() with lme4's and glmmTMB's other arguments (issue 13, items 1 and 4):
# lme4's newparams, random.only, re.form naming columns of a term, ReForm; glmmTMB's types, fast,
# contrasts checks; simulate() for new data.

refs <- stored_references("api")

test_that("lme4's newparams, random.only and re.form with some columns of a term", {
  ss <- fixture_data("sleepstudy")
  p <- glmm(round(Reaction) ~ 1 + (1 | Subject), ss, family = poisson)
  np <- predict(p, newparams = list(beta = 5, theta = 1), type = "response", re.form = ~ 1 | Subject)
  expect_equal(np, refs$predict_newparams_lme4, tolerance = 1e-4)   # lme4's u at its own optimum
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  expect_equal(predict(m, random.only = TRUE), refs$predict_random_only_lme4, tolerance = 1e-4)
  expect_equal(predict(m, random.only = TRUE) + predict(m, re.form = NA), predict(m), tolerance = 1e-10)
  expect_equal(predict(m, re.form = ~ (0 + Days | Subject)), refs$predict_slope_only_lme4, tolerance = 1e-4)
  expect_equal(predict(m, re.form = ~ (1 | Subject)) + predict(m, re.form = ~ (0 + Days | Subject)) - predict(m, re.form = NA),
               predict(m), tolerance = 1e-10)
  warned <- testthat::capture_warnings(old <- predict(m, ReForm = NA))
  expect_identical(warned, "'ReForm' is deprecated; use 're.form' instead")   # that warning alone
  expect_equal(old, predict(m, re.form = NA))
  expect_error(predict(m, newparams = list(beta = 1)), "start\\$beta has length 1")
  expect_error(predict(m, newparams = list(b = 1)), "`newparams` must be a list")
  expect_error(predict(m, re.form = ~ (0 + Other | Subject)), "names random-effect term not in the model")
})

test_that("glmmTMB's types, fast, and the contrasts check of new data", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  ref <- refs$predict_types_tmb
  expect_equal(predict(m, type = "zprob")[1:3], ref$zprob)
  expect_equal(predict(m, type = "zlink")[1:3], ref$zlink)
  expect_equal(predict(m, type = "disp")[1:3], ref$disp, tolerance = 1e-5)
  expect_equal(predict(m, type = "conditional")[1:3], ref$conditional, tolerance = 1e-6)
  expect_equal(predict(m, type = "conditional"), predict(m, type = "response"))
  expect_true(all(is.na(predict(m, type = "zlink", se.fit = TRUE)$se.fit)))
  expect_equal(predict(m, fast = TRUE), predict(m))
  expect_error(predict(m, re.form = NA, fast = TRUE), "fast=TRUE is not compatible")
  expect_error(predict(m, newdata = ss[1:2, ], fast = TRUE), "fast=TRUE is not compatible")
  expect_error(predict(m, fast = "yes"), "`fast` must be TRUE or FALSE")
  ir <- iris
  fit <- glmm(Sepal.Length ~ Species + (1 | Petal.Width), ir)
  ir2 <- ir
  contrasts(ir2$Species) <- contr.sum
  expect_error(predict(fit, newdata = ir2), "contrasts mismatch between original and prediction frame in variable 'Species'")
  expect_silent(p_sum <- predict(fit, newdata = ir2, allow.new.levels = TRUE))   # as glmmTMB: the fit's contrasts, no warning
  expect_equal(p_sum, predict(fit, newdata = ir))
  expect_null(names(predict(fit)))   # unnamed, as glmmTMB's
  expect_null(names(fitted(fit)))
  expect_equal(names(residuals(fit))[1:2], c("1", "2"))
  # a new level of a factor inside a random-effect term cannot be predicted
  ss$DaysFac <- factor(cut(ss$Days, 2))
  g2 <- glmm(Reaction ~ (DaysFac | Subject), ss)
  nd <- data.frame(DaysFac = "new", Subject = "new")
  expect_error(predict(g2, nd, allow.new.levels = TRUE), "Prediction is not possible for terms: \\(DaysFac \\| Subject\\)")
})

test_that("simulate(newdata = ) draws for new rows, new random effects per level (lme4)", {
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  nd <- data.frame(period = factor("1", levels = levels(cbpp$period)), herd = rep(paste0("new", 1:500), 2))
  s <- simulate(g, nsim = 2, newdata = nd, seed = 1)
  expect_equal(dim(s), c(1000L, 2L))
  expect_equal(mean(s$sim_1[, 1]), mean(predict(g, nd, re.form = NA, type = "response")), tolerance = 0.2)
  nd <- nd[1:2, ]
  nd$herd <- c("1", "new")
  # conditional on the fitted random effects (herd 1), new levels at the population level
  sc <- simulate(g, nsim = 1, newdata = nd, re.form = NULL, allow.new.levels = TRUE, seed = 2)
  expect_equal(dim(sc$sim_1), c(2L, 2L))
  # a mean near zero gives zeros (lme4's test)
  set.seed(1241)
  y <- factor(c(rep(0, 1000), 1, rep(0, 1000), 1), levels = c("0", "1"))
  x <- rep(c("A", "B"), each = 1001)
  mod <- suppressMessages(glmm(y ~ 1 + (1 | x), data = NULL, family = binomial))
  expect_true(all(simulate(mod, newdata = data.frame(x = "A"), nsim = 10, seed = 3) == 0))
  # a formula naming every term is re.form = NULL (lme4); naming some terms needs the fit's own rows
  expect_identical(simulate(g, newdata = nd, re.form = ~ (1 | herd), seed = 4, allow.new.levels = TRUE),
                   simulate(g, newdata = nd, re.form = NULL, seed = 4, allow.new.levels = TRUE))
})

test_that("simulate(use.u = FALSE, newdata = the fit's data) repeats simulate(use.u = FALSE) (lme4)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), ss)
  expect_equal(simulate(m, nsim = 2, use.u = FALSE, newdata = ss, seed = 101), simulate(m, nsim = 2, use.u = FALSE, seed = 101))
  expect_equal(simulate(m, use.u = TRUE, seed = 1), simulate(m, re.form = NULL, seed = 1))
  expect_error(simulate(m, use.u = NA), "`use.u` must be TRUE or FALSE")
  expect_error(simulate(m, use.u = TRUE, re.form = NA), "should specify only one")
  expect_warning(s <- simulate(m, ReForm = NA, seed = 3), "'ReForm' is deprecated")
  expect_equal(s, simulate(m, re.form = NA, seed = 3))
})
