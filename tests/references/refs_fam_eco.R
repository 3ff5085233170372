# refs_fam_eco.R: the packages around a fit (insight, parameters, performance, ggeffects,
# emmeans, broom.mixed, car, effects, sjPlot) on glmmTMB fits with a zero-inflation or hurdle
# model, a dispersion formula, or the further families (issue 16), for
# tests/testthat/test-eco_components.R. Run from the project root:
#   Rscript tests/references/make_references.R fam_eco
#
# Models: Salamanders count ~ spp + mined + (1 | site) as zero-inflated poisson and nbinom2 and as a
# truncated_nbinom2 hurdle (zi = ~ spp + mined), and nbinom2 with dispformula = ~ spp; sleepstudy
# gaussian with dispformula = ~ Days; cbpp betabinomial; the simulated beta, tweedie and Student t
# data stored with topic "fam" (tests/references/refs_fam.R). Each entry holds the numbers of the
# routes that glmmlab gives as for glmmTMB (the extractor below is the test's).
library(glmmTMB)
suppressPackageStartupMessages({
  library(insight); library(parameters); library(performance); library(ggeffects); library(emmeans)
  library(broom.mixed); library(car); library(effects); library(sjPlot)
})

fam_sim <- eval(parse(file.path("tests", "testthat", "references", "fam.R")))$sim_data
sim_frame <- function(name) data.frame(y = fam_sim[[name]]$y, x = fam_sim[[name]]$x, g = factor(rep(1:15, each = 20)))
datasets <- list(sal = fixture("Salamanders"), sleep = fixture("sleepstudy"), cbpp = fixture("cbpp"),
                 beta = sim_frame("beta"), tweedie = sim_frame("tweedie"), t = sim_frame("t"))

specs <- list(
  zip = list(f = count ~ spp + mined + (1 | site), data = "sal", family = "poisson", zi = ~ spp + mined, disp = ~1, focal = "mined"),
  zinb2 = list(f = count ~ spp + mined + (1 | site), data = "sal", family = "nbinom2", zi = ~ spp + mined, disp = ~1, focal = "mined"),
  hurdle_nb2 = list(f = count ~ spp + mined + (1 | site), data = "sal", family = "truncated_nbinom2", zi = ~ spp + mined, disp = ~1, focal = "mined"),
  nb2_disp = list(f = count ~ spp + mined + (1 | site), data = "sal", family = "nbinom2", zi = ~0, disp = ~spp, focal = "spp"),
  sleep_disp = list(f = Reaction ~ Days + (1 | Subject), data = "sleep", family = "gaussian", zi = ~0, disp = ~Days, focal = "Days"),
  betabinomial = list(f = cbind(incidence, size - incidence) ~ period + (1 | herd), data = "cbpp", family = "betabinomial", zi = ~0, disp = ~1, focal = "period"),
  beta = list(f = y ~ x + (1 | g), data = "beta", family = "beta_family", zi = ~0, disp = ~1, focal = "x"),
  tweedie = list(f = y ~ x + (1 | g), data = "tweedie", family = "tweedie", zi = ~0, disp = ~1, focal = "x"),
  t = list(f = y ~ x + (1 | g), data = "t", family = "t_family", zi = ~0, disp = ~1, focal = "x"))

