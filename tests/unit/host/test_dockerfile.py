"""``quickfunc dockerfile``: the files it writes into an app folder (the build itself is checked
for real by scripts/container_test.py)."""

from __future__ import annotations

from quickfunc.command import main as quickfunc
from quickfunc.host.dockerfile import DOCKERIGNORE, dockerfile_text


def test_it_writes_a_dockerfile_on_the_host_image_and_a_dockerignore(tmp_path, capsys):
    (tmp_path / "host.json").write_text("{}")
    assert quickfunc(["dockerfile", str(tmp_path), "--host-image", "registry.example/quickfunc-host:1"]) == 0
    dockerfile = (tmp_path / "Dockerfile").read_text()
    assert "ARG HOST_IMAGE=registry.example/quickfunc-host:1\nFROM ${HOST_IMAGE}\n" in dockerfile
    # requirements first, in a layer of their own; the app's files last; back to the host's user
    lines = dockerfile.splitlines()
    assert lines.index("COPY host.json requirements.tx[t] /home/site/requirements/") < lines.index(
        "COPY . /home/site/wwwroot"
    )
    assert lines[-1] == "USER 10001:10001"
    ignored = (tmp_path / ".dockerignore").read_text().splitlines()
    assert {"**/.git", "**/.venv", "**/__pycache__", "**/tests", "**/.quickfunc", "Dockerfile"} <= set(ignored)
    assert "docker build -t my-app" in capsys.readouterr().out


def test_it_does_not_replace_files_of_the_user(tmp_path, capsys):
    (tmp_path / "host.json").write_text("{}")
    (tmp_path / "Dockerfile").write_text("FROM mine\n")
    assert quickfunc(["dockerfile", str(tmp_path)]) == 1
    assert "exists and is not ours; --force replaces it" in capsys.readouterr().err
    assert (tmp_path / "Dockerfile").read_text() == "FROM mine\n"
    assert quickfunc(["dockerfile", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "Dockerfile").read_text() == dockerfile_text()
    assert quickfunc(["dockerfile", str(tmp_path)]) == 0  # its own files again: fine
    assert (tmp_path / ".dockerignore").read_text() == DOCKERIGNORE


def test_a_folder_without_host_json_is_refused(tmp_path, capsys):
    assert quickfunc(["dockerfile", str(tmp_path)]) == 1
    assert "has no host.json: is it a function app folder?" in capsys.readouterr().err
    assert not (tmp_path / "Dockerfile").exists()
