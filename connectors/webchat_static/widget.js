// kefu web chat widget. A shop pastes one tag into its own pages:
//   <script src="https://chat.example.com/webhooks/webchat/embed.js" data-lang="auto" async></script>
// The server serves this file inside embed.js (connectors/webchat.py embed_script), which gives it `io`
// (socket.io's client, in a module of its own: no global on the shop's page) and `KEFU_CSS`.
// Settings are the tag's data attributes: data-lang (auto, en, zh), data-color (#rrggbb), data-title, data-open.
// The widget lives in a shadow root, so the shop's styles and ours never meet. One conversation per browser
// and site (its id in localStorage), kept across reloads and reconnects. Messages are put on the page with
// textContent, never as HTML.
"use strict";
(() => {
  const script = document.currentScript || document.querySelector('script[src*="/webhooks/webchat/embed.js"]');
  if (!script || document.querySelector("kefu-chat")) return;   // pasted twice: one widget
  const base = new URL(script.src.replace(/\/webhooks\/webchat\/embed\.js(\?.*)?$/, ""), location.href);
  const server = base.origin, prefix = base.pathname.replace(/\/$/, "");
  const opts = script.dataset;

  const lang = opts.lang === "en" || opts.lang === "zh" ? opts.lang
    : (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  const T = lang === "zh"
    ? { open: "联系客服", close: "收起", title: "在线客服", send: "发送", placeholder: "输入消息…", typing: "对方正在输入…",
        online: "在线", offline: "重新连接中…", agent: "客服", agentTyping: (name) => `客服 ${name} 正在输入…`,
        attach: "发送照片", photo: "照片", uploading: "正在上传…", uploadFailed: "上传失败,请重试。" }
    : { open: "Chat with us", close: "Close", title: "Customer service", send: "Send", placeholder: "Type a message…",
        typing: "typing…", online: "online", offline: "reconnecting…", agent: "agent",
        agentTyping: (name) => `${name} is typing…`, attach: "Send a photo", photo: "photo",
        uploading: "uploading…", uploadFailed: "The upload failed: please try again." };
  const store = {
    get session() { return localStorage.getItem("kefu_session_id"); },
    set session(v) { localStorage.setItem("kefu_session_id", v); },
    get outbox() { return JSON.parse(localStorage.getItem("kefu_outbox") || "[]"); },
    set outbox(v) { localStorage.setItem("kefu_outbox", JSON.stringify(v)); },
  };
  const seen = new Set();   // keys of messages already on the page
  let socket = null;
  let typingTimer = null;
  let newest = 0;      // the server's time (s) of the newest bot or agent message on the page
  let reported = 0;    // what the last "seen" told the server

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // the markup, in the shadow root of an element of our own (not a div: a page's `div { ... }` cannot reach it)
  const host = el("kefu-chat");
  const root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    const sheet = new CSSStyleSheet();   // not an inline <style>: a shop's CSP may forbid those
    sheet.replaceSync(KEFU_CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", {}, KEFU_CSS));
  }
  if (/^#[0-9a-fA-F]{3,8}$/.test(opts.color || "")) host.style.setProperty("--kefu-color", opts.color);
  const widget = el("div", { id: "kefu-widget", lang });
  const panel = el("section", { id: "kefu-panel", role: "dialog", "aria-label": opts.title || T.title });
  panel.hidden = true;
  const header = el("header");
  const status = el("span", { id: "kefu-status", class: "status" });
  const closeButton = el("button", { id: "kefu-close", type: "button", "aria-label": T.close }, "×");
  header.append(el("span", { id: "kefu-title" }, opts.title || T.title), " ", status, closeButton);
  const messages = el("ol", { id: "kefu-messages", "aria-live": "polite" });
  const typingLine = el("div", { id: "kefu-typing" }, T.typing);
  typingLine.hidden = true;
  const form = el("form", { id: "kefu-form" });
  const input = el("input", { id: "kefu-input", autocomplete: "off", maxlength: "10000", placeholder: T.placeholder,
                              enterkeyhint: "send", "aria-label": T.placeholder });
  const picker = el("input", { id: "kefu-file", type: "file", accept: "image/jpeg,image/png,image/gif,image/webp,application/pdf" });
  picker.hidden = true;
  const attach = el("button", { id: "kefu-attach", type: "button", "aria-label": T.attach, title: T.attach });
  attach.append(clip());
  form.append(attach, picker, input, el("button", { id: "kefu-send", type: "submit" }, T.send));
  panel.append(header, messages, typingLine, form);
  const toggle = el("button", { id: "kefu-toggle", type: "button", "aria-expanded": "false" }, T.open);
  widget.append(panel, toggle);
  root.append(widget);

  function render(turn) {
    const key = turn.message_id ? `m:${turn.message_id}` : `${turn.timestamp}|${turn.text}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (turn.who !== "buyer" && turn.timestamp) newest = Math.max(newest, turn.timestamp);
    const li = el("li", { class: turn.who + (turn.pending ? " pending" : "") });
    li.dataset.key = key;
    if (turn.who === "agent") li.append(el("span", { class: "from" }, `${T.agent} ${turn.agent_name || ""}`.trim()));
    if (turn.text) li.append(el("span", { class: "text" }, turn.text));
    for (const f of turn.attachments || []) li.append(fileView(f));
    if (turn.buttons && turn.buttons.length) {
      const box = el("div", { class: "buttons" });
      for (const b of turn.buttons) {
        const button = el("button", { type: "button" }, b.title);
        button.addEventListener("click", () => send(b.payload, b.title));
        box.append(button);
      }
      li.append(box);
    }
    messages.append(li);
    messages.scrollTop = messages.scrollHeight;
  }

  // a paper clip drawn as SVG: an emoji would depend on the buyer's fonts
  function clip() {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "22", height: "22", "aria-hidden": "true" })) svg.setAttribute(k, v);
    for (const [k, v] of Object.entries({ d: "M9 7v9a3 3 0 0 0 6 0V5.5a4.5 4.5 0 0 0-9 0V16a6 6 0 0 0 12 0V8",
      fill: "none", stroke: "currentColor", "stroke-width": "1.8", "stroke-linecap": "round" })) path.setAttribute(k, v);
    svg.append(path);
    return svg;
  }

  // a photo as a picture that opens full size; another file as a link. The address is ours, the name random.
  function fileView(f) {
    const url = `${server}${prefix}/webhooks/webchat/files/${encodeURIComponent(f.file)}`;
    const link = el("a", { class: "file", href: url, target: "_blank", rel: "noopener" });
    if (String(f.type).startsWith("image/")) link.append(el("img", { src: url, alt: f.name || T.photo, loading: "lazy" }));
    else link.textContent = f.name || f.file;
    return link;
  }

  function notice(text) {
    messages.append(el("li", { class: "notice" }, text));
    messages.scrollTop = messages.scrollHeight;
  }

  // "typing…" while the bot thinks (after the buyer sends), or "<agent> is typing…" while an agent types
  function typing(on, text) {
    clearTimeout(typingTimer);
    typingLine.textContent = text || T.typing;
    typingLine.hidden = !on;
    if (on) typingTimer = setTimeout(() => typing(false), text ? 6000 : 15000);
  }

  // read receipts: the agent's console says "read" once the buyer had the chat in view
  function reportSeen() {
    if (!socket || !socket.connected || panel.hidden || document.visibilityState !== "visible") return;
    if (!newest || newest <= reported) return;
    reported = newest;
    socket.emit("seen", { session_id: store.session, read_up_to: Math.ceil(newest * 1000) });
  }
  document.addEventListener("visibilitychange", reportSeen);

  async function loadHistory() {
    const r = await fetch(`${server}${prefix}/webhooks/webchat/history?session_id=${store.session}`);
    if (!r.ok) return;
    const { turns } = await r.json();
    const pending = new Set(store.outbox.map((m) => m.message_id));
    messages.replaceChildren();
    seen.clear();
    for (const turn of turns) render(turn);
    for (const m of store.outbox) if (pending.has(m.message_id)) render({ who: "buyer", text: m.shown, message_id: m.message_id, attachments: m.files, pending: true });
  }

  function flush() {
    for (const m of store.outbox) {
      const body = { session_id: store.session, message: m.message, message_id: m.message_id, lang };
      if (m.files) body.attachments = m.files.map((f) => f.file);
      socket.timeout(10000).emit("user_uttered", body, (err, ack) => {
        if (err || !ack || !ack.ok) return;   // no answer: kept in the outbox, resent after the next connect
        store.outbox = store.outbox.filter((x) => x.message_id !== m.message_id);
        const li = messages.querySelector(`li[data-key="m:${m.message_id}"]`);
        if (li) li.classList.remove("pending");
      });
    }
  }

  function send(message, shown, files) {
    const id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^\w-]/g, "");
    store.outbox = [...store.outbox, { message, shown: shown === undefined ? message : shown, message_id: id, files }];
    render({ who: "buyer", text: shown === undefined ? message : shown, message_id: id, attachments: files, pending: true });
    typing(true);
    if (socket && socket.connected && store.session) flush();
  }

  function connect() {
    socket = io(server, { path: `${prefix}/webhooks/webchat/socket.io`, transports: ["websocket"] });
    socket.on("connect", () => {
      status.textContent = T.online;
      socket.emit("session_request", { session_id: store.session });
    });
    socket.on("disconnect", () => { status.textContent = T.offline; });
    socket.on("session_confirm", async (sessionId) => {
      store.session = sessionId;
      await loadHistory();   // what was said while away, then what is still unsent
      flush();
      reportSeen();
    });
    socket.on("agent_typing", (m) => typing(true, T.agentTyping(String((m && m.agent_name) || T.agent))));
    socket.on("bot_uttered", (m) => {
      const meta = m.metadata || {};
      typing(false);
      render({ who: meta.agent_name ? "agent" : "bot", text: m.text, agent_name: meta.agent_name, buttons: m.buttons,
               attachments: meta.attachments, timestamp: meta.timestamp });
      reportSeen();
    });
  }

  // on a phone the open chat fills the screen: keep it to the part the on-screen keyboard leaves visible
  function fitToScreen() {
    const v = window.visualViewport;
    if (v) host.style.setProperty("--kefu-visible-height", `${v.height}px`);
    if (!panel.hidden && document.activeElement === host) input.scrollIntoView({ block: "nearest" });
  }
  if (window.visualViewport) window.visualViewport.addEventListener("resize", fitToScreen);
  fitToScreen();

  function show(open) {
    panel.hidden = !open;
    widget.classList.toggle("open", open);
    toggle.textContent = open ? T.close : T.open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open && !socket) connect();
    if (open) input.focus({ preventScroll: true });
    if (open) reportSeen();
  }
  toggle.addEventListener("click", () => show(panel.hidden));
  closeButton.addEventListener("click", () => show(false));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  // a photo goes up first (checked and kept by the server, which says why it refuses one), then in a message
  attach.addEventListener("click", () => picker.click());
  picker.addEventListener("change", async () => {
    const file = picker.files && picker.files[0];
    picker.value = "";
    if (!file || !store.session) return;
    attach.disabled = true;
    status.textContent = T.uploading;
    try {
      const query = new URLSearchParams({ session_id: store.session, lang, name: file.name });
      const r = await fetch(`${server}${prefix}/webhooks/webchat/upload?${query}`, {
        method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } });
      const answer = await r.json().catch(() => ({}));
      if (!r.ok || !answer.ok) notice(answer.error || T.uploadFailed);
      else send("", "", [answer.file]);
    } catch (e) {
      notice(T.uploadFailed);
    } finally {
      attach.disabled = false;
      status.textContent = socket && socket.connected ? T.online : T.offline;
    }
  });

  function mount() {
    document.body.append(host);
    if (store.session || opts.open === "true") show(true);   // a returning buyer finds the chat open where they left it
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
