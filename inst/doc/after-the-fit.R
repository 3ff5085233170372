## ----setup, include = FALSE---------------------------------------------------
knitr::opts_chunk$set(collapse = TRUE, comment = "#>", fig.width = 6, fig.height = 4.5)
has <- function(pkg) requireNamespace(pkg, quietly = TRUE)

## ----library------------------------------------------------------------------
library(glmmlab)

## ----data---------------------------------------------------------------------
dat = read.csv(system.file("extdata", "Eulaema.csv", package = "glmmlab"))
dat$SA = as.factor(dat$SA)
m_pois = glmm(Eulaema_nigrita ~ forest. + (1 | SA), family = poisson, data = dat)
m_nb = glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = dat)

## ----overdispersion, eval = has("performance")--------------------------------
performance::check_overdispersion(m_pois)
performance::check_overdispersion(m_nb)

## ----ggpredict, eval = has("ggeffects") && has("ggplot2")---------------------
pred <- ggeffects::ggpredict(m_nb, "MAP")
pred
plot(pred, add.data = TRUE)

## ----sjplot, eval = has("sjPlot")---------------------------------------------
sjPlot::plot_model(m_nb, type = "pred", terms = "MAP")
sjPlot::plot_model(m_nb, transform = NULL)

## ----own-plots, fig.height = 9------------------------------------------------
plot(ranef(m_nb))

## ----autoplot, eval = has("ggplot2"), fig.height = 9--------------------------
ggplot2::autoplot(ranef(m_nb))

## ----parameters, eval = has("parameters")-------------------------------------
parameters::model_parameters(m_nb, exponentiate = TRUE)

## ----tab-model, eval = has("sjPlot")------------------------------------------
sjPlot::tab_model(m_nb)

## ----r2-----------------------------------------------------------------------
r2(m_nb)

## ----anova, eval = has("car")-------------------------------------------------
car::Anova(m_nb)
car::Anova(glmm(Eulaema_nigrita ~ MAP + forest. + (1 | SA), family = "nbinom2", data = dat))

