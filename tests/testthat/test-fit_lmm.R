# Linear mixed models against stored lme4 / glmmTMB references (stored_references("core"), tests/references/refs_core.R), and
# against live fits when those packages are installed.

lmm_cases <- list(
  list(ref = "chapter_intercept_tmb", data = "chapter_sim", formula = y ~ 1 + (1 | groupID)),
  list(ref = "chapter_x1_tmb", data = "chapter_sim", formula = y ~ x1 + (1 | groupID)),
  list(ref = "blossoms_intercept_tmb", data = "blossoms", formula = UBW ~ 1 + (1 | pop/patch)),
  list(ref = "blossoms_lbw_tmb", data = "blossoms", formula = UBW ~ LBW + (1 | pop/patch)),
  list(ref = "sleep_slope_ml_tmb", data = "lme4::sleepstudy", formula = Reaction ~ Days + (Days | Subject)),
  list(ref = "sleep_slope_reml_lme4", data = "lme4::sleepstudy", formula = Reaction ~ Days + (Days | Subject), REML = TRUE),
  # lme4 writes (Days || Subject) as the two terms below (Subject, Subject.1); glmm() keeps (Days || Subject) one
  # diagonal term as glmmTMB does (test-api_accessors.R)
  list(ref = "sleep_diag_ml_lme4", data = "lme4::sleepstudy", formula = Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), se = FALSE),
  list(ref = "sleep_diag_reml_lme4", data = "lme4::sleepstudy", formula = Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), REML = TRUE),
  list(ref = "sleep_slopeonly_ml_tmb", data = "lme4::sleepstudy", formula = Reaction ~ Days + (0 + Days | Subject)),
  list(ref = "sleep_slopeonly_reml_lme4", data = "lme4::sleepstudy", formula = Reaction ~ Days + (0 + Days | Subject), REML = TRUE),
  list(ref = "penicillin_ml_tmb", data = "lme4::Penicillin", formula = diameter ~ 1 + (1 | plate) + (1 | sample)),
  list(ref = "penicillin_reml_lme4", data = "lme4::Penicillin", formula = diameter ~ 1 + (1 | plate) + (1 | sample), REML = TRUE),
  list(ref = "pastes_ml_tmb", data = "lme4::Pastes", formula = strength ~ 1 + (1 | batch/cask)),
  list(ref = "pastes_reml_lme4", data = "lme4::Pastes", formula = strength ~ 1 + (1 | batch/cask), REML = TRUE),
  list(ref = "dyestuff2_ml_lme4", data = "lme4::Dyestuff2", formula = Yield ~ 1 + (1 | Batch), se = FALSE),
  list(ref = "dyestuff2_reml_lme4", data = "lme4::Dyestuff2", formula = Yield ~ 1 + (1 | Batch), REML = TRUE),
  list(ref = "sleep_weights_ml_lme4", data = "sleepstudy_w", formula = Reaction ~ Days + (1 | Subject), weights = "w", se = FALSE),
  list(ref = "sleep_weights_reml_lme4", data = "sleepstudy_w", formula = Reaction ~ Days + (1 | Subject), weights = "w", REML = TRUE),
  list(ref = "sleep_offset_ml_tmb", data = "lme4::sleepstudy", formula = Reaction ~ Days + (1 | Subject) + offset(Days * 2)),
  list(ref = "sleep_offset_reml_lme4", data = "lme4::sleepstudy", formula = Reaction ~ Days + (1 | Subject) + offset(Days * 2), REML = TRUE),
  list(ref = "cake_reml_lme4", data = "lme4::cake", formula = angle ~ recipe * temperature + (1 | recipe:replicate), REML = TRUE)
)

# Fit one case of the table above.
fit_case <- function(case, family = gaussian()) {
  dat <- reference_data(case$data)
  args <- list(formula = case$formula, data = dat, REML = isTRUE(case$REML), family = family)
  if (!is.null(case$weights)) args$weights <- dat[[case$weights]]
  do.call(glmm, args)
}

