# refs_engine_wald.R: glmmTMB's Wald intervals of the variance parameters (confint(method =
# "wald")) and their standard errors (vcov(full = TRUE)) for diagonal terms, diag(x | g) in
# glmmTMB and (x || g) in glmmlab, an LMM and a Gamma GLMM on sleepstudy; for
# test-variance_wald_diag.R (variance_parameter_wald(), which 'parameters' reads).
library(glmmTMB)
ss <- fixture("sleepstudy")
wald <- function(f) {
  ci <- confint(f, method = "wald", parm = "theta_")
  se <- sqrt(diag(vcov(f, full = TRUE)))
  list(lower = unname(ci[, 1L]), upper = unname(ci[, 2L]), estimate = unname(ci[, 3L]),
       se_theta = unname(se[grep("^theta_", names(se))]), se_betad = unname(se[grep("^d~", names(se))]))
}
refs <- list(
  lmm_diag = wald(glmmTMB(Reaction ~ Days + diag(Days | Subject), data = ss)),
  gamma_diag = wald(glmmTMB(Reaction ~ Days + diag(Days | Subject), data = ss, family = Gamma(link = "log")))
)
write_references(refs, "engine_wald", c("glmmTMB", "TMB"))
