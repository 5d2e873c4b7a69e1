/*
 * `xasync report import FILE.docx` (report/docx_read.c), what it refuses
 * or only warns about, through the real `xasync` (which runs xasync-full).
 *
 * What must hold:
 *   3. Every bad input (empty, damaged zip, damaged part, malformed XML, a
 *      Word 97 .doc, an encrypted .docx, an .odt, a zip that is no Word
 *      document, zip bombs by size and by ratio, an external entity in
 *      document.xml and in styles.xml, a part in UTF-16): a message in English and
 *      Vietnamese, exit 1, the database unchanged; the entity's file is
 *      never read.
 *   4. A paragraph the importer cannot place is named by its place in the
 *      Word file ("đoạn 11 / paragraph 11"), refused, or kept with --force.
 *   5. Pictures, footnotes (what a report cannot hold) are said in a
 *      warning; a text box's paragraphs are read once; a signature table
 *      with a spacer column gives the recipients and the signature.
 *
 * The harness: tests/support/docxfx.h.
 */
#include "docxfx.h"
#include "report_int.h"

#include <cjson/cJSON.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#ifndef XA_DOCX_MAKE
#error "XA_DOCX_MAKE must name tests/report/docx_make.py"
#endif

/* ---- 3. bad input --------------------------------------------------------- */

typedef struct entry {
    const char *name;
    const char *data;
    size_t len;
} entry;

/* A zip of `n` entries, deflated. */
static void make_zip(const char *path, const entry *e, size_t n)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, e[i].data, e[i].len, 0);
        assert_non_null(s);
        assert_true(zip_file_add(z, e[i].name, s, ZIP_FL_ENC_UTF_8) >= 0);
    }
    if (zip_close(z) < 0)
        fail_msg("zip_close: %s", zip_strerror(z));
}

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
static const char CT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" "
    "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
static const char RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>";

/* A .docx whose document.xml is `doc`, with styles.xml `styles` if not
 * NULL. */
static void make_docx(const char *path, const char *doc, size_t len, const char *styles)
{
    entry e[] = {{"[Content_Types].xml", CT, strlen(CT)},
                 {"_rels/.rels", RELS, strlen(RELS)},
                 {"word/document.xml", doc, len},
                 {"word/styles.xml", styles, styles ? strlen(styles) : 0}};

    make_zip(path, e, styles ? 4 : 3);
}

/* A document.xml of paragraphs (NULL-terminated). */
static char *doc_of(const char *const *paras)
{
    xa_sb b = {0};

    xa_sb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"" W_NS
                   "\"><w:body>");
    for (; *paras; paras++)
        xa_sb_printf(&b, "<w:p><w:r><w:t xml:space=\"preserve\">%s</w:t></w:r></w:p>", *paras);
    xa_sb_puts(&b, "</w:body></w:document>");
    return b.p;
}

/* An OLE compound file (the container of a Word 97 .doc and of an
 * encrypted .docx) holding empty streams named `names`: a header, one FAT
 * sector, one directory sector. */
