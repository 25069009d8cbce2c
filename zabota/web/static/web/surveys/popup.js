/*
 * Inside the pop-up's iframe: tells the page around it (embed.js) how tall the content is, and
 * when the survey was answered, so it can close the card. Messages carry no answers.
 */
(function () {
  "use strict";
  if (window.parent === window) return;
  function tell(message) { window.parent.postMessage(message, "*"); }
  function size() { tell({ zabotaSurvey: "height", height: document.documentElement.scrollHeight }); }
  window.addEventListener("load", size);
  document.addEventListener("change", function () { setTimeout(size, 0); });
  if (window.ResizeObserver) new ResizeObserver(size).observe(document.body);
  if (document.querySelector("[data-survey-done]")) tell({ zabotaSurvey: "done" });
})();
