"""unicrm: one neutral model and query language over many CRMs."""

__version__ = "0.1.0"
