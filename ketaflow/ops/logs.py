"""Log lines that carry the request id the audit log records (`KETAFLOW_LOG_FORMAT`).

`RequestIdFilter` (on the console handler) stamps every record with `request_id`: inside a
request, the id `audit.middleware.RequestContextMiddleware` chose (the client's safe
X-Request-Id or a new one, the same value every audit row of the request stores); for the
line Django's request handler writes after the middleware has finished ("Not Found: /x"),
the id `middleware.AccessLogMiddleware` left on the request. Outside a request it is "".
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from ketaflow.audit import context
from ketaflow.ops.middleware import REQUEST_ID_ATTRIBUTE

#: The fields of a JSON line after its "timestamp" (UTC, ISO 8601); extra fields a caller
#: passes follow them.
JSON_FIELDS = ("levelname", "name", "message", "request_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

#: Never written: Django's request handler passes the request and the response objects, whose
#: text may hold a query string (a search for a patient's name).
_NOT_LOGGED = ("request", "response")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        request_id = ctx.request_id if ctx else ""
        if not request_id:
            request: Any = getattr(record, "request", None)
            request_id = getattr(request, REQUEST_ID_ATTRIBUTE, "")
        record.request_id = request_id
        return True


def json_formatter() -> JsonFormatter:
    """python-json-logger's formatter, one JSON object a line, UTC ISO timestamps."""
    return JsonFormatter(
        list(JSON_FIELDS),
        reserved_attrs=[*RESERVED_ATTRS, *_NOT_LOGGED],
        timestamp=True,
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)
