#!/bin/sh
# Run one pmc-sync job by name, the same way from cron and from Cloud Run:
#
#   jobs/entrypoint.sh JOB [more pmc-sync options]
#
# JOB is sync, nightly, digest or check-config (or $PMC_SYNC_JOB when no
# argument is given). Everything else comes from the environment and from
# mounted files, never from the image:
#
#   PMC_SYNC_BACKEND        local (default) or google
#   PMC_SYNC_WORKSPACE      the local workspace folder (local backend)
#   PMC_SYNC_CONFIG         the config/ folder (default: the one shipped)
#   PMC_SYNC_TEMPLATES      the templates/ folder (default: the one shipped)
#   PMC_SYNC_GOOGLE_CONFIG  google.toml, e.g. a mounted secret (google backend);
#                           its key_file may point at another mounted secret
#
# The exit status is pmc-sync's: 0 done, 1 some participants failed,
# 2 configuration or credentials error, 3 another run holds the lease.
set -eu

job="${1:-${PMC_SYNC_JOB:-}}"
[ "$#" -gt 0 ] && shift

case "$job" in
    sync)
        # Incremental; a run still going makes this one exit 3 at once.
        set -- sync "$@"
        ;;
    nightly)
        # Full re-read, every checklist re-verified, reminders sent. It waits
        # for a sync run still going rather than skip the night.
        set -- sync --full --wait "${PMC_SYNC_NIGHTLY_WAIT:-900}" "$@"
        ;;
    digest)
        set -- digest "$@"
        ;;
    check-config)
        set -- check-config "$@"
        ;;
    *)
        echo "entrypoint: unknown job '${job}'; one of: sync nightly digest" \
            "check-config" >&2
        exit 2
        ;;
esac

exec pmc-sync "$@"
