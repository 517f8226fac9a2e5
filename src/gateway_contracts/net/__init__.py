"""The suite's network side, one job per module; nothing here imports invariants, catalogs, plugins or reports.

    client.py      GatewayClient: sends each distinct request once (timeouts, capped bodies, the key header)
    retry.py       which failures are retried, how long to wait, Retry-After
    errors.py      transport exceptions classified by type at the boundary (TransportFailure, TransportError)
    cache.py       the on-disk exchange cache shared by xdist workers (file lock per request, hang mark)
    throttle.py    Throttle: the request-rate cap (no network import)
    redaction.py   Redactor: scrubs secrets from any text (no network import)
"""

USER_AGENT = "gateway-contracts/0.1"  # every request the suite sends, through the client or the fuzz session