static void make_cfb(const char *path, const char *const *names)
{
    unsigned char f[512 * 3];

    memset(f, 0, sizeof(f));
    memcpy(f, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
#define PUT16(o, v) (f[o] = (unsigned char)(v), f[(o) + 1] = (unsigned char)((v) >> 8))
#define PUT32(o, v) (PUT16(o, (v)&0xFFFF), PUT16((o) + 2, ((uint32_t)(v)) >> 16))
    PUT16(24, 0x3E);
    PUT16(26, 3);
    PUT16(28, 0xFFFE);
    PUT16(30, 9);
    PUT16(32, 6);
    PUT32(44, 1);           /* FAT sectors */
    PUT32(48, 1);           /* the directory at sector 1 */
    PUT32(56, 4096);        /* mini stream cutoff */
    PUT32(60, 0xFFFFFFFEu); /* no mini FAT */
    PUT32(68, 0xFFFFFFFEu); /* no DIFAT sectors */
    PUT32(76, 0);           /* the FAT is sector 0 */
    for (int i = 1; i < 109; i++)
        PUT32(76 + 4 * i, 0xFFFFFFFFu);
    /* FAT: sector 0 is the FAT, sector 1 the directory's one sector */
    for (int i = 0; i < 128; i++)
        PUT32(512 + 4 * i, i == 0 ? 0xFFFFFFFDu : i == 1 ? 0xFFFFFFFEu : 0xFFFFFFFFu);
    /* directory: the root, then the streams, each the right sibling of the last */
    for (size_t e = 0; e < 4; e++) {
        size_t o = 1024 + 128 * e;
        const char *name = e == 0 ? "Root Entry" : names[e - 1];
        PUT32(o + 68, 0xFFFFFFFFu);
        PUT32(o + 72, 0xFFFFFFFFu);
        PUT32(o + 76, 0xFFFFFFFFu);
        if (name == NULL)
            continue;
        for (size_t c = 0; name[c]; c++)
            PUT16(o + 2 * c, (unsigned char)name[c]);
        PUT16(o + 64, 2 * (strlen(name) + 1));
        f[o + 66] = e == 0 ? 5 : 2; /* root storage, stream */
        f[o + 67] = 1;              /* black */
        if (e == 0)
            PUT32(o + 76, 1);
        else if (e < 3 && names[e])
            PUT32(o + 72, e + 1);
        PUT32(o + 116, 0xFFFFFFFEu); /* no sectors: empty */
    }
#undef PUT16
#undef PUT32
    xt_write_file(path, (const char *)f, sizeof(f));
}

/* Import `file` into the seed's database: exit 1, the message, nothing
 * written. */
static void expect_refused(xi_fx *f, const char *file, const char *en, const char *vi)
{
    uint64_t before = xt_db_digest(f->db);
    char *text = xi_export_fmt(f->db, "text"), *after;
    xt_run r = xi_run_db(
        f->db, (const char *const[]){"report", "import", file, "--id", "bao-cao-2", NULL});

    if (r.status != 1)
        fail_msg("%s: exit %d, not 1: %s", file, r.status, r.err);
    if (strstr(r.err, en) == NULL || strstr(r.err, vi) == NULL)
        fail_msg("%s: the message does not say \"%s\" / \"%s\": %s", file, en, vi, r.err);
    assert_int_equal(r.outlen, 0);
    assert_true(strncmp(r.err, "xasync: ", 8) == 0);
    assert_true(strchr(r.err, '\n') == r.err + r.errlen - 1); /* one line */
    xt_run_free(&r);
    assert_true(xt_db_digest(f->db) == before);
    after = xi_export_fmt(f->db, "text");
    assert_string_equal(text, after);
    r = xi_run_db(f->db, (const char *const[]){"report", "list", NULL});
    assert_string_equal(r.out, "report-2024-h1\n");
    xt_run_free(&r);
    free(text);
    free(after);
}

static void test_docx_import__bad_input(void **state)
{
    xi_fx *f = *state;
    char *seed = xt_path(f->dir, "seed.docx"), *p;
    unsigned char *data;
    size_t len = 0;

    xi_export_docx(f->db, seed);
    data = (unsigned char *)xt_read_file(seed, &len);
    assert_non_null(data);

    /* empty */
    p = xt_path(f->dir, "empty.docx");
    xt_write_file(p, "", 0);
    expect_refused(f, p, "the file is empty", "tệp rỗng");
    free(p);

    /* a damaged zip: the seed's .docx cut short */
    p = xt_path(f->dir, "cut.docx");
    xt_write_file(p, (const char *)data, len / 2);
    expect_refused(f, p, "zip is damaged", "bị hỏng");
    free(p);

    /* a damaged part: bytes of the packed document.xml changed (CRC or
     * inflate error) */
    {
        unsigned char *bad = malloc(len);
        size_t at = 0;
        memcpy(bad, data, len);
        for (size_t i = 0; i + 17 < len; i++)
            if (memcmp(bad + i, "word/document.xml", 17) == 0) {
                at = i + 17; /* the local header's name; the data follows */
                break;
            }
        assert_true(at > 0 && at + 400 < len);
        for (size_t i = at + 100; i < at + 300; i++)
            bad[i] ^= 0x5A;
        p = xt_path(f->dir, "crc.docx");
        xt_write_file(p, (const char *)bad, len);
        expect_refused(f, p, "damaged", "bị hỏng");
        free(p);
        free(bad);
    }

    /* malformed XML */
    {
        static const char broken[] = "<w:document xmlns:w=\"" W_NS "\"><w:body><w:p>";
        p = xt_path(f->dir, "broken.docx");
        make_docx(p, broken, strlen(broken), NULL);
        expect_refused(f, p, "not well-formed XML", "bị hỏng");
        free(p);
    }

    /* a Word 97 .doc, an encrypted .docx: OLE compound files */
    p = xt_path(f->dir, "old.doc");
    make_cfb(p, (const char *const[]){"WordDocument", "1Table", "\x05SummaryInformation"});
    expect_refused(f, p, "Word 97-2003 document (.doc)", "lưu lại dưới dạng .docx");
    free(p);
    p = xt_path(f->dir, "locked.docx");
    make_cfb(p, (const char *const[]){"EncryptionInfo", "EncryptedPackage",
                                      "\x06"
                                      "DataSpaces"});
    expect_refused(f, p, "protected by a password", "có đặt mật khẩu");
    free(p);

    /* an OpenDocument text */
    {
        static const char mt[] = "application/vnd.oasis.opendocument.text";
        static const char content[] = "<office:document-content "
                                      "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:"
                                      "office:1.0\"/>";
        entry e[] = {{"mimetype", mt, strlen(mt)}, {"content.xml", content, strlen(content)}};
        p = xt_path(f->dir, "bao-cao.odt");
        make_zip(p, e, 2);
        expect_refused(f, p, "OpenDocument text (.odt)", "lưu lại dưới dạng .docx");
        free(p);
    }

    /* a zip that holds no Word document */
    {
        entry e[] = {{"a.txt", "xin chào", strlen("xin chào")}};
        p = xt_path(f->dir, "other.docx");
        make_zip(p, e, 1);
        expect_refused(f, p, "not a Word document", "không phải văn bản Word");
        free(p);
    }

    /* zip bombs: past the size limit; past the ratio limit */
    {
        size_t big = 70u << 20, mid = 4u << 20;
        char *x = malloc(big + 200);
        int n = sprintf(x, "<w:document xmlns:w=\"" W_NS "\"><w:body>");
        memset(x + n, ' ', big);
        strcpy(x + n + big, "</w:body></w:document>");
        p = xt_path(f->dir, "bomb-size.docx");
        make_docx(p, x, strlen(x), NULL);
        expect_refused(f, p, "unpacks to more than 64 MB", "quá 64 MB");
        free(p);
        strcpy(x + n + mid, "</w:body></w:document>");
        p = xt_path(f->dir, "bomb-ratio.docx");
        make_docx(p, x, strlen(x), NULL);
        expect_refused(f, p, "more than 200 times its packed size", "lần cỡ nén");
        free(p);
        free(x);
    }

    /* an external entity, in document.xml and in styles.xml: refused, the
     * file it names never read */
    {
        char *secret = xt_path(f->dir, "secret.txt"), *doc, *sty;
        static const char *const paras[] = {"BÁO CÁO", "Tiêu đề", "&xxe;", NULL};
        xa_sb b = {0};
        xt_write_file(secret, "MAT-KHAU-BI-MAT-42", 18);
        doc = doc_of(paras);
        xa_sb_printf(&b,
                     "<?xml version=\"1.0\"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "
                     "\"file://%s\">]>%s",
                     secret, strstr(doc, "<w:document"));
        p = xt_path(f->dir, "xxe.docx");
        make_docx(p, b.p, b.n, NULL);
        expect_refused(f, p, "declares a DTD", "khai báo DTD");
        {
            xt_run r = xi_run_db(
                f->db, (const char *const[]){"report", "import", p, "--force", "--id", "x", NULL});
            assert_null(strstr(r.out, "MAT-KHAU"));
            assert_null(strstr(r.err, "MAT-KHAU"));
            xt_run_free(&r);
        }
        free(p);
        b.n = 0;
        sty = NULL;
        xa_sb_printf(&b,
                     "<?xml version=\"1.0\"?><!DOCTYPE w:styles [<!ENTITY xxe SYSTEM "
                     "\"file://%s\">]><w:styles xmlns:w=\"" W_NS "\"><w:style "
                     "w:styleId=\"a\"><w:name w:val=\"&xxe;\"/></w:style></w:styles>",
                     secret);
        sty = b.p;
        free(doc);
        doc = doc_of((const char *const[]){"BÁO CÁO", "Tiêu đề", "Đoạn.", NULL});
        p = xt_path(f->dir, "xxe-styles.docx");
        make_docx(p, doc, strlen(doc), sty);
        expect_refused(f, p, "word/styles.xml in the .docx declares a DTD", "khai báo DTD");
        free(p);
        free(sty);
        free(doc);
        free(secret);
    }

    /* a part in UTF-16, which could hide a DOCTYPE from a byte search */
    {
        static const char x8[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE d ["
                                 "<!ENTITY e SYSTEM \"file:///etc/hostname\">]><w:document "
                                 "xmlns:w=\"" W_NS "\"><w:body><w:p><w:r><w:t>&e;</w:t></w:r>"
                                 "</w:p></w:body></w:document>";
        size_t n = strlen(x8);
        char *x16 = malloc(2 * n + 2);
        x16[0] = (char)0xFF;
        x16[1] = (char)0xFE;
        for (size_t i = 0; i < n; i++) {
            x16[2 + 2 * i] = x8[i];
            x16[3 + 2 * i] = 0;
        }
        p = xt_path(f->dir, "utf16.docx");
        make_docx(p, x16, 2 * n + 2, NULL);
        expect_refused(f, p, "is not UTF-8 XML", "bị hỏng");
        free(p);
        free(x16);
    }

    /* a Word file on standard input: refused, told to name it */
    {
        uint64_t before = xt_db_digest(f->db);
        char cmd[9000];
        xt_run r;
        snprintf(cmd, sizeof(cmd), "XASYNC_DB='%s' '%s' report import - --id bao-cao-2 < '%s'",
                 f->db, XA_BIN, seed);
        r = xt_exec("/bin/sh", (const char *const[]){"-c", cmd, NULL}, NULL, NULL);
        assert_int_equal(r.status, 1);
        if (strstr(r.err, "a Word file is read by its name") == NULL ||
            strstr(r.err, "tệp Word phải được đưa bằng tên tệp") == NULL)
            fail_msg("stdin: %s", r.err);
        xt_run_free(&r);
        assert_true(xt_db_digest(f->db) == before);
    }

    /* the real things, when LibreOffice is here to make them */
    if (xi_soffice()) {
        p = xi_lo_convert(f, "word97", "doc:MS Word 97", "doc");
        expect_refused(f, p, "Word 97-2003 document (.doc)", "lưu lại dưới dạng .docx");
        free(p);
        p = xi_lo_convert(f, "writer", "odt", "odt");
        expect_refused(f, p, "OpenDocument text (.odt)", "lưu lại dưới dạng .docx");
        free(p);
    }
    free(data);
    free(seed);
}

/* ---- 4. a paragraph that cannot be placed --------------------------------- */

static void test_docx_import__unplaced_named_by_paragraph(void **state)
{
    xi_fx *f = *state;
    static const char *const paras[] = {"UBND XÃ HOÀNG KIM",
                                        "Số: 12/BC-UBND",
                                        "Hoàng Kim, ngày 3 tháng 7 năm 2024",
                                        "BÁO CÁO",
                                        "Kết quả công tác tháng 6 năm 2024",
                                        "Đoạn thứ nhất của báo cáo.",
                                        "Nơi nhận:",
                                        "- Lưu: VT.",
                                        "CHỦ TỊCH",
                                        "Nguyễn Văn An",
                                        "Ghi thêm sau chữ ký.",
                                        NULL};
    char *doc = doc_of(paras), *p = xt_path(f->dir, "after.docx"), *db = xi_new_db(f, "u.db");
    uint64_t before = xt_db_digest(db);
    xt_run r;
    cJSON *j;

    make_docx(p, doc, strlen(doc), NULL);
    r = xi_run_db(db, (const char *const[]){"report", "import", p, NULL});
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "đoạn 11 / paragraph 11: text after the signature") == NULL ||
        strstr(r.err, "Ghi thêm sau chữ ký.") == NULL || strstr(r.err, "--force") == NULL)
        fail_msg("the message does not name paragraph 11: %s", r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(db) == before);

    r = xi_run_db(db, (const char *const[]){"report", "import", p, "--force", NULL});
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "warning: đoạn 11 / paragraph 11: text after the signature") == NULL)
        fail_msg("the warning does not name paragraph 11: %s", r.err);
    xt_run_free(&r);
    j = xi_report_json(db);
    assert_string_equal(xi_header(j, "body"), "UBND XÃ HOÀNG KIM");
    assert_string_equal(xi_header(j, "number"), "12/BC-UBND");
    assert_string_equal(xi_header(j, "title"), "Kết quả công tác tháng 6 năm 2024");
    assert_string_equal(xi_header(j, "signer_name"), "Nguyễn Văn An");
    xi_block(j, "para", "text", "Ghi thêm sau chữ ký.");
    cJSON_Delete(j);
    free(doc);
    free(p);
    free(db);
}

