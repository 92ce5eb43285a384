"""Word documents that read like an office's own: A4, 宋体 for the East Asian text, a
centred title, numbered lists and grid tables. Every report builder writes through this;
text a .docx cannot hold (control characters from rows saved before fields refused them)
is dropped here, so a report never fails on it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from portal.records.fields import printable


class WordDoc:
    """A python-docx document set up for Chinese: A4, 宋体 for the East Asian text."""

    def __init__(self, lang: str, title: str) -> None:
        from docx import Document
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt

        self.lang, self.Pt, self.align = lang, Pt, WD_ALIGN_PARAGRAPH
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.6))
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.5)
        latin = "Times New Roman" if lang == "en" else "SimSun"
        for name, size in (("Normal", 12), ("Heading 1", 14), ("Heading 2", 12), ("Title", 16)):
            self._font(self.doc.styles[name], latin, size)
        title = printable(title, lines=False)
        self.doc.core_properties.title = title
        self.doc.core_properties.language = lang
        heading = self.doc.add_paragraph(style="Title")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        heading.add_run(title).bold = True

    def _font(self, style: Any, latin: str, size: int) -> None:
        from docx.oxml.ns import qn
        from docx.shared import RGBColor

        style.font.name = latin
        style.font.size = self.Pt(size)
        fonts = style.element.rPr.rFonts
        fonts.set(qn("w:eastAsia"), "宋体")
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)  # a theme font would win over the names set here
        if style.name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.bold = True
        if style.name == "Title":  # the template's title has a rule under it and tight spacing
            ppr = style.element.pPr
            if ppr is not None:
                for border in ppr.findall(qn("w:pBdr")):
                    ppr.remove(border)

    def heading(self, text: str) -> None:
        self.doc.add_paragraph(printable(text, lines=False), style="Heading 1")

    def para(self, text: str, *, bold: bool = False, center: bool = False, indent: bool = True) -> None:
        text = printable(text or "")
        if not text:
            return
        for line in text.splitlines() or [text]:
            if not line.strip():
                continue
            p = self.doc.add_paragraph()
            if center:
                p.alignment = self.align.CENTER
            elif indent and self.lang != "en":
                p.paragraph_format.first_line_indent = self.Pt(24)  # two characters
            p.add_run(line.strip()).bold = bold

    def numbered(self, lines: Sequence[str], empty: str) -> None:
        if not lines:
            self.para(empty)
        for n, line in enumerate(lines, 1):
            self.para(f"{n}. {line}")

    def right(self, text: str) -> None:
        p = self.doc.add_paragraph(printable(text))
        p.alignment = self.align.RIGHT

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> None:
        from docx.shared import Cm

        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.autofit = False
        for cell, text in zip(table.rows[0].cells, headers):
            cell.text = ""
            run = cell.paragraphs[0].add_run(printable(text))
            run.bold = True
            cell.paragraphs[0].alignment = self.align.CENTER
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values):
                cell.text = "" if value is None else printable(str(value))
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)  # the grid: what LibreOffice and WPS lay out by
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = self.Pt(10.5)
        self.doc.add_paragraph()

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
