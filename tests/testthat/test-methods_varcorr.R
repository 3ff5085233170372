# test-methods_varcorr.R: VarCorr() in glmmTMB's layout, its printed table and lme4's data-frame
# form. Printed numbers are the course chapter's (glmmTMB 1.1.5); other references come from
# stored_references("core") (tests/references/refs_core.R) or live lme4/glmmTMB fits.

test_that("VarCorr() has glmmTMB's structure: $cond, one matrix per term, stddev/correlation/sc", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  vc <- VarCorr(m)
  expect_s3_class(vc, "VarCorr.glmmlab")
  expect_named(vc, "cond")
  expect_named(vc$cond, "groupID")
  S <- vc$cond$groupID
  expect_identical(dimnames(S), list("(Intercept)", "(Intercept)"))
  expect_named(attr(S, "stddev"), "(Intercept)")
  expect_equal(attr(S, "correlation"), matrix(1, 1, 1, dimnames = dimnames(S)))
  expect_equal(unname(attr(S, "stddev")^2), S[1, 1])
  expect_true(attr(vc$cond, "useSc"))
})

test_that("chapter y ~ 1 + (1|groupID): among/within-group variances as the chapter prints them", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  VarAmongGroups <- attr(VarCorr(m)$cond$groupID, "stddev")^2
  VarWithinGroups <- attr(VarCorr(m)$cond, "sc")^2
  # chapter: VarAmongGroups prints "(Intercept) 9.204914"; percent among groups 43.6801
  expect_named(VarAmongGroups, "(Intercept)")
  expect_identical(round(unname(VarAmongGroups), 6), 9.204914)
  expect_identical(round(unname(VarAmongGroups / (VarAmongGroups + VarWithinGroups) * 100), 4), 43.6801)
  # chapter summary: Variance 9.205 / 11.869, Std.Dev. 3.034 / 3.445
  expect_identical(round(VarWithinGroups, 3), 11.869)
  expect_identical(round(unname(attr(VarCorr(m)$cond$groupID, "stddev")), 3), 3.034)
  expect_identical(round(attr(VarCorr(m)$cond, "sc"), 3), 3.445)
  ref <- stored_references("core")$chapter_intercept_tmb
  expect_equal(VarCorr(m)$cond$groupID, ref$vc$groupID, tolerance = 1e-5, ignore_attr = TRUE)
  expect_equal(attr(VarCorr(m)$cond, "sc"), ref$sigma, tolerance = 1e-6)
})

test_that("chapter y ~ x1 + (1|groupID): variances 10.576 and 4.081, SDs 3.252 and 2.020", {
  vc <- VarCorr(glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data()))
  expect_identical(round(vc$cond$groupID[1, 1], 3), 10.576)
  expect_identical(round(unname(attr(vc$cond$groupID, "stddev")), 3), 3.252)
  expect_identical(round(attr(vc$cond, "sc")^2, 3), 4.081)
  expect_identical(round(attr(vc$cond, "sc"), 3), 2.020)
})

test_that("blossoms (1|pop/patch): terms named patch:pop and pop, with the chapter's variances", {
  dat <- blossoms_data()
  vc0 <- VarCorr(glmm(UBW ~ 1 + (1 | pop / patch), data = dat))
  expect_named(vc0$cond, c("patch:pop", "pop"))
  # chapter: patch:pop 3.238 / 1.800, pop 1.143 / 1.069, Residual 4.463 / 2.113
  expect_identical(round(vapply(vc0$cond, function(S) S[1, 1], 0), 3), c("patch:pop" = 3.238, pop = 1.143))
  expect_identical(round(vapply(vc0$cond, attr, 0, "stddev"), 3), c("patch:pop" = 1.800, pop = 1.069))
  expect_identical(round(c(attr(vc0$cond, "sc")^2, attr(vc0$cond, "sc")), 3), c(4.463, 2.113))
  vc1 <- VarCorr(glmm(UBW ~ LBW + (1 | pop / patch), data = dat))
  # chapter: patch:pop 0.2255 / 0.4749, pop 0.1045 / 0.3233, Residual 1.0128 / 1.0064
  expect_identical(round(vapply(vc1$cond, function(S) S[1, 1], 0), 4), c("patch:pop" = 0.2255, pop = 0.1045))
  expect_identical(round(vapply(vc1$cond, attr, 0, "stddev"), 4), c("patch:pop" = 0.4749, pop = 0.3233))
  expect_identical(round(c(attr(vc1$cond, "sc")^2, attr(vc1$cond, "sc")), 4), c(1.0128, 1.0064))
})

