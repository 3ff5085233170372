# zzz.R: package load hooks. Registers glmmlab's methods for generics of packages it does not
# depend on (generics/broom, emmeans) now if they are loaded, else when they are loaded later.

# Methods for other packages' generics: package, generic, and the name of our method.
foreign_s3_methods <- function() {
  data.frame(
    package = c("generics", "generics", "generics", "emmeans", "emmeans"),
    generic = c("tidy", "glance", "augment", "recover_data", "emm_basis"),
    method = c("tidy.glmm", "glance.glmm", "augment.glmm", "recover_data.glmm", "emm_basis.glmm"),
    stringsAsFactors = FALSE
  )
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
# `package::generic` on class "glmm", immediately if `package` is loaded and on its every load.
register_s3_when_loaded <- function(package, generic, method) {
  force(generic)
  force(method)
  register <- function(...) {
    if (!isNamespaceLoaded(package)) return(invisible())
    fun <- get(method, envir = asNamespace("glmmlab"))
    registerS3method(generic, "glmm", fun, envir = asNamespace(package))
  }
  if (isNamespaceLoaded(package)) register()
  setHook(packageEvent(package, "onLoad"), register)
  invisible()
}
