# Bad and awkward input for glmm(): each case gives either a clear R error whose message names
# the variable or value at fault, or a sound fit (finite log-likelihood, finite estimates), often
# checked to be the same fit as a clean equivalent input. Input checks live in R/model_frame.R,
# R/family.R, R/re_terms.R and R/glmm.R.

# Simulated data: bad_input_data() in helper-data.R.

# A fit that returned is sound: finite log-likelihood, estimates and variance parameters.
expect_sound_fit <- function(m) {
  expect_s3_class(m, "glmmlab")
  expect_true(is.finite(m$loglik), label = "finite logLik")
  expect_true(all(is.finite(m$beta)), label = "finite fixed effects")
  expect_true(all(is.finite(m$theta)), label = "finite variance parameters")
  invisible(m)
}

# glmm() with the singular-fit and rank-deficiency messages silenced.
quiet_glmm <- function(...) suppressMessages(glmm(...))

test_that("a variable missing from data and from the environment is named", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + zz_absent + (1 | g), d), "'zz_absent'")
  expect_error(glmm(y ~ x + (1 | gg_absent), d), "'gg_absent'")
  expect_error(glmm(yy_absent ~ x + (1 | g), d), "'yy_absent'")
  expect_error(glmm(y ~ x + (0 + ss_absent | g), d), "'ss_absent'")
  expect_error(glmm(y ~ x + (1 | g), d, weights = ww_absent), "ww_absent")
  expect_error(glmm(y ~ x + (1 | g), d, offset = oo_absent), "oo_absent")
  expect_error(glmm(y ~ x + (1 | g), d, subset = zz_absent > 0), "zz_absent")
  expect_error(glmm(y ~ x + (1 | g), data = no_such_data_frame), "`data`.*no_such_data_frame")
  # without data, the message says where it looked
  expect_error(glmm(y ~ x + (1 | g_absent_env), data = NULL), "formula's environment.*'g_absent_env'")
})

test_that("a name that is a function, not a column, is named as such", {
  d <- bad_input_data()
  expect_error(glmm(y ~ time + (1 | g), d), "'time'.*function")
  expect_error(glmm(y ~ x + (1 | c), d), "'c'.*function")
  expect_error(glmm(y ~ . + (1 | g), data = NULL), "`.` in the formula stands for the other columns of `data`")
})

test_that("NA and NaN drop their rows, as lm() does; Inf is an error naming the column", {
  d <- bad_input_data()
  clean <- quiet_glmm(y ~ x + (1 | g), d[-c(3, 17), ])
  for (col in c("y", "x", "g")) {
    for (bad in list(NA, NaN)) {
      if (col == "g" && is.nan(bad)) next
      dd <- d
      dd[[col]][c(3, 17)] <- bad
      m <- expect_sound_fit(quiet_glmm(y ~ x + (1 | g), dd))
      expect_equal(m$nobs, 78)
      expect_lt(abs(m$loglik - clean$loglik), 1e-6)
    }
  }
  dd <- d; dd$y[5] <- Inf
  expect_error(glmm(y ~ x + (1 | g), dd), "response 'y'.*non-finite.*row 5")
  dd <- d; dd$x[5] <- -Inf
  expect_error(glmm(y ~ x + (1 | g), dd), "predictor 'x'.*non-finite")
  dd <- d; dd$cnt[5] <- Inf
  expect_error(glmm(cnt ~ x + (1 | g), dd, family = poisson), "response 'cnt'.*non-finite")
  dd <- d; dd$z[5] <- Inf
  expect_error(glmm(y ~ x + (0 + z | g), dd), "'z'.*non-finite")
  expect_error(glmm(y ~ log(pos) + (1 | g), transform(d, pos = replace(pos, 1, 0))), "'log\\(pos\\)'.*non-finite")
})

