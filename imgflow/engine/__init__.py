"""Running workflows headless."""
from .engine import Engine
from .state import DONE, ERROR, IDLE, RUNNING, WAITING, WARNING, NodeState

__all__ = ["Engine", "NodeState", "DONE", "ERROR", "IDLE", "RUNNING", "WAITING", "WARNING"]
