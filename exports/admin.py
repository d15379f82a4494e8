from exports.admin_digests import ExportDigestAdmin, verify_integrity  # noqa: F401
