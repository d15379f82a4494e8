"""Where a page's server time goes: its SQL, its template rendering, the rest.

The page benchmarks (`pages.py`, `admin_changelist.py`) request a page
through Django's test client inside ``timed`` and get, beside the whole
request, the time its queries took (every statement, through the
connection's execute wrapper) and the time the response's template took to
render, less any query run while rendering (counted once, as SQL). The rest
(middleware, session, the view's Python) is ``total - sql - render``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.template.backends.django import Template as DjangoBackendTemplate


@dataclass
class Sample:
    total: float = 0.0
    sql: float = 0.0
    render: float = 0.0
    queries: int = 0


@dataclass
class Timer:
    samples: list[Sample] = field(default_factory=list)
    _current: Sample | None = None
    _rendering: int = 0

    def _sql(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if self._current is not None:
                elapsed = (time.perf_counter() - started) * 1000
                self._current.sql += elapsed
                self._current.queries += 1
                if self._rendering:
                    self._current.render -= elapsed

    def get(self, client, url: str, **kwargs):
        """``client.get(url)``, timed; returns the response."""
        self._current = sample = Sample()
        original = DjangoBackendTemplate.render
        timer = self

        def render(template, context=None, request=None):
            timer._rendering += 1
            started = time.perf_counter()
            try:
                return original(template, context, request)
            finally:
                timer._rendering -= 1
                if not timer._rendering:
                    sample.render += (time.perf_counter() - started) * 1000

        DjangoBackendTemplate.render = render
        try:
            with connection.execute_wrapper(self._sql):
                started = time.perf_counter()
                response = client.get(url, secure=True, **kwargs)
                sample.total = (time.perf_counter() - started) * 1000
        finally:
            DjangoBackendTemplate.render = original
            self._current = None
        self.samples.append(sample)
        return response

    def medians(self) -> Sample:
        """The median of each figure over the samples taken."""
        return Sample(
            total=statistics.median(s.total for s in self.samples),
            sql=statistics.median(s.sql for s in self.samples),
            render=statistics.median(s.render for s in self.samples),
            queries=round(statistics.median(s.queries for s in self.samples)),
        )


def timed_page(client, url: str, runs: int, **kwargs) -> Sample:
    """Medians of ``runs`` timed requests of ``url`` after one warm-up request."""
    response = client.get(url, secure=True, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    timer = Timer()
    for _ in range(runs):
        response = timer.get(client, url, **kwargs)
        assert response.status_code == 200, (url, response.status_code)
    return timer.medians()
