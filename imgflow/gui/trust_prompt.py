"""Asking the user before a workflow from a file may send images to a server (or read a
bucket with the user's cloud credentials).

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
    servers = [u for u in urls if not trusted_servers.is_storage(u)]
    buckets = [u for u in urls if trusted_servers.is_storage(u)]
    nodes = ", ".join(f"'{t}'" for t in titles)
    asks = []
    if servers:
        asks.append(f"sends your images to {', '.join(servers)}")
    if buckets:     # reading signs requests with the user's own cloud credentials
        asks.append(f"reads images from {', '.join(buckets)} with your cloud credentials")
    return (f"This workflow {' and '.join(asks)}: allow?\n\n"
            f"{nodes} would do so. Yes adds {'them' if len(urls) > 1 else 'it'} to your "
            f"trusted servers (Edit > Preferences); No keeps your images and credentials "
            f"here, and the widget stops with a message.")


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
    title = ("Send images to a server?" if not all(map(trusted_servers.is_storage, urls))
             else "Read images from cloud storage?")
    answer = QMessageBox.question(parent, title, question_text(urls, titles),
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
