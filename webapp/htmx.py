"""The only module that reads or writes HX-* headers."""
from flask import make_response, render_template, request


def is_partial():
    """True for an htmx request that wants a fragment (not a boosted full-page navigation)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(page, fragment, **context):
    """Render the fragment alone for htmx, the full page otherwise."""
    return render_template(fragment if is_partial() else page, **context)


def redirect(url):
    """Redirect that works for htmx (HX-Redirect) and for plain requests (303)."""
    if request.headers.get("HX-Request") == "true":
        resp = make_response("", 204)
        resp.headers["HX-Redirect"] = url
        return resp
    resp = make_response("", 303)
    resp.headers["Location"] = url
    return resp


MESSAGE_BOX = "#global-error"  # in templates/base.html


def message_box(body, status):
    """An error that belongs to no field: its message goes to the page's message box.
    (htmx swaps it there for a 409; for other codes app.js copies its text there.)"""
    resp = make_response(body, status)
    resp.headers["HX-Retarget"] = MESSAGE_BOX
    resp.headers["HX-Reswap"] = "outerHTML"
    return resp


def trigger(resp, event):
    resp.headers["HX-Trigger"] = event
    return resp
