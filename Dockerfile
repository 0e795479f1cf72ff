# The ltrr service image: `ltrr serve` by default, `ltrr worker` and the demo init from the
# same image (docker-compose.yml, docs/deploy.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1

# LightGBM's wheel links the system OpenMP runtime; its version follows the base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The CPU build of torch first: the pin in pyproject.toml (torch==2.13.0) is then
# satisfied by 2.13.0+cpu, and no CUDA wheels are pulled.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# The pinned dependencies in their own layer, so a source change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY service ./service
COPY catalog ./catalog
COPY retrievers ./retrievers
COPY bandit ./bandit
COPY ranker ./ranker
COPY simulator ./simulator
COPY evaluation ./evaluation
RUN pip install --no-deps . && rm -rf build ./*.egg-info

COPY deploy/init-demo.sh /app/init-demo.sh

RUN groupadd --gid 10001 ltrr \
    && useradd --uid 10001 --gid 10001 --create-home ltrr \
    && mkdir /data \
    && chown 10001:10001 /data
USER 10001:10001
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

CMD ["ltrr", "serve", "--data-dir", "/data", "--host", "0.0.0.0", "--port", "8000"]
