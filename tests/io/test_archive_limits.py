"""Archives are sized before they are parsed: the archive's bytes are capped before it is
opened, a zip's entries are counted from its end-of-central-directory record and its
directory is walked header by header (never materialised), a tar is streamed and stops at
the entry cap, and the bytes a tar decompresses are bounded, skipped entries included.
Hostile archives (forged counts, huge directories, truncated, bit-flipped) never crash
opening, and refusals name the archive and the reason."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import tarfile
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.submission import SubmissionError, open_submission

FILES = {"answers.yaml": b"student: {id: s1}\n", "lab1.py": b"def closed_form(X, y):\n    return None\n"}


# --------------------------------------------------------------------------- builders


def raw_zip(entries: list[tuple[str, bytes]], *, count: int | None = None, zip64_count: int | None = None) -> bytes:
    """A stored (uncompressed) zip written by hand, fast for many entries. ``count``
    forges the entry count of the end record; ``zip64_count`` adds ZIP64 records with
    that count (the classic record then says 0xFFFF)."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        raw_name = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data), len(data), len(raw_name), 0)
        out += raw_name + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                               len(raw_name), 0, 0, 0, 0, 0, offset)
        central += raw_name
    cd_offset = len(out)
    out += central
    n = len(entries) if count is None else count
    if zip64_count is None and n > 0xFFFF:  # as zip writers do: the count only fits a ZIP64 record
        zip64_count = n
    if zip64_count is not None:
        end64 = len(out)
        out += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, zip64_count, zip64_count, len(central),
                           cd_offset)
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1)
        n = 0xFFFF
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF), len(central), cd_offset, 0)
    return bytes(out)


def tar_bytes(members: list[tuple[str, bytes]], *, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


XZ_DICTIONARY = 9_000_000  # what liblzma allocates to decompress the default preset (8 MiB dictionary)
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".tar": lambda b: b, ".tar.gz": gzip.compress, ".tar.bz2": bz2.compress, ".tar.xz": lzma.compress,
}


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python allocations inside the block, in bytes (in the list once done)."""
    out: list[int] = []
    tracemalloc.start()
    try:
        yield out
    finally:
        out.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def refused(path: Path, **limits: int) -> str:
    with pytest.raises(SubmissionError) as e:
        open_submission(path, **limits)
    return str(e.value)


# --------------------------------------------------------------------------- zip: counted before parsed


def test_a_zip_with_many_entries_is_refused_without_reading_its_directory(tmp_path: Path) -> None:
    archive = tmp_path / "s1.zip"
    archive.write_bytes(raw_zip([(f"f{i}", b"") for i in range(100_000)]))
    t0 = time.monotonic()
    with peak_memory() as peak:
        message = refused(archive)
    assert message == f"{archive}: more than 2000 entries, the limit (the archive says it has 100000)"
    assert peak[0] < 1_000_000  # zipfile.ZipFile would hold 100,000 ZipInfo objects (tens of MB)
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("forged", [0, 3, 2000])
def test_a_forged_low_count_does_not_let_a_long_directory_through(tmp_path: Path, forged: int) -> None:
    archive = tmp_path / "s1.zip"
    archive.write_bytes(raw_zip([(f"f{i}", b"") for i in range(10_000)], count=forged))  # 500 kB of directory
    with peak_memory() as peak:
        message = refused(archive)
    assert message == f"{archive}: more than 2000 entries, the limit"
    assert peak[0] < 1_000_000
    archive.write_bytes(raw_zip([(f"f{i}", b"") for i in range(100_000)], count=forged))  # 5.2 MB of directory
    with peak_memory() as peak:
        message = refused(archive)
    assert message == f"{archive}: the archive's list of entries is 5.2 MB, more than the 2.0 MB limit"
    assert peak[0] < 1_000_000


def test_a_zip64_count_is_read_from_the_zip64_record(tmp_path: Path) -> None:
    archive = tmp_path / "s1.zip"
    archive.write_bytes(raw_zip(list(FILES.items()), zip64_count=10**12))
    assert refused(archive) == f"{archive}: more than 2000 entries, the limit (the archive says it has 1000000000000)"
    archive.write_bytes(raw_zip(list(FILES.items()), zip64_count=2))
    with open_submission(archive) as sub:
        assert sub.files == ("answers.yaml", "lab1.py")


def test_a_directory_too_large_for_its_entries_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "s1.zip"
    archive.write_bytes(raw_zip([("d/" * 30_000 + f"f{i}", b"") for i in range(40)]))  # 2.4 MB of names
    with peak_memory() as peak:
        message = refused(archive, max_files=100)
    assert message == f"{archive}: the archive's list of entries is 2.4 MB, more than the 1.0 MB limit"
    assert peak[0] < 1_000_000


def test_the_archive_bytes_are_capped_before_it_is_opened(tmp_path: Path) -> None:
    archive = tmp_path / "s1.zip"
    archive.write_bytes(raw_zip([*FILES.items(), ("data.bin", bytes(50_000))]))
    assert refused(archive, max_archive_bytes=40_000) == f"{archive}: the archive is 50.4 kB, more than the 40.0 kB limit"
    tgz = tmp_path / "s1.tgz"
    tgz.write_bytes(gzip.compress(tar_bytes([*FILES.items(), ("noise.bin", os_random(50_000))])))
    assert refused(tgz, max_archive_bytes=40_000).startswith(f"{tgz}: the archive is ")
    with open_submission(archive, max_archive_bytes=60_000) as sub:
        assert "data.bin" in sub.files


def os_random(n: int) -> bytes:
    import os

    return os.urandom(n)


# --------------------------------------------------------------------------- tar: streamed and bounded


@pytest.mark.slow  # > 10 s
@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_a_tar_with_many_entries_stops_at_the_cap(tmp_path: Path, suffix: str) -> None:
    archive = tmp_path / f"s1{suffix}"
    archive.write_bytes(COMPRESS[suffix](tar_bytes([(f"f{i}", b"") for i in range(5000)])))
    with peak_memory() as peak:
        message = refused(archive)
    assert message == f"{archive}: more than 2000 entries, the limit"
    assert peak[0] < 4_000_000 + XZ_DICTIONARY * suffix.endswith(".xz")


def test_skipped_entries_count_toward_the_decompressed_bytes(tmp_path: Path) -> None:
    """A junk entry is not extracted, but tar must still decompress it to go past it."""
    archive = tmp_path / "s1.tar.gz"
    archive.write_bytes(gzip.compress(tar_bytes([*FILES.items(), ("__MACOSX/junk", bytes(40_000_000))])))
    t0 = time.monotonic()
    message = refused(archive, max_total_bytes=5_000_000)
    assert message == f"{archive}: expands to more than 9.2 MB, the limit"  # the files' 5 MB and 4 MiB of headers
    assert time.monotonic() - t0 < 3


def test_a_huge_entry_header_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A GNU long name (or a pax header) is read whole by tarfile: its size is checked first."""
    archive = tmp_path / "s1.tar.gz"
    archive.write_bytes(gzip.compress(tar_bytes([("a/" * 2_000_000 + "x.py", b"")])))
    with peak_memory() as peak:
        message = refused(archive)
    assert message == f"{archive}: an entry's header is 4.0 MB, more than the 1.0 MB limit"
    assert peak[0] < 3_000_000
    pax = tmp_path / "s2.tar"
    pax.write_bytes(tar_bytes([("b/" * 700_000 + "y.py", b"")], fmt=tarfile.PAX_FORMAT))
    assert refused(pax) == f"{pax}: an entry's header is 1.4 MB, more than the 1.0 MB limit"


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_normal_tars_open_as_before(tmp_path: Path, suffix: str) -> None:
    archive = tmp_path / f"s1{suffix}"
    archive.write_bytes(COMPRESS[suffix](tar_bytes([*FILES.items(), ("__MACOSX/._x", b"junk"), ("big.bin", bytes(5000))])))
    with open_submission(archive) as sub:
        assert sub.files == ("answers.yaml", "big.bin", "lab1.py")
        assert sub.read_bytes("lab1.py", max_bytes=1000) == FILES["lab1.py"]


