// The review pages: "select every clean record" in the queue.
// No inline scripts (CSP 'self'); loaded after htmx by the review templates.
(function () {
  "use strict";

  document.addEventListener("change", function (evt) {
    if (evt.target && evt.target.id === "select-clean") {
      var boxes = document.querySelectorAll("#bulk-form input.bulk-pick");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = evt.target.checked;
    }
  });
})();
