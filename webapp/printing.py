"""The one PDF renderer and the one workbook builder. Both take plain data (no live ORM
objects) so that what is printed is exactly what the caller computed and checked."""
import io
import os
from dataclasses import dataclass, field

from flask import current_app, render_template

# Text that a spreadsheet would take for a formula (OWASP "CSV/formula injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

_font_config = None


def _fonts():
    # One FontConfiguration reused across renders: fontconfig setup is the costly part.
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def render_pdf(template, **context):
    """Render templates/<template> (an HTML print view) to PDF bytes.

    Only local files (static/) and data: URLs can be fetched: the intranet has no outside hosts.
    """
    from weasyprint import CSS, HTML, URLFetcher

    html = render_template(template, **context)
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, timeout=2)
    base = "file://" + os.path.abspath(current_app.static_folder) + "/"
    doc = HTML(string=html, base_url=base, url_fetcher=fetcher)
    css = CSS(filename=os.path.join(current_app.static_folder, "css", "print.css"), url_fetcher=fetcher, font_config=_fonts())
    return doc.write_pdf(stylesheets=[css], font_config=_fonts())


@dataclass
class HeaderCell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    vertical: bool = False


@dataclass
class Sheet:
    """A printable sheet: title lines merged across, a (possibly multi-row, merged) header,
    data rows (numbers stay numbers), footer lines, print set-up."""

    title: str
    header: list  # list of rows, each a list of HeaderCell placed left to right, skipping covered cells
    rows: list
    headings: list = field(default_factory=list)
    footer: list = field(default_factory=list)
    widths: list = field(default_factory=list)
    landscape: bool = True
    paper: str = "A4"  # A4 or A3
    bold_rows: set = field(default_factory=set)  # indexes of rows to embolden (合计)


def _put(ws, row, col, value):
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        cell.data_type = "s"  # keep it text: openpyxl would otherwise store "=…" as a formula
    return cell


def build_workbook(sheets):
    """Return .xlsx bytes for a list of Sheet specs."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for spec in sheets:
        ws = wb.create_sheet(title=spec.title[:31])
        ncols = max((sum(c.colspan for c in r) for r in spec.header[:1]), default=0) or max((len(r) for r in spec.rows), default=1)
        r = 1
        for line in spec.headings:
            _put(ws, r, 1, line).font = Font(bold=r == 1, size=14 if r == 1 else 11)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
            ws.cell(row=r, column=1).alignment = Alignment(horizontal="center" if r == 1 else "left")
            r += 1
        header_top = r
        occupied = set()
        for i, hrow in enumerate(spec.header):
            col = 1
            for cell in hrow:
                while (header_top + i, col) in occupied:
                    col += 1
                c = _put(ws, header_top + i, col, cell.text)
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True, text_rotation=255 if cell.vertical else 0)
                c.font = Font(bold=True)
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        occupied.add((header_top + i + dr, col + dc))
                        ws.cell(row=header_top + i + dr, column=col + dc).border = border
                if cell.colspan > 1 or cell.rowspan > 1:
                    ws.merge_cells(start_row=header_top + i, start_column=col, end_row=header_top + i + cell.rowspan - 1, end_column=col + cell.colspan - 1)
                col += cell.colspan
        r = header_top + len(spec.header)
        for idx, values in enumerate(spec.rows):
            for col, value in enumerate(values, start=1):
                c = _put(ws, r, col, value)
                c.border = border
                c.alignment = centre if not isinstance(value, str) or col > 1 else Alignment(vertical="center", wrap_text=True)
                if idx in spec.bold_rows:
                    c.font = Font(bold=True)
            r += 1
        for line in spec.footer:
            r += 1
            _put(ws, r, 1, line)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        for col, width in enumerate(spec.widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.page_setup.orientation = "landscape" if spec.landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A3 if spec.paper == "A3" else ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        if spec.header:
            ws.print_title_rows = f"{header_top}:{header_top + len(spec.header) - 1}"
            ws.freeze_panes = ws.cell(row=header_top + len(spec.header), column=2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
