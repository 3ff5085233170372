# test-confint.R: Wald and profile confidence intervals (R/confint.R).

# lme4 1.1-31: confint(lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE), method = "profile")
ref_profile_sleep_slope <- rbind(
  .sig01 = c(14.3814811165, 37.716018740),
  .sig02 = c(-0.4815004432, 0.684986139),
  .sig03 = c(3.8011647624, 8.753366659),
  .sigma = c(22.8982662150, 28.857997323),
  "(Intercept)" = c(237.6806954694, 265.129514692),
  Days = c(7.3586532953, 13.575918741))
# lme4 1.1-31: confint(lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE), method = "profile")
# (lme4 gives the same numbers for the REML fit: it profiles the ML deviance)
ref_profile_sleep_int <- rbind(
  .sig01 = c(26.007120448, 52.93598353),
  .sigma = c(27.813847208, 34.59104986),
  "(Intercept)" = c(231.992326372, 270.81788347),
  Days = c(8.886550958, 12.04802096))
# lme4 1.1-31: confint(lmer(y ~ x1 + (1 | groupID), chapter_sim_data(), REML = FALSE), method = "profile")
ref_profile_chapter <- rbind(
  .sig01 = c(2.193250254, 5.464364186),
  .sigma = c(1.832800587, 2.241534731),
  "(Intercept)" = c(21.158613636, 26.496676312),
  x1 = c(1.302238759, 1.603232965))
# glmmTMB 1.1.5: confint(glmmTMB(Reaction ~ Days + (Days | Subject), sleepstudy))[1:2, 1:2]
ref_wald_sleep_slope <- rbind("(Intercept)" = c(238.4061082274, 264.4041621964), Days = c(7.5229476102, 13.4115975484))
# glmmTMB 1.1.5: confint(glmmTMB(y ~ x1 + (1 | groupID), chapter_sim_data()), level = 0.9)[1:2, 1:2]
ref_wald_chapter_90 <- rbind("(Intercept)" = c(21.693003864, 25.975583336), x1 = c(1.327125645, 1.578454518))

# Same intervals to 3 significant digits (relative 5e-4 of each limit, or of the
# interval's width for limits near zero).
expect_same_interval <- function(ours, ref) {
  expect_identical(rownames(ours), rownames(ref))
  expect_identical(colnames(ours), c("2.5 %", "97.5 %"))
  width <- ref[, 2] - ref[, 1]
  scale <- pmax(abs(ref), width)
  expect_true(all(abs(unname(ours) - unname(ref)) <= 5e-4 * scale), info = paste(capture.output(print(ours - ref)), collapse = "\n"))
}

test_that("profile intervals of scalar-term LMMs agree with lme4", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), data = sleep)
  expect_same_interval(confint(m, method = "profile"), ref_profile_sleep_int)
  m_reml <- glmm(Reaction ~ Days + (1 | Subject), data = sleep, REML = TRUE)
  expect_same_interval(confint(m_reml, method = "profile"), ref_profile_sleep_int)
  chapter <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  expect_same_interval(confint(chapter, method = "profile"), ref_profile_chapter)
})

test_that("profile intervals of a correlated-slopes LMM agree with lme4", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_same_interval(confint(m, method = "profile"), ref_profile_sleep_slope)
  # the fit is left as it was
  expect_equal(ranef(m)$cond$Subject, ranef(glmm(Reaction ~ Days + (Days | Subject), data = sleep))$cond$Subject)
})

test_that("profile intervals agree with lme4's (stored, then a live fit)", {
  sleep <- reference_data("lme4::sleepstudy")
  ours <- confint(glmm(Reaction ~ Days + (Days | Subject), data = sleep), method = "profile")
  expect_same_interval(ours, stored_references("core_methods")$sleep_slope_ml_lme4_profile)
  skip_if_not_installed("lme4")
  fit <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
  ref <- suppressMessages(lme4::confint.merMod(fit, method = "profile", quiet = TRUE))
  ours <- confint(glmm(Reaction ~ Days + (Days | Subject), data = sleep), method = "profile")
  expect_same_interval(ours, ref)
})

