# zzz.R: package load hooks. Registers glmmlab's methods for generics of packages it does not
# depend on (generics/broom, emmeans, insight, performance, parameters, bayestestR, ggeffects, car,
# effects, MuMIn, ggplot2, sandwich, lme4, lattice) now if they are loaded, else when they are loaded later.

# Methods for other packages' generics: package, generic, and the name of our method
# (<generic>.glmmlab, or <generic>.<class> for the classes of our own results, e.g. ranef.glmmlab).
foreign_s3_methods <- function() {
  table <- list(
    generics = c("tidy", "glance", "augment"),
    emmeans = c("recover_data", "emm_basis"),
    insight = c("find_formula", "get_data", "find_parameters", "get_parameters", "get_statistic", "get_varcov",
                "get_loglikelihood", "get_df", "get_variance", "get_predicted", "ellipsis_info", "model_info"),
    performance = c("model_performance", "check_outliers", "check_overdispersion", "check_normality",
                    "check_convergence", "check_zeroinflation"),
    parameters = c("model_parameters", "standard_error", "p_value", "degrees_of_freedom"),
    bayestestR = "ci",
    ggeffects = "get_predictions",
    car = "Anova",
    effects = "Effect",
    MuMIn = "r.squaredGLMM",
    ggplot2 = "autoplot",
    sandwich = c("estfun", "bread", "vcovHC"),   # R/sandwich.R
    lme4 = c("getME", "refit", "refitML", "isLMM", "isGLMM", "isNLMM", "isREML"),   # R/lme4_api.R
    lattice = "qqmath"   # R/lattice_plots.R
  )
  packages <- rep(names(table), lengths(table))
  generics <- unlist(table, use.names = FALSE)
  out <- data.frame(package = packages, generic = generics, class = "glmmlab", stringsAsFactors = FALSE)
  out <- rbind(out, data.frame(package = c("ggplot2", "lattice", "lattice"), generic = c("autoplot", "dotplot", "qqmath"),
                               class = "ranef.glmmlab", stringsAsFactors = FALSE))
  out$method <- paste(out$generic, out$class, sep = ".")
  out
}

# At load: register each foreign method now or when its package loads.
.onLoad <- function(libname, pkgname) {
  methods <- foreign_s3_methods()
  for (i in seq_len(nrow(methods))) {
    register_s3_when_loaded(methods$package[i], methods$generic[i], methods$method[i], methods$class[i])
  }
  invisible()
}

# Register method `method` (looked up in glmmlab's namespace at registration time) for
# `package::generic` on `class`, immediately if `package` is loaded and on its every load
# (skipped when that version of `package` has no such generic).
register_s3_when_loaded <- function(package, generic, method, class = "glmmlab") {
  force(generic)
  force(method)
  force(class)
  register <- function(...) {
    if (!isNamespaceLoaded(package)) return(invisible())
    if (!exists(generic, envir = asNamespace(package), inherits = FALSE)) return(invisible())  # not in this version
    fun <- get(method, envir = asNamespace("glmmlab"))
    registerS3method(generic, class, fun, envir = asNamespace(package))
  }
  if (isNamespaceLoaded(package)) register()
  setHook(packageEvent(package, "onLoad"), register)
  invisible()
}
