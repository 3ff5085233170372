# refs_eco.R: what the packages around a fit (ggeffects, parameters, performance, car, effects,
# sjPlot's table) give for glmmTMB fits of the chapter's models and cbpp's binomial model, and
# MuMIn::r.squaredGLMM()'s numbers reproduced from its formulas (MuMIn 1.47.5, R/r.squaredGLMM2.R;
# MuMIn itself needs R >= 4.4 and cannot be installed here). Topic "eco".
suppressPackageStartupMessages({
  library(glmmTMB); library(ggeffects); library(parameters); library(performance); library(car); library(effects)
  library(broom.mixed); library(emmeans)
})
chapter_sim <- function() {
  set.seed(145)
  x1 <- rnorm(200, 10, 2)
  groupmeans <- rep(rnorm(10, 20, 4), each = 20)
  groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
  y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
}
shared <- Sys.getenv("GLMMLAB_SHARED", file.path("..", "shared"))
blossoms <- read.csv(file.path(shared, "datasets", "blossoms.csv"))
blossoms$pop <- as.factor(blossoms$pop)
blossoms$patch <- as.factor(paste(blossoms$pop, blossoms$patch, "_"))
bees <- read.csv(file.path(shared, "datasets", "Eulaema.csv"), fileEncoding = "latin1")
bees$SA <- as.factor(bees$SA)
sim <- chapter_sim()
cbpp <- fixture("cbpp")
fits <- list(
  lmm = glmmTMB(y ~ x1 + (1 | groupID), data = sim),
  lmm0 = glmmTMB(y ~ 1 + (1 | groupID), data = sim),
  nested = glmmTMB(UBW ~ LBW + (1 | pop/patch), data = blossoms),
  nb = glmmTMB(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = bees),
  pois = glmmTMB(Eulaema_nigrita ~ forest. + (1 | SA), family = poisson, data = bees),
  cbpp = glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = cbpp))
focal <- c(lmm = "x1", nested = "LBW", nb = "MAP", pois = "forest.", cbpp = "period")
refs <- list()
num <- function(df, cols) lapply(as.data.frame(df)[intersect(cols, names(as.data.frame(df)))], as.numeric)
for (n in names(fits)) {
  g <- fits[[n]]
  mp <- as.data.frame(model_parameters(g))
  refs[[paste0(n, "_parameters")]] <- c(list(Parameter = mp$Parameter, Group = mp$Group, Component = mp$Component),
                                        num(mp, c("Coefficient", "SE", "CI_low", "CI_high", "z", "p")))
  refs[[paste0(n, "_r2")]] <- unlist(r2_nakagawa(g))
  refs[[paste0(n, "_icc")]] <- unlist(icc(g))
  refs[[paste0(n, "_normality_re")]] <- as.numeric(check_normality(g, effects = "random"))
  if (n %in% c("nb", "pois", "cbpp")) refs[[paste0(n, "_overdispersion")]] <- unlist(check_overdispersion(g))
  td <- as.data.frame(tidy(g))
  refs[[paste0(n, "_tidy")]] <- c(list(term = td$term, effect = td$effect), num(td, c("estimate", "std.error", "statistic", "p.value")))
  tf <- as.data.frame(tidy(g, effects = "fixed", conf.int = TRUE))
  refs[[paste0(n, "_tidy_ci")]] <- num(tf, c("conf.low", "conf.high"))
  refs[[paste0(n, "_glance")]] <- unlist(as.data.frame(glance(g))[c("nobs", "sigma", "logLik", "AIC", "BIC", "df.residual")])
  cm <- suppressMessages(suppressWarnings(check_model(g)))
  refs[[paste0(n, "_check_model_qq")]] <- num(cm$QQ, c("x", "y"))
  if (!is.null(cm$NCV)) refs[[paste0(n, "_check_model_ncv")]] <- num(cm$NCV, c("x", "y"))
  if (!is.null(cm$OVERDISPERSION)) refs[[paste0(n, "_check_model_overdispersion")]] <- num(cm$OVERDISPERSION, c("Predicted", "Residuals", "V", "StdRes"))
  if (!is.null(cm$BINNED_RESID)) refs[[paste0(n, "_check_model_binned")]] <- num(cm$BINNED_RESID, c("xbar", "ybar", "n", "x.se", "se", "CI_low", "CI_high"))
  if (n %in% c("nb", "pois")) refs[[paste0(n, "_zeroinflation")]] <- unlist(check_zeroinflation(g))
  refs[[paste0(n, "_singular")]] <- check_singularity(g)
  if (n != "lmm0") {
    em <- as.data.frame(emmeans(g, focal[[n]], type = "response"))
    refs[[paste0(n, "_emmeans")]] <- num(em, c("emmean", "response", "rate", "prob", "SE", "df", "lower.CL", "upper.CL", "asymp.LCL", "asymp.UCL"))
  }
  mperf <- suppressMessages(as.data.frame(model_performance(g)))
  refs[[paste0(n, "_performance")]] <- unlist(mperf[c("AIC", "AICc", "BIC", "R2_conditional", "R2_marginal", "ICC", "RMSE", "Sigma")])
  if (n != "lmm0") {
    refs[[paste0(n, "_anova2")]] <- unlist(Anova(g))
    refs[[paste0(n, "_anova3")]] <- unlist(Anova(g, type = 3))
    t <- focal[[n]]
    refs[[paste0(n, "_ggpredict")]] <- num(ggpredict(g, t), c("predicted", "conf.low", "conf.high"))
    refs[[paste0(n, "_ggpredict_re")]] <- num(ggpredict(g, t, type = "re"), c("predicted", "conf.low", "conf.high"))
    refs[[paste0(n, "_ggpredict_90")]] <- num(ggpredict(g, t, ci.lvl = 0.9), c("predicted", "conf.low", "conf.high"))
    refs[[paste0(n, "_ggemmeans")]] <- num(ggemmeans(g, t), c("predicted", "conf.low", "conf.high"))
    eff <- suppressWarnings(as.data.frame(Effect(t, g)))
    refs[[paste0(n, "_effect")]] <- num(eff, c("fit", "se", "lower", "upper"))
  }
}
refs$nb_ggpredict_MAP600 <- num(ggpredict(fits$nb, "MAP [600]"), c("predicted", "conf.low", "conf.high"))
refs$lmm_ggpredict_groups_re <- num(ggpredict(fits$lmm, "groupID", type = "re"), c("predicted", "conf.low", "conf.high"))
refs$lmm_ggpredict_x_groups_re <- num(ggpredict(fits$lmm, c("x1", "groupID"), type = "re"), c("predicted", "conf.low", "conf.high"))
for (n in c("lmm", "nb", "cbpp")) {
  refs[[paste0(n, "_get_predicted")]] <- num(insight::get_predicted(fits[[n]], ci = 0.95), c("Predicted", "SE", "CI_low", "CI_high"))
}
# cake (lme4): an interaction, where type II and III Wald tests differ
cake <- fixture("cake")
gc <- glmmTMB(angle ~ recipe * temperature + (1 | recipe:replicate), data = cake)
refs$cake_anova2 <- unlist(Anova(gc))
refs$cake_anova3 <- unlist(Anova(gc, type = 3))

