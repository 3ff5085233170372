# data-raw/course_data.R: ship the course's two data sets in the package, from the files the course
# distributes (blossoms.csv, ASCII; Eulaema.csv, Latin-1). Run from the project root with the
# course's datasets/ folder as argument:
#   Rscript data-raw/course_data.R /path/to/datasets
# It writes inst/extdata/blossoms.csv (a byte copy), inst/extdata/Eulaema.csv (converted to UTF-8)
# and data/blossoms.rda, data/Eulaema.rda (the data frames read.csv() gives for the shipped CSVs,
# character columns as characters, as the chapter reads them). The documentation is R/data.R.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1L || !dir.exists(args[1L])) stop("usage: Rscript data-raw/course_data.R <folder with blossoms.csv and Eulaema.csv>")
from <- args[1L]
dir.create(file.path("inst", "extdata"), recursive = TRUE, showWarnings = FALSE)
dir.create("data", showWarnings = FALSE)

# blossoms.csv is plain ASCII: shipped as it is.
stopifnot(file.copy(file.path(from, "blossoms.csv"), file.path("inst", "extdata", "blossoms.csv"), overwrite = TRUE))

# Eulaema.csv: Latin-1 lines re-encoded as UTF-8 (the accented study-area names), bytes otherwise unchanged.
lines <- readLines(file.path(from, "Eulaema.csv"), encoding = "latin1")
con <- file(file.path("inst", "extdata", "Eulaema.csv"), open = "wb")
writeLines(enc2utf8(lines), con, useBytes = TRUE)
close(con)

blossoms <- utils::read.csv(file.path("inst", "extdata", "blossoms.csv"))
Eulaema <- utils::read.csv(file.path("inst", "extdata", "Eulaema.csv"), encoding = "UTF-8")
stopifnot(identical(dim(blossoms), c(205L, 11L)), identical(dim(Eulaema), c(178L, 12L)),
          all(validUTF8(Eulaema$SA)), any(grepl("Estação", Eulaema$SA, fixed = TRUE)))
save(blossoms, file = file.path("data", "blossoms.rda"), compress = "xz", version = 2)
save(Eulaema, file = file.path("data", "Eulaema.rda"), compress = "xz", version = 2)
message("wrote inst/extdata/{blossoms,Eulaema}.csv and data/{blossoms,Eulaema}.rda")
