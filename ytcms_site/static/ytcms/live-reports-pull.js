/* Content owner page: the "Last fetch from YouTube" line follows reports_pull_finished frames.
 *
 * The line is #ytcms-reports-pull (reports/templates/admin/reports/contentowner/change_form.html);
 * the frame carries it whole, worded by the server as a reload would render it
 * (reports.events.reports_pull_line). Frames of other owners (a superuser hears them all) are ignored.
 */
(function () {
  "use strict";
  if (!window.ytcmsLive) return;

  window.ytcmsLive.on("reports_pull_finished", function (frame) {
    var line = document.getElementById("ytcms-reports-pull");
    if (!line || line.dataset.contentOwner !== frame.content_owner_id) return;
    line.textContent = frame.line;
    line.className = frame.failed ? "errornote" : "help";
    window.ytcmsLive.flash(line);
    window.ytcmsLive.notify((frame.failed ? "Fetch from YouTube failed: " : "Fetched from YouTube: ") + frame.summary);
  });
})();
