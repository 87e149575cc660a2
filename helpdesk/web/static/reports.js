// kefu console: the supervisors' Reports view (GET /reports, /reports/quality, /reports/staffing).
// Uses api(), el(), $ and state from console.js (loaded before this file) and Chart from chart.umd.js (vendored, chart.js-README.md).
// Everything from the server is put on the page with textContent; colours are set through element.style,
// which the page's Content-Security-Policy allows (a style="" attribute in markup it would not).
"use strict";

const reports = { charts: {}, staffingLoaded: false, loads: 0 };
const DASH = "—";
const DAYS = [["mon", "Mon 周一"], ["tue", "Tue 周二"], ["wed", "Wed 周三"], ["thu", "Thu 周四"],
  ["fri", "Fri 周五"], ["sat", "Sat 周六"], ["sun", "Sun 周日"]];
const COLOURS = ["#3367d6", "#e8710a", "#1e8e3e", "#d93025", "#9334e6", "#12b5cb", "#f9ab00", "#5f6368"];

// -- numbers: every figure with its unit; a figure without data (null) is a dash, never 0 ----------
const isNum = (x) => typeof x === "number" && Number.isFinite(x);
const fmtCount = (x) => (isNum(x) ? x.toLocaleString("en-US", { maximumFractionDigits: 1 }) : DASH);
const fmtPct = (x) => (isNum(x) ? `${(x * 100).toFixed(1)}%` : DASH);
const fmtCsat = (x) => (isNum(x) ? `${x.toFixed(2)} / 5` : DASH);