test_that("parm selects intervals by name, position and group, and level moves them", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), data = sleep)
  sig <- confint(m, parm = c(".sigma"), method = "profile")
  expect_equal(sig, ref_profile_sleep_int[".sigma", , drop = FALSE], tolerance = 5e-4, ignore_attr = TRUE)
  expect_identical(rownames(confint(m, parm = "theta_", method = "profile")), c(".sig01", ".sigma"))
  expect_identical(rownames(confint(m, parm = 3:4, method = "profile")), c("(Intercept)", "Days"))
  wide <- confint(m, parm = "Days", level = 0.99, method = "profile")
  expect_identical(colnames(wide), c("0.5 %", "99.5 %"))
  expect_lt(wide[1, 1], ref_profile_sleep_int["Days", 1])
  expect_gt(wide[1, 2], ref_profile_sleep_int["Days", 2])
})

test_that("Wald intervals of the fixed effects agree with glmmTMB's", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  fixed <- confint(m, parm = "beta_", estimate = FALSE)
  expect_equal(fixed, ref_wald_sleep_slope, tolerance = 1e-5, ignore_attr = TRUE)
  expect_identical(dimnames(fixed), list(c("(Intercept)", "Days"), c("2.5 %", "97.5 %")))
  expect_equal(confint(m, method = "Wald", parm = "beta_", estimate = FALSE), fixed)   # lme4's spelling
  chapter <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  expect_equal(confint(chapter, level = 0.9)[1:2, 1:2], ref_wald_chapter_90, tolerance = 1e-5, ignore_attr = TRUE)
  expect_identical(colnames(confint(chapter, level = 0.9)), c("5 %", "95 %", "Estimate"))
  # estimate +- z SE by construction
  se <- sqrt(diag(vcov(m)$cond))
  expect_equal(confint(m)[1:2, 2], fixef(m)$cond + qnorm(0.975) * se)
})

test_that("Wald intervals agree with glmmTMB's, also for a GLMM (stored, then a live fit)", {
  sleep <- reference_data("lme4::sleepstudy")
  refs <- stored_references("core_methods")   # glmmTMB 1.1.5's confint() tables
  expect_equal(confint(glmm(Reaction ~ Days + (Days | Subject), data = sleep)), refs$sleep_slope_ml_tmb_confint, tolerance = 1e-5)
  cbpp <- reference_data("lme4::cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  expect_equal(confint(glmm(form, data = cbpp, family = binomial)), refs$cbpp_binom_tmb_confint, tolerance = 1e-4)
  skip_if_not_installed("glmmTMB")
  ref <- confint(glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), sleep))
  expect_equal(confint(glmm(Reaction ~ Days + (Days | Subject), data = sleep)), ref, tolerance = 1e-5)
  cbpp <- reference_data("lme4::cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  ours <- confint(glmm(form, data = cbpp, family = binomial))
  ref <- confint(glmmTMB::glmmTMB(form, data = cbpp, family = binomial))
  expect_equal(ours, ref, tolerance = 1e-4)
})

test_that("profile() gives zeta 0 at the estimate and +-z at the interval's ends", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), data = sleep)
  pr <- profile(m, which = c(".sig01", "Days"), level = 0.95, npoints = 5)
  expect_s3_class(pr, "profile.glmmlab")
  expect_identical(unique(pr$.par), c(".sig01", "Days"))
  days <- pr[pr$.par == "Days", ]
  expect_equal(days$.zeta[days$.value == fixef(m)$cond[["Days"]]], 0)
  expect_equal(range(days$.zeta), c(-1, 1) * qnorm(0.975), tolerance = 1e-5)
  expect_equal(range(days$.value), unname(ref_profile_sleep_int["Days", ]), tolerance = 5e-4)
  expect_true(all(diff(days$.zeta) > 0))
})

