# NLP Playground for a lab server: `docker build -t nlp-playground .` then see docs/hosting.md.
FROM python:3.11-slim

# PyPI's torch wheel for Linux carries CUDA, so the same image trains on a GPU server when run
# with `--gpus all`; for a CPU-only image build with
#   --build-arg PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
# The `cluster` extra (Ray) lets the same image serve as a Ray head or worker (deploy/).
ARG PIP_EXTRA_INDEX_URL=
ARG EXTRAS=cluster
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL} \
    NLP_PLAYGROUND_CACHE=/cache \
    NLP_PLAYGROUND_AUTH=code \
    HF_HUB_OFFLINE=1

RUN useradd --create-home --uid 1000 playground && mkdir /cache && chown playground /cache
WORKDIR /srv/nlp-playground

COPY pyproject.toml README.md ./
COPY core core
COPY app app
RUN pip install -e ".[${EXTRAS}]"
COPY assets assets
COPY locale locale
COPY .streamlit .streamlit

USER playground
VOLUME /cache
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["python", "-m", "app.serve", "--server.port=8501", "--server.address=0.0.0.0"]
