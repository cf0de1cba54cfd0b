/* A background job's page (jobs/job.html): its progress, polled from the API until it has succeeded or failed. */
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  // Each count of the summary in words ("共 54 行", "新增 3"), from the box's data-phrase-* attributes: "{n}" stands
  // for the number.
  var phrases = {
    created: box.dataset.phraseCreated, updated: box.dataset.phraseUpdated, kept: box.dataset.phraseKept,
    failed: box.dataset.phraseFailed, rows: box.dataset.phraseRows, pdfs: box.dataset.phrasePdfs,
    documents: box.dataset.phraseDocuments
  };
  function show(job) {
    box.querySelector(".bar").style.width = job.percent + "%";
    box.querySelector(".progress").setAttribute("aria-valuenow", job.percent);
    document.getElementById("percent").textContent = job.percent;
    document.getElementById("status").textContent = job.status_display;
    document.getElementById("counts").textContent = job.done + " / " + job.total;
    document.getElementById("summary").textContent = Object.entries(job.summary).map(function (entry) {
      return (phrases[entry[0]] || entry[0] + " {n}").replace("{n}", entry[1]);
    }).join(" · ");
    document.getElementById("error").textContent = job.error;
    document.getElementById("result").hidden = !job.has_result;
    return job.status === "succeeded" || job.status === "failed";
  }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (job) { if (!show(job)) setTimeout(poll, 500); })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
