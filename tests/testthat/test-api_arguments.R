# glmm()'s arguments from glmmTMB and lme4 (issue 13, item 3): contrasts, start (glmmTMB's and
# lme4's forms), `.` in the formula, family lists, pkg::fun() terms, the peers' neutral arguments
# and control objects; each with a clear error for a wrong value.

refs <- stored_references("api")

test_that("contrasts = list(f = \"contr.sum\") gives glmmTMB's fit; wrong values are errors naming them", {
  grouse <- fixture_data("grouseticks")
  m <- glmm(TICKS ~ YEAR * cHEIGHT + (1 | BROOD), grouse, family = nbinom2, contrasts = list(YEAR = "contr.sum"))
  ref <- refs$contrasts_tmb
  expect_lt(abs(m$loglik - ref$logLik), 1e-4)
  expect_equal(fixef(m)$cond, ref$beta, tolerance = 1e-4)
  expect_equal(sqrt(diag(vcov(m)$cond)), ref$se, tolerance = 1e-3)
  expect_equal(attr(model.matrix(m), "contrasts")$YEAR, "contr.sum")
  # predictions for new data use the fit's contrasts
  nd <- data.frame(YEAR = factor(c("96", "97"), levels = levels(grouse$YEAR)), cHEIGHT = 0)
  expect_equal(unname(predict(m, nd, re.form = NA)),
               unname(drop(model.matrix(~ YEAR * cHEIGHT, nd, contrasts.arg = list(YEAR = "contr.sum")) %*% fixef(m)$cond)))
  expect_error(glmm(TICKS ~ YEAR + (1 | BROOD), grouse, family = poisson, contrasts = "contr.sum"), "`contrasts` must be a named list")
  expect_error(glmm(TICKS ~ YEAR + (1 | BROOD), grouse, family = poisson, contrasts = list(HEIGHT = "contr.sum")),
               "`contrasts` names 'HEIGHT', not a factor")
  expect_error(glmm(TICKS ~ YEAR + (1 | BROOD), grouse, family = poisson, contrasts = list(YEAR = "contr.nonesuch")),
               "`contrasts` could not be applied")
  expect_error(glmm(TICKS ~ YEAR + (1 | BROOD), grouse, family = poisson, contrasts = list(YEAR = 3)), "`contrasts` for 'YEAR'")
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    live <- glmmTMB::glmmTMB(TICKS ~ YEAR * cHEIGHT + (1 | BROOD), grouse, family = glmmTMB::nbinom2, contrasts = list(YEAR = "contr.sum"))
    expect_lt(abs(m$loglik - as.numeric(logLik(live))), 1e-4)
  }
})

test_that("start = list(beta, theta, betad) in glmmTMB's parametrization starts at glmmTMB's values", {
  ss <- fixture_data("sleepstudy")
  cbpp <- fixture_data("cbpp")
  grouse <- fixture_data("grouseticks")
  # with a single evaluation the fit stays at its start: glmmTMB's estimates, so the translation is exact
  at_start <- glmm_control(maxeval = 1)
  par <- refs$start_us_tmb$par   # beta (2), betad, theta (log SDs, correlation parameter)
  m <- suppressWarnings(glmm(Reaction ~ Days + (Days | Subject), ss, start = list(beta = par[1:2], betad = par[3], theta = par[4:6]),
                             control = at_start))
  expect_equal(c(m$cov_re$Subject), c(refs$start_us_tmb$vc), tolerance = 1e-6)
  # from glmmTMB's optimum the fit ends at it
  m2 <- glmm(Reaction ~ Days + (Days | Subject), ss, start = list(beta = par[1:2], betad = par[3], theta = par[4:6]))
  expect_lt(abs(m2$loglik - refs$start_us_tmb$logLik), 1e-6)
  pb <- refs$start_binom_tmb$par   # beta (4), theta
  b <- suppressWarnings(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial,
                             start = list(beta = pb[1:4], theta = pb[5]), control = glmm_control(maxeval = 1, optimizer = "bobyqa")))
  expect_equal(fixef(b)$cond, refs$start_binom_tmb$beta, tolerance = 1e-6)
  expect_equal(sqrt(b$cov_re$herd[1, 1]), exp(pb[5]), tolerance = 1e-6)
  pn <- refs$start_nb2_tmb$par   # beta (4), betad = log size, theta
  nb <- glmm(TICKS ~ YEAR + cHEIGHT + (1 | BROOD), grouse, family = nbinom2, start = list(beta = pn[1:4], betad = pn[5], theta = pn[6]))
  expect_lt(abs(nb$loglik - refs$start_nb2_tmb$logLik), 1e-4)
  expect_equal(sigma(nb), refs$start_nb2_tmb$sigma, tolerance = 1e-4)
})

