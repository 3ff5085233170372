# refs_core_methods.R: reference numbers of the methods tests (topic "core_methods"): what lme4's
# and glmmTMB's methods give for the models whose methods glmmlab's tests compare (ranef() with
# conditional variances, coef(), predict(), residuals(), VarCorr() and its data frame, summary
# printouts, confidence intervals, broom.mixed's tidy() tables). Run from the project root:
#   Rscript tests/references/make_references.R core_methods
# The tests read them with stored_references("core_methods") before any live refit. Numbers are at
# each package's own optimum (not at glmmlab's), so the tests compare them with the tolerances of
# the live comparisons at the peers' optima (1e-4 relative for lme4's LMMs, 1e-5 for glmmTMB's).
# Written with R 4.2.2, glmmTMB 1.1.5, lme4 1.1-31, broom.mixed 0.2.9.4.

suppressPackageStartupMessages({ library(lme4); library(glmmTMB) })
course_data <- function(name) { env <- new.env(); load(file.path(references_root(), "data", paste0(name, ".rda")), env); env[[name]] }
blossoms <- course_data("blossoms")
blossoms$pop <- as.factor(blossoms$pop)
blossoms$patch <- as.factor(paste(blossoms$pop, blossoms$patch, "_"))
chapter <- local({
  set.seed(145)
  x1 = rnorm(200, 10, 2)
  groupmeans = rep(rnorm(10, 20, 4), each = 20)
  groupID = as.factor(rep(paste0("Group", 1:10), each = 20))
  y = 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
})
sleepstudy <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
quiet <- function(expr) suppressWarnings(suppressMessages(expr))
plain <- function(x) { a <- attributes(x); x <- unclass(x); attributes(x) <- a[intersect(names(a), c("dim", "dimnames", "names"))]; x }
refs <- list()

# ---- blossoms UBW ~ LBW + (1 | pop/patch): glmmTMB's vcov, fixef and VarCorr; predictions -------
tmb <- glmmTMB(UBW ~ LBW + (1 | pop/patch), data = blossoms)
refs$blossoms_lbw_tmb_vcov <- plain(vcov(tmb)$cond)
refs$blossoms_lbw_tmb_print_vcov <- capture.output(print(vcov(tmb)))[1:2]
refs$blossoms_lbw_tmb_print_fixef <- capture.output(print(fixef(tmb)))
refs$blossoms_lbw_tmb_varcorr_names <- names(VarCorr(tmb)$cond)
refs$blossoms_lbw_tmb_stddev <- lapply(VarCorr(tmb)$cond, function(v) attr(v, "stddev"))
refs$blossoms_lbw_tmb_sc <- attr(VarCorr(tmb)$cond, "sc")
refs$blossoms_lbw_tmb_print_varcorr <- capture.output(print(VarCorr(tmb)))
nd_se <- data.frame(LBW = c(10, 15, 20), pop = blossoms$pop[1], patch = blossoms$patch[1])
refs$blossoms_lbw_tmb_se_fit <- unname(predict(tmb, newdata = nd_se, re.form = NA, se.fit = TRUE)$se.fit)
rows <- c(1, 17, 40, 77, 120, 160, 199)
nd <- blossoms[rows, c("LBW", "pop", "patch")]
nd_chr <- data.frame(LBW = nd$LBW, pop = as.character(nd$pop), patch = as.character(nd$patch))
l_bl <- lmer(UBW ~ LBW + (1 | pop/patch), data = blossoms, REML = FALSE)
refs$blossoms_lbw_lme4_pred <- unname(predict(l_bl, newdata = nd_chr))
refs$blossoms_lbw_lme4_pred_pop <- unname(predict(l_bl, newdata = nd_chr, re.form = ~ (1 | pop)))

# ---- sleepstudy: ranef with conditional variances, coef, predictions ---------------------------
l_slope <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = FALSE)
re <- ranef(l_slope, condVar = TRUE)$Subject
refs$sleep_slope_ml_lme4_ranef <- as.matrix(re)
refs$sleep_slope_ml_lme4_postvar <- attr(re, "postVar")
d <- as.data.frame(ranef(l_slope, condVar = TRUE))
refs$sleep_slope_ml_lme4_ranef_df <- list(grpvar = as.character(d$grpvar), term = as.character(d$term), grp = as.character(d$grp),
                                          grp_levels = levels(d$grp), condval = d$condval, condsd = d$condsd)
