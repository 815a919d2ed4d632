"""Running workflows headless."""
from .engine import Engine
from .state import DONE, ERROR, IDLE, RUNNING, WAITING, WARNING, NodeState, Status

__all__ = ["Engine", "NodeState", "Status", "DONE", "ERROR", "IDLE", "RUNNING", "WAITING",
           "WARNING"]
