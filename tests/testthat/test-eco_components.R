# test-eco_components.R: the packages around a fit (insight, parameters, performance, ggeffects,
# emmeans, broom.mixed, car, effects, sjPlot) give for glmm() fits with a zero-inflation or hurdle
# model, a dispersion formula or the further families (issue 16) the numbers they give for the
# same glmmTMB fits (stored: tests/references/refs_fam_eco.R, topic "fam_eco"; live when glmmTMB is
# installed), or a clear error; never the conditional model alone where glmmTMB's answer has the
# zero-inflation or dispersion part. Each block skips only when the tools it exercises are missing.

fam_eco_refs <- function() stored_references("fam_eco")

# The specs of refs_fam_eco.R, with glmmlab's families.
fam_eco_specs <- function() {
  list(zip = list(f = count ~ spp + mined + (1 | site), data = "sal", family = stats::poisson(), zi = ~ spp + mined, disp = ~1, focal = "mined"),
       zinb2 = list(f = count ~ spp + mined + (1 | site), data = "sal", family = nbinom2(), zi = ~ spp + mined, disp = ~1, focal = "mined"),
       hurdle_nb2 = list(f = count ~ spp + mined + (1 | site), data = "sal", family = truncated_nbinom2(), zi = ~ spp + mined, disp = ~1, focal = "mined"),
       nb2_disp = list(f = count ~ spp + mined + (1 | site), data = "sal", family = nbinom2(), zi = ~0, disp = ~spp, focal = "spp"),
       sleep_disp = list(f = Reaction ~ Days + (1 | Subject), data = "sleep", family = stats::gaussian(), zi = ~0, disp = ~Days, focal = "Days"),
       betabinomial = list(f = cbind(incidence, size - incidence) ~ period + (1 | herd), data = "cbpp", family = betabinomial(), zi = ~0, disp = ~1, focal = "period"),
       beta = list(f = y ~ x + (1 | g), data = "beta", family = beta_family(), zi = ~0, disp = ~1, focal = "x"),
       tweedie = list(f = y ~ x + (1 | g), data = "tweedie", family = tweedie(), zi = ~0, disp = ~1, focal = "x"),
       t = list(f = y ~ x + (1 | g), data = "t", family = t_family(), zi = ~0, disp = ~1, focal = "x"))
}

fam_eco_data <- function(name) {
  sim <- function(n) {
    s <- stored_references("fam")$sim_data[[n]]
    data.frame(y = s$y, x = s$x, g = factor(rep(1:15, each = 20)))
  }
  switch(name, sal = fixture_data("Salamanders"), sleep = fixture_data("sleepstudy"), cbpp = fixture_data("cbpp"), sim(name))
}

# Fit a spec with glmm() (or glmmTMB with its families), the data bound to `dat` in an environment
# the tools can re-evaluate the call in.
fam_eco_fit <- function(spec, peer = FALSE) {
  env <- new.env(parent = globalenv())
  env$dat <- fam_eco_data(spec$data)
  env$f <- spec$f
  env$zi <- spec$zi
  env$disp <- spec$disp
  environment(env$f) <- env
  if (peer) {
    fam <- spec$family$family
    env$fam <- if (fam %in% c("poisson", "gaussian")) spec$family else
      get(switch(fam, beta = "beta_family", t = "t_family", fam), envir = asNamespace("glmmTMB"))()
    return(suppressWarnings(eval(quote(glmmTMB::glmmTMB(f, data = dat, family = fam, ziformula = zi, dispformula = disp)), env)))
  }
  env$fam <- spec$family
  suppressMessages(eval(quote(glmm(f, data = dat, family = fam, ziformula = zi, dispformula = disp)), env))
}

has_zi_part <- function(spec) !identical(deparse(spec$zi), "~0")
has_disp_part <- function(spec) !identical(deparse(spec$disp), "~1")

expect_rel <- function(ours, ref, label, tol = 1e-3) {
  expect_equal(as.numeric(unlist(ours)), as.numeric(unlist(ref)), tolerance = tol, label = label)
}

