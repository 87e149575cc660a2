// kefu agent console. Everything a buyer or an agent wrote is put on the page with textContent, never as HTML.
"use strict";

const state = { me: null, csrf: "", open: null, library: [], ws: null, heartbeat: null, titles: {} };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.reason || `HTTP ${r.status}`);
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// -- login -------------------------------------------------------------------------------
async function start(me) {
  state.me = me;
  state.csrf = me.csrf;
  $("login").hidden = true;
  $("app").hidden = false;
  $("me-name").textContent = me.name || me.agent;
  $("me-role").textContent = me.role;
  $("supervisor").hidden = me.role !== "supervisor";
  // reports.js (the supervisors' Reports view) and trainer.js (the Trainer view) start from this, with api(),
  // el() and state of this file
  document.dispatchEvent(new CustomEvent("kefu:login", { detail: me }));
  const views = VIEWS[me.role] || VIEWS.agent;
  document.querySelectorAll("#views button[data-view]").forEach((tab) => { tab.hidden = !views.includes(tab.dataset.view); });
  $("views").hidden = views.length < 2;
  showView(views[0]);
  if (!views.includes("chats")) {  // a trainer takes no chats: no status, no live queue, no heartbeat
    $("status-label").hidden = true;
    $("live-state").hidden = true;
    return;
  }
  state.library = (await api("GET", "/quick-replies")).quick_replies;
  showPersonal();
  connectLive();
  await refresh();
  const mine = (await api("GET", `/agents/${me.agent}`));
  $("status").value = mine.status || "offline";
  beat();
}

// -- views: the tabs a role has (reports.js and trainer.js load theirs on "kefu:view") ----------------
const VIEWS = { agent: ["chats", "history"], supervisor: ["chats", "history", "reports", "trainer"], trainer: ["trainer"] };

function showView(name) {
  document.querySelectorAll("#views button[data-view]").forEach((tab) => {
    const on = tab.dataset.view === name;
    tab.setAttribute("aria-pressed", String(on));
    $(tab.dataset.view).hidden = !on;
  });
  document.dispatchEvent(new CustomEvent("kefu:view", { detail: name }));
}

document.querySelectorAll("#views button[data-view]").forEach((tab) => {
  tab.addEventListener("click", () => showView(tab.dataset.view));
});

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    await start(await api("POST", "/auth/login", { agent: $("login-agent").value.trim(), password: $("login-password").value }));
  } catch (err) {
    $("login-error").textContent = err.message;
  }
});

$("logout").addEventListener("click", async () => {
  await api("POST", "/auth/logout").catch(() => {});
  location.reload();
});

$("status").addEventListener("change", async () => {
  await api("POST", `/agents/${state.me.agent}/status`, { status: $("status").value });
  beat();
  refresh();
});

function beat() {
  clearInterval(state.heartbeat);
  if ($("status").value === "offline") return;
  state.heartbeat = setInterval(() => api("POST", `/agents/${state.me.agent}/heartbeat`).catch(() => {}), 20000);
}

