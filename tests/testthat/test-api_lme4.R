# lme4's object API for glmm fits (issue 13, item 5): getME() with lme4's meanings and term order,
# isSingular(), refit(), REMLcrit(), the predicates, getData(), hatvalues(), rstudent(),
# cooks.distance() and influence(), against stored lme4 numbers.

refs <- stored_references("api")

test_that("getME() of an (x | g) REML fit matches lme4's pieces", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = TRUE)
  ref <- refs$getME_us_lme4
  expect_equal(getME(m, "theta"), ref$theta, tolerance = 1e-5)
  expect_equal(getME(m, "u"), ref$u, tolerance = 1e-4)
  expect_equal(getME(m, "b"), ref$b, tolerance = 1e-4)
  expect_equal(getME(m, "Lind"), ref$Lind)
  expect_equal(getME(m, "Gp"), ref$Gp)
  expect_equal(getME(m, "lower"), ref$lower)
  expect_equal(abs(getME(m, "RX")), abs(ref$RX), tolerance = 1e-5, ignore_attr = TRUE)
  expect_equal(abs(getME(m, "RZX")[1:4, ]), abs(ref$RZX_head), tolerance = 1e-4, ignore_attr = TRUE)
  expect_equal(getME(m, "Lambdat")@x, ref$Lambdat_x, tolerance = 1e-5)
  Z <- getME(m, "Z")
  expect_s4_class(Z, "dgCMatrix")
  expect_equal(dim(Z), ref$Z_dim)
  expect_equal(colnames(Z), ref$Z_colnames)
  expect_equal(Z@x, ref$Z_x)
  expect_equal(getME(m, "devcomp")$cmp[names(ref$cmp)], ref$cmp, tolerance = 1e-5)
  expect_equal(getME(m, "ST")$Subject, ref$ST, tolerance = 1e-5, ignore_attr = TRUE)
  expect_equal(getME(m, "devfun")(c(1, 0, 1)), ref$devfun_at_1, tolerance = 1e-8)
  expect_equal(REMLcrit(m), ref$REMLcrit, tolerance = 1e-8)
  expect_equal(REMLcrit(glmm(Reaction ~ Days + (Days | Subject), ss)), ref$deviance_ml_crit, tolerance = 1e-6)
  expect_s4_class(getME(m, "L"), "CHMfactor")
  expect_equal(getME(m, c("n", "p", "q")), list(n = 180L, p = 2L, q = 36), ignore_attr = TRUE)
  expect_true(getME(m, "is_REML"))
  expect_equal(getME(m, "REML"), 2L)
  expect_error(getME(m, "nonesuch"), "unknown name for getME\\(\\): 'nonesuch'")
  expect_error(getME(m), "needs `name`")
  if (requireNamespace("lme4", quietly = TRUE)) {
    expect_equal(lme4::getME(m, "theta"), ref$theta, tolerance = 1e-5)   # registered on lme4's generic
    expect_false(lme4::isSingular(m))
  }
})

test_that("getME() follows lme4's order of terms (decreasing number of levels) and splits (x || g)", {
  pen <- fixture_data("Penicillin")
  m <- glmm(diameter ~ (1 | sample) + (1 | plate), pen, REML = TRUE)
  ref <- refs$getME_reorder_lme4
  expect_equal(getME(m, "theta"), ref$theta, tolerance = 1e-4)   # lme4 stops early: ours is the lower criterion
  expect_lte(REMLcrit(m), ref$REMLcrit + 1e-8)
  expect_equal(getME(m, "cnms"), ref$cnms)
  expect_equal(getME(m, "Gp"), ref$Gp)
  expect_equal(names(getME(m, "flist")), ref$flist_names)
  expect_equal(getME(m, "b"), ref$b, tolerance = 1e-4)
  expect_equal(getME(m, "Lind"), ref$Lind)
  expect_equal(unname(getME(m, "l_i")), unname(ref$l_i))
  ss <- fixture_data("sleepstudy")
  d <- glmm(Reaction ~ Days + (Days || Subject), ss)
  dref <- refs$getME_dbar_lme4
  expect_equal(getME(d, "theta"), dref$theta, tolerance = 1e-4)
  expect_lte(deviance(d), dref$deviance + 1e-8)
  expect_equal(getME(d, "n_rtrms"), dref$n_rtrms)
  expect_equal(getME(d, "n_rfacs"), dref$n_rfacs)
  expect_equal(getME(d, "b"), dref$b, tolerance = 1e-4)
})

