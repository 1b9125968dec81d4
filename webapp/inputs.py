"""Everything that comes from a request is read through here: ids in URLs, numbers, dates and
text in forms and query strings. One rule each, so that no feature can get them wrong alone.

- Ids in URLs: the `int` route converter (`IdConverter`, registered in create_app for every
  `<int:…>` route) takes ASCII digits only, at most 10 of them, up to ID_MAX. Anything else
  ('²', full-width '１', 2^63, 5,000 digits) matches no route: a 404.
- Text: every value of `request.form` and `request.args` (keys too) is cleaned by `clean_text`
  when the request parses it (`Request` below): control characters are removed — only tab and
  newline stay, a textarea's CR LF becomes LF — and so are lone surrogates. A NUL byte never
  reaches a query (PostgreSQL refuses it; SQLite would store it).
  `request.form.get(name, type=int)` goes through `to_int` (ASCII, bounded) too.
- Numbers in forms: `parse_int` / `parse_decimal` raise Invalid with a Chinese field message;
  `to_int` is the lenient form for filters (None when not a number); `parse_page` for ?page=.
- Dates: `parse_date` (YYYY-MM-DD, between EARLIEST and a given latest day).
- Lengths: `limit(Model.field)` is the field's max_length (CharField, and TextField declared with
  `db.TextField(max_length=…)`): the one source for the server's check (`too_long`, and the model
  layer's last check in db.BaseModel) and for the templates (`limit` is a template global:
  `maxlength="{{ limit('Visit.place') }}"`).
"""
import datetime
import re
from decimal import Decimal, InvalidOperation

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.datastructures.structures import iter_multi_items
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

from .errors import Invalid, too_long as errors_too_long

# The smaller of the two backends' id columns: peewee's AutoField is SERIAL (int4) on PostgreSQL
# and a 64-bit rowid on SQLite. No row can have an id above it, so such a URL is simply a 404.
ID_MAX = 2**31 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # IntegerField is int4 on PostgreSQL
MAX_DIGITS = 18  # a form number longer than this is a typo (and stays below 2^63)
PAGE_MAX = 100_000
EARLIEST = datetime.date(2000, 1, 1)  # nothing in this system predates it (双随机 began in 2015)

# C0 controls except TAB and LF, DEL, C1 controls, lone surrogates (never valid text).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_ASCII_INT = re.compile(r"[+-]?[0-9]+")
_ASCII_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


# ------------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------------

def clean_text(value):
    """The one rule for submitted text: CR LF and CR become LF; other control characters
    (NUL included) and lone surrogates are removed. Tab and newline stay (textareas need them)."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def _clean_pairs(mapping):
    for key, value in iter_multi_items(mapping or ()):
        if isinstance(key, str):
            key = clean_text(key)
        if isinstance(value, str):
            value = clean_text(value)
        yield key, value


class Params(ImmutableMultiDict):
    """request.form / request.args: values cleaned on arrival; `get(…, type=int)` is `to_int`."""

    def __init__(self, mapping=None):
        super().__init__(list(_clean_pairs(mapping)))

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        if type is int:
            type = _strict_int
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        if type is int:
            type = _strict_int
        return super().getlist(key, type)


class Request(FlaskRequest):
    """The app's request class (create_app sets it): every form and query value is cleaned."""

    parameter_storage_class = Params


# ------------------------------------------------------------------------------------------------
# Ids in URLs
# ------------------------------------------------------------------------------------------------

class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits only (Python's \\d would take '１'), at most 10,
    and no more than ID_MAX. Anything else is not a URL of this app: 404."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TextConverter(UnicodeConverter):
    """The default `<name>` converter: one path segment without control characters, at most
    200 characters (item keys, plan ids, verification codes). Otherwise 404."""

    def __init__(self, map, minlength=1, maxlength=200, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]")

    def to_python(self, value):
        if _CONTROL.search(value):
            raise ValidationError()
        return value


def init_app(app):
    """Wire the request class and the converters (before any blueprint adds a route)."""
    app.request_class = Request
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
    app.jinja_env.globals["limit"] = limit


# ------------------------------------------------------------------------------------------------
# Numbers
# ------------------------------------------------------------------------------------------------

def _strict_int(value, lo=INT_MIN, hi=INT_MAX):
    """int of ASCII digits within [lo, hi]; ValueError otherwise ('²', '１', '1_000', ' 1',
    5,000 digits, 2^63)."""
    if not isinstance(value, str):
        value = str(value)
    if len(value) > MAX_DIGITS + 1 or not _ASCII_INT.fullmatch(value):
        raise ValueError(value)
    n = int(value)
    if not lo <= n <= hi:
        raise ValueError(value)
    return n


def to_int(value, default=None, lo=0, hi=ID_MAX):
    """Lenient: the integer in value (an id or a filter choice), or default when it is none."""
    try:
        return _strict_int((value or "").strip() if isinstance(value, str) else value, lo, hi)
    except (TypeError, ValueError):
        return default


def to_ids(values, hi=ID_MAX):
    """The valid ids of a list of submitted values (ticked boxes), in order, without repeats."""
    return list(dict.fromkeys(i for i in (to_int(v, hi=hi) for v in values) if i is not None))


def parse_int(value, field, lo=0, hi=INT_MAX, required=True, label="数值"):
    """A whole number typed in a form; raises Invalid({field: message}). '' is None unless required."""
    text = (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))
    if not text:
        if required:
            raise Invalid({field: f"请填写{label}。"})
        return None
    try:
        return _strict_int(text, lo, hi)
    except ValueError:
        if _ASCII_INT.fullmatch(text) and len(text) <= MAX_DIGITS + 1:
            raise Invalid({field: f"{label}应在 {lo} 至 {hi} 之间。"}) from None
        raise Invalid({field: f"{label}应为整数（阿拉伯数字）。"}) from None


