# test-eco_tools.R: the packages around a fit (ggeffects, parameters, sjPlot, performance, car,
# effects) give for glmm() fits of the chapter's models and cbpp's binomial model the numbers they
# give for glmmTMB fits (stored: tests/references/refs_eco.R, topic "eco"; live when glmmTMB is
# installed), or a clear error. Each block skips only when the tool it exercises is missing.

eco_specs <- function() {
  list(lmm = list(f = y ~ x1 + (1 | groupID), data = "sim", family = gaussian(), focal = "x1"),
       lmm0 = list(f = y ~ 1 + (1 | groupID), data = "sim", family = gaussian(), focal = NULL),
       nested = list(f = UBW ~ LBW + (1 | pop/patch), data = "blossoms", family = gaussian(), focal = "LBW"),
       nb = list(f = Eulaema_nigrita ~ MAP + (1 | SA), data = "bees", family = "nbinom2", focal = "MAP"),
       pois = list(f = Eulaema_nigrita ~ forest. + (1 | SA), data = "bees", family = poisson(), focal = "forest."),
       cbpp = list(f = cbind(incidence, size - incidence) ~ period + (1 | herd), data = "cbpp", family = binomial(),
                   focal = "period"))
}

# The data of a spec, in an environment that the fit's call can be re-evaluated in (null models).
eco_data <- function(name) switch(name, sim = chapter_sim_data(), blossoms = blossoms_data(), bees = eulaema_data(),
                                  cbpp = fixture_data("cbpp"))

# Fit a spec with glmm() (or glmmTMB), with `data` bound to a variable so refits find it.
eco_fit <- function(spec, peer = FALSE) {
  env <- new.env(parent = globalenv())
  env$dat <- eco_data(spec$data)
  env$fam <- spec$family
  env$f <- spec$f
  call <- if (peer) quote(glmmTMB::glmmTMB(f, data = dat, family = fam)) else quote(glmm(f, data = dat, family = fam))
  environment(env$f) <- env
  eval(call, env)
}

eco_refs <- function() stored_references("eco")

# Relative difference within tol for every column the reference stores.
expect_columns <- function(ours, ref, tol = 1e-3, label = "") {
  ours <- as.data.frame(ours)
  for (col in names(ref)) {
    if (is.character(ref[[col]])) expect_equal(ours[[col]], ref[[col]], label = paste(label, col))
    else expect_equal(as.numeric(ours[[col]]), ref[[col]], tolerance = tol, label = paste(label, col))
  }
}

test_that("ggeffects::ggpredict() gives glmmTMB's population-level predictions and intervals", {
  skip_if_not_installed("ggeffects")
  refs <- eco_refs()
  for (n in setdiff(names(eco_specs()), "lmm0")) {
    spec <- eco_specs()[[n]]
    m <- eco_fit(spec)
    expect_columns(ggeffects::ggpredict(m, spec$focal), refs[[paste0(n, "_ggpredict")]], label = n)
    expect_columns(ggeffects::ggpredict(m, spec$focal, type = "re"), refs[[paste0(n, "_ggpredict_re")]], label = paste(n, "re"))
    expect_columns(ggeffects::ggpredict(m, spec$focal, ci.lvl = 0.9), refs[[paste0(n, "_ggpredict_90")]], label = paste(n, "90%"))
    if (requireNamespace("emmeans", quietly = TRUE)) {
      expect_columns(suppressMessages(ggeffects::ggemmeans(m, spec$focal)), refs[[paste0(n, "_ggemmeans")]], label = paste(n, "emmeans"))
    }
  }
  nb <- eco_fit(eco_specs()$nb)
  # the issue's case: 266.7 [135.4, 525.3] at MAP = 600, not the first study area's 1196.8
  expect_columns(ggeffects::ggpredict(nb, "MAP [600]"), refs$nb_ggpredict_MAP600)
  lmm <- eco_fit(eco_specs()$lmm)
  expect_columns(ggeffects::ggpredict(lmm, "groupID", type = "re"), refs$lmm_ggpredict_groups_re)
  expect_columns(ggeffects::ggpredict(lmm, c("x1", "groupID"), type = "re"), refs$lmm_ggpredict_x_groups_re)
  if (requireNamespace("insight", quietly = TRUE)) {
    for (n in c("lmm", "nb", "cbpp")) {
      expect_columns(insight::get_predicted(eco_fit(eco_specs()[[n]]), ci = 0.95), refs[[paste0(n, "_get_predicted")]],
                     label = paste(n, "get_predicted"))
    }
  }
  skip_if_not_installed("glmmTMB")
  g <- eco_fit(eco_specs()$nested, peer = TRUE)
  m <- eco_fit(eco_specs()$nested)
  ref <- as.data.frame(suppressWarnings(ggeffects::ggpredict(g, "LBW", type = "re")))
  expect_columns(ggeffects::ggpredict(m, "LBW", type = "re"), ref[c("predicted", "conf.low", "conf.high")], label = "live")
})