test_that("print(VarCorr()) reproduces the chapter's table, with comp = Std.Dev./Variance", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  out <- capture.output(print(VarCorr(m)))
  # chapter (glmmTMB 1.1.5): VarCorr(m)
  expect_identical(out, c("", "Conditional model:", " Groups   Name        Std.Dev.",
                          " groupID  (Intercept) 3.0340  ", " Residual             3.4451  "))
  expect_output(print(VarCorr(m), comp = "Variance"), "groupID  (Intercept)  9.2049", fixed = TRUE)
  expect_output(print(VarCorr(m), comp = c("Variance", "Std.Dev.")), "Residual             11.8686  3.4451", fixed = TRUE)
  capture.output(shown <- withVisible(print(VarCorr(m))))
  expect_false(shown$visible)
  expect_error(print(VarCorr(m), comp = "SD"), "comp")
})

test_that("correlated terms: stddev, correlation and the Corr column", {
  m <- glmm(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"))
  S <- VarCorr(m)$cond$Subject
  ref <- stored_references("core")$sleep_slope_ml_tmb$vc$Subject
  expect_equal(unclass(S)[, ], ref, tolerance = 1e-4, ignore_attr = TRUE)
  expect_equal(attr(S, "stddev"), sqrt(diag(ref)), tolerance = 1e-4)
  expect_equal(attr(S, "correlation"), stats::cov2cor(ref), tolerance = 1e-3)
  # glmmTMB 1.1.5 prints: "          Days         5.7168  0.081"
  expect_output(print(VarCorr(m)), "Subject  (Intercept) 23.7806", fixed = TRUE)
  expect_output(print(VarCorr(m)), "Days         5.7168  0.081", fixed = TRUE)
})

test_that("a grouping factor in several terms, (1 | Subject) + (0 + Days | Subject), gives Subject and Subject.1", {
  m <- glmm(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), data = fixture_data("sleepstudy"))   # (Days || Subject) is one term
  vc <- VarCorr(m)
  expect_named(vc$cond, c("Subject", "Subject.1"))
  ref <- stored_references("core")$sleep_diag_ml_tmb
  expect_equal(vc$cond$Subject[1, 1], ref$vc$Subject[1, 1], tolerance = 1e-4)
  expect_equal(vc$cond$Subject.1[1, 1], ref$vc$Subject.1[1, 1], tolerance = 1e-4)
  expect_equal(attr(vc$cond, "sc"), ref$sigma, tolerance = 1e-5)
})

test_that("VarCorr() agrees with glmmTMB (stored, then a live fit): names, SDs, sc", {
  dat <- blossoms_data()
  m <- glmm(UBW ~ LBW + (1 | pop / patch), data = dat)
  ref <- stored_references("core_methods")
  expect_identical(names(VarCorr(m)$cond), ref$blossoms_lbw_tmb_varcorr_names)
  expect_equal(lapply(VarCorr(m)$cond, attr, "stddev"), ref$blossoms_lbw_tmb_stddev, tolerance = 1e-4)
  expect_equal(attr(VarCorr(m)$cond, "sc"), ref$blossoms_lbw_tmb_sc, tolerance = 1e-5)
  expect_identical(capture.output(print(VarCorr(m))), ref$blossoms_lbw_tmb_print_varcorr)
  skip_if_not_installed("glmmTMB")
  tmb <- glmmTMB::glmmTMB(UBW ~ LBW + (1 | pop / patch), data = dat)
  expect_identical(names(VarCorr(m)$cond), names(glmmTMB::VarCorr(tmb)$cond))
  expect_equal(lapply(VarCorr(m)$cond, attr, "stddev"), lapply(glmmTMB::VarCorr(tmb)$cond, attr, "stddev"), tolerance = 1e-4)
  expect_equal(attr(VarCorr(m)$cond, "sc"), attr(glmmTMB::VarCorr(tmb)$cond, "sc"), tolerance = 1e-5)
  expect_identical(capture.output(print(VarCorr(m))), capture.output(print(glmmTMB::VarCorr(tmb))))
})

