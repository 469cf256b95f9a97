"""One package (or module) per notebook: its per-profile settings, what it trains, what it computes from the runs,
and its claims (:mod:`paper_mtl.claims`), one function per experiment or claim."""