test_that("NA in weights or offset drops the row; Inf, negative, zero or wrong-length values are errors", {
  d <- bad_input_data()
  w <- rep(c(1, 2), 40)
  clean <- quiet_glmm(y ~ x + (1 | g), d[-4, ], weights = w[-4])
  m <- expect_sound_fit(quiet_glmm(y ~ x + (1 | g), d, weights = replace(w, 4, NA)))
  expect_lt(abs(m$loglik - clean$loglik), 1e-6)
  expect_error(glmm(y ~ x + (1 | g), d, weights = replace(w, 4, Inf)), "`weights`.*non-finite")
  expect_error(glmm(y ~ x + (1 | g), d, weights = replace(w, 4, -1)), "`weights`.*negative.*row 4")
  expect_error(glmm(y ~ x + (1 | g), d, weights = replace(w, 4, 0)), "`weights`.*zero")
  expect_error(glmm(y ~ x + (1 | g), d, weights = w[1:10]), "`weights`.*one value per observation")
  expect_error(glmm(y ~ x + (1 | g), d, weights = rep("a", 80)), "weights")
  expect_error(glmm(y ~ x + (1 | g), d, weights = rep(1e300, 80)), "`weights`.*rescale")

  off <- log(d$pos)
  clean <- glmm(cnt ~ x + (1 | g), d[-6, ], family = poisson, offset = off[-6])
  m <- expect_sound_fit(glmm(cnt ~ x + (1 | g), d, family = poisson, offset = replace(off, 6, NA)))
  expect_lt(abs(m$loglik - clean$loglik), 1e-6)
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, offset = replace(off, 6, Inf)), "offset.*non-finite.*row 6")
  expect_error(glmm(cnt ~ x + offset(log(pos)) + (1 | g), transform(d, pos = replace(pos, 2, 0)), family = poisson),
               "offset.*non-finite.*row 2")
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, offset = off[1:7]), "`offset`.*one value per observation")
  expect_error(glmm(y ~ x + (1 | g), d, offset = rep(1e20, 80)), "offset.*magnitude 1e\\+20")
})

test_that("empty data, data with no usable rows and tiny data give clear errors or sound fits", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + (1 | g), d[0, ]), "`data` has no rows")
  expect_error(glmm(y ~ x + (1 | g), transform(d, y = NA_real_)), "no observations left")
  expect_error(glmm(y ~ x + (1 | g), d, subset = x > 100), "no observations left")
  tiny <- d[c(1, 11, 21), ]
  expect_error(glmm(y ~ x + (1 | g), tiny), "grouping factor 'g' has 3 levels for 3 observations")
  expect_message(glmm(y ~ x + (1 | g), d[1:3, ]), "boundary \\(singular\\) fit: a variance of 'g'")   # one level: variance 0
  expect_sound_fit(quiet_glmm(cnt ~ 1 + (1 | g), transform(tiny, cnt = c(1, 3, 2)), family = poisson))
  expect_sound_fit(quiet_glmm(y ~ x + (1 | g), d[c(1, 2, 11, 12, 21, 22), ]))
  # more fixed effects than observations leaves no residual variance
  expect_error(quiet_glmm(y ~ x + h + (1 | g), d[c(1, 2, 11, 12), ]), "4 observations for 4 fixed-effect coefficients")
})

test_that("a constant response is an error when the model cannot be fitted, a sound fit otherwise", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + (1 | g), transform(d, y = 2)), "response 'y' is constant")
  expect_error(glmm(pos ~ x + (1 | g), transform(d, pos = 2), family = Gamma(link = "log")), "response 'pos' is constant")
  expect_error(glmm(bin ~ x + (1 | g), transform(d, bin = 1), family = binomial), "'bin' is all successes")
  expect_error(glmm(bin ~ x + (1 | g), transform(d, bin = 0), family = binomial), "'bin' is all failures")
  expect_error(glmm(cnt ~ x + (1 | g), transform(d, cnt = 0), family = poisson), "'cnt' is all zeros")
  expect_error(glmm(cnt ~ x + (1 | g), transform(d, cnt = 0), family = "nbinom2"), "'cnt' is all zeros")
  m <- expect_sound_fit(quiet_glmm(cnt ~ x + (1 | g), transform(d, cnt = 3), family = poisson))
  expect_equal(unname(m$beta[1]), log(3), tolerance = 1e-5)
  expect_lt(abs(m$beta[[2]]), 1e-4)
})

