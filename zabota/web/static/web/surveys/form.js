/*
 * Survey questions (web/surveys/_questions.html): branching and star highlighting.
 *
 * A question with data-show-if="<id>" is shown only while question <id> is shown and answered
 * with a number in [data-show-min, data-show-max]. A hidden question's fields are disabled, so
 * the browser neither submits them nor asks for them (the server applies the same rule).
 * ZabotaSurvey.refresh(root) re-applies both after a page resets the form (the kiosk).
 */
(function () {
  "use strict";
  if (window.ZabotaSurvey) return; // the partial may be included twice

  function valueOf(root, id) {
    var box = root.querySelector('[data-question="' + id + '"]');
    if (!box || box.hidden) return null;
    var checked = box.querySelector("input[type=radio]:checked");
    if (!checked) return null;
    var n = parseInt(checked.value, 10);
    return isNaN(n) ? null : n;
  }

  function applyBranching(root) {
    // Conditions may chain (C depends on B, B on A): repeat until nothing changes.
    var boxes = root.querySelectorAll("[data-show-if]");
    for (var round = 0; round <= boxes.length; round++) {
      var changed = false;
      boxes.forEach(function (box) {
        var value = valueOf(root, box.dataset.showIf);
        var min = box.dataset.showMin, max = box.dataset.showMax;
        var show = value !== null &&
          (min === undefined || value >= parseInt(min, 10)) &&
          (max === undefined || value <= parseInt(max, 10));
        if (box.hidden === show) {
          box.hidden = !show;
          box.querySelectorAll("input, textarea, select").forEach(function (field) {
            field.disabled = !show;
          });
          changed = true;
        }
      });
      if (!changed) break;
    }
  }

  function applyStars(root) {
    root.querySelectorAll(".sv-scale").forEach(function (scale) {
      var checked = scale.querySelector("input:checked");
      var chosen = checked ? parseInt(checked.value, 10) : null;
      scale.querySelectorAll(".sv-point").forEach(function (point) {
        var input = point.querySelector("input");
        var on = chosen !== null && (scale.classList.contains("sv-display-stars")
          ? parseInt(input.value, 10) <= chosen : input.checked);
        point.classList.toggle("is-on", on);
      });
    });
    root.querySelectorAll(".sv-choice").forEach(function (choice) {
      choice.classList.toggle("is-on", choice.querySelector("input").checked);
    });
  }

  function refresh(root) {
    root = root || document;
    applyBranching(root);
    applyStars(root);
  }

  document.addEventListener("change", function (event) {
    var questions = event.target.closest && event.target.closest(".sv-questions");
    if (questions) refresh(questions.parentNode || document);
  });
  document.addEventListener("reset", function (event) {
    setTimeout(function () { refresh(event.target); }, 0);
  });

  window.ZabotaSurvey = { refresh: refresh };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { refresh(document); });
  } else {
    refresh(document);
  }
})();
