/* Keeps an agent who answers chats reachable from every page of the agent UI, not only the chat
   pages: the widget offers live chat only while one of the agent's sockets is open and answers
   its heartbeat (docs/chat.md, "Honest availability"), so an agent working in the inbox must
   still hear of a new chat. One socket: a ping every 30 s, and on a newly queued chat a chime,
   a flashing tab title and the sidebar's badge refreshed. The chat pages run their own socket
   (chats.js), so this one stays off there. The sidebar's "Chats" link marks users who answer
   chats with [data-chat-presence]. */
(function () {
  "use strict";

  var MUTE_KEY = "zabota.chats.muted"; // chats.js switches it
  var socket = null;
  var pingTimer = null;
  var retryDelay = 1000;
  var waiting = null;
  var audio = null;
  var titleTimer = null;
  var baseTitle = document.title;

  function marker() {
    return document.querySelector("[data-chat-presence]");
  }

  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    if (audio && audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio, { passive: true });

  function isMuted() {
    try {
      return window.localStorage.getItem(MUTE_KEY) === "1";
    } catch (e) {
      return false;
    }
  }

  // A short two-tone chime made with WebAudio (no sound file); browsers allow it after a
  // gesture. ``marker`` records when it rang (the browser tests read it).
  function chime(marker) {
    (marker || document.body).setAttribute("data-last-chime", String(Date.now()));
    if (isMuted() || !audio) return;
    var now = audio.currentTime;
    [880, 1320].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.14);
      gain.gain.exponentialRampToValueAtTime(0.18, now + i * 0.14 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.14 + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.14);
      osc.stop(now + i * 0.14 + 0.25);
    });
  }
  // The chat pages (chats.js) chime and mute with the same sound.
  window.ZabotaSound = { chime: chime, isMuted: isMuted };

  function flashTitle(text) {
    if (!document.hidden || titleTimer) return;
    var on = false;
    titleTimer = setInterval(function () {
      document.title = (on = !on) ? text : baseTitle;
    }, 1000);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && titleTimer) {
      clearInterval(titleTimer);
      titleTimer = null;
      document.title = baseTitle;
    }
  });

  function refreshNav() {
    var nav = document.getElementById("chats-nav");
    if (nav && window.htmx) {
      window.htmx.ajax("GET", nav.getAttribute("hx-get"), { target: nav, swap: "innerHTML" });
    }
  }

  function onFrame(frame) {
    if (frame.type !== "queue") return;
    if (waiting !== null && frame.waiting > waiting) {
      var mark = marker();
      chime();
      flashTitle(mark ? mark.getAttribute("data-new-chat-title") : "");
    }
    waiting = frame.waiting;
    refreshNav();
  }

  function connect() {
    var mark = marker();
    if (socket || !mark || document.getElementById("chats-page")) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + mark.getAttribute("data-socket-path"));
    socket.addEventListener("open", function () {
      retryDelay = 1000;
      socket.send(JSON.stringify({ type: "ping" }));
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ type: "ping" }));
        }
      }, 30000);
    });
    socket.addEventListener("message", function (event) {
      try {
        onFrame(JSON.parse(event.data));
      } catch (e) {}
    });
    socket.addEventListener("close", function () {
      clearInterval(pingTimer);
      socket = null;
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  // The sidebar's link arrives by htmx after the page loads.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "chats-nav") {
      var count = event.target.querySelector("[data-chats-waiting]");
      if (count && waiting === null) waiting = parseInt(count.textContent, 10) || 0;
      connect();
    }
  });
})();
