## ----setup, include = FALSE---------------------------------------------------
knitr::opts_chunk$set(collapse = TRUE, comment = "#>", fig.width = 6, fig.height = 4.5)

## ----library------------------------------------------------------------------
library(glmmlab)

## ----data---------------------------------------------------------------------
dat = read.csv(system.file("extdata", "blossoms.csv", package = "glmmlab"))
dat$pop = as.factor(dat$pop)
dat$patch = as.factor(paste(dat$pop, dat$patch, "_"))

## ----varpart-ubw--------------------------------------------------------------
m_ubw = glmm(UBW ~ 1 + (1|pop/patch), data=dat)
varpart(m_ubw)

## ----varpart-boot-------------------------------------------------------------
vp = varpart(m_ubw, boot = 200, seed = 1)
vp

## ----varpart-traits-----------------------------------------------------------
traits = c("UBW", "LBW", "GA", "ASD")
tab = t(sapply(traits, function(tr) {
  f = as.formula(paste(tr, "~ 1 + (1|pop/patch)"))
  v = varpart(glmm(f, data=dat))
  c(mean = attr(v, "mean"), setNames(v$percent[1:3], c("% patch", "% pop", "% within")),
    CV2_total = v$CV2[4])
}))
round(tab, 3)

## ----sim-data-----------------------------------------------------------------
set.seed(145)
x1 = rnorm(200, 10, 2)
groupmeans = rep(rnorm(10, 20, 4), each=20)
groupID = as.factor(rep(paste0("Group", 1:10), each=20))
y = 2 + 1.5*x1 + groupmeans + rnorm(200, 0, 2)
data = data.frame(y, x1, groupID)

m_lm = lm(y ~ x1, data=data)
m_mixed = glmm(y ~ x1 + (1|groupID), data=data)
rbind(lm = summary(m_lm)$coef["x1", 1:2], glmm = summary(m_mixed)$coef$cond["x1", 1:2])
c(lm = sigma(m_lm), glmm = sigma(m_mixed))
AIC(m_lm, m_mixed)

## ----candidates---------------------------------------------------------------
dat2 = dat[complete.cases(dat[c("UBW", "LBW")]), ]   # the same rows for every model
m0 = glmm(UBW ~ 1 + (1|pop/patch), data=dat2)
m1 = glmm(UBW ~ LBW + (1|pop), data=dat2)
m2 = glmm(UBW ~ LBW + (1|pop/patch), data=dat2)
m3 = glmm(UBW ~ LBW + (LBW|pop) + (1|patch:pop), data=dat2)
AIC(m0, m1, m2, m3)

## ----lrt----------------------------------------------------------------------
anova(m0, m2)   # does LBW explain UBW?
anova(m1, m2)   # is there variance among patches within populations?
anova(m2, m3)   # do populations differ in their slopes?

## ----summary-m2---------------------------------------------------------------
summary(m2)
r2(m2)
varpart(m2)

## ----confint------------------------------------------------------------------
confint(m2)
confint(m2, method = "profile")
confint(m2, method = "boot", nsim = 200, seed = 1)

## ----plots, fig.height = 4----------------------------------------------------
plot(m2)
plot(ranef(m2))

## ----population-lines---------------------------------------------------------
m_pop = glmm(UBW ~ LBW + (1|pop), data=dat2)
plot_group_lines(m_pop, las=1)

## ----bootstrap----------------------------------------------------------------
stat = function(f) c(slope = fixef(f)$cond[["LBW"]], among = sum(varpart(f)$percent[1:2]))
b = bootstrap(m2, stat, nsim = 200, seed = 2)
b
confint(b)
plot(b)

## ----eulaema------------------------------------------------------------------
bees = read.csv(system.file("extdata", "Eulaema.csv", package = "glmmlab"))
bees$SA = as.factor(bees$SA)
b_pois = glmm(Eulaema_nigrita ~ MAP + (1|SA), family = "poisson", data = bees)
b_nb = glmm(Eulaema_nigrita ~ MAP + (1|SA), family = "nbinom2", data = bees)
AIC(b_pois, b_nb)
varpart(b_nb)
confint(b_nb, method = "profile")

