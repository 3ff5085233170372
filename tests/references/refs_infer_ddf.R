# refs_infer_ddf.R: Satterthwaite's (lmerTest) and Kenward-Roger's (pbkrtest, through lmerTest)
# denominator degrees of freedom: summary() coefficient tables, anova() F tables (types III and I)
# and pbkrtest's adjusted covariance, for the models of test-infer_ddf.R. Topic "infer_ddf".
suppressPackageStartupMessages({library(lmerTest); library(pbkrtest)})

blossoms <- function() {
  dat <- read.csv("/work/shared/datasets/blossoms.csv")
  dat$pop <- as.factor(dat$pop)
  dat$patch <- as.factor(paste(dat$pop, dat$patch, "_"))
  dat
}
chapter_sim <- function() {
  set.seed(145)
  x1 <- rnorm(200, 10, 2)
  groupmeans <- rep(rnorm(10, 20, 4), each = 20)
  groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
  y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
}
# sleepstudy without 25 rows and with a subject-level factor f: unbalanced, with an interaction
sleep_unbalanced <- function(sleep) {
  set.seed(3)
  d <- sleep[-sample(nrow(sleep), 25), ]
  k <- as.integer(d$Subject) %% 3
  d$f <- factor(ifelse(k == 0, "a", ifelse(k == 1, "b", "c")))
  d
}
tab <- function(x) { x <- as.data.frame(x); as.matrix(x) }
refs <- list()

sleep <- fixture("sleepstudy")
for (reml in c(TRUE, FALSE)) {
  l <- lmer(Reaction ~ Days + (Days | Subject), sleep, REML = reml)
  key <- if (reml) "sleep_reml" else "sleep_ml"
  refs[[key]] <- list(satt = summary(l)$coefficients)
  if (reml) {
    refs[[key]]$kr <- summary(l, ddf = "Kenward-Roger")$coefficients
    refs[[key]]$kr_vcov <- as.matrix(vcovAdj(l))
  }
}
d <- sleep_unbalanced(sleep)
for (reml in c(TRUE, FALSE)) {
  l <- lmer(Reaction ~ Days * f + (Days | Subject), d, REML = reml)
  key <- if (reml) "unbalanced_reml" else "unbalanced_ml"
  refs[[key]] <- list(satt = summary(l)$coefficients, anova3 = tab(anova(l)), anova1 = tab(anova(l, type = "I")))
  if (reml) {
    refs[[key]]$kr <- summary(l, ddf = "Kenward-Roger")$coefficients
    refs[[key]]$kr_anova3 <- tab(anova(l, ddf = "Kenward-Roger"))
    refs[[key]]$kr_vcov <- as.matrix(vcovAdj(l))
    refs[[key]]$satt_contrast <- unlist(contest(l, rbind(c(0, 1, 0, 0, 1, 0), c(0, 0, 1, -1, 0, 0)), joint = FALSE)[, "df"])
  }
}
l <- lmer(y ~ x1 + (1 | groupID), chapter_sim(), REML = TRUE)
refs$chapter_reml <- list(satt = summary(l)$coefficients, kr = summary(l, ddf = "Kenward-Roger")$coefficients)
l <- lmer(UBW ~ LBW + (1 | pop/patch), blossoms(), REML = TRUE)
refs$blossoms_reml <- list(satt = summary(l)$coefficients, kr = summary(l, ddf = "Kenward-Roger")$coefficients,
                           anova3 = tab(anova(l)), kr_anova3 = tab(anova(l, ddf = "Kenward-Roger")))
write_references(refs, "infer_ddf", c("lme4", "lmerTest", "pbkrtest"))
