# refs_infer.R: glmmTMB's conditional prediction standard errors (predict(se.fit = TRUE) with the
# random effects, link and response scales, fitted rows and new data, a new level), its
# vcov(full = TRUE), and its confint() (Wald by default; parm, full; method = "uniroot") for the
# models of test-infer_predict.R and test-infer_confint.R. Topic "infer".
suppressPackageStartupMessages(library(glmmTMB))

chapter_sim <- function() {   # the course chapter's simulated data (tests/testthat/helper-data.R)
  set.seed(145)
  x1 <- rnorm(200, 10, 2)
  groupmeans <- rep(rnorm(10, 20, 4), each = 20)
  groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
  y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
}
blossoms <- function() {
  dat <- read.csv("/work/shared/datasets/blossoms.csv")
  dat$pop <- as.factor(dat$pop)
  dat$patch <- as.factor(paste(dat$pop, dat$patch, "_"))
  dat
}
eulaema <- function() {
  dat <- read.csv("/work/shared/datasets/Eulaema.csv", fileEncoding = "latin1")
  dat$SA <- as.factor(dat$SA)
  dat
}
unnamed <- function(x) unname(as.numeric(x))
se_of <- function(m, ...) unnamed(predict(m, se.fit = TRUE, ...)$se.fit)
fit_of <- function(m, ...) unnamed(predict(m, se.fit = TRUE, ...)$fit)
refs <- list()

sleep <- fixture("sleepstudy")
m <- glmmTMB(Reaction ~ Days + (Days | Subject), sleep)
nd_sleep <- data.frame(Days = c(0, 5, 9, 2), Subject = c("308", "new1", "309", "372"))
refs$sleep_ml <- list(
  se = se_of(m), fit = fit_of(m),
  se_new = se_of(m, newdata = nd_sleep, allow.new.levels = TRUE), fit_new = fit_of(m, newdata = nd_sleep, allow.new.levels = TRUE),
  se_pop = se_of(m, re.form = NA),
  vcov_full = vcov(m, full = TRUE),
  confint = confint(m), confint_full = confint(m, full = TRUE), confint_theta = confint(m, parm = "theta_"),
  confint_123 = confint(m, parm = 1:3), confint_90 = confint(m, level = 0.9),
  uniroot = confint(m, method = "uniroot"))
m <- glmmTMB(Reaction ~ Days + (Days | Subject), sleep, REML = TRUE)
refs$sleep_reml <- list(se = se_of(m), se_new = se_of(m, newdata = nd_sleep, allow.new.levels = TRUE),
                        se_pop = se_of(m, re.form = NA), vcov_full = vcov(m, full = TRUE), confint = confint(m))

cbpp <- fixture("cbpp")
m <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
nd_cbpp <- data.frame(period = factor(c(1, 2, 4), levels = 1:4), herd = c("3", "7", "15"), size = 10)
refs$cbpp <- list(
  se_response = se_of(m, type = "response"), se_link = se_of(m), fit_response = fit_of(m, type = "response"),
  se_new_link = se_of(m, newdata = nd_cbpp), se_new_response = se_of(m, newdata = nd_cbpp, type = "response"),
  vcov_full = vcov(m, full = TRUE), confint = confint(m), uniroot = confint(m, method = "uniroot"))

chapter <- chapter_sim()
m <- glmmTMB(y ~ x1 + (1 | groupID), data = chapter)
newx <- seq(min(chapter$x1), max(chapter$x1), length.out = 200)
nd_chapter <- data.frame(x1 = newx, groupID = rep("Group5", 200))
refs$chapter_x1 <- list(se = se_of(m), se_group5 = se_of(m, newdata = nd_chapter), vcov_full = vcov(m, full = TRUE),
                        confint = confint(m), confint_full = confint(m, full = TRUE))

dat <- blossoms()
m <- glmmTMB(UBW ~ LBW + (1 | pop/patch), data = dat)
refs$blossoms_nested <- list(se = se_of(m), vcov_full = vcov(m, full = TRUE), confint = confint(m))

dat <- eulaema()
m <- glmmTMB(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = dat)
nd_bees <- data.frame(MAP = c(1500, 2500, 3500), SA = c("Cantareira", "Bertioga", "Belo_Horizonte"))
refs$eulaema_nb2 <- list(
  se_link = se_of(m), se_response = se_of(m, type = "response"),
  se_new_response = se_of(m, newdata = nd_bees, type = "response"),
  vcov_full = vcov(m, full = TRUE), confint = confint(m), confint_full = confint(m, full = TRUE))

write_references(refs, "infer", c("glmmTMB", "TMB"))
