# One image for the four services; the command picks the service:
#   docker run ... unghoa-contest python -m services.quiz
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Vietnamese prize certificates are set in DejaVu (full Vietnamese coverage).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first (pinned in pyproject.toml), so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
open('/tmp/requirements.txt', 'w').write('\n'.join(deps))" \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY shared ./shared
COPY services ./services
COPY tools ./tools
COPY contest ./contest

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin contest
USER 10001

ENV ENVIRONMENT=prod \
    HOST=0.0.0.0

EXPOSE 8001 8002 8003 8004
CMD ["python", "-m", "services.quiz"]
