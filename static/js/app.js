// Small behaviours shared by every page. No inline scripts: the CSP allows only 'self'.
// The CSRF token travels as the X-CSRFToken header on every htmx request (set by hx-headers
// on <body>, inherited in htmx 2).
document.addEventListener("htmx:responseError", function (evt) {
  // htmx 2 does not swap 4xx/5xx responses by default; tell the user what happened instead of
  // failing silently. Fragments that carry their own error text set HX-Retarget themselves.
  var box = document.getElementById("global-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "global-error";
    box.className = "flash flash-error";
    box.setAttribute("role", "alert");
    var main = document.getElementById("main");
    main.insertBefore(box, main.firstChild);
  }
  var status = evt.detail.xhr.status;
  box.textContent = status === 409 ? "操作冲突：记录已被他人修改或已锁定，请刷新后重试。"
    : status === 403 ? "无权执行此操作。"
    : status === 400 ? "提交的内容无效或页面已过期，请刷新后重试。"
    : "保存失败（" + status + "），您填写的内容仍在页面上，请稍后重试。";
});
document.addEventListener("htmx:sendError", function () {
  var main = document.getElementById("main");
  var box = document.getElementById("global-error") || document.createElement("div");
  box.id = "global-error";
  box.className = "flash flash-error";
  box.textContent = "网络连接失败，内容尚未保存，仍保留在页面上。请检查网络后重试。";
  if (!box.parentNode) main.insertBefore(box, main.firstChild);
});
