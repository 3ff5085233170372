# Model frame, fixed design, weights and offset (R/model_frame.R), called as glmm() calls them.

# The model frame glmm() would build for `call` (a glmm() call, unevaluated) in `env`.
frame_for <- function(call, env = parent.frame()) {
  mc <- match.call(glmm, call)
  formula <- eval(mc$formula, env)
  glmmlab:::build_model_frame(mc, formula, env)
}

small_data <- function() {
  data.frame(y = c(1.2, 0.4, 2.2, 1.9, 0.7, 1.1, 2.5, 0.3), x = c(0.1, -1, 0.5, 1.2, -0.3, 0, 2, -2),
             f = factor(c("a", "b", "c", "a", "b", "c", "a", "b")), g = rep(c("u", "v"), each = 4),
             w = c(1, 2, 1, 2, 1, 2, 1, 2), o = seq(0.1, 0.8, by = 0.1))
}

test_that("the model frame holds every variable, weights and offset, with NA rows dropped", {
  dat <- small_data()
  dat$x[3] <- NA
  mf <- frame_for(quote(glmm(y ~ x + (1 | g), dat, weights = w, offset = o)))
  expect_equal(nrow(mf), 7L)
  expect_true(all(c("y", "x", "g", "(weights)", "(offset)") %in% names(mf)))
  expect_equal(unname(model.weights(mf)), dat$w[-3])
  expect_equal(attr(mf, "formula"), y ~ x + (1 | g))
  mf <- frame_for(quote(glmm(y ~ x + (1 | g), dat, subset = g == "u")))
  expect_equal(nrow(mf), 3L)   # row 3 has x = NA
})

test_that("check_variables_exist names missing variables and functions posing as variables", {
  dat <- small_data()
  expect_silent(glmmlab:::check_variables_exist(y ~ x + (1 | g), dat))
  expect_error(glmmlab:::check_variables_exist(y ~ x + q_absent + r_absent + (1 | g), dat),
               "variables not found in `data` nor in the formula's environment: 'q_absent', 'r_absent'")
  expect_error(glmmlab:::check_variables_exist(y ~ mean + (1 | g), dat), "'mean' is the name of a function")
  env_only <- local({ v_local <- 1:8; resp_local <- 8:1; resp_local ~ v_local })
  expect_silent(glmmlab:::check_variables_exist(env_only, NULL))
  expect_error(glmmlab:::check_variables_exist(y ~ v_local + (1 | g), NULL), "no `data` was given.*'v_local'")
  e <- list2env(list(y = 1, x = 2))
  expect_silent(glmmlab:::check_variables_exist(y ~ x, e))
})

test_that("model.frame errors about weights and offset are translated", {
  expect_equal(glmmlab:::explain_frame_error("variable lengths differ (found for '(weights)')"),
               "`weights` must have one value per observation (row of `data`)")
  expect_equal(glmmlab:::explain_frame_error("variable lengths differ (found for '(offset)')"),
               "`offset` must have one value per observation (row of `data`)")
  expect_match(glmmlab:::explain_frame_error("invalid type (character) for variable '(weights)'"), "`weights` must be a numeric vector")
  expect_equal(glmmlab:::explain_frame_error("object 'x' not found"), "object 'x' not found")
})

test_that("arguments passed through a wrapper's ... reach the model frame", {
  dat <- small_data()
  wrapper <- function(...) suppressMessages(glmm(...))
  m <- wrapper(y ~ x + (1 | g), dat, weights = dat$w, offset = dat$o)
  expect_equal(m$prior_weights, dat$w)
  expect_equal(m$offset, dat$o)
})

