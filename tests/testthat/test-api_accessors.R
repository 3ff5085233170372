# Accessors as glmmTMB has them (issue 13, item 4): weights(), formula()/model.frame() with
# fixed.only, update() removing part of a `||` term, `||` as one diagonal term everywhere, the
# ranef data frame, predictions for NA and new grouping levels, a grouping factor with one level.

refs <- stored_references("api")

test_that("weights(): the prior weights given (NULL without), working weights of GLMMs", {
  ss <- fixture_data("sleepstudy")
  ss$w <- rep(c(1, 2, 0.5), length.out = nrow(ss))
  m <- glmm(Reaction ~ Days + (1 | Subject), ss, weights = w)
  expect_equal(weights(m), refs$weights_tmb)
  expect_identical(is.null(weights(glmm(Reaction ~ Days + (1 | Subject), ss))), refs$weights_unweighted_tmb_is_null)
  expect_error(weights(m, type = "working"), "only available for GLMMs")
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  mu <- fitted(g)
  expect_equal(unname(weights(g, type = "working")), unname(cbpp$size * mu * (1 - mu)), tolerance = 1e-10)
  expect_error(weights(m, type = "other"), "should be one of")
  # glmmTMB 1.1.5 warns "unused arguments ignored: 'junk'" and returns the prior weights
  expect_warning(w_junk <- weights(m, junk = "abc"), "unused arguments ignored: 'junk'")
  expect_equal(w_junk, refs$weights_tmb)
  skip_if_not_installed("glmmTMB")
  t <- glmmTMB::glmmTMB(Reaction ~ Days + (1 | Subject), ss, weights = w)
  expect_true(any(grepl("unused arguments ignored", capture_warnings(weights(t, junk = "abc")))))   # (and a coercion warning of its own)
})

test_that("formula() and model.frame() with fixed.only, as glmmTMB and lme4", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  expect_equal(formula(m, fixed.only = TRUE), Reaction ~ Days, ignore_attr = TRUE)
  expect_equal(formula(m, random.only = TRUE), Reaction ~ (Days | Subject), ignore_attr = TRUE)
  expect_equal(formula(m), Reaction ~ Days + (Days | Subject), ignore_attr = TRUE)
  expect_equal(names(model.frame(m, fixed.only = TRUE)), refs$frame_fixed_lme4)
  expect_equal(names(model.frame(m)), c("Reaction", "Days", "Subject"))
  expect_error(formula(m, component = "zi"), "`component` must be \"cond\"")
  expect_error(formula(m, fixed.only = NA), "`fixed.only` must be TRUE or FALSE")
})

test_that("update(m, . ~ . - (0 + Days | Subject)) on a (Days || Subject) fit leaves (1 | Subject)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days || Subject), ss)
  u <- update(m, . ~ . - (0 + Days | Subject))
  expect_equal(formula(u), Reaction ~ Days + (1 | Subject), ignore_attr = TRUE)
  expect_lt(abs(u$loglik - refs$dbar_update_lme4), 1e-6)
  # other updates keep the || term as one term
  expect_length(update(m, . ~ . + I(Days^2))$re, 1L)
  expect_equal(update(m, REML = TRUE)$REML, TRUE)
})

test_that("(x || g) is one diagonal term in VarCorr, print, ranef, coef, tidy and object$re, as glmmTMB", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days || Subject), ss)
  ref <- refs$dbar_tmb
  expect_lt(abs(m$loglik - ref$logLik), 1e-6)
  expect_equal(attr(logLik(m), "df"), ref$df)
  expect_length(m$re, 1L)
  expect_equal(m$re[[1]]$structure, "diag")
  vc <- VarCorr(m)$cond
  expect_named(vc, "Subject")
  expect_equal(c(vc$Subject), ref$vc, tolerance = 1e-5)
  expect_equal(unname(attr(vc$Subject, "blockCode")), 0)
  out <- capture.output(print(m))
  expect_equal(sum(grepl("^ Subject", out)), 1L)
  expect_false(any(grepl("Subject.1", c(out, capture.output(summary(m))))))
  expect_equal(unname(as.matrix(ranef(m)$cond$Subject)), ref$ranef, tolerance = 1e-5)
  expect_named(coef(m)$cond, "Subject")
  cv <- attr(ranef(m)$cond$Subject, "condVar")
  expect_equal(dim(cv), c(2L, 2L, 18L))
  expect_true(all(is.na(cv[1, 2, ])))
  # diag(Days | Subject) is the same term
  d2 <- glmm(Reaction ~ Days + diag(Days | Subject), ss)
  expect_equal(d2$loglik, m$loglik, tolerance = 1e-10)
  expect_equal(c(VarCorr(d2)$cond$Subject), c(vc$Subject), tolerance = 1e-6)
  # as separate terms, (1 | Subject) + (0 + Days | Subject) stay two terms (glmmTMB's Subject, Subject.1)
  sep <- glmm(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), ss)
  expect_named(VarCorr(sep)$cond, c("Subject", "Subject.1"))
  expect_equal(sep$loglik, m$loglik, tolerance = 1e-8)
  if (requireNamespace("broom.mixed", quietly = TRUE) && requireNamespace("generics", quietly = TRUE)) {
    td <- as.data.frame(generics::tidy(m, effects = "ran_pars"))
    expect_equal(td$term, refs$dbar_tidy_tmb$term)
    expect_equal(td$group, refs$dbar_tidy_tmb$group)
    expect_equal(td$estimate, refs$dbar_tidy_tmb$estimate, tolerance = 1e-5)
  }
})

