/* The demand form's tables (desk/_demand_fields.html, at the station and on the portal): "Add a row" adds an empty
   row from the table's <template> and numbers the rows again. */
document.querySelectorAll(".table-block").forEach(function (block) {
  var prefix = block.dataset.prefix, total = block.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
  function number() { block.querySelectorAll("tbody tr.row").forEach(function (tr, i) { tr.querySelector(".no").textContent = i + 1; }); }
  block.querySelector(".add-row").addEventListener("click", function () {
    var html = block.querySelector("template").innerHTML.replace(/__prefix__/g, total.value);
    block.querySelector("tbody").insertAdjacentHTML("beforeend", html);
    total.value = parseInt(total.value, 10) + 1;
    number();
  });
});
