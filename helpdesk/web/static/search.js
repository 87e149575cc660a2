// kefu console: the Search & history view, for agents and supervisors (GET /search). A search looks for the words
// in the buyer's name, customer id, order number, conversation id, the bot's summary and the messages; "Resolved
// history" lists the resolved chats, newest first. Results come a page at a time; a click opens the transcript
// read only (GET /conversations/{id}/transcript, the Chats view's transcriptTurn()).
// Uses api(), el(), $ and transcriptTurn() from console.js (loaded before this file). Everything from the server is
// put on the page with textContent.
"use strict";

const finder = { page: 1, perPage: 20, loads: 0, query: null };

const MATCHED = {  // where the words were found, as the result's tag says it
  name: "name 姓名",
  order: "order 订单",
  customer: "customer 客户",
  conversation: "conversation 会话",
  summary: "summary 摘要",
  message: "message 消息",
};
const STATE_LABEL = { resolved: "resolved 已解决", assigned: "in progress 进行中", waiting: "waiting 排队中" };

document.addEventListener("kefu:view", (event) => {
  if (event.detail === "history" && !finder.query) showHistory();
});

$("hs-form").addEventListener("submit", (event) => {
  event.preventDefault();
  finder.page = 1;
  runSearch();
});
$("hs-history").addEventListener("click", showHistory);
$("hs-prev").addEventListener("click", () => { finder.page = Math.max(1, finder.page - 1); runSearch(); });
$("hs-next").addEventListener("click", () => { finder.page += 1; runSearch(); });

function showHistory() {   // the resolved chats, newest first: the same search, without words
  $("hs-q").value = "";
  $("hs-state").value = "resolved";
  finder.page = 1;
  runSearch();
}

function searchQuery() {
  const query = new URLSearchParams({ page: finder.page, per_page: finder.perPage });
  const fields = { q: $("hs-q").value.trim(), from: $("hs-from").value, to: $("hs-to").value,
    state: $("hs-state").value, channel: $("hs-channel").value.trim() };
  for (const [name, value] of Object.entries(fields)) if (value) query.set(name, value);
  return query;
}

async function runSearch() {
  const load = ++finder.loads;   // a newer search wins
  finder.query = searchQuery();
  $("hs-error").textContent = "";
  let found;
  try {
    found = await api("GET", `/search?${finder.query}`);
  } catch (err) {
    if (load === finder.loads) $("hs-error").textContent = err.message;
    return;
  }
  if (load !== finder.loads) return;
  $("hs-results").replaceChildren(...found.results.map(resultItem));
  const first = found.total ? (found.page - 1) * found.per_page + 1 : 0;
  const last = first + found.results.length - (found.results.length ? 1 : 0);
  $("hs-page").textContent = found.total ? `${first}–${last} of ${found.total}` : "";
  $("hs-prev").disabled = found.page <= 1;
  $("hs-next").disabled = found.page * found.per_page >= found.total;
  const what = found.q ? `“${found.q}”` : (STATE_LABEL[found.state] || "all chats 全部会话");
  let summary = `${found.total} found 条结果 · ${what}`;
  if (found.messages_since) {
    summary += ` · messages searched back to 消息搜索至 ${new Date(found.messages_since * 1000).toLocaleDateString()}` +
      " (set dates to search older ones 设定日期可搜索更早的消息)";
  }
  if (found.messages_unavailable) summary += " · messages could not be searched now 消息暂时无法搜索";
  $("hs-summary").textContent = summary;
}

// One result: title, state, channel, category, when, agent, and where the words were found (masked snippet)
function resultItem(r) {
  const li = el("li", `hs-result ${r.state}`);
  li.tabIndex = 0;
  li.dataset.conversation = r.conversation_id;
  li.title = r.conversation_id;
  li.append(el("strong", "", r.title), " ");
  li.append(el("span", "tag", STATE_LABEL[r.state] || r.state), " ");
  li.append(el("span", "tag", r.channel || "?"), " ");
  if (r.matched) li.append(el("span", "tag", `matched: ${MATCHED[r.matched] || r.matched}`), " ");
  const when = new Date((r.resolved_at || r.created_at) * 1000).toLocaleString();
  li.append(el("span", "hs-when", `${r.category || ""} · ${when}${r.agent ? " · " + r.agent : ""}` +
    `${r.rating ? " · ★" + r.rating : ""}`));
  if (r.snippet) li.append(el("span", "hs-snippet", r.snippet));
  const open = () => showSearchedConversation(r, li);
  li.addEventListener("click", open);
  li.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
  return li;
}

async function showSearchedConversation(r, opener) {
  const dialog = $("hs-dialog");
  $("hs-conv-title").textContent = r.title;
  $("hs-conv-id").textContent = r.conversation_id;
  $("hs-conv-error").textContent = "";
  $("hs-transcript").replaceChildren();
  if (!dialog.open) dialog.showModal();
  dialog.addEventListener("close", () => opener.focus(), { once: true });
  try {
    const transcript = await api("GET", `/conversations/${encodeURIComponent(r.conversation_id)}/transcript`);
    $("hs-transcript").replaceChildren(...transcript.turns.map((t) => transcriptTurn(r.conversation_id, t, false)));
  } catch (err) {
    $("hs-conv-error").textContent = `Conversation unavailable 会话不可用: ${err.message}`;
  }
}
