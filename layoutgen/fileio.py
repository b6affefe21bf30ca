"""The process boundary: input files read safely, outputs written all-or-nothing, signals.

Writers never leave half-written files: they write to a temporary sibling, then rename; a
command's output folder is staged and moved in at the end. Input files are read through
`read_input`: regular files only, at most a size limit, UTF-8 checked. SIGINT, SIGTERM and SIGHUP
raise `Interrupted` (once), so staging is removed and the CLI exits 128 + the signal number.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from layoutgen.errors import LayoutgenError

# size limits of input files, in bytes (--force lifts them)
LIMITS = {
    "toml": 1 << 20,  # job files and rule decks: 1 MiB
    "outline": 64 << 20,  # WKT/DXF polygon outlines: 64 MiB
    "layout": 512 << 20,  # GDS/OASIS files given to `drc`: 512 MiB
    "manifest": 512 << 20,  # cells.csv given to `drc`: 512 MiB
}
MAX_TOML_DEPTH = 32  # nested tables/arrays in a job file or deck
# what layoutgen writes into an output folder: how a folder holding another job is recognised
OUTPUT_NAMES = frozenset({
    "cells.csv", "placements.csv", "preview.png", "preview.svg", "sheet.png", "toolpath.png",
    "report.html", "summary.json",
    # layoutgen bin
    "bins.csv", "yield.json", "yield.csv", "pickmap.csv", "pickmap.e142.xml", "stacked.png",
    "stacked.svg",
    # layoutgen stack
    "stacks.csv", "stack_summary.csv", "picklist.csv", "leftovers.csv", "stack_summary.json",
    "stack_capacity.png", "stack_capacity.svg", "stack_spreads.png", "stack_spreads.svg"})
OUTPUT_SUFFIXES = (".gds", ".oas", ".lyp", ".rules.toml", ".ngc", ".gcode", ".dxf", ".svg",
                   ".job.json", ".lbrn2", ".pens.csv", ".pens.json")
# the bin stage's per-sheet pictures: heat_<sheet>_<parameter>.png, bins_<sheet>.svg, ...
OUTPUT_PICTURES = re.compile(r"^(heat|bins)_[A-Za-z0-9_.-]+\.(png|svg)$")
STEM_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}

LIFT_LIMITS: contextvars.ContextVar[bool] = contextvars.ContextVar("lift_limits", default=False)
_INPUTS: contextvars.ContextVar[frozenset[Path]] = contextvars.ContextVar(
    "inputs", default=frozenset())  # files read so far: --overwrite never removes them


def _note_input(p: Path) -> None:
    with contextlib.suppress(OSError):
        _INPUTS.set(_INPUTS.get() | {p.resolve()})


# --------------------------------------------------------------------------- input files


def _human(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_stat(p: Path, what: str, st: os.stat_result, limit: int | None) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise LayoutgenError(f"{p}: is {_kind_of(st.st_mode)}; the {what} must be a regular "
                             "file")
    if limit is not None and st.st_size > limit and not LIFT_LIMITS.get():
        raise LayoutgenError(f"{p}: {what} is {_human(st.st_size)}, over the limit of "
                             f"{_human(limit)} (--force reads it anyway)")


def check_input(path: str | Path, what: str, kind: str) -> Path:
    """Refuse a missing, non-regular or oversized input file (for readers given a path)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise LayoutgenError(f"{p}: cannot read the {what}: no such file") from None
    except OSError as exc:
        raise LayoutgenError(f"{p}: cannot read the {what} ({exc.strerror})") from None
    _check_stat(p, what, st, LIMITS.get(kind))
    _note_input(p)
    return p


def read_input(path: str | Path, what: str, kind: str) -> bytes:
    """The bytes of an input file: regular files only, at most LIMITS[kind] (unless --force).

    FileNotFoundError is left to the caller (some look elsewhere); every other problem is a
    one-line LayoutgenError naming the file.
    """
    p = Path(path)
    limit = None if LIFT_LIMITS.get() else LIMITS.get(kind)
    try:
        st = os.stat(p)  # never open a FIFO or a device: opening or reading could block forever
        _check_stat(p, what, st, limit)
        with open(p, "rb") as fh:
            _check_stat(p, what, os.fstat(fh.fileno()), limit)  # the file actually opened
            data = fh.read() if limit is None else fh.read(limit + 1)
        _note_input(p)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise LayoutgenError(f"{p}: cannot read the {what} ({exc.strerror})") from None
    if limit is not None and len(data) > limit:  # grew since stat
        raise LayoutgenError(f"{p}: {what} is over the limit of {_human(limit)} "
                             "(--force reads it anyway)")
    return data


