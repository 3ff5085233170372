# test-infer_sandwich.R: cluster scores and sandwich covariances (R/sandwich.R) as glmmTMB (1.1.12
# and later) computes them (tests/references/refs_infer_sandwich.R, topic "infer_sandwich"), and
# getGroups() (R/get_groups.R).

refs <- stored_references("infer_sandwich")

expect_same_matrix <- function(ours, ref, tol = 1e-4) {
  expect_identical(unname(colnames(ours)), unname(colnames(ref)))
  expect_equal(unname(ours), unname(ref), tolerance = tol)
}

test_that("scores, meat and sandwich agree with glmmTMB's (binomial, gaussian, nbinom2)", {
  skip_if_not_installed("sandwich")
  cbpp <- fixture_data("cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_same_matrix(sandwich::estfun(m, full = TRUE), refs$cbpp$scores)
  expect_identical(rownames(sandwich::estfun(m)), levels(cbpp$herd))
  expect_same_matrix(sandwich::estfun(m), refs$cbpp$scores[, 1:4])
  expect_same_matrix(meatHC(m, full = TRUE), refs$cbpp$meat)
  expect_same_matrix(sandwich(m, full = TRUE), refs$cbpp$sandwich)
  expect_same_matrix(sandwich(m), refs$cbpp$sandwich[1:4, 1:4])
  expect_identical(sandwich::vcovHC(m), sandwich(m))
  expect_identical(sandwich::vcovHC(m, sandwich = FALSE, full = TRUE), meatHC(m, full = TRUE))
  # the sandwich package's scaling of the bread: G vcov
  expect_equal(sandwich::bread(m), 15 * vcov(m)$cond)
  expect_equal(sandwich::sandwich(m), vcov(m)$cond %*% meatHC(m) %*% vcov(m)$cond, ignore_attr = TRUE)
  sleep <- fixture_data("sleepstudy")
  s <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_same_matrix(sandwich::estfun(s, full = TRUE), refs$sleep_ml$scores, tol = 1e-4)
  expect_same_matrix(sandwich(s, full = TRUE), refs$sleep_ml$sandwich)
  sal <- fixture_data("Salamanders")
  nb <- glmm(count ~ mined + (1 | site), data = sal, family = nbinom2)
  expect_same_matrix(sandwich(nb, full = TRUE), refs$salamanders_nb2$sandwich)
  # the scores add up to the gradient of the log-likelihood: zero at the estimates
  expect_lt(max(abs(colSums(sandwich::estfun(nb, full = TRUE)))), 1e-3)
})

test_that("crossed random effects, REML fits and bad clusters", {
  skip_if_not_installed("sandwich")
  sal <- fixture_data("Salamanders")
  crossed <- glmm(count ~ mined + (1 | site) + (1 | spp), data = sal, family = poisson)
  expect_warning(sandwich::estfun(crossed), "the clusters are not independent")
  sleep <- fixture_data("sleepstudy")
  r <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_error(sandwich(r), "need an ML fit")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_error(sandwich(m, cluster = sleep$Subject[1:10]), "one value per observation of the fit \\(180\\), not 10")
  expect_error(sandwich::vcovHC(m, type = "HC3"), "only type = \"HC0\"")
  # an explicit cluster: the same grouping as a factor of another name
  expect_equal(sandwich(m, cluster = paste("s", sleep$Subject)), sandwich(m))
})

test_that("getGroups() gives glmmTMB's grouping factor", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  g <- getGroups(m)
  expect_identical(as.character(g), as.character(sleep$Subject))
  expect_identical(attr(g, "group"), "Subject")
  b <- glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data())
  expect_identical(attr(getGroups(b), "group"), "patch:pop")
  expect_identical(attr(getGroups(b, level = 2), "group"), "pop")
  expect_identical(getGroups(b, level = "pop"), getGroups(b, level = 2))
  expect_error(getGroups(b, level = 3), "`level` must be a number between 1 and 2")
})

test_that("cluster scores agree with a live glmmTMB fit (its estfun() computation)", {
  skip_if_not_installed("glmmTMB")
  skip_if_not_installed("sandwich")
  cbpp <- fixture_data("cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  ref <- glmmTMB::glmmTMB(form, cbpp, family = binomial)
  obj <- ref$obj
  w0 <- obj$env$data$weights
  par <- ref$fit$par
  scores <- t(vapply(levels(cbpp$herd), function(l) {
    obj$env$data$weights <- ifelse(cbpp$herd == l, w0, 0)
    obj$retape(set.defaults = FALSE)
    -obj$gr(par)
  }, numeric(length(par))))
  m <- glmm(form, data = cbpp, family = binomial)
  expect_equal(unname(sandwich::estfun(m, full = TRUE)), unname(scores), tolerance = 1e-4)
})
