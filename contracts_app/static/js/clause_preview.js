// Live preview of a clause's contract language: sends the form to the server, which answers with the
// same text the clause schedule export uses, so the preview and the signed document never differ.
(function () {
  "use strict";
  var form = document.getElementById("clause-form");
  var output = document.getElementById("clause-language");
  var problems = document.getElementById("clause-problems");
  if (!form || !output) { return; }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var sequence = 0;

  function show(result) {
    output.textContent = result.language;
    problems.textContent = "";
    (result.problems || []).forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      problems.appendChild(item);
    });
  }

  function refresh() {
    var mine = ++sequence;
    var body = new FormData(form);
    var token = body.get("csrf_token");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) { if (result && mine === sequence) { show(result); } })
      .catch(function () { /* keep the last preview; saving still works */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 200);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
}());
