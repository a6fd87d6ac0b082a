/* Change set page: each item's status changes as sync_status_update frames arrive; conflicts are
 * listed as they are found; changeset_update frames move the status, the bar and the counts.
 *
 * Items are the preview table's rows ([data-item-id], syncs/templates/admin/syncs/changeset/
 * item_row.html). Frames for other change sets are ignored. After a frame of this change set, the
 * parts a push changes (the conflicts with their Keep/Overwrite buttons, the items, the page's
 * buttons, when it was pushed) are fetched again from the server (data-parts-url, ChangeSetAdmin.changeset_parts_view)
 * as the page's own templates render them: the page shows what a reload would, and only the items
 * this user may see.
 */
(function () {
  "use strict";
  if (!window.ytcmsLive) return;

  var ITEM_LABELS = {
    pending: "Pending",
    pushing: "Pushing",
    done: "Done",
    failed: "Failed",
    deferred: "Deferred",
    conflict: "Conflict",
    skipped: "Skipped",
  };
  var CHANGESET_LABELS = {
    draft: "Draft",
    approved: "Approved",
    queued: "Queued",
    pushing: "Pushing",
    done: "Done",
    partly_failed: "Partly failed",
    has_conflicts: "Has conflicts",
    reverted: "Reverted",
  };

  // The page's parts that live_parts.html renders again, each replacing the element of its id.
  var PART_IDS = [
    "ytcms-changeset-conflicts",
    "ytcms-changeset-items",
    "ytcms-changeset-actions",
    "ytcms-changeset-pushed-at",
    "ytcms-changeset-schedule",
  ];
  // A push sends a frame per video: at most one fetch of the parts at a time, and a second one
  // (for the frames that arrived meanwhile) no sooner than this after the first began.
  var MIN_PARTS_GAP_MS = 1000;
  var partsFetching = false;
  var partsAgain = false;
  var partsStartedAt = 0;

  function panel() {
    return document.getElementById("ytcms-changeset-live");
  }

  function replaceParts(html) {
    var parts = new DOMParser().parseFromString(html, "text/html");
    PART_IDS.forEach(function (id) {
      var fresh = parts.getElementById(id);
      var current = document.getElementById(id);
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    });
  }

  function refreshParts() {
    var box = panel();
    if (!box || !box.dataset.partsUrl) return;
    if (partsFetching) {
      partsAgain = true;
      return;
    }
    partsFetching = true;
    partsStartedAt = Date.now();
    fetch(box.dataset.partsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("change-set parts answered " + response.status);
        return response.text();
      })
      .then(replaceParts)
      .catch(function (error) {
        console.warn("ytcms change set:", error.message);
      })
      .then(function () {
        partsFetching = false;
        if (!partsAgain) return;
        partsAgain = false;
        setTimeout(refreshParts, Math.max(0, partsStartedAt + MIN_PARTS_GAP_MS - Date.now()));
      });
  }

  function ours(frame) {
    var box = panel();
    return box && box.dataset.changesetId === String(frame.changeset_id);
  }

  function show(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function rowsFor(frame) {
    var ids = (frame.item_ids || []).map(String);
    return Array.prototype.filter.call(document.querySelectorAll("tr[data-item-id]"), function (row) {
      if (ids.length) return ids.indexOf(row.dataset.itemId) !== -1;
      // No item ids: every item of the video (and of the field, when the conflict names one).
      return (
        row.dataset.videoId === frame.video_id &&
        (!frame.conflict || row.dataset.field === frame.conflict.field)
      );
    });
  }

  function addConflict(frame, conflict) {
    var list = document.getElementById("ytcms-conflicts");
    if (!list) return;
    var key = frame.video_id + "/" + conflict.field;
    if (list.querySelector('[data-conflict="' + CSS.escape(key) + '"]')) return;
    var entry = document.createElement("li");
    entry.dataset.conflict = key;
    entry.className = "errornote";
    // `worded` holds the values as the page's tables word them (a claim's policy by name); the raw
    // values only when a frame has none.
    var values = conflict.worded || conflict;
    entry.textContent =
      "Conflict on " + frame.video_id + " · " + conflict.field + ": YouTube now has “" + show(values.theirs) +
      "” (was “" + show(values.base) + "” when the edit began); we want “" + show(values.ours) + "”.";
    list.appendChild(entry);
    list.hidden = false;
  }

  window.ytcmsLive.on("sync_status_update", function (frame) {
    if (!ours(frame)) return;
    // `conflicts` lists every conflicting field of the video; `conflict` is the first of them.
    var conflicts = frame.conflicts || (frame.conflict ? [frame.conflict] : []);
    rowsFor(frame).forEach(function (row) {
      var cell = row.querySelector(".ytcms-item-status");
      cell.dataset.status = frame.status;
      cell.textContent = (ITEM_LABELS[frame.status] || frame.status) + (frame.error ? ": " + frame.error : "");
      conflicts.forEach(function (conflict) {
        if (row.dataset.field === conflict.field) {
          row.querySelector(".ytcms-item-theirs").textContent = show(conflict.theirs);
        }
      });
      window.ytcmsLive.flash(row);
    });
    conflicts.forEach(function (conflict) {
      addConflict(frame, conflict);
    });
    if (conflicts.length) {
      window.ytcmsLive.notify(
        "Conflict on " + frame.video_id + " · " + conflicts.map(function (c) { return c.field; }).join(", ")
      );
    }
    refreshParts();
  });

  // After a reconnect the frames sent meanwhile are lost: read the parts again, as the dashboard
  // refetches its figures.
  var wasConnected = false;
  window.ytcmsLive.onState(function (state) {
    if (state === "connected" && wasConnected) refreshParts();
    if (state === "connected") wasConnected = true;
  });

  // The countdown (changeset-countdown.js) reached the scheduled moment: ask what happened at it,
  // and again a little later in case the worker's frames were missed.
  document.addEventListener("ytcms:changeset-due", function () {
    refreshParts();
    setTimeout(refreshParts, 5000);
  });

  window.ytcmsLive.on("changeset_update", function (frame) {
    if (!ours(frame)) return;
    refreshParts();
    var box = panel();
    box.dataset.status = frame.status;
    var label = CHANGESET_LABELS[frame.status] || frame.status;
    box.querySelector(".ytcms-changeset-status").textContent = label;
    // The read-only "Status" field of the form above says the same.
    var field = document.querySelector(".form-row.field-status .readonly, .form-row .field-status .readonly");
    if (field) field.textContent = label;
    var progress = box.querySelector(".ytcms-changeset-progress");
    progress.hidden = false;
    var percent = Math.max(0, Math.min(100, Math.round(Number(frame.progress) || 0)));
    progress.querySelector("progress").value = percent;
    box.querySelector(".ytcms-changeset-percent").textContent = percent + "%";
    var counts = frame.counts || {};
    box.querySelector(".ytcms-changeset-counts").textContent = Object.keys(counts)
      .filter(function (status) {
        return counts[status];
      })
      .map(function (status) {
        return counts[status] + " " + (ITEM_LABELS[status] || status).toLowerCase();
      })
      .join(" · ");
    if (frame.status === "done" || frame.status === "partly_failed" || frame.status === "has_conflicts") {
      window.ytcmsLive.notify("Change set " + (frame.title || frame.changeset_id) + ": " + (CHANGESET_LABELS[frame.status] || frame.status));
    }
  });
})();
