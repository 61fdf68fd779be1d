// acmehub web interface: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Ask before destructive actions: a button (or form) with data-confirm="message".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Copy buttons: data-copy="#element-id" copies that element's text.
  function announce(button, text) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function copyText(text, button) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { announce(button, "Copied"); },
        function () { announce(button, "Press Ctrl+C"); }
      );
      return;
    }
    announce(button, "Press Ctrl+C");
  }

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) { return; }
    button.hidden = false;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      selectContents(target);
      copyText(target.textContent, button);
    });
  });

  // Select-all checkboxes: data-select-all="name" toggles the form's checkboxes of that name.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var form = box.form || box.closest("form");
    if (!form) { return; }
    var name = box.getAttribute("data-select-all");
    var boxes = function () {
      return Array.prototype.filter.call(form.elements, function (el) {
        return el.type === "checkbox" && el.name === name;
      });
    };
    box.hidden = false;
    box.addEventListener("change", function () {
      boxes().forEach(function (el) { el.checked = box.checked; });
    });
    form.addEventListener("change", function (event) {
      if (event.target === box || event.target.name !== name) { return; }
      var all = boxes();
      var checked = all.filter(function (el) { return el.checked; }).length;
      box.checked = checked === all.length && all.length > 0;
      box.indeterminate = checked > 0 && checked < all.length;
    });
  });

  // Selects with data-autosubmit submit their form on change; their "Apply" button hides.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    if (!form) { return; }
    form.querySelectorAll("[data-autosubmit-button]").forEach(function (b) { b.hidden = true; });
    select.addEventListener("change", function () { form.submit(); });
  });
})();