// -- live updates ------------------------------------------------------------------------
function connectLive() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/live`);
  state.ws = ws;
  ws.onopen = () => { $("live-state").textContent = "live"; };
  ws.onclose = () => { $("live-state").textContent = "reconnecting…"; setTimeout(connectLive, 2000); };
  ws.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.kind === "ping") return;
    if (event.kind === "assigned" && event.agent === state.me.agent) notify();
    if (event.kind === "reminded" && event.agent === state.me.agent) document.title = "⏰ reply waiting · kefu";
    if (event.kind === "delivery_failed" && event.agent === state.me.agent) document.title = "⚠ not delivered · kefu";
    scheduleRefresh(event.conversation_id);
  };
}

let refreshTimer = null;
function scheduleRefresh(conversationId) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    await refresh();
    if (conversationId && conversationId === state.open) openConversation(state.open);
  }, 150);
}

function notify() {
  document.title = "● new chat · kefu";
  try {
    const ctx = new AudioContext();
    const tone = ctx.createOscillator();
    tone.connect(ctx.destination);
    tone.start();
    tone.stop(ctx.currentTime + 0.15);
  } catch (err) { /* no sound available */ }
}

// -- the inbox ---------------------------------------------------------------------------
function colour(chat) {
  if (chat.state === "waiting" || chat.unreplied) return "red";         // the buyer is waiting for an answer
  if (chat.agent && chat.agent !== state.me.agent) return "yellow";     // someone else is on it
  return "green";                                                       // answered
}

// One chat in a list: its title (the buyer's name, else channel and short id; the full id in data-conversation),
// tags, and how long since the handoff
function inboxItem(chat, extra) {
  const li = el("li", colour(chat));
  if (chat.conversation_id === state.open) li.classList.add("open");
  li.dataset.conversation = chat.conversation_id;
  li.title = chat.conversation_id;
  li.append(el("strong", "", chat.title || chat.conversation_id), " ");
  li.append(el("span", "tag", chat.channel || "?"), " ");
  if (Number(chat.priority) > 0) li.append(el("span", "tag", `P${chat.priority}`), " ");
  if (chat.vip) li.append(el("span", "tag", "VIP"), " ");
  const who = chat.state === "assigned" && chat.agent !== state.me.agent ? ` · ${chat.agent_name}` : "";
  li.append(el("span", "", `${chat.category || ""} · ${Math.floor(chat.waiting_s / 60)} min${who}`));
  if (extra) li.append(extra);
  li.addEventListener("click", () => openConversation(chat.conversation_id));
  return li;
}

// the paged list: which view, which filters, which page (one GET /inbox fills the whole column)
const listing = { view: "waiting", page: 1, perPage: 50, filters: {} };

function claimButton(chat) {
  const claim = el("button", "", "Claim");
  claim.addEventListener("click", async (event) => {
    event.stopPropagation();
    try { await api("POST", `/conversations/${encodeURIComponent(chat.conversation_id)}/claim`, {}); openConversation(chat.conversation_id); }
    catch (err) { $("action-error").textContent = err.message; }
  });
  return claim;
}

function reassignControls(chat, agents) {   // a supervisor moves anyone's chat
  const box = el("span", "reassign");
  const pick = el("select");
  for (const a of agents) if (a.id !== chat.agent) { const o = el("option", "", a.name); o.value = a.id; pick.append(o); }
  const move = el("button", "", "Reassign");
  move.addEventListener("click", async (event) => {
    event.stopPropagation();
    try { await api("POST", `/conversations/${encodeURIComponent(chat.conversation_id)}/transfer`, { to_agent: pick.value, as_supervisor: true }); refresh(); }
    catch (err) { $("action-error").textContent = err.message; }
  });
  pick.addEventListener("click", (event) => event.stopPropagation());
  box.append(pick, move);
  return box;
}

function showCounts(c) {
  const priorities = Object.entries(c.waiting_by_priority).filter(([p]) => Number(p) > 0).map(([p, n]) => `P${p} ${n}`);
  const parts = [`waiting 排队 ${c.waiting}${priorities.length ? ` (${priorities.join(", ")})` : ""}`,
    `in progress 进行中 ${c.assigned}`, `unanswered 待回复 ${c.unreplied}`];
  if (c.waiting) parts.push(`oldest wait 最久 ${Math.floor(c.oldest_wait_s / 60)} min`);
  $("counts").textContent = parts.join(" · ");
}

function showFilters(facets) {   // each select keeps its choice and offers what the live chats have
  for (const select of $("filters").querySelectorAll("select")) {
    const chosen = listing.filters[select.name] || "";
    const values = new Set([...(facets[select.name] || []), ...(chosen ? [chosen] : [])]);
    select.replaceChildren(select.options[0], ...[...values].map((v) => { const o = el("option", "", v); o.value = v; return o; }));
    select.value = chosen;
  }
}

async function refresh() {
  const query = new URLSearchParams({ view: listing.view, page: listing.page, per_page: listing.perPage });
  for (const [name, value] of Object.entries(listing.filters)) if (value) query.set(name, value);
  const inbox = await api("GET", `/inbox?${query}`);
  if (!inbox.chats.length && listing.page > 1) {   // the list got shorter under us: show its last page
    listing.page = Math.max(1, Math.ceil(inbox.total / inbox.per_page));
    return refresh();
  }
  for (const c of [...inbox.mine, ...inbox.chats]) state.titles[c.conversation_id] = c.title;
  $("alerts").replaceChildren(...inbox.alerts.map((a) => el("li", "", a.text)));
  $("alerts").hidden = inbox.alerts.length === 0;
  showCounts(inbox.counts);
  showFilters(inbox.facets);
  $("mine").replaceChildren(...inbox.mine.map((c) => inboxItem(c)));
  const supervisor = state.me.role === "supervisor";
  $("chat-list").replaceChildren(...inbox.chats.map((c) =>
    inboxItem(c, c.state === "waiting" ? claimButton(c) : supervisor ? reassignControls(c, inbox.agents) : null)));
  const first = inbox.total ? (inbox.page - 1) * inbox.per_page + 1 : 0;
  $("page-info").textContent = `${first}–${first + inbox.chats.length - (inbox.total ? 1 : 0)} of ${inbox.total}`;
  $("page-prev").disabled = inbox.page <= 1;
  $("page-next").disabled = inbox.page * inbox.per_page >= inbox.total;
  $("transfer-to").replaceChildren(...inbox.agents.filter((a) => a.id !== state.me.agent)
    .map((a) => { const o = el("option", "", `${a.name} (${a.status}, ${a.load}/${a.capacity})`); o.value = a.id; return o; }));
  if (supervisor) {
    $("agents").tBodies[0].replaceChildren(...inbox.agents.map((a) => {
      const tr = el("tr");
      tr.append(el("td", "", a.name), el("td", "", a.status), el("td", "", `${a.load}/${a.capacity}`));
      return tr;
    }));
  }
}

document.querySelectorAll("#lists button").forEach((tab) => tab.addEventListener("click", () => {
  listing.view = tab.dataset.list;
  listing.page = 1;
  document.querySelectorAll("#lists button").forEach((b) => b.setAttribute("aria-pressed", String(b === tab)));
  refresh();
}));
$("filters").addEventListener("change", (event) => {
  listing.filters[event.target.name] = event.target.value;
  listing.page = 1;
  refresh();
});
$("page-prev").addEventListener("click", () => { listing.page = Math.max(1, listing.page - 1); refresh(); });
$("page-next").addEventListener("click", () => { listing.page += 1; refresh(); });

// -- one conversation --------------------------------------------------------------------
async function openConversation(cid) {
  state.open = cid;
  $("conversation").hidden = false;
  $("customer").hidden = false;
  $("action-error").textContent = "";
  $("conv-title").textContent = state.titles[cid] || cid;
  $("conv-title").title = cid;
  const [transcript, customer] = await Promise.all([
    api("GET", `/conversations/${encodeURIComponent(cid)}/transcript`),
    api("GET", `/conversations/${encodeURIComponent(cid)}/customer`),
  ]);
  // an open "Bot misunderstood" picker moves to the redrawn line, with its focus
  const focused = flagging && flagging.form.contains(document.activeElement) ? document.activeElement : null;
  if (flagging && flagging.cid !== cid) flagging.close(false);
  const seen = Number(transcript.channel_state.read_up_to || 0);   // ms: the buyer saw the chat up to then
  const turns = transcript.turns.map((t) => {
    const li = transcriptTurn(cid, t, true);
    if (t.who === "agent" && seen && t.at && t.at * 1000 <= seen) li.append(el("span", "read", "✓ read 已读"));
    return li;
  });
  for (const f of [...transcript.delivery_failures].reverse()) {  // the buyer never got these: say so
    const li = el("li", "undelivered");
    li.append(el("span", "who", "not delivered · 未送达"), el("span", "text", f.text), el("span", "who", f.reason));
    turns.push(li);
  }
  if (seen) turns.push(el("li", "status", `read by the buyer · 买家已读 ${new Date(seen).toLocaleTimeString()}`));
  if (Number(transcript.channel_state.closed_at || 0) > Number(transcript.channel_state.last_message_at || 0)) {
    turns.push(el("li", "status", "the buyer closed the chat on the marketplace · 买家已关闭会话"));
  }
  $("transcript").replaceChildren(...turns);
  if (flagging && !flagging.form.isConnected) flagging.close(false);  // its line is gone
  if (focused && focused.isConnected) focused.focus();
  else $("transcript").scrollTop = $("transcript").scrollHeight;
  const profile = customer.known
    ? [["name", customer.name], ["email", customer.email], ["phone", customer.phone], ["VIP", customer.vip ? "yes" : "no"]]
    : [["buyer", customer.store_error ? "shop data unavailable: " + customer.store_error : "not identified"],
       ["VIP", customer.vip ? "yes" : "no"]];
  $("customer-profile").replaceChildren(...profile.flatMap(([k, v]) => [el("dt", "", k), el("dd", "", v)]));
  $("customer-orders").replaceChildren(...customer.orders.map((o) =>
    el("li", "", `${o.number} · ${o.status}${o.tracking_no ? " · " + o.tracking_no : ""} · $${o.total}`)));
  $("customer-handoffs").replaceChildren(...customer.handoffs.map((h) =>
    el("li", "", `${new Date(h.created_at * 1000).toLocaleString()} · ${h.category} · ${h.state}` +
      `${h.agent ? " · " + h.agent : ""}${h.rating ? " · ★" + h.rating : ""}`)));
  const notes = await api("GET", `/conversations/${encodeURIComponent(cid)}/notes`);
  $("notes").replaceChildren(...notes.notes.map((n) => el("li", "", `${n.agent}: ${n.text}`)));
  document.querySelectorAll(".inbox li").forEach((li) => li.classList.toggle("open", li.dataset.conversation === cid));
}

// One line of a transcript (also the Trainer view's, read only). A buyer line shows, small, what the bot
// understood (intent and confidence, when the tracker has them) and whether an agent flagged it; with `flaggable`,
// a "Bot misunderstood" button opens an intent picker that tells the trainers what the buyer meant.
function transcriptTurn(cid, t, flaggable) {
  const li = el("li", t.who);
  li.append(el("span", "who", t.who === "agent" ? `agent ${t.agent}` : t.who), el("span", "text", t.text));
  for (const f of t.attachments || []) li.append(keptFile(f));
  if (t.who !== "buyer") return li;
  const meta = el("div", "turn-meta");
  if (t.intent) {
    const confidence = typeof t.confidence === "number" ? ` ${t.confidence.toFixed(2)}` : "";
    meta.append(el("span", "bot-guess", `bot: ${t.intent}${confidence}`));
  }
  const flagged = el("span", "flagged", t.flagged ? `flagged: ${t.flagged}` : "");
  flagged.hidden = !t.flagged;
  meta.append(flagged);
  if (flaggable && t.at) {
    li.dataset.at = String(t.at);
    const button = el("button", "flag-turn", "Bot misunderstood 机器人理解错了");
    button.type = "button";
    button.title = "Tell the trainers what the buyer meant 告诉训练师买家的真实意图";
    button.addEventListener("click", () => openFlagPicker(cid, t, li));
    meta.append(button);
    if (flagging && flagging.cid === cid && flagging.at === t.at) {  // open while the transcript was redrawn
      button.hidden = true;
      meta.append(flagging.form);
    }
  }
  li.append(meta);
  return li;
}

// a photo in a transcript (a click opens it whole), or a link to another kind of file
function keptFile(f) {
  const href = `/files/${encodeURIComponent(f.file)}`;
  const link = el("a", "kept-file");
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener";
  if (f.type.startsWith("image/")) {
    const img = el("img");
    img.src = href;
    img.alt = f.name || "photo 图片";
    img.loading = "lazy";
    link.append(img);
  } else {
    link.textContent = `${f.name || f.file} (${Math.ceil(f.size / 1024)} KB)`;
  }
  return link;
}

// the intents an agent may flag a line with: asked once per page (GET /training/intents)
let intentsOnce = null;
function trainingIntents() {
  intentsOnce = intentsOnce || api("GET", "/training/intents").then((r) => r.intents)
    .catch((err) => { intentsOnce = null; throw err; });
  return intentsOnce;
}

// a <select> of the intents grouped by category (<optgroup>), with an empty first choice
function intentPicker(intents, selected) {
  const pick = el("select", "intent-picker");
  const none = el("option", "", "— pick an intent 选择意图 —");
  none.value = "";
  pick.append(none);
  const groups = new Map();
  for (const { intent, category } of intents) {
    if (!groups.has(category)) {
      groups.set(category, el("optgroup"));
      groups.get(category).label = category || "other";
      pick.append(groups.get(category));
    }
    const option = el("option", "", intent);
    option.value = intent;
    groups.get(category).append(option);
  }
  pick.value = selected && intents.some((i) => i.intent === selected) ? selected : "";
  return pick;
}

// The open picker, one at a time. Live events redraw the transcript (openConversation): the form itself is
// carried over to the redrawn line (transcriptTurn), so a half-made choice and the focus survive a new message.
let flagging = null;

async function openFlagPicker(cid, t, li) {
  if (flagging) flagging.close(false);
  const form = el("form", "flag-form");
  const error = el("span", "error");
  error.setAttribute("role", "alert");
  const line = () => form.closest("li") || li;  // the line the form is on now (redraws move it)
  const close = (focus) => {
    const button = line().querySelector(".flag-turn");
    form.remove();
    if (flagging && flagging.form === form) flagging = null;
    if (button) { button.hidden = false; if (focus) button.focus(); }
  };
  flagging = { cid, at: t.at, form, close };
  li.querySelector(".flag-turn").hidden = true;
  li.querySelector(".turn-meta").append(form);
  let pick;
  try {
    pick = intentPicker(await trainingIntents(), t.flagged);
  } catch (err) {
    error.textContent = `Intents unavailable 无法加载意图: ${err.message}`;
    form.append(error);
    setTimeout(() => close(false), 4000);
    return;
  }
  pick.setAttribute("aria-label", "What the buyer meant 买家的意图");
  const send = el("button", "", "Flag 标记");
  send.type = "submit";
  const cancel = el("button", "", "Cancel 取消");
  cancel.type = "button";
  cancel.addEventListener("click", () => close(true));
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") close(true); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pick.value) { error.textContent = "Pick an intent first 请先选择意图"; return; }
    try {
      const r = await api("POST", `/conversations/${encodeURIComponent(cid)}/flags`, { at: t.at, intent: pick.value });
      const flagged = line().querySelector(".flagged");
      flagged.textContent = `flagged: ${r.intent}`;
      flagged.hidden = false;
      close(true);
    } catch (err) { error.textContent = err.message; }
  });
  form.append(pick, send, cancel, error);
  pick.focus();
}

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("reply").value.trim();
  if (!text || !state.open) return;
  try {
    await sendReply(text);
    $("reply").value = "";
    $("shortcuts").hidden = true;
    openConversation(state.open);
  } catch (err) {
    $("action-error").textContent = err.message;
  }
});

// the paper clip: the chosen file is the request's body; the server checks it (size, type, what its bytes are) and sends it
$("attach").addEventListener("click", () => $("attach-file").click());
$("attach-file").addEventListener("change", async () => {
  const file = $("attach-file").files[0];
  $("attach-file").value = "";
  if (!file || !state.open) return;
  $("action-error").textContent = "";
  try {
    const r = await fetch(`/conversations/${encodeURIComponent(state.open)}/files?name=${encodeURIComponent(file.name)}`, {
      method: "POST", credentials: "same-origin", body: file,
      headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": state.csrf },
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.reason || `HTTP ${r.status}`);
    openConversation(state.open);
  } catch (err) {
    $("action-error").textContent = `File not sent 文件未发送: ${err.message}`;
  }
});

// The server checks every reply against the shop's quality rules first. A blocked reply is not sent (it stays in
// the box) and a sent one may carry warnings: either way each finding's message is a line of #qa-notice under
// the reply box (li.qa-block / li.qa-warn), until the next send.
async function sendReply(text) {
  let notice = $("qa-notice");
  if (!notice) {
    notice = el("ul", "qa-notice");
    notice.id = "qa-notice";
    notice.setAttribute("role", "status");
    $("reply-form").after(notice);
  }
  notice.replaceChildren();
  notice.hidden = true;
  $("action-error").textContent = "";
  const r = await fetch(`/conversations/${encodeURIComponent(state.open)}/reply`, {
    method: "POST", credentials: "same-origin", body: JSON.stringify({ text }),
    headers: { "Content-Type": "application/json", "X-CSRF-Token": state.csrf },
  });
  const data = await r.json().catch(() => ({}));
  const findings = (r.ok ? data.qa : data.findings) || [];
  notice.classList.toggle("qa-blocked", data.error === "qa_blocked");
  notice.replaceChildren(...findings.map((f) => el("li", f.action === "block" ? "qa-block" : "qa-warn", f.message)));
  notice.hidden = findings.length === 0;
  if (data.error === "qa_blocked") throw new Error("Not sent: the quality check blocked it (see below). 未发送");
  if (!r.ok) throw new Error(data.reason || `HTTP ${r.status}`);
}

$("resolve").addEventListener("click", async () => {
  try {
    await api("POST", `/conversations/${encodeURIComponent(state.open)}/resolve`, {});
    $("conversation").hidden = true;
    $("customer").hidden = true;
    state.open = null;
    refresh();
  } catch (err) { $("action-error").textContent = err.message; }
});

$("transfer").addEventListener("click", async () => {
  try {
    await api("POST", `/conversations/${encodeURIComponent(state.open)}/transfer`, { to_agent: $("transfer-to").value });
    refresh();
  } catch (err) { $("action-error").textContent = err.message; }
});

// -- quick replies: "/" then live search; Enter or a click puts the filled text in the box --
$("reply").addEventListener("input", () => {
  const match = /^\/(\S*)$/.exec($("reply").value);
  if (!match) { $("shortcuts").hidden = true; return; }
  const term = match[1].toLowerCase();
  const hits = state.library.filter((q) => q.shortcut.toLowerCase().includes(term) || q.en.toLowerCase().includes(term) || q.zh.includes(term));
  $("shortcuts").replaceChildren(...hits.map((q, i) => {
    const div = el("div", i === 0 ? "active" : "", `/${q.shortcut} — ${q.en}`);
    div.dataset.shortcut = q.shortcut;
    div.addEventListener("click", () => useShortcut(q.shortcut));
    return div;
  }));
  $("shortcuts").hidden = hits.length === 0;
});

// the buyer sees "agent is typing" (web chat): one notice every 2 s of typing is enough, and the server drops extras
let typingSentAt = 0;
$("reply").addEventListener("input", () => {
  const text = $("reply").value;
  if (!state.open || !text.trim() || text.startsWith("/") || Date.now() - typingSentAt < 2000) return;
  typingSentAt = Date.now();
  api("POST", `/conversations/${encodeURIComponent(state.open)}/typing`, {}).catch(() => {});   // best effort
});

$("reply").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !$("shortcuts").hidden) {
    event.preventDefault();
    const active = $("shortcuts").querySelector(".active");
    if (active) useShortcut(active.dataset.shortcut);
  } else if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("reply-form").requestSubmit();
  }
});

async function useShortcut(shortcut) {
  const filled = await api("POST", `/conversations/${encodeURIComponent(state.open)}/quick-reply`, { shortcut });
  $("reply").value = filled.text;
  $("shortcuts").hidden = true;
  $("reply").focus();
}

$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("note").value.trim();
  if (!text || !state.open) return;
  await api("POST", `/conversations/${encodeURIComponent(state.open)}/notes`, { text });
  $("note").value = "";
  openConversation(state.open);
});

// -- the agent's own quick replies ---------------------------------------------------------
function showPersonal() {
  $("personal-replies").replaceChildren(...state.library.filter((q) => q.personal).map((q) => {
    const li = el("li", "", `/${q.shortcut} — ${q.en}`);
    const del = el("button", "", "Delete");
    del.type = "button";
    del.addEventListener("click", async () => {
      await api("DELETE", `/quick-replies/${encodeURIComponent(q.shortcut)}`);
      state.library = (await api("GET", "/quick-replies")).quick_replies;
      showPersonal();
    });
    li.append(" ", del);
    return li;
  }));
}

$("reply-editor").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/quick-replies", { shortcut: $("qr-shortcut").value.trim(), en: $("qr-en").value, zh: $("qr-zh").value });
    state.library = (await api("GET", "/quick-replies")).quick_replies;
    $("reply-editor").reset();
    showPersonal();
  } catch (err) { $("action-error").textContent = err.message; }
});

// a console still logged in (the cookie) goes straight in
api("GET", "/auth/me").then(start).catch(() => {});
