"""MiniMost: self-hosted team chat for private networks."""

__version__ = "0.1.0"
