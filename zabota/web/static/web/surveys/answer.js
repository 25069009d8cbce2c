/*
 * The answer page of an e-mailed link: keeps the answers so far on the server (a partial
 * response under the form's submission key) two seconds after each change, so a customer who
 * stops halfway is still heard. Sending the form completes that same response. Best effort:
 * a failed save is simply tried again with the next change.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) return;
  var DELAY_MS = 2000;
  var timer = null;
  var submitting = false;

  function save() {
    if (submitting) return;
    var data = new FormData(form);
    data.set("partial", "1");
    fetch(form.action || window.location.href, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
      credentials: "same-origin",
    }).catch(function () { /* offline: the next change tries again */ });
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(timer);
  });
})();
