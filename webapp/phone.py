"""The one rule for a 联系电话 (register, 意见书, 汇总表 footer): the shape of a telephone number,
nothing else. Any text used to be accepted, and an emoji printed as a box over the next character
of the official form."""
import re
import unicodedata

MAX_LEN = 32  # the phone columns are CharField(max_length=32)
MESSAGE = "联系电话只能是电话号码（数字、-、+、空格、括号，分机写“转”，几个号码用“、”分开），如 0991-1234567 转 8001"

_NUMBER = r"\+?[0-9()\- ]*[0-9][0-9()\- ]*(?:(?:转|ext\.?|x) ?[0-9]{1,6})?"
_PHONE = re.compile(rf"{_NUMBER}(?: ?[、/,;] ?{_NUMBER})*", re.IGNORECASE)


def normalise(text):
    """Full-width digits and brackets to half-width (NFKC), spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text or ""))).strip()


def problem(text):
    """None when `text` (already normalised) is empty or a phone number (or a few), else the
    Chinese message shown beside the field."""
    if not text:
        return None
    if len(text) > MAX_LEN:
        return f"联系电话不能超过{MAX_LEN}个字"
    if not _PHONE.fullmatch(text) or any(len(re.sub(r"[^0-9]", "", part)) < 3 for part in re.split(r"[、/,;]", text)):
        return MESSAGE
    return None
