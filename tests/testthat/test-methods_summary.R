# test-methods_summary.R: summary() and print() of glmm fits. The numbers and layout are the
# course chapter's (printed by glmmTMB 1.1.5 for glmmTMB(); glmm() must print the same), and the
# whole printed summary is compared line by line with a live glmmTMB fit when it is installed.

# Split a fit-statistics line into its fields; glmmTMB 1.1.5 heads -2*log(L) "deviance".
aic_fields <- function(line) sub("^deviance$", "-2*log(L)", strsplit(trimws(line), " +")[[1L]])

# Check that two printed summaries agree line by line (the AIC header and values by field).
expect_same_summary_lines <- function(ours, theirs) {
  expect_identical(length(ours), length(theirs))
  header <- grep("^ +AIC +BIC", ours)
  expect_length(header, 1L)
  rows <- c(header, header + 1L)
  expect_identical(lapply(ours[rows], aic_fields), lapply(theirs[rows], aic_fields))
  expect_identical(ours[-rows], theirs[-rows])
}

test_that("summary() returns glmmTMB's pieces; $coef$cond partial-matches coefficients", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  s <- summary(m)
  expect_s3_class(s, "summary.glmmlab")
  expect_identical(sum(startsWith(names(s), "coef")), 1L)
  expect_identical(s$coef$cond, s$coefficients$cond)
  expect_identical(colnames(s$coefficients$cond), c("Estimate", "Std. Error", "z value", "Pr(>|z|)"))
  expect_named(s$AICtab, c("AIC", "BIC", "logLik", "-2*log(L)", "df.resid"))
  expect_s3_class(s$varcor, "VarCorr.glmmlab")
  expect_identical(s$ngrps, c(groupID = 10L))
  expect_identical(s$nobs, 200L)
  expect_identical(c(s$family, s$link), c("gaussian", "identity"))
  expect_false(s$REML)
  expect_identical(s$call, m$call)
  expect_equal(s$sigma, stored_references("core")$chapter_intercept_tmb$sigma, tolerance = 1e-6)
})

test_that("chapter y ~ 1 + (1|groupID): fit statistics and coefficients to the printed digits", {
  s <- summary(glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data()))
  # chapter: AIC 1096.4, BIC 1106.3, logLik -545.2, -2*log(L) 1090.4, df.resid 197
  expect_identical(round(s$AICtab, 1), c(AIC = 1096.4, BIC = 1106.3, logLik = -545.2, "-2*log(L)" = 1090.4, df.resid = 197))
  expect_lt(abs(s$AICtab[["logLik"]] - stored_references("core")$chapter_intercept_tmb$logLik), 1e-6)
  cc <- s$coefficients$cond
  # chapter: (Intercept) 38.7679 0.9899 39.16 <2e-16
  expect_identical(round(cc[1, 1:2], 4), c(Estimate = 38.7679, "Std. Error" = 0.9899))
  expect_identical(round(cc[[1, 3]], 2), 39.16)
  expect_lt(cc[1, 4], 2e-16)
  expect_equal(cc[1, 4], 2 * pnorm(-abs(cc[1, 3])))
})

test_that("chapter y ~ x1 + (1|groupID): fit statistics and coefficients to the printed digits", {
  s <- summary(glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data()))
  # chapter: 896.5 909.7 -444.2 888.5 196
  expect_identical(round(s$AICtab, 1), c(AIC = 896.5, BIC = 909.7, logLik = -444.2, "-2*log(L)" = 888.5, df.resid = 196))
  cc <- s$coefficients$cond
  # chapter: (Intercept) 23.8343 1.3018 18.31; x1 1.4528 0.0764 19.02
  expect_identical(round(unname(cc[, "Estimate"]), 4), c(23.8343, 1.4528))
  expect_identical(round(unname(cc[, "Std. Error"]), 4), c(1.3018, 0.0764))
  expect_identical(round(unname(cc[, "z value"]), 2), c(18.31, 19.02))
  ref <- stored_references("core")$chapter_x1_tmb
  expect_equal(cc[, "Std. Error"], ref$se, tolerance = 1e-5)
  expect_lt(abs(s$AICtab[["logLik"]] - ref$logLik), 1e-6)
  expect_identical(round(s$sigma^2, 2), 4.08)
})

