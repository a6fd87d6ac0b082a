/* Reports: progress bars, counts, rate and row errors move as processing_update frames arrive.
 *
 * On the report list every progress bar ([data-ytcms-report], rendered by reports/admin.py
 * progress_bar) and the count columns of its row change in place. On a report's page the live
 * panel (#ytcms-report-live) shows percent, counts, rate and message, the final summary once
 * done is true, and the row errors are appended to the rejected-rows table as they are found.
 * A preview's frames (dry_run) count what an import would do, and are worded so: nothing is written.
 */
(function () {
  "use strict";
  if (!window.ytcmsLive) return;

  var STATUS_LABELS = { queued: "Queued", running: "Running", done: "Done", failed: "Failed" };
  // The report's counters a frame carries and the page shows: the report's page names them on its
  // live panel (data-counters, from reports/counters.py LIVE_COUNTERS); each is a read-only field
  // of the page, and some are in the panel too.
  function counterNames(panel) {
    return (panel.dataset.counters || "").split(" ").filter(Boolean);
  }
  var BAR_COLOURS = { failed: "#ba2121", done: "#417690" };
  // Row errors kept in the table while the page is open; the full list is paged on reload.
  var MAX_LIVE_ERRORS = 500;

  function number(value) {
    return value === null || value === undefined ? "" : Number(value).toLocaleString("en-US");
  }

  function clampPercent(frame) {
    var percent = frame.done && frame.status === "done" ? 100 : Number(frame.progress) || 0;
    return Math.max(0, Math.min(100, Math.round(percent)));
  }

  // The list's bars and the read-only "progress" field of the report's own page.
  function updateBars(frame, percent) {
    var bars = document.querySelectorAll('[data-ytcms-report="' + String(frame.report_id) + '"]');
    Array.prototype.forEach.call(bars, function (bar) {
      var fill = bar.querySelector(".ytcms-progress-fill") || bar.firstElementChild;
      if (fill) {
        fill.style.width = percent + "%";
        fill.style.background = BAR_COLOURS[frame.status] || "#79aec8";
      }
      bar.title = percent + "%";
      var label = bar.parentNode.querySelector(".ytcms-progress-percent");
      if (label) label.textContent = percent + "%";
      var row = bar.closest("tr");
      if (row) updateListRow(row, frame);
    });
  }

  // reports/admin.py would_count: "would create 5" for a preview, "5" for an import.
  function wouldCount(frame, verb, value) {
    var text = number(value);
    return frame.dry_run && text !== "" ? "would " + verb + " " + text : text;
  }

  function updateListRow(row, frame) {
    var columns = {
      status: STATUS_LABELS[frame.status] || frame.status,
      rows_read: number(frame.rows_read),
      imported_rows: wouldCount(frame, "import", frame.rows_imported),
      rows_unchanged: number(frame.rows_unchanged),
      rows_rejected: number(frame.rows_rejected),
      created_videos: wouldCount(frame, "create", frame.videos_created),
      updated_videos: wouldCount(frame, "update", frame.videos_updated),
    };
    Object.keys(columns).forEach(function (name) {
      var cell = row.querySelector(".field-" + name);
      if (cell && columns[name] !== "") cell.textContent = columns[name];
    });
  }

  function updatePanel(panel, frame, percent) {
    panel.dataset.status = frame.status;
    var bar = panel.querySelector(".ytcms-bar");
    bar.setAttribute("aria-valuenow", String(percent));
    panel.querySelector(".ytcms-bar-fill").style.width = percent + "%";
    panel.querySelector(".ytcms-report-percent").textContent = percent + "%";
    panel.querySelector(".ytcms-report-status").textContent = STATUS_LABELS[frame.status] || frame.status;
    var counters = counterNames(panel);
    counters.forEach(function (name) {
      if (frame[name] === undefined) return;
      Array.prototype.forEach.call(document.querySelectorAll('[data-count="' + name + '"]'), function (el) {
        el.textContent = number(frame[name]);
      });
    });
    // The rejected rows' heading below the admin's form, in change_form.html's words.
    var heading = document.getElementById("ytcms-report-errors-heading");
    if (heading && frame.rows_rejected !== undefined) {
      heading.textContent = "Rejected rows (" + number(frame.rows_rejected) + ")";
    }
    var total = panel.querySelector('[data-count="rows_total"]');
    if (total) total.textContent = frame.rows_total ? " of " + number(frame.rows_total) : "";
    var rate = panel.querySelector(".ytcms-report-rate");
    if (rate) rate.textContent = !frame.done && frame.rate ? "· " + number(Math.round(frame.rate)) + " rows/s" : "";
    if (frame.message !== undefined) panel.querySelector(".ytcms-report-message").textContent = frame.message || "";
    updateReadonlyFields(frame, counters);
    if (frame.done) showSummary(panel, frame);
  }

  // The page's read-only fields. Django's fieldset.html marks a line of several fields with every
  // one's .field-<name> too, so a field sharing a line is found by its own box (.fieldBox) first:
  // the line's class would find the line's first field (rows_rejected overwrote rows_read).
  function readonlyField(name) {
    return (
      document.querySelector(".form-row .fieldBox.field-" + name + " .readonly") ||
      document.querySelector(".form-row.field-" + name + ":not(.form-multiline) .readonly")
    );
  }

  function updateReadonlyFields(frame, counters) {
    var values = { status: STATUS_LABELS[frame.status] || frame.status, message: frame.message || "-" };
    counters.forEach(function (name) {
      // A frame from a server older than the page may lack a counter: keep what is shown. Grouped
      // as the admin renders a read-only counter (ytcms_site/admin_display.py): the live field
      // reads as it will after a reload.
      if (frame[name] !== undefined && frame[name] !== null) values[name] = number(frame[name]);
    });
    // Started, last progress and finished at, as the server renders them (the final frame has them).
    var times = frame.times || {};
    Object.keys(times).forEach(function (name) {
      values[name] = times[name];
    });
    Object.keys(values).forEach(function (name) {
      var field = readonlyField(name);
      if (field) field.textContent = values[name];
    });
  }

  function showSummary(panel, frame) {
    var summary = panel.querySelector(".ytcms-report-summary");
    var status = STATUS_LABELS[frame.status] || frame.status;
    summary.textContent = frame.dry_run
      ? status + " (preview, nothing written): " + number(frame.rows_read) + " rows read; " +
        number(frame.videos_created) + " videos would be created, " +
        number(frame.videos_updated) + " would be updated, " +
        number(frame.videos_unchanged) + " unchanged; " +
        number(frame.claims_upserted) + " claims would be written; " +
        number(frame.rows_rejected) + " rows rejected."
      : status + ": " + number(frame.rows_read) + " rows read, " +
        number(frame.videos_created) + " videos created, " +
        number(frame.videos_updated) + " updated, " +
        number(frame.videos_unchanged) + " unchanged, " +
        number(frame.claims_upserted) + " claims, " +
        number(frame.rows_rejected) + " rows rejected.";
    summary.hidden = false;
    var note = document.querySelector(".ytcms-report-run-note");
    if (note) {
      note.textContent = "Finished. ";
      var reload = document.createElement("a");
      reload.href = location.pathname;
      reload.textContent = "Reload for the report's actions and the full list of rejected rows.";
      note.appendChild(reload);
    }
    window.ytcmsLive.notify(
      (frame.dry_run ? "Preview of report #" : "Report #") + frame.report_id + " " + status.toLowerCase() + "."
    );
  }

  function appendErrors(frame) {
    var body = document.getElementById("ytcms-report-errors");
    if (!body || !frame.errors || !frame.errors.length) return;
    frame.errors.forEach(function (error) {
      if (body.children.length >= MAX_LIVE_ERRORS) return;
      var row = document.createElement("tr");
      row.className = "ytcms-row-new";
      [number(error.row), error.column || "", "", error.message || ""].forEach(function (text) {
        var cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  window.ytcmsLive.on("processing_update", function (frame) {
    if (frame.report_id === undefined || frame.report_id === null) return;
    var percent = clampPercent(frame);
    updateBars(frame, percent);
    var panel = document.getElementById("ytcms-report-live");
    if (panel && panel.dataset.reportId === String(frame.report_id)) {
      updatePanel(panel, frame, percent);
      appendErrors(frame);
    }
  });
})();
