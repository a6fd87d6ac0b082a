"""The transport knows no app: each app builds its frames, and every throttle is the transport's to reset."""

import ast
import importlib.util
import time

from core.live import transport

APPS = ("videos", "reports", "syncs", "channels_app")
TRANSPORT = ("core.live.transport", "core.live.groups", "core.live.outbox")


def imported_by(module: str) -> set[str]:
    """Every module this one's source imports, at the top or inside a function."""
    tree = ast.parse(open(importlib.util.find_spec(module).origin, encoding="utf-8").read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_module(name: str) -> bool:
    """A module, not a name imported from one (`from a.b import c` may import either)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, AttributeError):
        return False


def reached_from(module: str) -> set[str]:
    """The modules of ours (the ground, the project and the apps) this one reaches, one import after another."""
    ours = ("core", "ytcms_site", *APPS)
    reached, todo = set(), [module]
    while todo:
        for name in imported_by(todo.pop()):
            if name.split(".")[0] in ours and name not in reached and is_module(name):
                reached.add(name)
                todo.append(name)
    return reached


def test_the_transport_imports_no_app_not_even_inside_a_function():
    assert {"core.live.groups", "core.live.models"} <= reached_from("core.live.transport")
    for module in TRANSPORT:
        reached = reached_from(module)
        assert not {name for name in reached if name.split(".")[0] in (*APPS, "ytcms_site")}, module


def test_reset_throttles_drops_the_frame_an_apps_trailing_sender_holds(monkeypatch):
    sent = []
    monkeypatch.setattr(transport, "send_now", lambda outgoing, **kwargs: sent.append(outgoing))
    sender = transport.TrailingSender(0.2)  # as syncs.events holds the quota's last frame
    throttle = transport.Throttle(60)
    assert throttle.ready("k")

    sender.send("key", [(["live.quota"], {"type": "quota_update", "used": 1})])
    sender.send("key", [(["live.quota"], {"type": "quota_update", "used": 2})])  # held for 0.2 s
    transport.reset_throttles()
    time.sleep(0.5)

    assert [outgoing[0][1]["used"] for outgoing in sent] == [1]  # the held frame never went
    assert throttle.ready("k")  # and every window was forgotten


def test_a_trailing_sender_sends_the_last_frame_once_its_window_is_over(monkeypatch):
    sent = []
    monkeypatch.setattr(transport, "send_now", lambda outgoing, **kwargs: sent.append(outgoing))
    sender = transport.TrailingSender(0.2)

    for used in (1, 2, 3):
        sender.send("key", [(["live.quota"], {"type": "quota_update", "used": used})])
    deadline = time.monotonic() + 5
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert [outgoing[0][1]["used"] for outgoing in sent] == [1, 3]
    assert "ts" in sent[-1][0][1]  # stamped when it goes, not when it was held