# MuMIn 1.47.5's r.squaredGLMM() for glmmTMB fits, its formulas reproduced (R/r.squaredGLMM2.R of
# that version), from glmmTMB's accessors: varFE = var(X beta); varRE = sum of the random-intercept
# variances; gaussian: residual sigma^2; binomial logit: "theoretical" pi^2/3 / n and "delta"
# 1 / (n pmean (1 - pmean)), n the mean number of trials, pmean = plogis(b0 - vt/2 tanh(b0 (1 +
# 2 exp(-vt/2)) / 6)) from the null model (intercept b0, variance vt); poisson (log): lambda =
# exp(b0 + vt / 2), rows delta 1/lambda, lognormal log1p(1/lambda), trigamma trigamma(lambda);
# nbinom2 (log): v = 1/lambda + 1/sigma(fit), rows v, log1p(v), trigamma(1/v).
mumin_r2 <- function(g, null = NULL) {
  fam <- family(g)$family
  var_fe <- var(drop(model.matrix(g) %*% fixef(g)$cond))
  re_var <- function(fit) sum(vapply(VarCorr(fit)$cond, function(S) S[1, 1], 0))
  var_re <- re_var(g)
  if (!is.null(null)) { b0 <- fixef(null)$cond[[1]]; vt <- re_var(null); lambda <- exp(b0 + vt / 2) }
  resid <- switch(fam,
    gaussian = sigma(g)^2,
    binomial = {
      n <- mean(rowSums(model.response(model.frame(g))))
      pmean <- plogis(b0 - 0.5 * vt * tanh(b0 * (1 + 2 * exp(-0.5 * vt)) / 6))
      c(theoretical = (pi^2 / 3) / n, delta = 1 / (n * pmean * (1 - pmean)))
    },
    poisson = c(delta = 1 / lambda, lognormal = log1p(1 / lambda), trigamma = trigamma(lambda)),
    nbinom2 = { v <- 1 / lambda + 1 / sigma(g); c(delta = v, lognormal = log1p(v), trigamma = trigamma(1 / v)) })
  tot <- var_fe + var_re
  out <- matrix(c(var_fe, tot) / (tot + rep(resid, each = 2L)), ncol = 2L, byrow = TRUE)
  list(R2m = out[, 1], R2c = out[, 2], rows = if (is.null(names(resid))) "" else names(resid))
}
refs$mumin_lmm <- mumin_r2(fits$lmm)
refs$mumin_nested <- mumin_r2(fits$nested)
refs$mumin_cbpp <- mumin_r2(fits$cbpp, glmmTMB(cbind(incidence, size - incidence) ~ 1 + (1 | herd), family = binomial, data = cbpp))
refs$mumin_pois <- mumin_r2(fits$pois, glmmTMB(Eulaema_nigrita ~ 1 + (1 | SA), family = poisson, data = bees))
refs$mumin_nb <- mumin_r2(fits$nb, glmmTMB(Eulaema_nigrita ~ 1 + (1 | SA), family = "nbinom2", data = bees))
write_references(refs, "eco", c("glmmTMB", "ggeffects", "parameters", "performance", "insight", "car", "effects",
                                "broom.mixed", "emmeans"))
