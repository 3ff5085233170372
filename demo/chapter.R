# The course chapter "(Generalized) Linear Mixed Models" fitted with glmmlab: the chapter's calls
# with library(glmmlab) and glmm() in place of glmmTMB(), from the variance components to the
# negative binomial GLMM of bee counts. Run with demo("chapter", package = "glmmlab").
# The chapter's data files are shipped with glmmlab: the chapter's read.csv("datasets/...") lines
# read them from system.file("extdata", ..., package = "glmmlab") here (also data(blossoms) and
# data(Eulaema)); Eulaema.csv is UTF-8 in the package, so its accented study-area names read as they are.
library(glmmlab)
if (!interactive()) pdf(file.path(tempdir(), "glmmlab-chapter-demo.pdf"))  # plots go to a file (closed at the end)

## Variance component analysis with simulated data
set.seed(145)
x1 = rnorm(200, 10, 2)
groupmeans = rep(rnorm(10, 20, 4), each=20)
groupID = as.factor(rep(paste0("Group", 1:10), each=20))
y = 2 + 1.5*x1 + groupmeans + rnorm(200, 0, 2)
data = data.frame(y, x1, groupID)
plot(x1, y, col=as.numeric(groupID), las=1)

m = glmm(y ~ 1 + (1|groupID), data=data)
summary(m)
VarCorr(m)

VarAmongGroups = attr(VarCorr(m)$cond$groupID, "stddev")^2
VarWithinGroups = attr(VarCorr(m)$cond, "sc")^2
VarAmongGroups
var(groupmeans)
VarAmongGroups/(VarAmongGroups+VarWithinGroups)*100

CV2_Among = VarAmongGroups/mean(y)^2
CV2_Within = VarWithinGroups/mean(y)^2
CV2_Total = CV2_Among + CV2_Within
df = data.frame(Mean = mean(y), SD = sd(y),
                Among = VarAmongGroups/(VarAmongGroups+VarWithinGroups)*100,
                Within = VarWithinGroups/(VarAmongGroups+VarWithinGroups)*100,
                CV2_Among, CV2_Within, CV2_Total)
df = apply(df, MARGIN=2, FUN=round, digits=3)
df

## Random-intercept regression
m = glmm(y ~ x1 + (1|groupID), data=data)
summary(m)
coef(m)

newx = seq(min(x1), max(x1), length.out=200)
plot(x1, y, las=1)
for(i in 1:length(levels(groupID))){
  y_hat = coef(m)$cond$groupID[i,1] + coef(m)$cond$groupID[i,2]*newx
  lines(newx, y_hat, col=i)
}
y_hat = predict(m, newdata=list(x1=newx, groupID=rep("Group5", 200)), re.form=NULL)
head(y_hat)

## Nested random effects: the blossoms data
dat = read.csv(system.file("extdata", "blossoms.csv", package = "glmmlab"))
names(dat)
dat$pop = as.factor(dat$pop)
dat$patch = as.factor(paste(dat$pop, dat$patch, "_"))

m = glmm(UBW ~ 1 + (1|pop/patch), data=dat)
summary(m)

m = glmm(UBW ~ LBW + (1|pop/patch), data=dat)
summary(m)

## Generalized linear mixed models: counts of the bee Eulaema nigrita at sites in 72 study areas
## (SA) of the Brazilian Atlantic forest.
dat = read.csv(system.file("extdata", "Eulaema.csv", package = "glmmlab"))
dat$SA = as.factor(dat$SA)

m = glmm(Eulaema_nigrita ~ MAP + (1|SA), family="nbinom2", data=dat)
summary(m)

newMAP = seq(min(dat$MAP), max(dat$MAP), length.out=200)
plot(dat$MAP, dat$Eulaema_nigrita, las=1)
for(i in 1:length(levels(dat$SA))){
  y_hat = exp(coef(m)$cond$SA[i,1] + coef(m)$cond$SA[i,2]*newMAP)
  lines(newMAP, y_hat, col="grey")
}
y_hat = exp(summary(m)$coef$cond[1,1] + summary(m)$coef$cond[2,1]*newMAP)
lines(newMAP, y_hat, lwd=2)

m = glmm(Eulaema_nigrita ~ forest. + (1|SA), REML = F, family = "poisson", data = dat)
summary(m)
if (!interactive()) invisible(dev.off())
