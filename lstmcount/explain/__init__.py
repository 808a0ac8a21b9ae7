"""Explaining a cell: its equations with shapes, fused tensors, count and unrolled view."""
