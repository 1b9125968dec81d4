// The checklist: keyboard answering and navigation, and swapping of failed saves.
// No inline scripts (CSP 'self'); loaded after htmx by the pages of the inspection feature.
(function () {
  "use strict";

  // A failed answer save (422, 409) comes back as the item fragment and is swapped like any
  // other answer (htmx.config.responseHandling in base.html): nothing to do here.

  var current = null; // id of the item the keyboard works on

  function items() { return Array.prototype.slice.call(document.querySelectorAll("article.item")); }

  function focusItem(el) {
    if (!el) return;
    current = el.id;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
  }

  function currentItem() {
    var el = current && document.getElementById(current);
    if (el) return el;
    var active = document.activeElement && document.activeElement.closest && document.activeElement.closest("article.item");
    return active || null;
  }

  document.addEventListener("focusin", function (evt) {
    var el = evt.target.closest && evt.target.closest("article.item");
    if (el) current = el.id;
  });

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && !/^(radio|checkbox|button|submit|reset|file)$/.test(el.type));
  }

  var ANSWERS = { "1": "pass", "2": "fail", "3": "na" };

  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.altKey || evt.metaKey) return;
    if (typing(evt.target)) {
      if (evt.key === "Escape") { var it = evt.target.closest("article.item"); evt.target.blur(); focusItem(it); }
      return;
    }
    var list = items();
    if (!list.length) return;
    var el = currentItem();
    var i = el ? list.indexOf(el) : -1;
    if (evt.key === "j" || evt.key === "ArrowDown") {
      evt.preventDefault();
      focusItem(list[Math.min(i + 1, list.length - 1)]);
    } else if (evt.key === "k" || evt.key === "ArrowUp") {
      evt.preventDefault();
      focusItem(list[Math.max(i - 1, 0)]);
    } else if (ANSWERS[evt.key]) {
      if (!el) { focusItem(list[0]); el = list[0]; }
      var radio = el.querySelector('input[name="result"][value="' + ANSWERS[evt.key] + '"]');
      if (!radio || radio.disabled) return;
      evt.preventDefault();
      radio.checked = true;
      if (ANSWERS[evt.key] === "fail") {
        // A failure needs its finding: go to the field; the save happens when it is filled.
        var finding = el.querySelector('textarea[name="finding"]');
        if (finding && !finding.value.trim()) { finding.focus(); return; }
      }
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // Choosing 不合格 with the mouse: ask for the finding first instead of a failing save.
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.name === "result" && t.value === "fail" && evt.isTrusted) {
      var finding = t.form && t.form.querySelector('textarea[name="finding"]');
      if (finding && !finding.value.trim()) {
        evt.stopPropagation(); // htmx listens on the form: no request until the finding is there
        finding.focus();
      }
    }
  }, true);

  // Never lose what is being typed: a save started earlier (a radio click, the previous field's
  // change) may come back while the user is typing in a note of the same item. The server's copy
  // of that field is older than the screen's, so the typed text, caret and focus are carried into
  // the new item, and the field is saved when the user leaves it (it is still "changed").
  var typed = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var active = document.activeElement;
    var target = evt.detail.target;
    typed = null;
    if (target && target.matches && target.matches("article.item") && active && target.contains(active) && typing(active) && active.name) {
      typed = { item: target.id, name: active.name, value: active.value,
                start: active.selectionStart, end: active.selectionEnd };
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!typed) return;
    var item = document.getElementById(typed.item);
    var field = item && item.querySelector('[name="' + typed.name + '"]');
    var keep = typed;
    typed = null;
    if (!field || field.value === keep.value) return;
    field.value = keep.value;
    field.focus({ preventScroll: true });
    try { field.setSelectionRange(keep.start, keep.end); } catch (e) { /* not a text field */ }
    field.dataset.unsaved = "1";
    field.addEventListener("blur", function once() {
      field.removeEventListener("blur", once);
      if (field.dataset.unsaved) { delete field.dataset.unsaved; field.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    field.addEventListener("input", function () { delete field.dataset.unsaved; }, { once: true });
  });

  // After an item is replaced, keep the keyboard on it (or on the field that needs attention).
  // (htmx itself refocuses an element with the same id as the one focused before the swap.)
  document.addEventListener("htmx:afterSettle", function () {
    var el = current && document.getElementById(current);
    if (!el) return;
    if (document.activeElement && document.activeElement !== document.body && !el.contains(document.activeElement)) return;
    if (el.contains(document.activeElement) && typing(document.activeElement)) return; // still typing there
    var bad = el.querySelector(".has-error textarea, .has-error input");
    (bad || el).focus({ preventScroll: true });
  });
})();
