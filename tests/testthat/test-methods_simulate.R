# simulate(): shapes, seeds, and moments of the simulated responses against the fitted model.

test_that("simulate() reproduces the fitted means and variances", {
  dat <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = dat)
  s <- simulate(m, nsim = 400, seed = 42, re.form = NULL)
  expect_equal(dim(s), c(200L, 400L))
  # conditional on the random effects: mean = fitted, variance = sigma^2
  expect_equal(mean(rowMeans(s) - fitted(m)), 0, tolerance = 0.05)
  expect_equal(mean(apply(s, 1, var)), m$sigma^2, tolerance = 0.05)
  # unconditional: the spread of group means reflects the random-effect variance
  s2 <- simulate(m, nsim = 400, seed = 1)
  group_means <- apply(s2, 2, function(col) tapply(col - m$eta_fixed, dat$groupID, mean))
  expect_equal(mean(apply(group_means, 2, var)), m$cov_re$groupID[1] + m$sigma^2 / 20, tolerance = 0.15)
  expect_identical(simulate(m, seed = 3), simulate(m, seed = 3))
})

test_that("simulate() draws counts, proportions and cbind responses for GLMMs", {
  dat <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat)
  s <- simulate(m, nsim = 2, seed = 1)
  expect_true(is.matrix(s$sim_1))
  expect_equal(unname(rowSums(s$sim_1)), dat$size)
  m2 <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  s2 <- simulate(m2, nsim = 300, seed = 2, re.form = NULL)
  expect_true(all(unlist(s2) >= 0 & unlist(s2) == round(unlist(s2))))
  mu <- fitted(m2)
  expect_equal(mean(rowMeans(s2)) / mean(mu), 1, tolerance = 0.05)
  # lme4's re.form naming the model's only term conditions on it, as re.form = NULL
  expect_identical(simulate(m2, seed = 5, re.form = ~ (1 | SA)), simulate(m2, seed = 5, re.form = NULL))
  expect_error(simulate(m2, re.form = ~ (1 | nonesuch)), "re.form")
})
