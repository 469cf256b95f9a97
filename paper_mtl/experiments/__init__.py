"""One module per notebook: its per-profile settings and one function per experiment."""