test_that("responses outside the family's support are errors naming the response", {
  d <- bad_input_data()
  expect_error(glmm(cnt ~ x + (1 | g), transform(d, cnt = replace(cnt, 1, -1)), family = poisson), "'cnt' has negative values")
  expect_error(glmm(cnt ~ x + (1 | g), transform(d, cnt = replace(cnt, 1, -1)), family = nbinom2), "'cnt' has negative values")
  expect_error(glmm(bin ~ x + (1 | g), transform(d, bin = replace(bin, 1, 2)), family = binomial), "response 'bin' must be 0/1")
  expect_error(glmm(bin ~ x + (1 | g), transform(d, bin = replace(bin, 1, -0.5)), family = binomial), "response 'bin' must be 0/1")
  expect_error(glmm(cbind(cnt - 2, 3) ~ x + (1 | g), d, family = binomial), "non-negative counts")
  expect_error(glmm(bc ~ x + (1 | g), transform(d, bc = as.character(bin)), family = binomial), "'bc' must be 0/1")
  expect_error(glmm(pos ~ x + (1 | g), transform(d, pos = replace(pos, 1, 0)), family = Gamma(link = "log")), "'pos' must be positive")
  expect_error(glmm(pos ~ x + (1 | g), transform(d, pos = replace(pos, 1, -2)), family = Gamma(link = "log")), "'pos' must be positive")
  expect_error(glmm(h ~ x + (1 | g), d), "response 'h' must be a numeric vector")
  expect_error(glmm(I(y * 1e200) ~ x + (1 | g), d), "response 'I\\(y \\* 1e\\+200\\)' has values of magnitude")
})

test_that("non-integer counts fit with one warning naming the response", {
  d <- bad_input_data()
  d$cnt_half <- d$cnt + 0.5
  expect_warning(m <- quiet_glmm(cnt_half ~ x + (1 | g), d, family = poisson), "'cnt_half' has non-integer values")
  expect_sound_fit(m)
  expect_warning(quiet_glmm(cnt_half ~ x + (1 | g), d, family = "nbinom2"), "'cnt_half' has non-integer values")
})

test_that("a binomial proportion with whole-number weights fits, and equals the cbind() form", {
  d <- bad_input_data()
  d$k <- pmin(d$cnt, 5)
  m1 <- expect_sound_fit(quiet_glmm(cbind(k, 5 - k) ~ x + (1 | g), d, family = binomial))
  m2 <- expect_sound_fit(quiet_glmm(k / 5 ~ x + (1 | g), d, family = binomial, weights = rep(5, 80)))
  expect_lt(abs(m1$loglik - m2$loglik), 1e-6)
})

test_that("unknown families and links are errors naming them", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + (1 | g), d, family = "gausian"), "unknown family 'gausian'")
  expect_error(glmm(cnt ~ x + (1 | g), d, family = quasipoisson()), "family 'quasipoisson' is not supported")
  expect_error(glmm(bin ~ x + (1 | g), d, family = binomial(link = "cauchit")), "link 'cauchit' is not supported")
  expect_error(glmm(y ~ x + (1 | g), d, family = 3), "`family` must be a family")
  expect_error(glmm(y ~ x + (1 | g), d, family = c("gaussian", "poisson")), "single name")
  # REML GLMMs need the Laplace approximation (glmmTMB's REML; test-reml_glmm.R)
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, REML = TRUE, nAGQ = 3), "REML = TRUE needs the Laplace approximation")
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, REML = NA), "`REML` must be TRUE or FALSE")
})