for (case in lmm_cases) {
  test_that(paste("LMM matches reference", case$ref), {
    ref <- stored_references("core")[[case$ref]]
    m <- suppressMessages(fit_case(case))   # Dyestuff2 is singular: tested below
    expect_s3_class(m, "glmmlab")
    # lme4's REML SEs are conditional on theta, as ours; ML SEs follow glmmTMB's joint Hessian
    expect_matches_reference(m, ref, tol_ll = 1e-6, rel_tol = 2e-4, se = !identical(case$se, FALSE))
  })
}

test_that("log-likelihoods agree with lme4's (stored) to 1e-6", {
  for (case in lmm_cases) {
    ref <- stored_references("core")[[sub("_tmb$", "_lme4", case$ref)]]   # the same model fitted by lme4 1.1-31
    m <- suppressMessages(fit_case(case))
    # ours may only be better (higher) where lme4 stops early; never worse by more than 1e-6
    expect_gt(m$loglik - ref$logLik, -1e-6, label = case$ref)
    expect_lt(abs(m$loglik - ref$logLik), 1e-5, label = case$ref)
  }
})

test_that("ML log-likelihoods agree with live lme4 fits to 1e-6", {
  skip_if_not_installed("lme4")
  for (case in lmm_cases) {
    dat <- reference_data(case$data)
    args <- list(formula = case$formula, data = dat, REML = isTRUE(case$REML))
    if (!is.null(case$weights)) args$weights <- dat[[case$weights]]
    fit_lme4 <- suppressMessages(do.call(lme4::lmer, args))
    m <- suppressMessages(fit_case(case))
    # ours may only be better (higher) where lme4 stops early; never worse by more than 1e-6
    expect_gt(m$loglik - as.numeric(logLik(fit_lme4)), -1e-6)
    expect_lt(abs(m$loglik - as.numeric(logLik(fit_lme4))), 1e-5)
  }
})

test_that("the chapter's gaussian models print the chapter's numbers", {
  m0 <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  expect_equal(round(AIC(m0), 1), 1096.4)
  expect_equal(round(BIC(m0), 1), 1106.3)
  expect_equal(round(m0$cov_re$groupID[1], 3), 9.205)
  expect_equal(round(m0$sigma^2, 3), 11.869)
  expect_equal(round(sqrt(m0$vcov[1]), 4), 0.9899)
  m1 <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  expect_equal(round(AIC(m1), 1), 896.5)
  expect_equal(round(unname(m1$beta), 4), c(23.8343, 1.4528))
  expect_equal(round(unname(sqrt(diag(m1$vcov))), 4), c(1.3018, 0.0764))
  m2 <- glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data())
  expect_equal(round(AIC(m2), 1), 626.9)
  expect_equal(round(unname(m2$beta), 5), c(2.83757, 0.82670))
  expect_equal(round(unname(sqrt(diag(m2$vcov))), 5), c(0.58859, 0.02924))
  expect_equal(round(m2$cov_re[["patch:pop"]][1], 4), 0.2255)
  expect_equal(m2$nobs, 202L)
})

test_that("a boundary fit converges to variance 0 and is reported as singular", {
  expect_message(m <- glmm(Yield ~ 1 + (1 | Batch), data = reference_data("lme4::Dyestuff2")),
                 "boundary \\(singular\\) fit: a variance of 'Batch'")
  expect_true(m$optinfo$singular)
  expect_lt(abs(m$theta), 1e-6)
})

test_that("the profiled deviance is invariant to shifting y by a multiple of X", {
  dat <- chapter_sim_data()
  m1 <- glmm(y ~ x1 + (1 | groupID), data = dat)
  dat$y <- dat$y + 1e4 + 3 * dat$x1
  m2 <- glmm(y ~ x1 + (1 | groupID), data = dat)
  expect_lt(abs(m2$loglik - m1$loglik), 1e-8)
  expect_equal(unname(m2$beta - m1$beta), c(1e4, 3), tolerance = 1e-8)
})

