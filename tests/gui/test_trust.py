"""The canvas side of trust: Preferences edits the user's servers; opening a shared
workflow asks once before a server gets images, and never contacts it unasked."""
import json

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QInputDialog, QMessageBox

from imgflow import trusted_servers, user_settings
from imgflow.engine import ERROR
from imgflow.gui.preferences import PreferencesDialog
from imgflow.registry import Registry
from tests.remote.conftest import RecordingServer, images_sent, workflow_file
from tests.support.images import make_image_tree


@pytest.fixture
def recording_server(tmp_path):
    server = RecordingServer(tmp_path / "requests.jsonl").wait_ready(30)
    yield server
    server.stop()


@pytest.fixture
def real_window(qtbot, answers, tmp_path, monkeypatch):
    from imgflow.gui.mainwindow import MainWindow
    registry = Registry.discover()
    if "imgflow.image_embedding" not in registry:
        pytest.skip("Image Embedding is not installed")
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(tmp_path / "cache"))
    window = MainWindow(registry, autosave=False)
    qtbot.addWidget(window)
    window.show()
    yield window
    answers.question = QMessageBox.Discard
    window.close()


@pytest.fixture
def shared(tmp_path, recording_server):
    images = tmp_path / "photos"
    make_image_tree(images, per_kind=1, size=(96, 72))
    return workflow_file(tmp_path, images, recording_server.url)


def embedding_state(window, qtbot):
    engine = window.document.engine
    qtbot.waitUntil(engine.is_idle, timeout=60000)
    node = window.document.workflow.node_by_title("Image Embedding")
    return engine.state(node.id)


def test_preferences_add_set_token_and_remove_servers(qtbot, monkeypatch):
    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    page = dialog.servers
    page.url_edit.setText("gpu-box:8750")
    page.new_token_edit.setText("typed-secret")
    qtbot.mouseClick(page.add_button, Qt.LeftButton)
    assert page.urls() == ["http://gpu-box:8750"]
    assert page.table.item(0, 1).text() == "token set"
    assert trusted_servers.token_for("gpu-box:8750") == "typed-secret"
    assert page.new_token_edit.text() == "" and page.url_edit.text() == ""

    page.url_edit.setText("gopher://elsewhere")
    qtbot.mouseClick(page.add_button, Qt.LeftButton)
    assert "http://" in page.problem.text() and page.urls() == ["http://gpu-box:8750"]

    page.table.selectRow(0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("new-secret", True))
    qtbot.mouseClick(page.token_button, Qt.LeftButton)
    assert trusted_servers.token_for("gpu-box:8750") == "new-secret"
    shown = [page.table.item(r, c).text() for r in range(page.table.rowCount()) for c in (0, 1)]
    assert not any("secret" in text for text in shown)

    page.table.selectRow(0)
    qtbot.mouseClick(page.remove_button, Qt.LeftButton)
    assert page.urls() == [] and trusted_servers.trusted_servers() == []
    assert json.loads(user_settings.settings_path().read_text())["servers"] == []


def test_preferences_is_in_the_edit_menu(window, monkeypatch):
    import imgflow.gui.mainwindow as mainwindow
    opened = []
    monkeypatch.setattr(mainwindow, "show_preferences", lambda parent: opened.append(parent))
    edit = next(m.menu() for m in window.menuBar().actions() if m.text() == "&Edit")
    assert window.actions_.preferences in edit.actions()
    window.actions_.preferences.trigger()
    assert opened == [window]


def test_opening_a_workflow_asks_once_and_deny_sends_nothing(real_window, qtbot, answers,
                                                            shared, recording_server,
                                                            monkeypatch):
    answers.question = QMessageBox.No
    assert real_window.open_path(shared)
    asked = [text for title, text in answers.asked if "sends your images" in text]
    assert len(asked) == 1
    assert asked[0].startswith(f"This workflow sends your images to {recording_server.url}: allow?")
    state = embedding_state(real_window, qtbot)
    assert state.status == ERROR and f"imgflow servers add {recording_server.url}" in state.message
    assert recording_server.requests() == []           # not even a look at /v1/models
    assert trusted_servers.trusted_servers() == []
    # trusting it later in Preferences runs the stopped node again
    import imgflow.gui.mainwindow as mainwindow
    monkeypatch.setattr(mainwindow, "show_preferences",
                        lambda parent: trusted_servers.add(recording_server.url))
    real_window.actions_.preferences.trigger()
    assert embedding_state(real_window, qtbot).status != ERROR
    assert images_sent(recording_server) == 4


