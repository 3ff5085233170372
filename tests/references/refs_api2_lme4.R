# refs_api2_lme4.R: reference numbers for lme4 features added for the peers' test suites
# (tests/testthat/test-api2_lme4.R): glmer(nAGQ = 0) (fixed effects from the penalized IRLS
# problem) and the numbers that lattice::dotplot()/qqmath() of ranef() draw (modes and intervals
# of 1.96 conditional SDs from lme4's "postVar"); bootMer()'s semiparametric bootstrap.
# Run: Rscript tests/references/make_references.R api2_lme4
suppressPackageStartupMessages(library(lme4))
ss <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
refs <- list()

## ---- nAGQ = 0 ----------------------------------------------------------------------------------
g0 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, nAGQ = 0)
refs$cbpp_q0_beta <- fixef(g0)
refs$cbpp_q0_theta <- unname(getME(g0, "theta"))
refs$cbpp_q0_logLik <- as.numeric(logLik(g0))
refs$cbpp_q0_se <- sqrt(diag(as.matrix(vcov(g0))))
refs$cbpp_q0_dev_at_lme4 <- unname(g0@devcomp$cmp[["dev"]])
# a poisson GLMM with a random slope (two variance parameters and a correlation)
ss$count <- round(ss$Reaction / 10)
p0 <- glmer(count ~ Days + (Days | Subject), ss, family = poisson, nAGQ = 0)
refs$ss_q0_beta <- fixef(p0)
refs$ss_q0_theta <- unname(getME(p0, "theta"))
refs$ss_q0_logLik <- as.numeric(logLik(p0))

## ---- lattice plots of ranef(): modes and 95% intervals ------------------------------------------
fm <- lmer(Reaction ~ Days + (Days | Subject), ss)
re <- ranef(fm, condVar = TRUE)$Subject
pv <- attr(re, "postVar")
refs$ss_modes <- as.matrix(re)
refs$ss_condsd <- cbind(sqrt(pv[1, 1, ]), sqrt(pv[2, 2, ]))
dp <- lattice::dotplot(ranef(fm, condVar = TRUE))$Subject
refs$ss_dotplot_x1 <- as.numeric(dp$panel.args[[1]]$x)   # the modes as lme4's dotplot draws them, panel 1

## ---- lme4's plot(m, form) and resid(m, scaled = TRUE) ------------------------------------------
refs$ss_resid_scaled <- unname(resid(fm, scaled = TRUE))
pl <- plot(fm, resid(., scaled = TRUE) ~ fitted(.) | Subject, abline = 0)
refs$ss_plot_panel1_x <- as.numeric(pl$panel.args[[1]]$x)
refs$ss_plot_panel1_y <- as.numeric(pl$panel.args[[1]]$y)

## ---- bootMer(): the semiparametric bootstrap (fitted values + resampled residuals) -------------
dye <- fixture("Dyestuff")
m5 <- lmer(Yield ~ 1 | Batch, dye)
set.seed(1)
b5 <- bootMer(m5, fixef, nsim = 100, use.u = TRUE, type = "semiparametric")
refs$dye_semipar_sd <- sd(b5$t)
refs$dye_semipar_t_head <- as.numeric(head(b5$t, 5))
refs$dye_semipar_t0 <- unname(b5$t0)

write_references(refs, "api2_lme4", c("lme4", "lattice"))
