"""Figure helpers: one module per notebook, and one per kind of data (scenes, digits); each function returns a
matplotlib Figure and nothing here trains or measures."""