test_that("getME() of a GLMM: devfun of c(theta, beta) as lme4's, names of theta", {
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  ref <- refs$getME_glmer_lme4
  expect_equal(names(getME(g, "theta")), ref$theta_names)
  expect_equal(getME(g, "devfun")(c(0.6, -1.4, -1, -1.1, -1.6)), ref$devfun, tolerance = 1e-4)
  expect_true(isGLMM(g))
  expect_false(isLMM(g))
  expect_false(isNLMM(g))
  expect_false(isREML(g))
  expect_error(REMLcrit(g), "needs a linear mixed model")
  expect_error(getME(g, "glmer.nb.theta"), "nbinom2")
})

test_that("isSingular(), refit(), refitML() and getData() as lme4's", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = TRUE)
  expect_identical(isSingular(m), refs$isSingular_lme4[["nonsingular"]])
  one <- transform(ss, pop = "A")
  expect_identical(isSingular(suppressMessages(glmm(Reaction ~ Days + (1 | pop), one, REML = TRUE))), refs$isSingular_lme4[["singular"]])
  newy <- ss$Reaction + rep(c(-5, 5), 90)
  r <- refit(m, newy)
  expect_lt(abs(r$loglik - refs$refit_lme4$logLik), 1e-6)   # the fit of lmer() to the new response
  expect_gt(r$loglik, refs$refit_lme4$logLik_refit)          # lme4's refit() stops short of it
  expect_equal(fixef(r)$cond, refs$refit_lme4$beta, tolerance = 1e-6)
  expect_true(r$REML)
  expect_equal(refit(m)$loglik, m$loglik, tolerance = 1e-8)
  expect_equal(refit(m, data.frame(y = newy))$loglik, r$loglik)
  expect_error(refit(m, newy[-1]), "`newresp` has 179 values, the model has 180 observations")
  ml <- refitML(m)
  expect_false(ml$REML)
  expect_lt(abs(ml$loglik - glmm(Reaction ~ Days + (Days | Subject), ss)$loglik), 1e-6)
  expect_identical(getData(m), ss)
  Reaction <- ss$Reaction; Days <- ss$Days; Subject <- ss$Subject
  expect_error(getData(glmm(Reaction ~ Days + (1 | Subject), data = NULL)), "without a `data` argument")
})

test_that("hatvalues(), rstudent() and cooks.distance() of an LMM match lme4's", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = TRUE)
  ref <- refs$hat_lme4
  expect_equal(unname(hatvalues(m)), ref$hat, tolerance = 1e-5)
  expect_equal(unname(rstudent(m)), ref$rstudent, tolerance = 1e-5)
  expect_equal(unname(cooks.distance(m)), ref$cooks, tolerance = 1e-4)
  expect_equal(sum(hatvalues(m)), sum(ref$hat), tolerance = 1e-5)   # the effective number of parameters
  # without random effects: lm()'s leverages
  l <- glmm(Reaction ~ Days, ss)
  expect_equal(unname(hatvalues(l)), unname(hatvalues(lm(Reaction ~ Days, ss))), tolerance = 1e-10)
  # NA rows are padded with na.exclude
  sna <- ss
  sna$Reaction[c(1, 5)] <- NA
  e <- glmm(Reaction ~ Days + (1 | Subject), sna, na.action = na.exclude)
  expect_length(hatvalues(e), 180L)
  expect_true(all(is.na(hatvalues(e)[c(1, 5)])))
})

test_that("influence(): deletion refits, cooks.distance() and dfbetas() as lme4's", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), ss, REML = TRUE)
  inf <- influence(m, "Subject")
  ref <- refs$influence_subject_lme4
  expect_equal(unname(inf[["fixed.effects[-Subject]"]]), ref$fixed, tolerance = 1e-5)
  expect_equal(unname(cooks.distance(inf)), ref$cooks, tolerance = 1e-4)
  expect_equal(unname(dfbetas(inf)), ref$dfbetas, tolerance = 1e-4)
  expect_true(all(inf$converged))
  small <- glmm(Reaction ~ 1 + (1 | Subject), ss[1:60, ], REML = TRUE)
  expect_equal(unname(influence(small)[["fixed.effects[-case]"]][, 1]), refs$influence_case_lme4$fixed, tolerance = 1e-5)
  expect_equal(influence(m, do.coef = FALSE)$hat, hatvalues(m))
  expect_error(influence(m, groups = "nonesuch"), "`groups` must name variables of `data`")
})
