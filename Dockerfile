# The quickfunc local host serving a function app from /home/site/wwwroot, as a non-root user on
# port 8080 (docs/deploy.md). Two images come from this file:
#
#   docker build -t quickfunc-app .                             # serves examples/v2_app
#   docker build -t my-app --build-arg APP_DIR=path/to/app .    # an app inside this folder
#   docker build -t quickfunc-host --target host .              # the host alone, to build
#                                                               # apps that live elsewhere on
#                                                               # (`quickfunc dockerfile APP`)
#   docker run --rm -p 8080:8080 my-app [host options, e.g. --enable-auth]
#
# Layers go from the least to the most often changed, so a change to the app rebuilds only the
# app's layers and a change to the package does not download the dependencies again:
# tini and the user → the dependencies (from pyproject.toml alone) → the package → the app's
# requirements.txt → the app.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- the package as installed files (only these reach the image; no source, no build files)
FROM ${PYTHON_IMAGE} AS package
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/quickfunc
WORKDIR /src
COPY pyproject.toml README.md ./
# the runtime requirements: the dependencies and the host extra, read from pyproject.toml alone
RUN /opt/quickfunc/bin/python -c "import tomllib, re; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; x = p['optional-dependencies']; own = lambda r: re.match(r'quickfunc-worker\[(.+)\]$', r); flat = lambda rs: [d for r in rs for d in (flat(x[own(r)[1]]) if own(r) else [r])]; print(*flat(p['dependencies'] + x['host']), sep='\n')" > /requirements.txt
COPY worker ./worker
RUN /opt/quickfunc/bin/pip install --no-deps --prefix /installed .

# ---- the host, without an app
FROM ${PYTHON_IMAGE} AS host
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/quickfunc \
    PATH=/opt/quickfunc/bin:$PATH \
    AzureWebJobsScriptRoot=/home/site/wwwroot \
    QUICKFUNC_HOST=0.0.0.0 \
    QUICKFUNC_PORT=8080

# tini as process 1 (forwards SIGTERM to the host, reaps orphans); the user the host runs as
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin quickfunc \
 && mkdir -p /home/site/wwwroot/.quickfunc \
 && chown quickfunc:quickfunc /home/site/wwwroot/.quickfunc

# the dependencies: rebuilt only when pyproject.toml changes them
COPY --from=package /requirements.txt /opt/quickfunc/requirements.txt
RUN python -m venv /opt/quickfunc \
 && pip install -r /opt/quickfunc/requirements.txt \
 && pip uninstall -y -q setuptools

# the package
COPY --from=package /installed /opt/quickfunc

WORKDIR /home/site/wwwroot
EXPOSE 8080
# healthy while the app runs: /admin/host/status (no key needed) says "state": "Running"
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import json, os, sys, urllib.request; port = os.environ.get('QUICKFUNC_PORT', '8080'); sys.exit(json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/admin/host/status', timeout=4))['state'] != 'Running')"]
USER 10001:10001
# docker stop / Kubernetes send SIGTERM: the host stops listening, drains in-flight work
# (--drain-timeout, 30 s) and exits 0. Arguments to `docker run IMAGE ...` are host options.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "quickfunc-host"]
CMD []

# ---- an app: its requirements in a layer of their own, then its files (.dockerignore keeps
# out .git, .venv, __pycache__, tests and .quickfunc)
FROM host AS app
ARG APP_DIR=examples/v2_app
USER root
# host.json is in every app; with it the copy works whether or not there is a requirements.txt
COPY ${APP_DIR}/host.json ${APP_DIR}/requirements.tx[t] /home/site/requirements/
RUN if [ -f /home/site/requirements/requirements.txt ]; then \
        pip install -r /home/site/requirements/requirements.txt; \
    fi
COPY ${APP_DIR} /home/site/wwwroot
USER 10001:10001
