"""The history-index clean-up: unused HNSW slots on disk are zeroed, used ones kept."""

from __future__ import annotations

import struct
from pathlib import Path

from agent.privacy.vectors import zero_unused_hnsw_slots


def _segment(root: Path, max_elements: int, count: int, per_element: int, data: bytes) -> Path:
    seg = root / "3f2a"
    seg.mkdir(parents=True)
    header = struct.pack("<i", 1) + struct.pack("<6Q", 0, max_elements, count, per_element, 8, 4)
    (seg / "header.bin").write_bytes(header + bytes(100 - len(header)))
    (seg / "data_level0.bin").write_bytes(data)
    return seg / "data_level0.bin"


def test_heap_garbage_in_unused_slots_is_zeroed(tmp_path: Path) -> None:
    used = b"V" * 16
    garbage = b"..Anna Schmidt DE89370400440532013000.." + bytes(9)
    data_file = _segment(tmp_path, 4, 1, 16, used + garbage[:48])
    assert zero_unused_hnsw_slots(tmp_path) == 48
    assert data_file.read_bytes() == used + bytes(48)


def test_heap_garbage_in_unused_link_list_sizes_is_zeroed(tmp_path: Path) -> None:
    data_file = _segment(tmp_path, 4, 1, 16, b"V" * 64)
    lengths = data_file.with_name("length.bin")
    lengths.write_bytes(b"\x02\x00\x00\x00" + b"+49 89 1234567"[:12])  # 4 slots of 4 bytes
    assert zero_unused_hnsw_slots(tmp_path) == 48 + 12
    assert lengths.read_bytes() == b"\x02\x00\x00\x00" + bytes(12)


def test_unexpected_layout_is_left_alone(tmp_path: Path) -> None:
    data_file = _segment(tmp_path, 4, 1, 16, b"x" * 10)  # size does not match the header
    assert zero_unused_hnsw_slots(tmp_path) == 0
    assert data_file.read_bytes() == b"x" * 10
