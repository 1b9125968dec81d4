"""Error pages in Chinese; a CSRF failure is a 400 with a plain explanation."""
from flask import render_template
from flask_wtf.csrf import CSRFError

from .db import Busy

class Invalid(Exception):
    """User mistakes: {field name: Chinese message}, shown beside the fields (the services of
    every feature raise this one class, so views handle them alike)."""

    def __init__(self, errors):
        super().__init__("；".join(errors.values()))
        self.errors = errors


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
    title, text = MESSAGES.get(code, ("错误", "请求未能完成。"))
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


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
        return resp[0], 503, {"Retry-After": "2"}

    @app.errorhandler(Invalid)
    def _invalid(e):
        # A user mistake that no view caught (e.g. the model layer's last length check): the
        # messages in Chinese with a 422, never a 500. Views that know the form show them inline.
        return render_error(422, "；".join(e.errors.values()))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, "页面已过期或安全令牌无效，请刷新页面后重新提交。")