/* ---- 5. what a Word file holds beyond paragraphs ------------------------- */

static const char SHAPES_DOC[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<w:document xmlns:w=\"" W_NS "\" "
    "xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" "
    "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "
    "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
    "xmlns:wps=\"http://schemas.microsoft.com/office/word/2010/wordprocessingShape\"><w:body>"
    "<w:p><w:r><w:t>UBND XÃ HOÀNG KIM</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Số: 7/BC-UBND</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Hoàng Kim, ngày 2 tháng 8 năm 2024</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>BÁO CÁO</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>Kết quả tháng 7</w:t></w:r></w:p>"
    /* centred too, right under the title, but a part and its title */
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>Phần thứ nhất</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:t>KẾT QUẢ</w:t></w:r></w:p>"
    /* a heading in bold but for its colon */
    "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>II. KẾT QUẢ THỰC HIỆN</w:t></w:r><w:r><w:t>:</w:t>"
    "</w:r></w:p>"
    /* a picture beside its caption, a footnote */
    "<w:p><w:r><w:t xml:space=\"preserve\">Ảnh hội nghị sơ kết. </w:t></w:r><w:r><w:drawing>"
    "<wp:inline><a:graphic><a:graphicData><a:blip/></a:graphicData></a:graphic></wp:inline>"
    "</w:drawing></w:r></w:p>"
    "<w:p><w:r><w:t>Thu ngân sách đạt kế hoạch.</w:t></w:r><w:r><w:footnoteReference "
    "w:id=\"1\"/></w:r></w:p>"
    /* a text box (Word 2010: the shape, and a VML copy for older readers) */
    "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor>"
    "<a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>Khung ghi chú: "
    "họp dân ngày 5/7.</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData>"
    "</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p>"
    "<w:r><w:t>Khung ghi chú: họp dân ngày 5/7.</w:t></w:r></w:p></w:txbxContent></w:pict>"
    "</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    /* recipients | a spacer column | the signature */
    "<w:tbl><w:tblGrid><w:gridCol w:w=\"4000\"/><w:gridCol w:w=\"1000\"/><w:gridCol "
    "w:w=\"4000\"/></w:tblGrid><w:tr>"
    "<w:tc><w:p><w:r><w:t>Nơi nhận:</w:t></w:r></w:p><w:p><w:r><w:t>- UBND huyện (B/c);</w:t>"
    "</w:r></w:p><w:p><w:r><w:t>- Lưu: VT.</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p/></w:tc>"
    "<w:tc><w:p><w:r><w:t>KT. CHỦ TỊCH</w:t></w:r></w:p><w:p><w:r><w:t>PHÓ CHỦ TỊCH</w:t></w:r>"
    "</w:p><w:p/><w:p><w:r><w:t>Trần Thị Hoa</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "<w:sectPr/></w:body></w:document>";

static void test_docx_import__pictures_notes_boxes_signature(void **state)
{
    xi_fx *f = *state;
    char *p = xt_path(f->dir, "shapes.docx"), *db = xi_new_db(f, "s.db"), *s;
    xt_run r;
    cJSON *j;

    make_docx(p, SHAPES_DOC, strlen(SHAPES_DOC), NULL);
    r = xi_run_db(db, (const char *const[]){"report", "import", p, NULL});
    if (r.status != 0)
        fail_msg("import: exit %d: %s", r.status, r.err);
    /* what the report cannot hold is said, not dropped unseen */
    assert_non_null(strstr(r.err, "warning: 1 picture, chart or shape of the Word file is not "
                                  "imported"));
    assert_non_null(strstr(r.err, "1 hình ảnh, biểu đồ, hình vẽ trong tệp Word không được nhập"));
    assert_non_null(strstr(r.err, "warning: 1 footnote of the Word file is not imported"));
    assert_null(strstr(r.err, "2 picture")); /* a text box is text, not a picture */
    xt_run_free(&r);
    j = xi_report_json(db);
    assert_string_equal(xi_header(j, "title"), "Kết quả tháng 7");
    xi_block(j, "part", "num", "Phần thứ nhất");
    xi_block(j, "part", "text", "KẾT QUẢ");
    assert_string_equal(xi_str_of(xi_block(j, "heading", "num", "II."), "text"),
                        "KẾT QUẢ THỰC HIỆN:");
    xi_block(j, "para", "text", "Ảnh hội nghị sơ kết.");
    xi_block(j, "para", "text", "Thu ngân sách đạt kế hoạch.");
    /* the text box's paragraph, once (not again from its VML copy) */
    assert_string_equal(xi_str_of(xi_block(j, "para", "text", "Khung ghi chú"), "text"),
                        "Khung ghi chú: họp dân ngày 5/7.");
    {
        size_t n = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(j, "blocks")) n +=
            strncmp(xi_str_of(b, "text"), "Khung ghi chú", 13) == 0;
        assert_int_equal(n, 1);
    }
    assert_string_equal(xi_header(j, "signer_role"), "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH");
    assert_string_equal(xi_header(j, "signer_name"), "Trần Thị Hoa");
    s = xi_lines_of(cJSON_GetObjectItemCaseSensitive(j, "header"), "recipients");
    assert_string_equal(s, "- UBND huyện (B/c);\n- Lưu: VT.");
    free(s);
    cJSON_Delete(j);
    free(p);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_docx_import__bad_input, xi_setup, xi_teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__unplaced_named_by_paragraph, xi_setup,
                                        xi_teardown),
        cmocka_unit_test_setup_teardown(test_docx_import__pictures_notes_boxes_signature, xi_setup,
                                        xi_teardown),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
