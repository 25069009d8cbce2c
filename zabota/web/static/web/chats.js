// Live chat in the agent UI: the queue page and one conversation, kept live over the agent
// websocket (/ws/chat/agent/, protocol in docs/chat.md). Texts come translated from the page
// (json_script "chats-strings"); no inline scripts, no audio files (the alert is synthesised).
//
// No message lost, none duplicated: the page knows the highest line number (seq) it shows and
// asks for everything after it on every (re)connect; what the agent sends waits in a local
// outbox (localStorage) until the server acks it, and is resent with the same client_id, which
// the server stores once.
(function () {
  "use strict";

  var page = document.getElementById("chats-page");
  if (!page) return;

  var strings = {};
  try {
    strings = JSON.parse(document.getElementById("chats-strings").textContent);
  } catch (e) {
    /* the page still works without them */
  }
  function t(key) {
    return strings[key] || key;
  }

  var kind = page.getAttribute("data-page");
  var conversationId = Number(page.getAttribute("data-conversation") || 0);
  var MUTE_KEY = "zabota.chats.muted";
  var PING_MS = 30000;

  // ── Sound: the chime and its mute switch are chat_presence.js's (on every page, loaded first) ──
  function isMuted() {
    return window.ZabotaSound.isMuted();
  }

  function chime() {
    window.ZabotaSound.chime(page);
  }

  function renderMute() {
    var muted = isMuted();
    document.querySelectorAll("[data-mute]").forEach(function (button) {
      button.setAttribute("aria-pressed", muted ? "true" : "false");
      button.textContent = muted ? t("muted") : t("unmuted");
    });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-mute]")) return;
    try {
      window.localStorage.setItem(MUTE_KEY, isMuted() ? "0" : "1");
    } catch (e) {
      /* storage disabled: stays on */
    }
    renderMute();
  });

  // ── Visual notification: the tab title blinks until the agent looks at the page ──
  var baseTitle = document.title;
  var flashTimer = null;

  function flashTitle(text) {
    if (!document.hidden && document.hasFocus()) return;
    stopFlash();
    var on = false;
    flashTimer = setInterval(function () {
      on = !on;
      document.title = on ? "● " + text : baseTitle;
    }, 1000);
  }

  function stopFlash() {
    if (flashTimer) clearInterval(flashTimer);
    flashTimer = null;
    document.title = baseTitle;
  }
  window.addEventListener("focus", stopFlash);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      stopFlash();
      markRead();
    }
  });

  function notify(text) {
    chime();
    flashTitle(text);
    document.querySelectorAll("[data-chats-waiting]").forEach(function (badge) {
      badge.classList.remove("is-flashing");
      void badge.offsetWidth; // restart the animation
      badge.classList.add("is-flashing");
    });
  }

  // ── Sidebar badge and queue fragment: re-fetched from the server when frames say so ──
  var waitingCount = null;

  function refreshNav() {
    var url = page.getAttribute("data-nav-url");
    var holder = document.getElementById("chats-nav");
    if (!url || !holder) return Promise.resolve();
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        holder.innerHTML = html;
        var badge = holder.querySelector("[data-chats-waiting]");
        var count = badge ? Number(badge.textContent) : 0;
        if (waitingCount !== null && count > waitingCount) notify(t("newChat"));
        waitingCount = count;
      })
      .catch(function () {});
  }

  var queueBusy = false;
  var queueAgain = false;

  function refreshQueue() {
    var holder = document.getElementById("chat-queue");
    var url = page.getAttribute("data-queue-url");
    if (!holder || !url) return;
    if (queueBusy) {
      queueAgain = true;
      return;
    }
    queueBusy = true;
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          holder.innerHTML = html;
          if (window.htmx) window.htmx.process(holder);
          tickWaiting();
          joinMine();
        }
      })
      .catch(function () {})
      .then(function () {
        queueBusy = false;
        if (queueAgain) {
          queueAgain = false;
          refreshQueue();
        }
      });
  }

  // Waiting times tick every second ("0:42", "3:05", "1:02:10").
  function formatWait(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function tickWaiting() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = formatWait((now - since) / 1000);
    });
  }
  setInterval(tickWaiting, 1000);

  // The queue page's own availability select: the sidebar's control is refreshed with it.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.elt.matches || !event.detail.elt.matches("[data-chat-availability]")) return;
    refreshQueue();
    var control = document.getElementById("availability");
    var url = page.getAttribute("data-availability-url");
    if (control && url && window.htmx) {
      window.htmx.ajax("GET", url, { target: "#availability", swap: "outerHTML" });
    }
  });

  // ── The socket ──
  var socket = null;
  var retry = 0;
  var pingTimer = null;
  var ready = false;

  function setConnection(ok) {
    page.classList.toggle("is-offline", !ok);
    document.querySelectorAll("[data-connection]").forEach(function (el) {
      el.textContent = ok ? t("online") : t("offline");
      el.classList.toggle("is-online", ok);
    });
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + page.getAttribute("data-socket-path"));
    // Reachable for the browser tests, which drop the connection on purpose.
    page.chatSocket = socket;
    ready = false;
    syncing = false;
    page.removeAttribute("data-synced");
    socket.addEventListener("open", function () {
      retry = 0;
      // The server subscribes the socket to its groups after accepting it; the first pong
      // comes after that, so what happened before is fetched (or synced) then, not missed.
      send({ type: "ping" });
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        send({ type: "ping" });
        // Quiet since the last ping: ask for anything past the complete point. A live frame
        // the server dropped under load is otherwise only noticed by the next line's gap.
        if (kind !== "queue" && ready && !heard && !syncing) {
          syncing = true;
          send({ type: "sync", conversation: conversationId, after: lastSeq });
        }
        heard = false;
      }, PING_MS);
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      onFrame(frame);
    });
    socket.addEventListener("close", function () {
      clearInterval(pingTimer);
      setConnection(false);
      // Back off up to 10 s; a new socket syncs from the last seq it has.
      var delay = Math.min(10000, 500 * Math.pow(2, retry++));
      setTimeout(connect, delay);
    });
  }

  function onReady() {
    if (kind === "queue") {
      joinMine();
      refreshQueue();
    } else {
      send({ type: "sync", conversation: conversationId, after: lastSeq });
      flushOutbox();
    }
    refreshNav();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "pong":
        if (!ready) {
          ready = true;
          setConnection(true);
          onReady();
        }
        break;
      case "queue":
        if (kind === "queue") refreshQueue();
        refreshNav();
        break;
      case "state":
        if (kind === "queue") refreshQueue();
        else if (frame.conversation === conversationId) applyState(frame);
        refreshNav();
        break;
      case "message":
        if (frame.conversation === conversationId) {
          heard = true;
          addLine(frame.line);
        }
        else onOtherMessage(frame);
        break;
      case "ack":
        onAck(frame);
        break;
      case "typing":
        if (frame.conversation === conversationId && frame.sender === "visitor") showTyping(frame.on);
        break;
      case "read":
      case "delivered":
        if (frame.conversation === conversationId && frame.sender === "visitor") {
          setWatermark(frame.type, frame.seq);
        }
        break;
      case "synced":
        if (frame.conversation === conversationId) {
          syncing = false;
          page.setAttribute("data-synced", "1"); // joined: live frames of this chat arrive
          if (frame.state) applyState({ state: frame.state });
          markRead();
        }
        break;
      case "error":
        showError(frame);
        break;
    }
  }

  // ── Queue page: follow my active chats to count unread lines live ──
  function joinMine() {
    if (kind !== "queue") return;
    document.querySelectorAll("[data-mine]").forEach(function (row) {
      var id = Number(row.getAttribute("data-mine"));
      if (row.getAttribute("data-joined")) return;
      row.setAttribute("data-joined", "1");
      send({ type: "sync", conversation: id, after: Number(row.getAttribute("data-last-seq") || 0) });
    });
  }

  function onOtherMessage(frame) {
    if (!frame.line || frame.line.sender !== "visitor") return;
    var badge = document.querySelector('[data-unread="' + frame.conversation + '"]');
    if (badge) {
      var row = badge.closest("[data-last-seq]");
      if (row && Number(row.getAttribute("data-last-seq")) >= frame.line.seq) return;
      if (row) row.setAttribute("data-last-seq", String(frame.line.seq));
      badge.textContent = String(Number(badge.textContent || 0) + 1);
      badge.classList.remove("is-zero");
    }
    notify(t("newMessage"));
  }

  // ── Conversation page ──
  var lines = document.getElementById("chat-lines");
  var input = document.getElementById("chat-input");
  var composer = document.getElementById("chat-composer");
  var lastSeq = Number(page.getAttribute("data-last-seq") || 0);
  var deliveredSeq = Number(page.getAttribute("data-delivered-seq") || 0);
  var readSeq = Number(page.getAttribute("data-read-seq") || 0);
  var outboxKey = "zabota.chats.outbox." + conversationId;

  function scrollToEnd() {
    if (lines) lines.scrollTop = lines.scrollHeight;
  }

  function readOutbox() {
    try {
      return JSON.parse(window.localStorage.getItem(outboxKey) || "[]");
    } catch (e) {
      return [];
    }
  }

  function writeOutbox(items) {
    try {
      if (items.length) window.localStorage.setItem(outboxKey, JSON.stringify(items));
      else window.localStorage.removeItem(outboxKey);
    } catch (e) {
      /* without storage the outbox lives as long as the page */
    }
    memoryOutbox = items;
  }
  // The page's own copy is the truth; localStorage carries it over a reload.
  var memoryOutbox = readOutbox();

  function outbox() {
    return memoryOutbox.slice();
  }

  function flushOutbox() {
    outbox().forEach(function (item) {
      if (!document.querySelector('[data-client-id="' + cssEscape(item.client_id) + '"]')) {
        lines.appendChild(pendingLine(item));
      }
      send({ type: "message", conversation: conversationId, client_id: item.client_id, body: item.body });
    });
    scrollToEnd();
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/"/g, '\\"');
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timeText(iso) {
    var date = iso ? new Date(iso) : new Date();
    return String(date.getHours()).padStart(2, "0") + ":" + String(date.getMinutes()).padStart(2, "0");
  }

  function buildLine(line, pending) {
    var item = el("li", "chat-line chat-line-" + line.sender + (pending ? " is-pending" : ""));
    if (line.seq) item.setAttribute("data-seq", String(line.seq));
    if (line.client_id) item.setAttribute("data-client-id", line.client_id);
    item.setAttribute("data-sender", line.sender);
    if (line.sender === "system") {
      item.appendChild(el("div", "chat-system", line.body));
      return item;
    }
    var bubble = el("div", "chat-bubble");
    var meta = el("div", "chat-meta");
    meta.appendChild(el("span", "chat-author", line.author || (line.sender === "agent" ? t("you") : t("visitor"))));
    var time = el("time", "", timeText(line.created_at));
    if (line.created_at) time.setAttribute("datetime", line.created_at);
    meta.appendChild(time);
    if (line.sender === "agent") {
      var ticks = el("span", "chat-ticks", pending ? "…" : "✓");
      ticks.setAttribute("data-ticks", "");
      ticks.setAttribute("aria-label", pending ? t("sending") : t("sent"));
      meta.appendChild(ticks);
    }
    bubble.appendChild(meta);
    if (line.body) {
      var body = el("div", "chat-body");
      // Plain text: lines kept by CSS (white-space: pre-wrap), never parsed as HTML.
      body.textContent = line.body;
      bubble.appendChild(body);
    }
    if (line.attachments && line.attachments.length) {
      var files = el("ul", "chat-files");
      files.setAttribute("role", "list");
      line.attachments.forEach(function (file) {
        var li = el("li");
        var link = el("a", "", "📎 " + file.name);
        link.href = file.url;
        link.setAttribute("download", "");
        li.appendChild(link);
        files.appendChild(li);
      });
      bubble.appendChild(files);
    }
    item.appendChild(bubble);
    return item;
  }

  function pendingLine(item) {
    return buildLine({ sender: "agent", body: item.body, client_id: item.client_id, author: t("you") }, true);
  }

  function addLine(line) {
    if (!lines || !line || !line.seq) return;
    if (lines.querySelector('[data-seq="' + line.seq + '"]')) return; // seen already
    var node = buildLine(line, false);
    var pending = line.client_id
      ? lines.querySelector('[data-client-id="' + cssEscape(line.client_id) + '"]')
      : null;
    if (pending) {
      pending.replaceWith(node);
      dropFromOutbox(line.client_id);
    } else {
      // Keep seq order even if frames cross (sync replay and a live frame).
      var after = null;
      lines.querySelectorAll("[data-seq]").forEach(function (other) {
        if (Number(other.getAttribute("data-seq")) > line.seq && !after) after = other;
      });
      if (after) lines.insertBefore(node, after);
      else {
        var firstPending = lines.querySelector(".is-pending");
        if (firstPending) lines.insertBefore(node, firstPending);
        else lines.appendChild(node);
      }
    }
    advance(line.seq);
    renderTicks();
    scrollToEnd();
    if (line.sender === "visitor") {
      showTyping(false);
      if (document.hidden || !document.hasFocus()) notify(t("newMessage"));
      markRead();
    }
  }

  // lastSeq is the line up to which every line is on the page, never just the highest seen:
  // frames of the two sides cross, and the server drops live frames it cannot deliver in time
  // (it keeps every line). A line beyond a gap asks for what is missing, and a reconnect
  // syncs from the last complete point, so nothing in between is skipped.
  var syncing = false;
  var heard = false; // a line of this chat arrived since the last ping
  function advance(seq) {
    while (lines.querySelector('[data-seq="' + (lastSeq + 1) + '"]')) lastSeq++;
    page.setAttribute("data-last-seq", String(lastSeq));
    if (seq > lastSeq + 1 && ready && !syncing) {
      syncing = true;
      send({ type: "sync", conversation: conversationId, after: lastSeq });
    }
  }

  function dropFromOutbox(clientId) {
    writeOutbox(
      outbox().filter(function (item) {
        return item.client_id !== clientId;
      })
    );
  }

  function onAck(frame) {
    dropFromOutbox(frame.client_id);
    var node = lines && lines.querySelector('[data-client-id="' + cssEscape(frame.client_id) + '"]');
    if (node && node.classList.contains("is-pending")) {
      node.classList.remove("is-pending");
      node.setAttribute("data-seq", String(frame.seq));
      advance(frame.seq);
      renderTicks();
    }
  }

  function setWatermark(type, seq) {
    if (type === "read") readSeq = Math.max(readSeq, seq);
    deliveredSeq = Math.max(deliveredSeq, seq);
    renderTicks();
  }

  function renderTicks() {
    if (!lines) return;
    lines.querySelectorAll(".chat-line-agent:not(.is-pending) [data-ticks]").forEach(function (ticks) {
      var seq = Number(ticks.closest("[data-seq]").getAttribute("data-seq"));
      var state = seq <= readSeq ? "read" : seq <= deliveredSeq ? "delivered" : "sent";
      ticks.textContent = state === "sent" ? "✓" : "✓✓";
      ticks.className = "chat-ticks is-" + state;
      ticks.setAttribute("aria-label", t(state));
      ticks.setAttribute("title", t(state));
    });
  }

  var lastReadSent = 0;
  function markRead() {
    if (kind !== "conversation" || document.hidden || page.getAttribute("data-mine") !== "1") return;
    if (lastSeq > lastReadSent) {
      if (send({ type: "read", conversation: conversationId, seq: lastSeq })) lastReadSent = lastSeq;
    }
  }

  var typingTimer = null;
  function showTyping(on) {
    var node = document.querySelector("[data-typing]");
    if (!node) return;
    node.hidden = !on;
    clearTimeout(typingTimer);
    // A lost "off" (closed tab) must not leave the indicator on forever.
    if (on) typingTimer = setTimeout(function () { node.hidden = true; }, 8000);
  }

  var typingOn = false;
  var typingSentAt = 0;
  var typingIdle = null;
  function typing(on) {
    var now = Date.now();
    if (on && typingOn && now - typingSentAt < 3000) {
      // still typing: refresh the "off" timer only
    } else if (on !== typingOn || on) {
      send({ type: "typing", conversation: conversationId, on: on });
      typingSentAt = now;
    }
    typingOn = on;
    clearTimeout(typingIdle);
    if (on) typingIdle = setTimeout(function () { typing(false); }, 4000);
  }

  function applyState(frame) {
    if (!frame.state) return;
    var previous = page.getAttribute("data-state");
    page.setAttribute("data-state", frame.state);
    var label = document.querySelector("[data-state-label]");
    if (label && previous !== frame.state) {
      label.className = "pill chat-state chat-state-" + frame.state;
      label.textContent = frame.state === "ended" ? t("ended") : label.textContent;
    }
    var away = frame.state === "queued" && page.getAttribute("data-mine") === "1";
    if ((frame.state === "ended" || away) && composer) {
      composer.querySelectorAll("textarea, button").forEach(function (control) {
        control.disabled = true;
      });
      showNotice(frame.state === "ended" ? t("ended") : t("transferred"));
    }
  }

  function showNotice(text) {
    var holder = document.querySelector("[data-notice]");
    if (!holder) {
      holder = el("div", "chat-composer-note muted");
      holder.setAttribute("data-notice", "");
      holder.setAttribute("role", "status");
      if (composer) composer.parentNode.insertBefore(holder, composer);
      else if (lines) lines.parentNode.appendChild(holder);
    }
    holder.textContent = text;
  }

  function showError(frame) {
    var text = frame.message || t(frame.code === "rate_limited" ? "rateLimited" : frame.code === "blocked" ? "blocked" : "invalid");
    showNotice(text);
    // A refused line will not be accepted on a resend either (a rate limit passes: keep it).
    if (frame.client_id && frame.code !== "rate_limited") {
      dropFromOutbox(frame.client_id);
      var node = lines && lines.querySelector('[data-client-id="' + cssEscape(frame.client_id) + '"]');
      if (node) node.classList.add("is-failed");
    }
  }

  if (kind === "conversation" && composer && input) {
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      var item = { client_id: newClientId(), body: body };
      writeOutbox(outbox().concat([item]));
      lines.appendChild(pendingLine(item));
      scrollToEnd();
      input.value = "";
      typing(false);
      send({ type: "message", conversation: conversationId, client_id: item.client_id, body: body });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    input.addEventListener("input", function () {
      typing(input.value.trim() !== "");
    });
    // A macro's text (rendered for this chat's ticket by the ticket page's endpoint) goes into
    // the composer at the cursor, to be read and sent like anything typed.
    var macroPicker = document.getElementById("chat-macro");
    if (macroPicker) {
      macroPicker.addEventListener("change", function () {
        if (!macroPicker.value) return;
        var url = macroPicker.getAttribute("data-macro-url") + "?macro_id=" + encodeURIComponent(macroPicker.value);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.ok ? response.json() : null;
          })
          .then(function (data) {
            if (!data || !data.text) return;
            var at = input.selectionStart || input.value.length;
            input.value = input.value.slice(0, at) + data.text + input.value.slice(at);
            input.focus();
            typing(true);
          })
          .catch(function () {})
          .then(function () {
            macroPicker.value = "";
          });
      });
    }
  }

  // ── Dialogs (transfer, end) ──
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) dialog.showModal();
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var parent = closer.closest("dialog");
      if (parent) parent.close();
    }
  });

  renderMute();
  renderTicks();
  tickWaiting();
  scrollToEnd();
  // Lines typed before a reload (not acked) are shown again and resent on connect.
  if (kind === "conversation" && lines) {
    outbox().forEach(function (item) {
      lines.appendChild(pendingLine(item));
    });
  }
  setConnection(false);
  connect();
})();
