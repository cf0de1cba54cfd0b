/* The bureau's new station form (console/station_new.html): the station's host name shown as its code is typed. The
   form names its code input and the base domain (data-code-input, data-base-domain). */
(function () {
  var form = document.getElementById("station-new"), preview = document.getElementById("host-preview");
  var code = form && preview && document.getElementById(form.dataset.codeInput);
  if (!code) return;
  code.addEventListener("input", function () {
    preview.textContent = (code.value.trim().toLowerCase() || "<code>") + "." + form.dataset.baseDomain;
  });
})();
