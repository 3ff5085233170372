# course_files.R: the course's data files shipped in inst/extdata, found by name, and a CSV reader
# that checks the file's path and text encoding before read.csv() (never garbled names).

#' The course's data files shipped with glmmlab
#'
#' `course_file()` gives the path of a data file shipped with glmmlab: the course chapter's CSV
#' files, `"blossoms.csv"` and `"Eulaema.csv"` (both UTF-8). `read_course_csv()` reads one of them
#' by name, or any CSV file by path, with [utils::read.csv()], after checking that the file
#' exists and that its text is in the encoding given.
#'
#' The course distributes `Eulaema.csv` in Latin-1, the copy in glmmlab is UTF-8. Read with the
#' wrong encoding, accented study-area names come out garbled (`"EstaÃ§Ã£o"`) or as invalid
#' strings; `read_course_csv()` stops instead, naming the file and the `fileEncoding` to give.
#' A name that is not shipped, or a path that does not exist, is an error that names it and lists
#' the files that do exist.
#'
#' @param name,file The name of a shipped file (`"Eulaema.csv"`), or for `read_course_csv()` also
#'   the path of a CSV file.
#' @param fileEncoding The encoding of the file's text: `"UTF-8"` (the default, as for the
#'   shipped files) or, for example, `"latin1"` for the course's own copy of `Eulaema.csv`.
#' @param ... Further arguments to [utils::read.csv()].
#' @return `course_file()`: the path of the shipped file. `read_course_csv()`: the data frame
#'   `read.csv()` gives (text columns as character, as in the course; convert grouping columns
#'   with `as.factor()` as the chapter does).
#' @seealso [blossoms], [Eulaema] (the same data as `data()` sets).
#' @examples
#' course_file("Eulaema.csv")
#' dat = read_course_csv("Eulaema.csv")
#' dat$SA = as.factor(dat$SA)
#' head(levels(dat$SA), 3)
#'
#' # a name that is not shipped lists those that are
#' try(course_file("eulaema.csv"))
#'
#' # a file in another encoding: the error says which to give
#' latin1_copy = tempfile(fileext = ".csv")
#' con = file(latin1_copy, "w", encoding = "latin1")
#' writeLines(readLines(course_file("Eulaema.csv"), encoding = "UTF-8"), con)
#' close(con)
#' try(read_course_csv(latin1_copy))
#' nrow(read_course_csv(latin1_copy, fileEncoding = "latin1"))
#' @export
course_file <- function(name) {
  if (!is.character(name) || length(name) != 1L || is.na(name) || !nzchar(name)) {
    stop(sprintf("`name` must be one file name, one of: %s", paste(dQuote(course_files(), FALSE), collapse = ", ")),
         call. = FALSE)
  }
  path <- if (basename(name) == name) system.file("extdata", name, package = "glmmlab") else ""
  if (!nzchar(path)) {
    files <- course_files()
    close <- files[tolower(files) == tolower(basename(name))]
    stop(sprintf("glmmlab ships no file %s%s; its course files are: %s", dQuote(name, FALSE),
                 if (length(close)) sprintf(" (did you mean %s?)", dQuote(close[1L], FALSE)) else "",
                 paste(dQuote(files, FALSE), collapse = ", ")), call. = FALSE)
  }
  path
}

#' @rdname course_file
#' @export
read_course_csv <- function(file, fileEncoding = "UTF-8", ...) {
  if (!is.character(file) || length(file) != 1L || is.na(file) || !nzchar(file)) {
    stop("`file` must be one file name or path", call. = FALSE)
  }
  path <- if (file.exists(file) && !dir.exists(file)) file
          else if (basename(file) == file && file %in% course_files()) course_file(file)
          else stop(missing_file_message(file), call. = FALSE)
  check_text_encoding(path, fileEncoding)
  utils::read.csv(path, fileEncoding = fileEncoding, ...)
}

# The names of the data files shipped in inst/extdata.
course_files <- function() list.files(system.file("extdata", package = "glmmlab"))

# Why `file` cannot be read: its folder is missing, or the folder lacks it (listing what is there);
# plus the shipped course files, which can be read by name.
missing_file_message <- function(file) {
  folder <- dirname(file)
  where <- normalizePath(folder, mustWork = FALSE)
  shipped <- sprintf("glmmlab ships %s (read them by name)", paste(dQuote(course_files(), FALSE), collapse = ", "))
  if (dir.exists(file)) {
    return(sprintf("%s is a folder, not a file; %s", dQuote(file, FALSE), shipped))
  }
  if (!dir.exists(folder)) {
    return(sprintf("file %s not found: there is no folder %s (the working directory is %s); %s",
                   dQuote(file, FALSE), dQuote(where, FALSE), dQuote(getwd(), FALSE), shipped))
  }
  present <- list.files(folder)
  csv <- present[grepl("[.](csv|txt|tsv)$", present, ignore.case = TRUE)]
  listed <- if (length(csv)) csv else present
  sprintf("file %s not found in %s, which holds %s; %s", dQuote(basename(file), FALSE), dQuote(where, FALSE),
          if (length(listed)) paste(dQuote(utils::head(listed, 20L), FALSE), collapse = ", ") else "no files",
          shipped)
}

# Stop when the bytes of the file at `path` cannot be text in `encoding`: non-UTF-8 bytes read as
# UTF-8, or UTF-8 multi-byte text read as a single-byte encoding (which would garble it).
check_text_encoding <- function(path, encoding) {
  bytes <- readBin(path, "raw", n = file.size(path))
  if (!length(bytes) || all(bytes < as.raw(0x80))) return(invisible())   # ASCII reads the same in any
  text <- rawToChar(bytes[bytes != as.raw(0L)])
  is_utf8 <- validUTF8(text)
  enc <- toupper(gsub("[^[:alnum:]]", "", encoding))
  says_utf8 <- enc == "UTF8" || (enc == "" && isTRUE(l10n_info()[["UTF-8"]]))
  single_byte <- enc %in% c("LATIN1", "ISO88591", "ISO885915", "LATIN9", "CP1252", "WINDOWS1252")
  if (says_utf8 && !is_utf8) {
    lines <- strsplit(text, "\n", fixed = TRUE, useBytes = TRUE)[[1L]]
    bad <- which(!validUTF8(lines))[1L]
    stop(sprintf(paste0("%s is not UTF-8 text: line %d has bytes that are not UTF-8 (it looks like Latin-1, ",
                        "as the course's own copy of Eulaema.csv). Read it with fileEncoding = \"latin1\"",
                        " (or \"windows-1252\")%s"),
                 dQuote(path, FALSE), bad,
                 if (basename(path) %in% course_files()) sprintf(", or read glmmlab's UTF-8 copy by name: read_course_csv(\"%s\")", basename(path)) else ""),
         call. = FALSE)
  }
  if (single_byte && is_utf8) {
    stop(sprintf("%s is UTF-8 text, not %s: reading it as %s would garble its accented letters. Read it with fileEncoding = \"UTF-8\"",
                 dQuote(path, FALSE), encoding, encoding), call. = FALSE)
  }
  invisible()
}
