/* ytcms live updates: one websocket per admin page, shared by every live widget on it.
 *
 * The page carries its settings as data attributes on #ytcms-live (the CSP allows no inline
 * script): data-ws-path is the consumer's path. Page scripts (live-report.js, live-videos.js,
 * live-changeset.js, dashboard.js) register handlers with window.ytcmsLive.on(type, handler) while
 * they load; the socket opens once the document is parsed, so no frame is missed.
 *
 * Frames are JSON objects with a "type" (see the live contract); unknown types are ignored.
 */
(function () {
  "use strict";

  // Reconnect delays: exponential from 1 s, capped at 30 s, with "full jitter" (a random share of
  // the delay) so that a server restart is not followed by every browser reconnecting at once.
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  // A ping every 25 s keeps proxies from closing an idle socket; silence for 60 s means the
  // connection is dead even if the browser has not noticed (laptop lid, lost Wi-Fi).
  var PING_EVERY_MS = 25000;
  var SILENCE_LIMIT_MS = 60000;
  // Close codes after which reconnecting cannot help: signed out, or not allowed.
  var FINAL_CLOSE_CODES = { 4401: "signed out", 4403: "not allowed" };

  var handlers = {};
  var stateListeners = [];
  var socket = null;
  var attempt = 0;
  var reconnectTimer = null;
  var pingTimer = null;
  var lastFrameAt = 0;
  var state = "connecting";
  var indicator = null;
  var counts = {};

  function on(type, handler) {
    (handlers[type] = handlers[type] || []).push(handler);
  }

  function onState(listener) {
    stateListeners.push(listener);
    listener(state);
  }

  function setState(next, detail) {
    state = next;
    if (indicator) {
      indicator.dataset.state = next;
      var label = indicator.querySelector(".ytcms-live-label");
      var text = {
        connecting: "connecting…",
        connected: "connected",
        reconnecting: "reconnecting" + (detail ? " in " + detail : "…"),
        closed: "not live" + (detail ? " (" + detail + ")" : ""),
      }[next] || next;
      if (label) label.textContent = text;
      indicator.title =
        next === "connected"
          ? "Live updates are on: this page changes as the catalogue does."
          : "Live updates are off for now; the page shows what it showed when it loaded.";
    }
    stateListeners.forEach(function (listener) {
      try {
        listener(next);
      } catch (error) {
        console.warn("ytcms live: state listener failed", error);
      }
    });
  }

  function dispatch(frame) {
    counts[frame.type] = (counts[frame.type] || 0) + 1;
    (handlers[frame.type] || []).concat(handlers["*"] || []).forEach(function (handler) {
      try {
        handler(frame);
      } catch (error) {
        // One broken widget must not stop the others from updating.
        console.warn("ytcms live: handler for " + frame.type + " failed", error);
      }
    });
  }

  function socketUrl() {
    var path = (indicator && indicator.dataset.wsPath) || "/ws/live/";
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (socket && socket.readyState <= 1) return;
    var current = new WebSocket(socketUrl());
    socket = current;
    current.onmessage = function (message) {
      lastFrameAt = Date.now();
      var frame;
      try {
        frame = JSON.parse(message.data);
      } catch (error) {
        console.warn("ytcms live: a frame that is not JSON was ignored");
        return;
      }
      if (!frame || typeof frame.type !== "string") return;
      if (frame.type === "connection_status") {
        if (frame.status === "connected") {
          attempt = 0;
          setState("connected");
        }
      }
      dispatch(frame);
    };
    current.onopen = function () {
      lastFrameAt = Date.now();
      startPings(current);
    };
    current.onclose = function (event) {
      if (socket !== current) return;
      stopPings();
      socket = null;
      if (FINAL_CLOSE_CODES[event.code]) {
        setState("closed", FINAL_CLOSE_CODES[event.code]);
        return;
      }
      scheduleReconnect();
    };
    // onerror is always followed by onclose, which decides what happens next.
    current.onerror = function () {};
  }

  function scheduleReconnect() {
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, attempt));
    var delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    attempt += 1;
    setState("reconnecting", Math.max(1, Math.round(delay / 1000)) + " s");
    reconnectTimer = setTimeout(connect, delay);
  }

  function startPings(current) {
    stopPings();
    pingTimer = setInterval(function () {
      if (current.readyState !== 1) return;
      if (Date.now() - lastFrameAt > SILENCE_LIMIT_MS) {
        current.close(4000, "silent");
        return;
      }
      current.send(JSON.stringify({ type: "ping" }));
    }, PING_EVERY_MS);
  }

  function stopPings() {
    clearInterval(pingTimer);
    pingTimer = null;
  }

  // A small notification in the corner: what changed, for a few seconds.
  function notify(text) {
    var box = document.getElementById("ytcms-live-notes");
    if (!box) {
      box = document.createElement("div");
      box.id = "ytcms-live-notes";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var note = document.createElement("div");
    note.className = "ytcms-live-note";
    note.textContent = text;
    box.appendChild(note);
    while (box.children.length > 5) box.removeChild(box.firstChild);
    setTimeout(function () {
      if (note.parentNode) note.parentNode.removeChild(note);
    }, 8000);
  }

  // Call fn at most once per wait ms, after the last call of a burst.
  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function flash(element) {
    if (!element) return;
    element.classList.remove("ytcms-live-flash");
    // Reading offsetWidth restarts the CSS animation on an element that already had it.
    void element.offsetWidth;
    element.classList.add("ytcms-live-flash");
  }

  window.ytcmsLive = {
    on: on,
    onState: onState,
    notify: notify,
    debounce: debounce,
    flash: flash,
    state: function () {
      return state;
    },
    counts: counts,
  };

  function start() {
    indicator = document.getElementById("ytcms-live");
    if (!indicator || !("WebSocket" in window)) return;
    setState("connecting");
    connect();
    // Back online, or back to a tab the browser put to sleep: try now instead of waiting.
    window.addEventListener("online", function () {
      if (!socket) connect();
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && !socket && state !== "closed") connect();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
