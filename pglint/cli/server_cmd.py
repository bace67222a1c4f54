"""``pglint server``: the language server. pygls is imported only when it runs."""

from __future__ import annotations

import click

from . import cli


@cli.command("server", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin and stdout (the default, and the only transport).")
def server(stdio):
    """Run the language server: diagnostics as you type, fixes and ignore comments as code
    actions, the rule's page on hover. Needs pip install 'pglint[lsp]'.

    Each file is linted as `pglint check FILE` lints it: configuration from the file's
    directory, the rest of its migration folder as history, its suppression comments.
    """
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError as exc:
        missing = getattr(exc, "name", None) or "pygls"
        click.echo(f"pglint: error: the language server needs pygls and lsprotocol ({missing} is not installed); "
                   "install them with: pip install 'pglint[lsp]'", err=True)
        return 2
    from ..lsp.server import serve

    return serve()