test_that("a grouping factor with one level is fitted with variance 0; (gaussian) one level per row is an error naming it", {
  d <- bad_input_data()
  expect_message(glmm(y ~ x + (1 | one), transform(d, one = "A")), "boundary \\(singular\\) fit: a variance of 'one'")
  expect_message(glmm(y ~ x + (1 | g), d, subset = g == "a"), "boundary \\(singular\\) fit: a variance of 'g'")
  expect_error(glmm(y ~ x + (1 | id), transform(d, id = seq_len(80))), "grouping factor 'id' has 80 levels for 80 observations")
  expect_error(glmm(y ~ x + (x | g), d[c(1, 2, 11, 12, 21, 22), ]), "grouping factor 'g' has 3 levels x 2 random effects per level for 6 observations")
  # an observation-level random effect is legitimate in a Poisson model (overdispersion)
  expect_sound_fit(quiet_glmm(cnt ~ x + (1 | id), transform(d, id = seq_len(80)), family = poisson))
})

test_that("a fixed factor with a single level is an error naming it", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + site + (1 | g), transform(d, site = "north")), "predictor 'site' has a single level")
  expect_error(glmm(y ~ x + h + (1 | g), d, subset = h == "p"), "predictor 'h' has a single level")
})

test_that("rank-deficient predictors: a message naming the dropped column, and the reduced fit", {
  d <- bad_input_data()
  d$x2 <- 2 * d$x
  expect_message(m <- glmm(y ~ x + x2 + (1 | g), d), "dropping 1 column: x2")
  reduced <- glmm(y ~ x + (1 | g), d)
  expect_sound_fit(m)
  expect_lt(abs(m$loglik - reduced$loglik), 1e-6)
  expect_equal(m$beta, reduced$beta, tolerance = 1e-6)
  d$h2 <- d$h
  expect_message(m <- glmm(cnt ~ h + h2 + (1 | g), d, family = poisson), "dropping 3 columns: h2q, h2r, h2s")
  expect_lt(abs(m$loglik - glmm(cnt ~ h + (1 | g), d, family = poisson)$loglik), 1e-6)
})

test_that("hugely scaled predictors give the same fit as unscaled ones", {
  d <- bad_input_data()
  for (s in c(1e6, 1e-6)) {
    d$xs <- d$x * s
    lmm <- glmm(y ~ x + (1 | g), d)
    lmm_s <- glmm(y ~ xs + (1 | g), d)
    expect_lt(abs(lmm_s$loglik - lmm$loglik), 1e-6)
    expect_equal(unname(lmm_s$beta[2]) * s, unname(lmm$beta[2]), tolerance = 1e-6)
    pois <- glmm(cnt ~ x + (1 | g), d, family = poisson)
    pois_s <- glmm(cnt ~ xs + (1 | g), d, family = poisson)
    expect_lt(abs(pois_s$loglik - pois$loglik), 1e-6)
    expect_equal(unname(pois_s$beta[2]) * s, unname(pois$beta[2]), tolerance = 1e-5)
  }
  d$xs <- d$x * 1e200
  expect_error(glmm(y ~ xs + (1 | g), d), "predictor 'xs' has values of magnitude [0-9.]+e\\+200")
  d$xs <- d$x * 1e-200
  expect_error(glmm(y ~ xs + (1 | g), d), "predictor 'xs' has values of magnitude")
  expect_error(glmm(y ~ x + (xs | g), d), "random-effect column 'xs'.*'g'.*magnitude")
})

test_that("a singular fit gives one message naming the term, and a sound fit", {
  d <- bad_input_data()
  d$noise_g <- factor(rep(1:10, 8))   # y does not vary with noise_g
  expect_message(m <- glmm(y ~ x + (1 | g) + (1 | noise_g), d), "singular.*'noise_g'")
  expect_sound_fit(m)
  expect_lt(m$cov_re$noise_g[1], 1e-6)
  expect_lt(abs(m$loglik - glmm(y ~ x + (1 | g), d)$loglik), 1e-6)
})

test_that("character and numeric grouping variables give the same fit as factors", {
  d <- bad_input_data()
  d$g_chr <- as.character(d$g)
  d$g_num <- as.integer(d$g) * 10
  for (fam in list(gaussian(), poisson())) {
    resp <- if (fam$family == "gaussian") "y" else "cnt"
    f <- function(grp) glmm(as.formula(sprintf("%s ~ x + (1 | %s)", resp, grp)), d, family = fam)
    ref <- f("g")
    for (grp in c("g_chr", "g_num")) {
      m <- f(grp)
      expect_lt(abs(m$loglik - ref$loglik), 1e-6)
      expect_equal(m$beta, ref$beta, tolerance = 1e-6)
    }
  }
})

