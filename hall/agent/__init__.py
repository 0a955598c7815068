"""The device agent: runs device bridges next to the hardware (``hall agent``) or inside the
server for a one-box hall. See bridge.py for the contract every bridge follows."""
