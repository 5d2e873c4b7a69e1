#!/usr/bin/python3
"""The seed report's .docx and print view, read by real readers.

Run by ctest (test_docx_readers) with XA_BIN (xasync), XA_SEED_REPORT,
XA_SOFFICE, XA_CHROMIUM and XA_SHOTS (the build folder's screenshots/).

1. `xasync report export --format docx -o seed.docx`, then python-docx
   (Debian's python3-docx) reads it: A4, the decree's margins, Times New
   Roman 14 pt, the two-column header, BÁO CÁO, the indicator table's merged
   header cells and its repeated header rows (w:tblHeader), the page number
   from page 2, "Nơi nhận:" bold italic 12 pt with 11 pt items beside the
   signer, "TM. ỦY BAN NHÂN DÂN" over "CHỦ TỊCH" once the role says so.
2. LibreOffice (headless, its own profile) converts it to PDF, once:
   pdftotext finds every heading and every table cell of the seed, the page
   count is in range, page numbers are at the top from page 2, pdffonts
   shows a serif font for everything (no sans-serif substitution), and
   pdftoppm draws page 1 and the table's last page (its header repeated)
   into XA_SHOTS (docx-page1.png, docx-table.png).
3. The print view: chromium prints `export --format html` to PDF: every
   letter of the Vietnamese alphabet in Liberation Serif (or Times New
   Roman), no sans-serif font anywhere, page numbers at the top from page
   2, the table's header on every page it spans.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

import docx
from docx.shared import Mm, Pt

XA = os.environ["XA_BIN"]
SEED = os.environ["XA_SEED_REPORT"]
SOFFICE = os.environ.get("XA_SOFFICE", "soffice")
CHROMIUM = os.environ.get("XA_CHROMIUM", "chromium")
SHOTS = os.environ.get("XA_SHOTS", "")

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, flush=True)
    return cond


def run(args, env=None, **kw):
    r = subprocess.run(args, capture_output=True, env=env, timeout=240, **kw)
    if r.returncode != 0:
        sys.exit("%s: exit %d\n%s" % (" ".join(args), r.returncode,
                                      r.stderr.decode(errors="replace")))
    return r.stdout


def squash(s):
    """Text with every space, no-break and zero-width space removed, NFC."""
    s = unicodedata.normalize("NFC", s)
    return re.sub(r"[\s\u00a0\u200b]+", "", s)


def plain(s):
    """A field as printed: the conversion leftovers read."""
    s = re.sub(r"\*\*(.+?)\*\*", r"\1", s)
    s = re.sub(r"(?<![\w*])\*(\S.*?\S|\S)\*(?!\w)", r"\1", s)
    s = re.sub(r"\$([^$\s][^$]*?)\$", r"\1", s)
    s = s.replace("\\%", "%")
    s = re.sub(r"<(https?://[^>\s]+)>", r"\1", s)
    return s


def seed_model(env):
    import json
    return json.loads(run([XA, "report", "export", "--format", "json"], env=env))


def eff_size(run_, para, doc):
    if run_.font.size is not None:
        return run_.font.size
    st = para.style
    while st is not None:
        if st.font.size is not None:
            return st.font.size
        st = st.base_style
    return doc.styles["Normal"].font.size


def check_python_docx(path, model):
    d = docx.Document(path)
    s = d.sections[0]
    check(len(d.sections) == 1, "one section")
    check(abs(s.page_width - Mm(210)) < Mm(0.5) and abs(s.page_height - Mm(297)) < Mm(0.5),
          "A4: %s x %s" % (s.page_width, s.page_height))
    check(Mm(20) <= s.top_margin <= Mm(25), "top margin 20-25 mm: %.1f" % s.top_margin.mm)
    check(Mm(20) <= s.bottom_margin <= Mm(25), "bottom margin 20-25 mm")
    check(Mm(30) <= s.left_margin <= Mm(35), "left margin 30-35 mm")
    check(Mm(15) <= s.right_margin <= Mm(20), "right margin 15-20 mm")
    normal = d.styles["Normal"].font
    check(normal.name == "Times New Roman", "Normal font Times New Roman: %s" % normal.name)
    check(Pt(13) <= normal.size <= Pt(14), "Normal size 13-14 pt: %s" % normal.size)
    # page numbers: none on page 1, a PAGE field centred in the others
    check(s.different_first_page_header_footer, "a first page of its own (titlePg)")
    hx = s.header._element.xml
    check("PAGE" in hx and "fldChar" in hx, "a PAGE field in the header")
    check(s.header.paragraphs[0].alignment == 1, "page number centred")
    check("PAGE" not in s.first_page_header._element.xml, "no number on page 1")

    tables = d.tables
    check(len(tables) == 3, "three tables (header, indicators, signature): %d" % len(tables))
    hd, ind, sig = tables[0], tables[1], tables[2]
    # the header
    left = hd.cell(0, 0).text
    right = hd.cell(0, 1).text
    check("UBND XÃ HOÀNG KIM" in left, "issuing body on the left: %r" % left)
    check("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right,
          "nation and motto on the right")
    for p in hd.cell(0, 1).paragraphs:
        if p.text.startswith("Độc lập"):
            check(all(r.bold for r in p.runs), "motto bold")
    check(hd.cell(1, 0).text.startswith("Số:") and "/BC-UBND" in hd.cell(1, 0).text, "Số: …")
    when = hd.cell(1, 1).paragraphs[0]
    check("Hoàng Kim" in when.text and "năm 2024" in when.text, "place and date")
    check(all(r.italic for r in when.runs if r.text.strip()), "place and date in italics")
    # BÁO CÁO and the title, bold and centred
    paras = d.paragraphs
    bc = [p for p in paras if p.text == "BÁO CÁO"]
    check(len(bc) == 1 and bc[0].alignment == 1 and all(r.bold for r in bc[0].runs),
          "BÁO CÁO bold, centred")
    title = [p for p in paras if p.text == model["header"]["title"]]
    check(len(title) == 1 and title[0].alignment == 1 and all(r.bold for r in title[0].runs),
          "title bold, centred")
    # body paragraphs justified, indented 1 cm, 14 pt
    body = [p for p in paras if p.text.startswith("Xã Hoàng Kim thuộc vùng")]
    check(len(body) == 1, "the paragraph on the commune")
    if body:
        p = body[0]
        check(p.alignment == 3, "justified")
        check(abs(p.paragraph_format.first_line_indent - Mm(10)) < Mm(0.5), "first line 1 cm")
        check(all(eff_size(r, p, d) == Pt(14) for r in p.runs), "body 14 pt")
        check("3.222/3.353 = 96,1%" in p.text and "$" not in p.text and "\\%" not in p.text,
              "the formula as written by hand")
    b = [p for p in paras if "Địa điểm trụ sở chính:" in p.text]
    check(len(b) == 1 and "**" not in b[0].text and
          any(r.bold and r.text == "Địa điểm trụ sở chính:" for r in b[0].runs),
          "**bold** is bold")
    # the indicator table
    tbl = ind._tbl
    rows = tbl.tr_lst
    header_rows = [tr for tr in rows if tr.trPr is not None and
                   tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None]
    check(len(header_rows) == 4, "4 header rows marked tblHeader: %d" % len(header_rows))
    check(rows.index(header_rows[-1]) == 3, "the header rows come first")
    check(len(rows) == 4 + 29, "29 indicator rows")
    c = ind.cell(0, 5)
    check(c.text == "Kết quả thực hiện" and c._tc.grid_span == 3,
          "Kết quả thực hiện over 3 columns")
    check(ind.cell(0, 5) is not None and ind.cell(0, 6).text == "Kết quả thực hiện",
          "merged cells read as one")
    check(ind.cell(1, 5).text == "6 tháng đầu năm" and ind.cell(1, 5)._tc.grid_span == 3,
          "6 tháng đầu năm under it")
    check(ind.cell(0, 0).text == "TT" and ind.cell(2, 0).text == "TT", "TT over three rows")
    check(ind.cell(2, 8).text == "Còn phải thực hiện", "Còn phải thực hiện over three rows")
    widths = [gc.w for gc in tbl.tblGrid.gridCol_lst]
    check(len(widths) == 10 and widths[1] == max(widths), "Chỉ tiêu widest: %s" % widths)
    check(sum(widths) <= Mm(165) + Mm(1), "the table fits the text width")
    r4 = [i for i in range(4, len(rows)) if ind.cell(i, 1).text.startswith("Tổng sản lượng lương")]
    check(len(r4) == 1, "row 4")
    if r4:
        i = r4[0]
        check(ind.cell(i, 0).paragraphs[0].alignment == 1, "TT centred")
        for k in (3, 4, 5, 6, 7, 8):
            check(ind.cell(i, k).paragraphs[0].alignment == 2, "figure %d right-aligned" % k)
        check([ind.cell(i, k).text for k in range(10)] ==
              ["4", "Tổng sản lượng lương thực có hạt", "tấn", "573", "1.460", "636,4", "111,1",
               "43,6", "824", ""], "row 4 figures")
    # the closing block
    recv = sig.cell(0, 0).paragraphs
    check(recv[0].text == "Nơi nhận:" and all(r.bold and r.italic for r in recv[0].runs)
          and all(eff_size(r, recv[0], d) == Pt(12) for r in recv[0].runs),
          "Nơi nhận: bold italic 12 pt")
    items = recv[1:]
    check(len(items) == 7 and all(eff_size(r, p, d) == Pt(11) for p in items for r in p.runs),
          "7 recipients at 11 pt")
    signer = [p for p in sig.cell(0, 1).paragraphs if p.text.strip()]
    return signer


def check_signer(signer, lines):
    check([p.text for p in signer] == lines, "signature %s: %s" % (lines, [p.text for p in signer]))
    check(all(r.bold for p in signer for r in p.runs), "signature bold")
    check(all(p.alignment == 1 for p in signer), "signature centred")


def pdf_text(pdf, first=None, last=None, layout=False):
    args = ["pdftotext"] + (["-layout"] if layout else [])
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return run(args + [pdf, "-"]).decode()


def pages(pdf):
    info = run(["pdfinfo", pdf]).decode()
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def fonts(pdf):
    out = run(["pdffonts", pdf]).decode().splitlines()[2:]
    return [line.split()[0] for line in out if line.strip()]


def check_fonts(pdf, what):
    fs = fonts(pdf)
    check(fs, "%s: fonts listed" % what)
    for f in fs:
        name = f.split("+")[-1]
        check(("Serif" in name or "Times" in name) and "Sans" not in name,
              "%s: serif font only, found %s" % (what, f))


def words(s):
    """The words of a text; a formula splits after its "=" (it may break there)."""
    s = unicodedata.normalize("NFC", s).replace("\u200b", " ").replace("=", "= ")
    return set(s.split())


def check_pdf_text(pdf, model, what):
    n = pages(pdf)
    texts = [pdf_text(pdf, p, p) for p in range(1, n + 1)]
    # page numbers: none on page 1, then 2, 3, … at the top
    first_lines = [pdf_text(pdf, p, p, layout=True).strip().splitlines()[0].strip()
                   for p in range(1, n + 1)]
    check(first_lines[0] != "1", "%s: no number on page 1" % what)
    check(all(first_lines[p - 1] == str(p) for p in range(2, n + 1)),
          "%s: page numbers at the top from page 2: %s" % (what, first_lines))
    # the running text without the page numbers
    body = []
    for p, t in enumerate(texts, 1):
        lines = t.strip().splitlines()
        if p > 1 and lines and lines[0].strip() == str(p):
            lines = lines[1:]
        body.append("\n".join(lines))
    text = squash("\n".join(body))
    # table cells: side by side, their lines interleave in the text; every
    # word of every cell must be there
    ws = words("\n".join(texts))
    missing = []
    for b in model["blocks"]:
        if b.get("deleted"):
            continue
        if b["kind"] in ("heading", "part"):
            for s in (b.get("num", ""), b.get("text", "")):
                if s and squash(plain(s)) not in text:
                    missing.append(s)
        cells = []
        if b["kind"] == "row":
            cells = [b.get(k, "") for k in ("tt", "name", "unit", "prev", "plan", "est",
                                             "vs_prev", "vs_plan", "remain", "note")]
        if b["kind"] == "table":
            cells = [c for line in b["head"] for c in line.split("\t")]
        for c in cells:
            if c and not words(plain(c)) <= ws:
                missing.append("cell: %s (%s)" % (c, sorted(words(plain(c)) - ws)))
    check(not missing, "%s: every heading and table cell in the PDF; missing %s" % (what, missing))
    return n


def table_pages(pdf, n):
    return [p for p in range(1, n + 1) if "Cònphảithựchiện" in squash(pdf_text(pdf, p, p))]


def main():
    work = tempfile.mkdtemp(prefix="xa-docx-")
    try:
        env = dict(os.environ, XASYNC_DB=os.path.join(work, "a.db"), XASYNC_AUTHOR="Lê Thị Lan",
                   HOME=work)
        run([XA, "init", "--scope", "hoang-kim"], env=env)
        run([XA, "report", "import", SEED], env=env)
        model = seed_model(env)
        seed = os.path.join(work, "bao-cao.docx")
        run([XA, "report", "export", "--format", "docx", "-o", seed], env=env)

        # 1. python-docx
        signer = check_python_docx(seed, model)
        check_signer(signer, ["CHỦ TỊCH", "Lê Quang Thành"])
        role = os.path.join(work, "role.docx")
        env2 = dict(env, XASYNC_DB=os.path.join(work, "b.db"))
        run([XA, "init", "--scope", "hoang-kim"], env=env2)
        run([XA, "report", "import", SEED], env=env2)
        run([XA, "report", "edit", "header/signer_role", "TM. Ủy ban nhân dân\nChủ tịch"], env=env2)
        run([XA, "report", "export", "--format", "docx", "-o", role], env=env2)
        d = docx.Document(role)
        check_signer([p for p in d.tables[2].cell(0, 1).paragraphs if p.text.strip()],
                     ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Quang Thành"])

        # 2. LibreOffice, once
        profile = "file://" + os.path.join(work, "lo-profile")
        run([SOFFICE, "-env:UserInstallation=" + profile, "--headless", "--convert-to", "pdf",
             "--outdir", work, seed], env=env)
        pdf = os.path.join(work, "bao-cao.pdf")
        n = check_pdf_text(pdf, model, "docx")
        check(9 <= n <= 14, "docx: 9 to 14 pages: %d" % n)
        check_fonts(pdf, "docx")
        tp = table_pages(pdf, n)
        check(len(tp) == 2, "docx: the table on two pages, its header on both: %s" % tp)
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf,
                 os.path.join(SHOTS, "docx-page1")])
            if tp:  # the table's last page: its header repeated at the top
                run(["pdftoppm", "-png", "-r", "80", "-f", str(tp[-1]), "-l", str(tp[-1]),
                     "-singlefile", pdf, os.path.join(SHOTS, "docx-table")])
        print("docx: %d pages, table on pages %s, fonts %s" % (n, tp, fonts(pdf)), flush=True)

        # 3. the print view in chromium
        letters = ("a à ả ã á ạ ă ằ ẳ ẵ ắ ặ â ầ ẩ ẫ ấ ậ b c d đ e è ẻ ẽ é ẹ ê ề ể ễ ế ệ g h i ì ỉ "
                   "ĩ í ị k l m n o ò ỏ õ ó ọ ô ồ ổ ỗ ố ộ ơ ờ ở ỡ ớ ợ p q r s t u ù ủ ũ ú ụ ư ừ ử "
                   "ữ ứ ự v x y ỳ ỷ ỹ ý ỵ")
        run([XA, "report", "add", "para", letters + " " + letters.upper()], env=env)
        html = os.path.join(work, "bao-cao.html")
        run([XA, "report", "export", "--format", "html", "-o", html], env=env)
        hpdf = os.path.join(work, "print.pdf")
        run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             "--user-data-dir=" + os.path.join(work, "chromium"),
             "--print-to-pdf=" + hpdf, "file://" + html], env=env)
        n = check_pdf_text(hpdf, model, "print view")
        check(9 <= n <= 15, "print view: 9 to 15 pages: %d" % n)
        check_fonts(hpdf, "print view")
        check(squash(letters + letters.upper()) in squash(pdf_text(hpdf)),
              "print view: every Vietnamese letter printed")
        tp = table_pages(hpdf, n)
        check(len(tp) >= 2, "print view: the table's header on each of its pages: %s" % tp)
        print("print view: %d pages, table on pages %s, fonts %s" % (n, tp, fonts(hpdf)),
              flush=True)
    finally:
        if not os.environ.get("XA_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)
    if FAILS:
        sys.exit("%d checks failed" % len(FAILS))
    print("all checks passed")


if __name__ == "__main__":
    main()
