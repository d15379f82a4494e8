"""auditsite-verify: check an auditsite S3 export offline, without auditsite.

Needs only the standard library, boto3 and cryptography. ``auditsite-verify``
(:func:`auditsite_verify.cli.main`) is the command; :func:`verify` the same
check for programs, given a boto3 S3 client. auditsite itself imports the
layout (positions, object names, digest keys, canonical JSON) and the
digest format from here, so writer and reader share one statement of them.
"""

from auditsite_verify.check import verify
from auditsite_verify.cli import main, parse_moment
from auditsite_verify.keys import fingerprint, load_public_keys
from auditsite_verify.report import Report

__all__ = [
    "Report",
    "fingerprint",
    "load_public_keys",
    "main",
    "parse_moment",
    "verify",
]
