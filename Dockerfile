FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home app && mkdir -p /data && chown app /data
USER app
