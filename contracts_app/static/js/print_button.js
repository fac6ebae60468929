// A "Print" button on a page made to be printed (the renewal summary): the CSP forbids inline script.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