# The numbers of each route (NULL where the route fails for glmmTMB too or does not apply).
eco_component_numbers <- function(m, spec) {
  has_zi <- !identical(deparse(spec$zi), "~0")
  has_disp <- !identical(deparse(spec$disp), "~1")
  try_null <- function(expr) tryCatch(expr, error = function(e) NULL)
  info <- insight::model_info(m)
  gp <- insight::get_parameters(m, component = "all")
  st <- insight::get_statistic(m, component = "all")
  mp <- as.data.frame(parameters::model_parameters(m))
  gg <- as.data.frame(ggeffects::ggpredict(m, spec$focal))
  gge <- try_null(as.data.frame(ggeffects::ggemmeans(m, spec$focal)))
  em <- as.data.frame(summary(emmeans::emmeans(m, spec$focal, component = "cond")))
  td <- as.data.frame(broom.mixed::tidy(m))
  av <- as.data.frame(car::Anova(m))
  ef <- try_null(as.data.frame(suppressWarnings(effects::Effect(spec$focal, m))))
  pm <- sjPlot::plot_model(m)$data
  perf <- suppressWarnings(performance::model_performance(m))
  out <- list(
    flags = unlist(info[c("is_zero_inflated", "is_hurdle", "is_dispersion", "is_count", "is_binomial", "is_linear", "is_beta", "is_tweedie")]),
    formula = vapply(insight::find_formula(m), function(f) paste(deparse(f), collapse = ""), ""),
    parameters = insight::find_parameters(m),
    get_parameters = gp$Estimate, get_parameters_component = gp$Component,
    statistic = st$Statistic, statistic_component = st$Component,
    varcov_zi = if (has_zi) unname(insight::get_varcov(m, component = "zero_inflated")),
    varcov_disp = if (has_disp) unname(insight::get_varcov(m, component = "dispersion")),
    varcov_all = if (!has_zi && !has_disp) unname(insight::get_varcov(m, component = "all")),
    predicted = as.numeric(insight::get_predicted(m, ci = NULL))[seq(1, insight::n_obs(m), by = 7)],
    sigma = { s <- insight::get_sigma(m); if (is.null(s)) NA_real_ else as.numeric(s) },
    mp = mp[c("Coefficient", "SE", "CI_low", "CI_high", "p")], mp_component = mp$Component, mp_parameter = mp$Parameter,
    ggpredict = gg[c("predicted", "conf.low", "conf.high")],
    ggemmeans = if (!has_zi && !has_disp) gge[c("predicted", "conf.low", "conf.high")],
    emmeans_cond = em[c("emmean", "SE", "lower.CL", "upper.CL")],
    emmeans_zi = if (has_zi) as.data.frame(summary(emmeans::emmeans(m, spec$focal, component = "zi")))[c("emmean", "SE")],
    tidy = td[c("estimate", "std.error")], tidy_term = paste(td$effect, td$component, td$term),
    glance = unlist(as.data.frame(broom.mixed::glance(m))[c("logLik", "AIC", "BIC")]),
    anova = av[, 1L], anova_zi = if (has_zi) as.data.frame(car::Anova(m, component = "zi"))[, 1L],
    anova_disp = if (has_disp) as.data.frame(car::Anova(m, component = "disp"))[, 1L],
    effect = try_null(ef[c("fit", "lower", "upper")]),
    plot_model = pm$estimate, plot_model_term = as.character(pm$term),
    performance = unlist(perf[intersect(c("AIC", "AICc", "BIC", "RMSE", "Sigma"), names(perf))]),
    singular = performance::check_singularity(m),
    overdispersion = try_null(unlist(performance::check_overdispersion(m)[c("chisq_statistic", "dispersion_ratio", "p_value")])),
    zeroinflation = try_null(unlist(performance::check_zeroinflation(m)[c("predicted.zeros", "observed.zeros")])),
    icc = try_null(unlist(suppressWarnings(performance::icc(m)))),
    r2 = try_null(unlist(suppressWarnings(performance::r2(m)))))
  Filter(Negate(is.null), out)
}

fit_peer <- function(spec) {
  dat <- datasets[[spec$data]]
  family <- if (spec$family %in% c("poisson", "gaussian")) get(spec$family, envir = asNamespace("stats"))() else
    get(spec$family, envir = asNamespace("glmmTMB"))()
  name <- paste0(spec$data, "_data")
  assign(name, dat, envir = globalenv())   # where emmeans, effects and insight's null models look for the data
  f <- spec$f
  environment(f) <- globalenv()
  eval(bquote(glmmTMB(.(f), data = .(as.name(name)), family = .(family), ziformula = .(spec$zi), dispformula = .(spec$disp))), globalenv())
}

refs <- lapply(specs, function(spec) {
  m <- fit_peer(spec)
  c(list(call = paste(deparse(spec$f), collapse = "")), eco_component_numbers(m, spec))
})
write_references(refs, "fam_eco", c("glmmTMB", "insight", "parameters", "performance", "ggeffects", "emmeans",
                                    "broom.mixed", "car", "effects", "sjPlot"))
