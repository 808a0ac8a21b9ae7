"""Counting: parameters per layer, gate and tensor; compute and memory costs; other tools' numbers; spec checks."""
