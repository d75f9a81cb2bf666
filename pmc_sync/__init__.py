"""pmc-sync: runs the Postdoc Mentoring Certificate on Google Workspace."""

__version__ = "0.1.0"
