"""The counts one run of a report import keeps on its Report: the one list of them.

The pipeline adds to them, the service zeroes them, the admin page shows them and every
processing_update carries them; live-report.js reads the names off the report's page (its live
panel's data-counters), so a counter added here reaches all of them.
"""

# The page's "Rows" line: rows_read = rows_imported + rows_unchanged + rows_rejected.
ROW_COUNTERS = ("rows_read", "rows_imported", "rows_unchanged", "rows_rejected")
# What an import did to the catalogue (the page's "Catalogue" lines).
CATALOGUE_COUNTERS = (
    "videos_created",
    "videos_updated",
    "videos_unchanged",
    "channels_created",
    "claims_upserted",
    "assets_created",
)

# What the report's page shows of a run as it goes, and so what every processing_update carries:
# none of the page's fields stays stale while a run goes on.
LIVE_COUNTERS = (*ROW_COUNTERS, *CATALOGUE_COUNTERS, "bytes_processed")

# What a run counts; a run that starts over starts them at zero (a resume keeps them). The page
# does not show claims_deactivated (the run's message says it); checkpoint_line is where a resume
# starts.
RUN_COUNTERS = (*LIVE_COUNTERS, "claims_deactivated", "checkpoint_line")

# What merging one chunk counts (reports.staging.ChunkResult), added to the report as it commits;
# the pipeline counts the rows read and rejected and the bytes itself.
MERGE_COUNTERS = ("rows_imported", "rows_unchanged", *CATALOGUE_COUNTERS, "claims_deactivated")

# The whole numbers of the report's page, grouped by thousands as its list shows them.
SHOWN_COUNTERS = (*LIVE_COUNTERS, "bytes_total", "checkpoint_line")
