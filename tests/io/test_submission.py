"""grader.submission: folders and archives opened safely, hostile entries refused and listed."""

from __future__ import annotations

import io
import os
import re
import stat
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.submission import Rejected, Submission, SubmissionError, content_hash, open_submission

FILES = {"answers.yaml": b"student: {id: s1}\n", "lab1.py": b"def closed_form(X, y):\n    return None\n"}


# --------------------------------------------------------------------------- builders


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def make_zip(path: Path, entries: list[tuple[str, bytes] | zipfile.ZipInfo | tuple[zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                zf.writestr(entry, b"")
            else:
                zf.writestr(entry[0], entry[1])
    return path


def zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def tar_member(name: str, data: bytes = b"", **attrs: object) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, (data if info.isreg() else None)


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Extraction happens under tmp_path, so a test can see every file anything wrote."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def all_paths(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            yield Path(dirpath) / name


def assert_written_only_inside(base: Path, sub: Submission, inputs: set[Path]) -> None:
    """Every file or link under `base` is one of the test's inputs or lies inside the extraction folder."""
    extraction = os.path.realpath(sub.root)
    for p in all_paths(base):
        if p.is_dir() and not p.is_symlink():
            continue
        if p in inputs:
            continue
        real_parent = os.path.realpath(p.parent)
        assert os.path.commonpath([extraction, real_parent]) == extraction, f"written outside: {p}"
        assert not p.is_symlink(), f"a link was created: {p}"


# --------------------------------------------------------------------------- folders


def test_folder_is_read_in_place(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "s1", {**FILES, "sub/notes.txt": b"x"})
    with open_submission(folder) as sub:
        assert sub.name == "s1"
        assert sub.root == folder
        assert sub.files == ("answers.yaml", "lab1.py", "sub/notes.txt")
        assert sub.rejected == () and sub.notes == ()
        assert sub.read_bytes("lab1.py", max_bytes=1000) == FILES["lab1.py"]
    assert folder.exists()  # close() leaves a folder submission alone


def test_folder_symlinks_and_fifos_are_rejected_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.txt").write_text("TOP SECRET")
    folder = make_folder(tmp_path / "s1", FILES)
    (folder / "link.py").symlink_to(secret / "key.txt")
    (folder / "lib").symlink_to(secret, target_is_directory=True)
    os.mkfifo(folder / "pipe")
    sub = open_submission(folder)
    assert sub.files == ("answers.yaml", "lab1.py")
    assert set(sub.rejected) == {
        Rejected("lib", "symbolic link"),
        Rejected("link.py", "symbolic link"),
        Rejected("pipe", "fifo"),
    }
    for rel in ("link.py", "lib/key.txt", "pipe"):
        with pytest.raises(SubmissionError, match=re.escape(rel)):
            sub.read_bytes(rel, max_bytes=100)


def test_folder_whose_only_entry_is_a_folder_is_descended(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "s1", {f"hw1/hw1/{k}": v for k, v in FILES.items()})
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "hw1" / "__pycache__").mkdir()
    (folder / "hw1" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    sub = open_submission(folder)
    assert sub.files == ("answers.yaml", "lab1.py")
    assert sub.root == folder / "hw1" / "hw1"
    assert "descended into the single top folder hw1/hw1/" in sub.notes
    assert "ignored .DS_Store, __pycache__/" in sub.notes
    assert sub.read_bytes("answers.yaml", max_bytes=100) == FILES["answers.yaml"]


def test_folder_limits(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "s1", {**FILES, "big.bin": b"x" * 2000})
    sub = open_submission(folder, max_file_bytes=1000)
    assert sub.rejected == (Rejected("big.bin", "file is 2.0 kB, the limit is 1.0 kB per file"),)
    with pytest.raises(SubmissionError, match=r"s1/: more than 2 files, the limit"):
        open_submission(folder, max_files=2)
    with pytest.raises(SubmissionError, match=r"s1/: the files add up to more than 1.0 kB, the limit"):
        open_submission(folder, max_total_bytes=1000)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "s1", {**FILES, "locked.py": b"x"})
    (folder / "locked.py").chmod(0)
    assert Rejected("locked.py", "cannot be read (permission denied)") in open_submission(folder).rejected
    archive = make_zip(tmp_path / "s2.zip", list(FILES.items()))
    archive.chmod(0)
    with pytest.raises(SubmissionError, match=r"s2.zip: cannot be read"):
        open_submission(archive)


def test_missing_and_empty_and_junk_only(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError) as e:
        open_submission(tmp_path / "submissions" / "s1")
    assert str(e.value) == f"{tmp_path}/submissions/s1: no such file or directory"
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError) as e:
        open_submission(tmp_path / "empty")
    assert str(e.value) == f"{tmp_path}/empty/: the folder is empty"
    make_folder(tmp_path / "junk", {".DS_Store": b"x", "__MACOSX/._a": b"x"})
    with pytest.raises(SubmissionError, match=r"junk/: the folder is empty"):
        open_submission(tmp_path / "junk")


def test_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "s1.zip").write_bytes(b"this is not a zip file at all" * 10)
    with pytest.raises(SubmissionError) as e:
        open_submission(tmp_path / "s1.zip")
    assert str(e.value) == f"{tmp_path}/s1.zip: not a valid zip archive"
    (tmp_path / "s1.tgz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(SubmissionError, match=r"s1.tgz: not a valid tar archive"):
        open_submission(tmp_path / "s1.tgz")
    # a lone write-up (.pdf/.md/.txt/.docx) is a submission of its own; other files are not
    (tmp_path / "s1.odt").write_bytes(b"PK\x03\x04 word processor file")
    with pytest.raises(SubmissionError, match=r"s1.odt: not a folder"):
        open_submission(tmp_path / "s1.odt")
    (tmp_path / "s2.docx").write_bytes(b"PK\x03\x04 word processor file")
    with open_submission(tmp_path / "s2.docx") as sub:  # a Word report handed in alone (issue 14)
        assert sub.files == ("s2.docx",)


def test_truncated_tar_gz_is_a_corrupt_archive(tmp_path: Path, private_tmp: Path) -> None:
    noise = os.urandom(300_000)
    whole = make_tar(tmp_path / "whole.tar.gz", [tar_member("a.bin", noise), tar_member("b.bin", noise)])
    cut = tmp_path / "s1.tar.gz"
    cut.write_bytes(whole.read_bytes()[:200_000])
    with pytest.raises(SubmissionError, match=r"s1.tar.gz: (corrupt archive|not a valid tar archive)"):
        open_submission(cut)
    assert list(private_tmp.iterdir()) == []  # the partial extraction was removed


# --------------------------------------------------------------------------- archives


@pytest.mark.parametrize("suffix", [".zip", ".tar", ".tar.gz", ".tgz"])
@pytest.mark.parametrize("top", ["", "hw1/"])
def test_flat_and_single_top_folder_archives(tmp_path: Path, suffix: str, top: str) -> None:
    path = tmp_path / f"s1{suffix}"
    if suffix == ".zip":
        make_zip(path, [(top + k, v) for k, v in FILES.items()])
    else:
        mode = "w" if suffix == ".tar" else "w:gz"
        make_tar(path, [tar_member(top + k, v) for k, v in FILES.items()], mode)
    with open_submission(path) as sub:
        assert sub.name == "s1"
        assert sub.files == ("answers.yaml", "lab1.py")
        assert sub.read_bytes("lab1.py", max_bytes=1000) == FILES["lab1.py"]
        assert ("descended into the single top folder hw1/" in sub.notes) == bool(top)
        tmpdir = sub._tmpdir
        assert tmpdir is not None and tmpdir.exists()
    assert not tmpdir.exists()


def test_macos_junk_is_ignored(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "s1.zip",
        [
            ("hw1/answers.yaml", FILES["answers.yaml"]),
            ("hw1/lab1.py", FILES["lab1.py"]),
            ("__MACOSX/hw1/._lab1.py", b"\x00\x05\x16\x07"),
            ("hw1/.DS_Store", b"junk"),
            ("hw1/__pycache__/lab1.cpython-311.pyc", b"junk"),
            ("hw1/.git/HEAD", b"ref: refs/heads/main"),
        ],
    )
    sub = open_submission(path)
    assert sub.files == ("answers.yaml", "lab1.py")
    assert sub.rejected == ()
    assert sub.notes == (
        "descended into the single top folder hw1/",
        "ignored .DS_Store, .git/, __MACOSX/, __pycache__/",
    )
    assert not (sub.root / "__pycache__").exists() and not (sub.root.parent / "__MACOSX").exists()


def test_windows_backslash_names(tmp_path: Path) -> None:
    sub = open_submission(make_zip(tmp_path / "s1.zip", [("hw1\\" + k, v) for k, v in FILES.items()]))
    assert sub.files == ("answers.yaml", "lab1.py")


def test_hostile_zip_entries_are_rejected_and_nothing_lands_outside(tmp_path: Path, private_tmp: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    entries: list = [
        *FILES.items(),
        ("../../escape1.py", b"evil"),
        ("../../../escape2.py", b"evil"),
        ("sub/../../escape3.py", b"evil"),
        (f"{outside}/abs.py", b"evil"),
        ("C:\\Windows\\evil.py", b"evil"),
        zip_symlink("link.py", str(outside / "target")),
        ("bad\x1b[2Jname.py", b"evil"),
    ]
    archive = make_zip(tmp_path / "s1.zip", entries)
    with open_submission(archive) as sub:
        assert sub.files == ("answers.yaml", "lab1.py")
        assert sub.rejected == (
            Rejected("../../escape1.py", "path escapes the submission"),
            Rejected("../../../escape2.py", "path escapes the submission"),
            Rejected("sub/../../escape3.py", "path escapes the submission"),
            Rejected(f"{outside}/abs.py", "absolute path"),
            Rejected("C:\\Windows\\evil.py", "absolute path"),
            Rejected("link.py", "symbolic link"),
            Rejected("bad\x1b[2Jname.py", "name contains control characters"),
        )
        assert list(outside.iterdir()) == []
        assert_written_only_inside(tmp_path, sub, {archive})


def test_tar_symlink_then_write_through_it(tmp_path: Path, private_tmp: Path) -> None:
    """The classic trick: `link -> /outside`, then a file `link/evil`; and hard links, devices, fifos."""
    outside = tmp_path / "outside"
    outside.mkdir()
    members = [
        *(tar_member(k, v) for k, v in FILES.items()),
        tar_member("link", type=tarfile.SYMTYPE, linkname=str(outside)),
        tar_member("link/evil.py", b"written through the link?"),
        tar_member("rel", type=tarfile.SYMTYPE, linkname="../../.."),
        tar_member("rel/evil2.py", b"written through the link?"),
        tar_member("passwd", type=tarfile.LNKTYPE, linkname="/etc/passwd"),
        tar_member("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3),
        tar_member("pipe", type=tarfile.FIFOTYPE),
        tar_member("../x.py", b"evil"),
        tar_member(f"{outside}/abs.py", b"evil"),
    ]
    archive = make_tar(tmp_path / "s1.tar.gz", members)
    with open_submission(archive) as sub:
        assert sub.rejected == (
            Rejected("link", "symbolic link"),
            Rejected("rel", "symbolic link"),
            Rejected("passwd", "hard link"),
            Rejected("dev", "device file"),
            Rejected("pipe", "fifo"),
            Rejected("../x.py", "path escapes the submission"),
            Rejected(f"{outside}/abs.py", "absolute path"),
        )
        # the files "through" the rejected links are ordinary files in real folders inside the submission
        assert sub.files == ("answers.yaml", "lab1.py", "link/evil.py", "rel/evil2.py")
        assert not (sub.root / "link").is_symlink() and (sub.root / "link").is_dir()
        assert list(outside.iterdir()) == []
        assert_written_only_inside(tmp_path, sub, {archive})


def test_zip_bomb_entry_is_rejected_while_streaming(tmp_path: Path, private_tmp: Path) -> None:
    archive = make_zip(tmp_path / "s1.zip", [*FILES.items(), ("bomb.bin", bytes(8_000_000))])
    assert archive.stat().st_size < 40_000
    with open_submission(archive) as sub:
        assert sub.files == ("answers.yaml", "lab1.py")
        [rejected] = sub.rejected
        assert rejected.name == "bomb.bin"
        m = re.fullmatch(r"compression ratio (\d+):1 over the limit of 200:1", rejected.reason)
        assert m is not None, rejected.reason
        assert int(m.group(1)) > 200
        assert not (sub.root / "bomb.bin").exists()
        # nothing near the bomb's size was written
        assert sum(p.stat().st_size for p in all_paths(private_tmp) if p.is_file()) < 100_000


def test_tar_gz_bomb_is_rejected_while_streaming(tmp_path: Path) -> None:
    members = [*(tar_member(k, v) for k, v in FILES.items()), tar_member("z.bin", bytes(8_000_000))]
    archive = make_tar(tmp_path / "s1.tgz", members)
    sub = open_submission(archive)
    assert sub.files == ("answers.yaml", "lab1.py")
    assert [r.name for r in sub.rejected] == ["z.bin"]
    assert re.fullmatch(r"compression ratio \d+:1 over the limit of 200:1", sub.rejected[0].reason)


def test_decompression_work_is_bounded_by_the_total_budget(tmp_path: Path) -> None:
    one = make_zip(tmp_path / "one.zip", [*FILES.items(), ("bomb.bin", bytes(8_000_000))])
    sub = open_submission(one, max_total_bytes=3_000_000)
    assert sub.files == ("answers.yaml", "lab1.py")
    assert re.fullmatch(r"compression ratio at least \d+:1 over the limit of 200:1", sub.rejected[0].reason)
    many = make_zip(tmp_path / "many.zip", [*FILES.items(), *((f"bomb{i}.bin", bytes(4_000_000)) for i in range(5))])
    with pytest.raises(SubmissionError, match=r"many.zip: the files add up to more than 6.0 MB, the limit"):
        open_submission(many, max_total_bytes=6_000_000)


def test_small_compressible_files_are_not_bombs(tmp_path: Path) -> None:
    sub = open_submission(make_zip(tmp_path / "s1.zip", [*FILES.items(), ("zeros.npy", bytes(500_000))]))
    assert "zeros.npy" in sub.files and sub.rejected == ()


def test_archive_limits(tmp_path: Path) -> None:
    many = make_zip(tmp_path / "many.zip", [(f"f{i}.py", b"x") for i in range(11)])
    with pytest.raises(SubmissionError) as e:
        open_submission(many, max_files=10)
    assert str(e.value) == f"{many}: more than 10 entries, the limit (the archive says it has 11)"
    archive = make_zip(tmp_path / "s1.zip", [*FILES.items(), ("big.bin", os.urandom(5000))])
    sub = open_submission(archive, max_file_bytes=4000)
    assert sub.rejected == (Rejected("big.bin", "larger than 4.0 kB, the per-file limit"),)
    with pytest.raises(SubmissionError, match=r"s1.zip: the files add up to more than 3.0 kB, the limit"):
        open_submission(archive, max_total_bytes=3000, max_archive_bytes=10_000)


def test_archive_with_only_rejected_entries(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "s1.zip", [zip_symlink("link.py", "/etc/passwd")])
    with pytest.raises(SubmissionError) as e:
        open_submission(archive)
    assert str(e.value) == f"{archive}: the archive has no usable files (1 rejected: link.py: symbolic link)"


def test_duplicate_zip_entries_keep_the_first(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = make_zip(tmp_path / "s1.zip", [("a.py", b"first"), ("a.py", b"second")])
    sub = open_submission(archive)
    assert sub.read_bytes("a.py", max_bytes=100) == b"first"
    assert sub.rejected == (Rejected("a.py", "duplicate entry (an earlier entry has the same path)"),)


# --------------------------------------------------------------------------- reading, hashing


def test_read_bytes_refuses_escapes_links_and_oversize(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "s1", FILES)
    (tmp_path / "secret.txt").write_text("secret")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    sub = open_submission(folder)
    cases = {
        "../secret.txt": "../secret.txt: path escapes the submission",
        f"{tmp_path}/secret.txt": f"{tmp_path}/secret.txt: absolute path",
        "link.txt": "link.txt: cannot be read (symbolic link)",
        "dirlink/secret.txt": "dirlink/secret.txt: path escapes the submission (through a link)",
        "nope.py": "nope.py: no such file in the submission",
        "lab1.py": f"lab1.py: file is {len(FILES['lab1.py'])} bytes, the limit is 10 bytes",
    }
    for rel, message in cases.items():
        with pytest.raises(SubmissionError) as e:
            sub.read_bytes(rel, max_bytes=10)
        assert str(e.value) == message


def test_content_hash_same_for_folder_zip_and_tar(tmp_path: Path) -> None:
    files = {**FILES, "sub/data.csv": b"x1,x2,y\n1,2,3\n"}
    folder = make_folder(tmp_path / "s1", files)
    zipped = make_zip(tmp_path / "s1.zip", [("hw1/" + k, v) for k, v in files.items()])
    tarred = make_tar(tmp_path / "s1.tar.gz", [tar_member(k, v) for k, v in files.items()])
    hashes = set()
    for path in (folder, zipped, tarred):
        with open_submission(path) as sub:
            hashes.add(content_hash(sub))
    assert len(hashes) == 1
    changed = make_folder(tmp_path / "s2", {**files, "lab1.py": files["lab1.py"] + b"\n"})
    renamed_files = {("lab_1.py" if k == "lab1.py" else k): v for k, v in files.items()}
    renamed = make_folder(tmp_path / "s3", renamed_files)
    assert content_hash(open_submission(changed)) not in hashes
    assert content_hash(open_submission(renamed)) not in hashes
    assert re.fullmatch(r"[0-9a-f]{64}", hashes.pop())


# --------------------------------------------------------------------------- property


_segments = st.sampled_from(["..", ".", "", "a", "b.py", "C:", "__MACOSX", "x\x01", "hw1", "..."])


@st.composite
def _entry_names(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_segments, min_size=1, max_size=4))
    sep = draw(st.sampled_from(["/", "\\"]))
    lead = draw(st.sampled_from(["", "/", "./"]))
    return lead + sep.join(parts)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_entry_names().filter(bool), min_size=1, max_size=6, unique=True), as_tar=st.booleans())
def test_any_entry_names_stay_inside(names: list[str], as_tar: bool) -> None:
    with tempfile.TemporaryDirectory() as base_str:
        base = Path(base_str)
        extract = base / "tmp"
        extract.mkdir()
        names = [*names, "keep.py"]
        if as_tar:
            archive = make_tar(base / "s.tar", [tar_member(n, b"data") for n in names if "\x00" not in n], "w")
        else:
            with warnings.catch_warnings():  # zipfile warns about duplicate names; irrelevant here
                warnings.simplefilter("ignore")
                archive = make_zip(base / "s.zip", [(n, b"data") for n in names])
        old = tempfile.tempdir
        tempfile.tempdir = str(extract)
        try:
            sub = open_submission(archive)
        except SubmissionError as e:
            pytest.fail(f"keep.py should always be usable: {e}")
        finally:
            tempfile.tempdir = old
        with sub:
            assert_written_only_inside(base, sub, {archive})
            assert sub.files, names
            for rel in sub.files:
                assert sub.read_bytes(rel, max_bytes=10) == b"data"
            for r in sub.rejected:
                assert r.name in names and r.reason

