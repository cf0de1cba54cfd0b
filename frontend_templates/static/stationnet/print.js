/* A "Print" button (`<button type="button" data-print>`): the browser's print dialogue. */
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
