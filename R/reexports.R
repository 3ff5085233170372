# reexports.R: nlme's generics VarCorr(), fixef(), ranef() and getData(), re-exported so that
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

#' @importFrom nlme getData
#' @export
nlme::getData
