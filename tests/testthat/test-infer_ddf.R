# test-infer_ddf.R: Satterthwaite's and Kenward-Roger's degrees of freedom (R/ddf.R) in
# summary(), anova(), dof_satt() and dof_KR(), compared with lmerTest and pbkrtest
# (tests/references/refs_infer_ddf.R, topic "infer_ddf").

refs <- stored_references("infer_ddf")

# The unbalanced sleepstudy of refs_infer_ddf.R: 25 rows dropped, a subject-level factor f.
sleep_unbalanced <- function() {
  sleep <- fixture_data("sleepstudy")
  drop <- withr::with_seed(3, sample(nrow(sleep), 25))
  d <- sleep[-drop, ]
  k <- as.integer(d$Subject) %% 3
  d$f <- factor(ifelse(k == 0, "a", ifelse(k == 1, "b", "c")))
  d
}

# Same table: df and statistics to `tol` relative (the peers' numerical derivatives and
# estimates differ from ours in the fifth digit), same columns.
expect_same_table <- function(ours, ref, tol = 1e-4) {
  ours <- as.matrix(as.data.frame(ours))
  expect_identical(colnames(ours), colnames(ref))
  expect_identical(rownames(ours), rownames(ref))
  expect_equal(unname(ours), unname(ref), tolerance = tol)
}

test_that("Satterthwaite t tests are lmerTest's (REML and ML)", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_same_table(summary(m, ddf = "Satterthwaite")$coefficients$cond, refs$sleep_reml$satt)
  expect_identical(summary(m, ddf = "satterthwaite")$coefficients, summary(m, ddf = "Satterthwaite")$coefficients)
  ml <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_same_table(summary(ml, ddf = "Satterthwaite")$coefficients$cond, refs$sleep_ml$satt)
  d <- sleep_unbalanced()
  u <- glmm(Reaction ~ Days * f + (Days | Subject), data = d, REML = TRUE)
  expect_same_table(summary(u, ddf = "Satterthwaite")$coefficients$cond, refs$unbalanced_reml$satt)
  expect_equal(dof_satt(u), unname(refs$unbalanced_reml$satt[, "df"]), tolerance = 1e-4)
  L <- rbind(c(0, 1, 0, 0, 1, 0), c(0, 0, 1, -1, 0, 0))
  expect_equal(dof_satt(u, L), unname(refs$unbalanced_reml$satt_contrast), tolerance = 1e-4)
  u_ml <- glmm(Reaction ~ Days * f + (Days | Subject), data = d)
  expect_same_table(summary(u_ml, ddf = "Satterthwaite")$coefficients$cond, refs$unbalanced_ml$satt)
  expect_same_table(summary(glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data(), REML = TRUE), ddf = "Satterthwaite")$coefficients$cond,
                    refs$chapter_reml$satt)
  expect_same_table(summary(glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data(), REML = TRUE), ddf = "Satterthwaite")$coefficients$cond,
                    refs$blossoms_reml$satt)
})

test_that("Kenward-Roger t tests, df and adjusted covariance are pbkrtest's", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_same_table(summary(m, ddf = "Kenward-Roger")$coefficients$cond, refs$sleep_reml$kr)
  kr <- dof_KR(m)
  expect_equal(as.numeric(kr), unname(refs$sleep_reml$kr[, "df"]), tolerance = 1e-5)
  expect_equal(attr(kr, "vcov"), refs$sleep_reml$kr_vcov, tolerance = 1e-4, ignore_attr = TRUE)
  u <- glmm(Reaction ~ Days * f + (Days | Subject), data = sleep_unbalanced(), REML = TRUE)
  expect_same_table(summary(u, ddf = "Kenward-Roger")$coefficients$cond, refs$unbalanced_reml$kr)
  expect_equal(attr(dof_KR(u), "vcov"), refs$unbalanced_reml$kr_vcov, tolerance = 1e-4, ignore_attr = TRUE)
  expect_equal(unname(attr(dof_KR(u), "se")), unname(refs$unbalanced_reml$kr[, "Std. Error"]), tolerance = 1e-4)
  expect_same_table(summary(glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data(), REML = TRUE), ddf = "kenward-roger")$coefficients$cond,
                    refs$chapter_reml$kr)
  expect_same_table(summary(glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data(), REML = TRUE), ddf = "Kenward-Roger")$coefficients$cond,
                    refs$blossoms_reml$kr)
})

