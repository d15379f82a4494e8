"""exports.destinations.http: Retry-After, answers, request splitting."""

import email.utils

import httpx

from exports.destinations.http import chunked, classify, retry_after_seconds


def _response(status, body=b"", headers=None):
    request = httpx.Request("POST", "https://intake.example.com/api/v2/logs")
    return httpx.Response(status, content=body, headers=headers, request=request)


def test_retry_after_in_seconds_or_as_an_http_date():
    """Delta-seconds, an HTTP date (relative to now), or nothing usable."""
    assert retry_after_seconds("120") == 120.0
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(when, now=1_000_000) == 30.0
    assert retry_after_seconds(when, now=1_000_100) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_answers_are_classified_as_documented():
    """2xx ok; 429/5xx retryable with Retry-After; 4xx and 3xx need a human."""
    assert classify(_response(202)).ok
    limited = classify(_response(429, b"slow down", {"Retry-After": "7"}))
    assert not limited.ok and limited.retryable and limited.retry_after == 7.0
    down = classify(_response(503, b'{"text": "Server is busy", "code": 9}'))
    assert down.retryable and down.retry_after == 0.0
    assert down.error == "HTTP 503 from intake.example.com: Server is busy"
    denied = classify(
        _response(403, b'{"errors": [{"title": "Forbidden", "detail": "bad key"}]}')
    )
    assert not denied.retryable and denied.retry_after is None
    assert denied.error == "HTTP 403 from intake.example.com: Forbidden bad key"
    moved = classify(_response(301, headers={"Location": "https://elsewhere/"}))
    assert not moved.retryable
    assert moved.error.endswith("(redirect to https://elsewhere/ not followed)")


def test_chunks_keep_count_and_byte_budgets():
    """Groups never pass the count or the byte budget; an oversize item goes alone."""
    items = [b"x" * 10] * 7 + [b"y" * 100] + [b"z" * 10] * 2
    groups = list(chunked(items, max_count=3, max_bytes=40, separator=1))
    assert [len(g) for g in groups] == [3, 3, 1, 1, 2]
    assert groups[3] == [b"y" * 100]
    assert [i for g in groups for i in g] == items
