"""Writing an evidence pack (证据包): the ZIP, its manifest, the Excel sheet, and the stamp
(exporter, time, watermark) on every page of the PDF. Plain Python: models/wecom_evidence.py
reads the messages as the user and renders the PDF with Odoo's report engine; the check of a
pack is lib/evidence_verify.py (standard library only).

Layout of a pack::

    manifest.json     what the pack is: exporter, time, watermark, scope, time zone, every
                      file with its SHA-256 and size, every message with its msgid, seq,
                      msgtime and the SHA-256 of its decrypted JSON as stored
    messages.pdf      the thread as the viewer shows it, stamped on every page
    messages.xlsx     one row per message
    messages.jsonl    each message's canonical JSON (lib/integrity.py), one a line, in the
                      manifest's order: its SHA-256 is the stored hash
    media/…           the original media files

The pack's own SHA-256 is recorded by the archive when it is built.
"""

import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile
from zoneinfo import ZoneInfo

from . import integrity
from .evidence_verify import FORMAT, MANIFEST, MESSAGES, file_sha256

__all__ = ["FORMAT", "MANIFEST", "MESSAGES", "PackWriter", "file_sha256"]

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
# media formats stored as they are (already compressed)
_STORED = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4", ".amr", ".mp3", ".silk", ".zip"}


def message_line(body_text):
    """The line of a message in messages.jsonl: the canonical JSON of its stored body
    (bytes, no newline), or ``null`` when it has none."""
    if body_text is None:
        return b"null"
    return integrity.canonical_json(body_text)


def safe_name(name, default="file"):
    """A file name fit for a ZIP entry: no path, no control or reserved characters."""
    name = _UNSAFE_NAME.sub("_", (name or "").strip()).strip(". ")
    return name[:120] or default