test_that("blossoms (1|pop/patch) models: fit statistics, groups and coefficients as printed", {
  dat <- blossoms_data()
  s0 <- summary(glmm(UBW ~ 1 + (1 | pop / patch), data = dat))
  # chapter: 980.8 994.1 -486.4 972.8 200; n = 204, patch:pop 96, pop 9; 18.9254 0.4467 42.36
  expect_identical(round(s0$AICtab, 1), c(AIC = 980.8, BIC = 994.1, logLik = -486.4, "-2*log(L)" = 972.8, df.resid = 200))
  expect_identical(s0$ngrps, c("patch:pop" = 96L, pop = 9L))
  expect_identical(s0$nobs, 204L)
  expect_identical(round(unname(s0$coefficients$cond[1, 1:3]), c(4, 4, 2)), c(18.9254, 0.4467, 42.36))
  s1 <- summary(glmm(UBW ~ LBW + (1 | pop / patch), data = dat))
  # chapter: 626.9 643.4 -308.5 616.9 197; 2.83757 0.58859 4.821 1.43e-06; 0.82670 0.02924 28.277
  expect_identical(round(s1$AICtab, 1), c(AIC = 626.9, BIC = 643.4, logLik = -308.5, "-2*log(L)" = 616.9, df.resid = 197))
  cc <- s1$coefficients$cond
  expect_identical(round(unname(cc[, "Estimate"]), 5), c(2.83757, 0.82670))
  expect_identical(round(unname(cc[, "Std. Error"]), 5), c(0.58859, 0.02924))
  expect_identical(round(unname(cc[, "z value"]), 3), c(4.821, 28.277))
  expect_identical(signif(cc[1, "Pr(>|z|)"], 3), 1.43e-06)
  expect_identical(s1$nobs, 202L)
  expect_identical(s1$ngrps, c("patch:pop" = 95L, pop = 9L))
})

test_that("print(summary()) shows the chapter's lines", {
  data <- chapter_sim_data()
  s <- summary(glmm(y ~ 1 + (1 | groupID), data = data))
  expect_output(print(s), " Family: gaussian  ( identity )", fixed = TRUE)
  expect_output(print(s), "Formula:          y ~ 1 + (1 | groupID)", fixed = TRUE)
  expect_output(print(s), "Data: data", fixed = TRUE)
  expect_output(print(s), "AIC       BIC    logLik -2*log(L)  df.resid", fixed = TRUE)
  expect_output(print(s), "1096.4    1106.3    -545.2    1090.4       197", fixed = TRUE)
  expect_output(print(s), "Random effects:\n\nConditional model:\n Groups   Name        Variance Std.Dev.", fixed = TRUE)
  expect_output(print(s), " groupID  (Intercept)  9.205   3.034   \n Residual             11.869   3.445", fixed = TRUE)
  expect_output(print(s), "Number of obs: 200, groups:  groupID, 10", fixed = TRUE)
  expect_output(print(s), "Dispersion estimate for gaussian family (sigma^2): 11.9", fixed = TRUE)
  expect_output(print(s), "(Intercept)  38.7679     0.9899   39.16   <2e-16 ***", fixed = TRUE)
  expect_output(print(s), "Signif. codes:", fixed = TRUE)
  expect_false(any(grepl("Note:", capture.output(print(s)))))
})

test_that("print(summary()) of the blossoms models shows the chapter's group counts and table", {
  dat <- blossoms_data()
  s <- summary(glmm(UBW ~ LBW + (1 | pop / patch), data = dat))
  expect_output(print(s), "Number of obs: 202, groups:  patch:pop, 95; pop, 9", fixed = TRUE)
  expect_output(print(s), " patch:pop (Intercept) 0.2255   0.4749  ", fixed = TRUE)
  expect_output(print(s), "Dispersion estimate for gaussian family (sigma^2): 1.01", fixed = TRUE)
  expect_output(print(s), "(Intercept)  2.83757    0.58859   4.821 1.43e-06 ***", fixed = TRUE)
  expect_output(print(s), "LBW          0.82670    0.02924  28.277  < 2e-16 ***", fixed = TRUE)
})

