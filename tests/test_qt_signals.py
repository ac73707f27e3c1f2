"""Guard against the PySide6 build that crashes a long sitting.

PySide6 6.12.0 loses one reference to ``True`` on every ``emit`` made from Python; on CPython
3.11 the interpreter aborts ("bool_dealloc") after a few hundred emits, minutes into a session
(the player alone emits several signals a second). pyproject.toml excludes that release; this
test fails loudly if a future release brings the leak back.
"""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    number = Signal(int)
    payload = Signal(str, dict)


def test_emitting_from_python_keeps_reference_counts():
    emitter = _Emitter()
    received = []
    emitter.number.connect(received.append)
    emitter.payload.connect(lambda kind, data: received.append(kind))
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for i in range(200):
        emitter.number.emit(i)
        emitter.payload.emit("tick", {"i": i})
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    assert len(received) == 400
    assert all(abs(a - b) < 50 for a, b in zip(after, before)), (before, after)
