// ketenzorg: small improvements over pages that work without script.
// Tables whose rows a person adds and removes (`data-rows`): the "add a row" button clones the
// template row instead of asking the server for the form again.
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  if (add) {
    const table = document.getElementById(add.dataset.addRow);
    const template = table && table.querySelector("template");
    if (template) {
      event.preventDefault();
      const row = template.content.firstElementChild.cloneNode(true);
      const index = table.querySelectorAll("tbody tr").length;
      row.querySelectorAll("[id]").forEach((el) => { el.id = el.id.replace("__i__", index); });
      row.querySelectorAll("[for]").forEach((el) => { el.htmlFor = el.htmlFor.replace("__i__", index); });
      table.querySelector("tbody").appendChild(row);
      const first = row.querySelector("input, select, textarea");
      if (first) first.focus();
    }
  }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    const row = remove.closest("tr");
    if (row && row.parentElement.children.length > 1) {
      event.preventDefault();
      row.remove();
    }
  }
});
