"""Figure helpers, one module per notebook; each function returns a matplotlib Figure."""