# insight: flags, formulas, parameters by component, statistics, covariances, predictions, sigma.
check_insight_routes <- function(m, ref, spec, name) {
  info <- insight::model_info(m)
  expect_identical(unlist(info[names(ref$flags)]), ref$flags, label = paste(name, "model_info"))
  expect_identical(vapply(insight::find_formula(m), function(f) paste(deparse(f), collapse = ""), ""), ref$formula,
                   label = paste(name, "find_formula"))
  expect_identical(insight::find_parameters(m), ref$parameters, label = paste(name, "find_parameters"))
  gp <- insight::get_parameters(m, component = "all")
  expect_identical(gp$Component, ref$get_parameters_component, label = paste(name, "get_parameters components"))
  expect_rel(gp$Estimate, ref$get_parameters, paste(name, "get_parameters"))
  st <- insight::get_statistic(m, component = "all")
  expect_identical(st$Component, ref$statistic_component, label = paste(name, "get_statistic components"))
  expect_rel(st$Statistic, ref$statistic, paste(name, "get_statistic"))
  if (!is.null(ref$varcov_zi)) expect_rel(insight::get_varcov(m, component = "zero_inflated"), ref$varcov_zi, paste(name, "varcov zi"))
  if (!is.null(ref$varcov_disp)) expect_rel(insight::get_varcov(m, component = "dispersion"), ref$varcov_disp, paste(name, "varcov disp"))
  if (!is.null(ref$varcov_all)) {
    V <- suppressWarnings(insight::get_varcov(m, component = "all"))
    if (name == "betabinomial") {   # herd's variance at its boundary: its theta has no finite value on glmmTMB's scale
      expect_rel(V[1:5, 1:5], ref$varcov_all[1:5, 1:5], paste(name, "varcov all"))
    } else expect_rel(V, ref$varcov_all, paste(name, "varcov all"))
  } else {
    expect_error(insight::get_varcov(m, component = "all"), "not available yet for glmmlab fits with `ziformula` or `dispformula`")
  }
  pred <- as.numeric(insight::get_predicted(m, ci = NULL))
  expect_rel(pred[seq(1, length(pred), by = 7)], ref$predicted, paste(name, "get_predicted"))
  if (has_zi_part(spec) || has_disp_part(spec)) {
    expect_error(insight::get_predicted(m, ci = 0.95), "not available yet for glmmlab fits with `ziformula`")
  }
  if (is.na(ref$sigma)) expect_null(insight::get_sigma(m)) else expect_rel(insight::get_sigma(m), ref$sigma, paste(name, "get_sigma"))
  expect_equal(insight::link_inverse(m)(c(-1, 0, 1)), m$family$linkinv(c(-1, 0, 1)))
}

# parameters, sjPlot's plot_model, broom.mixed, car, effects, emmeans, ggeffects.
check_table_routes <- function(m, ref, spec, name) {
  mp <- as.data.frame(parameters::model_parameters(m))
  expect_identical(mp$Component, ref$mp_component, label = paste(name, "model_parameters components"))
  expect_identical(mp$Parameter, ref$mp_parameter, label = paste(name, "model_parameters rows"))
  rows <- if (name == "betabinomial") !startsWith(mp$Parameter, "SD") else TRUE   # herd's SD: 0 here, 1e-4 with (0, Inf) there
  for (col in names(ref$mp)) expect_rel(mp[[col]][rows], ref$mp[[col]][rows], paste(name, "model_parameters", col))
  if (name == "betabinomial") expect_equal(mp$Coefficient[!rows], 0, tolerance = 1e-3)
  pm <- sjPlot::plot_model(m)$data
  expect_identical(as.character(pm$term), ref$plot_model_term, label = paste(name, "plot_model terms"))
  expect_rel(pm$estimate, ref$plot_model, paste(name, "plot_model"))
  td <- as.data.frame(broom.mixed::tidy(m))
  expect_identical(paste(td$effect, td$component, td$term), ref$tidy_term, label = paste(name, "tidy rows"))
  keep <- if (name == "betabinomial") td$effect == "fixed" else TRUE
  expect_rel(td[keep, c("estimate", "std.error")], ref$tidy[keep, ], paste(name, "tidy"))
  expect_rel(as.data.frame(broom.mixed::glance(m))[c("logLik", "AIC", "BIC")], ref$glance, paste(name, "glance"), tol = 1e-6)
  expect_rel(as.data.frame(car::Anova(m))[, 1L], ref$anova, paste(name, "Anova"))
  if (!is.null(ref$anova_zi)) expect_rel(as.data.frame(car::Anova(m, component = "zi"))[, 1L], ref$anova_zi, paste(name, "Anova zi"))
  else expect_error(car::Anova(m, component = "zi"), "no zero-inflation model")
  if (!is.null(ref$anova_disp)) expect_rel(as.data.frame(car::Anova(m, component = "disp"))[, 1L], ref$anova_disp, paste(name, "Anova disp"))
  if (!is.null(ref$effect)) {
    ef <- as.data.frame(suppressWarnings(effects::Effect(spec$focal, m)))
    expect_rel(ef[c("fit", "lower", "upper")], ref$effect, paste(name, "Effect"))
  }
  em <- as.data.frame(summary(emmeans::emmeans(m, spec$focal, component = "cond")))
  expect_rel(em[c("emmean", "SE", "lower.CL", "upper.CL")], ref$emmeans_cond, paste(name, "emmeans cond"))
  if (!is.null(ref$emmeans_zi)) {
    emz <- as.data.frame(summary(emmeans::emmeans(m, spec$focal, component = "zi")))
    expect_rel(emz[c("emmean", "SE")], ref$emmeans_zi, paste(name, "emmeans zi"))
  }
  expect_error(emmeans::emmeans(m, spec$focal, component = "response"), "`component` must be \"cond\" or \"zi\"")
  gg <- as.data.frame(ggeffects::ggpredict(m, spec$focal))
  expect_rel(gg[c("predicted", "conf.low", "conf.high")], ref$ggpredict, paste(name, "ggpredict"))
  if (has_zi_part(spec)) {
    for (type in c("fe.zi", "zero_inflated", "re.zi", "zi.prob")) {
      expect_error(ggeffects::ggpredict(m, spec$focal, type = type), "not available for glmmlab fits with `ziformula`")
    }
    # ggeffects catches emmeans' error, prints it and returns no predictions
    expect_output(res <- suppressMessages(ggeffects::ggemmeans(m, spec$focal)), "not available for glmmlab fits with `ziformula` or `dispformula`")
    expect_null(res)
  }
  if (has_zi_part(spec) || has_disp_part(spec)) {
    expect_error(ggeffects::ggpredict(m, spec$focal, type = "re"), "not available yet for glmmlab fits with `ziformula`")
  } else {
    gge <- as.data.frame(ggeffects::ggemmeans(m, spec$focal))
    expect_rel(gge[c("predicted", "conf.low", "conf.high")], ref$ggemmeans, paste(name, "ggemmeans"))
  }
}

