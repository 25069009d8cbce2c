// The ticket page's behaviours: macro insertion, preview, attachments list, keyboard sending,
// presence ("typing"), leaving, draft keeping and timeline scrolling. Handlers are delegated
// from document so that parts swapped in by htmx keep working. No inline scripts.
(function () {
  "use strict";

  var page = document.getElementById("ticket-page");
  if (!page) return;

  function byId(id) {
    return document.getElementById(id);
  }

  function composerMode() {
    var checked = document.querySelector("#reply-form input[name=mode]:checked");
    return checked ? checked.value : "reply";
  }

  // ── Timeline scrolling: start at the newest message; keep the reader's place on refresh ──
  var timelineState = null;

  function scrollTimelineToEnd() {
    var timeline = byId("ticket-timeline");
    if (timeline) {
      timeline.style.scrollBehavior = "auto";
      timeline.scrollTop = timeline.scrollHeight;
      timeline.style.scrollBehavior = "";
    }
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "ticket-timeline") {
      var atEnd = target.scrollHeight - target.scrollTop - target.clientHeight < 40;
      timelineState = { atEnd: atEnd, top: target.scrollTop };
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!timelineState) return;
    var timeline = byId("ticket-timeline");
    if (timeline) {
      if (timelineState.atEnd) scrollTimelineToEnd();
      else timeline.scrollTop = timelineState.top;
    }
    timelineState = null;
  });

  // ── Drafts survive a reload (kept per ticket in this browser) ──
  function draftKey() {
    var body = byId("reply-body");
    return body ? body.getAttribute("data-draft-key") : null;
  }

  function saveDraft() {
    var body = byId("reply-body");
    var key = draftKey();
    if (!body || !key) return;
    try {
      if (body.value.trim()) window.localStorage.setItem(key, body.value);
      else window.localStorage.removeItem(key);
    } catch (e) {
      /* storage may be disabled; drafts are a convenience */
    }
  }

  function restoreDraft() {
    var body = byId("reply-body");
    var key = draftKey();
    if (!body || !key || body.value) return;
    try {
      var saved = window.localStorage.getItem(key);
      if (saved) body.value = saved;
    } catch (e) {
      /* ignore */
    }
  }

  // ── Presence: tell the server whether the agent is writing ──
  function refreshTyping() {
    var body = byId("reply-body");
    var flag = byId("presence-typing");
    if (!flag) return;
    var typing = !!body && (document.activeElement === body || body.value.trim() !== "");
    flag.value = typing ? "1" : "";
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.id === "reply-body") refreshTyping();
  });
  document.addEventListener("focusout", function (event) {
    if (event.target.id === "reply-body") setTimeout(refreshTyping, 0);
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "reply-body") {
      refreshTyping();
      saveDraft();
    }
  });

  window.addEventListener("pagehide", function () {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", page.getAttribute("data-csrf"));
    navigator.sendBeacon(page.getAttribute("data-leave-url"), data);
  });

  // ── Composer mode: the placeholder follows the tab ──
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "mode" && target.closest("#reply-form")) {
      var body = byId("reply-body");
      if (body) {
        body.placeholder = body.getAttribute("data-placeholder-" + target.value) || "";
        body.focus();
      }
    } else if (target.id === "reply-attachments") {
      listFiles(target);
    }
  });

  // ── Macros: the server renders the text; it is inserted where the cursor is ──
  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    textarea.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
  }

  function showComposerError(message) {
    var alert = byId("reply-alert");
    if (!alert) return;
    alert.textContent = "";
    var box = document.createElement("div");
    box.className = "alert alert-error";
    box.setAttribute("role", "alert");
    box.textContent = message;
    alert.appendChild(box);
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var picker = event.detail.elt;
    if (!picker || picker.id !== "macro-picker") return;
    var xhr = event.detail.xhr;
    var data = null;
    try {
      data = JSON.parse(xhr.responseText);
    } catch (e) {
      data = null;
    }
    picker.value = "";
    if (!event.detail.successful || !data || data.error) {
      if (data && data.error) showComposerError(data.error);
      return;
    }
    var body = byId("reply-body");
    if (!body) return;
    setPreview(false);
    insertAtCursor(body, data.text);
    byId("reply-macro-id").value = data.macro_id;
    var thenStatus = document.querySelector("#reply-form select[name=then_status]");
    if (thenStatus && data.set_status) {
      var option = thenStatus.querySelector('option[value="' + data.set_status + '"]');
      if (option) thenStatus.value = data.set_status;
    }
    refreshTyping();
    saveDraft();
  });

  // ── Preview: the draft as the customer will receive it ──
  function setPreview(on) {
    var box = byId("reply-box");
    var pane = byId("reply-preview");
    var toggle = document.querySelector("[data-preview-toggle]");
    if (!box || !pane || !toggle) return;
    box.classList.toggle("is-previewing", on);
    pane.hidden = !on;
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    if (!on) return;
    var body = byId("reply-body");
    var params = new URLSearchParams();
    params.append("body", body ? body.value : "");
    fetch(page.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": page.getAttribute("data-csrf") },
      body: params,
    })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        // Server-rendered and escaped by Django (text_to_html); nothing from the draft is raw.
        pane.innerHTML = html;
      })
      .catch(function () {
        pane.textContent = "";
      });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-preview-toggle]");
    if (toggle) {
      event.preventDefault();
      setPreview(toggle.getAttribute("aria-pressed") !== "true");
      return;
    }
    // Close an open header menu when clicking elsewhere.
    document.querySelectorAll(".tk-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // ── Attachments: show what will be sent, flag files over the limit before uploading ──
  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function listFiles(input) {
    var list = byId("reply-files");
    var form = byId("reply-form");
    if (!list || !form) return;
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var chip = document.createElement("span");
      chip.className = "composer-file" + (limit && file.size > limit ? " is-too-large" : "");
      chip.textContent = file.name + " · " + formatSize(file.size);
      list.appendChild(chip);
    });
  }

  // ── Ctrl/Cmd + Enter sends (as a reply or as a note, whichever tab is active) ──
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!event.target.closest("#reply-form")) return;
    event.preventDefault();
    var form = byId("reply-form");
    var button = form.querySelector('[data-submit="' + composerMode() + '"]');
    form.requestSubmit(button);
  });

  // A fresh reply box arrives after sending: the draft is gone for good.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "reply-box") {
      var key = draftKey();
      try {
        if (key) window.localStorage.removeItem(key);
      } catch (e) {
        /* ignore */
      }
      refreshTyping();
      scrollTimelineToEnd();
    }
  });

  // Escape closes an open header menu.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".tk-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
    });
  });

  // A signed-out session answers polls with the sign-in page: go there instead of swapping it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var login = page.getAttribute("data-login-url");
    if (xhr && xhr.responseURL && login && new URL(xhr.responseURL).pathname === login) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  restoreDraft();
  refreshTyping();
  scrollTimelineToEnd();
})();