test_that("Latin-1 study-area names (Eulaema) fit as the chapter's data, whatever their encoding", {
  ref <- stored_references("core")$eulaema_nb2_tmb
  dat <- eulaema_data()
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = dat)
  expect_lt(abs(m$loglik - ref$logLik), 1e-4)
  expect_true(any(grepl("\u00e7", m$re[[1]]$levels)))   # "Estação ..." kept in UTF-8
  expect_no_error(capture.output(print(m), summary(m), ranef(m)))
  # the course's Latin-1 copy of the file, read without declaring its encoding (invalid UTF-8
  # bytes) and as marked Latin-1
  latin1_file <- withr::local_tempfile(fileext = ".csv")
  con <- file(latin1_file, "w", encoding = "latin1")
  writeLines(readLines(glmmlab::course_file("Eulaema.csv"), encoding = "UTF-8"), con)
  close(con)
  expect_false(validUTF8(rawToChar(readBin(latin1_file, "raw", file.size(latin1_file)))))
  raw <- read.csv(latin1_file, encoding = "latin1")
  m_raw <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = raw)
  expect_lt(abs(m_raw$loglik - ref$logLik), 1e-4)
  bytes <- read.csv(latin1_file)
  m_bytes <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = bytes)
  expect_lt(abs(m_bytes$loglik - ref$logLik), 1e-4)
  expect_no_error(capture.output(print(m_bytes), ranef(m_bytes)))
})

test_that("data as a list, from the formula's environment, a string formula and subset give the same fit", {
  d <- bad_input_data()
  ref <- glmm(y ~ x + (1 | g), d)
  expect_lt(abs(glmm(y ~ x + (1 | g), as.list(d))$loglik - ref$loglik), 1e-6)
  y <- d$y; x <- d$x; g <- d$g
  expect_lt(abs(glmm(y ~ x + (1 | g), data = NULL)$loglik - ref$loglik), 1e-6)
  expect_lt(abs(glmm("y ~ x + (1 | g)", d)$loglik - ref$loglik), 1e-6)
  m_sub <- glmm(y ~ x + (1 | g), d, subset = x > -1)
  expect_lt(abs(m_sub$loglik - glmm(y ~ x + (1 | g), d[d$x > -1, ])$loglik), 1e-6)
  expect_error(glmm(y ~ x + (1 | g), data = as.matrix(d[, 1:2])), "`data` must be a data frame or a list, not matrix")
  expect_error(glmm(y ~ x + (1 | g), data = "d"), "`data` must be a data frame or a list, not character")
  expect_error(glmm(~ x + (1 | g), d), "needs a response")
  expect_lt(abs(glmm(y ~ x, d)$loglik - as.numeric(logLik(lm(y ~ x, d)))), 1e-6)   # no random effects: lm()'s model
  expect_error(glmm(42, d), "`formula` must be a formula")
})

test_that("na.action = na.exclude pads fitted values and residuals with NA", {
  d <- bad_input_data()
  d$y[c(2, 9)] <- NA
  m <- glmm(y ~ x + (1 | g), d, na.action = na.exclude)
  expect_sound_fit(m)
  expect_length(fitted(m), 80)
  expect_true(all(is.na(residuals(m)[c(2, 9)])))
  expect_length(residuals(glmm(y ~ x + (1 | g), d)), 78)
  expect_error(glmm(y ~ x + (1 | g), d, na.action = na.fail), "missing values")
})

