/* An archive export's page (archive/export.html): its progress, polled from the API until the ZIP is ready. */
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      box.querySelector(".bar").style.width = job.percent + "%";
      box.querySelector(".progress").setAttribute("aria-valuenow", job.percent);
      document.getElementById("percent").textContent = job.percent;
      document.getElementById("status").textContent = job.status_display;
      document.getElementById("error").textContent = job.error;
      document.getElementById("result").hidden = !job.ready;
      if (job.status !== "succeeded" && job.status !== "failed") setTimeout(poll, 700);
    });
  }
  poll();
})();
