/* Video list: rows change in place when a video_update or sync_status_update frame names them.
 *
 * A row is found by its sync badge ([data-ytcms-video], videos/admin.py sync_badge); its title
 * link, badge and pending marker are rewritten, the row flashes, and a small notification says
 * what changed. Videos not on the page are ignored (the list is one page of many).
 */
(function () {
  "use strict";
  if (!window.ytcmsLive) return;

  var LABELS = {
    in_sync: "in sync",
    pending: "pending",
    pushing: "pushing…",
    drift: "drift",
    conflict: "conflict",
    failed: "push failed",
  };
  // sync_status_update carries a change-set item status; the badge shows what it means for the video.
  var ITEM_TO_SYNC = { pushing: "pushing", conflict: "conflict", failed: "failed", deferred: "pending", pending: "pending" };

  function badgeOf(videoId) {
    var badges = document.querySelectorAll("[data-ytcms-video]");
    for (var i = 0; i < badges.length; i += 1) {
      if (badges[i].dataset.ytcmsVideo === videoId) return badges[i];
    }
    return null;
  }

  function setBadge(badge, status) {
    if (!LABELS[status]) return;
    badge.className = "ytcms-sync ytcms-sync-" + status;
    badge.dataset.syncStatus = status;
    badge.textContent = LABELS[status];
  }

  function setPendingMarker(row, frame) {
    var cell = row.querySelector(".field-pending_marker");
    if (!cell) return;
    var drift = cell.querySelector(".ytcms-drift");
    var fields = frame.pending_fields || [];
    cell.textContent = "";
    if (fields.length) {
      var pending = document.createElement("span");
      pending.className = "ytcms-pending";
      pending.title = "What we want differs from YouTube: " + fields.join(", ");
      pending.textContent = "● " + fields.join(", ");
      cell.appendChild(pending);
    }
    // The frame says whether there is drift, not which fields: keep the server's list while it lasts.
    if (frame.has_drift && drift) {
      if (fields.length) cell.appendChild(document.createTextNode(" "));
      cell.appendChild(drift);
    } else if (frame.has_drift) {
      var marker = document.createElement("span");
      marker.className = "ytcms-drift";
      marker.textContent = "⚠ changed on YouTube";
      cell.appendChild(marker);
    }
    if (!cell.childNodes.length) cell.textContent = "—";
  }

  window.ytcmsLive.on("video_update", function (frame) {
    var badge = badgeOf(frame.video_id);
    if (!badge) return;
    var row = badge.closest("tr");
    var changes = [];
    var link = row.querySelector(".field-title a") || row.querySelector(".field-title");
    if (link && typeof frame.title === "string" && link.textContent !== frame.title) {
      changes.push("title “" + link.textContent + "” → “" + frame.title + "”");
      link.textContent = frame.title;
    }
    var before = badge.dataset.syncStatus;
    if (frame.sync_status && frame.sync_status !== before) {
      changes.push(LABELS[before] + " → " + (LABELS[frame.sync_status] || frame.sync_status));
      setBadge(badge, frame.sync_status);
    }
    setPendingMarker(row, frame);
    if ((frame.pending_fields || []).length) changes.push("pending: " + frame.pending_fields.join(", "));
    window.ytcmsLive.flash(row);
    window.ytcmsLive.notify(
      (frame.title || frame.video_id) + " (" + frame.video_id + "): " + (changes.join("; ") || "updated")
    );
  });

  window.ytcmsLive.on("sync_status_update", function (frame) {
    var badge = badgeOf(frame.video_id);
    if (!badge) return;
    var status = frame.status === "done" ? "in_sync" : ITEM_TO_SYNC[frame.status];
    if (!status || status === badge.dataset.syncStatus) return;
    setBadge(badge, status);
    window.ytcmsLive.flash(badge.closest("tr"));
    var what = frame.error ? ": " + frame.error : "";
    if (frame.conflict) what = ": " + frame.conflict.field + " was changed on YouTube";
    window.ytcmsLive.notify(frame.video_id + " " + LABELS[status] + what);
  });
})();
