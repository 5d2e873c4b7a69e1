#!/usr/bin/python3
"""Word files xasync did not make, for tests/report/test_docx_import.c.

    docx_make.py python-docx OUT.docx
        a commune report built with python-docx (Debian's python3-docx): the
        two-column header as a table, the title on two centred lines,
        headings numbered by Word (List Number) and typed, bold runs,
        bullets (List Bullet), the indicator table with its header cells
        merged across (gridSpan) and down (vMerge) and marked to repeat on
        every page (w:tblHeader), then "Nơi nhận" and the signature side by
        side in a two-column table.

Exits 77 when python3-docx is not installed (the test is then skipped).
"""
import sys

try:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
except ImportError:
    print("python3-docx is not installed", file=sys.stderr)
    sys.exit(77)

CENTER = WD_ALIGN_PARAGRAPH.CENTER


def text(cell, s, bold=False, italic=False, first=True, center=False):
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    r = p.add_run(s)
    r.bold = bold
    r.italic = italic
    if center:
        p.alignment = CENTER
    return p


def repeat_header(row):
    trpr = row._tr.get_or_add_trPr()
    h = OxmlElement("w:tblHeader")
    trpr.append(h)


def python_docx(out):
    d = docx.Document()

    # the header: issuing body | nation and motto; number | place and date
    t = d.add_table(rows=2, cols=2)
    text(t.cell(0, 0), "UBND HUYỆN HOẰNG HÓA", center=True)
    text(t.cell(0, 0), "UBND XÃ HOẰNG PHONG", bold=True, first=False, center=True)
    text(t.cell(0, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, center=True)
    text(t.cell(0, 1), "Độc lập - Tự do - Hạnh phúc", bold=True, first=False, center=True)
    text(t.cell(1, 0), "Số: 88/BC-UBND", center=True)
    text(t.cell(1, 1), "Hoằng Phong, ngày 20 tháng 6 năm 2024", italic=True, center=True)

    p = d.add_paragraph()
    p.alignment = CENTER
    p.add_run("BÁO CÁO").bold = True
    for line in ("Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm,",
                 "triển khai nhiệm vụ 6 tháng cuối năm 2024"):
        p = d.add_paragraph()
        p.alignment = CENTER
        p.add_run(line).bold = True

    d.add_paragraph("Thực hiện hướng dẫn của UBND huyện Hoằng Hóa, UBND xã Hoằng Phong"
                    " báo cáo như sau:")
    p = d.add_paragraph()
    p.add_run("I. ĐẶC ĐIỂM TÌNH HÌNH").bold = True
    p = d.add_paragraph()
    p.add_run("Dân số:").bold = True
    p.add_run(" 2.140 hộ, 8.012 người; diện tích tự nhiên 512,4 ha.")
    d.add_paragraph("Kết quả thực hiện các chỉ tiêu", style="List Number")
    d.add_paragraph("Tổ chức thực hiện các phong trào thi đua", style="List Number")
    d.add_paragraph("Thôn Phú Xuân hoàn thành sớm kế hoạch giao thông nông thôn.",
                    style="List Bullet")
    d.add_paragraph("Thôn Đông Khê về đích nông thôn mới kiểu mẫu.", style="List Bullet")
    d.add_paragraph("2.1. Kết quả các chỉ tiêu kinh tế - xã hội")

    # the indicator table: 3 header rows merged, the column numbers, rows
    head = ["TT", "Chỉ tiêu", "Đơn vị tính", "KQ 6 tháng năm 2023", "KH năm 2024",
            None, None, None, "Còn phải thực hiện", "Ghi chú"]
    rows = [
        ["I", "Về kinh tế", "", "", "", "", "", "", "", ""],
        ["1", "Tổng sản lượng lương thực", "tấn", "600", "1.400", "650", "108,3", "46,4",
         "750", ""],
        ["2", "Thu ngân sách", "Trđ", "4.100", "9.000", "5.200", "126,8", "57,8", "3.800",
         "Vượt cùng kỳ"],
    ]
    t = d.add_table(rows=4 + len(rows), cols=10)
    t.style = "Table Grid"
    for c, h in enumerate(head):
        if h is not None:
            a = t.cell(0, c).merge(t.cell(2, c))
            a.text = h
    top = t.cell(0, 5).merge(t.cell(0, 7))
    top.text = "Kết quả thực hiện"
    mid = t.cell(1, 5).merge(t.cell(1, 7))
    mid.text = "6 tháng đầu năm"
    for c, h in zip((5, 6, 7), ("Ước thực hiện", "So với cùng kỳ (%)", "So với kế hoạch (%)")):
        t.cell(2, c).text = h
    for c, h in enumerate(["A", "B", "C", "1", "2", "3", "4=3/1", "5=3/2", "6=2-3", "7"]):
        t.cell(3, c).text = h
    for r in range(4):
        repeat_header(t.rows[r])
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            t.cell(4 + r, c).text = v

    d.add_paragraph("Trên đây là báo cáo sơ kết 6 tháng đầu năm 2024 của UBND xã"
                    " Hoằng Phong./.")

    # "Nơi nhận" beside the signature
    t = d.add_table(rows=1, cols=2)
    text(t.cell(0, 0), "Nơi nhận:", bold=True, italic=True)
    text(t.cell(0, 0), "- UBND huyện Hoằng Hóa (B/c);", first=False)
    text(t.cell(0, 0), "- Lưu: VT.", first=False)
    text(t.cell(0, 1), "TM. ỦY BAN NHÂN DÂN", bold=True, center=True)
    text(t.cell(0, 1), "CHỦ TỊCH", bold=True, first=False, center=True)
    text(t.cell(0, 1), "", first=False)
    text(t.cell(0, 1), "", first=False)
    text(t.cell(0, 1), "Lê Văn Tám", bold=True, first=False, center=True)
    d.save(out)


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "python-docx":
        print(__doc__, file=sys.stderr)
        return 2
    python_docx(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
