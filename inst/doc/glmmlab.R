## ----setup, include = FALSE---------------------------------------------------
knitr::opts_chunk$set(collapse = TRUE, comment = "#>", fig.width = 6, fig.height = 4.5)

## ----library------------------------------------------------------------------
library(glmmlab)

## ----simulate-----------------------------------------------------------------
set.seed(145)
x1 = rnorm(200, 10, 2)
groupmeans = rep(rnorm(10, 20, 4), each=20)
groupID = as.factor(rep(paste0("Group", 1:10), each=20))
y = 2 + 1.5*x1 + groupmeans + rnorm(200, 0, 2)
data = data.frame(y, x1, groupID)
head(data)

## ----plot-data----------------------------------------------------------------
plot(x1, y, col=as.numeric(groupID), las=1)

## ----fit-intercept------------------------------------------------------------
m = glmm(y ~ 1 + (1|groupID), data=data)
summary(m)

## ----varcorr------------------------------------------------------------------
VarCorr(m)
VarAmongGroups = attr(VarCorr(m)$cond$groupID, "stddev")^2
VarWithinGroups = attr(VarCorr(m)$cond, "sc")^2
VarAmongGroups

## ----compare-groupmeans-------------------------------------------------------
var(groupmeans)
mean_sampling_variance = mean(tapply(y, groupID, var)/20)
var(groupmeans) - mean_sampling_variance

## ----percent------------------------------------------------------------------
VarAmongGroups/(VarAmongGroups+VarWithinGroups)*100

## ----variance-table-----------------------------------------------------------
CV2_Among = VarAmongGroups/mean(y)^2
CV2_Within = VarWithinGroups/mean(y)^2
CV2_Total = CV2_Among + CV2_Within

df = data.frame(Mean = mean(y), SD = sd(y),
                Among = VarAmongGroups/(VarAmongGroups+VarWithinGroups)*100,
                Within = VarWithinGroups/(VarAmongGroups+VarWithinGroups)*100,
                CV2_Among, CV2_Within, CV2_Total)
df = apply(df, MARGIN=2, FUN=round, digits=3)
df

## ----fit-x1-------------------------------------------------------------------
m = glmm(y ~ x1 + (1|groupID), data=data)
summary(m)

## ----coef---------------------------------------------------------------------
coef(m)

## ----group-lines--------------------------------------------------------------
newx = seq(min(x1), max(x1), length.out=200)
plot(x1, y, las=1)
for(i in 1:length(levels(groupID))){
  y_hat = coef(m)$cond$groupID[i,1] + coef(m)$cond$groupID[i,2]*newx
  lines(newx, y_hat, col=i)
}

## ----predict------------------------------------------------------------------
y_hat = predict(m, newdata=list(x1=newx, groupID=rep("Group5", 200)), re.form=NULL)
head(y_hat)

## ----aic----------------------------------------------------------------------
AIC(lm(y ~ x1, data=data), m)

## ----blossoms-data------------------------------------------------------------
dat = read.csv(system.file("extdata", "blossoms.csv", package = "glmmlab"))
names(dat)
dat$pop = as.factor(dat$pop)
dat$patch = as.factor(paste(dat$pop, dat$patch, "_"))

## ----nested-intercept---------------------------------------------------------
m = glmm(UBW ~ 1 + (1|pop/patch), data=dat)
summary(m)

## ----nested-lbw---------------------------------------------------------------
m = glmm(UBW ~ LBW + (1|pop/patch), data=dat)
summary(m)

## ----eulaema-data-------------------------------------------------------------
dat = read.csv(system.file("extdata", "Eulaema.csv", package = "glmmlab"))
dat$SA = as.factor(dat$SA)
str(dat[c("Eulaema_nigrita", "SA", "MAP", "forest.")])

## ----nbinom2------------------------------------------------------------------
m = glmm(Eulaema_nigrita ~ MAP + (1|SA), family="nbinom2", data=dat)
summary(m)

## ----map-effect---------------------------------------------------------------
exp(100 * fixef(m)$cond[["MAP"]])

## ----nbinom2-curves-----------------------------------------------------------
newMAP = seq(min(dat$MAP), max(dat$MAP), length.out=200)
plot(dat$MAP, dat$Eulaema_nigrita, las=1)
for(i in 1:length(levels(dat$SA))){
  y_hat = exp(coef(m)$cond$SA[i,1] + coef(m)$cond$SA[i,2]*newMAP)
  lines(newMAP, y_hat, col="grey")
}
y_hat = exp(summary(m)$coef$cond[1,1] + summary(m)$coef$cond[2,1]*newMAP)
lines(newMAP, y_hat, lwd=2)

## ----nbinom2-predict----------------------------------------------------------
population = predict(m, newdata=list(MAP=newMAP), re.form=NA, type="response")
all.equal(unname(population), y_hat)
VarAmongAreas = attr(VarCorr(m)$cond$SA, "stddev")^2
unname(exp(VarAmongAreas/2))   # mean over areas / typical area

## ----poisson------------------------------------------------------------------
m_pois = glmm(Eulaema_nigrita ~ forest. + (1|SA), REML = F, family = "poisson", data = dat)
summary(m_pois)

## ----poisson-dispersion-------------------------------------------------------
sum(residuals(m_pois, type="pearson")^2) / df.residual(m_pois)

## ----nbinom2-forest-----------------------------------------------------------
m_nb = glmm(Eulaema_nigrita ~ forest. + (1|SA), family = "nbinom2", data = dat)
AIC(m_pois, m_nb)
fixef(m_nb)

