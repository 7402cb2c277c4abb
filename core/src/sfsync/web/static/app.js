// sfsync web: the little JavaScript the pages use. Every form works without it; only the live
// progress of a sync needs it (without it the page refreshes itself while a sync runs).
"use strict";

// A select marked .autosubmit sends its (GET) form when it changes: the next step shows at once.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select.autosubmit");
  if (select && select.form && select.form.method.toLowerCase() === "get") select.form.submit();
});

// The company search filters the list as one types (the server filters too, on submit).
document.addEventListener("input", (event) => {
  const input = event.target.closest("input.company-search");
  if (!input) return;
  const list = document.getElementById(input.dataset.list);
  if (!list) return;
  const needle = input.value.trim().toLowerCase();
  for (const option of list.options) {
    option.hidden = needle !== "" && !option.textContent.toLowerCase().includes(needle);
  }
});

// Live progress: follow the dossier's sync over server-sent events, then show the result.
function followProgress(section) {
  const source = new EventSource(`/dossiers/${section.dataset.dossier}/progress/events`);
  const stage = section.querySelector(".stage");
  const counts = section.querySelector(".counts");
  source.onmessage = (event) => {
    const state = JSON.parse(event.data);
    if (stage) stage.textContent = state.stage;
    if (counts) counts.textContent = Object.entries(state.counts).map(([k, v]) => `${k}: ${v}`).join(" ");
    if (!state.running && state.status) section.dataset.status = state.status;
  };
  source.addEventListener("done", () => {
    source.close();
    window.location.reload();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("progress");
  if (section && section.dataset.running === "yes") followProgress(section);
});
