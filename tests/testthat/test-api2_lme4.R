# lme4 features added for lme4's own test suite (tests/compat/run_peer_suites.R): glmer's
# nAGQ = 0 and lattice's dotplot()/qqmath() of ranef() and qqmath() of a fit.
# Stored numbers: tests/references/refs_api2_lme4.R.

refs <- stored_references("api2_lme4")

test_that("nAGQ = 0 gives lme4's estimates: beta from the penalized IRLS problem, theta from the Laplace deviance", {
  cbpp <- fixture_data("cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, nAGQ = 0)
  expect_equal(fixef(m)$cond, refs$cbpp_q0_beta, tolerance = 1e-5)
  expect_equal(unname(m$theta), refs$cbpp_q0_theta, tolerance = 1e-4)
  expect_equal(sqrt(diag(vcov(m)$cond)), refs$cbpp_q0_se, tolerance = 1e-4)
  # glmmlab's theta is the better optimum: its Laplace log-likelihood is at least lme4's
  expect_gte(as.numeric(logLik(m)), refs$cbpp_q0_logLik - 1e-8)
  expect_equal(as.numeric(logLik(m)), refs$cbpp_q0_logLik, tolerance = 1e-5)
  # the estimates differ from the Laplace fit's (beta is not optimized in the outer loop)
  m1 <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  expect_gt(max(abs(fixef(m1)$cond - fixef(m)$cond)), 1e-4)
  expect_gte(as.numeric(logLik(m1)), as.numeric(logLik(m)))
  expect_identical(m$nAGQ, 0L)
  # a random slope: lme4 stops on the boundary; glmmlab's optimum has the higher log-likelihood
  ss <- fixture_data("sleepstudy")
  ss$count <- round(ss$Reaction / 10)
  p <- suppressMessages(glmm(count ~ Days + (Days | Subject), ss, family = poisson, nAGQ = 0))
  expect_gt(as.numeric(logLik(p)), refs$ss_q0_logLik)
  expect_equal(fixef(p)$cond, refs$ss_q0_beta, tolerance = 0.02)
  # influence() and refits (bootstrap) keep nAGQ = 0
  expect_s3_class(influence(m), "influence.glmmlab")
  expect_identical(refit(m, simulate(m, seed = 1)[[1]])$nAGQ, 0L)
  skip_if_not_installed("lme4")
  g <- lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, nAGQ = 0)
  expect_equal(fixef(m)$cond, lme4::fixef(g), tolerance = 1e-5)
  expect_gte(as.numeric(logLik(m)), as.numeric(logLik(g)) - 1e-8)
})

test_that("nAGQ = 0 is refused with a clear error where it is undefined", {
  cbpp <- fixture_data("cbpp")
  expect_error(glmm(cbind(incidence, size - incidence) ~ period, cbpp, family = binomial, nAGQ = 0), "needs random effects")
  expect_error(glmm(incidence ~ period + (1 | herd), cbpp, family = nbinom2, nAGQ = 0), "dispersion parameter")
  expect_error(glmm(incidence ~ period + (1 | herd), cbpp, family = poisson, nAGQ = -1), "between 0 and 100")
})

test_that("lattice dotplot() and qqmath() of ranef() draw lme4's modes and intervals, one trellis object per grouping factor", {
  skip_if_not_installed("lattice")
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = TRUE)
  dp <- lattice::dotplot(ranef(m), scales = list(x = list(relation = "free")))
  expect_named(dp, "Subject")
  expect_s3_class(dp$Subject, "trellis")
  expect_equal(as.numeric(dp$Subject$panel.args[[1]]$x), refs$ss_dotplot_x1, tolerance = 1e-5)
  lower <- dp$Subject$panel.args.common$lower
  upper <- dp$Subject$panel.args.common$upper
  expect_equal(upper - lower, 2 * qnorm(0.975) * c(refs$ss_condsd), tolerance = 1e-4)
  expect_equal((upper + lower) / 2, c(refs$ss_modes), tolerance = 1e-5)
  # transf applies to the modes and the interval ends
  de <- lattice::dotplot(ranef(m), transf = exp)$Subject
  expect_equal(de$panel.args.common$lower, exp(lower), tolerance = 1e-12)
  qq <- lattice::qqmath(ranef(m))
  expect_s3_class(qq$Subject, "trellis")
  expect_equal(sort(qq$Subject$panel.args[[2]]$x), sort(refs$ss_modes[, 2]), tolerance = 1e-5, ignore_attr = TRUE)
  q <- lattice::qqmath(m, id = 0.05, idLabels = ~Subject)
  expect_s3_class(q, "trellis")
  expect_equal(q$panel.args[[1]]$x, unname(residuals(m, type = "pearson") / sigma(m)), tolerance = 1e-12, ignore_attr = TRUE)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_silent(print(dp$Subject))
  expect_silent(print(qq$Subject))
  expect_silent(print(q))
  expect_error(lattice::qqmath(m, id = 2), "`id`")
  expect_error(lattice::dotplot(ranef(m), level = 1.5), "`level`")
  skip_if_not_installed("lme4")
  l <- lme4::lmer(Reaction ~ Days + (Days | Subject), ss)
  expect_equal(as.numeric(dp$Subject$panel.args[[1]]$x),
               as.numeric(lattice::dotplot(lme4::ranef(l, condVar = TRUE))$Subject$panel.args[[1]]$x), tolerance = 1e-5)
})

