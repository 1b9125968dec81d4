"""Error pages in Chinese; a CSRF failure is a 400 with a plain explanation.

The htmx convention (templates/base.html configures htmx.config.responseHandling once):
- 422: field errors. The view answers the form fragment (or, for a plain POST, the whole page)
  with each message beside its field and everything typed kept; htmx swaps it in place.
- 409: a conflict. The view answers its conflict fragment (theirs and mine) and htmx swaps it;
  a bare abort(409, "…") becomes a message box (below) that htmx swaps into #global-error.
- every other 4xx/5xx: htmx swaps nothing (what was typed stays on screen); static/js/app.js
  shows the Chinese message of the response in #global-error.
"""
from flask import make_response, render_template
from flask_wtf.csrf import CSRFError

from . import htmx
from .states import Refused

BUSY_MESSAGE = "系统繁忙，请稍后重试（您填写的内容仍保留在页面上）。"


class Busy(Exception):
    """The write lock could not be had in time, even after retrying: the view answers 503 with
    BUSY_MESSAGE and the page keeps what the user typed."""


class Invalid(Exception):
    """User mistakes: {field name: Chinese message}, shown beside the fields (the services of
    every feature raise this one class, so views handle them alike)."""

    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def too_long(label, text, limit):
    """The one length rule, the same as the counter beside the field (macros/forms.html
    `counted`): characters as stored, a line break counting as one. The message, or None."""
    n = len((text or "").replace("\r\n", "\n"))
    return f"{label}不能超过 {limit} 字（现为 {n} 字）。" if n > limit else None


MESSAGES = {
    400: ("请求无效", "提交的内容无法处理。"),
    403: ("无权访问", "您的账号没有执行此操作的权限。"),
    404: ("页面不存在", "您要找的页面不存在或已被删除。"),
    405: ("请求方式不允许", "此页面不接受这种请求方式。"),
    409: ("操作冲突", "该记录当前状态不允许此操作。"),
    413: ("内容过大", "提交的内容或文件超过了大小限制。"),
    422: ("内容有误", "提交的内容有误，请检查后重新提交。"),
    503: ("系统繁忙", "系统繁忙，请稍后重试。"),
    500: ("系统错误", "服务器处理时出现错误，已记录。请稍后重试或联系管理员。"),
}


def render_error(code, detail=None):
    """The error page, or for htmx only the message box (never swapped over a form)."""
    title, text = MESSAGES.get(code, ("错误", "请求未能完成。"))
    if htmx.is_partial():
        return htmx.message_box(render_template("errors/_message.html", code=code, title=title, text=detail or text), code)
    return make_response(render_template("errors/error.html", code=code, title=title, text=detail or text), code)


def init_app(app):
    def _http_error(e):
        # A description given with abort(code, "…") is ours and in Chinese; werkzeug's
        # class default is English and is replaced by the message above.
        custom = e.description if e.description != type(e).description else None
        return render_error(e.code, custom)

    for code in MESSAGES:
        app.register_error_handler(code, _http_error)

    @app.errorhandler(Busy)
    def _busy(e):
        # A write that could not get the database lock in time: nothing was written, and the
        # page keeps what was typed (htmx does not swap a 503 over the form).
        resp = render_error(503, str(e))
        resp.headers["Retry-After"] = "2"
        return resp

    @app.errorhandler(Refused)
    def _refused(e):
        # A state rule a service raised and no view handled (e.g. a write to a locked record):
        # the same page as abort(code, message) gave before services stopped calling abort().
        return render_error(e.code, e.message)

    @app.errorhandler(Invalid)
    def _invalid(e):
        # A user mistake that no view caught (e.g. the model layer's last length check): the
        # messages in Chinese with a 422, never a 500. Views that know the form show them inline.
        return render_error(422, "；".join(e.errors.values()))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, "页面已过期或安全令牌无效，请刷新页面后重新提交。")