def decode_utf8(data: bytes, path: str | Path, what: str) -> str:
    """UTF-8 text of an input file (a BOM is dropped); one line naming the bad byte's offset."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        off = bom + exc.start
        raise LayoutgenError(f"{path}: {what} is not UTF-8 text (byte 0x{data[off]:02x} at "
                             f"offset {off}); save it as UTF-8") from None


def read_text_input(path: str | Path, what: str, kind: str) -> str:
    """`read_input` decoded as UTF-8."""
    return decode_utf8(read_input(path, what, kind), path, what)


def _depth(value: Any) -> int:
    """Nesting depth of parsed TOML (iterative: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
        else:
            continue
        deepest = max(deepest, d + 1)
        if deepest > MAX_TOML_DEPTH:
            break
    return deepest


def load_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse a TOML input file (see `read_input`); FileNotFoundError is left to the caller."""
    text = read_text_input(path, what, "toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutgenError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise LayoutgenError(f"{path}: not valid TOML: nested too deeply (at most "
                             f"{MAX_TOML_DEPTH} levels)") from None
    if _depth(data) > MAX_TOML_DEPTH:
        raise LayoutgenError(f"{path}: {what} nested too deeply (at most {MAX_TOML_DEPTH} "
                             "levels of tables and arrays)")
    return data


def check_stem(name: str, what: str) -> str:
    """A file name stem made from user text: plain and safe, or a one-line error."""
    if (not STEM_RE.match(name) or name.endswith(".") or ".." in name
            or name.split(".")[0].lower() in _RESERVED):
        raise LayoutgenError(
            f"{what} {name!r}: not a safe file name (1-100 of letters, digits, '_', '.', '-', "
            "starting with a letter, digit or '_', no '..', not ending in '.'; e.g. sheet_1)")
    return name


# --------------------------------------------------------------------------- signals


class Interrupted(BaseException):  # noqa: N818 - not an error of the user's input
    """SIGINT/SIGTERM/SIGHUP arrived; unwinding removes staging; the CLI exits 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_SIGNALS = tuple(getattr(signal, s) for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s))
_state: dict[str, Any] = {"pending": None, "raised": False, "critical": 0}