test_that("ggpredict() routes glmmlab cannot match are errors", {
  skip_if_not_installed("ggeffects")
  lmm <- eco_fit(eco_specs()$lmm)
  nested <- eco_fit(eco_specs()$nested)
  expect_error(ggeffects::ggpredict(nested, c("LBW", "pop"), type = "re"), "some but not all grouping factors")
  expect_error(ggeffects::ggpredict(lmm, "x1", type = "sim"), "not available for glmmlab fits")
  expect_error(ggeffects::ggpredict(lmm, "x1", type = "zi.prob"), "no zero-inflation part")
  expect_message(ggeffects::ggpredict(lmm, "x1", type = "fe.zi"), "no zero-inflation part")
  skip_if_not_installed("insight")
  fixed <- as.data.frame(insight::get_predicted(lmm, ci = 0.95, include_random = FALSE))
  expect_equal(fixed$Predicted, unname(predict(lmm, re.form = NA)))
  expect_equal(as.numeric(insight::get_predicted(lmm)), unname(fitted(lmm)))
})

test_that("parameters::model_parameters() gives glmmTMB's table (random-effect SDs with Wald limits)", {
  skip_if_not_installed("parameters")
  refs <- eco_refs()

  for (n in names(eco_specs())) {
    m <- eco_fit(eco_specs()[[n]])
    mp <- parameters::model_parameters(m)
    expect_s3_class(mp, "parameters_model")
    expect_columns(mp, refs[[paste0(n, "_parameters")]], label = n)
    expect_output(print(mp), "Random Effects")
  }
  m <- eco_fit(eco_specs()$cbpp)
  ex <- as.data.frame(parameters::model_parameters(m, exponentiate = TRUE))
  expect_equal(ex$Coefficient[1:4], exp(unname(m$beta)))
  expect_error(parameters::model_parameters(m, ci_method = "profile"), "Wald z")
  expect_error(parameters::model_parameters(m, bootstrap = TRUE), "bootstrap")
  expect_error(parameters::model_parameters(m, standardize = "refit"), "standardize")
  fixed <- refs$cbpp_parameters
  expect_equal(parameters::standard_error(m)$SE, fixed$SE[1:4], tolerance = 1e-3)
  expect_equal(parameters::p_value(m)$p, fixed$p[1:4], tolerance = 1e-3)
  expect_equal(parameters::ci(m)$CI_low, fixed$CI_low[1:4], tolerance = 1e-3)
  expect_equal(parameters::degrees_of_freedom(m), Inf)
})