test_that("as.data.frame(VarCorr()) matches lme4's on sleepstudy (Days | Subject), ML", {
  m <- glmm(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"))
  ours <- as.data.frame(VarCorr(m))
  ref <- stored_references("core_methods")   # lme4 1.1-31 at its own optimum
  theirs <- ref$sleep_slope_ml_lme4_varcorr_df
  expect_identical(names(ours), c("grp", "var1", "var2", "vcov", "sdcor"))
  expect_identical(as.list(ours[c("grp", "var1", "var2")]), theirs[c("grp", "var1", "var2")])
  expect_equal(ours$vcov, theirs$vcov, tolerance = 1e-3)
  expect_equal(ours$sdcor, theirs$sdcor, tolerance = 1e-3)
  expect_identical(ours$grp[4], "Residual")
  expect_true(is.na(ours$var1[4]))
  lower <- as.data.frame(VarCorr(m), order = "lower.tri")
  expect_identical(as.list(lower[c("grp", "var1", "var2")]), ref$sleep_slope_ml_lme4_varcorr_df_lower)
  skip_if_not_installed("lme4")
  fit_lme4 <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"), REML = FALSE)
  ours <- as.data.frame(VarCorr(m))
  theirs <- as.data.frame(lme4::VarCorr(fit_lme4))
  expect_identical(names(ours), c("grp", "var1", "var2", "vcov", "sdcor"))
  expect_identical(ours[c("grp", "var1", "var2")], theirs[c("grp", "var1", "var2")])
  expect_equal(ours$vcov, theirs$vcov, tolerance = 1e-3)
  expect_equal(ours$sdcor, theirs$sdcor, tolerance = 1e-3)
  expect_identical(ours$grp[4], "Residual")
  expect_true(is.na(ours$var1[4]))
  lower <- as.data.frame(VarCorr(m), order = "lower.tri")
  expect_identical(lower[c("grp", "var1", "var2")],
                   as.data.frame(lme4::VarCorr(fit_lme4), order = "lower.tri")[c("grp", "var1", "var2")])
})

test_that("as.data.frame(VarCorr()) orders a 3 x 3 term as lme4 does", {
  d <- fixture_data("sleepstudy")
  d$Days2 <- (d$Days - 4.5)^2 / 10
  m <- glmm(Reaction ~ Days + (Days + Days2 | Subject), data = d)
  ref <- stored_references("core_methods")   # lme4 1.1-31
  expect_identical(as.list(as.data.frame(VarCorr(m), order = "cov.last")[c("grp", "var1", "var2")]), ref$sleep_3x3_lme4_varcorr_order_cov_last)
  expect_identical(as.list(as.data.frame(VarCorr(m), order = "lower.tri")[c("grp", "var1", "var2")]), ref$sleep_3x3_lme4_varcorr_order_lower_tri)
  skip_if_not_installed("lme4")
  fit_lme4 <- suppressMessages(suppressWarnings(
    lme4::lmer(Reaction ~ Days + (Days + Days2 | Subject), data = d, REML = FALSE)))
  for (ord in c("cov.last", "lower.tri")) {
    expect_identical(as.data.frame(VarCorr(m), order = ord)[c("grp", "var1", "var2")],
                     as.data.frame(lme4::VarCorr(fit_lme4), order = ord)[c("grp", "var1", "var2")])
  }
})

test_that("VarCorr is nlme's generic, re-exported, and dispatches with lme4 and glmmTMB loaded", {
  expect_identical(glmmlab::VarCorr, nlme::VarCorr)
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  expect_s3_class(nlme::VarCorr(m), "VarCorr.glmmlab")
  skip_if_not_installed("lme4")
  skip_if_not_installed("glmmTMB")
  expect_s3_class(lme4::VarCorr(m), "VarCorr.glmmlab")
  expect_s3_class(glmmTMB::VarCorr(m), "VarCorr.glmmlab")
})

test_that("families without a residual: no Residual row; sc holds the dispersion (glmmTMB)", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  # a stand-in for an nbinom2 fit: glmmTMB 1.1.5 puts sigma(m) = 1.87 in sc with useSc = FALSE
  m$family <- list(family = "nbinom2", link = "log")
  m$sigma <- 1.867928
  m$dispersion <- 1.867928
  vc <- VarCorr(m)
  expect_false(attr(vc$cond, "useSc"))
  expect_identical(attr(vc$cond, "sc"), 1.867928)
  expect_false(any(grepl("Residual", capture.output(print(vc)))))
  expect_false("Residual" %in% as.data.frame(vc)$grp)
  m$family <- list(family = "poisson", link = "log")
  m$sigma <- NA_real_
  m$dispersion <- NULL
  expect_identical(attr(VarCorr(m)$cond, "sc"), 1)
})
