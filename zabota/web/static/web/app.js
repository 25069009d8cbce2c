// Small behaviours of the agent UI. Everything is delegated from document so that content
// swapped in by htmx works without re-binding. No inline scripts are needed by the templates.
(function () {
  "use strict";

  // Toasts: close on click, fade out after a while (errors stay until dismissed).
  function dismiss(toast) {
    toast.classList.add("is-leaving");
    setTimeout(function () {
      toast.remove();
    }, 220);
  }

  function scheduleToasts(root) {
    root.querySelectorAll(".toast:not(.toast-error):not([data-scheduled])").forEach(function (toast) {
      toast.dataset.scheduled = "1";
      setTimeout(function () {
        dismiss(toast);
      }, 6000);
    });
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss]");
    if (close) {
      var toast = close.closest(".toast");
      if (toast) dismiss(toast);
    }
  });

  // Forms that need a second thought (merging customers, revoking tokens).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Sign-in page: clicking a demo login fills the form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-demo-login]");
    if (!button) return;
    var form = document.querySelector("form.login-form");
    if (!form) return;
    form.querySelector("input[name=username]").value = button.getAttribute("data-demo-login");
    form.querySelector("input[name=password]").value = button.getAttribute("data-demo-password");
    form.querySelector("input[name=password]").focus();
  });

  // Inbox bulk selection: the bar appears when at least one row is checked.
  function selectedBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-ticket-select]:checked"));
  }

  function refreshBulkBar() {
    var bar = document.getElementById("bulk-form");
    if (!bar) return;
    var boxes = selectedBoxes();
    bar.hidden = boxes.length === 0;
    var count = bar.querySelector("[data-bulk-count]");
    if (count) count.textContent = String(boxes.length);
    document.querySelectorAll("input[data-ticket-select]").forEach(function (box) {
      var row = box.closest(".ticket-row");
      if (row) row.classList.toggle("is-selected", box.checked);
    });
    var all = document.getElementById("select-all");
    if (all) {
      var total = document.querySelectorAll("input[data-ticket-select]").length;
      all.checked = total > 0 && boxes.length === total;
      all.indeterminate = boxes.length > 0 && boxes.length < total;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      document.querySelectorAll("input[data-ticket-select]").forEach(function (box) {
        box.checked = target.checked;
      });
      refreshBulkBar();
    } else if (target.matches("input[data-ticket-select]")) {
      refreshBulkBar();
    } else if (target.matches("[data-bulk-action]")) {
      // Show only the value control that belongs to the chosen bulk action.
      var form = target.closest("form");
      form.querySelectorAll("[data-bulk-value]").forEach(function (control) {
        var active = control.getAttribute("data-bulk-value") === target.value;
        control.hidden = !active;
        control.disabled = !active;
      });
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-bulk-clear]")) {
      document.querySelectorAll("input[data-ticket-select]").forEach(function (box) {
        box.checked = false;
      });
      refreshBulkBar();
    }
  });

  // Bulk changes come back to the list the agent is looking at (filters may have changed via htmx).
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "bulk-form") return;
    var next = event.target.querySelector("[data-bulk-next]");
    if (next) next.value = window.location.pathname + window.location.search;
  });

  // Inbox filters: leave unset filters out of the URL so that pushed URLs stay readable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "inbox-filters" || event.detail.verb !== "get") return;
    var data = event.detail.formData;
    var empty = [];
    data.forEach(function (value, key) {
      if (value === "") empty.push(key);
    });
    empty.forEach(function (key) {
      data.delete(key);
    });
  });

  // "/" jumps to the search box, as in most workspaces.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
    var search = document.querySelector(".sidebar-search input");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  function init(root) {
    scheduleToasts(root);
    refreshBulkBar();
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    init(event.target.ownerDocument || document);
  });
})();