test_that("conditional modes of crossed and nested models match lmer's (stored)", {
  ref <- stored_references("core_methods")   # lme4 1.1-31 at its own optimum
  for (case in list(list(data = "lme4::Penicillin", ref = "penicillin_ml_lme4_ranef", formula = diameter ~ 1 + (1 | plate) + (1 | sample)),
                    list(data = "lme4::Pastes", ref = "pastes_ml_lme4_ranef", formula = strength ~ 1 + (1 | batch/cask)))) {
    m <- glmm(case$formula, data = reference_data(case$data))
    ours <- ranef(m)$cond
    theirs <- ref[[case$ref]]
    expect_setequal(names(ours), names(theirs))
    for (g in names(theirs)) {
      expect_equal(ours[[g]][names(theirs[[g]]), 1], unname(theirs[[g]]), tolerance = 1e-4, label = paste(case$data, g))
    }
  }
})

test_that("conditional modes of crossed and nested models match live lmer fits", {
  skip_if_not_installed("lme4")
  cases <- list(list(data = "lme4::Penicillin", formula = diameter ~ 1 + (1 | plate) + (1 | sample)),
                list(data = "lme4::Pastes", formula = strength ~ 1 + (1 | batch/cask)))
  for (case in cases) {
    dat <- reference_data(case$data)
    m <- glmm(case$formula, data = dat)
    f <- lme4::lmer(case$formula, data = dat, REML = FALSE)
    # lme4's b in its own term order and level order, matched by group name and level
    ours <- ranef(m)$cond   # glmmTMB's layout
    theirs <- lme4::ranef(f)
    for (g in names(theirs)) {
      expect_equal(ours[[g]][rownames(theirs[[g]]), 1], theirs[[g]][[1]], tolerance = 1e-4, label = paste(case$data, g))
    }
  }
})

test_that("InstEval's model (73,421 rows, three crossed terms) reaches lmer's optimum", {
  skip_on_cran()
  skip_if_not(identical(Sys.getenv("GLMMLAB_TEST_LARGE"), "true"), "set GLMMLAB_TEST_LARGE=true (lmer needs ~15 s)")
  dat <- reference_data("lme4::InstEval")
  f <- y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept)
  m <- glmm(f, data = dat)
  # lme4 1.1-31: logLik(lmer(f, InstEval, REML = FALSE)) = -118860.884387942 (79 evaluations)
  expect_gt(m$loglik - (-118860.884387942), -1e-6)
  skip_if_not_installed("lme4")
  fit <- lme4::lmer(f, data = dat, REML = FALSE)
  expect_gt(m$loglik - as.numeric(stats::logLik(fit)), -1e-6)
  expect_lt(abs(m$loglik - as.numeric(stats::logLik(fit))), 1e-4)
})

test_that("precision weights scaled by 1e10 or 1e20 give the same fit, on the weights' scale", {
  d <- withr::with_seed(2, {
    d <- data.frame(g = factor(rep(1:8, each = 10)), x = rnorm(80))
    d$y <- d$x + rnorm(8)[d$g] + rnorm(80)
    d
  })
  w <- rep(c(1, 2), 40)
  # lme4 1.1-31: f <- lmer(y ~ x + (1 | g), d, weights = w, REML = FALSE)
  #   logLik(f) -132.325467122616; getME(f, "theta") 0.897026099008262; sigma(f) 1.32299915558614
  # (lmer with w * 1e20 ends at a boundary fit, logLik -153.39173009651, theta 0)
  for (s in c(1, 1e10, 1e20)) {
    m <- glmm(y ~ x + (1 | g), d, weights = w * s)
    expect_lt(abs(m$loglik - (-132.325467122616)), 1e-6)
    expect_equal(m$theta * sqrt(s), 0.897026099008262, tolerance = 1e-5)   # theta scales as 1/sqrt(s)
    expect_equal(m$sigma / sqrt(s), 1.32299915558614, tolerance = 1e-6)
    expect_false(m$optinfo$singular)
    expect_true(m$optinfo$status > 0)
  }
})
