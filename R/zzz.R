# zzz.R: package load hooks. Registers glmmlab's methods for generics of packages it does not
# depend on (generics/broom, emmeans, insight, performance, sandwich, lme4) now if they are loaded, else when they
# are loaded later.

# Methods for other packages' generics: package, generic, and the name of our method.
foreign_s3_methods <- function() {
  insight_generics <- c("find_formula", "get_data", "find_parameters", "get_parameters", "get_statistic", "get_varcov",
                        "get_loglikelihood", "get_df", "get_variance")
  performance_generics <- c("model_performance", "check_outliers")
  sandwich_generics <- c("estfun", "bread", "vcovHC")   # R/sandwich.R
  lme4_generics <- c("getME", "refit", "refitML", "isLMM", "isGLMM", "isNLMM", "isREML")   # R/lme4_api.R
  packages <- c("generics", "generics", "generics", "emmeans", "emmeans",
                rep("insight", length(insight_generics)), rep("performance", length(performance_generics)),
                rep("sandwich", length(sandwich_generics)), rep("lme4", length(lme4_generics)))
  generics <- c("tidy", "glance", "augment", "recover_data", "emm_basis", insight_generics, performance_generics,
                sandwich_generics, lme4_generics)
  data.frame(package = packages, generic = generics, method = paste0(generics, ".glmmlab"),
             stringsAsFactors = FALSE)
}

# At load: register each foreign method now or when its package loads.
.onLoad <- function(libname, pkgname) {
  methods <- foreign_s3_methods()
  for (i in seq_len(nrow(methods))) {
    register_s3_when_loaded(methods$package[i], methods$generic[i], methods$method[i])
  }
  invisible()
}

# Register method `method` (looked up in glmmlab's namespace at registration time) for
# `package::generic` on class "glmmlab", immediately if `package` is loaded and on its every load
# (skipped when that version of `package` has no such generic).
register_s3_when_loaded <- function(package, generic, method) {
  force(generic)
  force(method)
  register <- function(...) {
    if (!isNamespaceLoaded(package)) return(invisible())
    if (!exists(generic, envir = asNamespace(package), inherits = FALSE)) return(invisible())  # not in this version
    fun <- get(method, envir = asNamespace("glmmlab"))
    registerS3method(generic, "glmmlab", fun, envir = asNamespace(package))
  }
  if (isNamespaceLoaded(package)) register()
  setHook(packageEvent(package, "onLoad"), register)
  invisible()
}
