// Post-test helpers. The page works without them: the Save, Extend and Submit
// buttons are ordinary form posts handled on the server.
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) { return; }
  var status = document.getElementById("save-status");

  // Save each answer to the server as soon as it changes.
  var pending = null;
  function save() {
    var data = new FormData(form);
    fetch(form.dataset.saveUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        status.textContent = body.saved ? "Answers saved." : body.message;
      });
    }).catch(function () {
      status.textContent = "Could not save just now; your answers will be sent when you submit.";
    });
  }
  form.addEventListener("change", function () {
    clearTimeout(pending);
    pending = setTimeout(save, 300);
  });
  form.addEventListener("input", function (event) {
    if (event.target.type === "text") {
      clearTimeout(pending);
      pending = setTimeout(save, 1000);
    }
  });

  // Countdown with a warning two minutes before the end (WCAG 2.2.1).
  var timer = document.querySelector("[data-deadline]");
  if (!timer) { return; }
  var deadline = new Date(timer.dataset.deadline).getTime();
  var left = document.getElementById("time-left");
  var warning = document.getElementById("time-warning");
  function tick() {
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(seconds / 60);
    left.textContent = minutes + " min " + (seconds % 60) + " s left.";
    if (seconds <= 120 && warning.hidden) { warning.hidden = false; }
    if (seconds > 0) { setTimeout(tick, 1000); }
  }
  tick();
}());
