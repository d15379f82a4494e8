"""What a verification found, for people (``lines``) and programs (``as_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from auditsite_verify.layout import join_key


@dataclass
class Report:
    bucket: str
    prefix: str
    requested_from: str | None = None
    requested_to: str | None = None
    found_from: str | None = None
    found_to: str | None = None
    digests_total: int = 0
    digests_valid: int = 0
    objects_total: int = 0
    objects_valid: int = 0
    invalid_digests: list[str] = field(default_factory=list)
    missing_digests: list[str] = field(default_factory=list)
    invalid_objects: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    coverage_breaks: list[str] = field(default_factory=list)
    unlisted_objects: list[str] = field(default_factory=list)
    pending_objects: list[str] = field(default_factory=list)
    # Hours with no digest between the first digest and ``required_to`` (or
    # between two digests of an hourly chain), the first ones; and how many.
    required_to: str | None = None
    missing_hours: list[str] = field(default_factory=list)
    missing_hours_count: int = 0
    nothing_verified: bool = False

    @property
    def ok(self) -> bool:
        return not (
            self.nothing_verified
            or self.missing_hours_count
            or self.invalid_digests
            or self.missing_digests
            or self.invalid_objects
            or self.missing_objects
            or self.coverage_breaks
            or self.unlisted_objects
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}

    def lines(self) -> list[str]:
        """Human output in the manner of ``aws cloudtrail validate-logs``."""
        out = [f"Validating digests and log files for s3://{self.bucket}/{self.prefix}"]
        out.append(
            f"Results requested for {self.requested_from or 'the first digest'} "
            f"to {self.requested_to or 'the last digest'}"
        )
        if self.required_to:
            out.append(f"A digest is required for every hour up to {self.required_to}")
        if self.found_from:
            out.append(f"Results found for {self.found_from} to {self.found_to}:")
        else:
            out.append("No digests found.")
        if self.nothing_verified:
            out.append(
                f"nothing verified yet: no digest under s3://{self.bucket}/"
                f"{join_key(self.prefix, 'digests')}/"
            )
        out.append("")
        out.append(f"{self.digests_valid}/{self.digests_total} digest files valid")
        out.extend(f"digest INVALID: {key}" for key in self.invalid_digests)
        out.extend(f"digest missing: {key}" for key in self.missing_digests)
        if self.missing_hours_count:
            out.append(
                f"First missing hour: {self.missing_hours[0]} "
                f"({self.missing_hours_count} hour(s) without a digest)"
            )
        out.append(f"{self.objects_valid}/{self.objects_total} log files valid")
        out.extend(f"1 log file INVALID: {key}" for key in self.invalid_objects)
        out.extend(f"1 log file missing: {key}" for key in self.missing_objects)
        out.extend(f"Coverage break after {text}" for text in self.coverage_breaks)
        out.extend(f"Unlisted object: {key}" for key in self.unlisted_objects)
        if self.pending_objects:
            out.append(
                f"{len(self.pending_objects)} log file(s) newer than the last digest "
                "(not yet in a digest)"
            )
        out.append("OK" if self.ok else "FAILED")
        return out
