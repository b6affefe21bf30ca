"""The `layoutgen` command: parse, call the library, print. No logic lives here."""

from __future__ import annotations

import sys

import typer

try:  # typer >= 0.20 vendors its own click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer on plain click
    from click import exceptions as click_exc

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
    from layoutgen.cli import rules_cmd, size_cmd

    for module in (rules_cmd, size_cmd):
        module.register(app)
    for name in ("tile_cmd", "layout_cmd", "toolpath_cmd", "run_cmd"):
        try:
            module = __import__(f"layoutgen.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"layoutgen.cli.{name}":
                raise
            continue
        module.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one line and exit 2, never a traceback."""
    try:
        rv = app(args=argv, prog_name="layoutgen", standalone_mode=False)
    except LayoutgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except click_exc.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "layoutgen"
        print(f"error: {exc.format_message()} (see '{where} --help')", file=sys.stderr)
        sys.exit(2)
    except click_exc.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        sys.exit(0)
    except (KeyboardInterrupt, getattr(click_exc, "Abort", KeyboardInterrupt)):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
