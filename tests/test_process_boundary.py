"""The process boundary: input files, output folders, signals and byte-identical outputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, assert_user_error
from layoutgen import fileio
from layoutgen.errors import LayoutgenError

WEARABLE = REPO / "examples" / "wearable_patch.toml"
SMALL = ("--sheet", "60x60", "--cell", "10x8")


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from layoutgen.cli import main; main()", *args]


# --------------------------------------------------------------------------- input files


@pytest.mark.parametrize("where", ["/dev/zero", "folder", "fifo"])
def test_non_regular_inputs_are_refused(cli, tmp_path: Path, where: str) -> None:
    if where == "folder":
        path = tmp_path
    elif where == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        path = tmp_path / "job.toml"
        os.mkfifo(path)
    else:
        path = Path(where)
        if not path.exists():
            pytest.skip("no /dev/zero here")
    assert_user_error(cli("run", path, "-o", tmp_path / "out"), str(path), "regular file")
    assert_user_error(cli("rules", "check", path), str(path), "regular file")
    assert not (tmp_path / "out").exists()


def test_size_limit_names_size_and_limit_and_force_lifts_it(cli, tmp_path: Path,
                                                           monkeypatch) -> None:
    deck = tmp_path / "deck.toml"
    deck.write_text("# padding\n" * 2000, encoding="utf-8")  # 20000 bytes
    monkeypatch.setitem(fileio.LIMITS, "toml", 12 << 10)  # above the shipped deck
    r = cli("tile", *SMALL, "--rules", deck)
    assert_user_error(r, str(deck), "19.5 KiB", "12.0 KiB", "--force")
    assert cli("tile", *SMALL, "--rules", deck, "--force").code == 0


def test_not_utf8_names_file_and_offset(cli, tmp_path: Path) -> None:
    job = tmp_path / "job.toml"
    job.write_bytes('[product]\nname = "caf\xe9"\n'.encode("latin-1"))
    assert_user_error(cli("run", job, "-o", tmp_path / "out"), str(job), "UTF-8", "offset 21",
                      "0xe9")
    deck = tmp_path / "deck.toml"
    deck.write_bytes(b"\xef\xbb\xbf[stack]\n# \xff\n")
    assert_user_error(cli("rules", "check", deck), str(deck), "offset 13")


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000 + "]" * 5000,  # tomllib recursion
    "a = " + "{b = " * 3000 + "1" + "}" * 3000,
    "[" + ".".join(["t"] * 200) + "]\n",  # no recursion in tomllib, but 200 levels deep
])
def test_deep_toml_is_one_line(cli, tmp_path: Path, text: str) -> None:
    for cmd in (("run",), ("rules", "check")):
        f = tmp_path / "deep.toml"
        f.write_text(text + "\n", encoding="utf-8")
        assert_user_error(cli(*cmd, f), str(f), "nested too deeply")


# --------------------------------------------------------------------------- drc input


def test_drc_refuses_files_that_are_not_layoutgen_layouts(cli, tmp_path: Path) -> None:
    import gdstk

    assert_user_error(cli("drc", REPO / "examples" / "tab_cell.dxf"), "tab_cell.dxf",
                      "not a GDSII or OASIS")
    empty = tmp_path / "empty.gds"
    gdstk.Library().write_gds(empty)
    assert_user_error(cli("drc", empty), "empty.gds", "empty layout")
    other = tmp_path / "other.gds"
    lib = gdstk.Library()
    lib.new_cell("TOP").add(gdstk.rectangle((0, 0), (1, 1)))
    lib.write_gds(other)
    assert_user_error(cli("drc", other), "other.gds", "SHEET", "USABLE")
    nothing = tmp_path / "zero.gds"
    nothing.write_bytes(b"")
    assert_user_error(cli("drc", nothing), "zero.gds", "empty")
    assert not list(tmp_path.glob("*.drc.gds"))


# --------------------------------------------------------------------------- names, usage


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a..b", "con", "x.", "a/b"])
def test_unsafe_product_names_are_refused(cli, tmp_path: Path, name: str) -> None:
    text = WEARABLE.read_text(encoding="utf-8")
    job = tmp_path / "job.toml"
    lines = [f'name = "{name}"' if ln.startswith("name =") else ln for ln in text.splitlines()]
    job.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("run", job, "-o", tmp_path / "out")
    assert_user_error(r, repr(name).strip("'\""))
    assert not (tmp_path / "out").exists()
    assert_user_error(cli("layout", *SMALL, "--name", name, "-o", tmp_path / "o2"), "--name")
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize("args, where", [
    (("run", "-o"), "layoutgen run --help"),
    (("layout", "--sheet"), "layoutgen layout --help"),
    (("size", "sweep", "--param"), "layoutgen size sweep --help"),
])
def test_missing_option_argument_points_at_the_command_help(cli, args, where) -> None:
    assert_user_error(cli(*args), where, "requires an argument")


# --------------------------------------------------------------------------- output folders


def test_folder_of_another_job_is_refused_and_overwrite_removes_only_outputs(
        cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("toolpath", *SMALL, "--name", "a", "-o", out, "-f", "ngc,dxf").code == 0
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    first = {p.name for p in out.iterdir()}
    assert first == {"a.ngc", "a.dxf", "a.pens.json", "a.pens.csv", "notes.txt"}
    # the same job again: replaces its own files
    assert cli("toolpath", *SMALL, "--name", "a", "-o", out, "-f", "ngc,dxf").code == 0
    # another job: refused, nothing changed, no staging left
    r = cli("toolpath", *SMALL, "--name", "b", "-o", out, "-f", "ngc")
    assert_user_error(r, str(out), "a.dxf", "a.ngc", "--overwrite")
    assert {p.name for p in out.iterdir()} == first
    # --overwrite: the old job's files go, the user's file stays
    assert cli("toolpath", *SMALL, "--name", "b", "-o", out, "-f", "ngc",
               "--overwrite").code == 0
    assert {p.name for p in out.iterdir()} == {"b.ngc", "notes.txt"}


@pytest.mark.parametrize("cmd", [
    ("run", str(WEARABLE)), ("layout", *SMALL, "--no-preview"), ("tile", *SMALL),
    ("toolpath", *SMALL, "-f", "ngc")])
def test_every_output_command_refuses_a_mixed_folder(cli, tmp_path: Path, cmd) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "other-job.gds").write_bytes(b"\0\6\0\2")
    (out / "readme.txt").write_text("kept\n", encoding="utf-8")
    assert_user_error(cli(*cmd, "-o", out), "other-job.gds", "--overwrite")
    assert {p.name for p in out.iterdir()} == {"other-job.gds", "readme.txt"}
    r = cli(*cmd, "-o", out, "--overwrite")
    assert r.code == 0, r.err
    names = {p.name for p in out.iterdir()}
    assert "other-job.gds" not in names and "readme.txt" in names
    assert not [n for n in names if n.startswith(".")]


@pytest.mark.parametrize("cmd", [("run", str(WEARABLE)), ("layout", *SMALL), ("tile", *SMALL),
                                 ("toolpath", *SMALL)])
def test_empty_output_folder_name_is_refused(cli, tmp_path: Path, monkeypatch, cmd) -> None:
    monkeypatch.chdir(tmp_path)
    assert_user_error(cli(*cmd, "-o", ""), "--out ''")
    assert not list(tmp_path.iterdir())


def test_overwrite_never_removes_an_input_of_the_command(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    cell = out / "cell.wkt.dxf"
    cell.write_bytes((REPO / "examples" / "tab_cell.dxf").read_bytes())
    r = cli("toolpath", "--sheet", "100x100", "--polygon", cell, "-o", out, "-f", "ngc",
            "--overwrite")
    assert r.code == 0, r.err
    assert cell.is_file() and (out / "job.ngc").is_file()


def test_layout_then_drc_then_layout_again(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("layout", *SMALL, "-o", out, "--no-preview").code == 0
    assert cli("drc", out / "sheet.gds").code == 0
    r = cli("layout", *SMALL, "-o", out, "--no-preview", "--drc")  # the same job: fine
    assert r.code == 0, r.err
    assert (out / "sheet.drc.gds").is_file()
    r = cli("layout", *SMALL, "-o", out, "--no-preview")  # the old markers are outdated
    assert r.code == 0, r.err
    assert not (out / "sheet.drc.gds").exists()


def test_interrupt_lost_in_a_finaliser_is_raised_at_the_next_checkpoint() -> None:
    class Noisy:
        def __del__(self) -> None:
            fileio._on_signal(signal.SIGTERM, sys._getframe())

    with fileio.signal_handlers():
        with pytest.raises(fileio.Interrupted) as info:
            Noisy()  # the exception raised in __del__ is swallowed by Python ...
            fileio.checkpoint()  # ... and comes back here
    assert info.value.exit_code == 143


def test_staged_dir_leaves_nothing_on_error(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with pytest.raises(LayoutgenError), fileio.staged_dir(out) as tmp:
        (tmp / "x.txt").write_text("x", encoding="utf-8")
        raise LayoutgenError("boom")
    assert not out.exists()


# --------------------------------------------------------------------------- signals


def _wait_for(pred, proc: subprocess.Popen, limit_s: float = 300.0) -> bool:
    """Poll until pred() or the process ends (limit_s only guards against a hang)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if pred():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("sig, stage", [
    (signal.SIGINT, "staging"), (signal.SIGTERM, "staging"),
    (getattr(signal, "SIGHUP", signal.SIGTERM), "staging"), (signal.SIGINT, "toolpaths"),
])
def test_signals_remove_staging_and_exit_conventionally(tmp_path: Path, sig, stage) -> None:
    out = tmp_path / "out"

    def ready() -> bool:
        staging = list(out.glob(".staging.*")) if out.is_dir() else []
        if stage == "staging":
            return bool(staging)
        return any(s.glob("*.gds") for s in staging) and any(
            s.glob("*.ngc*") for s in staging)

    proc = subprocess.Popen(_cmd("run", str(WEARABLE), "-o", str(out), "-q"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = _wait_for(ready, proc)
        if seen:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    if not seen:  # the run finished before the moment came (a much faster machine)
        pytest.skip("the run ended before the signal could be sent")
    assert proc.returncode == 128 + sig, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and signal.Signals(sig).name in lines[0], err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir()), list(out.rglob("*"))


# --------------------------------------------------------------------------- determinism


def test_run_outputs_are_byte_identical_across_processes(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "4"):  # these two gave different DXF CLASSES orders before the fix
        out = tmp_path / f"out{seed}"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
        env["PYTHONHASHSEED"] = seed
        r = subprocess.run(_cmd("run", str(WEARABLE), "-o", str(out), "-q"), env=env,
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        outs.append(out)
    names = sorted(p.relative_to(outs[0]).as_posix() for p in outs[0].rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(outs[1]).as_posix()
                           for p in outs[1].rglob("*") if p.is_file())
    assert any(n.endswith(".dxf") for n in names) and "report.html" in names
    differ = [n for n in names if (outs[0] / n).read_bytes() != (outs[1] / n).read_bytes()]
    assert not differ