test_that("printed summaries agree line by line with glmmTMB's of the chapter's models (stored)", {
  data <- chapter_sim_data()
  dat <- blossoms_data()
  ref <- stored_references("core_methods")   # glmmTMB 1.1.5 (its Data: line names its data "chapter", "blossoms")
  fits <- list(chapter_intercept = glmm(y ~ 1 + (1 | groupID), data = data),
               chapter_x1 = glmm(y ~ x1 + (1 | groupID), data = data),
               blossoms_intercept = glmm(UBW ~ 1 + (1 | pop / patch), data = dat),
               blossoms_lbw = glmm(UBW ~ LBW + (1 | pop / patch), data = dat))
  for (name in names(fits)) {
    r <- ref[[paste0(name, "_tmb_summary")]]
    ours <- capture.output(print(summary(fits[[name]])))
    # the data's name differs, and the quotes of the signif. legend follow the session's useFancyQuotes
    normalize <- function(x) sub("^Signif. codes: .*", "Signif. codes:", sub("^Data: .*", "Data:", x))
    expect_same_summary_lines(normalize(ours), normalize(r$print))
    expect_equal(summary(fits[[name]])$coefficients$cond, r$coefficients, tolerance = 1e-5)
    expect_equal(unname(summary(fits[[name]])$AICtab), r$AICtab, tolerance = 1e-8)
  }
})

test_that("printed summaries agree line by line with live glmmTMB fits of the chapter's models", {
  skip_if_not_installed("glmmTMB")
  data <- chapter_sim_data()
  dat <- blossoms_data()
  fits <- list(
    list(glmm(y ~ 1 + (1 | groupID), data = data), glmmTMB::glmmTMB(y ~ 1 + (1 | groupID), data = data)),
    list(glmm(y ~ x1 + (1 | groupID), data = data), glmmTMB::glmmTMB(y ~ x1 + (1 | groupID), data = data)),
    list(glmm(UBW ~ 1 + (1 | pop / patch), data = dat), glmmTMB::glmmTMB(UBW ~ 1 + (1 | pop / patch), data = dat)),
    list(glmm(UBW ~ LBW + (1 | pop / patch), data = dat), glmmTMB::glmmTMB(UBW ~ LBW + (1 | pop / patch), data = dat))
  )
  for (pair in fits) {
    expect_same_summary_lines(capture.output(print(summary(pair[[1]]))), capture.output(print(summary(pair[[2]]))))
    tmb_summary <- summary(pair[[2]])
    expect_equal(summary(pair[[1]])$coefficients$cond, tmb_summary$coefficients$cond, tolerance = 1e-5)
    expect_equal(unname(summary(pair[[1]])$AICtab), unname(tmb_summary$AICtab), tolerance = 1e-8)
  }
})

test_that("print() of a fit is glmmTMB's short display line for line (no Family line: the formula first)", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  expect_output(print(m), "Number of obs: 200 / Conditional model: groupID, 10", fixed = TRUE)
  expect_output(print(m), "Fixed Effects:\n\nConditional model:\n(Intercept)           x1  ", fixed = TRUE)
  ref <- stored_references("core_methods")$chapter_x1_tmb_print   # glmmTMB 1.1.5, data named "chapter"
  ours <- capture.output(print(m))
  expect_identical(ours[1L], "Formula:          y ~ x1 + (1 | groupID)")
  expect_identical(sub("^Data: .*", "Data:", ours), sub("^Data: .*", "Data:", ref))
  # glmmTMB's test-basics "formula expansion": a formula passed in a variable prints expanded, first
  form <- y ~ x1 + (1 | groupID)
  expect_identical(grep("y ~ x1", capture.output(print(glmm(form, data = data))), fixed = TRUE), 1L)
  skip_if_not_installed("glmmTMB")
  tmb <- glmmTMB::glmmTMB(y ~ x1 + (1 | groupID), data = data)
  expect_identical(capture.output(print(m)), capture.output(print(tmb)))
})

test_that("REML fits print the REML criterion instead of the AIC line", {
  s <- summary(glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data(), REML = TRUE))
  expect_true(s$REML)
  # glmmTMB 1.1.5 (REML = TRUE) reports -2*log(L) = 889.8 and sigma^2 = 4.1
  expect_output(print(s), "REML criterion at convergence: 889.8", fixed = TRUE)
  expect_output(print(s), "Dispersion estimate for gaussian family (sigma^2):  4.1", fixed = TRUE)
  expect_false(any(grepl("df.resid", capture.output(print(s)))))
})

