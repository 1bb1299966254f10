# The project's one image: the operator, the REST API, the session pod and the
# WhatsApp simulator are console scripts of the same installed package; a pod
# picks one with `command` (the chart and the operator always set it).
#
# Debian 12 (bookworm) slim, not Alpine: neonize's Go library needs glibc >= 2.34.
# Build: docker build -t mywhatsapp-operator:0.1.0 .

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/mywhatsapp
WORKDIR /src
# Only what `pip install .` reads (see .dockerignore).
COPY pyproject.toml README.md ./
COPY common/ common/
COPY operator/ operator/
COPY sessionpod/ sessionpod/
COPY api/ api/
COPY simulator/ simulator/
COPY localcluster/ localcluster/
RUN /opt/mywhatsapp/bin/pip install --no-cache-dir . \
    && for script in mywhatsapp-operator mywhatsapp-api mywhatsapp-sessionpod mywhatsapp-simulator; do \
         test -x "/opt/mywhatsapp/bin/$script" || { echo "missing console script $script" >&2; exit 1; }; \
       done

FROM python:3.11-slim-bookworm
# ffmpeg: audio/video conversion for media messages (neonize); libmagic1: MIME
# type detection of media. Versions follow the Debian 12 security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg libmagic1 \
    && rm -rf /var/lib/apt/lists/*
# The non-root user every pod runs as (runAsUser/runAsGroup 10001 in the chart
# and in mywhatsapp.common.pod_contract).
RUN groupadd --system --gid 10001 mywhatsapp \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/mywhatsapp --create-home \
       --shell /usr/sbin/nologin mywhatsapp
COPY --from=build /opt/mywhatsapp /opt/mywhatsapp
ENV PATH=/opt/mywhatsapp/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /home/mywhatsapp
USER 10001:10001
EXPOSE 9009
# No ENTRYPOINT: `command` in a pod replaces CMD, so each component names its
# console script (mywhatsapp-operator, mywhatsapp-sessionpod,
# mywhatsapp-simulator); without one, the pod runs the API.
CMD ["mywhatsapp-api"]
