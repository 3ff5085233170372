# Wald intervals of the variance parameters (variance_parameter_wald(), which 'parameters' reads)
# for a diagonal term (x || g): one row per SD, no correlation row, the same numbers as glmmTMB's
# confint(method = "wald") for diag(x | g) (stored references, tests/references/refs_engine_wald.R).

wald_refs <- stored_references("engine_wald")

expect_wald_matches <- function(m, ref, disp_scale) {
  w <- glmmlab:::variance_parameter_wald(m)
  sds <- w[w$type == "sd", ]
  expect_identical(sds$term, c("(Intercept)", "Days"))
  expect_false(any(w$type == "cor"))
  expect_equal(sds$estimate, ref$estimate, tolerance = 1e-4)
  expect_equal(sds$se, ref$se_theta, tolerance = 1e-3)
  expect_equal(sds$lower, ref$lower, tolerance = 1e-3)
  expect_equal(sds$upper, ref$upper, tolerance = 1e-3)
  expect_equal(w$se[w$type == "sigma"], abs(disp_scale) * ref$se_betad, tolerance = 1e-3)
}

test_that("(Days || Subject) gives glmmTMB's Wald intervals of the SDs (LMM and Gamma GLMM)", {
  ss <- fixture_data("sleepstudy")
  expect_wald_matches(glmm(Reaction ~ Days + (Days || Subject), data = ss), wald_refs$lmm_diag, 0.5)
  expect_wald_matches(glmm(Reaction ~ Days + (Days || Subject), data = ss, family = Gamma(link = "log")),
                      wald_refs$gamma_diag, -0.5)
})