test_that("lme4's numeric start and list(theta, fixef) are lme4's theta, in lme4's order of terms", {
  pen <- fixture_data("Penicillin")
  ref <- refs$getME_reorder_lme4$theta   # lme4 puts plate (24 levels) before sample (6)
  at_start <- glmm_control(maxeval = 1)
  m <- suppressWarnings(glmm(diameter ~ (1 | sample) + (1 | plate), pen, REML = TRUE, start = unname(ref), control = at_start))
  expect_equal(getME(m, "theta"), ref, tolerance = 1e-8)
  m2 <- suppressWarnings(glmm(diameter ~ (1 | sample) + (1 | plate), pen, REML = TRUE,
                              start = list(theta = unname(ref), fixef = 22.97), control = at_start))
  expect_equal(unname(m2$theta), unname(ref[c(2, 1)]), tolerance = 1e-8)
})

test_that("bad start values are errors naming the element", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + (1 | g), d, start = list(beta = 1)), "start\\$beta has length 1, the model has 2 fixed effects")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(betad = c(1, 2))), "start\\$betad has length 2")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(b = 1)), "unknown element of `start`: b")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(1)), "unknown element of `start`")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(beta = c(1, 2), fixef = c(1, 2))), "both `beta`")
  expect_error(glmm(y ~ x + (1 | g), d, start = c(1, 2)), "start\\$theta has length 2, the model has 1 variance")
  expect_error(glmm(y ~ x + (1 | g), d, start = "a"), "`start` must be a list")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(beta = c(1, NA))), "`start\\$beta` must be a numeric vector of finite values")
})

test_that("`.` stands for the other columns of data, as in lme4", {
  ss <- fixture_data("sleepstudy")[c("Reaction", "Days", "Subject")]
  m <- glmm(Reaction ~ . - Subject + (1 | Subject), ss)
  expect_lt(abs(m$loglik - refs$dot_lme4$logLik), 1e-6)
  expect_equal(fixef(m)$cond, refs$dot_lme4$beta, tolerance = 1e-6)
  expect_equal(deparse(formula(m)), "Reaction ~ Days + (1 | Subject)")
  expect_error(glmm(Reaction ~ . + (1 | Subject), list(Reaction = ss$Reaction, Days = ss$Days, Subject = ss$Subject)),
               "`data` must be a data frame")
})

test_that("family = list(family, link) and splines::ns() terms work", {
  ss <- fixture_data("sleepstudy")
  # accepted with glmmTMB's deprecation warning
  expect_warning(a <- glmm(round(Reaction) ~ Days + (1 | Subject), ss, family = list(family = "poisson", link = "log")),
                 "plain list is deprecated")
  b <- glmm(round(Reaction) ~ Days + (1 | Subject), ss, family = poisson)
  expect_equal(a$loglik, b$loglik)
  expect_equal(family(a)$family, "poisson")
  expect_error(glmm(Reaction ~ Days, ss, family = list(family = "poisson", link = "nonesuch")), "`family\\$link` 'nonesuch' is not available")
  expect_error(glmm(Reaction ~ Days, ss, family = list(link = "log")), "needs an element `family`")
  expect_error(glmm(Reaction ~ Days, ss, family = list(family = "compois")), "unknown family 'compois'")
  if (requireNamespace("glmmTMB", quietly = TRUE)) {   # glmmTMB warns the same way
    w <- capture_warnings(glmmTMB::glmmTMB(round(Reaction) ~ Days + (1 | Subject), ss, family = list(family = "poisson", link = "log")))
    expect_true(any(grepl("plain list is deprecated", w)))
  }
  n <- glmm(Reaction ~ splines::ns(Days, 3) + (1 | Subject), ss)
  expect_lt(abs(n$loglik - refs$ns_tmb$logLik), 1e-6)
  expect_equal(fixef(n)$cond, refs$ns_tmb$beta, tolerance = 1e-5)
  expect_equal(unname(predict(n, newdata = data.frame(Days = 0:1), re.form = NA)),
               unname(fitted(glmm(Reaction ~ splines::ns(Days, 3), ss))[1:2]), tolerance = 1e-3)
})