test_that("random-effect syntax variants give the fits they are equivalent to", {
  d <- bad_input_data()
  ll <- function(f, ...) quiet_glmm(f, d, ...)$loglik
  expect_lt(abs(ll(y ~ x + (x || g)) - ll(y ~ x + (1 | g) + (0 + x | g))), 1e-6)
  expect_lt(abs(ll(y ~ x + (1 | g / h)) - ll(y ~ x + (1 | g) + (1 | g:h))), 1e-6)
  expect_sound_fit(quiet_glmm(y ~ x + (1 | g:h), d))
  expect_sound_fit(quiet_glmm(y ~ x + (0 + x | g), d))
  m <- expect_sound_fit(quiet_glmm(y ~ x * h + (1 | g), d))
  expect_named(m$beta, c("(Intercept)", "x", "hq", "hr", "hs", "x:hq", "x:hr", "x:hs"))
  expect_lt(abs(ll(cnt ~ x + offset(log(pos)) + (1 | g), family = poisson) -
                  ll(cnt ~ x + (1 | g), family = poisson, offset = log(d$pos))), 1e-6)
  expect_sound_fit(quiet_glmm(cnt ~ x + (x || g), d, family = poisson))
  expect_sound_fit(quiet_glmm(bin ~ x + (1 | g / h), d, family = binomial))
})

test_that("backticked names with spaces fit as ordinary names", {
  d <- bad_input_data()
  ref <- glmm(y ~ x + (1 | g), d)
  names(d)[match(c("x", "g"), names(d))] <- c("body mass", "study site")
  m <- glmm(y ~ `body mass` + (1 | `study site`), d)
  expect_lt(abs(m$loglik - ref$loglik), 1e-6)
  expect_named(m$beta, c("(Intercept)", "`body mass`"))
  expect_equal(m$re[[1]]$group, "study site")
  expect_error(glmm(y ~ `body mas` + (1 | `study site`), d), "'body mas'")
})

test_that("bad starting values and control settings are errors naming them", {
  d <- bad_input_data()
  expect_error(glmm(y ~ x + (1 | g), d, start = list(theta = NA)), "`start\\$theta`")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(theta = "a")), "`start\\$theta`")
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, start = list(theta = Inf)), "`start\\$theta`")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(theta = c(1, 2))), "start\\$theta has length 2")
  expect_error(glmm(y ~ x + (1 | g), d, start = "a"), "`start` must be a list")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(beta = 1)), "start\\$beta has length 1")
  expect_error(glmm(y ~ x + (1 | g), d, start = list(gamma = 1)), "unknown element of `start`: gamma")
  expect_error(glmm(y ~ x + (1 | g), d, control = list(foo = 1)), "unknown control setting: foo")
  expect_error(glmm(y ~ x + (1 | g), d, control = list(ftol_abs = "a")), "`ftol_abs`")
  expect_error(glmm(y ~ x + (1 | g), d, control = glmm_control(maxeval = NA)), "`maxeval`")
  expect_error(glmm(y ~ x + (1 | g), d, verbose = "yes"), "`verbose`")
  expect_error(glmm(y ~ x + (1 | g), d, REML = NA), "`REML` must be TRUE or FALSE")
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, nAGQ = -1), "`nAGQ`")
  expect_error(glmm(cnt ~ x + (1 | g), d, family = poisson, nAGQ = 0.5), "`nAGQ`")
  expect_warning(m <- quiet_glmm(y ~ x + (1 | g), d, control = glmm_control(maxeval = 2)), "did not converge")
  expect_true(is.finite(m$loglik))
})