test_that("bootMer() has lme4's interface and returns a \"boot\" object; the semiparametric bootstrap draws lme4's numbers", {
  dye <- fixture_data("Dyestuff")
  m5 <- glmm(Yield ~ 1 | Batch, dye, REML = TRUE)
  set.seed(1)
  b <- bootMer(m5, function(f) fixef(f)$cond, nsim = 100, use.u = TRUE, type = "semiparametric")
  expect_s3_class(b, "boot")
  expect_equal(sd(b$t), refs$dye_semipar_sd, tolerance = 1e-6)
  expect_equal(as.numeric(head(b$t, 5)), refs$dye_semipar_t_head, tolerance = 1e-6)
  expect_equal(unname(b$t0), refs$dye_semipar_t0, tolerance = 1e-6)
  expect_identical(attr(b, "bootFail"), 0L)
  expect_identical(b$R, 100L)
  # parametric: a seed reproduces the replicates; re.form = ~ (1 | batch) conditions on that term only
  P <- fixture_data("Pastes")
  fm3 <- glmm(strength ~ (1 | batch/cask), P, REML = TRUE)
  b1 <- bootMer(fm3, function(f) fixef(f)$cond, nsim = 3, seed = 5)
  b2 <- bootMer(fm3, function(f) fixef(f)$cond, nsim = 3, seed = 5)
  expect_identical(b1$t, b2$t)
  expect_equal(dim(bootMer(fm3, predict, re.form = ~ (1 | batch), nsim = 2)$t), c(2L, nrow(P)))
  # lme4's own call, bootMer(m5, fixef, ...): glmmTMB's list-valued fixef() is flattened
  set.seed(1)
  b_fixef <- bootMer(m5, fixef, nsim = 100, use.u = TRUE, type = "semiparametric")
  expect_equal(sd(b_fixef$t), refs$dye_semipar_sd, tolerance = 1e-6)
  expect_identical(colnames(b_fixef$t), "cond.(Intercept)")
  expect_error(bootMer(m5, function(f) "a", nsim = 2), "numeric vector or a list of numeric vectors")
  expect_error(bootMer(m5, function(f) fixef(f)$cond, nsim = 2, type = "semiparametric"), "use.u = TRUE")
  expect_error(bootMer(m5, function(f) fixef(f)$cond, nsim = 0), "`nsim`")
  # a GLMM; failed refits are counted
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), fixture_data("cbpp"), family = binomial)
  bg <- bootMer(g, function(f) fixef(f)$cond, nsim = 3, seed = 1)
  expect_true(all(is.finite(bg$t)))
  bad <- function(f) if (identical(f, g)) 1 else stop("no")
  expect_warning(bf <- bootMer(g, bad, nsim = 2, seed = 1), "failed \\(2/2\\)")
  expect_identical(attr(bf, "bootFail"), 2L)
  skip_if_not_installed("boot")
  ci <- boot::boot.ci(b, type = "perc")
  expect_true(ci$percent[4] < refs$dye_semipar_t0 && refs$dye_semipar_t0 < ci$percent[5])
  skip_if_not_installed("lme4")
  l5 <- lme4::lmer(Yield ~ 1 | Batch, dye)
  set.seed(1)
  bl <- lme4::bootMer(l5, lme4::fixef, nsim = 100, use.u = TRUE, type = "semiparametric")
  expect_equal(sd(b$t), sd(bl$t), tolerance = 1e-6)
})

test_that("simulate(re.form = ~ (1 | g)) keeps the fitted random effects of the named terms and draws the others (lme4)", {
  P <- fixture_data("Pastes")
  m <- glmm(strength ~ (1 | batch/cask), P, REML = TRUE)
  s_new <- simulate(m, seed = 3, re.form = NA)[[1]]
  s_batch <- simulate(m, seed = 3, re.form = ~ (1 | batch))[[1]]
  # the same draws: the difference is the fitted minus the drawn batch effect, constant within batch
  d <- s_batch - s_new
  expect_true(all(tapply(d, P$batch, function(v) diff(range(v))) < 1e-10))
  expect_gt(sd(tapply(d, P$batch, mean)), 0)
  expect_identical(simulate(m, seed = 3, re.form = ~0), simulate(m, seed = 3, re.form = NA))
  expect_error(simulate(m, re.form = ~ (1 | foo)), "not in the model")
  expect_error(simulate(m, re.form = ~ (1 | batch), newdata = P), "newdata")
})

test_that("plot(m, form) draws lme4's lattice plot of a formula in `.` and the data; resid(scaled = TRUE) is lme4's", {
  skip_if_not_installed("lattice")
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = TRUE)
  expect_equal(unname(resid(m, scaled = TRUE)), refs$ss_resid_scaled, tolerance = 1e-5)
  expect_equal(resid(m, scaled = TRUE), resid(m) / sigma(m))
  p <- plot(m, resid(., scaled = TRUE) ~ fitted(.) | Subject, abline = 0)
  expect_s3_class(p, "trellis")
  expect_equal(as.numeric(p$panel.args[[1]]$x), refs$ss_plot_panel1_x, tolerance = 1e-6)
  expect_equal(as.numeric(p$panel.args[[1]]$y), refs$ss_plot_panel1_y, tolerance = 1e-5)
  expect_s3_class(plot(m, Reaction ~ Days), "trellis")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_silent(print(p))
  expect_error(plot(m, ~ fitted(.)), "both sides")
  expect_error(plot(m, resid(.) ~ fitted(.)[1:3]), "observations")
  expect_error(resid(m, scaled = NA), "scaled")
  # the default plot stays the base-graphics residual plot
  expect_s3_class(plot(m), "data.frame")
})
