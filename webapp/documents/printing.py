"""The print context of a 卫生监督意见书: plain data built from the frozen issued content only.

一式两联 (《卫生行政执法文书规范》): 第一联 留存执法案卷, 第二联 交被监督人, otherwise identical.
"""
import datetime
import json

import segno

from ..printing import render_pdf
from .models import OpinionStatus
from .services import cn_date

PARTS = (("第一联", "留存执法案卷"), ("第二联", "交被监督人"))
_DIGITS = "〇一二三四五六七八九"


def cn_numeral_date(d):
    """二〇二五年十一月二十二日: the date under the seal is written in Chinese numerals."""
    def small(n):
        if n < 10:
            return _DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")

    return "".join(_DIGITS[int(c)] for c in str(d.year)) + "年" + small(d.month) + "月" + small(d.day) + "日"


def qr_data_uri(text):
    """A QR code as an inline SVG data: URL (nothing is fetched when printing)."""
    return segno.make(text, error="m").svg_data_uri(scale=2, border=1)


def context(opinion, verify_url, copy_no=None):
    """Plain data for print/opinion.html. copy_no: which print this is (1 = original, >1 = 补打)."""
    if opinion.status == OpinionStatus.DRAFT:
        c = {"number": "（签发时编号）", "unit": opinion.unit.name, "subject": opinion.subject,
             "legal_rep": opinion.legal_rep, "address": opinion.address, "phone": opinion.phone,
             "body": opinion.body, "deadline": opinion.deadline.isoformat(), "issued_on": datetime.date.today().isoformat(),
             "inspectors": []}
        from .services import record_inspectors

        c["inspectors"] = record_inspectors(opinion.record)[:2]
        marks, code, qr = ["草稿 · 未签发 · 无效"], "", ""
    else:
        c = json.loads(opinion.content)
        marks = []
        if opinion.status == OpinionStatus.VOIDED:
            marks.append(f"作废（{opinion.void_reason}）")
        if copy_no and copy_no > 1:
            marks.append(f"副本 · 补打（第 {copy_no} 次打印）")
        code = opinion.code
        qr = qr_data_uri(verify_url)
    issued_on = datetime.date.fromisoformat(c["issued_on"])
    inspectors = list(c.get("inspectors") or [])
    while len(inspectors) < 2:
        inspectors.append({"name": "", "cert_no": ""})
    return {
        "number": c["number"], "unit": c["unit"], "subject": c["subject"], "legal_rep": c["legal_rep"],
        "address": c["address"], "phone": c["phone"],
        "paragraphs": [p.strip() for p in c["body"].splitlines() if p.strip()],
        "deadline": cn_date(datetime.date.fromisoformat(c["deadline"])),
        "issued_cn": cn_numeral_date(issued_on), "inspectors": inspectors,
        "parts": [{"no": no, "use": use} for no, use in PARTS],
        "marks": marks, "voided": opinion.status == OpinionStatus.VOIDED,
        "code": code, "qr": qr, "verify_url": verify_url,
    }


def pdf(opinion, verify_url, copy_no=None):
    return render_pdf("print/opinion.html", **context(opinion, verify_url, copy_no))
