"""Prize certificates as PDF (reportlab), in Vietnamese, with a QR code to the public verification page.

The text is set in DejaVu Serif/Sans (Debian's fonts-dejavu-core), which covers every Vietnamese
letter with its diacritics; the fonts are embedded, so the PDF prints the same anywhere.
"""

from __future__ import annotations

import functools
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"serif": "DejaVuSerif.ttf", "serif-bold": "DejaVuSerif-Bold.ttf", "sans": "DejaVuSans.ttf"}
BRAND = HexColor("#0b4f8a")
RED = HexColor("#a4161a")


class FontsMissing(RuntimeError):
    pass


@functools.cache
def register_fonts(font_dir: Path = FONT_DIR) -> None:
    for name, file in FONTS.items():
        path = font_dir / file
        if not path.is_file():
            raise FontsMissing(f"{path} is missing (Debian package fonts-dejavu-core)")
        pdfmetrics.registerFont(TTFont(f"cert-{name}", str(path)))


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest size ≤ `size` at which `text` fits in `width` (long names stay on one line)."""
    while size > 10 and c.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _date_vi(iso: str, tz: ZoneInfo) -> str:
    d = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(tz)
    return f"Ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def render(published: dict[str, Any], entry: dict[str, Any], verify_url: str, code: str, tz: ZoneInfo) -> bytes:
    """One certificate (A4 landscape) for `entry` of the published snapshot."""
    register_fonts()
    content = published["content"]
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height), pageCompression=1)
    c.setTitle(f"Giấy chứng nhận – {entry['display_name']} – {entry['prize_name']}")
    c.setAuthor(content.get("organizer") or "Ban Tổ chức cuộc thi")
    c.setSubject(content["contest_title"])
    c.setStrokeColor(BRAND)
    c.setLineWidth(6)
    c.rect(22, 22, width - 44, height - 44)
    c.setLineWidth(1.2)
    c.rect(34, 34, width - 68, height - 68)
    cx = width / 2
    y = height - 90
    c.setFillColor(BRAND)
    c.setFont("cert-serif-bold", 15)
    c.drawCentredString(cx, y, (content.get("organizer") or "Ban Tổ chức cuộc thi").upper())
    y -= 56
    c.setFillColor(RED)
    c.setFont("cert-serif-bold", 36)
    c.drawCentredString(cx, y, "GIẤY CHỨNG NHẬN")
    y -= 34
    c.setFillColor(HexColor("#222222"))
    title = f"Cuộc thi “{content['contest_title']}”"
    c.setFont("cert-serif", _fit(c, title, "cert-serif", 17, width - 160))
    c.drawCentredString(cx, y, title)
    y -= 24
    c.setFont("cert-serif", 14)
    c.drawCentredString(cx, y, content["title"])
    y -= 46
    c.setFont("cert-serif", 15)
    c.drawCentredString(cx, y, "Chứng nhận")
    y -= 40
    c.setFillColor(BRAND)
    size = _fit(c, entry["display_name"], "cert-serif-bold", 32, width - 160)
    c.setFont("cert-serif-bold", size)
    c.drawCentredString(cx, y, entry["display_name"])
    y -= 28
    c.setFillColor(HexColor("#222222"))
    if entry.get("unit_name") and entry["unit_name"] != entry["display_name"]:
        c.setFont("cert-serif", 15)
        c.drawCentredString(cx, y, f"Đơn vị: {entry['unit_name']}")
        y -= 34
    else:
        y -= 6
    c.setFont("cert-serif", 15)
    c.drawCentredString(cx, y, "Đã đạt")
    y -= 36
    c.setFillColor(RED)
    c.setFont("cert-serif-bold", 28)
    c.drawCentredString(cx, y, entry["prize_name"].upper())
    c.setFillColor(HexColor("#222222"))
    c.setFont("cert-serif", 12)
    c.drawRightString(width - 80, 120, _date_vi(published["published_at"], tz))
    c.drawRightString(width - 80, 102, "TM. BAN TỔ CHỨC")
    # QR code and short URL to the public verification page.
    qr = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    side = 92
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, 70, 62)
    c.setFont("cert-sans", 9)
    c.drawString(170, 128, "Xác minh giấy chứng nhận:")
    c.drawString(170, 114, verify_url)
    c.drawString(170, 100, f"Mã xác minh: {code}")
    c.drawString(170, 86, f"Kết quả công bố: {published['snapshot_id']} · SHA-256 {published['sha256'][:16]}…")
    c.showPage()
    c.save()
    return buf.getvalue()
