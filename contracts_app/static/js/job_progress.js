// A job's page: polls the job's JSON and moves the <progress> bar until the job has finished.
(function () {
  "use strict";
  var card = document.getElementById("job");
  if (!card) { return; }
  var url = card.getAttribute("data-job-url");
  var bar = document.getElementById("job-progress");
  var status = document.getElementById("job-status");
  var message = document.getElementById("job-message");
  var percent = document.getElementById("job-percent");
  var attempts = document.getElementById("job-attempts");
  var result = document.getElementById("job-result");
  var link = document.getElementById("job-result-link");
  var hint = document.getElementById("job-hint");
  var badges = {queued: "secondary", running: "primary", succeeded: "success", failed: "danger"};

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.total ? state.done : (state.finished ? 1 : 0);
    bar.textContent = state.percent + " %";
    status.textContent = state.status;
    status.className = "badge text-bg-" + (badges[state.status] || "secondary");
    message.textContent = state.message;
    percent.textContent = state.percent;
    attempts.textContent = state.attempts;
    if (state.result_url) {
      link.href = state.result_url;
      link.textContent = state.result_label || "See the result";
      result.classList.remove("d-none");
    }
    var more = document.getElementById("job-result-more");
    if (more && state.result_links && state.result_links.length && !more.childElementCount) {
      state.result_links.forEach(function (extra) {
        var a = document.createElement("a");
        a.className = "btn btn-outline-secondary ms-2";
        a.href = extra.url;
        a.textContent = extra.label;
        a.setAttribute("data-testid", extra.testid);
        more.appendChild(a);
      });
    }
    if (state.finished && hint) { hint.classList.add("d-none"); }
  }

  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        show(state);
        if (!state.finished) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  if (status.textContent !== "succeeded" && status.textContent !== "failed") { window.setTimeout(poll, 500); }
})();