test_that("as.data.frame(ranef(m)) has glmmTMB's columns, component first", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  df <- as.data.frame(ranef(m))
  expect_named(df, refs$ranef_df_names_tmb)
  ref <- refs$ranef_df_head_tmb
  expect_equal(df$component[1:3], ref$component)
  expect_equal(as.character(df$term[1:3]), as.character(ref$term))
  expect_equal(as.character(df$grp[1:3]), as.character(ref$grp))
  expect_equal(df$condval[1:3], ref$condval, tolerance = 1e-5)
})

test_that("newdata: an NA grouping value gives the population prediction, new levels too (with glmmTMB's warning)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  nd <- data.frame(Days = c(1, 2, 3, 4), Subject = c(NA, "308", "new", "309"))
  expect_warning(p <- predict(m, nd), "Predicting new random effect levels for terms: \\(Days \\| Subject\\)")
  expect_equal(unname(p), refs$predict_na_new_tmb, tolerance = 1e-6)
  expect_silent(p2 <- predict(m, nd, allow.new.levels = TRUE))
  expect_equal(p2, p)
  pop <- predict(m, nd, re.form = NA)
  expect_equal(p[c(1, 3)], pop[c(1, 3)])
  # a fixed-effect factor with a new level cannot be predicted
  g1 <- glmm(Reaction ~ Days + Subject, ss)
  expect_error(predict(g1, data.frame(Days = 1, Subject = "new")), "Prediction is not possible for unknown fixed effects")
})

test_that("a grouping factor with one level is fitted with its variance at 0 and the singular-fit message", {
  ss <- fixture_data("sleepstudy")
  ss$pop <- "A"
  expect_message(m <- glmm(Reaction ~ Days + (1 | pop), ss), "boundary \\(singular\\) fit")
  ref <- refs$one_level_tmb
  expect_lt(abs(m$loglik - ref$logLik), 1e-4)
  expect_equal(fixef(m)$cond, ref$beta, tolerance = 1e-6)
  expect_lt(attr(VarCorr(m)$cond$pop, "stddev"), 1e-3)
  expect_lt(abs(m$loglik - refs$lm_ml_logLik_lm), 1e-6)   # the model of lm()
  expect_true(isSingular(m))
  expect_message(gm <- glmm(round(Reaction) ~ Days + (1 | pop), ss, family = poisson), "singular")
  expect_lt(abs(gm$loglik - as.numeric(logLik(glm(round(Reaction) ~ Days, poisson, ss)))), 1e-4)
})

test_that("fixef() has glmmTMB's components cond, zi and disp (its log dispersion) for every family, and prints as glmmTMB", {
  ss <- fixture_data("sleepstudy")
  cbpp <- fixture_data("cbpp")
  ss$rr <- round(ss$Reaction)
  shapes <- stored_references("fixef_shape")
  fits <- list(gaussian = glmm(Reaction ~ Days + (1 | Subject), ss),
               gaussian_reml = glmm(Reaction ~ Days + (1 | Subject), ss, REML = TRUE),
               binomial = glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial),
               nbinom2 = glmm(rr ~ Days + (1 | Subject), ss, family = nbinom2),
               Gamma = glmm(Reaction ~ Days + (1 | Subject), ss, family = Gamma(link = "log")),
               noRE = glmm(Reaction ~ Days, ss))
  for (nm in names(fits)) {
    f <- fixef(fits[[nm]])
    ref <- shapes[[nm]]
    expect_identical(names(f), c("cond", "zi", "disp"))
    expect_equal(f$cond, ref$cond, tolerance = 1e-4, label = paste(nm, "cond"))
    expect_identical(f$zi, ref$zi)
    expect_identical(names(f$disp), ref$disp_names, label = paste(nm, "disp names"))
    expect_equal(unname(f$disp), unname(ref$disp), tolerance = 1e-5, label = paste(nm, "disp"))
  }
  # printed as glmmTMB prints it: the trivial zi and intercept-only disp left out unless asked for
  out <- capture.output(print(fixef(fits$gaussian)))
  expect_true(any(grepl("Conditional model", out)))
  expect_false(any(grepl("Dispersion model|Zero-inflation", out)))
  expect_true(any(grepl("Dispersion model", capture.output(print(fixef(fits$gaussian), print_trivials = TRUE)))))
  # bootMer(m, fixef) bootstraps the fixed effects it prints
  b <- bootMer(fits$gaussian, fixef, nsim = 2, seed = 1)
  expect_identical(colnames(b$t), c("cond.(Intercept)", "cond.Days"))
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    live <- glmmTMB::glmmTMB(rr ~ Days + (1 | Subject), ss, family = glmmTMB::nbinom2)
    expect_equal(unname(fixef(fits$nbinom2)$disp), unname(glmmTMB::fixef(live)$disp), tolerance = 1e-5)
  }
})
