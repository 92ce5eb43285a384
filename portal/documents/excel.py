"""Workbooks for reports: one sheet per table, a bold header row, set column widths,
percentages as fractions shown with the portal's one percentage format, and every text
cell neutralised so a spreadsheet never runs it as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from portal.formatting import PERCENT_FORMAT
from portal.records.fields import printable


class Book:
    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook()
        self.first = True

    def sheet(
        self,
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[float],
        percent_columns: Sequence[int] = (),
    ) -> Any:
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        from portal.records.io import neutralise

        ws = self.wb.worksheets[0] if self.first else self.wb.create_sheet()  # a new book has one sheet
        self.first = False
        ws.title = printable(title, lines=False)
        ws.append([printable(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center")
        for values in rows:
            ws.append([neutralise(printable(v)) if isinstance(v, str) else v for v in values])
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for column in percent_columns:
            for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = PERCENT_FORMAT
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.freeze_panes = "A2"
        return ws

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()
