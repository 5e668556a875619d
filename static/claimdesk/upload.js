// The upload form's drop zone: files dropped on it go into the file input (which stays
// the way to choose files without a mouse, or without this script), and their names are
// listed under it.
(function () {
  "use strict";

  function listFiles(zone, input) {
    const list = zone.querySelector(".dropzone-files");
    if (!list) return;
    list.replaceChildren();
    for (const file of input.files) {
      const item = document.createElement("li");
      item.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      list.appendChild(item);
    }
  }

  function setUp(zone) {
    const input = zone.querySelector("input[type=file]");
    if (!input) return;
    input.addEventListener("change", function () { listFiles(zone, input); });
    // Files chosen before this script ran (a quick hand, a slow page) are listed too.
    if (input.files.length) listFiles(zone, input);
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-active");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone-active"); });
    }
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      // Keep what was chosen before, and add what was dropped.
      const all = new DataTransfer();
      for (const file of input.files) all.items.add(file);
      for (const file of event.dataTransfer.files) all.items.add(file);
      input.files = all.files;
      listFiles(zone, input);
    });
    // Set up: a drop now goes into the input (tests wait for this mark).
    zone.dataset.ready = "1";
  }

  function init() {
    document.querySelectorAll("[data-dropzone]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