vc_df <- as.data.frame(VarCorr(l_slope))
refs$sleep_slope_ml_lme4_varcorr_df <- list(grp = vc_df$grp, var1 = vc_df$var1, var2 = vc_df$var2, vcov = vc_df$vcov, sdcor = vc_df$sdcor)
vc_low <- as.data.frame(VarCorr(l_slope), order = "lower.tri")
refs$sleep_slope_ml_lme4_varcorr_df_lower <- list(grp = vc_low$grp, var1 = vc_low$var1, var2 = vc_low$var2)
d2 <- sleepstudy
d2$Days2 <- (d2$Days - 4.5)^2 / 10
l3 <- quiet(lmer(Reaction ~ Days + (Days + Days2 | Subject), data = d2, REML = FALSE))
for (ord in c("cov.last", "lower.tri")) {
  v <- as.data.frame(VarCorr(l3), order = ord)
  refs[[paste0("sleep_3x3_lme4_varcorr_order_", sub(".", "_", ord, fixed = TRUE))]] <- list(grp = v$grp, var1 = v$var1, var2 = v$var2)
}
l_diag <- lmer(Reaction ~ Days + (Days || Subject), data = sleepstudy, REML = FALSE)
re <- ranef(l_diag, condVar = TRUE)$Subject
refs$sleep_diag_ml_lme4_ranef <- as.matrix(re)
refs$sleep_diag_ml_lme4_postvar <- unname(attr(re, "postVar"))
refs$sleep_diag_ml_lme4_coef <- as.matrix(coef(l_diag)$Subject)
nd_diag <- data.frame(Days = c(0, 2.5, 9, 4), Subject = c("308", "309", "372", "308"))
refs$sleep_diag_ml_lme4_pred <- unname(predict(l_diag, newdata = nd_diag))
l_noint <- lmer(Reaction ~ 1 + (Days | Subject), data = sleepstudy, REML = FALSE)
refs$sleep_nofixedslope_ml_lme4_coef <- as.matrix(coef(l_noint)$Subject)
# weighted LMM (weights 0.5, 1, 2 repeated): fitted values and residuals of four types
sw <- sleepstudy
sw$w <- rep(c(0.5, 1, 2), length.out = nrow(sw))
l_w <- lmer(Reaction ~ Days + (Days | Subject), data = sw, weights = w, REML = FALSE)
refs$sleep_weighted_ml_lme4_fitted <- unname(fitted(l_w))
refs$sleep_weighted_ml_lme4_residuals <- lapply(c(response = "response", pearson = "pearson", deviance = "deviance", working = "working"),
                                                function(type) unname(residuals(l_w, type = type)))

# ---- Penicillin (crossed) and Pastes (nested): conditional modes, lme4 ----------------------------
for (set in list(list("Penicillin", diameter ~ 1 + (1 | plate) + (1 | sample)), list("Pastes", strength ~ 1 + (1 | batch/cask)))) {
  f <- lmer(set[[2]], data = fixture(set[[1]]), REML = FALSE)
  re <- ranef(f, condVar = TRUE)
  refs[[paste0(tolower(set[[1]]), "_ml_lme4_ranef")]] <- lapply(re, function(r) setNames(r[[1]], rownames(r)))
  refs[[paste0(tolower(set[[1]]), "_ml_lme4_postvar")]] <- lapply(re, function(r) as.numeric(attr(r, "postVar")))
}

# ---- cbpp binomial GLMM: glmer's conditional variances, glmmTMB's Wald and lme4's profile intervals
cbpp_f <- cbind(incidence, size - incidence) ~ period + (1 | herd)
g <- glmer(cbpp_f, data = cbpp, family = binomial)
refs$cbpp_binom_lme4_postvar <- as.numeric(attr(ranef(g, condVar = TRUE)$herd, "postVar"))
refs$cbpp_binom_lme4_profile <- quiet(confint(g, method = "profile", quiet = TRUE))
refs$cbpp_binom_tmb_confint <- confint(glmmTMB(cbpp_f, data = cbpp, family = binomial))
refs$sleep_slope_ml_tmb_confint <- confint(glmmTMB(Reaction ~ Days + (Days | Subject), data = sleepstudy))
refs$sleep_slope_ml_lme4_profile <- quiet(confint(l_slope, method = "profile", quiet = TRUE))

# ---- the chapter's models: glmmTMB's printed summaries -------------------------------------------
chapter_fits <- list(
  chapter_intercept = glmmTMB(y ~ 1 + (1 | groupID), data = chapter),
  chapter_x1 = glmmTMB(y ~ x1 + (1 | groupID), data = chapter),
  blossoms_intercept = glmmTMB(UBW ~ 1 + (1 | pop/patch), data = blossoms),
  blossoms_lbw = glmmTMB(UBW ~ LBW + (1 | pop/patch), data = blossoms))
for (name in names(chapter_fits)) {
  s <- summary(chapter_fits[[name]])
  refs[[paste0(name, "_tmb_summary")]] <- list(print = capture.output(print(s)), coefficients = s$coefficients$cond,
                                               AICtab = unname(s$AICtab))
}
refs$chapter_x1_tmb_print <- capture.output(print(chapter_fits$chapter_x1))

# ---- broom.mixed's tidy() of glmmTMB and lme4 fits (the columns glmmlab's tidy() matches) -------
as_columns <- function(tab, cols) lapply(as.list(as.data.frame(tab)[cols]), function(x) if (is.factor(x)) as.character(x) else x)
refs$chapter_x1_tmb_tidy <- as_columns(broom.mixed::tidy(chapter_fits$chapter_x1),
                                       c("effect", "component", "group", "term", "estimate", "std.error"))
g_sleep <- glmmTMB(Reaction ~ Days + (Days | Subject), data = sleepstudy)
tidy_sleep <- broom.mixed::tidy(g_sleep, effects = c("fixed", "ran_pars", "ran_vals"))
refs$sleep_slope_ml_tmb_tidy <- c(list(names = names(tidy_sleep)),
                                  as_columns(tidy_sleep, c("effect", "component", "group", "level", "term", "estimate")))
refs$sleep_slope_ml_lme4_tidy_ran_vals_se <- as.data.frame(broom.mixed::tidy(l_slope, effects = "ran_vals"))$std.error
refs$sleep_slope_ml_lme4_tidy_ran_coefs <- as_columns(broom.mixed::tidy(l_slope, effects = "ran_coefs"), c("group", "level", "term", "estimate"))
refs$cbpp_binom_tmb_tidy_ran_vals <- as_columns(broom.mixed::tidy(glmmTMB(cbpp_f, data = cbpp, family = binomial), effects = "ran_vals"),
                                                c("group", "level", "term", "estimate"))

write_references(refs, "core_methods", c("glmmTMB", "lme4", "broom.mixed"))
