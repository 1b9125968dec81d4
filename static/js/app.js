// Small behaviours shared by every page. No inline scripts: the CSP allows only 'self'.
// The CSRF token travels as the X-CSRFToken header on every htmx request (set by hx-headers
// on <body>, inherited in htmx 2).
//
// Errors (the convention is in webapp/errors.py; htmx.config.responseHandling in base.html):
// 422 and 409 are swapped like any answer. Any other 4xx/5xx is not swapped, so the form and
// what was typed stay; its Chinese message is shown in #global-error.
(function () {
  "use strict";

  function box() { return document.getElementById("global-error"); }

  function show(text) {
    var el = box();
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    el.scrollIntoView({ block: "nearest" });
  }

  var FALLBACK = {
    400: "提交的内容无法处理，或页面已过期。请刷新页面后重试，您填写的内容仍在页面上。",
    403: "无权执行此操作。",
    404: "要操作的内容不存在或已被删除，请刷新页面。",
    413: "上传的文件超过了大小限制。",
    503: "系统繁忙，内容尚未保存，仍保留在页面上。请稍后重试。"
  };

  // The server's message when the response is our message box (webapp/errors.py), else a
  // message by status: a proxy's or a crash page's text is never shown as is.
  function messageOf(xhr) {
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var el = doc.getElementById("global-error");
      text = el ? el.textContent.trim() : "";
    } catch (e) { text = ""; }
    return text || FALLBACK[xhr.status] || ("保存失败（" + xhr.status + "），您填写的内容仍在页面上，请稍后重试。");
  }

  document.addEventListener("htmx:responseError", function (evt) { show(messageOf(evt.detail.xhr)); });

  document.addEventListener("htmx:sendError", function () {
    show("网络连接失败，内容尚未保存，仍保留在页面上。请检查网络后重试。");
  });

  // Length counters (templates/macros/forms.html `counted`): "12/2000" beside the field.
  function count(field) {
    var el = document.getElementById(field.getAttribute("data-counter"));
    if (el) el.textContent = field.value.length + "/" + field.getAttribute("maxlength");
  }
  document.addEventListener("input", function (evt) {
    if (evt.target.hasAttribute && evt.target.hasAttribute("data-counter")) count(evt.target);
  });

  // A new request makes the last error stale.
  document.addEventListener("htmx:beforeRequest", function () {
    var el = box();
    if (el && !el.hidden) { el.hidden = true; el.textContent = ""; }
  });
})();