def local_time(value, tz):
    """'YYYY-MM-DD HH:MM:SS +08:00' of a UTC datetime (naive or aware), an ISO text, or an
    epoch (seconds or ms), in ``tz``."""
    if value in (None, False, ""):
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    elif isinstance(value, int | float):
        seconds = value / 1000 if value > 100_000_000_000 else value
        value = dt.datetime.fromtimestamp(seconds, dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(ZoneInfo(tz or "UTC"))
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S ") + f"{offset[:3]}:{offset[3:]}"


class PackWriter:
    """A pack being written to ``path``: files added one by one, hashed as they go in;
    :meth:`close` writes the manifest last and returns the ZIP's SHA-256."""

    def __init__(self, path):
        self.path = path
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.files = []
        self._names = set()

    def unique(self, path):
        """``path``, or ``stem (n).ext`` when it is taken already."""
        stem, ext = os.path.splitext(path)
        candidate, n = path, 1
        while candidate in self._names or candidate == MANIFEST:
            n += 1
            candidate = f"{stem} ({n}){ext}"
        self._names.add(candidate)
        return candidate

    def _compression(self, path):
        ext = os.path.splitext(path)[1].lower()
        return zipfile.ZIP_STORED if ext in _STORED or ext == ".pdf" else zipfile.ZIP_DEFLATED

    def add_bytes(self, path, data, *, kind=""):
        path = self.unique(path)
        self._zip.writestr(path, data, compress_type=self._compression(path))
        self._listed(path, hashlib.sha256(data).hexdigest(), len(data), kind)
        return path

    def add_file(self, path, source, *, kind=""):
        """Add the file at ``source`` (a filestore path), streamed."""
        path = self.unique(path)
        digest, size = hashlib.sha256(), 0
        info = zipfile.ZipInfo(path, date_time=dt.datetime.now().timetuple()[:6])
        info.compress_type = self._compression(path)
        with open(source, "rb") as src, self._zip.open(info, "w", force_zip64=True) as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        self._listed(path, digest.hexdigest(), size, kind)
        return path

    def _listed(self, path, digest, size, kind):
        entry = {"path": path, "sha256": digest, "size": size}
        if kind:
            entry["kind"] = kind
        self.files.append(entry)

    def close(self, manifest):
        """Write ``manifest`` (its ``files`` filled here) as manifest.json, close the ZIP and
        return its SHA-256."""
        manifest = dict(manifest, format=FORMAT, files=self.files)
        text = _manifest_json(manifest)
        self._zip.writestr(MANIFEST, text, compress_type=zipfile.ZIP_DEFLATED)
        self._zip.close()
        return file_sha256(self.path)

    def abort(self):
        self._zip.close()


def _manifest_json(manifest):
    """The manifest as JSON: indented at the top, one line per file and per message (a
    pack of 100,000 messages stays readable in a text editor)."""
    head = {k: v for k, v in manifest.items() if k not in ("files", "messages")}
    out = io.StringIO()
    out.write("{\n")
    for key, value in head.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    for key in ("files", "messages"):
        rows = manifest.get(key) or []
        out.write(f'  "{key}": [')
        out.write(",".join("\n    " + json.dumps(row, ensure_ascii=False) for row in rows))
        out.write("\n  ]" if rows else "]")
        out.write(",\n" if key == "files" else "\n")
    out.write("}\n")
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# the Excel sheet

SHEET_COLUMNS = [
    ("序号", 7),
    ("时间", 26),
    ("发送者", 16),
    ("发送者ID", 22),
    ("类型", 10),
    ("内容", 60),
    ("已撤回", 7),
    ("违规", 24),
    ("媒体文件", 30),
    ("seq", 10),
    ("msgid", 30),
    ("SHA-256", 66),
]


def write_sheet(rows, *, title, note):
    """The messages' sheet (xlsx bytes): ``rows`` in SHEET_COLUMNS' order; ``title`` and
    ``note`` (exporter, time, watermark) head it."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("消息")
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    top = book.add_format({"valign": "top"})
    sheet.write(0, 0, title, bold)
    sheet.write(1, 0, note)
    for col, (label, width) in enumerate(SHEET_COLUMNS):
        sheet.set_column(col, col, width)
        sheet.write(3, col, label, head)
    for n, row in enumerate(rows, start=4):
        for col, value in enumerate(row):
            if isinstance(value, str):
                # text is never a formula: xlsxwriter would turn "=…" into one
                sheet.write_string(n, col, value, wrap if col == 5 else top)
            else:
                sheet.write(n, col, value, top)
    sheet.freeze_panes(4, 0)
    book.close()
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# the stamp on every page of the PDF

_FONT = "STSong-Light"  # reportlab's built-in Chinese CID font (no file to ship)


def stamp_pdf(pdf, *, footer, watermark):
    """``pdf`` (bytes, or a list of PDFs joined in order) with, on every page, ``footer``
    and the page's number at the bottom and ``watermark`` repeated as faint diagonal text.
    wkhtmltopdf (Debian's, without the patched Qt) draws no page header or footer, hence the
    stamp: drawn once (reportlab) as a form XObject that every page paints over its own
    content, no page's content parsed."""
    from PyPDF2 import PdfReader, PdfWriter
    from PyPDF2.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        RectangleObject,
    )
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    readers = [PdfReader(io.BytesIO(part)) for part in ([pdf] if isinstance(pdf, bytes) else pdf)]
    pages = [page for reader in readers for page in reader.pages]
    first = pages[0]
    width, height = float(first.mediabox.width), float(first.mediabox.height)

    drawn = io.BytesIO()
    sheet = canvas.Canvas(drawn, pagesize=(width, height))
    sheet.saveState()
    sheet.setFillColorRGB(0.55, 0.55, 0.55, alpha=0.16)
    sheet.setFont(_FONT, 15)
    sheet.translate(width / 2, height / 2)
    sheet.rotate(30)
    span = int(max(width, height))
    for y in range(-span, span, 110):
        for x in range(-span, span, 330):
            sheet.drawString(x + (y // 110 % 2) * 165, y, watermark)
    sheet.restoreState()
    sheet.setFillColorRGB(0.35, 0.35, 0.35)
    sheet.setFont(_FONT, 7.5)
    sheet.drawString(28, 16, footer.replace("\u2194", "-"))  # ↔ is not in the CID font
    sheet.showPage()
    sheet.save()
    stamp = PdfReader(io.BytesIO(drawn.getvalue())).pages[0]

    writer = PdfWriter()
    form = DecodedStreamObject()
    form.set_data(stamp.get_contents().get_data())
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): RectangleObject([0, 0, width, height]),
            NameObject("/Resources"): stamp["/Resources"],
        }
    )
    form_ref = writer._add_object(form)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        page_width = float(page.mediabox.width)
        label = f"{number} / {total}"
        x = page_width - 28 - pdfmetrics.stringWidth(label, "Helvetica", 7.5)
        head, tail = DecodedStreamObject(), DecodedStreamObject()
        head.set_data(b"q\n")
        tail.set_data(
            f"\nQ q /WecomStamp Do Q BT 0.35 g /WecomPageFont 7.5 Tf {x:.2f} 16 Td "
            f"({label}) Tj ET\n".encode()
        )
        contents = page.get("/Contents")
        parts = ArrayObject([writer._add_object(head)])
        if contents is not None:
            contents = contents.get_object()
            if isinstance(contents, ArrayObject):
                parts.extend(contents)
            else:
                parts.append(page.raw_get("/Contents"))
        parts.append(writer._add_object(tail))
        page[NameObject("/Contents")] = parts
        resources = page.get("/Resources")
        resources = DictionaryObject(resources.get_object()) if resources else DictionaryObject()
        xobjects = resources.get("/XObject")
        xobjects = DictionaryObject(xobjects.get_object()) if xobjects else DictionaryObject()
        xobjects[NameObject("/WecomStamp")] = form_ref
        fonts = resources.get("/Font")
        fonts = DictionaryObject(fonts.get_object()) if fonts else DictionaryObject()
        fonts[NameObject("/WecomPageFont")] = font_ref
        resources[NameObject("/XObject")] = xobjects
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
