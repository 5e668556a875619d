// Small behaviour the browser must do: close the project switcher on Escape or outside click.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.switcher[open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.switcher[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  }
});
