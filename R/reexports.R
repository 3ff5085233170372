# reexports.R: nlme's generics VarCorr(), fixef() and ranef(), re-exported so that
# library(glmmlab) provides them. lme4 and glmmTMB re-export the same functions, so the
# three packages can be attached together in any order and dispatch on "glmmlab" objects.

#' @importFrom nlme VarCorr
#' @export
nlme::VarCorr

#' @importFrom nlme fixef
#' @export
nlme::fixef

#' @importFrom nlme ranef
#' @export
nlme::ranef