test_that("bad arguments get clear errors", {
  cbpp <- reference_data("lme4::cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_identical(rownames(confint(g)), c(names(fixef(g)$cond), "Std.Dev.(Intercept)|herd"))
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), data = sleep)
  expect_error(confint(m, level = 1.5), "`level` must be")
  expect_error(confint(m, parm = "nope"), "unknown parameter in `parm`: nope")
  expect_error(confint(m, parm = ".sigma"), "unknown parameter in `parm`: .sigma")
  expect_error(confint(m, parm = "nope", method = "profile"), "unknown parameter\\(s\\) in `parm`: nope")
  expect_error(confint(m, parm = 9, method = "profile"), "`parm` positions must be between 1 and 4")
  expect_error(confint(m, method = "jackknife"), "should be one of")
})

# lme4 1.1-31: confint(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial),
#   method = "profile")
ref_profile_cbpp <- rbind(
  .sig01 = c(0.346073203325, 1.099974648238),
  "(Intercept)" = c(-1.901211954871, -0.947754005963),
  period2 = c(-1.616783255654, -0.407763067760),
  period3 = c(-1.801024365627, -0.511536071275),
  period4 = c(-2.500750563008, -0.800755315285))

test_that("profile intervals of a binomial GLMM agree with lme4 (Laplace)", {
  cbpp <- reference_data("lme4::cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_same_interval(confint(g, method = "profile"), ref_profile_cbpp)
  pr <- profile(g, which = "period2", npoints = 5)
  expect_equal(range(pr$.zeta), c(-1, 1) * qnorm(0.995), tolerance = 1e-5)
  expect_true(all(diff(pr$.zeta) > 0))
  # the fit is left as it was
  expect_equal(fitted(g), fitted(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)))
})

test_that("GLMM profiles of a correlated-slopes term and a dispersion agree with lme4 / bracket the estimates", {
  skip_on_cran()
  set.seed(4)
  g <- factor(rep(1:25, each = 12))
  x <- rep(seq(-1, 1, length.out = 12), 25)
  b0 <- rnorm(25, 0, 0.6)
  b1 <- rnorm(25, 0, 0.4)
  d <- data.frame(y = rpois(300, exp(1 + 0.5 * x + b0[g] + b1[g] * x)), x, g)
  d$z <- rgamma(300, shape = 3, rate = 3 / exp(0.5 + 0.3 * x + b0[g] / 2))
  m <- glmm(y ~ x + (x | g), data = d, family = poisson)
  # lme4 1.1-31: confint(glmer(y ~ x + (x | g), d, poisson), method = "profile")
  ref <- rbind(.sig01 = c(0.34696388, 0.64849881), .sig02 = c(-0.26138457, 0.64864692),
               .sig03 = c(0.25095849, 0.56266338), "(Intercept)" = c(1.06516292, 1.46759741),
               x = c(0.24456446, 0.61864757))
  expect_same_interval(confint(m, method = "profile", parm = c(".sig02", ".sig03", "x")), ref[c(".sig02", ".sig03", "x"), ])
  # Gamma: lme4 cannot profile its scale; the interval brackets sigma() and is close to the bootstrap's
  m2 <- glmm(z ~ x + (1 | g), data = d, family = Gamma(link = "log"))
  ci <- confint(m2, method = "profile")
  expect_identical(rownames(ci), c(".sig01", ".sigma", "(Intercept)", "x"))
  expect_true(all(ci[, 1] < c(sqrt(m2$cov_re$g[1, 1]), sigma(m2), fixef(m2)$cond)))
  expect_true(all(ci[, 2] > c(sqrt(m2$cov_re$g[1, 1]), sigma(m2), fixef(m2)$cond)))
  expect_equal(ci[3:4, ], confint(m2, parm = "beta_", estimate = FALSE), tolerance = 0.02)
})

