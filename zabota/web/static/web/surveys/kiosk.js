/*
 * Kiosk mode (web/surveys/public/kiosk.html): a shop tablet answering in a loop.
 *
 * Each submission gets a key made here and goes into a queue in localStorage before it is
 * sent; it leaves the queue only when the server acknowledged it (200) or refused its content
 * (400, which a retry would not change). A lost connection, a 5xx or a 429 keeps it for the
 * next try (every 15 s, and at once when the browser is back online), and the server stores a
 * key once, so a retry never counts twice. After a submission the kiosk thanks and returns to
 * the first question; it also returns there after data-idle-seconds without a touch.
 *
 * One question at a time, large: a tap on a scale, yes/no or single choice moves on to the next
 * question shown (branching decides which, form.js); Back and Next for the rest; the last one
 * has the send button.
 */
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  var form = document.getElementById("kiosk-form");
  if (!root || !form) return;
  var thanks = document.getElementById("kiosk-thanks");
  var pending = document.getElementById("kiosk-pending");
  var errorBox = document.getElementById("kiosk-error");
  var idleSeconds = parseInt(root.dataset.idleSeconds, 10) || 45;
  var queueName = "zabota-kiosk-" + root.dataset.survey;
  var THANKS_MS = 3500;
  var RETRY_MS = 15000;
  var backButton = document.getElementById("kiosk-back");
  var nextButton = document.getElementById("kiosk-next");
  var sendButton = document.getElementById("kiosk-send");
  var progress = document.getElementById("kiosk-progress");
  var ADVANCE_MS = 350;
  var step = 0;
  var advanceTimer = null;
  var sending = false;
  var idleTimer = null;
  var thanksTimer = null;

  function newKey() {
    // crypto.randomUUID needs a secure context; a shop tablet may use plain http on the LAN.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "k" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function readQueue() {
    try { return JSON.parse(localStorage.getItem(queueName) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(queue) {
    try { localStorage.setItem(queueName, JSON.stringify(queue)); } catch (e) { /* full: keep in memory */ }
    memoryQueue = queue;
    showPending(queue.length);
  }
  var memoryQueue = readQueue();

  function showPending(count) {
    pending.hidden = count === 0;
    pending.querySelector("span").textContent = String(count);
  }

  function csrfToken() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function flush() {
    if (sending) return;
    var queue = readQueue();
    if (!queue.length) { showPending(0); return; }
    sending = true;
    var item = queue[0];
    fetch(form.action || window.location.pathname, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrfToken() },
      body: item.body,
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok || response.status === 400) {
        // Acknowledged (or refused for good): drop this one, go on with the next.
        writeQueue(readQueue().filter(function (other) { return other.key !== item.key; }));
        sending = false;
        flush();
      } else {
        sending = false;
      }
    }).catch(function () {
      sending = false; // offline: kept, retried later
    });
  }

  function shownQuestions() {
    return Array.prototype.filter.call(form.querySelectorAll(".sv-q"), function (q) {
      return !q.hidden;
    });
  }

  function showStep(index) {
    var shown = shownQuestions();
    step = Math.max(0, Math.min(index, shown.length - 1));
    form.querySelectorAll(".sv-q").forEach(function (q) {
      q.classList.toggle("sv-step-off", q !== shown[step]);
    });
    var last = step === shown.length - 1;
    backButton.hidden = step === 0;
    nextButton.hidden = last;
    sendButton.hidden = !last;
    progress.textContent = (step + 1) + " / " + shown.length;
    errorBox.hidden = true;
  }

  function unanswered(q) {
    if (!q || !q.querySelector(".sv-required")) return false;
    var answered = q.querySelector("input:checked") ||
      Array.prototype.some.call(q.querySelectorAll("textarea"), function (t) { return t.value.trim(); });
    q.classList.toggle("sv-has-error", !answered);
    return !answered;
  }

  function next() {
    clearTimeout(advanceTimer);
    if (unanswered(shownQuestions()[step])) { errorBox.hidden = false; return; }
    showStep(step + 1);
  }

  backButton.addEventListener("click", function () { clearTimeout(advanceTimer); showStep(step - 1); });
  nextButton.addEventListener("click", next);
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio") return;
    var q = input.closest(".sv-q");
    q.classList.remove("sv-has-error");
    errorBox.hidden = true;
    // form.js re-applies the branching on the same change; step on once it has.
    clearTimeout(advanceTimer);
    advanceTimer = setTimeout(function () {
      var shown = shownQuestions();
      if (shown[step] === q && step < shown.length - 1) showStep(step + 1);
      else showStep(step);
    }, ADVANCE_MS);
  });

  function resetForm() {
    form.reset();
    form.querySelectorAll(".sv-q").forEach(function (q) { q.classList.remove("sv-has-error"); });
    errorBox.hidden = true;
    form.querySelector("input[name=submission_key]").value = newKey();
    if (window.ZabotaSurvey) window.ZabotaSurvey.refresh(form);
    clearTimeout(advanceTimer);
    showStep(0);
    window.scrollTo(0, 0);
    var first = form.querySelector(".sv-q input, .sv-q textarea");
    if (first) first.blur();
  }

  function showThanks() {
    form.hidden = true;
    thanks.hidden = false;
    clearTimeout(thanksTimer);
    thanksTimer = setTimeout(backToStart, THANKS_MS);
  }

  function backToStart() {
    clearTimeout(thanksTimer);
    thanks.hidden = true;
    form.hidden = false;
    resetForm();
  }

  function firstMissing() {
    var shown = shownQuestions();
    for (var i = 0; i < shown.length; i++) {
      if (unanswered(shown[i])) return i;
    }
    return -1;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var missing = firstMissing();
    if (missing >= 0) {
      showStep(missing);
      errorBox.hidden = false;
      return;
    }
    var data = new FormData(form);
    var key = data.get("submission_key") || newKey();
    data.set("submission_key", key);
    var body = new URLSearchParams(data).toString();
    var queue = readQueue();
    queue.push({ key: key, body: body, at: Date.now() });
    writeQueue(queue);
    showThanks();
    flush();
  });

  function touched() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () {
      if (!thanks.hidden) return; // the thanks screen goes back by itself
      backToStart();
    }, idleSeconds * 1000);
  }
  ["pointerdown", "keydown", "input", "change", "touchstart"].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true });
  });
  thanks.addEventListener("pointerdown", backToStart);

  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  form.querySelector("input[name=submission_key]").value = newKey();
  if (window.ZabotaSurvey) window.ZabotaSurvey.refresh(form);
  showStep(0);
  showPending(memoryQueue.length);
  touched();
  flush();
})();
