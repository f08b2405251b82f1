"""The click group behind ``unicrm`` and the one place errors become exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from unicrm import __version__
from unicrm.cli.cmd_demo import demo_command
from unicrm.cli.cmd_export import export_command
from unicrm.cli.cmd_migrate import migrate_command, verify_command
from unicrm.cli.cmd_plugins import plugins_command
from unicrm.cli.cmd_sandbox import sandbox_command
from unicrm.cli.output import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VENDOR,
)
from unicrm.errors import (
    ConfigurationError,
    QueryError,
    TransportError,
    UnicrmError,
    UnsupportedOperation,
    VendorError,
)
from unicrm.transport import redact

#: Error class -> exit code (first match wins).
EXIT_CODES: tuple[tuple[type[UnicrmError], int], ...] = (
    (ConfigurationError, EXIT_CONFIG),
    (QueryError, EXIT_CONFIG),
    (UnsupportedOperation, EXIT_CONFIG),
    (TransportError, EXIT_VENDOR),
    (VendorError, EXIT_VENDOR),
    (UnicrmError, EXIT_VENDOR),
)


def usage_line(error: click.UsageError) -> str:
    """A usage error as one redacted line: the command, the problem, where help is."""
    command = error.ctx.command_path if error.ctx is not None else "unicrm"
    message = " ".join(error.format_message().split())
    return f"{command}: {redact(message)} (see '{command} --help')"


class _Group(click.Group):
    """A group that turns unicrm errors into one redacted line and an exit code, and usage
    errors into one line and exit 2 (click's own format takes four lines)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            click.echo(usage_line(error), err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(result if isinstance(result, int) else EXIT_OK)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnicrmError as exc:
            code = next(c for kind, c in EXIT_CODES if isinstance(exc, kind))
            click.echo(f"unicrm: {type(exc).__name__}: {redact(str(exc))}", err=True)
            ctx.exit(code)
        except KeyboardInterrupt:
            click.echo("unicrm: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group("unicrm", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unicrm")
def cli() -> None:
    """unicrm: one model and query language over many CRMs; migrate between them.

    Secrets come from environment variables (UNICRM_AMOCRM_TOKEN, ...) or the config file
    ($UNICRM_CONFIG or ~/.config/unicrm/config.toml), never only from the command line.
    """


cli.add_command(plugins_command)
cli.add_command(sandbox_command)
cli.add_command(export_command)
cli.add_command(migrate_command)
cli.add_command(verify_command)
cli.add_command(demo_command)


def main() -> None:
    """Entry point of the ``unicrm`` script."""
    cli.main(args=sys.argv[1:], prog_name="unicrm")
