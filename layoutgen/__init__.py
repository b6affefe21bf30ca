"""layoutgen: from a thin-film battery product target to its patterning job."""

__version__ = "0.1.0"
