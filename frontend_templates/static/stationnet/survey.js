/* Answers are kept in this browser until the station has them: if a submission is refused or the connection drops,
   going back or reloading the link finds every answer as it was typed. The thanks page forgets them
   (survey-thanks.js). */
(function () {
  var form = document.getElementById("survey-form");
  if (!form) return;
  var key = "stationnet-survey:" + location.pathname;
  var store; try { store = window.sessionStorage; store.getItem(key); } catch (e) { return; }
  var saved = JSON.parse(store.getItem(key) || "null");
  if (saved && !form.querySelector(".field-error")) {
    Object.keys(saved).forEach(function (name) {
      var fields = form.elements[name]; if (!fields) return;
      if (fields.length && fields[0] && fields[0].type === "radio") {
        Array.prototype.forEach.call(fields, function (r) { r.checked = r.value === saved[name]; });
      } else if (!fields.value) { fields.value = saved[name]; }
    });
  }
  function keep() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "submit") return;
      if (el.type === "radio") { if (el.checked) data[el.name] = el.value; } else { data[el.name] = el.value; }
    });
    store.setItem(key, JSON.stringify(data));
  }
  form.addEventListener("change", keep);
  form.addEventListener("input", keep);
  form.addEventListener("submit", keep);
})();
