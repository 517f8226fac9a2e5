"""The data layer: plain values the rest of the suite passes around, importing nothing from the package.

    exchange.py   one recorded request/answer: the evidence a finding cites
    pages.py      a page of a catalog walk and the walk itself (values; the walking is `pager.py`)
    findings.py   what an invariant returns, and `render_all`
    kinds.py      every finding kind: a stable code (GC...) and a title, looked up by invariant name
    jsontypes.py  JSON type tests (`is_int`)
"""