def parse_page(value):
    """?page=: a page number from 1 to PAGE_MAX; anything else is page 1 (never an error)."""
    n = to_int(value, 1, lo=1, hi=PAGE_MAX)
    return n


def parse_decimal(value, field, places=2, max_digits=13, label="金额", precision=None):
    """A non-negative decimal with at most `places` decimals and `max_digits` before the point
    (ASCII digits); '' is None. Raises Invalid({field: message}). Never goes through a float."""
    text = (value or "").strip()
    if not text:
        return None
    if text.startswith("-"):
        raise Invalid({field: f"{label}不能为负数。"})
    if len(text) > max_digits + places + 1 or not _ASCII_DECIMAL.fullmatch(text):
        whole = text.split(".")[0]
        if _ASCII_DECIMAL.fullmatch(text) and len(whole) > max_digits:
            raise Invalid({field: f"{label}过大，请核对。"})
        raise Invalid({field: f"请填写{label}数字，如 5000 或 5000.50。"})
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Invalid({field: f"请填写{label}数字，如 5000 或 5000.50。"}) from None
    if -number.as_tuple().exponent > places:
        raise Invalid({field: f"{label}最多到{precision or f'小数点后 {places} 位'}。"})
    return number


# ------------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------------

def parse_date(value, field, latest=None, earliest=EARLIEST, required=True, label="日期"):
    """A YYYY-MM-DD date between earliest and latest (inclusive); '' is None unless required.
    Raises Invalid({field: message})."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if isinstance(value, datetime.date):
        day = value
    elif not text:
        if required:
            raise Invalid({field: f"请填写{label}，如 {datetime.date.today().isoformat()}。"})
        return None
    else:
        m = _ISO_DATE.fullmatch(text)
        try:
            day = datetime.date(*map(int, m.groups())) if m else None
        except ValueError:
            day = None
        if day is None:
            raise Invalid({field: f"{label}格式应为 {datetime.date.today().isoformat()}（年-月-日）。"})
    if earliest is not None and day < earliest:
        raise Invalid({field: f"{label}不能早于 {earliest.isoformat()}。"})
    if latest is not None and day > latest:
        raise Invalid({field: f"{label}不能晚于 {latest.isoformat()}。"})
    return day


def within_a_year():
    """The latest day a planned date (a deadline, a visit planned ahead) may name."""
    return datetime.date.today() + datetime.timedelta(days=366)


# ------------------------------------------------------------------------------------------------
# Lengths
# ------------------------------------------------------------------------------------------------

def limit(field):
    """The longest text a field holds: its max_length (a peewee field, or 'Model.field' in
    templates). None for a field without one (JSON columns written by the code itself)."""
    if isinstance(field, str):
        field = _field_by_name(field)
    return getattr(field, "max_length", None)


def too_long(field, value, label=""):
    """The one length rule (errors.too_long, the same as the counter beside the field) with the
    limit read from the column: the message, naming label, or None."""
    n = limit(field)
    if n is None or not isinstance(value, str):
        return None
    return errors_too_long(label, value, n)


def fit(model, values, labels=None):
    """{field name: message} for every value of values ({field name: text}) too long for model."""
    errors = {}
    for name, value in values.items():
        message = too_long(model._meta.fields[name], value, (labels or {}).get(name, ""))
        if message:
            errors[name] = message
    return errors


def _field_by_name(dotted):
    from .db import BaseModel

    model_name, _, field_name = dotted.partition(".")
    for model in _models(BaseModel):
        if model.__name__ == model_name:
            return model._meta.fields[field_name]
    raise KeyError(dotted)


def _models(base):
    for sub in base.__subclasses__():
        yield sub
        yield from _models(sub)
