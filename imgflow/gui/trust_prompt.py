"""Asking the user before a workflow from a file may send images to a server.

The check itself is in the core (imgflow.trusted_servers) and in the widget,
which refuses an untrusted server whatever the canvas does; this only asks
once, when a workflow is opened, so that the user can allow it in one click.
"""
from __future__ import annotations

from PyQt5.QtWidgets import QMessageBox

from .. import trusted_servers
from ..user_settings import UserSettingsError
from ..workflow import Workflow


def question_text(urls: list[str], titles: list[str]) -> str:
    where = ", ".join(urls)
    nodes = ", ".join(f"'{t}'" for t in titles)
    return (f"This workflow sends your images to {where}: allow?\n\n"
            f"{nodes} would send them there. Yes adds the server to your trusted servers "
            f"(Edit > Preferences); No keeps your images here, and the widget stops "
            f"with a message.")


def confirm_servers(parent, workflow: Workflow) -> list[str]:
    """Ask once about the untrusted servers the workflow names; the URLs the user allowed."""
    try:
        untrusted = trusted_servers.untrusted_in(workflow)
    except UserSettingsError:
        return []          # the widget reports the broken settings file on its node
    if not untrusted:
        return []
    urls = list(untrusted)
    titles = list(dict.fromkeys(workflow.nodes[i].title for ids in untrusted.values() for i in ids))
    answer = QMessageBox.question(parent, "Send images to a server?", question_text(urls, titles),
                                  QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    if answer != QMessageBox.Yes:
        return []
    try:
        for url in urls:
            trusted_servers.add(url)
    except UserSettingsError as exc:
        QMessageBox.critical(parent, "Cannot trust the server", str(exc))
        return []
    return urls