test_that("numerically extreme input ends in an R error or a sound fit, never a crash (child process)", {
  skip_if_not_installed("callr")
  # the log-likelihood of the fit of `code` in a child process, NA for an R error, "crashed" for a crash
  child_loglik <- function(code) {
    tryCatch(callr::r(function(code) {
      suppressPackageStartupMessages(library(glmmlab))
      set.seed(747248)
      n <- 150
      g <- factor(sample(1:2, n, replace = TRUE))
      x <- rnorm(n)
      y <- exp((0.3 + 0.5 * x + rnorm(2, sd = 0.8)[g]) / 2) + rnorm(n, sd = 0.3)
      w <- runif(n, 0.5, 2)
      m <- tryCatch(suppressWarnings(suppressMessages(eval(parse(text = code)))), error = function(e) NULL)
      if (is.null(m)) NA_real_ else m$loglik
    }, args = list(code = code), libpath = .libPaths()), callr_status_error = function(e) "crashed")
  }
  slope <- child_loglik("xs <- x * 1e12; glmm(y ~ 0 + xs + (0 + xs | g))")
  expect_true(is.numeric(slope) && (is.na(slope) || is.finite(slope)))
  unscaled <- child_loglik("glmm(y ~ x + (1 | g), weights = w)")
  for (s in c("1e20", "1e50")) {
    scaled <- child_loglik(sprintf("glmm(y ~ x + (1 | g), weights = w * %s)", s))
    expect_true(is.numeric(scaled) && (is.na(scaled) || abs(scaled - unscaled) < 1e-6), label = paste("weights scaled by", s))
  }
})

test_that("a GLMM random slope on a rescaled predictor gives the same fit", {
  d <- slope_counts_data()
  # lme4 1.1-31: logLik(glmer(cnt ~ x + (x | g), d, family = poisson)) = -186.976;
  # glmmTMB 1.1.5 gives -186.9755 for x, x * 100 and x * 1e4 alike
  ref <- quiet_glmm(cnt ~ x + (x | g), d, family = poisson)$loglik
  expect_equal(ref, -186.9755, tolerance = 1e-4)
  for (s in c(100, 1e4)) {
    d$xs <- d$x * s
    expect_lt(abs(quiet_glmm(cnt ~ x + (xs | g), d, family = poisson)$loglik - ref), 1e-5)
  }
})

# Data for separation: 8 groups of 10; x splits y_sep exactly at 0; level "a" of f has only 1s.
separation_data <- function() {
  withr::with_seed(1, {
    n <- 80
    d <- data.frame(x = rnorm(n), z = rnorm(n), g = factor(rep(1:8, each = 10)), f = factor(rep(c("a", "b", "c", "d"), 20)))
    d$y_sep <- as.integer(d$x > 0)
    d$y_quasi <- rbinom(n, 1, 0.5)
    d$y_quasi[d$f == "a"] <- 1L
    d$cnt <- rpois(n, 2)
    d$cnt[d$f == "b"] <- 0
    d
  })
}