test_that("sjPlot's tab_model() and plot_model() give glmmTMB's numbers; type = \"re\" is an error", {
  skip_if_not_installed("sjPlot")
  refs <- eco_refs()
  strip <- function(h) trimws(gsub("\\s+", " ", gsub("&[a-z]+;", " ", gsub("<[^>]*>", " ", h))))
  # glmmTMB 1.1.5 + sjPlot 2.8.12: tab_model(glmmTMB(<nb model>)) ends with the R² of performance
  expect_match(strip(sjPlot::tab_model(eco_fit(eco_specs()$nb))$page.content),
               "Random Effects 2 0.44 00 SA 1.38 ICC 0.76 N SA 72 Observations 178 Marginal R 2 / Conditional R 2 0.280 / 0.825", fixed = TRUE)
  for (n in c("nb", "cbpp")) {
    m <- eco_fit(eco_specs()[[n]])
    est <- sjPlot::plot_model(m)
    expect_s3_class(est, "ggplot")
    ref <- refs[[paste0(n, "_parameters")]]
    slopes <- ref$Component == "conditional" & seq_along(ref$Parameter) %in% 2:(length(m$beta))
    expect_equal(est$data$estimate, exp(ref$Coefficient[slopes]), tolerance = 1e-3)
    expect_equal(est$data$conf.low, exp(ref$CI_low[slopes]), tolerance = 1e-3)
    pred <- sjPlot::plot_model(m, type = "pred", terms = eco_specs()[[n]]$focal)
    expect_s3_class(pred, "ggplot")
    expect_equal(pred$data$predicted, refs[[paste0(n, "_ggpredict")]]$predicted, tolerance = 1e-3)
    expect_equal(pred$data$conf.low, refs[[paste0(n, "_ggpredict")]]$conf.low, tolerance = 1e-3)
    # sjPlot reads lme4's or glmmTMB's layout of ranef() (not glmmlab's cond list): an error, not a plot
    expect_error(sjPlot::plot_model(m, type = "re"), "plot\\(ranef\\(m\\)\\)")
  }
  skip_if_not_installed("glmmTMB")
  m <- eco_fit(eco_specs()$cbpp)
  g <- eco_fit(eco_specs()$cbpp, peer = TRUE)
  expect_equal(strip(sjPlot::tab_model(m)$page.content), strip(sjPlot::tab_model(g)$page.content))
})

test_that("performance: r2, icc, model_performance, check_overdispersion, check_normality(random)", {
  skip_if_not_installed("performance")
  refs <- eco_refs()
  for (n in names(eco_specs())) {
    m <- eco_fit(eco_specs()[[n]])
    expect_equal(unlist(performance::r2_nakagawa(m)), refs[[paste0(n, "_r2")]], tolerance = 1e-3, label = paste(n, "r2"))
    ours <- r2(m)
    expect_equal(c(ours$R2_conditional, ours$R2_marginal), unname(refs[[paste0(n, "_r2")]]), tolerance = 1e-3)
    expect_equal(unlist(performance::icc(m)), refs[[paste0(n, "_icc")]], tolerance = 1e-3, label = paste(n, "icc"))
    mp <- suppressMessages(as.data.frame(performance::model_performance(m)))
    expect_equal(unlist(mp[names(refs[[paste0(n, "_performance")]])]), refs[[paste0(n, "_performance")]],
                 tolerance = 1e-3, label = paste(n, "model_performance"))
    expect_equal(as.numeric(performance::check_normality(m, effects = "random")), refs[[paste0(n, "_normality_re")]],
                 tolerance = 1e-3, label = paste(n, "normality"))
    if (n %in% c("nb", "pois", "cbpp")) {
      expect_equal(unlist(performance::check_overdispersion(m)), refs[[paste0(n, "_overdispersion")]], tolerance = 1e-3)
    } else {
      expect_error(performance::check_overdispersion(m), "Poisson families or binomial")
      expect_error(performance::check_normality(m), "studentized residuals")
    }
  }
  m <- eco_fit(eco_specs()$nb)
  # the issue's numbers: 0.825 / 0.280 as for glmmTMB (not Nakagawa et al.'s lognormal 0.828 / 0.281)
  expect_equal(round(c(r2(m)$R2_conditional, r2(m)$R2_marginal), 3), c(0.825, 0.280))
  expect_equal(round(c(r2(m, lambda = "lognormal")$R2_conditional, r2(m, lambda = "lognormal")$R2_marginal), 3), c(0.828, 0.281))
  expect_error(performance::compare_performance(m, m), "accept only the model classes")
})

