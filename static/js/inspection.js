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
  // change) may come back after the user went on typing in the same item — in the field that has
  // the focus, or in one they have already left (htmx drops that field's own save while the
  // earlier one is in flight). The server's copy of such a field is older than the screen's, so
  // every text field that changed since the request left is carried into the new item; the
  // focused one keeps its caret and is saved when the user leaves it, the others are saved at once.
  var sent = {};  // item id -> {field name: value} as sent by the request in flight
  function textFields(item) {
    return Array.prototype.slice.call(item.querySelectorAll("textarea[name], input[name]")).filter(typing);
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var item = evt.detail.elt && evt.detail.elt.closest && evt.detail.elt.closest("article.item");
    if (!item) return;
    var values = {};
    textFields(item).forEach(function (f) { values[f.name] = f.value; });
    sent[item.id] = values;
  });

  var carried = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    carried = null;
    if (!(target && target.matches && target.matches("article.item"))) return;
    var before = sent[target.id] || {};
    delete sent[target.id];
    var active = document.activeElement;
    var fields = {};
    var focus = null;
    textFields(target).forEach(function (f) {
      var isActive = f === active;
      if (isActive) focus = { name: f.name, start: f.selectionStart, end: f.selectionEnd };
      if (isActive || (f.name in before && before[f.name] !== f.value)) fields[f.name] = f.value;
    });
    if (focus || Object.keys(fields).length) carried = { item: target.id, fields: fields, focus: focus };
  });

  function saveOnLeave(field) {
    field.dataset.unsaved = "1";
    field.addEventListener("blur", function once() {
      field.removeEventListener("blur", once);
      if (field.dataset.unsaved) { delete field.dataset.unsaved; field.dispatchEvent(new Event("change", { bubbles: true })); }
    });
    field.addEventListener("input", function () { delete field.dataset.unsaved; }, { once: true });
  }

  document.addEventListener("htmx:afterSwap", function () {
    if (!carried) return;
    var keep = carried;
    carried = null;
    var item = document.getElementById(keep.item);
    if (!item) return;
    var saveNow = false;
    Object.keys(keep.fields).forEach(function (name) {
      var field = item.querySelector('[name="' + name + '"]');
      if (!field || field.value === keep.fields[name]) return;
      field.value = keep.fields[name];
      field.dispatchEvent(new Event("input", { bubbles: true }));  // the counter follows
      if (keep.focus && keep.focus.name === name) {
        field.focus({ preventScroll: true });
        try { field.setSelectionRange(keep.focus.start, keep.focus.end); } catch (e) { /* not a text field */ }
        saveOnLeave(field);
      } else {
        saveNow = field;
      }
    });
    // a field the user already left: its save was dropped while the earlier one was in flight;
    // it is sent once htmx has settled the new item (its triggers are attached then)
    pendingSave = saveNow || null;
  });

  var pendingSave = null;
  document.addEventListener("htmx:afterSettle", function () {
    var field = pendingSave;
    pendingSave = null;
    if (field && document.body.contains(field)) field.dispatchEvent(new Event("change", { bubbles: true }));
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
