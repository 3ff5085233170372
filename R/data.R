# data.R: documentation of the course data sets shipped in data/ and inst/extdata/
# (made from the course's files by data-raw/course_data.R).

#' Blossom measurements of Dalechampia plants (the course's blossoms.csv)
#'
#' Floral measurements of *Dalechampia scandens* blossoms, one row per blossom, from plants in
#' patches within nine populations. The course chapter "(Generalized) Linear Mixed Models"
#' (Chapter 7 of the course; section "Nested and crossed random effects") uses it for the nested
#' random-effect models `UBW ~ 1 + (1|pop/patch)` and `UBW ~ LBW + (1|pop/patch)`, and for its data
#' exercises (variance partitioning, random-intercept analysis).
#'
#' The data frame is what `read.csv()` gives for the course file: `pop` and `patch` are
#' character columns, so the chapter's own conversion lines work on it unchanged
#' (`dat$pop = as.factor(dat$pop)`; `dat$patch = as.factor(paste(dat$pop, dat$patch, "_"))` makes
#' patch labels unique within populations). The same file is shipped as
#' `system.file("extdata", "blossoms.csv", package = "glmmlab")`. Lengths are in millimetres,
#' as measured in the course; missing measurements are `NA` (`UBW` has 1, `LBW` 3).
#'
#' @format A data frame with 205 rows and 11 columns:
#' \describe{
#'   \item{pop}{population (character; 9 populations, e.g. `"S11"`).}
#'   \item{patch}{patch within its population (character; the letters repeat across populations).}
#'   \item{ASD}{anther-stigma distance (mm).}
#'   \item{GAD}{gland-anther distance (mm).}
#'   \item{GSD}{gland-stigma distance (mm).}
#'   \item{LBL}{lower bract length (mm).}
#'   \item{LBW}{lower bract width (mm).}
#'   \item{UBL}{upper bract length (mm).}
#'   \item{UBW}{upper bract width (mm).}
#'   \item{GW}{gland width (mm).}
#'   \item{GA}{gland area (mm\eqn{^2}{^2}).}
#' }
#' @source The course's data file `datasets/blossoms/blossoms.csv` (course "Processing and
#'   analysis of biological data", chapter "(Generalized) Linear Mixed Models"), shipped here
#'   byte for byte.
#' @seealso [Eulaema], [course_file()], [read_course_csv()], `vignette("glmmlab")`,
#'   `vignette("exercises", package = "glmmlab")`.
#' @examples
#' dat = blossoms
#' dat$pop = as.factor(dat$pop)
#' dat$patch = as.factor(paste(dat$pop, dat$patch, "_"))
#' m = glmm(UBW ~ LBW + (1|pop/patch), data=dat)
#' summary(m)
#'
#' # the chapter's own line, with the shipped file
#' dat = read.csv(system.file("extdata", "blossoms.csv", package = "glmmlab"))
"blossoms"

#' Counts of the orchid bee Eulaema nigrita in the Brazilian Atlantic forest (the course's Eulaema.csv)
#'
#' Counts of the orchid bee *Eulaema nigrita* at 178 sampling units (sites) in 72 study areas of
#' the Brazilian Atlantic forest, with the sampling method and effort and the climate and
#' landscape around each site. The course chapter "(Generalized) Linear Mixed Models" (Chapter 7
#' of the course; section "Generalized linear mixed models") fits the negative binomial model
#' `Eulaema_nigrita ~ MAP + (1|SA)` (AIC 1790.8) and a Poisson model of forest cover to it.
#'
#' The data frame is what `read.csv()` gives for the shipped CSV file: `SA`, `SU` and `method`
#' are character columns (the chapter converts `SA` with `dat$SA = as.factor(dat$SA)`). The
#' course distributes the file in Latin-1; glmmlab ships it converted to UTF-8, so the accented
#' study-area names (`"Estação_Ecológica_de_Guaxindiba"`, ...) read correctly with a plain
#' `read.csv(system.file("extdata", "Eulaema.csv", package = "glmmlab"))` (and with
#' [read_course_csv()], which also reads the course's Latin-1 copy when told its encoding).
#'
#' The units of the climate columns follow WorldClim's conventions, as their ranges show
#' (temperatures in tenths of a degree, seasonality indices scaled as in WorldClim's BIO4 and
#' BIO15); the course files do not state them, so they are read here from the values' ranges.
#'
#' @format A data frame with 178 rows and 12 columns:
#' \describe{
#'   \item{Eulaema_nigrita}{number of *Eulaema nigrita* individuals caught at the site (count).}
#'   \item{SA}{study area (character; 72 areas, named after the reserve or place, with accents).}
#'   \item{SU}{sampling unit, `"area-site"` (character).}
#'   \item{method}{sampling method: `"Net"`, `"Traps"` or `"NetTraps"` (nets and traps).}
#'   \item{effort}{sampling effort, on a log scale as the course file gives it (the course does not
#'     state its unit).}
#'   \item{altitude}{altitude of the site (m above sea level).}
#'   \item{MAT}{mean annual temperature (tenths of a degree Celsius: 235 is 23.5 °C).}
#'   \item{MAP}{mean annual precipitation (mm per year).}
#'   \item{Tseason}{temperature seasonality: standard deviation of the monthly mean temperatures
#'     times 100, computed on temperatures in tenths of a degree (WorldClim's BIO4: 2036 is an SD
#'     of about 2.0 °C).}
#'   \item{Pseason}{precipitation seasonality: coefficient of variation of the monthly
#'     precipitation (percent, WorldClim's BIO15).}
#'   \item{forest.}{proportion of forest cover around the site (0 to 1).}
#'   \item{lu_het}{land-use heterogeneity around the site (an index, unitless; the course does not
#'     define it further).}
#' }
#' @source The course's data file `datasets/Eulaema.csv` (course "Processing and analysis of
#'   biological data", chapter "(Generalized) Linear Mixed Models"), converted from Latin-1 to
#'   UTF-8 and otherwise unchanged.
#' @seealso [blossoms], [course_file()], [read_course_csv()], `vignette("glmmlab")`.
#' @examples
#' dat = Eulaema
#' dat$SA = as.factor(dat$SA)
#' m = glmm(Eulaema_nigrita ~ MAP + (1|SA), family="nbinom2", data=dat)
#' summary(m)   # AIC 1790.8, as in the chapter
#' head(levels(dat$SA))
"Eulaema"
