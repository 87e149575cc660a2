// kefu console: the Trainer view, for trainers and supervisors (GET /training/inbox, POST and DELETE
// /training/decisions). The inbox holds what the bot missed (harvested from the stored conversations, masked);
// the trainer picks the intent a message meant and accepts it (written to the reviewed examples file in Rasa's
// format) or ignores it; `make train` and `make eval` then retrain and compare.
// Uses api(), el(), $, state, showView(), transcriptTurn() and intentPicker() from console.js (loaded before this
// file). Everything from the server is put on the page with textContent.
"use strict";

const trainer = { loads: 0, intents: [], file: "", examples: 0, total: 0 };

const WHY = {  // why a message is in the inbox, as its tags say it
  fallback: "fallback 兜底",
  out_of_scope: "out of scope 超出范围",
  low_confidence: "low confidence 低置信度",
  before_handoff: "before handoff 转人工前",
  flagged: "flagged 坐席标记",
};

document.addEventListener("kefu:view", (event) => {
  if (event.detail === "trainer") loadTrainer();
});
$("tr-form").addEventListener("submit", (event) => { event.preventDefault(); loadTrainer(); });
$("tr-since").addEventListener("change", () => loadTrainer());

// like api(), but a refusal keeps its code (the entry's error line says what happened, in both languages)
async function trainerCall(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(data.reason || `HTTP ${r.status}`);
    err.code = data.error || "";
    throw err;
  }
  return data;
}

async function loadTrainer() {
  const load = ++trainer.loads;  // a newer load (another period) wins
  $("trainer").setAttribute("aria-busy", "true");
  const since = $("tr-since").value;
  try {
    const inbox = await trainerCall("GET", `/training/inbox?since=${encodeURIComponent(since)}&limit=200`);
    if (load !== trainer.loads) return;
    $("tr-error").textContent = "";
    showInbox(inbox);
  } catch (err) {
    if (load !== trainer.loads) return;
    $("tr-error").textContent = `Inbox unavailable 收件箱不可用: ${err.message}`;
  }
  await loadDecided();
  if (load === trainer.loads) $("trainer").setAttribute("aria-busy", "false");
}

function showInbox(inbox) {
  trainer.intents = inbox.intents || [];
  trainer.file = inbox.file;
  trainer.examples = inbox.examples_in_file;
  trainer.total = inbox.total;
  $("tr-inbox").replaceChildren(...inbox.entries.map(entryItem));
  $("tr-empty").hidden = inbox.entries.length > 0;
  showSummary(inbox.reviewed || {}, inbox.below);
}

function showSummary(reviewed, below) {
  if (below !== undefined) trainer.below = below;
  const shown = $("tr-inbox").children.length;
  $("tr-summary").textContent = `${shown} of ${trainer.total} to review 待审核 · low confidence below ${trainer.below} · ` +
    `decided 已处理: ${reviewed.accepted ?? 0} accepted 采纳, ${reviewed.ignored ?? 0} ignored 忽略 · ` +
    `${trainer.file}: ${examplesText(trainer.examples)} 条示例`;
  trainer.reviewed = { accepted: reviewed.accepted ?? 0, ignored: reviewed.ignored ?? 0 };
}

const examplesText = (n) => `${n} example${n === 1 ? "" : "s"}`;
const byCount = (counts) => Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);

// one message of the inbox: what the buyer wrote (masked), how often, why, what the bot thought, what an agent said
function entryItem(entry) {
  const li = el("li", "tr-entry");
  li.dataset.key = entry.key;
  const head = el("div", "tr-head");
  const text = el("q", "tr-text", entry.text);
  text.lang = /[\u3400-\u9fff]/.test(entry.text) ? "zh" : "en";
  head.append(el("span", "tr-count", `×${entry.count}`), text);
  const why = el("div", "tr-why");
  for (const [kind, n] of byCount(entry.why)) {
    why.append(el("span", `tag why-${kind}`, `${WHY[kind] || kind}${n > 1 ? " ×" + n : ""}`), " ");
  }
  if (entry.last_at) why.append(el("span", "rep-note", `last 最近 ${new Date(entry.last_at * 1000).toLocaleString()}`));
  li.append(head, why);
  const guessed = byCount(entry.guessed);
  if (guessed.length) {
    li.append(el("div", "tr-guess", `bot guessed 机器人猜测: ${guessed.map(([i, n]) => `${i} ×${n}`).join(", ")}`));
  }
  if (entry.suggested) {
    const by = (entry.flagged_by || []).join(", ");
    li.append(el("div", "tr-suggested", `suggested 建议: ${entry.suggested}${by ? ` — flagged by ${by} 坐席标记` : ""}`));
  }
  const convs = (entry.conversations || []).slice(0, 5);
  if (convs.length) {
    const links = el("div", "tr-convs", "conversations 会话: ");
    for (const c of convs) {
      const open = el("button", "linkish", c.id);
      open.type = "button";
      open.title = "Read the conversation 查看会话";
      open.addEventListener("click", () => showConversation(c.id, open));
      links.append(open, " ");
    }
    li.append(links);
  }
  const form = el("form", "tr-decide");
  const pick = intentPicker(trainer.intents, entry.suggested);
  pick.setAttribute("aria-label", `Intent of “${entry.text}” 意图`);
  const accept = el("button", "tr-accept", "Accept 采纳");
  accept.type = "submit";
  const ignore = el("button", "tr-ignore", "Ignore 忽略");
  ignore.type = "button";
  const error = el("span", "error tr-entry-error");
  error.setAttribute("role", "alert");
  form.append(pick, accept, ignore, error);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!pick.value) { error.textContent = "Pick an intent first 请先选择意图"; pick.focus(); return; }
    decide(li, entry, { key: entry.key, intent: pick.value }, error);
  });
  ignore.addEventListener("click", () => decide(li, entry, { key: entry.key, ignore: true }, error));
  li.append(form);
  return li;
}

