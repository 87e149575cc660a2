// kefu web chat widget: one conversation per browser (its id in localStorage), kept across reloads and
// reconnects. Every message is put on the page with textContent, never as HTML.
"use strict";
(() => {
  const zh = (navigator.language || "").toLowerCase().startsWith("zh");
  const T = zh
    ? { open: "联系客服", close: "收起", title: "在线客服", send: "发送", placeholder: "输入消息…", typing: "对方正在输入…",
        online: "在线", offline: "重新连接中…", agent: "客服" }
    : { open: "Chat with us", close: "Close", title: "Customer service", send: "Send", placeholder: "Type a message…",
        typing: "typing…", online: "online", offline: "reconnecting…", agent: "agent" };
  const $ = (id) => document.getElementById(id);
  const store = {
    get session() { return localStorage.getItem("kefu_session_id"); },
    set session(v) { localStorage.setItem("kefu_session_id", v); },
    get outbox() { return JSON.parse(localStorage.getItem("kefu_outbox") || "[]"); },
    set outbox(v) { localStorage.setItem("kefu_outbox", JSON.stringify(v)); },
  };
  const seen = new Set();   // keys of messages already on the page
  let socket = null;
  let typingTimer = null;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(turn) {
    const key = turn.message_id ? `m:${turn.message_id}` : `${turn.timestamp}|${turn.text}`;
    if (seen.has(key)) return;
    seen.add(key);
    const li = el("li", turn.who + (turn.pending ? " pending" : ""));
    li.dataset.key = key;
    if (turn.who === "agent") li.append(el("span", "from", `${T.agent} ${turn.agent_name || ""}`.trim()));
    li.append(el("span", "text", turn.text));
    if (turn.buttons && turn.buttons.length) {
      const box = el("div", "buttons");
      for (const b of turn.buttons) {
        const button = el("button", "", b.title);
        button.type = "button";
        button.addEventListener("click", () => send(b.payload, b.title));
        box.append(button);
      }
      li.append(box);
    }
    $("kefu-messages").append(li);
    $("kefu-messages").scrollTop = $("kefu-messages").scrollHeight;
  }

  function typing(on) {
    clearTimeout(typingTimer);
    $("kefu-typing").hidden = !on;
    if (on) typingTimer = setTimeout(() => typing(false), 15000);
  }

  async function loadHistory() {
    const r = await fetch(`/webhooks/webchat/history?session_id=${store.session}`);
    if (!r.ok) return;
    const { turns } = await r.json();
    const pending = new Set(store.outbox.map((m) => m.message_id));
    $("kefu-messages").replaceChildren();
    seen.clear();
    for (const turn of turns) render(turn);
    for (const m of store.outbox) if (pending.has(m.message_id)) render({ who: "buyer", text: m.shown, message_id: m.message_id, pending: true });
  }

  function flush() {
    for (const m of store.outbox) {
      socket.timeout(10000).emit("user_uttered", { session_id: store.session, message: m.message, message_id: m.message_id }, (err, ack) => {
        if (err || !ack || !ack.ok) return;   // no answer: kept in the outbox, resent after the next connect
        store.outbox = store.outbox.filter((x) => x.message_id !== m.message_id);
        const li = document.querySelector(`#kefu-messages li[data-key="m:${m.message_id}"]`);
        if (li) li.classList.remove("pending");
      });
    }
  }

  function send(message, shown) {
    const id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^\w-]/g, "");
    store.outbox = [...store.outbox, { message, shown: shown || message, message_id: id }];
    render({ who: "buyer", text: shown || message, message_id: id, pending: true });
    typing(true);
    if (socket && socket.connected && store.session) flush();
  }

  function connect() {
    socket = io({ path: "/webhooks/webchat/socket.io", transports: ["websocket"] });
    socket.on("connect", () => {
      $("kefu-status").textContent = T.online;
      socket.emit("session_request", { session_id: store.session });
    });
    socket.on("disconnect", () => { $("kefu-status").textContent = T.offline; });
    socket.on("session_confirm", async (sessionId) => {
      store.session = sessionId;
      await loadHistory();   // what was said while away, then what is still unsent
      flush();
    });
    socket.on("bot_uttered", (m) => {
      const meta = m.metadata || {};
      typing(false);
      render({ who: meta.agent_name ? "agent" : "bot", text: m.text, agent_name: meta.agent_name, buttons: m.buttons, timestamp: meta.timestamp });
    });
  }

  $("kefu-toggle").textContent = T.open;
  $("kefu-title").textContent = T.title;
  $("kefu-send").textContent = T.send;
  $("kefu-input").placeholder = T.placeholder;
  $("kefu-typing").textContent = T.typing;
  $("kefu-toggle").addEventListener("click", () => {
    const open = $("kefu-panel").hidden;
    $("kefu-panel").hidden = !open;
    $("kefu-toggle").textContent = open ? T.close : T.open;
    if (open && !socket) connect();
    if (open) $("kefu-input").focus();
  });
  $("kefu-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("kefu-input").value.trim();
    if (!text) return;
    $("kefu-input").value = "";
    send(text);
  });
  if (store.session) $("kefu-toggle").click();   // a returning buyer finds the chat open where they left it
})();
