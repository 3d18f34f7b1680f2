"""A click group that runs a default subcommand when the first argument names none of its commands.

So ``twin reconstruct CAPTURE -o AVATAR`` runs the whole stage while ``twin reconstruct body CAPTURE ...``
runs one step. (click has no built-in for this; the small click-default-group package is unmaintained.)
"""

from __future__ import annotations

import click


class DefaultGroup(click.Group):
    """``default`` is the command used when the first argument is not a subcommand or an option."""

    def __init__(self, *args, default: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, f"[{self.default.upper()} ARGS] | COMMAND [ARGS]...")
