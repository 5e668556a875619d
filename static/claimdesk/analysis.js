// Charts of the corpus overview, drawn with Chart.js (node_modules/chart.js, served as
// vendor/chartjs) from the JSON the page embeds (#analysis-charts). Every chart has a table
// with the same numbers beside it; without JavaScript the tables are the page.

const COLOURS = ["#1f5fa8", "#22663a", "#a4262c", "#8a5a00", "#5b3c88", "#2f7f86", "#5b6168"];
const charts = new Map();

function draw(root) {
  const data = root.querySelector("#analysis-charts");
  if (!data || typeof window.Chart === "undefined") return;
  const specs = JSON.parse(data.textContent);
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  for (const canvas of root.querySelectorAll("canvas[data-chart]")) {
    const spec = specs[canvas.dataset.chart];
    if (!spec) continue;
    charts.set(
      canvas,
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: [
            {
              label: spec.label,
              data: spec.data,
              backgroundColor: spec.labels.map((_, i) => COLOURS[i % COLOURS.length]),
            },
          ],
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          indexAxis: spec.labels.length > 6 ? "y" : "x",
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
        },
      }),
    );
  }
}

document.addEventListener("DOMContentLoaded", () => draw(document));
// A filter change swaps the results region (htmx): draw its charts again.
document.addEventListener("htmx:afterSettle", () => draw(document));
