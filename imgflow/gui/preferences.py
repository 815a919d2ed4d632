"""Preferences: the user's own settings, starting with the embedding servers they trust.

Changes are saved at once to the user's settings file (see imgflow.user_settings);
tokens are typed or read from a file here and never shown again.
"""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox, QFileDialog,
                             QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit,
                             QPushButton, QTableWidget, QTableWidgetItem, QTabWidget,
                             QVBoxLayout, QWidget)

from .. import trusted_servers, user_settings
from ..user_settings import UserSettingsError, settings_path

EXPLANATION = ("Your images are sent only to the servers listed here (embedding servers, and "
               "Dask schedulers: tcp://host:8786). A workflow that names another server is "
               "stopped, and the canvas asks you first. Tokens are kept in your settings file, "
               "which only you can read.")


class ServersPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        intro = QLabel(EXPLANATION, self, wordWrap=True)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Address", "Token"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.token_button = QPushButton("Set &Token…", self)
        self.token_button.clicked.connect(self.set_token)
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        row_buttons = QHBoxLayout()
        row_buttons.addStretch(1)
        row_buttons.addWidget(self.token_button)
        row_buttons.addWidget(self.remove_button)

        self.url_edit = QLineEdit(self, placeholderText="http://gpu-box:8750")
        self.new_token_edit = QLineEdit(self, placeholderText="token (optional)")
        self.new_token_edit.setEchoMode(QLineEdit.Password)
        from_file = QPushButton("From File…", self)
        from_file.setToolTip("Read the token from a file (for example the server's --token-file)")
        from_file.clicked.connect(self._token_from_file)
        self.add_button = QPushButton("&Add", self)
        self.add_button.clicked.connect(self.add)
        self.url_edit.returnPressed.connect(self.add)
        add_row = QHBoxLayout()
        add_row.addWidget(self.url_edit, 3)
        add_row.addWidget(self.new_token_edit, 2)
        add_row.addWidget(from_file)
        add_row.addWidget(self.add_button)

        self.problem = QLabel(self, wordWrap=True)
        self.problem.setStyleSheet("color: #c0392b;")
        self.where = QLabel(f"Saved in {settings_path()}", self, wordWrap=True)
        self.where.setStyleSheet("color: #606060;")
        self.where.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row_buttons)
        layout.addWidget(QLabel("Trust another server:", self))
        layout.addLayout(add_row)
        layout.addWidget(self.problem)
        layout.addWidget(self.where)
        self.refresh()

    # -- showing --------------------------------------------------------------
    def refresh(self) -> None:
        try:
            servers = trusted_servers.trusted_servers()
        except UserSettingsError as exc:
            servers = []
            self.problem.setText(str(exc))
        self.table.setRowCount(len(servers))
        for row, server in enumerate(servers):
            self.table.setItem(row, 0, QTableWidgetItem(server.url))
            self.table.setItem(row, 1, QTableWidgetItem(server.token_state))
        self._update_buttons()

    def urls(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def selected_url(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected_url() is not None
        self.token_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    # -- editing --------------------------------------------------------------
    def _apply(self, change) -> bool:
        """Run one change of the user's settings; a problem is shown, never raised."""
        try:
            change()
        except (UserSettingsError, ValueError) as exc:
            self.problem.setText(str(exc))
            return False
        self.problem.clear()
        self.refresh()
        return True

    def add(self) -> None:
        url, token = self.url_edit.text().strip(), self.new_token_edit.text().strip()
        if not url:
            self.problem.setText("Enter the server's address, e.g. http://gpu-box:8750")
            return
        if self._apply(lambda: trusted_servers.add(url, token or None)):
            self.url_edit.clear()
            self.new_token_edit.clear()
            self._select(trusted_servers.location(url))

    def remove_selected(self) -> None:
        url = self.selected_url()
        if url is not None:
            self._apply(lambda: trusted_servers.remove(url))

    def set_token(self) -> None:
        url = self.selected_url()
        if url is None:
            return
        token, ok = QInputDialog.getText(self, "Access Token",
                                         f"The access token for {url} (empty: none):",
                                         QLineEdit.Password)
        if ok:
            self._apply(lambda: trusted_servers.set_token(url, token.strip() or None))
            self._select(url)

    def _token_from_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Token File")
        if not path:
            return
        try:
            with open(path, encoding="utf-8") as f:
                token = f.read(65536).strip()
        except (OSError, UnicodeDecodeError) as exc:
            self.problem.setText(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
            return
        self.new_token_edit.setText(token)

    def _select(self, url: str) -> None:
        if url in self.urls():
            self.table.selectRow(self.urls().index(url))


class NetworkPage(QWidget):
    """Whether images named by URL may come from the user's own network."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.allow_private = QCheckBox(
            "Allow images from private and local network addresses", self)
        self.allow_private.setToolTip(
            "Off: a URL in a workflow cannot reach services inside your network "
            "(127.0.0.1, 192.168.x.x, 10.x.x.x, …).")
        self.problem = QLabel(self, wordWrap=True)
        self.problem.setStyleSheet("color: #b00020;")
        try:
            self.allow_private.setChecked(user_settings.private_urls_allowed())
        except UserSettingsError as exc:
            self.problem.setText(str(exc))
        self.allow_private.toggled.connect(self._toggled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.allow_private)
        layout.addWidget(self.problem)
        layout.addStretch(1)

    def _toggled(self, on: bool) -> None:
        try:
            user_settings.allow_private_urls(on)
            self.problem.clear()
        except UserSettingsError as exc:
            self.problem.setText(str(exc))


class PreferencesDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.tabs = QTabWidget(self)
        self.servers = ServersPage(self)
        self.tabs.addTab(self.servers, "Embedding Servers")
        self.network = NetworkPage(self)
        self.tabs.addTab(self.network, "Network")
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(620, 420)


def show_preferences(parent=None) -> PreferencesDialog:
    """Open the dialog (modal); returns it once closed."""
    dialog = PreferencesDialog(parent)
    dialog.exec_()
    return dialog