function fmtDur(s) {
  if (!isNum(s)) return DASH;
  if (s < 120) return `${Math.round(s * 10) / 10} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function fmtWithin(s) {  // a reply-rate threshold: "30 s", "3 min"
  return s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

// -- the view (console.js shows the tabs a role has, and says which one opened) -----------------
document.addEventListener("kefu:view", (event) => {
  if (event.detail === "reports") loadReports();
});
$("rep-form").addEventListener("submit", (event) => { event.preventDefault(); loadReports(); });
$("rep-group").addEventListener("change", () => loadReports());
$("staff-form").addEventListener("submit", (event) => { event.preventDefault(); loadStaffing(); });

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function loadReports() {
  const load = ++reports.loads;  // a newer load (the period or grouping changed meanwhile) wins
  $("reports").setAttribute("aria-busy", "true");
  // empty dates (the first visit): the server's default, the last 7 days in the shop's time zone
  const period = { from: $("rep-from").value, to: $("rep-to").value };
  const staffing = reports.staffingLoaded ? null : loadStaffing();
  // the QA report for exactly the days the figures were read for (the server's dates when none were picked)
  const shown = await loadFigures(period, load);
  await Promise.all([loadQuality(shown || period, load), staffing]);
  if (load === reports.loads) $("reports").setAttribute("aria-busy", "false");
}

async function loadFigures(period, load) {
  const group = $("rep-group").value;
  let data;
  try {
    data = await api("GET", `/reports${query({ ...period, group_by: group })}`);
  } catch (err) {
    if (load === reports.loads) $("rep-error").textContent = `Reports unavailable 报表不可用: ${err.message}`;
    return null;
  }
  if (load !== reports.loads) return null;
  $("rep-error").textContent = "";
  $("rep-from").value = data.period.from;
  $("rep-to").value = data.period.to;
  $("rep-period").textContent = `${data.period.from} – ${data.period.to} (${data.period.timezone})`;
  showTiles(data.totals);
  showCharts(data);
  return { from: data.period.from, to: data.period.to };
}

// -- headline tiles ------------------------------------------------------------------------
function tiles(t) {
  const rates = t.reply_rates || {};
  const within = Object.keys(rates).map(Number).sort((a, b) => a - b);
  const conversion = t.conversion || {};
  return [
    { key: "conversations", en: "Conversations", zh: "会话", value: t.conversations, text: fmtCount(t.conversations),
      sub: `${fmtCount(t.handoffs)} handed off 转人工` },
    { key: "containment", en: "Bot containment", zh: "机器人独立解决率", value: t.containment, text: fmtPct(t.containment),
      sub: "closed with no handoff" },
    { key: "frt_p50_s", en: "First response p50", zh: "首次响应中位数", value: t.frt_p50_s, text: fmtDur(t.frt_p50_s),
      sub: "queued → first human reply" },
    { key: "frt_p90_s", en: "First response p90", zh: "首次响应 P90", value: t.frt_p90_s, text: fmtDur(t.frt_p90_s),
      sub: "9 in 10 answered within" },
    ...within.map((s) => ({ key: `reply_rate_${s}`, en: `Replied within ${fmtWithin(s)}`, zh: `${fmtWithin(s)}回复率`,
      value: rates[String(s)], text: fmtPct(rates[String(s)]), sub: "first reply, of handoffs" })),
    { key: "response_avg_s", en: "Response time avg", zh: "平均响应时长", value: t.response_avg_s, text: fmtDur(t.response_avg_s),
      sub: `p90 ${fmtDur(t.response_p90_s)}` },
    { key: "resolution_rate", en: "Resolution rate", zh: "解决率", value: t.resolution_rate, text: fmtPct(t.resolution_rate),
      sub: `${fmtCount(t.resolved)} resolved · p50 ${fmtDur(t.resolution_p50_s)}` },
    { key: "csat_avg", en: "CSAT", zh: "满意度", value: t.csat_avg, text: fmtCsat(t.csat_avg),
      sub: `${fmtCount(t.csat_responses)} ratings 评价` },
    { key: "csat_response_rate", en: "CSAT response rate", zh: "评价率", value: t.csat_response_rate,
      text: fmtPct(t.csat_response_rate), sub: "ratings / resolved" },
    { key: "messages_per_agent_day", en: "Messages per agent-day", zh: "人均日消息", value: t.messages_per_agent_day,
      text: fmtCount(t.messages_per_agent_day), sub: `${fmtCount(t.agent_messages)} messages · ${fmtCount(t.agent_days)} agent-days` },
    { key: "conversion_rate", en: "Conversion", zh: "咨询转化率", value: conversion.rate, text: fmtPct(conversion.rate),
      sub: `${fmtCount(conversion.converted)} of ${fmtCount(conversion.buyers)} buyers ordered` },
    { key: "reassignments", en: "Reassignments", zh: "转派", value: t.reassignments, text: fmtCount(t.reassignments),
      sub: "chats moved to another agent" },
    { key: "reminders", en: "Reminders", zh: "催回复提醒", value: t.reminders, text: fmtCount(t.reminders),
      sub: "agents reminded of a waiting buyer" },
  ];
}

function showTiles(totals) {
  $("rep-tiles").replaceChildren(...tiles(totals).map((tile) => {
    const div = el("div", "rep-tile");
    div.dataset.figure = tile.key;
    div.dataset.value = isNum(tile.value) ? String(tile.value) : "";
    const label = el("div", "rep-label", tile.en);
    label.append(" ", el("small", "", tile.zh));
    div.append(label, el("div", "rep-value", tile.text), el("div", "rep-sub", tile.sub));
    return div;
  }));
}

// -- charts --------------------------------------------------------------------------------
if (window.Chart) {
  Chart.defaults.animation = false;  // the numbers at once (and screenshots of the finished chart)
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "system-ui, sans-serif";
}

function draw(id, config) {
  if (reports.charts[id]) reports.charts[id].destroy();
  delete reports.charts[id];
  if (!config || !window.Chart) return;
  reports.charts[id] = new Chart($(id), config);
}

function series(groups, figure) {
  return groups.map((g) => (isNum(g[figure]) ? g[figure] : null));
}

function dataset(label, data, n) {
  return { label, data, backgroundColor: COLOURS[n % COLOURS.length], borderColor: COLOURS[n % COLOURS.length],
    spanGaps: false, tension: 0.2 };
}

function axis(format, extra) {
  return { beginAtZero: true, ticks: { callback: (v) => format(v) }, ...extra };
}

// durations are plotted in s, or in min once they pass 3 min, so that the axis steps are round numbers
function timeAxis(datasets) {
  const top = Math.max(0, ...datasets.flatMap((d) => d.data.filter(isNum)));
  const unit = top > 180 ? { div: 60, name: "min" } : { div: 1, name: "s" };
  for (const d of datasets) d.data = d.data.map((v) => (isNum(v) ? v / unit.div : v));
  return {
    scales: { y: axis((v) => `${Math.round(v * 10) / 10} ${unit.name}`) },
    plugins: { tooltip: tooltip((v) => fmtDur(v * unit.div)) },
  };
}

function groupLabel(by, key) {
  if (key === "" || key === null || key === undefined) return "(none 无)";
  if (by === "hour" && /^\d{1,2}$/.test(String(key))) return `${String(key).padStart(2, "0")}:00`;
  return String(key);
}

function tooltip(format) {
  return { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format(ctx.parsed.y ?? ctx.parsed)}` } };
}