test_that("correlated terms print a Corr column as glmmTMB does", {
  s <- summary(glmm(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy")))
  # glmmTMB 1.1.5: " Subject  (Intercept) 565.52   23.781        " / "          Days         32.68    5.717   0.08 "
  expect_output(print(s), "Groups   Name        Variance Std.Dev. Corr", fixed = TRUE)
  expect_output(print(s), "          Days         32.68    5.717   0.08", fixed = TRUE)
  expect_output(print(s), "Dispersion estimate for gaussian family (sigma^2):  655", fixed = TRUE)
})

test_that("singular and unconverged fits get a note", {
  set.seed(2)
  d <- data.frame(g = factor(rep(1:10, each = 5)), x = rnorm(50))
  d$y <- d$x + rnorm(50)
  singular <- suppressMessages(glmm(y ~ x + (1 | g), data = d))
  expect_true(summary(singular)$singular)
  expect_output(print(summary(singular)), "Note: singular fit", fixed = TRUE)
  stopped <- suppressWarnings(glmm(y ~ x + (1 | g), data = d, control = glmm_control(maxeval = 2)))
  expect_false(summary(stopped)$converged)
  expect_output(print(summary(stopped)), "did not converge (maximum number of evaluations reached)", fixed = TRUE)
  expect_output(print(stopped), "did not converge", fixed = TRUE)
})

test_that("the dispersion line follows glmmTMB for other families", {
  # glmmTMB 1.1.5, chapter: "Dispersion parameter for nbinom2 family (): 1.87"
  expect_output(print_dispersion("nbinom2", 1.8679279977472, 1.8679279977472),
                "Dispersion parameter for nbinom2 family (): 1.87", fixed = TRUE)
  expect_output(print_dispersion("nbinom2", 1.8679279977472, NULL), "(): 1.87", fixed = TRUE)
  expect_output(print_dispersion("Gamma", 0.755023434128371, NULL),
                "Dispersion estimate for Gamma family (sigma^2): 0.57", fixed = TRUE)
  expect_identical(capture.output(print_dispersion("poisson", 1, NULL)), character(0))
  expect_identical(capture.output(print_dispersion("binomial", 1, NULL)), character(0))
})

test_that("a non-gaussian fit's summary prints its family, no Residual row, its dispersion", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  # a stand-in for glmm(..., family = nbinom2): the fields a GLMM fit fills
  m$family <- list(family = "nbinom2", link = "log")
  m$sigma <- 1.8679279977472
  m$dispersion <- 1.8679279977472
  out <- capture.output(print(summary(m)))
  expect_identical(out[1L], " Family: nbinom2  ( log )")
  expect_false(any(grepl("Residual", out)))
  expect_true(any(grepl("Dispersion parameter for nbinom2 family (): 1.87", out, fixed = TRUE)))
})

test_that("chapter nbinom2 Eulaema model: summary as the chapter prints it, and as live glmmTMB", {
  dat <- eulaema_data()
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = dat)
  s <- summary(m)
  # chapter: 1790.8 1803.5 -891.4 1782.8 174; SA 1.382 / 1.176; dispersion 1.87;
  #   (Intercept) 6.820199 0.542558 12.570; MAP -0.002057 0.000353 -5.827 5.65e-09
  expect_identical(round(s$AICtab, 1), c(AIC = 1790.8, BIC = 1803.5, logLik = -891.4, "-2*log(L)" = 1782.8, df.resid = 174))
  out <- capture.output(print(s))
  expect_identical(out[1L], " Family: nbinom2  ( log )")
  expect_true(" SA     (Intercept) 1.382    1.176   " %in% out)
  expect_true("Number of obs: 178, groups:  SA, 72" %in% out)
  expect_true("Dispersion parameter for nbinom2 family (): 1.87 " %in% out)
  expect_true("(Intercept)  6.820199   0.542558  12.570  < 2e-16 ***" %in% out)
  expect_true("MAP         -0.002057   0.000353  -5.827 5.65e-09 ***" %in% out)
  expect_false(any(grepl("Residual", out)))
  skip_if_not_installed("glmmTMB")
  tmb <- suppressWarnings(glmmTMB::glmmTMB(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = dat))
  expect_same_summary_lines(out, capture.output(print(summary(tmb))))
})