test_that("build_fixed_design returns X, terms and offset; rank-deficient columns are dropped with a message", {
  dat <- small_data()
  dat$x2 <- 3 * dat$x
  mf <- frame_for(quote(glmm(y ~ x + x2 + f + offset(o) + (1 | g), dat)))
  expect_message(fx <- glmmlab:::build_fixed_design(attr(mf, "formula"), mf), "dropping 1 column: x2")
  expect_equal(colnames(fx$X), c("(Intercept)", "x", "fb", "fc"))
  expect_equal(attr(fx$X, "assign"), c(0L, 1L, 3L, 3L))
  expect_equal(fx$dropped, "x2")
  expect_equal(fx$offset, dat$o)
  expect_s3_class(fx$terms, "terms")
  mf <- frame_for(quote(glmm(y ~ 0 + (1 | g), dat)))
  fx <- glmmlab:::build_fixed_design(attr(mf, "formula"), mf)
  expect_equal(ncol(fx$X), 0L)
  expect_equal(fx$offset, numeric(8))
})

test_that("fixed-effect checks name the predictor at fault", {
  dat <- small_data()
  dat$big <- dat$x * 1e150
  mf <- frame_for(quote(glmm(y ~ big + (1 | g), dat)))
  expect_error(glmmlab:::build_fixed_design(attr(mf, "formula"), mf), "predictor 'big' has values of magnitude")
  dat$one <- factor("k")
  mf <- frame_for(quote(glmm(y ~ x + one + (1 | g), dat)))
  expect_error(glmmlab:::build_fixed_design(attr(mf, "formula"), mf), "predictor 'one' has a single level \\('k'\\)")
  mf <- frame_for(quote(glmm(y ~ x + offset(log(x + 2)) + (1 | g), dat)))
  expect_error(glmmlab:::build_fixed_design(attr(mf, "formula"), mf), "offset.*non-finite.*row 8")
})

test_that("model_weights: ones when absent; checked when given", {
  dat <- small_data()
  expect_equal(glmmlab:::model_weights(frame_for(quote(glmm(y ~ x + (1 | g), dat)))), rep(1, 8))
  expect_equal(glmmlab:::model_weights(frame_for(quote(glmm(y ~ x + (1 | g), dat, weights = w)))), dat$w)
  expect_error(glmmlab:::model_weights(frame_for(quote(glmm(y ~ x + (1 | g), dat, weights = w - 1.5)))),
               "`weights` must not be negative \\(row 1 has -0.5\\)")
  expect_error(glmmlab:::model_weights(frame_for(quote(glmm(y ~ x + (1 | g), dat, weights = w * 1e-120)))),
               "`weights` range from 1e-120")
})

test_that("check_magnitude accepts ordinary scales and names extreme ones", {
  expect_silent(glmmlab:::check_magnitude(c(0, 1e-90, 1e90), "x"))
  expect_silent(glmmlab:::check_magnitude(numeric(3), "x"))
  expect_error(glmmlab:::check_magnitude(c(1, 2e101), "predictor 'x'"), "predictor 'x' has values of magnitude 2e\\+101")
  expect_error(glmmlab:::check_magnitude(c(0, 1e-120), "response 'y'"), "response 'y' has values of magnitude 1e-120")
})

test_that("observation counts and offset scale are checked against the family", {
  X <- cbind(1, 1:4)
  expect_error(glmmlab:::check_observation_count(2, X, gaussian()), "2 observations for 2 fixed-effect coefficients")
  expect_error(glmmlab:::check_observation_count(2, X, Gamma()), "Gamma model needs more observations")
  expect_silent(glmmlab:::check_observation_count(3, X, gaussian()))
  expect_silent(glmmlab:::check_observation_count(2, X, poisson()))
  expect_silent(glmmlab:::check_offset_scale(rep(1e3, 4), c(1, 2, 3, 4), gaussian()))
  expect_error(glmmlab:::check_offset_scale(rep(1e9, 4), c(1, 2, 3, 4), gaussian()), "offset has values of magnitude 1e\\+09")
  expect_silent(glmmlab:::check_offset_scale(rep(1e9, 4), c(1, 2, 3, 4) * 1e6, gaussian()))
  expect_error(glmmlab:::check_offset_scale(rep(1e9, 4), c(1, 2, 3, 4), poisson()), "too large for the linear predictor")
  expect_silent(glmmlab:::check_offset_scale(log(c(10, 100, 1e4, 1e6)), c(1, 2, 3, 4), poisson()))
})