# performance: model_performance's columns, singularity, overdispersion, zero-inflation, icc, r2.
check_performance_routes <- function(m, ref, spec, name) {
  perf <- suppressMessages(suppressWarnings(performance::model_performance(m)))
  common <- intersect(names(ref$performance), names(perf))
  expect_true(all(c("AIC", "AICc", "BIC", "RMSE") %in% common))
  expect_rel(perf[common], ref$performance[common], paste(name, "model_performance"))
  if (!"Sigma" %in% names(ref$performance)) expect_true(is.na(perf$Sigma))   # glmmTMB's sigma() is NA with a dispformula
  components <- has_zi_part(spec) || has_disp_part(spec)
  if (components || name == "t") {
    expect_false(any(c("R2_conditional", "R2_marginal", "ICC") %in% names(perf)))
    expect_message(performance::model_performance(m), "R2 and ICC left out")
  }
  singular <- performance::check_singularity(m)
  expect_identical(singular, ref$singular, label = paste(name, "check_singularity"))
  if (components) {
    if (spec$family$family != "gaussian") expect_error(performance::check_overdispersion(m), "not available yet for models with `ziformula`")
  } else if (!is.null(ref$overdispersion)) {
    od <- performance::check_overdispersion(m)
    expect_rel(od[c("chisq_statistic", "dispersion_ratio", "p_value")], ref$overdispersion, paste(name, "check_overdispersion"))
  }
  if (!is.null(ref$zeroinflation) && name == "zip") {
    zi <- performance::check_zeroinflation(m)
    expect_rel(zi[c("predicted.zeros", "observed.zeros")], ref$zeroinflation, paste(name, "check_zeroinflation"))
  }
  if (name == "hurdle_nb2") expect_error(performance::check_zeroinflation(m), "does not apply to hurdle models")
  if (name %in% c("zinb2", "nb2_disp")) expect_error(performance::check_zeroinflation(m), "cannot read the negative binomial size")
  if (name == "tweedie") {
    expect_rel(unlist(performance::icc(m)), ref$icc, paste(name, "icc"))
    ours <- performance::r2(m)
    pick <- function(what) ref$r2[startsWith(names(ref$r2), what)]
    expect_rel(c(ours$R2_conditional, ours$R2_marginal), c(pick("R2_conditional"), pick("R2_marginal")), paste(name, "r2"))
  } else if (components || name == "t") {
    expect_error(performance::r2(m), if (name == "t") "insight 0.19 takes sigma" else "not defined for models with a zero-inflation or dispersion model")
    expect_error(insight::get_variance(m), if (name == "t") "insight 0.19 takes sigma" else "not available for glmmlab fits with `ziformula`")
    expect_true(all(is.na(suppressMessages(suppressWarnings(unlist(performance::icc(m)))))))
  } else {
    expect_error(performance::r2(m), "latent-scale \\(distribution-specific\\) variance is not defined")
  }
}

