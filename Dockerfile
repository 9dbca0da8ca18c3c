# The quickfunc local host serving the function app in /home/site/wwwroot on port 80.
#
#   docker build -t quickfunc-app .                                # serves examples/v2_app
#   docker build -t my-app --build-arg APP_DIR=path/to/app .       # serves your app
#   docker run --rm -p 8080:80 -e FUNCTIONS_WORKER_PROCESS_COUNT=2 my-app
#
# Environment overrides: QUICKFUNC_PORT, QUICKFUNC_HOST, FUNCTIONS_WORKER_PROCESS_COUNT and any
# app setting (environment variables win over local.settings.json Values). See docs/deploy.md.
FROM python:3.11-slim

ARG APP_DIR=examples/v2_app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AzureWebJobsScriptRoot=/home/site/wwwroot \
    QUICKFUNC_HOST=0.0.0.0 \
    QUICKFUNC_PORT=80

# the worker and the local host
WORKDIR /opt/quickfunc
COPY pyproject.toml README.md ./
COPY worker ./worker
RUN pip install --no-cache-dir '.[host]'

# the app and its own requirements
COPY ${APP_DIR} /home/site/wwwroot
RUN if [ -f /home/site/wwwroot/requirements.txt ]; then \
        pip install --no-cache-dir -r /home/site/wwwroot/requirements.txt; \
    fi

WORKDIR /home/site/wwwroot
EXPOSE 80
# SIGTERM (docker stop, Kubernetes) drains in-flight requests, then stops the workers
STOPSIGNAL SIGTERM
CMD ["python", "-m", "quickfunc.host"]
