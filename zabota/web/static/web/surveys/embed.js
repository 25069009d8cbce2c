/*
 * Zabota survey pop-up for a store's website: <script src="https://<zabota>/s/embed/<store>.js" async>
 *
 * Generated per store (the configuration below is filled in by the server): on a page whose
 * path starts with one of a survey's pop-up paths it shows, once per visitor per `days` days
 * (remembered in localStorage), a small card in the corner with the survey in an iframe from
 * Zabota's own address — so the page's styles and scripts cannot touch the answers, nor ours
 * the page. No third-party code, no cookies of the host site.
 */
(function () {
  "use strict";
  var config = /*CONFIG*/null;
  if (!config || !config.surveys || !config.surveys.length) return;
  if (window.__zabotaSurveyPopup) return;
  window.__zabotaSurveyPopup = true;
  var DAY = 24 * 3600 * 1000;
  var path = window.location.pathname;

  function seenRecently(key) {
    try {
      var at = parseInt(localStorage.getItem("zabota-survey-seen-" + key) || "0", 10);
      return at && Date.now() - at < config.days * DAY;
    } catch (e) { return false; }
  }
  function remember(key) {
    try { localStorage.setItem("zabota-survey-seen-" + key, String(Date.now())); } catch (e) { /* private mode */ }
  }

  var survey = null;
  for (var i = 0; i < config.surveys.length && !survey; i++) {
    var candidate = config.surveys[i];
    var matches = candidate.paths.some(function (prefix) { return path.indexOf(prefix) === 0; });
    if (matches && !seenRecently(candidate.key)) survey = candidate;
  }
  if (!survey) return;

  function show() {
    remember(survey.key);
    var card = document.createElement("div");
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", survey.title);
    card.setAttribute("data-zabota-survey", survey.key);
    card.style.cssText = [
      "position:fixed", "right:20px", "bottom:20px", "z-index:2147483000", "width:360px",
      "max-width:calc(100vw - 32px)", "background:#fff", "border-radius:14px",
      "box-shadow:0 12px 40px rgba(15,23,42,.22),0 2px 8px rgba(15,23,42,.08)",
      "overflow:hidden", "border:1px solid #e3e6eb"
    ].join(";");
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", config.close);
    close.textContent = "\u00d7";
    close.style.cssText = [
      "position:absolute", "top:6px", "right:8px", "width:32px", "height:32px", "border:0",
      "background:transparent", "font:22px/1 sans-serif", "color:#545d6b", "cursor:pointer",
      "border-radius:8px", "z-index:1"
    ].join(";");
    close.addEventListener("click", function () { card.remove(); });
    var frame = document.createElement("iframe");
    frame.title = survey.title;
    frame.src = survey.url + "?page=" + encodeURIComponent(path);
    frame.style.cssText = "display:block;width:100%;height:320px;border:0";
    card.appendChild(close);
    card.appendChild(frame);
    document.body.appendChild(card);
    window.addEventListener("message", function (event) {
      if (event.origin !== config.origin || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.zabotaSurvey === "height" && data.height) {
        frame.style.height = Math.min(Math.max(data.height, 120), 560) + "px";
      } else if (data.zabotaSurvey === "done") {
        setTimeout(function () { card.remove(); }, 4000);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();