test_that("insight reads glmm() fits with components and the new families as it reads glmmTMB's", {
  skip_if_not_installed("insight")
  refs <- fam_eco_refs()
  specs <- fam_eco_specs()
  for (name in names(specs)) check_insight_routes(fam_eco_fit(specs[[name]]), refs[[name]], specs[[name]], name)
})

test_that("parameters, sjPlot, broom.mixed, car, effects, emmeans and ggeffects give glmmTMB's numbers or clear errors", {
  for (pkg in c("parameters", "sjPlot", "broom.mixed", "car", "effects", "emmeans", "ggeffects")) skip_if_not_installed(pkg)
  refs <- fam_eco_refs()
  specs <- fam_eco_specs()
  for (name in names(specs)) check_table_routes(fam_eco_fit(specs[[name]]), refs[[name]], specs[[name]], name)
})

test_that("performance gives glmmTMB's numbers or clear errors for fits with components and the new families", {
  skip_if_not_installed("performance")
  refs <- fam_eco_refs()
  specs <- fam_eco_specs()
  for (name in names(specs)) check_performance_routes(fam_eco_fit(specs[[name]]), refs[[name]], specs[[name]], name)
})

test_that("tab_model() of fits with components stops on the variance components, and works without them", {
  skip_if_not_installed("sjPlot")
  m <- fam_eco_fit(fam_eco_specs()$zinb2)
  expect_error(sjPlot::tab_model(m), "not available for glmmlab fits with `ziformula`")
  tab <- sjPlot::tab_model(m, show.r2 = FALSE, show.icc = FALSE, show.re.var = FALSE)
  # the zero model's rows, as for the glmmTMB fit: minedno's odds ratio exp(-2.563) = 0.08, CI 0.02-0.25
  expect_match(tab$page.content, "0.02&nbsp;&ndash;&nbsp;0.25", fixed = TRUE)
})

test_that("the tools give the live glmmTMB fits' numbers", {
  skip_if_not_installed("glmmTMB")
  for (pkg in c("insight", "parameters", "emmeans", "ggeffects")) skip_if_not_installed(pkg)
  specs <- fam_eco_specs()
  for (name in c("zinb2", "hurdle_nb2", "nb2_disp", "sleep_disp", "tweedie")) {
    spec <- specs[[name]]
    m <- fam_eco_fit(spec)
    g <- fam_eco_fit(spec, peer = TRUE)
    expect_rel(insight::get_parameters(m, component = "all")$Estimate, insight::get_parameters(g, component = "all")$Estimate, paste(name, "live get_parameters"))
    expect_identical(insight::find_parameters(m), insight::find_parameters(g))
    expect_identical(insight::model_info(m)[c("is_zero_inflated", "is_hurdle", "is_dispersion")],
                     insight::model_info(g)[c("is_zero_inflated", "is_hurdle", "is_dispersion")])
    ours <- as.data.frame(parameters::model_parameters(m))
    theirs <- as.data.frame(parameters::model_parameters(g))
    expect_identical(ours$Component, theirs$Component)
    expect_rel(ours[c("Coefficient", "CI_low", "CI_high")], theirs[c("Coefficient", "CI_low", "CI_high")], paste(name, "live model_parameters"))
    expect_rel(as.data.frame(ggeffects::ggpredict(m, spec$focal))[c("predicted", "conf.low", "conf.high")],
               as.data.frame(ggeffects::ggpredict(g, spec$focal))[c("predicted", "conf.low", "conf.high")], paste(name, "live ggpredict"))
    expect_rel(as.numeric(insight::get_predicted(m, ci = NULL)), as.numeric(insight::get_predicted(g, ci = NULL)), paste(name, "live get_predicted"))
  }
})

test_that("anova() of one fit with components tests the conditional model's terms and says so", {
  spec <- fam_eco_specs()$zip
  m <- fam_eco_fit(spec)
  ref <- fam_eco_refs()$zip
  tab <- anova(m, type = "III")
  # spp + mined without interactions: type III Wald tests of the terms equal car::Anova()'s type II
  # tests on the glmmTMB fit (stored), the intercept row aside
  expect_rel(tab[c("spp", "mined"), "Chisq"], ref$anova, "zip anova(type = 'III')")
  expect_match(attr(tab, "heading")[1L], "conditional model", fixed = TRUE)
  expect_true(any(grepl("zero-inflation", attr(tab, "heading"), fixed = TRUE)))
})
