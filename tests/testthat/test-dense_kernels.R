# The blocked factor's large dense operations in the AVX2/FMA build of Eigen (src/dense_kernels.h,
# src/unit_avx2.cpp), used when the processor has AVX2 and FMA: models whose factor runs them (a
# dense rest of 80 and 90 columns, InstEval-shaped sparse rests with supernodes, LMMs and Poisson
# GLMMs with the selected inverse of their gradients) against stored lme4 1.1-31 and glmmTMB
# 1.1.5 fits (tests/references/refs_wide.R), and the same fits with the kernels switched off.
# (InstEval itself, 73,421 rows, also runs the products of updates between supernodes; its
# deviance and gradient agree to 1e-13 with the kernels on and off: NEWS.md.)

refs <- stored_references("wide")

wide_cases <- list(
  lmm_dense_rest = list(data = function() crossed_counts_data(150, 80, 20, seed = 1701), formula = log1p(y) ~ x + (1 | a) + (1 | b),
                        family = gaussian),
  lmm_sparse_rest = list(data = function() sparse_rest_data(600, 12, 500, 12, seed = 1702), formula = y ~ x + (1 | s) + (1 | d) + (1 | dept),
                         family = gaussian),
  poisson_dense_rest = list(data = function() crossed_counts_data(200, 90, 20, seed = 1704), formula = y ~ x + (1 | a) + (1 | b),
                            family = poisson),
  poisson_sparse_rest = list(data = function() sparse_rest_data(600, 12, 500, 12, seed = 1703, family = "poisson"),
                             formula = y ~ x + (1 | s) + (1 | d) + (1 | dept), family = poisson)
)

# A fit of `case` with the wide kernels on or off (put back as they were afterwards).
fit_with_kernels <- function(case, on) {
  was <- glmmlab:::cpp_wide_kernels(NA)
  on.exit(glmmlab:::cpp_wide_kernels(was))
  glmmlab:::cpp_wide_kernels(on)
  glmm(case$formula, data = case$data(), family = case$family)
}

# Compare a fit with its stored reference: lmer's for the LMMs (whose vcov is lme4's conditional
# one, so not compared), glmmTMB's for the GLMMs.
expect_matches_reference <- function(m, ref, label, gaussian) {
  expect_lt(abs(m$loglik - ref$logLik), if (gaussian) 1e-6 else 1e-4, label = paste(label, "logLik"))
  expect_gt(m$loglik - ref$logLik, -1e-6)
  expect_equal(fixef(m)$cond, ref$beta, tolerance = 1e-4, label = paste(label, "beta"))
  sds <- vapply(VarCorr(m)$cond, function(v) attr(v, "stddev")[[1L]], numeric(1))
  expect_equal(sds, ref$sd, tolerance = 1e-4, label = paste(label, "SDs"))
  if (!gaussian) expect_equal(unname(vcov(m)$cond), unname(ref$vcov), tolerance = 1e-4, label = paste(label, "vcov"))
}

test_that("models on the wide kernels and on the baseline code match lme4's and glmmTMB's fits and each other", {
  expect_type(glmmlab:::cpp_wide_kernels(NA), "logical")
  for (name in names(wide_cases)) {
    case <- wide_cases[[name]]
    gaussian <- identical(case$family, gaussian)
    base <- fit_with_kernels(case, FALSE)
    expect_matches_reference(base, refs[[name]], paste(name, "(baseline)"), gaussian)
    wide <- fit_with_kernels(case, TRUE)
    expect_matches_reference(wide, refs[[name]], paste(name, "(wide)"), gaussian)
    # the two builds round differently (FMA), so agree to rounding, not bit for bit
    expect_lt(abs(wide$loglik - base$loglik), 1e-9)
    expect_equal(fixef(wide)$cond, fixef(base)$cond, tolerance = 1e-7)
    expect_equal(vcov(wide)$cond, vcov(base)$cond, tolerance = 1e-5)
  }
})

