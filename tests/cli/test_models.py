"""``winback models list`` / ``verify`` on a tiny fake weight package."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from agent import model_store
from agent.model_store import ModelFile, ModelSpec, PartRef
from agent.settings import configure
from tests.conftest import Cli
from tests.test_model_store import make_dist

DATA = b"weights!" * 4096


@pytest.fixture
def only_tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    make_dist(site, "tiny-cli", {"w.part1": DATA[:1000], "w.part2": DATA[1000:]})
    monkeypatch.syspath_prepend(str(site))
    spec = ModelSpec(
        "tiny",
        "embeddings",
        "test model",
        (
            ModelFile(
                "w.bin",
                (PartRef("tiny-cli", "tiny_cli/w.part1"), PartRef("tiny-cli", "tiny_cli/w.part2")),
                hashlib.sha256(DATA).hexdigest(),
            ),
        ),
        "w.bin",
    )
    monkeypatch.setattr(model_store, "MODELS", {"tiny": spec})
    configure(model_cache_dir=tmp_path / "cache")
    return site / "tiny_cli"


def test_list_then_verify_then_list(only_tiny: Path, cli: Cli) -> None:
    code, out, _ = cli(["models", "list", "--json"])
    assert code == 0
    (row,) = json.loads(out)
    assert row["name"] == "tiny" and row["check"] == "not assembled" and row["packages_installed"]

    code, out, _ = cli(["models", "verify", "--json"])
    assert code == 0
    (row,) = json.loads(out)
    assert row["check"] == "ok" and row["size_bytes"] == len(DATA)
    assert Path(row["path"]).read_bytes() == DATA

    code, out, _ = cli(["models", "list"])
    assert code == 0
    assert "tiny" in out and "ok" in out


def test_corrupt_package_fails_with_fix(only_tiny: Path, cli: Cli) -> None:
    (only_tiny / "w.part2").write_bytes(b"tampered")
    code, _, err = cli(["models", "verify"])
    assert code == 69
    assert "Checksum mismatch" in err and "force-reinstall" in err
    assert not (model_store.model_dir("tiny") / "w.bin").exists()


def test_full_rehash_catches_same_size_tampering(only_tiny: Path, cli: Cli) -> None:
    assert cli(["models", "verify"]).code == 0
    path = model_store.model_dir("tiny") / "w.bin"
    st = path.stat()
    path.write_bytes(b"X" + DATA[1:])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    # A fast check trusts the stamp; --full re-hashes and fails.
    code, out, _ = cli(["models", "list", "--json"])
    assert code == 0
    assert json.loads(out)[0]["check"] == "ok"
    code, _, err = cli(["models", "verify", "--full"])
    assert code == 69
    assert "MISMATCH" in err


def test_unknown_model_name(only_tiny: Path, cli: Cli) -> None:
    code, _, err = cli(["models", "verify", "nope"])
    assert code == 69
    assert "Unknown bundled model 'nope'" in err
