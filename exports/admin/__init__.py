"""The exports admin, one module per topic: export locations (their form,
actions and health), runs and delivered objects, digests.

Every save and delete goes through ``exports.services`` so that changes made
here record their operator events.
"""

from exports.admin import digests, locations, runs

__all__ = ["digests", "locations", "runs"]