test_that("the deviance and the exact gradient at a given point agree with the kernels on and off", {
  was <- glmmlab:::cpp_wide_kernels(NA)
  on.exit(glmmlab:::cpp_wide_kernels(was))
  for (name in names(wide_cases)) {
    case <- wide_cases[[name]]
    m <- glmm(case$formula, data = case$data(), family = case$family)
    core <- glmmlab:::ensure_core(m)
    par <- m$par * 1.01 + 0.001   # off the optimum, where the gradient is not zero
    glmmlab:::cpp_wide_kernels(FALSE)
    f0 <- glmmlab:::core_objective(core, par)
    g0 <- glmmlab:::core_gradient(core, par)
    glmmlab:::cpp_wide_kernels(TRUE)
    nudged <- par * (1 + 4 * .Machine$double.eps)   # a new point: the core recomputes rather than reading its cache
    f1 <- glmmlab:::core_objective(core, nudged)
    g1 <- glmmlab:::core_gradient(core, nudged)
    expect_equal(f1, f0, tolerance = 1e-12, label = paste(name, "deviance"))
    expect_lt(max(abs(g1 - g0)) / max(abs(g0)), 1e-9, label = paste(name, "gradient"))
  }
})

test_that("small models never reach the wide kernels: their fits are the baseline's bit for bit", {
  was <- glmmlab:::cpp_wide_kernels(NA)
  on.exit(glmmlab:::cpp_wide_kernels(was))
  sleep <- fixture_data("sleepstudy")
  glmmlab:::cpp_wide_kernels(FALSE)
  base <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  glmmlab:::cpp_wide_kernels(TRUE)
  wide <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_identical(wide$loglik, base$loglik)
  expect_identical(vcov(wide)$cond, vcov(base)$cond)
  # lme4 1.1-31: logLik(lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE)) (test-anova.R)
  expect_lt(abs(wide$loglik - (-875.969672244495)), 1e-6)
})

test_that("a fit on the wide kernels is the same bit for bit when repeated, wherever its buffers land", {
  # Eigen's wide packets are 32 bytes: with 16-byte aligned buffers their reductions would group
  # sums by where each buffer happened to land, and a repeated fit could differ in the last bits
  # (src/Makevars aligns every Eigen buffer to 32 bytes)
  case <- wide_cases$lmm_sparse_rest
  d <- case$data()
  fits <- lapply(1:3, function(i) {
    heap <- lapply(seq_len(5 * i), function(k) numeric(3 * k + 1))   # other allocations in between
    glmm(case$formula, data = d)
  })
  for (i in 2:3) {
    expect_identical(fits[[i]]$loglik, fits[[1]]$loglik)
    expect_identical(vcov(fits[[i]])$cond, vcov(fits[[1]])$cond)
  }
})

test_that("cores read in several threads at once give the values they give one at a time", {
  # a core holds no state shared with another (src/mixed_core.h), the wide kernels' switch is
  # atomic, and only R's own thread checks for interrupts (src/engine_base.cpp)
  models <- function() {
    list(glmm(wide_cases$lmm_sparse_rest$formula, data = wide_cases$lmm_sparse_rest$data()),
         glmm(wide_cases$poisson_dense_rest$formula, data = wide_cases$poisson_dense_rest$data(), family = poisson),
         glmm(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy")),
         glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = fixture_data("cbpp"), family = binomial))
  }
  threaded <- models()
  one_by_one <- models()
  pars <- lapply(threaded, function(m) m$par * 1.01 + 0.001)
  values <- glmmlab:::cpp_cores_objective_in_threads(lapply(threaded, function(m) glmmlab:::ensure_core(m)$ptr), pars, FALSE)
  expected <- vapply(seq_along(one_by_one), function(i) glmmlab:::core_objective(glmmlab:::ensure_core(one_by_one[[i]]), pars[[i]]), numeric(1))
  expect_identical(values, expected)
  expect_true(all(is.finite(values)))
  core <- glmmlab:::ensure_core(threaded[[1]])$ptr
  expect_error(glmmlab:::cpp_cores_objective_in_threads(list(core, core), pars[c(1, 1)], FALSE), "one core cannot be read by two threads")
})
