// Live preview for the authoring editor. Without JavaScript the Preview button does the same on the server.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) { return; }
  var text = document.getElementById("text");
  var preview = document.getElementById("preview");
  var problems = document.getElementById("problems");
  var timer = null;

  function show(body) {
    // The server renders and sanitises the HTML exactly as it does for clinicians' pages.
    preview.innerHTML = body.html;
    problems.textContent = "";
    if (!body.problems.length) {
      var none = document.createElement("li");
      none.textContent = "None.";
      problems.appendChild(none);
    }
    body.problems.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "problem problem-" + p.severity;
      item.textContent = "Line " + p.line + ": " + p.severity + ": " + p.message;
      problems.appendChild(item);
    });
  }

  function refresh() {
    var data = new FormData(form);
    fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) { show(body); } });
  }

  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
}());