test_that("MuMIn's r.squaredGLMM() numbers (its formulas, version 1.47.5) from the glmmlab method and r2()", {
  refs <- eco_refs()
  for (n in c("lmm", "nested", "cbpp", "pois", "nb")) {
    m <- eco_fit(eco_specs()[[n]])
    ours <- glmmlab:::r.squaredGLMM.glmmlab(m)
    ref <- refs[[paste0("mumin_", n)]]
    expect_equal(unname(ours[, "R2m"]), ref$R2m, tolerance = 1e-3, label = paste(n, "R2m"))
    expect_equal(unname(ours[, "R2c"]), ref$R2c, tolerance = 1e-3, label = paste(n, "R2c"))
    if (!is.null(rownames(ours))) expect_equal(rownames(ours), ref$rows)
    r <- if (n %in% c("pois", "nb")) r2(m, lambda = "lognormal") else r2(m)
    row <- if (n %in% c("pois", "nb")) "lognormal" else 1L
    if (n == "cbpp") {
      # binomial with trials: MuMIn divides pi^2/3 by the mean number of trials; r2() and performance do not
      total <- r$var_fixed + r$var_random
      expect_equal(c(r$var_fixed, total) / (total + r$var_distribution / mean(fixture_data("cbpp")$size)),
                   unname(ours["theoretical", ]), tolerance = 1e-6)
    } else {
      # gaussian: the same formula; counts: MuMIn's "lognormal" row is r2(lambda = "lognormal")
      expect_equal(c(r$R2_marginal, r$R2_conditional), unname(ours[row, ]), tolerance = 1e-6, label = n)
    }
  }
  skip_if_not_installed("MuMIn")
  m <- eco_fit(eco_specs()$nb)
  expect_equal(suppressWarnings(MuMIn::r.squaredGLMM(m)), glmmlab:::r.squaredGLMM.glmmlab(m))
})

test_that("car::Anova() gives glmmTMB's type II and III Wald chi-square tests", {
  skip_if_not_installed("car")
  refs <- eco_refs()
  for (n in setdiff(names(eco_specs()), "lmm0")) {
    m <- eco_fit(eco_specs()[[n]])
    expect_equal(unlist(car::Anova(m)), refs[[paste0(n, "_anova2")]], tolerance = 1e-3, label = paste(n, "II"))
    expect_equal(unlist(car::Anova(m, type = 3)), refs[[paste0(n, "_anova3")]], tolerance = 1e-3, label = paste(n, "III"))
  }
  cake <- fixture_data("cake")
  m <- glmm(angle ~ recipe * temperature + (1 | recipe:replicate), data = cake)
  expect_equal(unlist(car::Anova(m)), refs$cake_anova2, tolerance = 1e-3)
  expect_equal(unlist(car::Anova(m, type = 3)), refs$cake_anova3, tolerance = 1e-3)
  expect_error(car::Anova(m, test.statistic = "F"), "F tests")
  expect_error(car::Anova(eco_fit(eco_specs()$lmm0)), "no fixed-effect terms")
})

test_that("effects::Effect() and allEffects() give glmmTMB's effects", {
  skip_if_not_installed("effects")
  refs <- eco_refs()
  for (n in setdiff(names(eco_specs()), "lmm0")) {
    spec <- eco_specs()[[n]]
    m <- eco_fit(spec)
    eff <- suppressWarnings(effects::Effect(spec$focal, m))
    expect_columns(as.data.frame(eff), refs[[paste0(n, "_effect")]], label = n)
    expect_s3_class(suppressWarnings(effects::allEffects(m)), "efflist")
  }
  expect_error(effects::allEffects(eco_fit(eco_specs()$lmm0)), "no terms")
})

test_that("broom.mixed's tidy()/glance() and emmeans give glmmTMB's numbers for every model", {
  refs <- eco_refs()
  for (n in names(eco_specs())) {
    m <- eco_fit(eco_specs()[[n]])
    expect_columns(tidy.glmmlab(m), refs[[paste0(n, "_tidy")]], label = paste(n, "tidy"))
    expect_columns(tidy.glmmlab(m, effects = "fixed", conf.int = TRUE), refs[[paste0(n, "_tidy_ci")]], label = paste(n, "tidy ci"))
    expect_equal(unlist(glance.glmmlab(m)), refs[[paste0(n, "_glance")]], tolerance = 1e-5, label = paste(n, "glance"))
    if (n != "lmm0" && requireNamespace("emmeans", quietly = TRUE)) {
      em <- as.data.frame(emmeans::emmeans(m, eco_specs()[[n]]$focal, type = "response"))
      expect_columns(em, refs[[paste0(n, "_emmeans")]], label = paste(n, "emmeans"))
    }
  }
})

