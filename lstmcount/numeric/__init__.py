"""NumPy: the forward pass in every framework's layout, backpropagation through time, weight arrays."""
