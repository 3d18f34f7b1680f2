"""``twin``: the command-line front door. Each stage contributes its own click group.

Errors the user can act on (:class:`~twinkit.core.errors.TwinkitError`) are printed as one clear line
naming the file and the problem, and the process exits with the error's code (2 bad input, 4 failed
quality check, 3 refused by the rights registry); nothing else prints a traceback unless ``-v``.
"""

from __future__ import annotations

import sys

import click

from twinkit import __version__
from twinkit.capture.cli import capture
from twinkit.cli.demo import demo
from twinkit.core.errors import TwinkitError
from twinkit.reconstruct.cli import reconstruct
from twinkit.render.cli import fit, measure
from twinkit.render.render_cli import render
from twinkit.rig.cli import rig
from twinkit.core.progress import set_verbosity, verbosity
from twinkit.rights.cli import consent, ledger_, license_, registry_, verify


class _TwinGroup(click.Group):
    """Turns :class:`TwinkitError` into ``error: PATH: message`` and its exit code."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except TwinkitError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted: finished work is kept; run the same command again to resume",
                       err=True)
            sys.exit(130)
        except Exception:
            if verbosity() >= 2:
                raise
            click.echo("internal error (run with -v for the traceback):", err=True)
            exc_type, exc_value, _ = sys.exc_info()
            click.echo(f"  {exc_type.__name__}: {exc_value}", err=True)
            sys.exit(1)


@click.group(cls=_TwinGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twin")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only; no progress bars.")
@click.option("-v", "--verbose", is_flag=True, help="Print more detail (and tracebacks).")
def twin(quiet: bool, verbose: bool) -> None:
    """twinkit: turn a capture-studio session into a person's digital twin.

    Stages, in order: capture (ingest and check a session), reconstruct (body fit and Gaussian
    splats to a textured avatar), rig (skeleton and posing), render (imagery, fit and measurements).
    """
    set_verbosity(0 if quiet else 2 if verbose else 1)


twin.add_command(capture)
twin.add_command(reconstruct)
twin.add_command(rig)
twin.add_command(measure)
twin.add_command(fit)
twin.add_command(render)
twin.add_command(demo)
twin.add_command(consent)
twin.add_command(license_)
twin.add_command(ledger_)
twin.add_command(registry_)
twin.add_command(verify)


if __name__ == "__main__":
    twin()
