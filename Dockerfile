# pmc-sync as a container: runs any scheduled job by name, as a non-root user.
#   docker build -t pmc-sync .
#   docker run --rm -e PMC_SYNC_WORKSPACE=/data -v "$PWD/ws:/data" pmc-sync sync
# Dependencies are pinned in requirements.lock (jobs/lock.py writes it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PMC_SYNC_CONFIG=/opt/pmc-sync/config \
    PMC_SYNC_TEMPLATES=/opt/pmc-sync/templates

RUN useradd --create-home --uid 10001 --user-group pmc

WORKDIR /opt/pmc-sync
COPY requirements.lock ./
RUN pip install --requirement requirements.lock

COPY pyproject.toml README.md ./
COPY pmc_sync ./pmc_sync
RUN pip install --no-deps .
COPY config ./config
COPY templates ./templates
COPY jobs/entrypoint.sh ./jobs/entrypoint.sh

USER pmc
ENTRYPOINT ["/opt/pmc-sync/jobs/entrypoint.sh"]
CMD ["sync"]
