/* The admin index's dashboard: fetch the figures, draw them, redraw when live events say so.
 *
 * Figures come from data-url (ytcms_site/dashboard/views.py). Each card has a canvas (Chart.js,
 * when it loaded) and a list of the same numbers as text. Live frames that change counts
 * trigger one debounced refetch; quota_update frames move the quota card at once. The figures
 * are also refetched every minute, and after a reconnect (frames may have been missed).
 */
(function () {
  "use strict";

  var root = document.getElementById("ytcms-dashboard");
  if (!root) return;

  var REFETCH_AFTER_EVENT_MS = 1500;
  // Longer than the server's 5 s cache of these figures (ACTIVITY_CACHE_SECONDS), so that the
  // refetch after an event is answered with new numbers, not the cached ones.
  var MIN_REFETCH_GAP_MS = 6000;
  var POLL_MS = 60000;
  var PALETTE = ["#417690", "#79aec8", "#e8a33d", "#ba2121", "#5b9a68", "#9a6fb0", "#c9c9c9", "#d17d5b", "#3f8f8f", "#707070"];
  var OUTCOME_COLOURS = {
    done: "#5b9a68", success: "#5b9a68", failed: "#ba2121", conflict: "#e8a33d",
    deferred: "#9a6fb0", running: "#79aec8", queued: "#c9c9c9", pending: "#c9c9c9",
  };

  var charts = {};
  var latest = null;
  // The computed_at of stale catalogue counts already asked again for (once each, see render).
  var refreshAskedFor = null;
  var lastFetchAt = 0;
  var fetchTimer = null;

  function number(value) {
    return Number(value || 0).toLocaleString("en-US");
  }

  // "1 video", "2 videos": a count with its noun in the right number.
  function counted(value, one, many) {
    return number(value) + " " + (Number(value) === 1 ? one : many);
  }

  function card(id) {
    return document.getElementById(id);
  }

  function setFigures(id, items) {
    var list = card(id).querySelector("ul.ytcms-figures");
    list.textContent = "";
    items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.dataset.key = item.key;
      entry.textContent = item.label + ": " + item.text;
      list.appendChild(entry);
    });
  }

  function draw(id, config) {
    if (typeof window.Chart === "undefined") return; // the figures lists still say it all
    var existing = charts[id];
    if (existing && existing.config.type === config.type) {
      existing.data.labels = config.data.labels;
      existing.data.datasets = config.data.datasets;
      existing.update();
      return;
    }
    if (existing) existing.destroy();
    var canvas = card(id).querySelector("canvas");
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: { duration: 300 } },
      config.options || {}
    );
    charts[id] = new window.Chart(canvas, config);
  }

  function doughnut(id, rows) {
    setFigures(id, rows.map(function (row) {
      return { key: row.key, label: row.label, text: number(row.count) };
    }));
    draw(id, {
      type: "doughnut",
      data: {
        labels: rows.map(function (row) { return row.label; }),
        datasets: [{ data: rows.map(function (row) { return row.count; }), backgroundColor: PALETTE }],
      },
      options: { plugins: { legend: { position: "right", labels: { boxWidth: 10 } } } },
    });
  }

  function horizontalBars(id, rows) {
    setFigures(id, rows.map(function (row) {
      return { key: row.key, label: row.label, text: number(row.count) };
    }));
    draw(id, {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return row.label; }),
        datasets: [{ label: "videos", data: rows.map(function (row) { return row.count; }), backgroundColor: PALETTE[0] }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        // A card is narrow: long policy names are cut here and given whole in the figures below.
        scales: { y: { ticks: { callback: function (value) { return shortLabel(this.getLabelForValue(value)); } } } },
      },
    });
  }

  function shortLabel(label) {
    return label.length > 16 ? label.slice(0, 15) + "…" : label;
  }

  function stackedByDay(id, activity) {
    var statuses = Object.keys(activity.series);
    var totals = statuses.map(function (status) {
      return { key: status, label: status.replace("_", " "), text: number(activity.series[status].reduce(function (a, b) { return a + b; }, 0)) };
    });
    setFigures(id, totals);
    draw(id, {
      type: "bar",
      data: {
        labels: activity.days.map(function (day) { return day.slice(5); }),
        datasets: statuses.map(function (status, index) {
          return {
            label: status.replace("_", " "),
            data: activity.series[status],
            backgroundColor: OUTCOME_COLOURS[status] || PALETTE[index % PALETTE.length],
          };
        }),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10 } } },
      },
    });
  }

  function drawQuota(quota) {
    card("dash-quota").querySelector('[data-figure="quota-day"]').textContent = quota.day;
    var rows = quota.rows.length
      ? quota.rows
      : [{ project: "no calls yet", api: "youtube", used: 0, spendable: quota.default_spendable, remaining: quota.default_spendable }];
    setFigures("dash-quota", rows.map(function (row) {
      return {
        key: row.project + "/" + row.api,
        label: row.project + " · " + row.api,
        text: number(row.used) + " of " + number(row.spendable) + " units used" + (row.exhausted ? " (spent for today)" : ""),
      };
    }));
    draw("dash-quota", {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return row.api; }),
        datasets: [
          { label: "used", data: rows.map(function (row) { return row.used; }), backgroundColor: "#417690" },
          { label: "left", data: rows.map(function (row) { return Math.max(row.spendable - row.used, 0); }), backgroundColor: "#dfe9ef" },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10 } } },
      },
    });
  }

  function drawPlanned(planned) {
    var days = planned.days.slice();
    if (planned.later_videos) days.push({ day: "later", videos: planned.later_videos, units: null });
    setFigures("dash-planned", days.map(function (row) {
      return { key: row.day, label: row.day, text: counted(row.videos, "video", "videos") + (row.units ? " (" + counted(row.units, "unit", "units") + ")" : "") };
    }));
    draw("dash-planned", {
      type: "bar",
      data: {
        labels: days.map(function (row) { return row.day === "later" ? "later" : row.day.slice(5); }),
        datasets: [{ label: "videos", data: days.map(function (row) { return row.videos; }), backgroundColor: "#79aec8" }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  // The next scheduled change sets (release day): when in their own zone and Pacific, how many
  // videos, the units reserved on their quota day, and whether they are approved yet.
  function drawScheduled(scheduled) {
    var list = card("dash-scheduled").querySelector("ul.ytcms-scheduled");
    list.textContent = "";
    if (!scheduled || !scheduled.length) {
      var none = document.createElement("li");
      none.className = "ytcms-scheduled-none";
      none.textContent = "No push is scheduled.";
      list.appendChild(none);
      return;
    }
    scheduled.forEach(function (row) {
      var entry = document.createElement("li");
      entry.dataset.changesetId = row.changeset_id;
      entry.dataset.approved = row.approved ? "yes" : "no";
      var link = document.createElement("a");
      link.href = row.url;
      link.textContent = row.title;
      entry.appendChild(link);
      entry.appendChild(document.createTextNode(
        ": " + row.local + " (" + row.pacific + ", quota day " + row.quota_day + ") · " +
        counted(row.videos, "video", "videos") + " · " + counted(row.units, "unit", "units") + " reserved · "
      ));
      var approval = document.createElement(row.approved ? "span" : "strong");
      approval.className = "ytcms-scheduled-approval";
      approval.textContent = row.approval;
      entry.appendChild(approval);
      list.appendChild(entry);
    });
  }

  // The catalogue counts may be a minute or more old (counted in the background): say when.
  function showAsOf(computedAt) {
    var when = new Date(computedAt);
    if (isNaN(when.getTime())) return;
    var text = "as of " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    root.querySelectorAll("[data-as-of]").forEach(function (element) {
      element.textContent = text;
      element.title = "Counted at " + when.toLocaleString();
    });
  }

  function render(data) {
    latest = data;
    doughnut("dash-privacy", data.catalogue.privacy);
    doughnut("dash-claimed", data.catalogue.claimed);
    horizontalBars("dash-policy", data.catalogue.policy);
    card("dash-worklist").querySelector('[data-figure="pending"]').textContent = number(data.worklist.pending);
    card("dash-worklist").querySelector('[data-figure="drifted"]').textContent = number(data.worklist.drifted);
    drawQuota(data.quota);
    drawPlanned(data.planned);
    drawScheduled(data.scheduled);
    stackedByDay("dash-imports", data.imports);
    stackedByDay("dash-pushes", data.pushes);
    root.dataset.generatedAt = data.generated_at;
    showAsOf(data.computed_at);
    // Stale counts are being recounted in the background: ask once more soon for the new ones.
    if (data.refreshing && data.computed_at !== refreshAskedFor) {
      refreshAskedFor = data.computed_at;
      refetchSoon();
    }
    var updated = document.getElementById("ytcms-dashboard-updated");
    if (updated) updated.textContent = "Last drawn " + new Date().toLocaleTimeString() + ".";
  }

  function refetch() {
    fetchTimer = null;
    lastFetchAt = Date.now();
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("dashboard data answered " + response.status);
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        console.warn("ytcms dashboard:", error.message);
      });
  }

  // After a burst of events: one fetch, REFETCH_AFTER_EVENT_MS after the last frame, and never
  // two within MIN_REFETCH_GAP_MS (a push sends frames every second).
  function refetchSoon() {
    var wait = Math.max(REFETCH_AFTER_EVENT_MS, lastFetchAt + MIN_REFETCH_GAP_MS - Date.now());
    clearTimeout(fetchTimer);
    fetchTimer = setTimeout(refetch, wait);
  }

  function start() {
    refetch();
    setInterval(refetch, POLL_MS);
    var live = window.ytcmsLive;
    if (!live) return;
    live.on("video_update", refetchSoon);
    live.on("changeset_update", refetchSoon);
    live.on("sync_status_update", refetchSoon);
    live.on("processing_update", function (frame) {
      if (frame.done) refetchSoon();
    });
    live.on("quota_update", function (frame) {
      if (!latest) return;
      var rows = latest.quota.rows;
      if (frame.day !== latest.quota.day) {
        latest.quota.day = frame.day;
        rows.length = 0;
      }
      var row = rows.filter(function (r) { return r.project === frame.project && r.api === frame.api; })[0];
      if (!row) {
        row = { project: frame.project, api: frame.api, reserve: 0 };
        rows.push(row);
      }
      row.used = frame.used;
      row.budget = frame.budget;
      row.remaining = frame.remaining;
      // remaining = budget − reserve − used (0 once exhausted): the spendable part is budget − reserve.
      row.spendable = frame.reserve !== undefined ? frame.budget - frame.reserve : frame.used + frame.remaining;
      row.exhausted = frame.exhausted !== undefined ? frame.exhausted : frame.remaining <= 0;
      drawQuota(latest.quota);
    });
    var wasConnected = false;
    live.onState(function (state) {
      if (state === "connected" && wasConnected) refetchSoon();
      if (state === "connected") wasConnected = true;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
