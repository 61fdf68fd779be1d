"""One module per ACME resource; each handler reads parse -> service call -> render."""