function showCharts(data) {
  const groups = data.groups || [];
  const labels = groups.map((g) => groupLabel(data.group_by, g.key));
  const timeline = data.group_by === "day" || data.group_by === "hour";
  const volume = [dataset("handoffs 转人工", series(groups, "handoffs"), 1)];
  if (data.group_by !== "agent") volume.unshift(dataset("conversations 会话", series(groups, "conversations"), 0));
  draw("chart-volume", { type: "bar", data: { labels, datasets: volume },
    options: { scales: { y: axis(fmtCount) }, plugins: { tooltip: tooltip(fmtCount) } } });
  const frt = [dataset("p50", series(groups, "frt_p50_s"), 0), dataset("p90", series(groups, "frt_p90_s"), 3)];
  draw("chart-frt", { type: timeline ? "line" : "bar", data: { labels, datasets: frt }, options: timeAxis(frt) });
  draw("chart-csat", { type: timeline ? "line" : "bar",
    data: { labels, datasets: [dataset("CSAT avg 平均满意度", series(groups, "csat_avg"), 2)] },
    options: { scales: { y: axis((v) => String(v), { max: 5 }) }, plugins: { tooltip: tooltip(fmtCsat) } } });
  const reasons = Object.entries(data.totals.handoff_reasons || {}).sort((a, b) => b[1].count - a[1].count);
  draw("chart-reasons", { type: "doughnut",
    data: { labels: reasons.map(([name, r]) => `${name} ${fmtPct(r.rate)}`),
      datasets: [{ data: reasons.map(([, r]) => r.count), backgroundColor: reasons.map((_, n) => COLOURS[n % COLOURS.length]) }] },
    options: { plugins: { legend: { position: "right" } } } });
  const byAgent = data.group_by === "agent";
  $("agent-chart-note").hidden = byAgent;
  $("chart-agents").parentElement.hidden = !byAgent;
  if (byAgent) {
    const response = [dataset("avg 平均", series(groups, "response_avg_s"), 0), dataset("p90", series(groups, "response_p90_s"), 3)];
    draw("chart-agents", { type: "bar", data: { labels, datasets: response }, options: timeAxis(response) });
  } else {
    draw("chart-agents", null);
  }
}

// -- quality checks ------------------------------------------------------------------------
function row(cells) {
  const tr = el("tr");
  for (const c of cells) tr.append(c instanceof Node ? (() => { const td = el("td"); td.append(c); return td; })() : el("td", "", c));
  return tr;
}

function emptyRow(table, text) {
  const td = el("td", "rep-empty", text);
  td.colSpan = table.tHead.rows[0].cells.length;
  const tr = el("tr");
  tr.append(td);
  return tr;
}

function fill(id, rows, emptyText) {
  const table = $(id);
  table.tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(table, emptyText)]));
}

const actionTag = (action) => el("span", `tag qa-${action}`, action);

async function loadQuality(period, load) {
  let qa;
  try {
    qa = await api("GET", `/reports/quality${query(period)}`);
  } catch (err) {
    if (load !== reports.loads) return;
    $("qa-error").textContent = `Quality report unavailable 质检报告不可用: ${err.message}`;
    for (const id of ["qa-by-agent", "qa-by-rule", "qa-recent"]) fill(id, [], DASH);
    return;
  }
  if (load !== reports.loads) return;
  $("qa-error").textContent = "";
  const none = `${DASH} no findings in this period 本期无记录`;
  fill("qa-by-agent", qa.by_agent.map((a) => row([
    a.name ? `${a.name} (${a.agent})` : a.agent, fmtCount(a.replies), fmtCount(a.blocked), fmtCount(a.warned),
    Object.entries(a.by_rule || {}).map(([rule, n]) => `${rule} ${n}`).join(" · ") || DASH,
  ])), none);
  fill("qa-by-rule", qa.by_rule.map((r) => {
    const name = el("span", "", r.rule);
    if (r.label) name.append(el("small", "rep-sub", ` ${r.label}`));
    return row([name, actionTag(r.action), fmtCount(r.count)]);
  }), none);
  fill("qa-recent", qa.recent.map((f) => row([
    new Date(f.at * 1000).toLocaleString(), f.agent, f.conversation_id, f.rule, actionTag(f.action), f.excerpt || DASH,
  ])), none);
}

