/* Zabota live chat widget.
 *
 * Served by /widget/<key>.js with the store's settings and the texts in the visitor's language
 * in place of the CONFIG placeholder below; no framework, no build step, no third-party code.
 * Everything it draws lives in a shadow root, so the store's styles cannot reach it nor it theirs.
 *
 * The conversation survives reloads and tabs: localStorage keeps the signed visitor token, the
 * conversation, the highest line number (seq) seen and the outbox of lines the server has not
 * acknowledged yet. On every (re)connect the socket asks for the lines after that seq and the
 * outbox is sent again with the same client ids, which the server stores once (docs/chat.md).
 */
(() => {
  "use strict";
  const C = /*CONFIG*/null;
  if (!C || !window.fetch || !window.WebSocket || !document.documentElement.attachShadow) return;
  const loaded = (window.__zabotaChat = window.__zabotaChat || {});
  if (loaded[C.key]) return; // the snippet was pasted twice
  loaded[C.key] = true;

  const T = C.texts;
  const API = C.origin + "/widget/" + encodeURIComponent(C.key);
  const STORE_KEY = "zabota.chat." + C.key;
  const OPEN_KEY = STORE_KEY + ".open";
  const POLL_MS = 15000; // how often an open panel re-checks whether someone is online
  const PING_MS = 25000; // keeps the socket alive through proxies that drop idle ones
  const TYPING_MS = 3000;
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  /* ---- persistent state, shared by the visitor's tabs ---- */

  const blank = () => ({ t: "", c: 0, s: 0, o: [] }); // token, conversation, last seq, outbox
  function load() {
    try {
      const v = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
      if (v && typeof v === "object" && Array.isArray(v.o)) return v;
    } catch (e) {
      /* storage disabled or garbage: start afresh */
    }
    return blank();
  }
  let P = load();
  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(P));
    } catch (e) {
      /* private mode: the conversation lasts as long as the page */
    }
  }

  const S = {
    open: false,
    tab: "chat",
    view: "loading", // loading | start | chat | ended | offline | left | blocked
    server: null, // the last /state answer
    conv: null, // {id, state, agent, delivered_seq, read_seq}
    ws: null,
    ready: false, // synced: lines may be sent
    attempts: 0,
    timer: 0,
    ping: 0,
    poll: 0,
    stopped: false,
    unread: 0,
    readSent: 0,
    typingSent: 0,
    typingTimer: 0,
    agentTypingTimer: 0,
    busy: false,
    wantFocus: false,
  };

  /* ---- small helpers ---- */

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
    return el;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return Math.round(n / 1024) + " KB";
    return (n / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
  }
  function safeUrl(u) {
    try {
      const url = new URL(u, C.origin);
      return /^https?:$/.test(url.protocol) ? url.href : "#";
    } catch (e) {
      return "#";
    }
  }
  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString(C.language, { hour: "2-digit", minute: "2-digit" });
  }
  function textOn(hex) {
    const n = parseInt(hex.slice(1), 16);
    const lum = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
    return lum > 160 ? "#111827" : "#ffffff";
  }
  const phoneOk = (v) => /^\+?[\d\s().\/-]+$/.test(v) && v.replace(/\D/g, "").length >= 6 && v.replace(/\D/g, "").length <= 15;
  const emailOk = (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);

  /* ---- talking to the server ---- */

  async function call(method, path, body, retried) {
    const headers = {};
    if (P.t) headers["X-Zabota-Visitor"] = P.t;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path + "?lang=" + encodeURIComponent(C.language), {
        method,
        headers,
        body: payload,
        credentials: "omit",
        mode: "cors",
      });
    } catch (e) {
      return { status: 0, data: {} };
    }
    let data = {};
    try {
      data = await res.json();
    } catch (e) {
      /* not JSON: treated as a failure below */
    }
    if (res.status === 403 && data.error === "invalid_token" && P.t && !retried) {
      forget(); // a token from before a reset, or from another store: start as a new visitor
      return call(method, path, body, true);
    }
    if (data && data.token && data.token !== P.t) {
      P.t = data.token;
      save();
    }
    return { status: res.status, data: data || {} };
  }

  function failure(r) {
    if (r.status === 429) return notice(T.rateLimited);
    if (r.status === 0) return notice(T.network);
    if (r.data.error === "blocked") return block();
    notice(r.data.message || T.error);
  }

  /* ---- the DOM ---- */

  const CSS = `
:host{all:initial}
*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
[hidden]{display:none!important}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;background:var(--zc);color:var(--zt);box-shadow:0 4px 16px rgba(0,0,0,.28);cursor:pointer;display:grid;place-items:center;padding:0}
.bubble svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-3px;right:-3px;min-width:21px;height:21px;padding:0 6px;border-radius:11px;background:#dc2626;color:#fff;font:700 12px/21px system-ui,sans-serif}
.panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:372px;max-width:calc(100vw - 24px);height:580px;max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;color:#111827;border-radius:14px;box-shadow:0 12px 44px rgba(0,0,0,.3);overflow:hidden;font-size:14px;line-height:1.45}
@media (prefers-reduced-motion:no-preference){.panel{animation:zin .16s ease-out}}
@keyframes zin{from{opacity:0;transform:translateY(10px)}}
@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:none;height:100%;max-height:none;border-radius:0}}
header{background:var(--zc);color:var(--zt);padding:12px 12px 12px 16px;display:flex;align-items:flex-start;gap:8px}
h2{margin:0;font-size:16px;font-weight:650}
.status{margin:2px 0 0;font-size:12.5px;display:flex;align-items:center;gap:6px}
.status::before{content:"";flex:none;width:8px;height:8px;border-radius:50%;background:#d1d5db}
.status[data-state=online]::before,.status[data-state=active]::before{background:#22c55e}
.status[data-state=queued]::before,.status[data-state=reconnecting]::before{background:#f59e0b}
.x{margin-left:auto;background:none;border:0;color:inherit;font-size:24px;line-height:1;width:34px;height:34px;border-radius:8px;cursor:pointer;flex:none}
[role=tablist]{display:flex;border-bottom:1px solid #e5e7eb;flex:none}
[role=tab]{flex:1;padding:10px;border:0;border-bottom:3px solid transparent;background:none;font:inherit;font-weight:600;color:#4b5563;cursor:pointer}
[role=tab][aria-selected=true]{color:#111827;border-bottom-color:var(--zc)}
[role=tabpanel],.view{flex:1;display:flex;flex-direction:column;min-height:0}
.scroll{flex:1;overflow-y:auto;padding:12px 14px}
.notice{flex:none;margin:8px 12px 0;padding:8px 10px;border-radius:8px;background:#fef3c7;color:#78350f;font-size:13px}
ol{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:8px}
.line{max-width:86%;padding:7px 10px;border-radius:12px;background:#f3f4f6;align-self:flex-start;overflow-wrap:anywhere}
.line.visitor{align-self:flex-end;background:var(--zc);color:var(--zt)}
.line.system{align-self:center;background:none;color:#6b7280;font-size:12.5px;text-align:center;padding:2px}
.line[data-pending]{opacity:.72}
.who{display:block;font-size:11.5px;font-weight:650;opacity:.85}
.body{margin:0;white-space:pre-wrap}
.file{display:block;color:inherit;text-decoration:underline}
.meta{display:block;font-size:11px;opacity:.8;text-align:right;margin-top:2px}
.tick{margin-left:4px;letter-spacing:-3px}
.tick[data-state=read]{font-weight:700}
.typing{margin:8px 0 0;color:#6b7280;font-size:12.5px;font-style:italic}
.intro{margin:0 0 12px;color:#374151}
.box{border:1px solid #e5e7eb;border-radius:10px;padding:10px 12px;margin:12px 0 0;background:#f9fafb}
.box p{margin:0 0 8px}
.field{margin:0 0 10px}
label{display:block;font-size:13px;font-weight:600;margin:0 0 3px}
label.check{display:flex;gap:8px;align-items:center;font-weight:400}
.opt{font-weight:400;color:#6b7280}
input,textarea,select{font:inherit;color:#111827;background:#fff;border:1px solid #9ca3af;border-radius:8px;padding:7px 9px;width:100%;margin:0}
input[type=checkbox]{width:auto}
[aria-invalid=true]{border-color:#b91c1c}
textarea{resize:vertical;min-height:64px}
.err{display:block;color:#b91c1c;font-size:12.5px;margin-top:3px}
.composer{flex:none;display:flex;gap:6px;align-items:flex-end;border-top:1px solid #e5e7eb;padding:10px}
.composer textarea{resize:none;min-height:40px;max-height:120px;height:40px}
.btn{background:var(--zc);color:var(--zt);border:0;border-radius:8px;padding:9px 14px;font:inherit;font-weight:600;cursor:pointer;flex:none}
.btn.ghost{background:#fff;color:#374151;border:1px solid #d1d5db}
.btn:disabled{opacity:.6;cursor:default}
.clip{background:none;border:0;color:#4b5563;width:38px;height:40px;border-radius:8px;cursor:pointer;flex:none;display:grid;place-items:center}
.clip svg{width:20px;height:20px;fill:currentColor}
.bar{flex:none;display:flex;justify-content:flex-end;padding:0 10px 8px}
.link{background:none;border:0;color:#374151;text-decoration:underline;font:inherit;font-size:13px;cursor:pointer;padding:2px 4px}
.row{display:flex;gap:8px}
.row>*{flex:1}
.thanks{margin:0;padding:10px 12px;border-radius:10px;background:#dcfce7;color:#14532d}
.promise{margin:0 0 12px;color:#374151}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
  const ICON_CHAT =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';
  const ICON_CLIP =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';

  let uid = 0;
  const errors = new WeakMap();
  function field(labelText, input, optional) {
    const id = "zf" + ++uid;
    input.id = id;
    const err = h("span", { class: "err", id: id + "-e", hidden: true });
    input.setAttribute("aria-describedby", id + "-e");
    input.addEventListener("input", () => setError(input, ""));
    errors.set(input, err);
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, labelText, optional ? h("span", { class: "opt", text: " " + T.optional }) : null),
      input,
      err
    );
  }
  function setError(input, message) {
    const err = errors.get(input);
    if (err) {
      err.textContent = message || "";
      err.hidden = !message;
    }
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  function clearErrors(inputs) {
    inputs.forEach((i) => setError(i, ""));
  }
  /* Field errors of the server beside their fields; the others as the notice. */
  function showErrors(map, inputs) {
    let first = null;
    const rest = [];
    for (const [name, message] of Object.entries(map || {})) {
      const input = inputs[name];
      if (input) {
        setError(input, message);
        first = first || input;
      } else rest.push(message);
    }
    notice(rest.join(" "));
    if (first) first.focus();
  }

  const E = {}; // elements by role
  const host = h("div", { id: "zabota-chat-" + C.key, "data-zabota": "root" });
  const root = host.attachShadow({ mode: "open" });

  function build() {
    host.style.setProperty("--zc", C.color);
    host.style.setProperty("--zt", textOn(C.color));
    root.append(h("style", { text: CSS }));

    E.bubble = h("button", {
      type: "button",
      class: "bubble",
      "data-zabota": "open",
      "aria-label": T.open,
      "aria-expanded": "false",
      "aria-controls": "zpanel",
      onclick: openPanel,
    });
    E.bubble.innerHTML = ICON_CHAT; // a constant of this file
    E.badge = h("span", { class: "badge", "data-zabota": "badge", hidden: true, "aria-hidden": "true" });
    E.bubble.append(E.badge);

    E.status = h("p", { class: "status", "data-zabota": "status", "data-state": "loading", text: T.loading });
    E.close = h("button", { type: "button", class: "x", "data-zabota": "close", "aria-label": T.close, text: "×", onclick: closePanel });
    E.tabChat = h("button", {
      type: "button", role: "tab", id: "ztab-chat", "aria-selected": "true", "aria-controls": "zpane-chat",
      "data-zabota": "tab-chat", text: T.tabChat, onclick: () => selectTab("chat"),
    });
    E.tabCallback = h("button", {
      type: "button", role: "tab", id: "ztab-callback", "aria-selected": "false", tabindex: "-1",
      "aria-controls": "zpane-callback", "data-zabota": "tab-callback", text: T.tabCallback,
      onclick: () => selectTab("callback"),
    });
    const tablist = h("div", { role: "tablist", "aria-label": T.tabs, onkeydown: tabKeys }, E.tabChat, E.tabCallback);
    E.notice = h("div", { class: "notice", role: "alert", "data-zabota": "notice", hidden: true });

    E.panel = h(
      "section",
      { class: "panel", id: "zpanel", role: "dialog", "aria-labelledby": "ztitle", "data-zabota": "panel", hidden: true, onkeydown: panelKeys },
      h("header", {}, h("div", {}, h("h2", { id: "ztitle", text: C.store }), E.status), E.close),
      tablist,
      E.notice,
      h("div", { role: "tabpanel", id: "zpane-chat", "aria-labelledby": "ztab-chat", "data-zabota": "pane-chat" }, buildLoading(), buildChat(), buildOffline(), buildBlocked()),
      h("div", { role: "tabpanel", id: "zpane-callback", "aria-labelledby": "ztab-callback", "data-zabota": "pane-callback", hidden: true }, buildCallback())
    );
    root.append(E.panel, E.bubble);
    document.body.append(host);
  }

  function buildLoading() {
    return (E.vLoading = h("div", { class: "view scroll", "data-zabota": "view-loading" }, h("p", { text: T.loading })));
  }

  function buildChat() {
    const ask = C.prechat;
    const inputs = {};
    const mk = (name, type, auto, max) =>
      (inputs[name] = h("input", { type, name, autocomplete: auto, maxlength: String(max), "data-zabota": name }));
    const prechatField = (name, label, type, auto, max) =>
      ask[name === "order_number" ? "order" : name] === "off"
        ? null
        : field(label, mk(name, type, auto, max), ask[name === "order_number" ? "order" : name] === "optional");
    E.prechatInputs = inputs;
    E.intro = h("p", { class: "intro", "data-zabota": "intro", text: T.intro });
    E.prechat = h(
      "div",
      { "data-zabota": "prechat" },
      prechatField("name", T.name, "text", "name", 150),
      prechatField("email", T.email, "email", "email", 254),
      prechatField("order_number", T.order, "text", "off", 64)
    );
    E.messages = h("ol", { "data-zabota": "messages", role: "log", "aria-live": "polite", "aria-label": T.conversation });
    E.typing = h("p", { class: "typing", "data-zabota": "typing", hidden: true });

    E.transcript = h("input", { type: "checkbox", "data-zabota": "transcript", onchange: () => (E.transcriptField.hidden = !E.transcript.checked) });
    E.transcriptEmail = h("input", { type: "email", autocomplete: "email", maxlength: "254", "data-zabota": "transcript-email" });
    E.transcriptField = field(T.email, E.transcriptEmail);
    E.transcriptField.hidden = true;
    E.endBox = h(
      "div",
      { class: "box", "data-zabota": "end-box", hidden: true },
      h("p", { text: T.endQuestion }),
      h("label", { class: "check" }, E.transcript, T.transcript),
      E.transcriptField,
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "btn ghost", "data-zabota": "end-cancel", text: T.cancel, onclick: () => showEndBox(false) }),
        h("button", { type: "button", class: "btn", "data-zabota": "end-confirm", text: T.end, onclick: endChat })
      )
    );
    E.endedText = h("p", { text: T.ended });
    E.endedBox = h(
      "div",
      { class: "box", "data-zabota": "ended", hidden: true },
      E.endedText,
      h("button", { type: "button", class: "btn", "data-zabota": "new-chat", text: T.newChat, onclick: newChat })
    );
    E.scroll = h("div", { class: "scroll" }, E.intro, E.messages, E.typing, E.prechat, E.endBox, E.endedBox);

    E.file = h("input", { type: "file", hidden: true, tabindex: "-1", onchange: uploadFile });
    E.attach = h("button", { type: "button", class: "clip", "data-zabota": "attach", "aria-label": T.attach, title: T.attach, onclick: () => E.file.click() });
    E.attach.innerHTML = ICON_CLIP; // a constant of this file
    E.input = h("textarea", {
      rows: "1", maxlength: "5000", "aria-label": T.message, placeholder: T.placeholder, "data-zabota": "input",
      onkeydown: (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          submitComposer();
        }
      },
      oninput: typing,
    });
    errors.set(E.input, E.notice);
    E.send = h("button", { type: "submit", class: "btn", "data-zabota": "send", text: T.send });
    E.composer = h(
      "form",
      { class: "composer", "data-zabota": "composer", novalidate: true, onsubmit: (e) => (e.preventDefault(), submitComposer()) },
      E.attach, E.file, E.input, E.send
    );
    E.endButton = h("button", { type: "button", class: "link", "data-zabota": "end", text: T.end, onclick: () => showEndBox(true) });
    E.bar = h("div", { class: "bar" }, E.endButton);
    return (E.vChat = h("div", { class: "view", "data-zabota": "view-chat", hidden: true }, E.scroll, E.composer, E.bar));
  }

  function buildOffline() {
    const L = (E.leave = {
      name: h("input", { type: "text", name: "name", autocomplete: "name", maxlength: "150", "data-zabota": "leave-name" }),
      email: h("input", { type: "email", name: "email", autocomplete: "email", maxlength: "254", required: true, "data-zabota": "leave-email" }),
      body: h("textarea", { name: "body", rows: "5", maxlength: "5000", required: true, "data-zabota": "leave-message" }),
    });
    E.promise = h("p", { class: "promise", "data-zabota": "promise" });
    E.leaveSend = h("button", { type: "submit", class: "btn", "data-zabota": "leave-send", text: T.leaveSend });
    E.leaveForm = h(
      "form",
      { "data-zabota": "leave", novalidate: true, onsubmit: leaveMessage },
      h("h3", { class: "sr", text: T.leaveTitle }),
      field(T.name, L.name, true),
      field(T.email, L.email),
      field(T.message, L.body),
      E.leaveSend
    );
    E.leaveThanks = h("p", { class: "thanks", "data-zabota": "leave-thanks", tabindex: "-1", hidden: true, text: T.leaveThanks });
    return (E.vOffline = h(
      "div",
      { class: "view scroll", "data-zabota": "view-offline", hidden: true },
      h("p", { class: "intro" }, h("strong", { text: T.leaveTitle })),
      E.promise,
      E.leaveForm,
      E.leaveThanks
    ));
  }

  function buildBlocked() {
    return (E.vBlocked = h("div", { class: "view scroll", "data-zabota": "view-blocked", hidden: true }, h("p", { text: T.blocked })));
  }

  function buildCallback() {
    const now = new Date().getHours() + 1;
    const from = Math.min(now, 20);
    const pad = (n) => String(n).padStart(2, "0") + ":00";
    const B = (E.cb = {
      phone: h("input", { type: "tel", name: "phone", autocomplete: "tel", maxlength: "40", required: true, "data-zabota": "cb-phone" }),
      name: h("input", { type: "text", name: "name", autocomplete: "name", maxlength: "150", "data-zabota": "cb-name" }),
      when: h(
        "select",
        { name: "when", "data-zabota": "cb-when", onchange: () => (E.cbTimes.hidden = B.when.value === "asap") },
        h("option", { value: "asap", text: T.asap }),
        h("option", { value: "today", text: T.today }),
        h("option", { value: "tomorrow", text: T.tomorrow })
      ),
      from: h("input", { type: "time", name: "from", value: pad(from), "data-zabota": "cb-from" }),
      to: h("input", { type: "time", name: "to", value: pad(from + 3), "data-zabota": "cb-to" }),
      topic: h("input", { type: "text", name: "topic", maxlength: "200", "data-zabota": "cb-topic" }),
    });
    E.cbTimes = h("div", { class: "row", hidden: true }, field(T.from, B.from), field(T.to, B.to));
    E.cbSend = h("button", { type: "submit", class: "btn", "data-zabota": "cb-send", text: T.callbackSend });
    E.cbForm = h(
      "form",
      { "data-zabota": "callback", novalidate: true, onsubmit: requestCallback },
      h("p", { class: "intro", text: T.callbackIntro }),
      field(T.phone, B.phone),
      field(T.name, B.name, true),
      field(T.when, B.when),
      E.cbTimes,
      field(T.topic, B.topic, true),
      E.cbSend
    );
    E.cbThanks = h("p", { class: "thanks", "data-zabota": "cb-thanks", tabindex: "-1", hidden: true, text: T.callbackThanks });
    return h("div", { class: "scroll" }, E.cbForm, E.cbThanks);
  }

  /* ---- views and status ---- */

  function notice(text) {
    E.notice.textContent = text || "";
    E.notice.hidden = !text;
  }

  function showView(view) {
    S.view = view;
    E.vLoading.hidden = view !== "loading";
    E.vChat.hidden = !["start", "chat", "ended"].includes(view);
    E.vOffline.hidden = !["offline", "left"].includes(view);
    E.vBlocked.hidden = view !== "blocked";
    E.intro.hidden = E.prechat.hidden = view !== "start";
    E.composer.hidden = !["start", "chat"].includes(view);
    E.attach.hidden = view !== "chat";
    E.bar.hidden = view !== "chat";
    E.endedBox.hidden = view !== "ended";
    showEndBox(false, true);
    E.leaveForm.hidden = view === "left";
    E.leaveThanks.hidden = view !== "left";
    if (view === "offline" && S.server) E.promise.textContent = fmt(T.leavePromise, { within: S.server.promise || "" });
    E.input.placeholder = T.placeholder;
    status();
    schedulePoll();
    if (S.open && S.wantFocus && (!root.activeElement || root.activeElement === E.close)) focusFirst();
  }

  function status() {
    let state = S.view;
    let text = T.loading;
    if (S.view === "start") (state = "online"), (text = T.online);
    else if (S.view === "offline" || S.view === "left" || S.view === "blocked") (state = "offline"), (text = T.offline);
    else if (S.view === "ended") text = T.ended;
    else if (S.view === "chat") {
      if (!S.ready && S.attempts > 0) (state = "reconnecting"), (text = T.reconnecting);
      else if (!S.ready && !S.conv) (state = "loading"), (text = T.connecting);
      else if (S.conv && S.conv.state === "active") (state = "active"), (text = fmt(T.withAgent, { agent: S.conv.agent || T.someone }));
      else (state = "queued"), (text = T.waiting);
    }
    E.status.dataset.state = state;
    if (E.status.textContent !== text) E.status.textContent = text;
  }

  function openPanel() {
    if (!S.open) {
      S.open = true;
      E.panel.hidden = false;
      E.bubble.setAttribute("aria-expanded", "true");
      try {
        sessionStorage.setItem(OPEN_KEY, "1");
      } catch (e) {
        /* ignore */
      }
      if (!S.server) refresh();
      else if (S.view === "start" || S.view === "offline") refresh();
      schedulePoll();
    }
    S.unread = 0;
    badge();
    sendRead();
    S.wantFocus = true;
    focusFirst();
  }

  function closePanel() {
    S.open = false;
    E.panel.hidden = true;
    E.bubble.setAttribute("aria-expanded", "false");
    try {
      sessionStorage.removeItem(OPEN_KEY);
    } catch (e) {
      /* ignore */
    }
    stopTyping();
    schedulePoll();
    E.bubble.focus();
  }

  function badge() {
    E.badge.hidden = !S.unread;
    E.badge.textContent = S.unread ? String(S.unread) : "";
    E.bubble.setAttribute("aria-label", S.unread ? fmt(T.openUnread, { count: S.unread }) : T.open);
  }

  function focusable() {
    return Array.from(
      E.panel.querySelectorAll("button, [href], input:not([type=file]), select, textarea, [tabindex]:not([tabindex='-1'])")
    ).filter((el) => !el.disabled && el.getClientRects().length > 0);
  }

  function focusFirst() {
    const pane = S.tab === "chat" ? E.panel.querySelector("#zpane-chat") : E.panel.querySelector("#zpane-callback");
    const target =
      S.tab === "chat" && (S.view === "chat" || S.view === "start")
        ? S.view === "start" && E.prechat.querySelector("input")
          ? E.prechat.querySelector("input")
          : E.input
        : focusable().find((el) => pane.contains(el));
    (target || E.close).focus();
    // Opened before the state came: the first field gets the focus once the view is drawn.
    S.wantFocus = !target;
  }

  /* Esc closes; Tab stays inside the open panel ("focus trap-lite": the page is not inert). */
  function panelKeys(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      closePanel();
      return;
    }
    if (e.key !== "Tab") return;
    const items = focusable();
    if (!items.length) return;
    const active = root.activeElement;
    if (e.shiftKey && active === items[0]) {
      e.preventDefault();
      items[items.length - 1].focus();
    } else if (!e.shiftKey && active === items[items.length - 1]) {
      e.preventDefault();
      items[0].focus();
    }
  }

  function tabKeys(e) {
    const order = ["chat", "callback"];
    let i = order.indexOf(S.tab);
    if (e.key === "ArrowRight" || e.key === "ArrowDown") i = (i + 1) % order.length;
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") i = (i + order.length - 1) % order.length;
    else if (e.key === "Home") i = 0;
    else if (e.key === "End") i = order.length - 1;
    else return;
    e.preventDefault();
    selectTab(order[i]);
    (order[i] === "chat" ? E.tabChat : E.tabCallback).focus();
  }

  function selectTab(tab) {
    S.tab = tab;
    for (const [name, button] of [["chat", E.tabChat], ["callback", E.tabCallback]]) {
      const on = name === tab;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      E.panel.querySelector("#zpane-" + name).hidden = !on;
    }
    notice("");
  }

  /* Re-check who is online now and then while the panel offers to start a chat or to leave a
     message: the widget stays honest about whether someone will answer. */
  function schedulePoll() {
    clearInterval(S.poll);
    S.poll = 0;
    if (S.open && (S.view === "start" || S.view === "offline")) S.poll = setInterval(refresh, POLL_MS);
  }

  /* ---- the conversation ---- */

  const bySeq = new Map(); // seq → <li>
  const pending = new Map(); // client_id → <li> not acknowledged yet

  function resetLines() {
    bySeq.clear();
    pending.clear();
    E.messages.replaceChildren();
    E.typing.hidden = true;
  }

  /* Lines in seq order; the ones still waiting for their seq stay last. */
  function place(li, seq) {
    for (const other of E.messages.children) {
      if (other === li) continue;
      if ("pending" in other.dataset || Number(other.dataset.seq) > seq) {
        if (li.nextSibling !== other) E.messages.insertBefore(li, other);
        return;
      }
    }
    if (E.messages.lastElementChild !== li) E.messages.append(li);
  }

  function fill(li, line) {
    li.className = "line " + line.sender;
    li.setAttribute("data-zabota", "line");
    li.dataset.sender = line.sender;
    const who = line.sender === "visitor" ? T.you : line.author || T.someone;
    // replaceChildren would write a null as the text "null": leave the absent parts out.
    const parts = [
      line.sender === "system" ? null : h("span", { class: "who", text: who }),
      line.body ? h("p", { class: "body", text: line.body }) : null,
      (line.attachments || []).map((a) =>
        h("a", { class: "file", href: safeUrl(a.url), target: "_blank", rel: "noopener noreferrer", text: a.name + " (" + size(a.size || 0) + ")" })
      ),
      line.sender === "system"
        ? null
        : h("span", { class: "meta" }, clock(line.created_at), line.sender === "visitor" ? h("span", { class: "tick", "data-zabota": "tick" }) : null),
    ];
    li.replaceChildren(...parts.flat().filter(Boolean));
  }

  function nearBottom() {
    return E.scroll.scrollHeight - E.scroll.scrollTop - E.scroll.clientHeight < 80;
  }
  function toBottom(force) {
    if (force || nearBottom()) E.scroll.scrollTop = E.scroll.scrollHeight;
  }

  /* Show a stored line once, whichever way it came (state, sync, live, ack of our own). */
  function showLine(line) {
    const stick = nearBottom();
    let li = bySeq.get(line.seq);
    if (!li && line.client_id && pending.has(line.client_id)) {
      li = pending.get(line.client_id);
      pending.delete(line.client_id);
      delete li.dataset.pending;
    }
    const fresh = !li;
    li = li || h("li");
    fill(li, line);
    li.dataset.seq = line.seq;
    bySeq.set(line.seq, li);
    place(li, line.seq);
    dropFromOutbox(line.client_id);
    ticks();
    toBottom(stick);
    return fresh;
  }

  function showPending(item) {
    if (pending.has(item.id)) return;
    const li = h("li", { "data-pending": true });
    fill(li, { sender: "visitor", body: item.body, created_at: new Date(item.at).toISOString() });
    pending.set(item.id, li);
    E.messages.append(li);
    ticks();
    toBottom(true);
  }

  function dropFromOutbox(clientId) {
    if (!clientId) return;
    const before = P.o.length;
    P.o = P.o.filter((item) => item.id !== clientId);
    if (P.o.length !== before) save();
  }

  function ticks() {
    const conv = S.conv || {};
    for (const li of E.messages.querySelectorAll(".line.visitor")) {
      const tick = li.querySelector(".tick");
      if (!tick) continue;
      const seq = Number(li.dataset.seq || 0);
      let state = "sent";
      if ("pending" in li.dataset) state = S.ready ? "sending" : "failed";
      else if (seq && seq <= (conv.read_seq || 0)) state = "read";
      else if (seq && seq <= (conv.delivered_seq || 0)) state = "delivered";
      if (tick.dataset.state === state) continue;
      tick.dataset.state = state;
      const mark = { sending: "…", failed: "!", sent: "✓", delivered: "✓✓", read: "✓✓" }[state];
      const label = { sending: T.sending, failed: T.failed, sent: T.sent, delivered: T.delivered, read: T.read }[state];
      tick.title = label;
      tick.replaceChildren(h("span", { "aria-hidden": "true", text: mark }), h("span", { class: "sr", text: label }));
    }
  }

  function adopt(conv) {
    if (conv.id !== P.c) {
      resetLines();
      P.c = conv.id;
      P.s = 0;
      P.o = [];
    }
    S.conv = { id: conv.id, state: conv.state, agent: conv.agent, delivered_seq: conv.delivered_seq || 0, read_seq: conv.read_seq || 0 };
    for (const line of conv.lines || []) showLine(line);
    // The lines of a state answer are complete up to its last one: the socket syncs after it.
    const last = (conv.lines || []).reduce((m, l) => Math.max(m, l.seq), 0);
    P.s = Math.max(P.s, last);
    save();
    P.o.forEach(showPending);
    showView("chat");
    toBottom(true);
    connect();
  }

  async function refresh() {
    const r = await call("GET", "/state");
    if (r.status !== 200) {
      if (!S.server) showView("loading");
      return failure(r);
    }
    S.server = r.data;
    if (r.data.blocked) return block();
    const who = r.data.visitor || {};
    for (const [input, value] of [[E.prechatInputs.name, who.name], [E.prechatInputs.email, who.email], [E.leave.name, who.name], [E.leave.email, who.email], [E.transcriptEmail, who.email]]) {
      if (input && value && !input.value) input.value = value;
    }
    const conv = r.data.conversation;
    if (conv) return adopt(conv);
    if (P.c) {
      // Our chat ended while this page was away (or in another tab).
      const hadLines = bySeq.size > 0;
      endedLocally();
      if (hadLines && S.view === "chat") return showView("ended");
    }
    if (S.view === "left" || S.view === "ended") return status();
    showView(r.data.online ? "start" : "offline");
  }

  function endedLocally() {
    P.c = 0;
    P.s = 0;
    P.o = [];
    save();
    S.conv = null;
    disconnect();
  }

  function block() {
    endedLocally();
    S.stopped = true;
    showView("blocked");
  }

  function forget() {
    P = blank();
    save();
    S.conv = null;
    disconnect();
    resetLines();
  }

  function newChat() {
    resetLines();
    notice("");
    S.view = "loading";
    refresh().then(() => S.open && focusFirst());
  }

  function submitComposer() {
    const body = E.input.value.trim();
    if (!body || S.busy) return;
    if (S.view === "start") return startChat(body);
    if (S.view !== "chat") return;
    const item = { id: newId(), body, at: Date.now() };
    P.o.push(item);
    save();
    E.input.value = "";
    stopTyping();
    showPending(item);
    transmit(item);
  }

  function transmit(item) {
    if (S.ready) wsSend({ type: "message", client_id: item.id, body: item.body });
  }

  async function startChat(body) {
    const inputs = E.prechatInputs;
    clearErrors(Object.values(inputs));
    const data = { body, client_id: newId(), page_url: location.href };
    let bad = null;
    for (const [name, input] of Object.entries(inputs)) {
      const value = input.value.trim();
      const key = name === "order_number" ? "order" : name;
      if (C.prechat[key] === "required" && !value) setError(input, T.required), (bad = bad || input);
      else if (name === "email" && value && !emailOk(value)) setError(input, T.badEmail), (bad = bad || input);
      data[name] = value;
    }
    if (bad) return bad.focus();
    S.busy = true;
    E.send.disabled = true;
    const r = await call("POST", "/conversations", data);
    S.busy = false;
    E.send.disabled = false;
    if (r.status === 200 || r.status === 201) {
      E.input.value = "";
      notice("");
      adopt(r.data.conversation);
      E.input.focus();
    } else if (r.status === 409 && r.data.error === "offline") {
      // Nobody can answer after all: keep what was typed and offer to leave it as a message.
      S.server = Object.assign(S.server || {}, { online: false, promise: r.data.promise || "" });
      E.leave.body.value = body;
      if (inputs.name && inputs.name.value) E.leave.name.value = inputs.name.value;
      if (inputs.email && inputs.email.value) E.leave.email.value = inputs.email.value;
      showView("offline");
      notice(r.data.message || "");
      E.leave.email.value ? E.leave.body.focus() : E.leave.email.focus();
    } else if (r.status === 400) showErrors(r.data.errors, Object.assign({ body: E.input }, inputs));
    else failure(r);
  }

  async function uploadFile() {
    const file = E.file.files[0];
    E.file.value = "";
    if (!file) return;
    if (file.size > C.maxUpload) return notice(fmt(T.fileTooBig, { size: size(C.maxUpload) }));
    const form = new FormData();
    form.append("file", file);
    form.append("client_id", newId());
    notice(fmt(T.uploading, { name: file.name }));
    const r = await call("POST", "/upload", form);
    if (r.status === 200) {
      notice("");
      // Not counted in P.s: the socket may still owe lines before it, which a sync must bring.
      showLine(r.data.line);
    } else if (r.status === 400) showErrors(r.data.errors, {});
    else failure(r);
  }

  function showEndBox(show, quiet) {
    E.endBox.hidden = !show;
    E.composer.hidden = show || !["start", "chat"].includes(S.view);
    E.bar.hidden = show || S.view !== "chat";
    if (show) {
      toBottom(true);
      E.transcript.focus();
    } else if (!quiet && S.view === "chat") E.input.focus();
  }

  async function endChat() {
    const transcript = E.transcript.checked;
    const email = E.transcriptEmail.value.trim();
    setError(E.transcriptEmail, "");
    if (transcript && !emailOk(email)) {
      setError(E.transcriptEmail, email ? T.badEmail : T.required);
      return E.transcriptEmail.focus();
    }
    const r = await call("POST", "/end", { transcript, email });
    if (r.status !== 200) return r.status === 400 ? showErrors(r.data.errors, { email: E.transcriptEmail }) : failure(r);
    E.endedText.textContent = r.data.transcript ? T.ended + " " + T.transcriptSent : T.ended;
    endedLocally();
    showView("ended");
    E.endedBox.querySelector("button").focus();
  }

  async function leaveMessage(e) {
    e.preventDefault();
    const L = E.leave;
    clearErrors(Object.values(L));
    const data = { name: L.name.value.trim(), email: L.email.value.trim(), body: L.body.value.trim(), page_url: location.href };
    let bad = null;
    if (!data.email) setError(L.email, T.required), (bad = L.email);
    else if (!emailOk(data.email)) setError(L.email, T.badEmail), (bad = L.email);
    if (!data.body) setError(L.body, T.required), (bad = bad || L.body);
    if (bad) return bad.focus();
    E.leaveSend.disabled = true;
    const r = await call("POST", "/message", data);
    E.leaveSend.disabled = false;
    if (r.status === 201) {
      notice("");
      L.body.value = "";
      showView("left");
      E.leaveThanks.focus();
    } else if (r.status === 400) showErrors(r.data.errors, L);
    else failure(r);
  }

  async function requestCallback(e) {
    e.preventDefault();
    const B = E.cb;
    clearErrors(Object.values(B));
    const data = { phone: B.phone.value.trim(), name: B.name.value.trim(), topic: B.topic.value.trim(), when: B.when.value, from: B.from.value, to: B.to.value };
    if (!phoneOk(data.phone)) {
      setError(B.phone, data.phone ? T.badPhone : T.required);
      return B.phone.focus();
    }
    E.cbSend.disabled = true;
    const r = await call("POST", "/callback", data);
    E.cbSend.disabled = false;
    if (r.status === 201) {
      notice("");
      E.cbForm.hidden = true;
      E.cbThanks.hidden = false;
      E.cbThanks.focus();
    } else if (r.status === 400) showErrors(r.data.errors, { phone: B.phone, name: B.name, topic: B.topic, when: B.when, from: B.from, to: B.to, window_start: B.from, window_end: B.to });
    else failure(r);
  }

  /* ---- the socket ---- */

  function wsSend(frame) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(frame));
  }

  function connect() {
    if (S.ws || S.stopped || !P.c || !P.t) return;
    clearTimeout(S.timer);
    let ws;
    try {
      ws = new WebSocket(C.ws + "/ws/chat/visitor/" + encodeURIComponent(C.key) + "/?token=" + encodeURIComponent(P.t));
    } catch (e) {
      return retry();
    }
    S.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "sync", after: P.s }));
      clearInterval(S.ping);
      S.ping = setInterval(() => {
        wsSend({ type: "ping" });
        // Quiet since the last ping: ask for anything past the complete point. A live frame
        // the server dropped under load is otherwise only noticed by the next line's gap.
        if (S.ready && !S.heard && !S.syncing) {
          S.syncing = true;
          wsSend({ type: "sync", after: P.s });
        }
        S.heard = false;
      }, PING_MS);
    };
    ws.onmessage = (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (S.ws === ws) onFrame(frame);
    };
    ws.onclose = () => {
      if (S.ws !== ws) return;
      clearInterval(S.ping);
      S.ws = null;
      S.ready = false;
      S.syncing = false;
      ticks();
      if (!S.stopped && P.c) retry();
      status();
    };
  }

  /* Back off 1, 2, 4 … 30 s (with jitter, so a server restart is not stormed); after a few
     failures ask /state whether the chat or the token is still good. */
  function retry() {
    clearTimeout(S.timer);
    S.attempts++;
    status();
    const delay = Math.min(30000, 1000 * 2 ** Math.min(S.attempts - 1, 5)) * (0.75 + Math.random() * 0.5);
    S.timer = setTimeout(() => (S.attempts % 3 === 0 ? refresh().then(connect) : connect()), delay);
  }

  function disconnect() {
    clearTimeout(S.timer);
    clearInterval(S.ping);
    const ws = S.ws;
    S.ws = null;
    S.ready = false;
    S.syncing = false;
    S.attempts = 0;
    if (ws) ws.close();
  }

  /* P.s is the highest line up to which every line is here, never just the highest seen:
     frames of the two sides cross, and the server drops live frames it cannot deliver in time
     (it keeps every line). A line beyond a gap asks the socket for what is missing, and a
     reconnect syncs from the last complete point, so nothing in between is skipped. */
  function advance(seq) {
    const before = P.s;
    while (bySeq.has(P.s + 1)) P.s++;
    if (P.s !== before) save();
    if (seq > P.s + 1 && S.ready && !S.syncing) {
      S.syncing = true;
      wsSend({ type: "sync", after: P.s });
    }
  }

  function onFrame(f) {
    if (f.conversation && P.c && f.conversation !== P.c && f.type !== "error") return;
    switch (f.type) {
      case "synced":
        S.ready = true;
        S.syncing = false;
        S.attempts = 0;
        if (S.conv && f.state) S.conv.state = f.state;
        // Everything the server has not acknowledged goes again, under the same client ids.
        P.o.forEach((item) => {
          showPending(item);
          transmit(item);
        });
        ticks();
        status();
        sendRead();
        if (f.state === "ended") onEnded();
        break;
      case "message": {
        S.heard = true;
        const line = f.line || {};
        if (!line.seq) break;
        const fresh = showLine(line);
        advance(line.seq);
        if (line.sender === "agent") {
          E.typing.hidden = true;
          if (fresh && (!S.open || document.hidden)) {
            S.unread++;
            badge();
          }
        }
        sendRead();
        break;
      }
      case "ack": {
        const li = pending.get(f.client_id);
        if (li && f.seq && !bySeq.has(f.seq)) {
          pending.delete(f.client_id);
          delete li.dataset.pending;
          li.dataset.seq = f.seq;
          bySeq.set(f.seq, li);
          place(li, f.seq);
        }
        if (f.seq) advance(f.seq);
        dropFromOutbox(f.client_id);
        ticks();
        break;
      }
      case "typing":
        if (f.sender !== "agent") break;
        clearTimeout(S.agentTypingTimer);
        E.typing.textContent = fmt(T.typing, { agent: (S.conv && S.conv.agent) || T.someone });
        E.typing.hidden = !f.on;
        if (f.on) {
          S.agentTypingTimer = setTimeout(() => (E.typing.hidden = true), 8000);
          toBottom();
        }
        break;
      case "read":
      case "delivered":
        if (f.sender !== "agent" || !S.conv) break;
        if (f.type === "read") S.conv.read_seq = Math.max(S.conv.read_seq, f.seq || 0);
        S.conv.delivered_seq = Math.max(S.conv.delivered_seq, f.seq || 0, f.type === "read" ? f.seq || 0 : 0);
        ticks();
        break;
      case "state":
        if (!S.conv) break;
        S.conv.state = f.state;
        if (f.agent !== undefined) S.conv.agent = f.agent;
        if (f.state === "ended") onEnded();
        else status();
        break;
      case "error":
        if (f.code === "blocked") block();
        else notice(f.code === "rate_limited" ? T.rateLimited : f.message || T.error);
        break;
    }
  }

  function onEnded() {
    E.typing.hidden = true;
    endedLocally();
    showView("ended");
  }

  function sendRead() {
    if (!S.open || document.hidden || !S.ready || P.s <= S.readSent) return;
    S.readSent = P.s;
    wsSend({ type: "read", seq: P.s });
  }

  function typing() {
    if (S.view !== "chat" || !S.ready) return;
    const now = Date.now();
    if (now - S.typingSent > TYPING_MS) {
      wsSend({ type: "typing", on: true });
      S.typingSent = now;
    }
    clearTimeout(S.typingTimer);
    S.typingTimer = setTimeout(stopTyping, TYPING_MS + 1000);
  }

  function stopTyping() {
    clearTimeout(S.typingTimer);
    if (S.typingSent) wsSend({ type: "typing", on: false });
    S.typingSent = 0;
  }

  /* ---- other tabs, the network, visibility ---- */

  window.addEventListener("storage", (e) => {
    if (e.key !== STORE_KEY) return;
    const next = load();
    if (next.t !== P.t || next.c !== P.c) {
      // Another tab started, ended or forgot the chat: follow it.
      const ended = P.c && !next.c;
      disconnect();
      P = next;
      S.conv = null;
      if (ended && S.view === "chat") return showView("ended");
      resetLines();
      S.view = "loading";
      return refresh();
    }
    // Same chat: take over the other tab's unsent lines (the server stores a resend once).
    const mine = P.o.filter((item) => pending.has(item.id) && !next.o.some((o) => o.id === item.id));
    P.o = next.o.concat(mine);
    P.o.forEach((item) => {
      if (!pending.has(item.id)) {
        showPending(item);
        transmit(item);
      }
    });
  });
  window.addEventListener("online", () => {
    if (P.c && !S.ws && !S.stopped) {
      S.attempts = 0;
      connect();
    }
  });
  document.addEventListener("visibilitychange", sendRead);

  function init() {
    build();
    window.ZabotaChat = { open: openPanel, close: closePanel };
    let wasOpen = false;
    try {
      wasOpen = sessionStorage.getItem(OPEN_KEY) === "1";
    } catch (e) {
      /* ignore */
    }
    // A conversation in progress reconnects at once (its lines and the badge must arrive even
    // with the panel closed); otherwise nothing is fetched until the visitor opens the panel.
    if (P.c || wasOpen) refresh();
    if (wasOpen) {
      S.open = true;
      E.panel.hidden = false;
      E.bubble.setAttribute("aria-expanded", "true");
    }
  }

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
