# test-infer_predict.R: standard errors of conditional predictions (R/prediction_se.R), compared
# with glmmTMB's predict(se.fit = TRUE) (tests/references/refs_infer.R, topic "infer").

refs <- stored_references("infer")

# The rows of nd_sleep / nd_cbpp / nd_bees in refs_infer.R.
nd_sleep <- data.frame(Days = c(0, 5, 9, 2), Subject = c("308", "new1", "309", "372"))
nd_cbpp <- data.frame(period = factor(c(1, 2, 4), levels = 1:4), herd = c("3", "7", "15"), size = 10)

test_that("sleepstudy (Days | Subject): conditional standard errors are glmmTMB's (ML and REML)", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  p <- predict(m, se.fit = TRUE)
  expect_equal(unname(p$se.fit), refs$sleep_ml$se, tolerance = 1e-5)
  expect_equal(unname(p$se.fit[1:3]), c(12.95, 11.07, 9.47), tolerance = 1e-3)   # the issue's numbers
  expect_equal(unname(p$fit), refs$sleep_ml$fit, tolerance = 1e-6)
  # new data, with a level not in the fit: its random effects' full variance
  pn <- predict(m, newdata = nd_sleep, se.fit = TRUE, allow.new.levels = TRUE)
  expect_equal(unname(pn$se.fit), refs$sleep_ml$se_new, tolerance = 1e-5)
  expect_equal(unname(pn$fit), refs$sleep_ml$fit_new, tolerance = 1e-6)
  # the response scale of a gaussian model is the link scale
  expect_equal(predict(m, newdata = nd_sleep, se.fit = TRUE, allow.new.levels = TRUE, type = "response"), pn)
  # population level: unchanged (x' V x)
  expect_equal(unname(predict(m, re.form = NA, se.fit = TRUE)$se.fit), refs$sleep_ml$se_pop, tolerance = 1e-5)
  r <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_equal(unname(predict(r, se.fit = TRUE)$se.fit), refs$sleep_reml$se, tolerance = 1e-5)
  expect_equal(unname(predict(r, newdata = nd_sleep, se.fit = TRUE, allow.new.levels = TRUE)$se.fit),
               refs$sleep_reml$se_new, tolerance = 1e-5)
})

test_that("REML population-level standard errors keep the fit's covariance (glmmTMB 1.1.5's are too small)", {
  sleep <- fixture_data("sleepstudy")
  r <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  X <- model.matrix(r)
  expect_equal(unname(predict(r, re.form = NA, se.fit = TRUE)$se.fit), unname(sqrt(rowSums((X %*% vcov(r)$cond) * X))))
  # glmmTMB 1.1.5 maps the random effects to 0 there, leaving beta's variance given b = 0
  expect_true(all(predict(r, re.form = NA, se.fit = TRUE)$se.fit > refs$sleep_reml$se_pop))
})

test_that("cbpp binomial: conditional standard errors on both scales are glmmTMB's", {
  cbpp <- fixture_data("cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  resp <- predict(m, se.fit = TRUE, type = "response")
  expect_equal(unname(resp$se.fit), refs$cbpp$se_response, tolerance = 1e-5)
  expect_equal(unname(resp$se.fit[1]), 0.0807, tolerance = 1e-3)   # the issue's number
  expect_equal(unname(resp$fit), refs$cbpp$fit_response, tolerance = 1e-6)
  expect_equal(unname(predict(m, se.fit = TRUE)$se.fit), refs$cbpp$se_link, tolerance = 1e-5)
  expect_equal(unname(predict(m, newdata = nd_cbpp, se.fit = TRUE)$se.fit), refs$cbpp$se_new_link, tolerance = 1e-5)
  expect_equal(unname(predict(m, newdata = nd_cbpp, se.fit = TRUE, type = "response")$se.fit),
               refs$cbpp$se_new_response, tolerance = 1e-5)
})

test_that("the chapter's models: y ~ x1 + (1 | groupID), nested blossoms, the nbinom2 bee model", {
  chapter <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter)
  expect_equal(unname(predict(m, se.fit = TRUE)$se.fit), refs$chapter_x1$se, tolerance = 1e-5)
  newx <- seq(min(chapter$x1), max(chapter$x1), length.out = 200)
  nd <- data.frame(x1 = newx, groupID = rep("Group5", 200))
  expect_equal(unname(predict(m, newdata = nd, se.fit = TRUE)$se.fit), refs$chapter_x1$se_group5, tolerance = 1e-5)
  dat <- blossoms_data()
  b <- glmm(UBW ~ LBW + (1 | pop/patch), data = dat)
  se <- predict(b, se.fit = TRUE)$se.fit
  expect_equal(unname(se[!is.na(se)]), refs$blossoms_nested$se, tolerance = 1e-5)
  bees <- eulaema_data()
  nb <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = bees)
  expect_equal(unname(predict(nb, se.fit = TRUE)$se.fit), refs$eulaema_nb2$se_link, tolerance = 1e-5)
  expect_equal(unname(predict(nb, se.fit = TRUE, type = "response")$se.fit), refs$eulaema_nb2$se_response, tolerance = 1e-5)
  nd <- data.frame(MAP = c(1500, 2500, 3500), SA = c("Cantareira", "Bertioga", "Belo_Horizonte"))
  expect_equal(unname(predict(nb, newdata = nd, se.fit = TRUE, type = "response")$se.fit),
               refs$eulaema_nb2$se_new_response, tolerance = 1e-5)
})

test_that("standard errors of a subset of the terms, missing values and na.action", {
  dat <- blossoms_data()
  b <- glmm(UBW ~ LBW + (1 | pop/patch), data = dat)
  nd <- dat[c(1, 30, 60), c("LBW", "pop", "patch")]
  nd$LBW <- c(10, NA, 12)
  all_terms <- predict(b, newdata = nd, se.fit = TRUE)
  expect_true(is.na(all_terms$se.fit[2]) && is.na(all_terms$fit[2]))
  expect_true(all(all_terms$se.fit[-2] > 0))
  pop_only <- predict(b, newdata = nd, se.fit = TRUE, re.form = ~ (1 | pop))
  none <- predict(b, newdata = nd, se.fit = TRUE, re.form = NA)
  # the term patch:pop adds its conditional variance
  expect_true(all(all_terms$se.fit[-2] > pop_only$se.fit[-2]))
  expect_true(all(is.finite(none$se.fit[-2])))
  dropped <- predict(b, newdata = nd, se.fit = TRUE, na.action = na.omit)
  expect_equal(unname(dropped$se.fit), unname(all_terms$se.fit[-2]))
})

test_that("conditional standard errors agree with a live glmmTMB fit", {
  skip_if_not_installed("glmmTMB")
  sleep <- fixture_data("sleepstudy")
  ref <- glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), sleep)
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_equal(unname(predict(m, se.fit = TRUE)$se.fit), unname(predict(ref, se.fit = TRUE)$se.fit), tolerance = 1e-5)
  cbpp <- fixture_data("cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  ref <- glmmTMB::glmmTMB(form, cbpp, family = binomial)
  m <- glmm(form, data = cbpp, family = binomial)
  expect_equal(unname(predict(m, se.fit = TRUE, type = "response")$se.fit),
               unname(predict(ref, se.fit = TRUE, type = "response")$se.fit), tolerance = 1e-5)
})
