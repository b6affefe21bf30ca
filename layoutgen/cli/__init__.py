"""The `layoutgen` command: parse, call the library, print. No logic lives here."""

from __future__ import annotations

import signal
import sys
from typing import NoReturn

import typer

try:  # typer >= 0.20 vendors its own click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer on plain click
    from click import exceptions as click_exc  # type: ignore[no-redef]

from layoutgen import fileio
from layoutgen.cli import (
    bin_cmd,
    layout_cmd,
    rules_cmd,
    run_cmd,
    size_cmd,
    stack_cmd,
    tile_cmd,
    toolpath_cmd,
)
from layoutgen.errors import LayoutgenError

app = typer.Typer(
    name="layoutgen",
    help="From a thin-film battery product target to its patterning job: sizing, tiling, "
    "layout (GDS/OASIS) and laser toolpaths.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Every command, in --help order (a module that fails to import fails loudly)."""
    for module in (rules_cmd, size_cmd, tile_cmd, layout_cmd, toolpath_cmd, run_cmd, bin_cmd,
                   stack_cmd):
        module.register(app)


_register()


def _command_path(argv: list[str]) -> str:
    """'layoutgen run' for `layoutgen run -o`: the (sub)command the arguments name."""
    cmd = typer.main.get_command(app)
    path = ["layoutgen"]
    for tok in argv:
        if tok.startswith("-"):
            continue
        sub = getattr(cmd, "commands", {}).get(tok)
        if sub is None:
            break
        path.append(tok)
        cmd = sub
    return " ".join(path)


def _interrupted(signum: int) -> NoReturn:
    name = signal.Signals(signum).name
    print(f"error: interrupted by {name}; no half-written output left", file=sys.stderr)
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one line and exit 2, never a traceback;
    SIGINT/SIGTERM/SIGHUP remove staged output and exit 130/143/129 with one line."""

    args = list(sys.argv[1:] if argv is None else argv)
    token = fileio.LIFT_LIMITS.set(False)
    seen = fileio._INPUTS.set(frozenset())
    try:
        with fileio.signal_handlers():
            rv = app(args=args, prog_name="layoutgen", standalone_mode=False)
            pending = fileio.pending_signal()
            if pending is not None:  # its exception was swallowed somewhere
                raise fileio.Interrupted(pending)
    except fileio.Interrupted as exc:
        _interrupted(exc.signum)
    except LayoutgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except click_exc.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "layoutgen"
        if where == "layoutgen":
            where = _command_path(args)
        print(f"error: {exc.format_message()} (see '{where} --help')", file=sys.stderr)
        sys.exit(2)
    except click_exc.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except RecursionError:  # a value nested deeper than the readers' checks catch
        print("error: an input is nested too deeply (give plain values and tables)",
              file=sys.stderr)
        sys.exit(2)
    except MemoryError:  # a safety net: the size checks should refuse such a job first
        print("error: out of memory: the job is too large for this machine (fewer cells, a "
              "coarser grid, or more memory)", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        sys.exit(0)
    except (KeyboardInterrupt, getattr(click_exc, "Abort", KeyboardInterrupt)):
        _interrupted(fileio.pending_signal() or signal.SIGINT)
    except Exception:
        pending = fileio.pending_signal()
        if pending is None:
            raise
        _interrupted(pending)  # a library turned the interrupt into its own error
    finally:
        fileio.LIFT_LIMITS.reset(token)
        fileio._INPUTS.reset(seen)
    sys.exit(rv if isinstance(rv, int) else 0)
