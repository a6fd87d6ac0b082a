/* Change set page (release day, #19): count down to the scheduled moment.
 *
 * Reads data-countdown-to (ISO 8601, from syncs/templates/admin/syncs/changeset/schedule.html)
 * each second, so a schedule part replaced by live-changeset.js is followed without rebinding.
 * At the moment it says the push is due and fires "ytcms:changeset-due" on the document, which
 * live-changeset.js answers by fetching the page's parts again: the server then says what
 * happened (pushed, deferred, conflicts, not approved in time). No library.
 */
(function () {
  "use strict";

  var dueFiredFor = null;

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "2 d 03:04:05", "03:04:05": the time left, to the second.
  function left(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    var days = Math.floor(seconds / 86400);
    seconds -= days * 86400;
    var clock = two(Math.floor(seconds / 3600)) + ":" + two(Math.floor((seconds % 3600) / 60)) + ":" + two(seconds % 60);
    return (days ? days + " d " : "") + clock;
  }

  function tick() {
    var element = document.querySelector("[data-countdown-to]");
    if (!element) return;
    var moment = Date.parse(element.dataset.countdownTo);
    if (isNaN(moment)) return;
    var remaining = moment - Date.now();
    var draft = element.dataset.status === "draft";
    if (remaining > 0) {
      element.dataset.remaining = String(Math.ceil(remaining / 1000));
      element.textContent = draft
        ? "Pushes in " + left(remaining) + " if approved by then: it is not approved yet."
        : "Pushes in " + left(remaining) + ".";
      return;
    }
    element.dataset.remaining = "0";
    element.textContent = draft
      ? "The moment has come: not approved, so it is not pushed."
      : "The moment has come: the push is starting…";
    if (dueFiredFor !== element.dataset.countdownTo) {
      dueFiredFor = element.dataset.countdownTo;
      document.dispatchEvent(new CustomEvent("ytcms:changeset-due"));
    }
  }

  function start() {
    tick();
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