def test_allow_trusts_the_server_and_the_images_go_there(real_window, qtbot, answers, shared,
                                                         recording_server):
    answers.question = QMessageBox.Yes
    assert real_window.open_path(shared)
    assert [s.url for s in trusted_servers.trusted_servers()] == [recording_server.url]
    state = embedding_state(real_window, qtbot)
    assert state.status != ERROR, state.message
    assert images_sent(recording_server) == 4
    # a trusted server is not asked about again
    answers.asked.clear()
    answers.question = QMessageBox.Discard
    real_window.document.undo_stack.clear()
    assert real_window.open_path(shared)
    assert not [t for _, t in answers.asked if "sends your images" in t]


def test_an_old_workflow_with_a_token_file_opens_with_a_warning(real_window, qtbot, answers,
                                                               tmp_path, recording_server):
    secret = tmp_path / "secret"
    secret.write_text("do-not-send-me")
    path = workflow_file(tmp_path, tmp_path, recording_server.url, token_file=str(secret))
    answers.question = QMessageBox.No
    assert real_window.open_path(path)
    log = real_window.log_view.toPlainText()
    assert "token file" in log and "imgflow servers add" in log and str(secret) not in log
    assert real_window.log_dock.isVisible()


def test_an_address_typed_in_the_window_is_the_users_choice(real_window, qtbot, recording_server):
    doc = real_window.document
    node = doc.add_node("imgflow.image_embedding", (0.0, 0.0))
    doc.set_settings(node, {"embedder": "remote"})
    panel = real_window.panels.open(node)
    assert panel.trust_label.text() == "Addresses you type here become trusted."
    panel.url_edit.setText(recording_server.url)
    panel.url_edit.editingFinished.emit()
    assert node.settings["server_url"] == recording_server.url
    assert trusted_servers.is_trusted(recording_server.url)
    assert panel.trust_label.text().startswith("Trusted")


def test_pasting_widgets_that_name_an_untrusted_server_asks_too(real_window, answers):
    from PyQt5.QtWidgets import QApplication
    from imgflow.gui.clipboard import to_mime
    from imgflow.workflow import Workflow
    source = Workflow(real_window.registry)
    node = source.add_node("imgflow.image_embedding")
    source.set_settings(node, {"embedder": "remote", "server_url": "http://paste.example:8750"})
    QApplication.clipboard().setMimeData(to_mime(source))
    answers.question = QMessageBox.No
    real_window.actions_.paste.trigger()
    assert [t for _, t in answers.asked if "http://paste.example:8750: allow?" in t]
    assert len(real_window.document.workflow.nodes) == 1     # pasted, and stopped
    assert not trusted_servers.is_trusted("http://paste.example:8750")


def test_preferences_network_page_keeps_the_private_address_switch(qtbot):
    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    box = dialog.network.allow_private
    assert not box.isChecked() and not user_settings.private_urls_allowed()
    box.click()
    assert user_settings.private_urls_allowed()
    again = PreferencesDialog()            # a new dialog reads what was saved
    qtbot.addWidget(again)
    assert again.network.allow_private.isChecked()
    again.network.allow_private.click()
    assert not user_settings.private_urls_allowed()


def test_opening_a_workflow_that_reads_a_bucket_asks_and_no_reads_nothing(real_window, qtbot,
                                                                          answers, tmp_path,
                                                                          monkeypatch):
    pytest.importorskip("fsspec")
    import fsspec.core
    monkeypatch.setattr(fsspec.core, "url_to_fs", lambda *a, **k: pytest.fail("read the bucket"))
    path = tmp_path / "bucket.imgflow"
    path.write_text(json.dumps({"format": "imgflow-workflow", "version": 1, "links": [],
                                "nodes": [{"id": 0, "widget": "imgflow.import_images",
                                           "title": "Import Images", "position": [0, 0],
                                           "settings": {"directory": "s3://theirs/photos"}}]}))
    answers.question = QMessageBox.No
    assert real_window.open_path(path)
    assert [(title, text.split(": allow?")[0]) for title, text in answers.asked] == [
        ("Read images from cloud storage?",
         "This workflow reads images from s3://theirs with your cloud credentials")]
    engine = real_window.document.engine
    qtbot.waitUntil(engine.is_idle, timeout=30000)
    state = engine.state(real_window.document.workflow.node_by_title("Import Images").id)
    assert state.status == ERROR and "imgflow servers add s3://theirs" in state.message
    assert trusted_servers.trusted_servers() == []
