"""The real frameworks' facts, for the tests: each ``facts_<framework>.py`` builds a case's layer in that framework.

A case is a mapping (cell, class, input_size, hidden_size, num_layers, bidirectional, bias,
proj_size, peepholes, forget_bias, reset_after, nonlinearity, options). Each module has
``supported(case)`` (None, or why the framework cannot build it), ``parameters(case)`` (the
framework's own paths, shapes and trainable flags) and ``forward(case, weights, x)`` (its
outputs and final states), importing the framework only inside them. ``record_<framework>.py``
writes ``tests/fixtures/recorded/<framework>/`` from them: ``python tests/facts/record.py NAME``.
"""