# --------------------------------------------------------------------------- any archive


_names = st.sampled_from(["a.py", "lab1.py", "hw1/", "hw1/b.py", "__MACOSX/._a", "../up.py", "/abs.py", "d/e/f.txt",
                          "x" * 120, "é.py", "hw1/answers.yaml"])
_entry = st.tuples(_names, st.one_of(st.binary(max_size=40), st.integers(0, 30_000).map(bytes)))
LIMITS = {"max_files": 8, "max_total_bytes": 40_000, "max_file_bytes": 20_000, "max_archive_bytes": 60_000}


@st.composite
def _archives(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from([".zip", ".tar", ".tar.gz", ".tar.bz2", ".tar.xz"]))
    entries = draw(st.lists(_entry, max_size=14))
    if suffix == ".zip":
        forged = draw(st.one_of(st.none(), st.integers(0, 0xFFFF)))
        zip64 = draw(st.one_of(st.none(), st.integers(0, 2**64 - 1)))
        data = raw_zip(entries, count=forged, zip64_count=zip64)
    else:
        data = COMPRESS[suffix](tar_bytes(entries))
    how = draw(st.sampled_from(["whole", "truncated", "flipped"]))
    if how == "truncated" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif how == "flipped" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    return suffix, data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archive=_archives())
def test_opening_any_archive_never_crashes_and_stays_bounded(archive: tuple[str, bytes]) -> None:
    suffix, data = archive
    created = {"zip": 0, "tar": 0}
    orig_zip, orig_tar = zipfile.ZipInfo.__init__, tarfile.TarInfo.__init__

    def count_zip(self: zipfile.ZipInfo, *a: object, **k: object) -> None:
        created["zip"] += 1
        orig_zip(self, *a, **k)

    def count_tar(self: tarfile.TarInfo, *a: object, **k: object) -> None:
        created["tar"] += 1
        orig_tar(self, *a, **k)

    with tempfile.TemporaryDirectory() as base:
        path = Path(base) / f"s{suffix}"
        path.write_bytes(data)
        zipfile.ZipInfo.__init__, tarfile.TarInfo.__init__ = count_zip, count_tar  # type: ignore[method-assign]
        try:
            with peak_memory() as peak:
                try:
                    sub = open_submission(path, **LIMITS)
                except SubmissionError as e:
                    sub = None
                    message = str(e)
                    assert message.startswith(f"{path}: ") and len(message) > len(f"{path}: ") + 5
        finally:
            zipfile.ZipInfo.__init__, tarfile.TarInfo.__init__ = orig_zip, orig_tar  # type: ignore[method-assign]
        if sub is not None:
            with sub:
                assert 0 < len(sub.files) <= LIMITS["max_files"]
                sizes = [len(sub.read_bytes(f, max_bytes=LIMITS["max_file_bytes"])) for f in sub.files]
                assert sum(sizes) <= LIMITS["max_total_bytes"]
                for r in sub.rejected:
                    assert r.name and r.reason
    assert created["zip"] <= LIMITS["max_files"] + 1
    assert created["tar"] <= 3 * (LIMITS["max_files"] + 1)  # an entry: its header, a long-name or pax header
    assert peak[0] < 2_000_000 + XZ_DICTIONARY * suffix.endswith(".xz")