// -- staffing: the week heatmap ------------------------------------------------------------
function heatColour(agents, max) {  // none: pale grey; then light to dark blue (1 of a quiet week's 1: mid blue)
  if (!isNum(agents) || agents <= 0) return { bg: "hsl(210, 16%, 95%)", fg: "#667" };
  const lightness = 90 - 58 * Math.min(1, agents / Math.max(3, max));
  return { bg: `hsl(212, 72%, ${lightness}%)`, fg: lightness < 58 ? "#fff" : "#123" };
}

async function loadStaffing() {
  $("staff-error").textContent = "";
  const params = reports.staffingLoaded ? {
    share: $("staff-share").value ? String(Number($("staff-share").value) / 100) : "",
    within_s: $("staff-within").value, weeks: $("staff-weeks").value,
  } : {};  // the first time: the shop's targets (shop.yml staffing)
  let s;
  try {
    s = await api("GET", `/reports/staffing${query(params)}`);
  } catch (err) {
    $("staff-error").textContent = `Staffing forecast unavailable 排班预测不可用: ${err.message}`;
    showHeatmap([]);
    return;
  }
  reports.staffingLoaded = true;
  $("staff-share").value = String(Math.round(s.target.share * 100));
  $("staff-within").value = String(s.target.within_s);
  $("staff-weeks").value = String(s.weeks);
  const peak = s.peak ? `peak ${s.peak.agents} agent${s.peak.agents === 1 ? "" : "s"} on ${s.peak.day} at ${String(s.peak.hour).padStart(2, "0")}:00 · ` : "";
  $("staff-summary").textContent = `Agents needed to answer ${fmtPct(s.target.share)} of chats within ${s.target.within_s} s ` +
    `(Erlang C): ${peak}handle time ${fmtDur(s.handle_s)} (${s.handle_from === "history" ? "measured 实测" : "default 默认"}), ` +
    `arrivals from the last ${s.weeks} weeks, hours in ${s.timezone}.`;
  showHeatmap(s.hours || []);
}

function showHeatmap(hours) {
  const at = new Map(hours.map((h) => [`${h.day}-${h.hour}`, h]));
  const max = Math.max(1, ...hours.map((h) => (isNum(h.agents) ? h.agents : 0)));
  const head = el("tr");
  head.append(el("th", "", ""));
  for (let hour = 0; hour < 24; hour++) head.append(el("th", "", String(hour)));
  $("heatmap").tHead.replaceChildren(head);
  $("heatmap").tBodies[0].replaceChildren(...DAYS.map(([day, label]) => {
    const tr = el("tr");
    tr.append(el("th", "", label));
    for (let hour = 0; hour < 24; hour++) {
      const h = at.get(`${day}-${hour}`);
      const agents = h && isNum(h.agents) ? h.agents : null;
      const td = el("td", "heat", agents === null ? DASH : String(agents));
      const { bg, fg } = heatColour(agents, max);
      td.style.backgroundColor = bg;
      td.style.color = fg;
      td.dataset.agents = agents === null ? "" : String(agents);
      td.title = h ? `${label} ${hour}:00 · ${fmtCount(h.arrivals_per_h)} chats/h · ${agents} agents · ` +
        `service level ${fmtPct(h.service_level)} · ASA ${fmtDur(h.asa_s)} · occupancy ${fmtPct(h.occupancy)}` : DASH;
      tr.append(td);
    }
    return tr;
  }));
  const steps = max <= 10 ? [...Array(max + 1).keys()] : [0, 1, 2, 3, 4, 5].map((n) => Math.round((n * max) / 5));
  const legend = steps.map((n) => {
    const swatch = el("span", "heat-swatch", String(n));
    const { bg, fg } = heatColour(n, max);
    swatch.style.backgroundColor = bg;
    swatch.style.color = fg;
    return swatch;
  });
  $("heat-legend").replaceChildren(el("span", "rep-note", "agents needed 所需坐席:"), ...legend);
}
