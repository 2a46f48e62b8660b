"""CLI commands that features add to `soapbot` (import, export, purge, console…).

Each module here calls `bot.cli.add_command(name, configure, run)` at import; `soapbot`
imports every module of this package before it parses its arguments.
"""