test_that("performance::check_model(), check_zeroinflation(), check_singularity(), check_convergence()", {
  skip_if_not_installed("performance")
  refs <- eco_refs()
  quiet <- function(expr) suppressMessages(suppressWarnings(expr))
  for (n in names(eco_specs())) {
    m <- eco_fit(eco_specs()[[n]])
    cm <- quiet(performance::check_model(m))
    # performance's QQ panel plots residuals() for glmmTMB and lme4 fits but rstudent() for classes it
    # does not know: since glmmlab has lme4's rstudent() (issue 13), the panel's y are those
    expect_columns(cm$QQ["x"], refs[[paste0(n, "_check_model_qq")]]["x"], label = paste(n, "QQ"))
    expect_equal(cm$QQ$y, sort(unname(rstudent(m))), tolerance = 1e-8, label = paste(n, "QQ y"))
    for (panel in c("ncv", "overdispersion", "binned")) {
      ref <- refs[[paste0(n, "_check_model_", panel)]]
      if (is.null(ref)) next
      expect_columns(cm[[switch(panel, ncv = "NCV", overdispersion = "OVERDISPERSION", binned = "BINNED_RESID")]], ref,
                     label = paste(n, panel))
    }
    # performance draws the random effects' QQ panel and the homogeneity panel only for the
    # classes it knows: those panels are left out rather than drawn differently
    expect_null(cm$REQQ)
    expect_equal(performance::check_singularity(m), refs[[paste0(n, "_singular")]])
    expect_true(performance::check_convergence(m))
    if (n == "pois") expect_equal(unlist(performance::check_zeroinflation(m)), refs$pois_zeroinflation)
    if (n == "nb") {
      # performance 0.10 reads a negative binomial's size from x$theta (glmmlab's covariance parameters)
      if (!is.function(get0("check_zeroinflation.default", envir = asNamespace("performance")))) {
        expect_error(performance::check_zeroinflation(m), "cannot read the negative binomial size")
      }
      expect_equal(unlist(glmmlab:::check_zeroinflation.glmmlab(m)), refs$nb_zeroinflation)
    }
  }
})

test_that("live: the same tools on glmmTMB's fits agree with the stored numbers", {
  skip_if_not_installed("glmmTMB")
  skip_if_not_installed("parameters")
  refs <- eco_refs()
  for (n in c("lmm", "nb")) {
    g <- eco_fit(eco_specs()[[n]], peer = TRUE)
    m <- eco_fit(eco_specs()[[n]])
    ours <- as.data.frame(parameters::model_parameters(m))
    theirs <- as.data.frame(parameters::model_parameters(g))
    for (col in c("Coefficient", "SE", "CI_low", "CI_high", "z")) {
      expect_equal(ours[[col]], theirs[[col]], tolerance = 1e-3, label = paste(n, col))
    }
  }
})

test_that("DHARMa's scaled residuals from simulate(): computed here as createDHARMa() computes them", {
  m <- eco_fit(eco_specs()$pois)
  sims <- simulate(m, nsim = 250, seed = 1)
  expect_equal(dim(as.matrix(sims)), c(nobs(m), 250L))
  # DHARMa: the scaled residual of observation i is the ECDF of its simulations at y_i, randomized
  # between ECDF(y_i - 0) and ECDF(y_i) for integer responses (integerResponse = TRUE)
  sims <- as.matrix(sims)
  y <- m$y
  set.seed(2)
  lower <- rowMeans(sims < y)
  upper <- rowMeans(sims <= y)
  scaled <- lower + stats::runif(length(y)) * (upper - lower)
  expect_true(all(scaled >= 0 & scaled <= 1))
  # the Poisson bee model is overdispersed (check_overdispersion ratio 18.9): more residuals in the tails than 5%
  expect_gt(mean(scaled < 0.025 | scaled > 0.975), 0.05)
  skip_if_not_installed("DHARMa")
  res <- DHARMa::createDHARMa(simulatedResponse = sims, observedResponse = y, fittedPredictedResponse = fitted(m),
                              integerResponse = TRUE, seed = 2)
  expect_length(res$scaledResiduals, nobs(m))
})
