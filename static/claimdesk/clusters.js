// The cluster page: its timeline and outlet charts (Chart.js, from #cluster-charts) and
// the keys of the suggested claims — j/k move, a accepts, c marks as contradicting,
// x rejects — which press the buttons of the current suggestion (the forms work without
// JavaScript too). A refused write (400) is swapped into #cluster-notice.

const charts = [];

function drawCharts() {
  const data = document.getElementById("cluster-charts");
  if (!data || typeof window.Chart === "undefined") return;
  const specs = JSON.parse(data.textContent);
  while (charts.length) charts.pop().destroy();
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const spec = specs[canvas.dataset.chart];
    if (!spec) continue;
    charts.push(
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: [{ label: spec.label, data: spec.data, backgroundColor: "#1f5fa8" }],
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      }),
    );
  }
}

function suggestions() {
  return [...document.querySelectorAll(".cluster-suggestion")];
}

function current() {
  return document.querySelector(".cluster-suggestion.current") || suggestions()[0] || null;
}

function move(step) {
  const items = suggestions();
  if (!items.length) return;
  const at = Math.max(0, items.indexOf(current()));
  const next = items[Math.min(items.length - 1, Math.max(0, at + step))];
  for (const item of items) item.classList.toggle("current", item === next);
  next.focus();
  next.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
    return;
  }
  if (event.key === "j") move(1);
  else if (event.key === "k") move(-1);
  else if (["a", "c", "x"].includes(event.key)) {
    const item = current();
    const button = item && item.querySelector(`button[data-key="${event.key}"]`);
    if (!button) return;
    event.preventDefault();
    button.click();
  } else return;
});

document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("DOMContentLoaded", drawCharts);
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target && event.target.id === "cluster-body") drawCharts();
});
