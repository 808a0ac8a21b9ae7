"""The model of a network: the validated spec, and the count report made from it (pure Python)."""