test_that("anova() F tests are lmerTest's (types III and I; Satterthwaite and Kenward-Roger)", {
  d <- sleep_unbalanced()
  u <- glmm(Reaction ~ Days * f + (Days | Subject), data = d, REML = TRUE)
  a3 <- anova(u, ddf = "Satterthwaite")
  expect_s3_class(a3, "anova")
  expect_match(attr(a3, "heading"), "Type III Analysis of Variance Table with Satterthwaite's method")
  expect_same_table(a3, refs$unbalanced_reml$anova3)
  expect_same_table(anova(u, ddf = "Satterthwaite", type = "I"), refs$unbalanced_reml$anova1)
  expect_same_table(anova(u, ddf = "Kenward-Roger"), refs$unbalanced_reml$kr_anova3)
  u_ml <- glmm(Reaction ~ Days * f + (Days | Subject), data = d)
  expect_same_table(anova(u_ml, ddf = "Satterthwaite"), refs$unbalanced_ml$anova3)
  expect_same_table(anova(u_ml, ddf = "Satterthwaite", type = 1), refs$unbalanced_ml$anova1)
  b <- glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data(), REML = TRUE)
  expect_same_table(anova(b, ddf = "Satterthwaite"), refs$blossoms_reml$anova3)
  expect_same_table(anova(b, ddf = "Kenward-Roger"), refs$blossoms_reml$kr_anova3)
  # the printed summary says which method
  expect_output(print(summary(u, ddf = "Satterthwaite")), "t tests use Satterthwaite's method")
  # without ddf: as before (Wald chi-square)
  expect_identical(colnames(anova(u)), c("Df", "Chisq", "Pr(>Chisq)"))
})

test_that("bad arguments and models get clear errors", {
  sleep <- fixture_data("sleepstudy")
  ml <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_error(summary(ml, ddf = "Kenward-Roger"), "needs a REML fit")
  expect_error(dof_KR(ml), "refit with REML = TRUE")
  expect_error(summary(ml, ddf = "normal"), "`ddf` must be")
  expect_error(anova(ml, ddf = "Satterthwaite", type = "II"), "type II tests are not available")
  expect_error(dof_satt(ml, L = c(1, 2, 3)), "`L` must be a numeric matrix of contrasts with 2 columns")
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_error(summary(g, ddf = "Satterthwaite"), "are for linear mixed models")
  expect_warning(anova(ml, glmm(Reaction ~ 1 + (Days | Subject), data = sleep), ddf = "Satterthwaite"),
                 "likelihood-ratio tests between models do not use it")
})

test_that("degrees of freedom agree with live lmerTest and pbkrtest fits", {
  skip_if_not_installed("lmerTest")
  skip_if_not_installed("pbkrtest")
  d <- sleep_unbalanced()
  l <- suppressMessages(lmerTest::lmer(Reaction ~ Days * f + (Days | Subject), d))
  u <- glmm(Reaction ~ Days * f + (Days | Subject), data = d, REML = TRUE)
  expect_equal(unname(summary(u, ddf = "Satterthwaite")$coefficients$cond[, "df"]),
               unname(summary(l)$coefficients[, "df"]), tolerance = 1e-4)
  expect_equal(as.numeric(dof_KR(u)), unname(summary(l, ddf = "Kenward-Roger")$coefficients[, "df"]), tolerance = 1e-4)
  expect_equal(anova(u, ddf = "Satterthwaite")[["DenDF"]], anova(l)[["DenDF"]], tolerance = 1e-4)
})