# The warnings of a call (messages silenced), and its value.
collect_warnings <- function(expr) {
  msgs <- character()
  value <- withCallingHandlers(suppressMessages(expr), warning = function(w) {
    msgs <<- c(msgs, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = msgs)
}

test_that("complete separation gives one warning naming the separating predictor", {
  d <- separation_data()
  res <- collect_warnings(glmm(y_sep ~ x + z + (1 | g), d, family = binomial))
  expect_length(res$warnings, 1L)   # not also "did not converge": separation explains that
  expect_match(res$warnings, "complete separation: 'x' separates the 0 and 1 responses")
  expect_match(res$warnings, "fitted probabilities numerically 0 or 1 occurred for 80 of 80 observations")
  expect_no_match(res$warnings, "'z'")
  expect_gt(res$value$loglik, -1e-3)   # the log-likelihood tends to 0 along the diverging direction
  # the same for other links, a random slope, cbind() counts and a name with a space
  expect_warning(quiet_glmm(y_sep ~ x + (1 | g), d, family = binomial(link = "probit")), "complete separation: 'x'")
  expect_warning(quiet_glmm(y_sep ~ x + (x | g), d, family = binomial), "complete separation: 'x'")
  agg <- data.frame(x = seq(-2, 2, length.out = 20), g = factor(rep(1:5, 4)))
  agg$k <- ifelse(agg$x > 0, 10, 0)
  expect_warning(quiet_glmm(cbind(k, 10 - k) ~ x + (1 | g), agg, family = binomial), "complete separation: 'x'.*20 of 20")
  names(d)[names(d) == "x"] <- "body mass"
  expect_warning(quiet_glmm(y_sep ~ `body mass` + (1 | g), d, family = binomial), "complete separation: 'body mass'")
})

test_that("two predictors that separate only together are both named", {
  d <- separation_data()
  d$y_joint <- as.integer(d$x + d$z > 0.3)
  expect_warning(quiet_glmm(y_joint ~ x + z + (1 | g), d, family = binomial), "'x' and 'z' together separate")
})

test_that("quasi-complete separation by a factor level names the factor and the level", {
  d <- separation_data()
  res <- collect_warnings(glmm(y_quasi ~ f + z + (1 | g), d, family = binomial))
  expect_length(res$warnings, 1L)
  expect_match(res$warnings, "quasi-complete separation: 'f' \\(level 'a': only successes\\)")
  expect_match(res$warnings, "20 of 80 observations")
  d$y_fail <- d$y_quasi
  d$y_fail[d$f == "a"] <- 0L
  expect_warning(quiet_glmm(y_fail ~ f + (1 | g), d, family = binomial), "'f' \\(level 'a': only failures\\)")
  # a group-level treatment whose groups all have 1s
  d$trt <- rep(c(0, 1), 4)[d$g]
  d$y_trt <- ifelse(d$trt == 1, 1L, d$y_quasi)
  expect_warning(quiet_glmm(y_trt ~ trt + (1 | g), d, family = binomial), "quasi-complete separation: 'trt'")
})

test_that("a count model with a level of only zeros warns naming the level", {
  d <- separation_data()
  for (fam in list(poisson, "nbinom2")) {
    res <- collect_warnings(glmm(cnt ~ f + z + (1 | g), d, family = fam))
    expect_length(res$warnings, 1L)
    expect_match(res$warnings, "separation: 'f' \\(level 'b': only zero counts\\)")
    expect_match(res$warnings, "fitted means numerically 0 occurred for 20 of 80")
  }
})

test_that("strong but unseparated predictors and the standard data sets give no separation warning", {
  d <- separation_data()
  d$strong <- withr::with_seed(3, rbinom(80, 1, plogis(8 * d$x)))   # steep but overlapping
  expect_true(any(d$strong[d$x > 0] == 0) || any(d$strong[d$x < 0] == 1))
  expect_no_warning(quiet_glmm(strong ~ x + (1 | g), d, family = binomial))
  d$outlying <- d$x
  d$outlying[1] <- 60   # one fitted probability numerically 1, but finite estimates
  d$y_out <- withr::with_seed(4, rbinom(80, 1, plogis(0.5 * d$outlying)))
  d$y_out[1] <- 1L
  m <- expect_no_warning(quiet_glmm(y_out ~ outlying + (1 | g), d, family = binomial))
  expect_gt(max(fitted(m)), 1 - 1e-5)
  cbpp <- reference_data("lme4::cbpp")
  expect_no_warning(quiet_glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial))
  expect_no_warning(quiet_glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial(link = "probit")))
  verb <- reference_data("lme4::VerbAgg")
  expect_no_warning(quiet_glmm(r2 ~ Anger + Gender + btype + situ + (1 | id), verb, family = binomial))
})

test_that("the chapter's count models of the Eulaema data give no separation warning", {
  dat <- eulaema_data()
  expect_no_warning(quiet_glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = dat))
  expect_no_warning(quiet_glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = poisson, data = dat))
})

test_that("a Poisson identity-link fit whose means reach 0 is an error naming the link, never a -Inf fit", {
  # zero counts where the linear mean 5 (x + 0.5) would be negative: the Laplace approximation
  # leaves the family's range at the end point (glmm() used to return logLik -Inf here)
  d <- withr::with_seed(3, {
    d <- data.frame(g = factor(rep(1:6, each = 8)), x = runif(48, -1, 1))
    d$y <- rpois(48, 5 * pmax(d$x + 0.5, 0))
    d
  })
  for (opt in c("auto", "bobyqa")) {
    expect_error(suppressWarnings(suppressMessages(glmm(y ~ x + (1 | g), d, family = poisson(link = "identity"),
                                                        control = glmm_control(optimizer = opt)))),
                 "identity link.*poisson family.*log link keeps them inside", label = opt)
  }
})
