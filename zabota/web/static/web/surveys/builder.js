// The survey builder: per-language tabs (EN/RU/PL/HU) and "copy" buttons. Delegated handlers,
// so the question editors htmx swaps in work without re-binding.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-lang-tab]");
    if (tab) {
      event.preventDefault();
      var group = tab.closest("[data-lang-tabs]");
      var code = tab.getAttribute("data-lang-tab");
      group.querySelectorAll("[data-lang-tab]").forEach(function (other) {
        other.setAttribute("aria-selected", other === tab ? "true" : "false");
      });
      group.querySelectorAll("[data-lang-panel]").forEach(function (panel) {
        panel.hidden = panel.getAttribute("data-lang-panel") !== code;
      });
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = copy.getAttribute("data-done");
        });
      }
    }
  });
})();