async function decide(li, entry, body, error) {
  error.textContent = "";
  li.setAttribute("aria-busy", "true");
  let done;
  try {
    done = await trainerCall("POST", "/training/decisions", body);
  } catch (err) {
    li.setAttribute("aria-busy", "false");
    const why = {
      already_example: "Already an example 已是训练示例",
      unknown_entry: "No longer in the inbox (decided meanwhile?) — refresh 该条目已不在收件箱，请刷新",
      unknown_intent: "Unknown intent 未知意图",
    }[err.code];
    error.textContent = why ? `${why}: ${err.message}` : err.message;
    return;
  }
  // the next entry takes the focus, so that a keyboard goes on down the list
  const next = li.nextElementSibling || li.previousElementSibling;
  li.remove();
  trainer.total = Math.max(0, trainer.total - 1);
  trainer.file = done.file;
  trainer.examples = done.examples_in_file;
  const reviewed = { ...trainer.reviewed };
  reviewed[done.decision === "ignore" ? "ignored" : "accepted"] += 1;
  showSummary(reviewed);
  $("tr-empty").hidden = $("tr-inbox").children.length > 0;
  const n = done.examples_in_file;
  if (done.decision === "ignore") {
    status(`Ignored “${done.text}” — nothing written; ${done.file} holds ${examplesText(n)}. 已忽略，未写入文件。`);
  } else {
    status(`“${done.text}” → ${done.decision}: written to ${done.file} (${examplesText(n)}) — ` +
      "run `make train` then `make eval` to retrain and compare. " +
      `已写入（共 ${n} 条示例）：运行 make train 再运行 make eval，重新训练并对比。`);
  }
  if (next) next.querySelector("select").focus();
  else $("tr-since").focus();
  await loadDecided();
}

function status(text) {
  $("tr-status").textContent = text;
  $("tr-status").hidden = false;
}

// -- what was decided, newest first, each with an undo ----------------------------------------
async function loadDecided() {
  let data;
  try {
    data = await trainerCall("GET", "/training/decisions?limit=50");
  } catch (err) {
    $("tr-error").textContent = `Decisions unavailable 处理记录不可用: ${err.message}`;
    return;
  }
  $("tr-decided").replaceChildren(...data.decisions.map(decidedItem));
  $("tr-decided-empty").hidden = data.decisions.length > 0;
}

function decidedItem(d) {
  const li = el("li", "tr-done");
  li.dataset.key = d.key;
  const ignored = d.decision === "ignore";
  li.append(el("span", ignored ? "tag tr-ignored" : "tag tr-accepted", ignored ? "ignored 忽略" : d.decision), " ",
    el("q", "tr-text", d.text));
  const when = d.at ? new Date(d.at * 1000).toLocaleString() : "";
  li.append(el("div", "rep-note", `${d.trainer || ""}${when ? " · " + when : ""}`));
  if (d.example) li.append(el("code", "tr-example", `- ${d.example}`));
  const undo = el("button", "tr-undo", "Undo 撤销");
  undo.type = "button";
  const error = el("span", "error");
  error.setAttribute("role", "alert");
  undo.addEventListener("click", async () => {
    try {
      await trainerCall("DELETE", `/training/decisions/${encodeURIComponent(d.key)}`);
    } catch (err) {
      error.textContent = err.code === "not_found" ? `Already undone 已撤销: ${err.message}` : err.message;
      return;
    }
    status(`Undone 已撤销: “${d.text}” is back in the inbox 已回到收件箱` +
      (ignored ? "" : "; its example left the file 示例已从文件删除"));
    await loadTrainer();
    $("tr-since").focus();
  });
  li.append(undo, error);
  return li;
}

// -- a conversation of an entry, read only (a trainer has no chats view) ------------------------
async function showConversation(cid, opener) {
  const dialog = $("tr-dialog");
  $("tr-conv-title").textContent = cid;
  $("tr-conv-error").textContent = "";
  $("tr-transcript").replaceChildren();
  if (!dialog.open) dialog.showModal();
  dialog.addEventListener("close", () => opener.focus(), { once: true });
  try {
    const transcript = await trainerCall("GET", `/conversations/${encodeURIComponent(cid)}/transcript`);
    $("tr-transcript").replaceChildren(...transcript.turns.map((t) => transcriptTurn(cid, t, false)));
  } catch (err) {
    $("tr-conv-error").textContent = `Conversation unavailable 会话不可用: ${err.message}`;
  }
}
