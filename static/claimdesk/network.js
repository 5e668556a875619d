// The discourse network page: draws the graph the page embeds (#network-data) with
// Cytoscape.js (node_modules/cytoscape, served as vendor/cytoscape). Clicking an edge
// loads the claims behind it into #edge-claims through htmx. The table of edges below
// the graph has the same data; without JavaScript it is the page.

const FAVOR = "#22663a";
const AGAINST = "#a4262c";
const NEUTRAL = "#8a8f98";
let graph = null;

function edgeColour(sign) {
  if (sign > 0) return FAVOR;
  if (sign < 0) return AGAINST;
  return NEUTRAL;
}

function draw() {
  const data = document.getElementById("network-data");
  const box = document.getElementById("network-graph");
  if (!data || !box || typeof window.cytoscape === "undefined") return;
  const net = JSON.parse(data.textContent);
  if (graph) graph.destroy();
  const maxWeight = Math.max(1, ...net.edges.map((e) => e.weight));
  graph = window.cytoscape({
    container: box,
    elements: [
      ...net.nodes.map((n) => ({
        data: { id: n.id, label: n.label, kind: n.kind, claims: n.claims },
      })),
      ...net.edges.map((e) => ({
        data: {
          id: e.id,
          source: e.source,
          target: e.target,
          weight: e.weight,
          colour: edgeColour(e.sign),
          width: 1 + (7 * e.weight) / maxWeight,
        },
      })),
    ],
    style: [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "font-size": 10,
          "background-color": "#1f5fa8",
          width: 14,
          height: 14,
        },
      },
      {
        selector: "node[kind = 'target']",
        style: { shape: "round-rectangle", "background-color": "#8a5a00", width: 22, height: 22 },
      },
      {
        selector: "edge",
        style: { width: "data(width)", "line-color": "data(colour)", opacity: 0.7 },
      },
      { selector: "edge:selected", style: { opacity: 1, "line-style": "dashed" } },
      // Carrying: an arrow from the carrier to the source it took the claim from.
      ...(net.directed
        ? [{ selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "data(colour)" } }]
        : []),
    ],
    layout: { name: net.edges.length > 400 ? "circle" : "cose", animate: false },
  });
  box.dataset.drawn = String(net.nodes.length);
  box.dataset.drawnEdges = String(graph.edges().length);
  box.cy = graph; // what is drawn, for the browser tests (and the console)
  graph.on("tap", "edge", (event) => {
    const edge = event.target.data();
    const base = box.dataset.edgeUrl;
    const sep = base.includes("?") ? "&" : "?";
    const url = `${base}${sep}a=${encodeURIComponent(edge.source)}&b=${encodeURIComponent(edge.target)}`;
    if (window.htmx) window.htmx.ajax("GET", url, { target: "#edge-claims" });
  });
}

document.addEventListener("DOMContentLoaded", draw);
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target && event.target.id === "analysis-results") draw();
});
