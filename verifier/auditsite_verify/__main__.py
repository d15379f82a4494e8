"""``python -m auditsite_verify``: the ``auditsite-verify`` command."""

import sys

from auditsite_verify.cli import main

sys.exit(main())
