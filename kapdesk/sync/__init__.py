"""Replication of a room's local record to the clinic's PostgreSQL server (local-first).

``status``      what the status bar says (plain Python)
``replicator``  one push-and-pull cycle between the room's SQLite file and the server
``worker``      the background thread that runs cycles, off the GUI thread

A room always writes to its own SQLite record first; nothing here is on the path of an entry
being saved. Nothing here is imported, and no socket is opened, unless a server is configured.
"""