def _importing(frame: FrameType | None) -> bool:
    """True inside an import: an exception raised there can turn into an ImportError."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state["pending"] is None:
        _state["pending"] = signum
    if _state["raised"] or _state["critical"]:
        return
    if _importing(frame) and hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0.02)  # try again once the import is done
        return
    _state["raised"] = True
    raise Interrupted(_state["pending"])


def _on_retry(_signum: int, frame: FrameType | None) -> None:
    if _state["pending"] is not None:
        _on_signal(_state["pending"], frame)


def _unraisable(args: Any, _default: Any = sys.unraisablehook) -> None:
    """An Interrupted raised inside a finaliser is swallowed by Python: re-arm it instead."""
    if isinstance(args.exc_value, Interrupted | KeyboardInterrupt):
        _state["raised"] = False  # the next checkpoint raises it for real
        if _state["pending"] is None:
            _state["pending"] = getattr(args.exc_value, "signum", signal.SIGINT)
        return
    _default(args)


@contextlib.contextmanager
def signal_handlers() -> Iterator[None]:
    """Inside, SIGINT, SIGTERM and SIGHUP raise Interrupted (once; signals the parent process
    ignores stay ignored); the previous handlers come back at the end."""
    _state.update(pending=None, raised=False, critical=0)
    saved: dict[int, Any] = {}
    hook = sys.unraisablehook
    try:
        for sig in (*_SIGNALS, getattr(signal, "SIGALRM", None)):
            if sig is None or signal.getsignal(sig) is signal.SIG_IGN:
                continue
            saved[sig] = signal.signal(sig, _on_retry if sig == signal.SIGALRM else _on_signal)
    except ValueError:  # not the main thread: leave signals alone
        pass
    sys.unraisablehook = _unraisable
    try:
        yield
    finally:
        sys.unraisablehook = hook
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, old in saved.items():
            signal.signal(sig, old)


def pending_signal() -> int | None:
    """The first signal received since the handlers were installed, if any."""
    return _state["pending"]


def checkpoint() -> None:
    """Raise Interrupted if a signal arrived but its exception was lost (or deferred)."""
    if _state["pending"] is not None and not _state["raised"] and not _state["critical"]:
        _state["raised"] = True
        raise Interrupted(_state["pending"])


@contextlib.contextmanager
def _critical() -> Iterator[None]:
    """Signals arriving inside are deferred to the end (a folder is never half moved in)."""
    _state["critical"] += 1
    try:
        yield
    finally:
        _state["critical"] -= 1
    checkpoint()


# --------------------------------------------------------------------------- outputs


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, else it is removed."""
    target = Path(path)
    if target.is_dir():
        raise LayoutgenError(f"{target}: is a folder (give a file name)")
    tmp_path: Path | None = None
    try:
        _state["critical"] += 1  # no signal between making the .part file and owning it
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                       dir=target.parent)
            os.close(fd)
            tmp_path = Path(tmp)
        except OSError as exc:
            raise LayoutgenError(f"{target}: cannot write the file ({exc.strerror})") from None
        finally:
            _state["critical"] -= 1
        checkpoint()
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        yield tmp_path
        checkpoint()
        os.replace(tmp_path, target)
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | Path, text: str) -> None:
    """Write text atomically (UTF-8, LF line ends)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def is_output_name(name: str) -> bool:
    """True for a file name layoutgen writes into an output folder (any job's)."""
    if name in OUTPUT_NAMES or OUTPUT_PICTURES.match(name):
        return True
    return any(name.endswith(sfx) and len(name) > len(sfx) and not name.startswith(".")
               for sfx in OUTPUT_SUFFIXES)


def _check_folder(target: Path, new: set[str], overwrite: bool) -> set[str]:
    """The other jobs' outputs in target (to remove); refused unless `overwrite`."""
    inputs = _INPUTS.get()
    stale, own = set(), set()
    for p in target.iterdir():
        if p.name in new or not is_output_name(p.name) or not p.is_file():
            continue
        if p.resolve() in inputs:  # never an input of this very command
            continue
        if p.name.endswith(".drc.gds") and p.name[:-8] + ".gds" in new:
            own.add(p.name)  # the DRC markers of the layout written now: outdated, removed
        else:
            stale.add(p.name)
    if stale and not overwrite:
        shown = sorted(stale)
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        raise LayoutgenError(
            f"{target}: already holds files of another job ({', '.join(shown[:3])}{more}); "
            "give an empty folder, or --overwrite (removes only the files layoutgen writes)")
    for n in sorted(new):
        if (target / n).is_dir():
            raise LayoutgenError(f"{target / n}: is a folder where an output file goes")
    return stale | own


def check_out_dir(out_dir: str | Path) -> Path:
    """An output folder name that can be used (checked before any work is done)."""
    if not str(out_dir).strip():
        raise LayoutgenError("--out '': empty; give an output folder (e.g. out)")
    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise LayoutgenError(f"{target}: exists and is not a folder (give an output folder)")
    return target


@contextlib.contextmanager
def staged_dir(out_dir: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success its files move into out_dir, else it is removed.

    A run that fails (or is interrupted) half-way leaves out_dir as it was. An out_dir that
    already holds files of another job (layoutgen output names not rewritten now, see
    `is_output_name`) is refused unless `overwrite`; then only those are removed (never a file
    this command read, nor any other file).
    """
    target = check_out_dir(out_dir)
    created = not target.exists()
    tmp: Path | None = None
    done = False
    try:
        # a signal between making the staging folder and owning it would leave it behind:
        # defer signals until the cleanup below is armed
        _state["critical"] += 1
        try:
            target.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".staging.", dir=target))
        except OSError as exc:
            raise LayoutgenError(
                f"{target}: cannot write the output folder ({exc.strerror})") from None
        finally:
            _state["critical"] -= 1
        checkpoint()
        yield tmp
        checkpoint()
        files = sorted(p for p in tmp.rglob("*") if p.is_file() and not p.name.endswith(".part"))
        new = {p.relative_to(tmp).as_posix() for p in files}
        stale = _check_folder(target, new, overwrite)
        with _critical():
            try:
                for n in sorted(stale):
                    (target / n).unlink(missing_ok=True)
                for src in files:
                    dst = target / src.relative_to(tmp)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
                done = True
            except OSError as exc:
                raise LayoutgenError(f"{target}: cannot write the output folder "
                                     f"({exc.strerror})") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if created and not done:
            with contextlib.suppress(OSError):
                target.rmdir()  # only if still empty: the folder is left as it was
