/*
 * A clerk's Word file (.docx) read into the report's text form
 * (report/docx_read.c, in the xa_docx library), so that `report import`
 * places its paragraphs with the same rules as a text file (report.h).
 *
 * The .docx is a zip read with libzip: word/document.xml (with its styles
 * and numbering) at most 64 MB unpacked and at most 200 times its packed
 * size; parsed by libxml2 with the network off, no DTD loaded and no
 * entity expanded (a document that declares a DTD is refused).  A Word
 * 97-2003 .doc, an OpenDocument .odt, a password-protected .docx, a
 * damaged zip are refused with a message in Vietnamese and English saying
 * what the file is and how to save it as .docx.
 */
#ifndef XASYNC_DOCX_READ_H
#define XASYNC_DOCX_READ_H

#include "xasync/report.h"

#include <stddef.h>

/* Does a file start like a zip or an OLE compound file (.doc, an encrypted
 * .docx)?  Such a file goes to xa_docx_read(), not to the text importer. */
int xa_docx_magic(const void *data, size_t len);

/* The text form of a .docx, and where each of its lines came from
 * ("đoạn 12 / paragraph 12", "bảng 2, dòng 5 / table 2, row 5"). */
typedef struct xa_docx_text {
    char *text; /* UTF-8, lines separated by "\n" */
    size_t len;
    size_t nlines;
    char **where; /* nlines entries, each malloc'd */
    size_t nwarn;
    char **warn; /* what the text form cannot hold: "2 pictures … not imported" */
} xa_docx_text;

/* Read a .docx (data, len bytes) into its text form.  XA_EINVAL with a
 * message (Vietnamese and English) for a file that is not one, or that is
 * refused; XA_ENOMEM. */
int xa_docx_read(const void *data, size_t len, xa_docx_text *out);
void xa_docx_text_free(xa_docx_text *t);

/* xa_report_import_flags() of the text form, with "line N" in its
 * refusal and in res->warn told as the place in the Word file. */
int xa_report_import_docx(xa_store *st,
                          const char *scope,
                          const char *id,
                          const char *kind,
                          const char *period,
                          const xa_docx_text *doc,
                          const char *author,
                          unsigned flags,
                          xa_import_result *res);

#endif
