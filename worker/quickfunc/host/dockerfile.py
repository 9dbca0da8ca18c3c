"""``quickfunc dockerfile [APP_DIR]``: write a Dockerfile and a .dockerignore into an app folder
that lives anywhere, for an image built on the quickfunc host image (docs/deploy.md)."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["DEFAULT_HOST_IMAGE", "dockerfile_text", "DOCKERIGNORE", "write_files", "main"]

#: the tag the repository's `docker build --target host` is documented with
DEFAULT_HOST_IMAGE = "quickfunc-host"

_DOCKERFILE = """\
# This function app on the quickfunc local host (written by `quickfunc dockerfile`).
#
#   docker build -t my-app .
#   docker run --rm -p 8080:8080 my-app [host options, e.g. --enable-auth]
#
# It builds on the host image, made once from the quickfunc repository:
#   docker build -t {image} --target host .
# (or pass another with --build-arg HOST_IMAGE=...). The app's requirements.txt is installed in
# a layer of its own, so a change to the code alone rebuilds only the last layer.
ARG HOST_IMAGE={image}
FROM ${{HOST_IMAGE}}
USER root
# host.json is in every app; with it the copy works whether or not there is a requirements.txt
COPY host.json requirements.tx[t] /home/site/requirements/
RUN if [ -f /home/site/requirements/requirements.txt ]; then \\
        pip install -r /home/site/requirements/requirements.txt; \\
    fi
COPY . /home/site/wwwroot
USER 10001:10001
"""

#: what stays out of the image (and out of the build context sent to the daemon)
DOCKERIGNORE = """\
# written by `quickfunc dockerfile`: what never goes into the app's image
Dockerfile
.dockerignore
**/.git
**/.gitignore
**/.venv
**/venv
**/.vscode
**/__pycache__
**/*.pyc
**/.pytest_cache
**/tests
**/.quickfunc
local.settings.json.user
"""


def dockerfile_text(host_image: str = DEFAULT_HOST_IMAGE) -> str:
    """The Dockerfile for an app, built on ``host_image``."""
    return _DOCKERFILE.format(image=host_image)


def write_files(app_dir: str, host_image: str = DEFAULT_HOST_IMAGE, force: bool = False) -> list[str]:
    """Write the two files; refuse (ValueError) to replace different ones unless ``force``."""
    if not os.path.isfile(os.path.join(app_dir, "host.json")):
        raise ValueError(f"{app_dir} has no host.json: is it a function app folder?")
    files = {"Dockerfile": dockerfile_text(host_image), ".dockerignore": DOCKERIGNORE}
    if not force:
        for name, text in files.items():
            path = os.path.join(app_dir, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        raise ValueError(f"{path} exists and is not ours; --force replaces it")
    written = []
    for name, text in files.items():
        path = os.path.join(app_dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``quickfunc dockerfile``."""
    parser = argparse.ArgumentParser(
        prog="quickfunc dockerfile",
        description="Write a Dockerfile and a .dockerignore into a function app folder, for an image "
        "built on the quickfunc host image.",
    )
    parser.add_argument("app_dir", nargs="?", default=".", metavar="APP_DIR", help="the app folder (default: here)")
    parser.add_argument(
        "--host-image",
        default=DEFAULT_HOST_IMAGE,
        metavar="IMAGE",
        help=f"the host image to build on (default {DEFAULT_HOST_IMAGE}: "
        "`docker build -t quickfunc-host --target host .` in the quickfunc repository)",
    )
    parser.add_argument("--force", action="store_true", help="replace a Dockerfile or .dockerignore already there")
    args = parser.parse_args(argv)
    try:
        written = write_files(args.app_dir, args.host_image, args.force)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"next: docker build -t my-app {args.app_dir} && docker run --rm -p 8080:8080 my-app")
    return 0