test_that("glmmTMB's and lme4's other arguments at neutral values, and their control objects, are accepted", {
  ss <- fixture_data("sleepstudy")
  ref <- glmm(Reaction ~ Days + (1 | Subject), ss)
  same <- glmm(Reaction ~ Days + (1 | Subject), ss, ziformula = ~0, dispformula = ~1, se = TRUE, sparseX = c(cond = TRUE),
               doFit = TRUE, map = NULL, devFunOnly = FALSE)
  expect_equal(same$loglik, ref$loglik)
  # ziformula and dispformula are glmm()'s own arguments (issue 16): what they cannot do is an error
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, ziformula = ~1), "zero-inflation \\(`ziformula`\\) is not available for family gaussian")
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, dispformula = ~ Days + (1 | Subject)), "random effects in `dispformula`")
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, dispformula = ~Days, REML = TRUE), "REML = TRUE is not available with `ziformula` or `dispformula`")
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, doFit = FALSE), "`doFit = FALSE` is not available")
  expect_true(is.function(glmm(Reaction ~ Days + (1 | Subject), ss, devFunOnly = TRUE)))   # lme4's (test-compat_form.R)
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, devFunOnly = "yes"), "`devFunOnly` must be TRUE or FALSE")
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, sparseX = "yes"), "`sparseX` must be TRUE or FALSE")
  expect_error(glmm(Reaction ~ Days + (1 | Subject), ss, nonsense = 1), "unused argument 'nonsense'")
  expect_error(glmm(Reaction ~ Days + cs(1 | Subject), ss), "covariance structure cs\\(\\) is not available")
  tmb_control <- list(optCtrl = list(iter.max = 300, eval.max = 400), profile = FALSE, rank_check = "warning")
  expect_equal(glmm(Reaction ~ Days + (1 | Subject), ss, control = tmb_control)$loglik, ref$loglik)
  lme4_control <- structure(list(optimizer = "nloptwrap", optCtrl = list()), class = c("lmerControl", "merControl"))
  expect_equal(glmm(Reaction ~ Days + (1 | Subject), ss, control = lme4_control)$loglik, ref$loglik)
})

test_that("`$` in the formula and a missing `data` give glmmTMB's warnings, and the same fit", {
  ss <- fixture_data("sleepstudy")
  ref <- refs$lm_ml_tmb
  expect_warning(m1 <- glmm(Reaction ~ ss$Days, data = ss), "'\\$' operator in formulas is not recommended")
  expect_lt(abs(m1$loglik - ref$logLik), 1e-6)
  Reaction <- ss$Reaction
  Days <- ss$Days
  expect_warning(m2 <- glmm(Reaction ~ Days), "'data' argument is recommended")
  expect_lt(abs(m2$loglik - ref$logLik), 1e-6)
  expect_no_warning(m3 <- glmm(Reaction ~ Days, data = NULL))
  expect_equal(m3$loglik, m2$loglik)
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    expect_warning(live <- glmmTMB::glmmTMB(Reaction ~ ss$Days, data = ss), "is not recommended")
    expect_lt(abs(m1$loglik - as.numeric(logLik(live))), 1e-6)
    expect_warning(glmmTMB::glmmTMB(Reaction ~ Days), "is recommended")
  }
})
