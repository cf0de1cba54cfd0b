/* The station's demand form (desk/demand_form.html): the enterprise's name (or its USCC) looked up in the directory,
   and the form filled from the entry picked. The directory's list masks contact details (core.common.masking): the
   entry picked is read whole from its own endpoint. */
(function () {
  var name = document.getElementById("id_enterprise_name"), list = document.getElementById("enterprise-options"), found = {}, timer;
  if (!name || !list) return;
  name.setAttribute("list", "enterprise-options");
  name.setAttribute("autocomplete", "off");
  var fill = {uscc: "uscc", legal_representative: "legal_representative", contact_person: "contact_person", email: "email", phone: "phone", address: "address", district: "district"};
  function json(response) { return response.ok ? response.json() : null; }
  function pick() {
    var row = found[name.value];
    if (!row) return;
    fetch("/api/v1/enterprises/" + encodeURIComponent(row.id) + "/", {credentials: "same-origin"}).then(json).then(function (e) {
      if (!e || e.name !== name.value) return;
      Object.keys(fill).forEach(function (key) { var input = document.getElementById("id_" + key); if (input && e[fill[key]] !== undefined) input.value = e[fill[key]] || ""; });
    });
  }
  name.addEventListener("input", function () {
    clearTimeout(timer);
    if (found[name.value]) { pick(); return; }
    if (name.value.length < 2) return;
    timer = setTimeout(function () {
      fetch("/api/v1/enterprises/?limit=10&q=" + encodeURIComponent(name.value), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (data) {
          list.innerHTML = "";
          (data.results || []).forEach(function (e) {
            found[e.name] = e;
            var option = document.createElement("option");
            option.value = e.name; option.label = e.uscc;
            list.appendChild(option);
          });
        });
    }, 250);
  });
  name.addEventListener("change", pick);
  var uscc = document.getElementById("id_uscc");
  // The code as the directory keeps it (core.directory.uscc.compact): half width, no spaces or hyphens, upper case.
  function compact(value) { return value.normalize("NFKC").replace(/[\s\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]/g, "").toUpperCase(); }
  uscc.addEventListener("change", function () {
    var code = compact(uscc.value);
    if (code.length !== 18) return;
    fetch("/api/v1/enterprises/?limit=1&q=" + encodeURIComponent(code), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {results: []}; })
      .then(function (data) { var e = (data.results || [])[0]; if (e && e.uscc === code) { found[e.name] = e; name.value = e.name; pick(); } });
  });
})();