test_that("GLMM profile intervals agree with lme4's (stored, then a live fit)", {
  cbpp <- reference_data("lme4::cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  expect_same_interval(confint(glmm(form, data = cbpp, family = binomial), method = "profile"),
                       stored_references("core_methods")$cbpp_binom_lme4_profile)
  skip_if_not_installed("lme4")
  ref <- suppressMessages(lme4::confint.merMod(lme4::glmer(form, cbpp, binomial), method = "profile", quiet = TRUE))
  expect_same_interval(confint(glmm(form, data = cbpp, family = binomial), method = "profile"), ref)
})

# lme4 1.1-31: confint(lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE), method = "boot",
#   nsim = 2000, seed = 1)
ref_boot_sleep_int <- rbind(
  .sig01 = c(21.71429108138, 47.2220421215),
  .sigma = c(27.32426767329, 34.2103956150),
  "(Intercept)" = c(232.72376652682, 270.3080665828),
  Days = c(8.89026059731, 12.0091426609))

test_that("bootstrap percentile intervals agree with lme4's bootstrap and with the profile", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), data = sleep)
  ci <- confint(m, method = "boot", nsim = 400, seed = 11)
  expect_identical(rownames(ci), rownames(ref_profile_sleep_int))
  # Monte Carlo error of a 2.5 % quantile from 400 replicates is ~4 % of the interval's width
  width <- ref_boot_sleep_int[, 2] - ref_boot_sleep_int[, 1]
  expect_true(all(abs(ci - ref_boot_sleep_int) < 0.15 * width), info = paste(capture.output(print(ci - ref_boot_sleep_int)), collapse = "\n"))
  # sigma and fixed effects: close to the profile as well (the SD of a random effect is biased down under ML)
  rows <- c(".sigma", "(Intercept)", "Days")
  expect_true(all(abs(ci[rows, ] - ref_profile_sleep_int[rows, ]) < 0.15 * width[rows]))
  # parm and level as for the other methods; the same seed gives the same intervals
  days <- confint(m, parm = "Days", level = 0.9, method = "boot", nsim = 400, seed = 11)
  expect_identical(dimnames(days), list("Days", c("5 %", "95 %")))
  expect_lt(days[1, 2] - days[1, 1], ci["Days", 2] - ci["Days", 1])
  expect_identical(confint(m, parm = "theta_", method = "boot", nsim = 30, seed = 2),
                   confint(m, parm = "theta_", method = "boot", nsim = 30, seed = 2))
})

test_that("bootstrap intervals of a binomial GLMM are close to the profile's", {
  cbpp <- reference_data("lme4::cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  ci <- confint(g, method = "boot", nsim = 150, seed = 5)
  expect_identical(rownames(ci), rownames(ref_profile_cbpp))
  width <- ref_profile_cbpp[, 2] - ref_profile_cbpp[, 1]
  expect_true(all(abs(ci - ref_profile_cbpp) < 0.3 * width), info = paste(capture.output(print(ci - ref_profile_cbpp)), collapse = "\n"))
})

test_that("a REML fit's profile starts from the ML optimum also with weights far from 1", {
  dat <- reference_data("lme4::sleepstudy")
  # constant weights c give the unweighted fit with theta divided by sqrt(c); the REML fit's
  # profile first refits with ML, which must work on theta's scale 1 / sqrt(c).
  # lme4 1.1-31: getME(lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE), "theta")  1.165611789
  m <- glmm(Reaction ~ Days + (1 | Subject), dat, REML = TRUE, weights = rep(1e20, nrow(dat)))
  ctx <- glmmlab:::profile_context(m)
  expect_equal(ctx$theta * 1e10, 1.165611789, tolerance = 1e-5)
  m1 <- glmm(Reaction ~ Days + (1 | Subject), dat, REML = TRUE)
  expect_equal(glmmlab:::profile_context(m1)$theta, 1.165611789, tolerance = 1e-5)
})
