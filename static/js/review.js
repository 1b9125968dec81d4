// The review pages: swapping of refused decisions, and "select every clean record" in the queue.
// No inline scripts (CSP 'self'); loaded after htmx by the review templates.
(function () {
  "use strict";

  // htmx 2 does not swap 4xx responses. A refused decision (reason missing, state changed,
  // not allowed) returns the decision fragment with the reason and the typed text, marked by
  // the X-Review-Fragment header: swap exactly those so the message shows beside the field.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Review-Fragment")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  document.addEventListener("change", function (evt) {
    if (evt.target && evt.target.id === "select-clean") {
      var boxes = document.querySelectorAll("#bulk-form input.bulk-pick");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = evt.target.checked;
    }
  });
})();
