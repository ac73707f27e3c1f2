"""KAPDesk: a quiet desktop companion for ketamine-assisted psychotherapy sittings."""

__version__ = "0.1.0"
