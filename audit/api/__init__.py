"""The operator REST API (``/api/v1/``): events, directory, portal links.

Each view declares the scope an API key needs per method in its
``required_scopes`` (see ``audit.permissions``).
"""
