// 报表 page: the three charts (Chart.js, served from node_modules by display/vendor.py) drawn
// from the report's figures in #chart-data; the table itself is rendered by the server.
const Chart = window.Chart;
const strings = document.getElementById("strings");
const S = (name) => strings.getAttribute(`data-${name}`) || name;
const fill = (s, v) => s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? String(v[k]) : m));
const charts = {};
window.hallCharts = charts;

const COLORS = { issued: "#7aa7e0", served: "#0b3c7d", bars: "#2e7dd1", rank: "#1f7a3d" };
// a fresh object per chart: Chart.js writes its resolved scales into the options it gets
const base = (more = {}) => ({
  animation: false, // drawn at once: printing and screenshots see the final picture
  responsive: true, maintainAspectRatio: false,
  plugins: { legend: { position: "bottom" } },
  ...more,
});

// "{from}–{to} min" labels of the wait bands (edges in seconds; the last band is open)
function bandLabels(edges) {
  return edges.map((low, i) => (i + 1 < edges.length
    ? fill(S("band"), { low: low / 60, high: edges[i + 1] / 60 })
    : fill(S("band-last"), { low: low / 60 })));
}

// the hours that had any traffic, widened to a working day (08:00–18:00) at least
function hourRange(data) {
  const busy = data.hours.filter((h) => data.issued_by_hour[h] || data.served_by_hour[h]);
  const first = Math.min(8, ...busy);
  const last = Math.max(18, ...busy);
  return data.hours.filter((h) => h >= first && h <= last);
}

function drawHours(data) {
  const hours = hourRange(data);
  charts.hours = new Chart(document.getElementById("chart-hours"), {
    type: "bar",
    data: {
      labels: hours.map((h) => `${String(h).padStart(2, "0")}:00`),
      datasets: [
        { label: S("issued"), data: hours.map((h) => data.issued_by_hour[h]),
          backgroundColor: COLORS.issued },
        { label: S("served"), data: hours.map((h) => data.served_by_hour[h]),
          backgroundColor: COLORS.served },
      ],
    },
    options: base(),
  });
}

function drawWaits(data) {
  charts.waits = new Chart(document.getElementById("chart-waits"), {
    type: "bar",
    data: {
      labels: bandLabels(data.wait_bands_s),
      datasets: [{ label: S("tickets"), data: data.wait_bands, backgroundColor: COLORS.bars }],
    },
    options: base({ plugins: { legend: { display: false } } }),
  });
}

function rankValue(row, measure) {
  const v = row[measure];
  if (v == null) return null;
  if (measure.endsWith("_rate") || measure === "service_level") return Math.round(v * 1000) / 10;
  if (measure.endsWith("_s")) return Math.round(v / 6) / 10; // minutes
  return v;
}

function drawRanking(data, measure) {
  // best first: the most served, the highest rates; waits shortest first
  const ascending = measure === "wait_p50_s";
  const rows = data.rows.map((r) => ({ name: r.name, value: rankValue(r, measure) }))
    .filter((r) => r.value != null)
    .sort((a, b) => (ascending ? a.value - b.value : b.value - a.value));
  const canvas = document.getElementById("chart-ranking");
  canvas.parentElement.style.height = `${Math.max(280, rows.length * 26 + 60)}px`;
  if (charts.ranking) charts.ranking.destroy();
  charts.ranking = new Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => r.name),
      datasets: [{ label: S(`measure-${measure}`), data: rows.map((r) => r.value),
                   backgroundColor: COLORS.rank }],
    },
    options: base({ indexAxis: "y", plugins: { legend: { display: false } } }),
  });
}

function start() {
  // the range's last day only matters for a range
  const period = document.getElementById("period");
  const endLabel = document.getElementById("end-label");
  const showEnd = () => { endLabel.hidden = period.value !== "range"; };
  period.addEventListener("change", showEnd);
  showEnd();

  const holder = document.getElementById("chart-data");
  if (!holder || !Chart) return;
  const data = JSON.parse(holder.dataset.charts);
  drawHours(data);
  drawWaits(data);
  const rankBy = document.getElementById("rank-by");
  drawRanking(data, rankBy.value);
  rankBy.addEventListener("change", () => drawRanking(data, rankBy.value));
  document.body.dataset.charts = "drawn";
}

start();
