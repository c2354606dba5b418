"""DVC remote storage: push, then pull the champion alone into a fresh clone (local dir and real S3 API)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, run
from iacsieve.champion import sha256_file

pytestmark = pytest.mark.slow


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def fresh_clone(source: Path, dest: Path) -> Path:
    run(["git", "clone", "-q", str(source), str(dest)], dest.parent)
    return dest


def test_pull_champion_alone_into_a_fresh_clone_then_filter(pipeline_repo, tmp_path):
    run(["dvc", "push"], pipeline_repo)
    clone = fresh_clone(pipeline_repo, tmp_path / "clone")
    remote = run(["dvc", "remote", "list", "--local"], pipeline_repo).stdout.split()[1]
    run(["dvc", "remote", "add", "--local", "-d", "testremote", remote], clone)
    run(["dvc", "pull", "models/champion"], clone)
    assert tree_hashes(clone / "models" / "champion") == tree_hashes(pipeline_repo / "models" / "champion")
    assert not (clone / "data" / "processed").exists() and not (clone / "models" / "stage1" / "roberta").exists()
    run(["dvc", "pull", "data/raw/sample"], clone)
    out = clone / "out.sarif"
    run(["iacsieve", "filter", "--glitch", "data/raw/sample/glitch/chef.csv", "--scripts", "data/raw/sample",
         "--format", "sarif", "-o", str(out), "--exit-zero"], clone)
    assert json.loads(out.read_text())["version"] == "2.1.0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 API on localhost: $IACSIEVE_TEST_S3_ENDPOINT (started by .ci/run) or a moto server started here."""
    endpoint = os.environ.get("IACSIEVE_TEST_S3_ENDPOINT")
    process = None
    if not endpoint:
        port = _free_port()
        process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
    yield endpoint
    if process is not None:
        process.terminate()
        process.wait(10)


S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def test_s3_round_trip(pipeline_repo, tmp_path, s3_endpoint):
    import boto3

    bucket = f"iacsieve-{os.getpid()}-{int(time.time())}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"
    })
    s3.create_bucket(Bucket=bucket)

    def add_s3_remote(repo: Path) -> None:
        run(["dvc", "remote", "add", "--local", "-f", "s3test", f"s3://{bucket}/store"], repo)
        run(["dvc", "remote", "modify", "--local", "s3test", "endpointurl", s3_endpoint], repo)

    add_s3_remote(pipeline_repo)
    run(["dvc", "push", "-r", "s3test", "models/champion", "data/raw/sample"], pipeline_repo, **S3_ENV)
    clone = fresh_clone(pipeline_repo, tmp_path / "s3clone")
    add_s3_remote(clone)
    run(["dvc", "pull", "-r", "s3test", "models/champion"], clone, **S3_ENV)
    champion = tree_hashes(clone / "models" / "champion")
    assert champion and champion == tree_hashes(pipeline_repo / "models" / "champion")
    # The pull went through the bucket: it holds at least one object per file of the champion.
    stored = s3.list_objects_v2(Bucket=bucket, Prefix="store/").get("KeyCount", 0)
    assert stored >= len(champion), f"{stored} objects in the S3 store"
